"""The app's one reader of GGUF headers: what a model file says about itself, without loading its weights.

Why we parse GGUF ourselves instead of using the `gguf` package's `GGUFReader`: that reader turns every
array of the header into numpy objects, one per vocabulary entry and per merge. On a 165 MB test model with
Satori's 152,064-token vocabulary (`python -m tests.support.tiny_gguf OUT --preset bench`) reading it with
`GGUFReader` took 4-6 s; this reader takes 0.02-0.03 s including the COAT token scan (about 200x in two
side-by-side runs on 2 cores: 6.14 s vs 0.028 s, 4.14 s vs 0.022 s; the checks against damaged files
below left it as it was: 0.026 s best of 40, side by side with the reader before them), because it walks
the arrays in the memory-mapped file without building Python objects for them.
That is what a user waits for on `models import` and every model load, and a real 4.7 GB Satori file has
the same vocabulary.

Everyone who needs header facts goes through `read_gguf_header`:

* the engine, before asking llama.cpp to load a file: llama.cpp reports a bad file with a log line and a
  NULL model, which says nothing a user can act on, and its GGUF parser has had memory-safety bugs, so a
  model file is untrusted input that this reader checks first. It tells apart "this is not a GGUF file",
  "this GGUF file is incomplete", "this GGUF file is damaged" and (in the engine) "llama.cpp could not
  load it";
* the model manager (`satori_desktop.models.gguf_info`): architecture, quantisation, the model's shape for
  the memory estimates (`engine.memory.ModelShape`, with the tensor bytes by role), and whether the
  vocabulary holds given tokens (Satori's COAT tokens) and of which token type.

Scalar metadata is kept as Python values; arrays are only located (`GgufHeader.arrays`), except that the
token list is scanned for the tokens asked for by comparing bytes in place. Nothing is allocated from a
count or a length read from the file: every loop consumes bytes of the file, so a damaged count costs at
most a walk to the end of the file. The format facts below (type codes, block sizes, file-type names,
limits) are llama.cpp's; `tests/engine/test_gguf_header.py` checks them against the ggml that
llama-cpp-python bundles and the `gguf` package (a test-only dependency), and
`tests/engine/test_gguf_fuzz.py` damages real headers thousands of ways.

Incomplete or damaged? Both end in "download it again", but a user (and a bug report) should get the right
word, so the rule is:

* incomplete: what the file holds is consistent, and it ends before what it declares, inside the header (a
  field cut off, a string or array running past the end) or before the end of the tensor data. That is
  what an interrupted download or copy leaves.
* damaged: the bytes contradict the format as llama.cpp reads it: an unknown value or tensor type, an
  array of arrays, an empty, duplicate or non-UTF-8 key, an alignment that is not a power of two, a tensor
  name of 64 bytes or more, more than 4 dimensions, a row that is not whole blocks, a tensor that does not
  start where the one before it ends (llama.cpp lays tensors out back to back); or a size no real file has:
  beyond llama.cpp's own limits (a string of more than 1 GiB, an array of more than 2^30 items), beyond
  the largest possible file (2^63 bytes), a string or array running past the end that is longer than all
  the bytes before it, or an alignment larger than the whole file. The "longer than what comes before"
  test is what tells a cut from a damaged length: a download that stopped kept the file's beginning, and
  the item it stopped in (a key, a token, a chat template after the vocabulary) is smaller than the header
  before it, while a damaged length field is usually huge. Likewise a string array that runs off the end
  after strings that are not UTF-8 text is damage: the walk left the array through a damaged length and
  read tensor data as strings. These tests only choose the word for a file that is refused anyway.
  A damaged field that still reads as consistent (the last tensor's shape grown, say) cannot be told from
  a cut and reads as incomplete; the advice is the same.
"""

from __future__ import annotations

import math
import mmap
import struct
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from satori_desktop.core.errors import UserFacingError
from satori_desktop.engine.memory import ModelShape

GGUF_MAGIC = b"GGUF"
GGUF_VERSIONS = (2, 3)  # 1 had 32-bit counts; llama.cpp reads 2 and 3
# GGUF value types -> the struct of the fixed-size ones (8: string, 9: array are handled apart).
_SCALARS = {
    code: struct.Struct(fmt)
    for code, fmt in {
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
    }.items()
}
_INTEGER_TYPES = frozenset({0, 1, 2, 3, 4, 5, 10, 11})
_UINT32, _STRING, _ARRAY = 4, 8, 9
_U32 = _SCALARS[4]
_U64 = _SCALARS[10]

# Limits of the format, as llama.cpp's gguf.cpp and the GGUF spec set them.
_MAX_STRING_BYTES = 1 << 30  # GGUF_MAX_STRING_LENGTH
_MAX_ARRAY_ITEMS = 1 << 30  # GGUF_MAX_ARRAY_ELEMENTS
_MAX_KEY_BYTES = 65_535  # the spec's limit on a key
_MAX_TENSOR_NAME_BYTES = 63  # GGML_MAX_NAME is 64 with the terminating NUL
_MAX_DIMS = 4  # GGML_MAX_DIMS
_MAX_ELEMENTS = (1 << 63) - 1  # ggml counts elements in an int64
_MAX_FILE_BYTES = (1 << 63) - 1  # file offsets are signed 64-bit on every OS
# The smallest KV pair (8-byte key length, a 1-byte key, 4-byte type, 1-byte value) and tensor info
# (8-byte name length, empty name, 4-byte dimension count, 4-byte type, 8-byte offset).
_MIN_KV_BYTES = 14
_MIN_TENSOR_INFO_BYTES = 24
_DEFAULT_ALIGNMENT = 32
ALIGNMENT_KEY = "general.alignment"
# String values longer than this are stepped over, not kept: no real header has one (chat templates are a
# few KB), and keeping a damaged 1 GiB "template" would be a large allocation for nothing.
_MAX_KEPT_STRING_BYTES = 1 << 20

# `tokenizer.ggml.token_type` values (llama.cpp's llama_token_type): 1 normal, 2 unknown, 3 control,
# 4 user-defined, 5 unused, 6 byte. Only CONTROL tokens come out whole when text is tokenized with
# special=True, which is how the engine finds Satori's COAT tokens.
CONTROL_TOKEN_TYPE = 3
TOKENS_KEY = "tokenizer.ggml.tokens"
TOKEN_TYPES_KEY = "tokenizer.ggml.token_type"

# ggml tensor type -> (elements per block, bytes per block): what a tensor of that type occupies. Every type
# the bundled llama.cpp reads (it refuses the others, and so does this reader, as damage); the gaps are types
# llama.cpp has dropped. `test_type_tables_agree_with_the_bundled_ggml_and_the_gguf_package` keeps it so.
_GGML_BLOCK_SIZES: dict[int, tuple[int, int]] = {
    0: (1, 4),  # F32
    1: (1, 2),  # F16
    2: (32, 18),  # Q4_0
    3: (32, 20),  # Q4_1
    6: (32, 22),  # Q5_0
    7: (32, 24),  # Q5_1
    8: (32, 34),  # Q8_0
    9: (32, 36),  # Q8_1 (the gguf package still says 40, from when its two scales were floats)
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
    42: (64, 18),  # Q2_0
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
    41: "Q2_0",
}


class _Truncated(Exception):
    """The file ends before something its header declares: a download or copy that stopped."""


class _Damaged(Exception):
    """The header contradicts the format; the message says how, in a few words."""


def shown_text(text: str, limit: int = 80) -> str:
    """`text` (a file name, a key from a file) fit for a one-line message: no control characters, not huge."""
    printable = "".join(char if char.isprintable() else "?" for char in text[: limit + 1])
    return printable if len(printable) <= limit else printable[: limit - 1] + "…"


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
    # Scalar values by key; string values over 1 MiB are left out (see _MAX_KEPT_STRING_BYTES).
    metadata: dict[str, str | int | float | bool] = field(default_factory=dict)
    arrays: dict[str, GgufArray] = field(default_factory=dict)
    # The tokens asked for (`find_tokens`) that the vocabulary holds, by text; absent ones are left out.
    tokens: dict[str, VocabToken] = field(default_factory=dict)
    # Bytes the file must have for all its tensor data (the end of the last tensor).
    expected_size: int = 0
    # Tensor bytes by role, as llama.cpp places them when offloading (see engine.memory.ModelShape).
    repeating_bytes: int = 0
    output_bytes: int = 0
    embedding_bytes: int = 0

    @property
    def architecture(self) -> str:
        return str(self.metadata.get("general.architecture", "unknown"))

    def arch_int(self, key: str, default: int = 0) -> int:
        """The count `<arch>.<key>`; `default` when it is absent or not a number of 0 or more."""
        value = self.metadata.get(f"{self.architecture}.{key}", default)
        if isinstance(value, float) and math.isfinite(value):
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            return default
        return value

    @property
    def name(self) -> str | None:
        value = self.metadata.get("general.name")
        return value if isinstance(value, str) else None

    @property
    def quantization(self) -> str | None:
        """The quantisation name ("Q4_K_M"...) from general.file_type; None when the header does not say."""
        file_type = self.metadata.get("general.file_type")
        if isinstance(file_type, bool) or not isinstance(file_type, int):
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
    """Reads the header front to back; every read checks the end of the file first."""

    def __init__(self, data: mmap.mmap | bytes) -> None:
        self.data = data
        self.size = len(data)
        self.pos = 0

    def unpack(self, fmt: struct.Struct) -> int | float | bool:
        if self.pos + fmt.size > self.size:
            raise _Truncated
        (value,) = fmt.unpack_from(self.data, self.pos)
        self.pos += fmt.size
        return value  # type: ignore[no-any-return]

    def u32(self) -> int:
        return int(self.unpack(_U32))

    def u64(self) -> int:
        return int(self.unpack(_U64))

    def step(self, nbytes: int, what: str) -> int:
        """Step over the `nbytes` of an item (a string's bytes, an array's items); return where it starts.

        Past the end of the file is a cut, unless the item is longer than all the bytes before it (see
        "Incomplete or damaged?" in the module docstring).
        """
        start, end = self.pos, self.pos + nbytes
        if end > self.size:
            if nbytes > start:
                raise _Damaged(f"{what} of {nbytes:,} bytes running past the end of the file")
            raise _Truncated
        self.pos = end
        return start

    def string_extent(self, what: str, limit: int = _MAX_STRING_BYTES) -> tuple[int, int]:
        """Step over a string; return where its bytes start and how many there are."""
        length = self.u64()
        if length > limit:
            raise _Damaged(f"{what} of {length:,} bytes, longer than the format allows")
        return self.step(length, what), length

    def key(self) -> str:
        start, length = self.string_extent("a key", _MAX_KEY_BYTES)
        if length == 0:
            raise _Damaged("an empty key")
        try:
            return self.data[start : start + length].decode("utf-8")
        except UnicodeDecodeError:
            raise _Damaged("a key that is not UTF-8 text") from None

    def text(self, what: str, limit: int = _MAX_STRING_BYTES) -> str | None:
        """A string value; None when it is too long to keep (see _MAX_KEPT_STRING_BYTES)."""
        start, length = self.string_extent(what, limit)
        if length > _MAX_KEPT_STRING_BYTES:
            return None
        return self.data[start : start + length].decode("utf-8", errors="replace")

    def scalar(self, value_type: int) -> str | int | float | bool | None:
        if value_type == _STRING:
            return self.text("a string")
        fmt = _SCALARS.get(value_type)
        if fmt is None:
            raise _Damaged(f"unknown GGUF value type {value_type}")
        return self.unpack(fmt)

    def array(self, wanted: dict[int, dict[bytes, str]]) -> tuple[GgufArray, dict[str, int]]:
        """Step over an array (after its value type); return where it lies and the wanted strings found."""
        item_type, count = self.u32(), self.u64()
        if item_type == _ARRAY:
            raise _Damaged("an array of arrays, which llama.cpp does not read")
        if item_type != _STRING and item_type not in _SCALARS:
            raise _Damaged(f"unknown GGUF value type {item_type}")
        if count > _MAX_ARRAY_ITEMS:
            raise _Damaged(f"an array of {count:,} items, more than llama.cpp allows")
        array = GgufArray(item_type, count, self.pos)
        if item_type == _STRING:
            return array, self.scan_strings(count, wanted)
        self.step(count * _SCALARS[item_type].size, "an array")
        return array, {}

    def scan_strings(self, count: int, wanted: dict[int, dict[bytes, str]]) -> dict[str, int]:
        """Step over `count` strings; return the index of each wanted one (by text), the last if repeated.

        The hot loop of a header read (152k tokens and as many merges in Satori): one length read per
        string, and bytes are compared only for strings as long as a wanted one, so no Python object is
        built for the rest. The last occurrence wins, as in llama.cpp's text-to-id map. Lengths are checked
        only once the loop is done (or has run off the file): `check_strings` then walks the array again,
        string by string, to say what is wrong.
        """
        data, start, unpack_length = self.data, self.pos, _U64.unpack_from
        pos = start
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
        except (struct.error, OverflowError):  # a length read beyond the end of the file (or of any file)
            pos = self.size + 1
        if pos > self.size:  # ran off the end: the careful walk says where, and whether it is a cut
            self.check_strings(start, count, ran_off=True)
            raise _Truncated  # not reached: the walk raises for the string that runs off
        if pos - start - 8 * count > _MAX_STRING_BYTES:  # some string may be over llama.cpp's limit
            self.check_strings(start, count, ran_off=False)
        self.pos = pos
        return found

    def check_strings(self, start: int, count: int, *, ran_off: bool) -> None:
        """Walk `count` strings from `start` one by one, raising for the first that is wrong.

        When the fast scan ran off the end of the file this is where a cut is told from damage: a cut
        keeps whole strings up to where it falls, and a header's strings are UTF-8 text (gguf writes them
        from Python strings), so a string before the end that is not text means the walk left the array
        through a damaged length and read other bytes (tensor data, most often) as strings. Two to three
        times the fast scan: 0.08-0.12 s for all of Satori's vocabulary, on a file that is refused anyway.
        """
        data, size, unpack_length = self.data, self.size, _U64.unpack_from
        pos = start
        for _ in range(count):
            if pos + 8 > size:
                raise _Truncated
            (length,) = unpack_length(data, pos)
            if length > _MAX_STRING_BYTES or pos + 8 + length > size:
                self.pos = pos
                self.string_extent("a string")  # raises, with the words for it
            pos += 8 + length
            text = data[pos - length : pos] if ran_off else b""
            if not text.isascii():
                try:
                    text.decode("utf-8")
                except UnicodeDecodeError:
                    raise _Damaged("an array of strings that runs into bytes that are not text") from None
        self.pos = pos


def tensor_nbytes(ggml_type: int, dims: Iterable[int]) -> int | None:
    """Bytes of a tensor of this ggml type and shape; None for a type this module does not know."""
    block = _GGML_BLOCK_SIZES.get(ggml_type)
    if block is None:
        return None
    elements = math.prod(dims)
    block_elements, block_bytes = block
    return elements // block_elements * block_bytes


def _padded(offset: int, alignment: int) -> int:
    return (offset + alignment - 1) // alignment * alignment


def read_gguf_header(path: str | Path, *, find_tokens: Iterable[str] = ()) -> GgufHeader:
    """Read and check a GGUF header; a missing, foreign, incomplete or damaged file is a `UserFacingError`.

    `find_tokens`: token texts to look up in the vocabulary; those present land in `GgufHeader.tokens`
    with their id and token type.
    """
    path = Path(path)
    name = shown_text(path.name)
    try:
        if not path.exists():
            raise UserFacingError(
                f"There is no file at {shown_text(str(path), 300)} (it does not exist); check the path and "
                "choose an existing .gguf file."
            )
        if not path.is_file():
            raise UserFacingError(f"{name} is not a file; choose a .gguf model file.")
        with path.open("rb") as handle:
            magic = handle.read(4)
            if len(magic) < 4 and GGUF_MAGIC.startswith(magic):  # empty, or cut inside the magic
                raise UserFacingError(
                    f"The model file {name} is incomplete (it has only {len(magic)} bytes, as after an "
                    "interrupted download); download it again."
                )
            if magic != GGUF_MAGIC:
                raise UserFacingError(
                    f"{name} is not a GGUF model file (it does not start with 'GGUF'); choose a .gguf "
                    "file made for llama.cpp, such as a Satori-7B-Round2 quantisation."
                )
            handle.seek(0)
            # The map is closed before returning, so Windows lets the caller rename or delete the file.
            with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
                return _parse(data, name, find_tokens)
    except OSError as exc:
        raise UserFacingError(
            f"The model file {shown_text(str(path), 300)} could not be read "
            f"({exc.strerror or type(exc).__name__}); check the file."
        ) from exc


def _parse(data: mmap.mmap | bytes, name: str, find_tokens: Iterable[str]) -> GgufHeader:
    wanted: dict[int, dict[bytes, str]] = {}
    for text in find_tokens:
        encoded = text.encode("utf-8")
        wanted.setdefault(len(encoded), {})[encoded] = text
    cursor = _Cursor(data)
    try:
        cursor.pos = 4
        header = _parse_header(cursor, name, wanted)
    except _Truncated:
        raise UserFacingError(
            f"The header of {name} cannot be read because the file is incomplete (it ends inside its "
            "header, as after an interrupted download); download it again."
        ) from None
    except _Damaged as exc:
        raise UserFacingError(
            f"The header of {name} cannot be read ({exc}): the file is damaged; download it again."
        ) from None
    if len(data) < header.expected_size:
        raise UserFacingError(
            f"The model file {name} is incomplete (its tensor data ends before its header says it "
            "should, as after an interrupted download); download it again."
        )
    return header


def _parse_header(cursor: _Cursor, name: str, wanted: dict[int, dict[bytes, str]]) -> GgufHeader:
    version = cursor.u32()
    if version not in GGUF_VERSIONS:
        if version == 1:
            raise UserFacingError(f"{name} uses GGUF version 1, which is too old; get a newer file.")
        if version in (0x02000000, 0x03000000):
            raise UserFacingError(
                f"{name} is a big-endian GGUF file, which llama.cpp cannot run on this computer; choose "
                "the usual (little-endian) .gguf file."
            )
        if 3 < version < 16:
            raise UserFacingError(
                f"{name} uses GGUF version {version}, newer than this app's llama.cpp reads (or the file is "
                "damaged); update Satori Desktop or download the file again."
            )
        raise _Damaged(f"GGUF version {version} does not exist")
    tensor_count = cursor.u64()
    kv_count = cursor.u64()
    if tensor_count > _MAX_FILE_BYTES // _MIN_TENSOR_INFO_BYTES:
        raise _Damaged(f"{tensor_count:,} tensors, more than any file can hold")
    if kv_count > _MAX_FILE_BYTES // _MIN_KV_BYTES:
        raise _Damaged(f"{kv_count:,} key-value pairs, more than any file can hold")
    header = GgufHeader(version=version, file_size=cursor.size)
    token_ids: dict[str, int] = {}
    keys: set[str] = set()
    for _ in range(kv_count):
        key = cursor.key()
        if key in keys:
            raise _Damaged(f"the key '{shown_text(key)}' twice")
        keys.add(key)
        value_type = cursor.u32()
        if key == ALIGNMENT_KEY and value_type != _UINT32:
            raise _Damaged(f"'{ALIGNMENT_KEY}' of value type {value_type}, not a 32-bit unsigned number")
        if value_type == _ARRAY:
            array, found = cursor.array(wanted if key == TOKENS_KEY else {})
            header.arrays[key] = array
            if key == TOKENS_KEY:
                token_ids = found
            continue
        value = cursor.scalar(value_type)
        if value is not None:
            header.metadata[key] = value

    alignment = int(header.metadata.get(ALIGNMENT_KEY, _DEFAULT_ALIGNMENT))
    if alignment == 0 or alignment & (alignment - 1):
        raise _Damaged(f"an alignment of {alignment:,}, which is not a power of two")
    if tensor_count and alignment > cursor.size:  # (the default, 32, is no damage in a tiny file)
        raise _Damaged(f"an alignment of {alignment:,} bytes, more than the whole file")

    _read_tensor_infos(cursor, header, tensor_count, alignment)
    header.tokens = _with_token_types(cursor.data, header.arrays.get(TOKEN_TYPES_KEY), token_ids)
    return header


def _read_tensor_infos(cursor: _Cursor, header: GgufHeader, tensor_count: int, alignment: int) -> None:
    """Check the tensor infos the way llama.cpp does; set the tensor bytes by role and the expected size."""
    names: set[str] = set()
    next_offset = 0  # where the next tensor must start: llama.cpp lays them out back to back, each padded
    end = 0
    has_output = False
    for _ in range(tensor_count):
        tensor = cursor.text("a tensor name", _MAX_TENSOR_NAME_BYTES) or ""
        if tensor in names:
            raise _Damaged(f"two tensors named '{shown_text(tensor)}'")
        names.add(tensor)
        n_dims = cursor.u32()
        if n_dims > _MAX_DIMS:
            raise _Damaged(f"tensor '{shown_text(tensor)}' with {n_dims:,} dimensions (ggml has at most 4)")
        dims = [cursor.u64() for _ in range(n_dims)]
        elements = math.prod(dims)
        if max(dims, default=0) > _MAX_ELEMENTS or elements > _MAX_ELEMENTS:
            raise _Damaged(
                f"tensor '{shown_text(tensor)}' of shape {dims}, more elements than ggml can count"
            )
        ggml_type = cursor.u32()
        block = _GGML_BLOCK_SIZES.get(ggml_type)
        if block is None:
            raise _Damaged(f"tensor '{shown_text(tensor)}' of unknown type {ggml_type}")
        block_elements, block_bytes = block
        if (dims[0] if dims else 1) % block_elements:
            raise _Damaged(f"tensor '{shown_text(tensor)}' with rows that are not whole blocks of its type")
        nbytes = elements // block_elements * block_bytes
        offset = cursor.u64()
        if offset != next_offset:
            raise _Damaged(
                f"tensor '{shown_text(tensor)}' at byte {offset:,} of the tensor data, not {next_offset:,} "
                "where the one before it ends"
            )
        next_offset = offset + _padded(nbytes, alignment)
        end = offset + nbytes
        has_output = has_output or tensor == "output.weight"
        if tensor.startswith("blk."):
            header.repeating_bytes += nbytes
        elif tensor.startswith("token_embd"):
            header.embedding_bytes += nbytes
        else:  # output.weight, output_norm.weight (and rope tables on some architectures)
            header.output_bytes += nbytes
    if not has_output:
        # Tied embeddings: llama.cpp reuses token_embd as the output projection, on the GPU too.
        header.output_bytes += header.embedding_bytes
    # The tensor data starts at the next multiple of the alignment; a file without tensors has none.
    data_start = _padded(cursor.pos, alignment) if tensor_count else cursor.pos
    if data_start + end > _MAX_FILE_BYTES:
        raise _Damaged(f"{end:,} bytes of tensor data, more than any file can hold")
    header.expected_size = data_start + end


def _with_token_types(
    data: mmap.mmap | bytes, types: GgufArray | None, token_ids: dict[str, int]
) -> dict[str, VocabToken]:
    """The type of each found token, read straight from the type array (int32 in llama.cpp's files)."""
    fmt = _SCALARS[types.item_type] if types is not None and types.item_type in _INTEGER_TYPES else None
    found: dict[str, VocabToken] = {}
    for text, index in token_ids.items():
        token_type: int | None = None
        if types is not None and fmt is not None and index < types.count:
            # In bounds: the whole array was stepped over while parsing.
            token_type = int(fmt.unpack_from(data, types.offset + index * fmt.size)[0])
        found[text] = VocabToken(index, token_type)
    return found
