"""A quick look at a GGUF file's header before llama.cpp is asked to load it.

llama.cpp reports a bad file with a log line and a NULL model, which says nothing a user can act on. Reading
the header first lets the engine tell apart "this is not a GGUF file", "this GGUF file is incomplete" (a
download that stopped half-way: the tensor data ends before the header says it should) and "llama.cpp could
not load it", and gives the engine the few facts it needs before loading (architecture, layers, trained
context). Only scalar metadata is kept; arrays (the vocabulary) are skipped over without being decoded.
"""

from __future__ import annotations

import mmap
import struct
from dataclasses import dataclass, field
from pathlib import Path

from satori_desktop.core.errors import UserFacingError

_MAGIC = b"GGUF"
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


class _Truncated(Exception):
    """The header itself runs past the end of the file."""


@dataclass
class GgufHeader:
    version: int
    metadata: dict[str, str | int | float | bool] = field(default_factory=dict)
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

    def skip_string(self) -> None:
        length = self.u64()
        self.pos += length
        if self.pos > len(self.data):
            raise _Truncated

    def value(self, value_type: int) -> str | int | float | bool | None:
        if value_type == _STRING:
            return self.string()
        if value_type == _ARRAY:
            item_type = self.u32()
            count = self.u64()
            if item_type == _STRING:
                for _ in range(count):
                    self.skip_string()
            elif item_type in _SCALAR_FORMATS:
                self.pos += count * struct.calcsize(_SCALAR_FORMATS[item_type])
                if self.pos > len(self.data):
                    raise _Truncated
            else:
                for _ in range(count):
                    self.value(item_type)
            return None
        fmt = _SCALAR_FORMATS.get(value_type)
        if fmt is None:
            raise ValueError(f"unknown GGUF value type {value_type}")
        return self.unpack(fmt)[0]


def _tensor_nbytes(ggml_type: int, dims: list[int]) -> int | None:
    try:
        from gguf.constants import GGML_QUANT_SIZES, GGMLQuantizationType

        block_size, type_size = GGML_QUANT_SIZES[GGMLQuantizationType(ggml_type)]
    except (ImportError, ValueError, KeyError):
        return None
    elements = 1
    for d in dims:
        elements *= d
    return elements // block_size * type_size


def read_gguf_header(path: Path) -> GgufHeader:
    """Read and check a GGUF header; raise `UserFacingError` for a missing, foreign or incomplete file."""
    if not path.exists():
        raise UserFacingError(f"The model file {path} does not exist; choose an existing .gguf file.")
    if not path.is_file():
        raise UserFacingError(f"{path} is not a file; choose a .gguf model file.")
    try:
        with path.open("rb") as handle:
            if handle.read(4) != _MAGIC:
                raise UserFacingError(
                    f"{path.name} is not a GGUF model file; choose a .gguf file "
                    "(for example a Satori-7B-Round2 quantisation)."
                )
            handle.seek(0)
            with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
                return _parse(data, path)
    except OSError as exc:
        raise UserFacingError(
            f"The model file {path} could not be read ({exc.strerror}); check the file."
        ) from exc


def _incomplete(path: Path) -> UserFacingError:
    return UserFacingError(
        f"The model file {path.name} is incomplete (it ends before its data does, as after an interrupted "
        "download); download it again."
    )


def _parse(data: mmap.mmap, path: Path) -> GgufHeader:
    cursor = _Cursor(data)
    try:
        cursor.pos = 4
        version = cursor.u32()
        if version < 2:
            raise UserFacingError(
                f"{path.name} uses GGUF version {version}, which is too old; get a newer file."
            )
        tensor_count = cursor.u64()
        kv_count = cursor.u64()
        header = GgufHeader(version=version)
        for _ in range(kv_count):
            key = cursor.string()
            value = cursor.value(cursor.u32())
            if value is not None:
                header.metadata[key] = value
        end = 0
        known = True
        for _ in range(tensor_count):
            name = cursor.string()
            n_dims = cursor.u32()
            dims = [cursor.u64() for _ in range(n_dims)]
            ggml_type = cursor.u32()
            offset = cursor.u64()
            nbytes = _tensor_nbytes(ggml_type, dims)
            if nbytes is None:
                known = False
            else:
                end = max(end, offset + nbytes)
                if name.startswith("blk."):
                    header.repeating_bytes += nbytes
                elif name.startswith("output"):
                    header.output_bytes += nbytes
                elif name.startswith("token_embd"):
                    header.embedding_bytes += nbytes
    except _Truncated:
        raise _incomplete(path) from None
    except (ValueError, struct.error) as exc:
        raise UserFacingError(f"The model file {path.name} is damaged ({exc}); download it again.") from exc
    alignment = int(header.metadata.get("general.alignment", 32) or 32)
    data_start = (cursor.pos + alignment - 1) // alignment * alignment
    if known:
        header.expected_size = data_start + end
        if len(data) < header.expected_size:
            raise _incomplete(path)
    return header
