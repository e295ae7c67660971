"""The app's one reader of GGUF headers: what a model file says about itself, without loading its weights.

Why we parse GGUF ourselves instead of using the `gguf` package's `GGUFReader`: that reader turns every
array of the header into numpy objects, one per vocabulary entry and per merge. On a 165 MB test model with
Satori's 152,064-token vocabulary (`python -m tests.support.tiny_gguf OUT --preset bench`) reading it with
`GGUFReader` took 4-6 s; this reader takes 0.02-0.03 s including the COAT token scan (about 200x in two
side-by-side runs on 2 cores: 6.14 s vs 0.028 s, 4.14 s vs 0.022 s), because it walks the arrays in the
memory-mapped file without building Python objects for them. That is what a user waits for on
`models import` and every model load, and a real 4.7 GB Satori file has the same vocabulary.

Everyone who needs header facts goes through `read_gguf_header`:

* the engine, before asking llama.cpp to load a file: llama.cpp reports a bad file with a log line and a
  NULL model, which says nothing a user can act on, so this reader tells apart "this is not a GGUF file",
  "this GGUF file is incomplete" (a download that stopped half-way: the header, or the tensor data the
  header declares, ends early) and "llama.cpp could not load it";
* the model manager (`satori_desktop.models.gguf_info`): architecture, quantisation, the model's shape for
  the memory estimates (`engine.memory.ModelShape`, with the tensor bytes by role), and whether the
  vocabulary holds given tokens (Satori's COAT tokens) and of which token type.

Scalar metadata is kept as Python values; arrays are only located (`GgufHeader.arrays`), except that the
token list is scanned for the tokens asked for by comparing bytes in place. The format facts below (type
codes, block sizes, file-type names) are llama.cpp's; `tests/engine/test_gguf_header.py` checks them against
the `gguf` package, which is a test-only dependency.
"""

from __future__ import annotations

import mmap
import struct
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from satori_desktop.core.errors import UserFacingError
from satori_desktop.engine.memory import ModelShape

GGUF_MAGIC = b"GGUF"
# GGUF value types -> struct format of the fixed-size ones (8: string, 9: array are handled apart).
_SCALAR_FORMATS = {
    0: "<B",
    1: "<b",
    2: "<H",
    3: "<h",
    4: "<I",
    5: "<i",
    6: "<f",
    7: "<?",
    10: "<Q",
    11: "<q",
    12: "<d",
}
_STRING, _ARRAY = 8, 9
_U64 = struct.Struct("<Q")

# `tokenizer.ggml.token_type` values (llama.cpp's llama_token_type): 1 normal, 2 unknown, 3 control,
# 4 user-defined, 5 unused, 6 byte. Only CONTROL tokens come out whole when text is tokenized with
# special=True, which is how the engine finds Satori's COAT tokens.
CONTROL_TOKEN_TYPE = 3
TOKENS_KEY = "tokenizer.ggml.tokens"
TOKEN_TYPES_KEY = "tokenizer.ggml.token_type"

# ggml tensor type -> (elements per block, bytes per block): what a tensor of that type occupies.
_GGML_BLOCK_SIZES: dict[int, tuple[int, int]] = {
    0: (1, 4),  # F32
    1: (1, 2),  # F16
    2: (32, 18),  # Q4_0
    3: (32, 20),  # Q4_1
    6: (32, 22),  # Q5_0
    7: (32, 24),  # Q5_1
    8: (32, 34),  # Q8_0
    9: (32, 40),  # Q8_1
    10: (256, 84),  # Q2_K
    11: (256, 110),  # Q3_K
    12: (256, 144),  # Q4_K
    13: (256, 176),  # Q5_K
    14: (256, 210),  # Q6_K
    15: (256, 292),  # Q8_K
    16: (256, 66),  # IQ2_XXS
    17: (256, 74),  # IQ2_XS
    18: (256, 98),  # IQ3_XXS
    19: (256, 50),  # IQ1_S
    20: (32, 18),  # IQ4_NL
    21: (256, 110),  # IQ3_S
    22: (256, 82),  # IQ2_S
    23: (256, 136),  # IQ4_XS
    24: (1, 1),  # I8
    25: (1, 2),  # I16
    26: (1, 4),  # I32
    27: (1, 8),  # I64
    28: (1, 8),  # F64
    29: (256, 56),  # IQ1_M
    30: (1, 2),  # BF16
    34: (256, 54),  # TQ1_0
    35: (256, 66),  # TQ2_0
    39: (32, 17),  # MXFP4
    40: (64, 36),  # NVFP4
    41: (128, 18),  # Q1_0
}

# `general.file_type` (llama.cpp's llama_ftype) -> the quantisation name used in file names ("Q4_K_M").
FILE_TYPE_NAMES: dict[int, str] = {
    0: "F32",
    1: "F16",
    2: "Q4_0",
    3: "Q4_1",
    7: "Q8_0",
    8: "Q5_0",
    9: "Q5_1",
    10: "Q2_K",
    11: "Q3_K_S",
    12: "Q3_K_M",
    13: "Q3_K_L",
    14: "Q4_K_S",
    15: "Q4_K_M",
    16: "Q5_K_S",
    17: "Q5_K_M",
    18: "Q6_K",
    19: "IQ2_XXS",
    20: "IQ2_XS",
    21: "Q2_K_S",
    22: "IQ3_XS",
    23: "IQ3_XXS",
    24: "IQ1_S",
    25: "IQ4_NL",
    26: "IQ3_S",
    27: "IQ3_M",
    28: "IQ2_S",
    29: "IQ2_M",
    30: "IQ4_XS",
    31: "IQ1_M",
    32: "BF16",
    36: "TQ1_0",
    37: "TQ2_0",
    38: "MXFP4_MOE",
    39: "NVFP4",
    40: "Q1_0",
}


class _Truncated(Exception):
    """The header itself runs past the end of the file."""


@dataclass(frozen=True)
class GgufArray:
    """Where an array of the header lies in the file; its items are not read."""

    item_type: int  # a GGUF value type (8 for strings)
    count: int
    offset: int  # byte offset of the first item


@dataclass(frozen=True)
class VocabToken:
    """A token asked for by text and found in `tokenizer.ggml.tokens`."""

    index: int  # the token id
    token_type: int | None  # from `tokenizer.ggml.token_type`; None when the file has no type for it

    @property
    def is_control(self) -> bool:
        return self.token_type == CONTROL_TOKEN_TYPE


@dataclass
class GgufHeader:
    version: int
    file_size: int = 0
    metadata: dict[str, str | int | float | bool] = field(default_factory=dict)
    arrays: dict[str, GgufArray] = field(default_factory=dict)
    # The tokens asked for (`find_tokens`) that the vocabulary holds, by text; absent ones are left out.
    tokens: dict[str, VocabToken] = field(default_factory=dict)
    # Bytes the file must have for all its tensor data; None when a tensor type is unknown here.
    expected_size: int | None = None
    # Tensor bytes by role, as llama.cpp places them when offloading (see engine.memory.ModelShape).
    repeating_bytes: int = 0
    output_bytes: int = 0
    embedding_bytes: int = 0

    @property
    def architecture(self) -> str:
        return str(self.metadata.get("general.architecture", "unknown"))

    def arch_int(self, key: str, default: int = 0) -> int:
        value = self.metadata.get(f"{self.architecture}.{key}", default)
        return int(value) if isinstance(value, (int, float)) else default

    @property
    def name(self) -> str | None:
        value = self.metadata.get("general.name")
        return value if isinstance(value, str) else None

    @property
    def quantization(self) -> str | None:
        """The quantisation name ("Q4_K_M"...) from general.file_type; None when the header does not say."""
        file_type = self.metadata.get("general.file_type")
        if not isinstance(file_type, int):
            return None
        return FILE_TYPE_NAMES.get(file_type, f"type {file_type}")

    @property
    def n_vocab(self) -> int:
        """The vocabulary size: `<arch>.vocab_size` where given, else the length of the token list."""
        tokens = self.arrays.get(TOKENS_KEY)
        return self.arch_int("vocab_size", tokens.count if tokens is not None else 0)

    def model_shape(self) -> ModelShape:
        """The numbers `engine.memory` needs; missing keys count as 0 (callers that need them check)."""
        n_embd = self.arch_int("embedding_length")
        n_head = self.arch_int("attention.head_count")
        return ModelShape(
            architecture=self.architecture,
            n_layers=self.arch_int("block_count"),
            n_embd=n_embd,
            n_head=n_head,
            n_head_kv=self.arch_int("attention.head_count_kv") or n_head,
            head_dim=self.arch_int("attention.key_length") or n_embd // max(n_head, 1),
            n_vocab=self.n_vocab,
            n_ctx_train=self.arch_int("context_length"),
            file_size_bytes=self.file_size,
            repeating_bytes=self.repeating_bytes,
            output_bytes=self.output_bytes,
            embedding_bytes=self.embedding_bytes,
        )


class _Cursor:
    def __init__(self, data: mmap.mmap | bytes) -> None:
        self.data = data
        self.pos = 0

    def unpack(self, fmt: str) -> tuple[int | float | bool, ...]:
        size = struct.calcsize(fmt)
        if self.pos + size > len(self.data):
            raise _Truncated
        values = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += size
        return values

    def u32(self) -> int:
        return int(self.unpack("<I")[0])

    def u64(self) -> int:
        return int(self.unpack("<Q")[0])

    def string(self) -> str:
        length = self.u64()
        if self.pos + length > len(self.data):
            raise _Truncated
        text = bytes(self.data[self.pos : self.pos + length]).decode("utf-8", errors="replace")
        self.pos += length
        return text

    def scan_strings(self, count: int, wanted: dict[int, dict[bytes, str]]) -> dict[str, int]:
        """Step over `count` strings; return the index of each wanted one (by text), the last if repeated.

        The hot loop of a header read (152k tokens and as many merges in Satori): one length read per
        string, and bytes are compared only for strings as long as a wanted one, so no Python object is
        built for the rest. The last occurrence wins, as in llama.cpp's text-to-id map.
        """
        data, pos, unpack_length = self.data, self.pos, _U64.unpack_from
        found: dict[str, int] = {}
        try:
            if wanted:
                for index in range(count):
                    (length,) = unpack_length(data, pos)
                    pos += 8
                    candidates = wanted.get(length)
                    if candidates is not None:
                        text = candidates.get(data[pos : pos + length])
                        if text is not None:
                            found[text] = index
                    pos += length
            else:
                for _ in range(count):
                    pos += 8 + unpack_length(data, pos)[0]
        except struct.error:  # a length field beyond the end of the file
            raise _Truncated from None
        if pos > len(data):
            raise _Truncated
        self.pos = pos
        return found

    def skip_value(self, value_type: int) -> None:
        if value_type == _STRING:
            self.pos += self.u64()
        elif value_type == _ARRAY:
            item_type, count = self.u32(), self.u64()
            self.skip_array(item_type, count)
        elif value_type in _SCALAR_FORMATS:
            self.pos += struct.calcsize(_SCALAR_FORMATS[value_type])
        else:
            raise ValueError(f"unknown GGUF value type {value_type}")
        if self.pos > len(self.data):
            raise _Truncated

    def skip_array(self, item_type: int, count: int) -> None:
        if item_type == _STRING:
            self.scan_strings(count, {})
        elif item_type in _SCALAR_FORMATS:
            self.pos += count * struct.calcsize(_SCALAR_FORMATS[item_type])
            if self.pos > len(self.data):
                raise _Truncated
        else:  # arrays of arrays: rare, small
            for _ in range(count):
                self.skip_value(item_type)

    def scalar(self, value_type: int) -> str | int | float | bool:
        if value_type == _STRING:
            return self.string()
        fmt = _SCALAR_FORMATS.get(value_type)
        if fmt is None:
            raise ValueError(f"unknown GGUF value type {value_type}")
        return self.unpack(fmt)[0]


def tensor_nbytes(ggml_type: int, dims: Iterable[int]) -> int | None:
    """Bytes of a tensor of this ggml type and shape; None for a type this module does not know."""
    block = _GGML_BLOCK_SIZES.get(ggml_type)
    if block is None:
        return None
    elements = 1
    for d in dims:
        elements *= d
    block_elements, block_bytes = block
    return elements // block_elements * block_bytes


def read_gguf_header(path: str | Path, *, find_tokens: Iterable[str] = ()) -> GgufHeader:
    """Read and check a GGUF header; raise `UserFacingError` for a missing, foreign or incomplete file.

    `find_tokens`: token texts to look up in the vocabulary; those present land in `GgufHeader.tokens`
    with their id and token type.
    """
    path = Path(path)
    if not path.exists():
        raise UserFacingError(
            f"There is no file at {path} (it does not exist); check the path and choose an existing "
            ".gguf file."
        )
    if not path.is_file():
        raise UserFacingError(f"{path} is not a file; choose a .gguf model file.")
    try:
        with path.open("rb") as handle:
            if handle.read(4) != GGUF_MAGIC:
                raise UserFacingError(
                    f"{path.name} is not a GGUF model file (it does not start with 'GGUF'); choose a .gguf "
                    "file made for llama.cpp, such as a Satori-7B-Round2 quantisation."
                )
            handle.seek(0)
            # The map is closed before returning, so Windows lets the caller rename or delete the file.
            with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
                return _parse(data, path, find_tokens)
    except OSError as exc:
        raise UserFacingError(
            f"The model file {path} could not be read ({exc.strerror}); check the file."
        ) from exc


def _parse(data: mmap.mmap, path: Path, find_tokens: Iterable[str]) -> GgufHeader:
    wanted: dict[int, dict[bytes, str]] = {}
    for text in find_tokens:
        encoded = text.encode("utf-8")
        wanted.setdefault(len(encoded), {})[encoded] = text
    cursor = _Cursor(data)
    token_ids: dict[str, int] = {}
    try:
        cursor.pos = 4
        version = cursor.u32()
        if version < 2:
            raise UserFacingError(
                f"{path.name} uses GGUF version {version}, which is too old; get a newer file."
            )
        tensor_count = cursor.u64()
        kv_count = cursor.u64()
        header = GgufHeader(version=version, file_size=len(data))
        for _ in range(kv_count):
            key = cursor.string()
            value_type = cursor.u32()
            if value_type != _ARRAY:
                header.metadata[key] = cursor.scalar(value_type)
                continue
            item_type, count = cursor.u32(), cursor.u64()
            header.arrays[key] = GgufArray(item_type, count, cursor.pos)
            if key == TOKENS_KEY and item_type == _STRING:
                token_ids = cursor.scan_strings(count, wanted)
            else:
                cursor.skip_array(item_type, count)
        end = 0
        known = True
        has_output = False
        for _ in range(tensor_count):
            name = cursor.string()
            n_dims = cursor.u32()
            dims = [cursor.u64() for _ in range(n_dims)]
            ggml_type = cursor.u32()
            offset = cursor.u64()
            has_output = has_output or name == "output.weight"
            nbytes = tensor_nbytes(ggml_type, dims)
            if nbytes is None:
                known = False
                continue
            end = max(end, offset + nbytes)
            if name.startswith("blk."):
                header.repeating_bytes += nbytes
            elif name.startswith("token_embd"):
                header.embedding_bytes += nbytes
            else:  # output.weight, output_norm.weight (and rope tables on some architectures)
                header.output_bytes += nbytes
        if not has_output:
            # Tied embeddings: llama.cpp reuses token_embd as the output projection, on the GPU too.
            header.output_bytes += header.embedding_bytes
    except _Truncated:
        raise UserFacingError(
            f"The header of {path.name} cannot be read because the file is incomplete (it ends inside its "
            "header, as after an interrupted download); download it again."
        ) from None
    except (ValueError, struct.error) as exc:
        raise UserFacingError(
            f"The header of {path.name} cannot be read ({exc}): the file is damaged; download it again."
        ) from exc
    header.tokens = _with_token_types(data, header.arrays.get(TOKEN_TYPES_KEY), token_ids)
    alignment = int(header.metadata.get("general.alignment", 32) or 32)
    data_start = (cursor.pos + alignment - 1) // alignment * alignment
    if known:
        header.expected_size = data_start + end
        if len(data) < header.expected_size:
            raise UserFacingError(
                f"The model file {path.name} is incomplete (its tensor data ends before its header says it "
                "should, as after an interrupted download); download it again."
            )
    return header


def _with_token_types(
    data: mmap.mmap, types: GgufArray | None, token_ids: dict[str, int]
) -> dict[str, VocabToken]:
    """The type of each found token, read straight from the type array (int32 in llama.cpp's files)."""
    fmt = _SCALAR_FORMATS.get(types.item_type) if types is not None else None
    found: dict[str, VocabToken] = {}
    for text, index in token_ids.items():
        token_type: int | None = None
        if types is not None and fmt is not None and types.item_type not in (6, 7) and index < types.count:
            # In bounds: the whole array was stepped over while parsing.
            token_type = int(struct.unpack_from(fmt, data, types.offset + index * struct.calcsize(fmt))[0])
        found[text] = VocabToken(index, token_type)
    return found
