"""What a GGUF file says about itself, read from its header without loading the weights.

Importing a model the user picked, verifying a download and estimating memory all need the same facts:
is this a GGUF at all, which architecture, which quantisation, how many layers of which width, and does
its vocabulary carry Satori's three COAT tokens (`<|continue|>`, `<|reflect|>`, `<|explore|>`), without
which the app cannot show reasoning steps. The `gguf` package's `GGUFReader` memory-maps the file, so
reading a 5 GB model's header touches only its first megabytes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from satori_desktop.core.errors import UserFacingError
from satori_desktop.engine.memory import ModelShape

log = logging.getLogger(__name__)

GGUF_MAGIC = b"GGUF"
COAT_TOKENS = ("<|continue|>", "<|reflect|>", "<|explore|>")
SATORI_ARCHITECTURE = "qwen2"
_CONTROL_TOKEN_TYPE = 3


@dataclass(frozen=True)
class GgufInfo:
    path: Path
    architecture: str
    name: str | None
    quantization: str | None  # e.g. "Q4_K_M", from general.file_type
    n_ctx_train: int
    shape: ModelShape
    # COAT token text -> whether it is in the vocabulary (as any token type).
    coat_tokens: dict[str, bool] = field(default_factory=dict)
    # COAT tokens present but not marked CONTROL: llama.cpp would then split or spell them.
    coat_tokens_not_control: tuple[str, ...] = ()

    @property
    def has_coat_tokens(self) -> bool:
        return bool(self.coat_tokens) and all(self.coat_tokens.values())

    @property
    def is_satori(self) -> bool:
        """qwen2 with all three COAT tokens: what the reasoning view needs."""
        return self.architecture == SATORI_ARCHITECTURE and self.has_coat_tokens

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "architecture": self.architecture,
            "name": self.name,
            "quantization": self.quantization,
            "n_ctx_train": self.n_ctx_train,
            "n_layers": self.shape.n_layers,
            "file_size": self.shape.file_size_bytes,
            "coat_tokens": dict(self.coat_tokens),
            "is_satori": self.is_satori,
        }


def has_gguf_magic(path: Path) -> bool:
    try:
        with open(path, "rb") as handle:
            return handle.read(4) == GGUF_MAGIC
    except OSError:
        return False


def read_gguf_info(path: str | Path) -> GgufInfo:
    """Read the header of `path`; a missing file, a non-GGUF or an unreadable header is a UserFacingError."""
    path = Path(path)
    if not path.is_file():
        raise UserFacingError(f"There is no file at {path}: check the path and try again.")
    if not has_gguf_magic(path):
        raise UserFacingError(
            f"{path.name} is not a GGUF model file (it does not start with 'GGUF'): "
            "choose a .gguf file made for llama.cpp."
        )
    from gguf import GGUFReader  # numpy-heavy; only where a header is actually read

    reader: GGUFReader | None = None
    try:
        reader = GGUFReader(path, "r")
        info = _info_from_reader(path, reader)
    except UserFacingError:
        raise
    except Exception as exc:  # ValueError, IndexError, KeyError...: a truncated or damaged header
        log.info("unreadable GGUF header in %s", path, exc_info=True)
        raise UserFacingError(
            f"The header of {path.name} cannot be read ({type(exc).__name__}): the file is damaged or "
            "incomplete; download it again."
        ) from exc
    finally:
        # The reader memory-maps the whole file; drop it now so Windows lets us rename or delete the file.
        reader = None
    return info


def _scalar(reader: Any, key: str) -> Any:
    field_ = reader.get_field(key)
    return None if field_ is None else field_.contents()


def _required_int(reader: Any, key: str, path: Path) -> int:
    value = _scalar(reader, key)
    if value is None:
        raise UserFacingError(
            f"{path.name} lacks '{key}' in its header, so llama.cpp cannot load it: choose another GGUF file."
        )
    return int(value)


def _info_from_reader(path: Path, reader: Any) -> GgufInfo:
    architecture = _scalar(reader, "general.architecture")
    if not isinstance(architecture, str):
        raise UserFacingError(f"{path.name} does not name its architecture: choose another GGUF file.")
    arch = architecture
    n_layers = _required_int(reader, f"{arch}.block_count", path)
    n_embd = _required_int(reader, f"{arch}.embedding_length", path)
    n_head = _required_int(reader, f"{arch}.attention.head_count", path)
    n_head_kv = int(_scalar(reader, f"{arch}.attention.head_count_kv") or n_head)
    head_dim = int(_scalar(reader, f"{arch}.attention.key_length") or n_embd // max(n_head, 1))
    n_ctx_train = int(_scalar(reader, f"{arch}.context_length") or 0)

    tokens_field = reader.get_field("tokenizer.ggml.tokens")
    tokens: list[str] = tokens_field.contents() if tokens_field is not None else []
    types_field = reader.get_field("tokenizer.ggml.token_type")
    token_types: list[int] = types_field.contents() if types_field is not None else []
    n_vocab = int(_scalar(reader, f"{arch}.vocab_size") or len(tokens))

    positions = {text: index for index, text in enumerate(tokens) if text in COAT_TOKENS}
    coat = {token: token in positions for token in COAT_TOKENS}
    not_control = tuple(
        token
        for token, index in positions.items()
        if index < len(token_types) and token_types[index] != _CONTROL_TOKEN_TYPE
    )

    repeating = output = embedding = 0
    for tensor in reader.tensors:
        size = int(tensor.n_bytes)
        if tensor.name.startswith("blk."):
            repeating += size
        elif tensor.name.startswith("token_embd"):
            embedding += size
        else:  # output.weight, output_norm.weight (and rope tables on some architectures)
            output += size
    if not any(tensor.name == "output.weight" for tensor in reader.tensors):
        # Tied embeddings: llama.cpp reuses token_embd as the output projection on the GPU too.
        output += embedding

    file_type = _scalar(reader, "general.file_type")
    name = _scalar(reader, "general.name")
    shape = ModelShape(
        architecture=arch,
        n_layers=n_layers,
        n_embd=n_embd,
        n_head=n_head,
        n_head_kv=n_head_kv,
        head_dim=head_dim,
        n_vocab=n_vocab,
        n_ctx_train=n_ctx_train,
        file_size_bytes=path.stat().st_size,
        repeating_bytes=repeating,
        output_bytes=output,
        embedding_bytes=embedding,
    )
    return GgufInfo(
        path=path,
        architecture=arch,
        name=name if isinstance(name, str) else None,
        quantization=_quantization_name(file_type),
        n_ctx_train=n_ctx_train,
        shape=shape,
        coat_tokens=coat,
        coat_tokens_not_control=not_control,
    )


def _quantization_name(file_type: Any) -> str | None:
    if file_type is None:
        return None
    from gguf import LlamaFileType

    try:
        member = LlamaFileType(int(file_type))
    except ValueError:
        return f"type {file_type}"
    return member.name.removeprefix("MOSTLY_").removeprefix("ALL_")


def check_loadable_model(info: GgufInfo) -> list[str]:
    """Refuse what the app cannot run; return warnings for what runs without reasoning sections."""
    if info.architecture != SATORI_ARCHITECTURE:
        # The engine is built and tested for qwen2; other architectures may load but the prompt format,
        # stop tokens and COAT parsing are Satori's, so say so plainly rather than refuse.
        return [
            f"{info.path.name} is a {info.architecture} model, not Satori (qwen2): answers will come without "
            "reasoning sections, which need Satori-7B-Round2."
        ]
    warnings: list[str] = []
    missing = [token for token, present in info.coat_tokens.items() if not present]
    if missing:
        warnings.append(
            f"{info.path.name} has no {', '.join(missing)} token(s), so it is not Satori: answers will come "
            "without reasoning sections, which need Satori-7B-Round2."
        )
    if info.coat_tokens_not_control:
        warnings.append(
            f"In {info.path.name} the token(s) {', '.join(info.coat_tokens_not_control)} are not control "
            "tokens: reasoning steps may not be recognised."
        )
    return warnings
