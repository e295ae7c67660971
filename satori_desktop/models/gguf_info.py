"""What a GGUF file says about itself, in the terms the model manager decides on.

Importing a model the user picked, verifying a download and estimating memory all need the same facts:
is this a GGUF at all, which architecture, which quantisation, how many layers of which width, and does
its vocabulary carry Satori's three COAT tokens (`<|continue|>`, `<|reflect|>`, `<|explore|>`) as CONTROL
tokens, without which the app cannot show reasoning steps. The reading itself is the engine's
(`satori_desktop.engine.gguf_header`, whose docstring says why we parse GGUF ourselves rather than with the
`gguf` package: about 100x faster on Satori's vocabulary); this module adds what is Satori-specific: which
tokens to look for, which fields a loadable model must have, and the warnings for a model that is not Satori.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from satori_desktop.core.errors import UserFacingError
from satori_desktop.engine.gguf_header import GgufHeader, read_gguf_header, shown_text
from satori_desktop.engine.memory import ModelShape

COAT_TOKENS = ("<|continue|>", "<|reflect|>", "<|explore|>")
SATORI_ARCHITECTURE = "qwen2"


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


def read_gguf_info(path: str | Path) -> GgufInfo:
    """Read the header of `path`; a missing, foreign, incomplete or damaged file is a UserFacingError."""
    path = Path(path)
    return gguf_info_from_header(path, read_gguf_header(path, find_tokens=COAT_TOKENS))


# The shape keys a loadable model must have, with their smallest value (llama.cpp reads them as uint32).
_REQUIRED_COUNTS = {"block_count": 1, "embedding_length": 1, "attention.head_count": 0}


def gguf_info_from_header(path: Path, header: GgufHeader) -> GgufInfo:
    """The model manager's view of a header read with `find_tokens=COAT_TOKENS`.

    Refuses a header without the architecture and shape llama.cpp needs, or with impossible shape values
    (a negative, fractional or 64-bit layer count reads as damage, never as a number to plan memory with).
    """
    name = shown_text(path.name)
    architecture = header.metadata.get("general.architecture")
    if not isinstance(architecture, str) or not architecture:
        raise UserFacingError(f"{name} does not name its architecture: choose another GGUF file.")
    for key, smallest in _REQUIRED_COUNTS.items():
        full_key = f"{architecture}.{key}"
        value = header.metadata.get(full_key)
        if value is None:
            raise UserFacingError(
                f"{name} lacks '{shown_text(full_key)}' in its header, so llama.cpp cannot load it: choose "
                "another GGUF file."
            )
        if isinstance(value, bool) or not isinstance(value, int) or not smallest <= value < 2**32:
            raise UserFacingError(
                f"{name} has an impossible '{shown_text(full_key)}' in its header "
                f"({shown_text(repr(value), 40)}): the file is damaged; download it again."
            )
    shape = header.model_shape()
    return GgufInfo(
        path=path,
        architecture=architecture,
        name=header.name,
        quantization=header.quantization,
        n_ctx_train=shape.n_ctx_train,
        shape=shape,
        coat_tokens={token: token in header.tokens for token in COAT_TOKENS},
        coat_tokens_not_control=tuple(
            token
            for token in COAT_TOKENS
            if token in header.tokens
            and header.tokens[token].token_type is not None
            and not header.tokens[token].is_control
        ),
    )


def check_loadable_model(info: GgufInfo) -> list[str]:
    """Refuse what the app cannot run; return warnings for what runs without reasoning sections."""
    name = shown_text(info.path.name)
    if info.architecture != SATORI_ARCHITECTURE:
        # The engine is built and tested for qwen2; other architectures may load but the prompt format,
        # stop tokens and COAT parsing are Satori's, so say so plainly rather than refuse.
        return [
            f"{name} is a {shown_text(info.architecture)} model, not Satori (qwen2): answers will come "
            "without reasoning sections, which need Satori-7B-Round2."
        ]
    warnings: list[str] = []
    missing = [token for token, present in info.coat_tokens.items() if not present]
    if missing:
        warnings.append(
            f"{name} has no {', '.join(missing)} token(s), so it is not Satori: answers will come "
            "without reasoning sections, which need Satori-7B-Round2."
        )
    if info.coat_tokens_not_control:
        warnings.append(
            f"In {name} the token(s) {', '.join(info.coat_tokens_not_control)} are not control "
            "tokens: reasoning steps may not be recognised."
        )
    return warnings
