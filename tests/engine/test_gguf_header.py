"""The app's own GGUF header reader, checked against the `gguf` package's reader on files it wrote.

The `gguf` package is the reference here (it is a test-only dependency): what our reader finds in place
(token ids and types, tensor bytes, quantisation) must be what `GGUFReader` decodes the slow way.
"""

from __future__ import annotations

import ctypes
import math
import re
import struct
from pathlib import Path

import gguf
import pytest

from satori_desktop.core.errors import UserFacingError
from satori_desktop.engine import gguf_header
from satori_desktop.engine.gguf_header import CONTROL_TOKEN_TYPE, TOKENS_KEY, read_gguf_header
from tests.support.tiny_gguf import (
    COAT_TOKENS,
    GGUF_ARRAY,
    GGUF_STRING,
    GGUF_UINT32,
    gguf_fields,
    gguf_kv,
    gguf_string,
    with_extra_kv,
    write_tiny_gguf,
    write_truncated_copy,
)


def _reference_tokens(path: Path) -> tuple[list[str], list[int]]:
    reader = gguf.GGUFReader(path, "r")
    tokens = reader.get_field("tokenizer.ggml.tokens")
    types = reader.get_field("tokenizer.ggml.token_type")
    assert tokens is not None and types is not None
    return list(tokens.contents()), [int(t) for t in types.contents()]


@pytest.mark.parametrize("architecture", ["qwen2", "llama"])
def test_coat_tokens_are_found_as_control_tokens_with_their_ids(tmp_path: Path, architecture: str) -> None:
    path = write_tiny_gguf(tmp_path / "model.gguf", architecture=architecture)
    header = read_gguf_header(path, find_tokens=[*COAT_TOKENS, "<|im_end|>"])
    tokens, types = _reference_tokens(path)

    assert set(header.tokens) == {*COAT_TOKENS, "<|im_end|>"}
    for text, found in header.tokens.items():
        assert found.index == tokens.index(text)
        assert found.token_type == types[found.index] == CONTROL_TOKEN_TYPE
        assert found.is_control
    assert header.arrays["tokenizer.ggml.tokens"].count == len(tokens) == header.n_vocab


def test_every_token_of_a_vocabulary_is_found_with_its_id_and_type(tiny_model: Path) -> None:
    tokens, types = _reference_tokens(tiny_model)
    header = read_gguf_header(tiny_model, find_tokens=tokens)
    expected = {text: (index, types[index]) for index, text in enumerate(tokens)}
    assert {text: (t.index, t.token_type) for text, t in header.tokens.items()} == expected
    assert {1, 3} <= {token_type for _, token_type in expected.values()}


def test_absent_coat_tokens_are_not_found(tmp_path: Path) -> None:
    path = write_tiny_gguf(tmp_path / "plain.gguf", coat_tokens=False)
    header = read_gguf_header(path, find_tokens=COAT_TOKENS)
    assert header.tokens == {}
    # Same length as `<|reflect|>` and `<|explore|>`, so the scan compares its bytes: found, not a miss.
    assert read_gguf_header(path, find_tokens=["<|im_end|>"]).tokens["<|im_end|>"].is_control


def test_coat_token_spelt_as_a_normal_token_is_found_but_not_control(tmp_path: Path) -> None:
    # A BPE merge chain that builds "<|reflect|>" from bytes: in the vocabulary, but as a NORMAL token.
    path = write_tiny_gguf(tmp_path / "spelt.gguf", coat_tokens=False, extra_pieces=["<|reflect|>"])
    header = read_gguf_header(path, find_tokens=COAT_TOKENS)
    tokens, types = _reference_tokens(path)

    assert set(header.tokens) == {"<|reflect|>"}
    reflect = header.tokens["<|reflect|>"]
    assert reflect.index == tokens.index("<|reflect|>")
    assert reflect.token_type == types[reflect.index] == 1
    assert not reflect.is_control


def test_no_tokens_are_looked_up_unless_asked(tiny_model: Path) -> None:
    assert read_gguf_header(tiny_model).tokens == {}


@pytest.mark.parametrize("random_weights", [False, True])  # all F32; F16 matrices with F32 vectors
def test_tensor_bytes_and_shape_match_the_reference_reader(tmp_path: Path, random_weights: bool) -> None:
    path = write_tiny_gguf(tmp_path / "model.gguf", random_weights=random_weights)
    header = read_gguf_header(path)
    reader = gguf.GGUFReader(path, "r")

    def total(prefix: str) -> int:
        return sum(int(t.n_bytes) for t in reader.tensors if t.name.startswith(prefix))

    assert header.repeating_bytes == total("blk.")
    assert header.embedding_bytes == total("token_embd")
    assert header.output_bytes == total("output")  # output.weight + output_norm.weight, not tied
    assert header.expected_size == path.stat().st_size
    assert header.quantization == ("F16" if random_weights else "F32")
    shape = header.model_shape()
    assert (shape.n_layers, shape.n_embd, shape.n_head, shape.n_head_kv, shape.head_dim) == (2, 64, 4, 2, 16)
    assert (shape.n_ctx_train, shape.file_size_bytes, shape.architecture) == (4096, header.file_size, "qwen2")
    assert header.name == "tiny-test-model"


def _bundled_ggml_block_sizes() -> dict[int, tuple[int, int]]:
    """(elements, bytes) per block of every tensor type the ggml bundled with llama-cpp-python reads."""
    import llama_cpp
    from llama_cpp._ggml import libggml  # the ggml library llama-cpp-python loads

    blck_size, type_size = libggml.ggml_blck_size, libggml.ggml_type_size
    blck_size.restype, blck_size.argtypes = ctypes.c_int64, [ctypes.c_int]
    type_size.restype, type_size.argtypes = ctypes.c_size_t, [ctypes.c_int]
    return {
        ggml_type: (int(blck_size(ggml_type)), int(type_size(ggml_type)))
        for ggml_type in range(llama_cpp.GGML_TYPE_COUNT)
        if blck_size(ggml_type)  # 0 for the types ggml has dropped
    }


def test_type_tables_agree_with_the_bundled_ggml_and_the_gguf_package() -> None:
    # Tensor types: exactly those the bundled llama.cpp reads, since the reader refuses the others as damage
    # (the gguf package lags: it lacks Q2_0 and still has Q8_1 at 40 bytes, ggml at 36).
    assert _bundled_ggml_block_sizes() == gguf_header._GGML_BLOCK_SIZES
    for ggml_type, (block_elements, block_bytes) in gguf_header._GGML_BLOCK_SIZES.items():
        if ggml_type in {t.value for t in gguf.GGMLQuantizationType} and ggml_type != 9:
            reference = gguf.constants.GGML_QUANT_SIZES[gguf.GGMLQuantizationType(ggml_type)]
            assert (block_elements, block_bytes) == reference, ggml_type
    for file_type, name in gguf_header.FILE_TYPE_NAMES.items():
        if file_type in {t.value for t in gguf.LlamaFileType}:
            reference_name = gguf.LlamaFileType(file_type).name.removeprefix("MOSTLY_").removeprefix("ALL_")
            assert name == reference_name, file_type
    # Every quantisation Satori is published in has a name, and its tensor types a size.
    assert {"Q4_K_S", "Q4_K_M", "Q6_K", "Q8_0", "F16"} <= set(gguf_header.FILE_TYPE_NAMES.values())
    assert {2, 8, 12, 13, 14} <= set(gguf_header._GGML_BLOCK_SIZES)


def test_every_cut_of_a_file_is_reported_as_incomplete(tiny_model: Path, tmp_path: Path) -> None:
    """A download can stop anywhere: inside the header's arrays, its tensor infos, or the tensor data."""
    size = tiny_model.stat().st_size
    data_offset = gguf.GGUFReader(tiny_model, "r").data_offset
    header_cuts = list(range(4, data_offset, 53))
    data_cuts = [data_offset, data_offset + 1, (data_offset + size) // 2, size - 1]
    cut = tmp_path / "cut.gguf"
    for keep in header_cuts + data_cuts:
        write_truncated_copy(tiny_model, cut, keep / size)
        kept = cut.stat().st_size
        assert kept < size
        with pytest.raises(UserFacingError, match="incomplete") as raised:
            read_gguf_header(cut, find_tokens=COAT_TOKENS)
        # A cut in the header is reported as such, one in the tensor data as missing data (the padding of
        # up to 32 bytes between the two may read as either).
        if kept <= data_offset - 32:
            assert "ends inside its header" in str(raised.value), kept
        elif kept >= data_offset:
            assert "tensor data ends" in str(raised.value), kept
    assert read_gguf_header(tiny_model).expected_size == size


def test_a_file_of_only_the_magic_is_incomplete(tmp_path: Path) -> None:
    path = tmp_path / "magic.gguf"
    path.write_bytes(b"GGUF")
    with pytest.raises(UserFacingError, match="incomplete"):
        read_gguf_header(path)


def test_an_unknown_value_type_is_a_damaged_header(tiny_model: Path, tmp_path: Path) -> None:
    data = bytearray(tiny_model.read_bytes())
    # magic, version, tensor count, KV count; then the first key (u64 length + text) and its u32 value type.
    (key_length,) = struct.unpack_from("<Q", data, 24)
    struct.pack_into("<I", data, 32 + key_length, 99)
    damaged = tmp_path / "damaged.gguf"
    damaged.write_bytes(bytes(data))
    with pytest.raises(UserFacingError, match=r"cannot be read \(unknown GGUF value type 99\).*damaged"):
        read_gguf_header(damaged)


def test_a_foreign_file_and_a_folder_are_refused(tmp_path: Path) -> None:
    zip_file = tmp_path / "model.gguf"
    zip_file.write_bytes(b"PK\x03\x04 a zip, not a model")
    with pytest.raises(UserFacingError, match="not a GGUF model file"):
        read_gguf_header(zip_file)
    with pytest.raises(UserFacingError, match="is not a file"):
        read_gguf_header(tmp_path)
    with pytest.raises(UserFacingError, match=r"There is no file at .* does not exist"):
        read_gguf_header(tmp_path / "nowhere.gguf")


# -- a model file is untrusted input: damaged or incomplete, and never anything but one sentence -------------
# (tests/engine/test_gguf_fuzz.py does this thousands of times; these are the readable examples.)


def _raw_gguf(*kvs: bytes, version: int = 3) -> bytes:
    """A GGUF file with these KV pairs and no tensors, written by hand (the gguf package refuses oddities)."""
    return b"GGUF" + struct.pack("<IQQ", version, 0, len(kvs)) + b"".join(kvs)


def _damage(tiny_model: Path, tmp_path: Path, kind: str, owner: str, value: bytes, nth: int = 0) -> Path:
    """A copy of the tiny model with the `nth` field of this kind (of this key or tensor) overwritten."""
    data = bytearray(tiny_model.read_bytes())
    field = [f for f in gguf_fields(bytes(data)) if f.kind == kind and f.owner == owner][nth]
    data[field.start : field.start + len(value)] = value
    out = tmp_path / "damaged.gguf"
    out.write_bytes(bytes(data))
    return out


U64 = struct.Struct("<Q").pack
U32 = struct.Struct("<I").pack


@pytest.mark.parametrize(
    ("kind", "owner", "value", "reason"),
    [
        (
            "key_length",
            "general.name",
            U64(2**60),
            "a key of 1,152,921,504,606,846,976 bytes, longer than the",
        ),
        ("string_length", "general.name", U64(2**63), "a string of 9,223,372,036,854,775,808 bytes"),
        ("string_length", "general.name", U64(10**6), "a string of 1,000,000 bytes running past the end"),
        ("item_count", TOKENS_KEY, U64(2**64 - 1), "an array of 18,446,744,073,709,551,615 items"),
        ("item_type", TOKENS_KEY, U32(9), "an array of arrays"),
        ("item_type", TOKENS_KEY, U32(77), "unknown GGUF value type 77"),
        ("item_length", TOKENS_KEY, U64(2**40), "a string of 1,099,511,627,776 bytes"),
        ("value_type", "qwen2.block_count", U32(2**32 - 1), "unknown GGUF value type 4294967295"),
        ("key", "general.file_type", b"qwen2.block_count", "the key 'qwen2.block_count' twice"),
        ("tensor_name_length", "output.weight", U64(64), "a tensor name of 64 bytes"),
        ("tensor_name", "blk.1.attn_q.weight", b"blk.0", "two tensors named 'blk.0.attn_q.weight'"),
        ("n_dims", "output.weight", U32(5), "tensor 'output.weight' with 5 dimensions"),
        ("dim", "token_embd.weight", U64(2**63), "more elements than ggml can count"),
        ("tensor_type", "output_norm.weight", U32(4), "tensor 'output_norm.weight' of unknown type 4"),
        ("tensor_type", "output_norm.weight", U32(12), "rows that are not whole blocks of its type"),
        ("tensor_offset", "output.weight", U64(0), "at byte 0 of the tensor data, not 412,672 where the"),
    ],
)
def test_a_full_size_file_with_a_damaged_field_is_damaged(
    tiny_model: Path, tmp_path: Path, kind: str, owner: str, value: bytes, reason: str
) -> None:
    path = _damage(tiny_model, tmp_path, kind, owner, value)
    with pytest.raises(UserFacingError) as raised:
        read_gguf_header(path, find_tokens=COAT_TOKENS)
    message = str(raised.value)
    assert reason in message and message.endswith(": the file is damaged; download it again."), message
    assert "incomplete" not in message


def test_a_token_length_that_jumps_into_the_tensor_data_is_damage_not_a_cut(
    tiny_model: Path, tmp_path: Path
) -> None:
    # One flipped bit: a token 32 KB longer, so the walk goes on in the tensor data and off the end.
    path = _damage(tiny_model, tmp_path, "item_length", TOKENS_KEY, U64(2 + 2**15), nth=100)
    with pytest.raises(UserFacingError, match=r"runs into bytes that are not text\): the file is damaged"):
        read_gguf_header(path)


def test_the_last_tensor_grown_reads_as_incomplete(tiny_model: Path, tmp_path: Path) -> None:
    """The one damage that cannot be told from a cut: the header is consistent and wants more data."""
    path = _damage(tiny_model, tmp_path, "dim", "output.weight", U64(64 * 2), nth=0)
    with pytest.raises(UserFacingError, match=r"incomplete \(its tensor data ends before"):
        read_gguf_header(path)


def test_alignment_must_be_a_power_of_two_as_u32(tiny_model: Path, tmp_path: Path) -> None:
    data = tiny_model.read_bytes()
    for kv, reason in [
        (gguf_kv("general.alignment", GGUF_UINT32, U32(0)), "an alignment of 0, which is not a power of two"),
        (
            gguf_kv("general.alignment", GGUF_UINT32, U32(48)),
            "an alignment of 48, which is not a power of two",
        ),
        (gguf_kv("general.alignment", GGUF_UINT32, U32(2**31)), "more than the whole file"),
        (
            gguf_kv("general.alignment", GGUF_STRING, gguf_string("32")),
            "of value type 8, not a 32-bit unsigned",
        ),
    ]:
        path = tmp_path / "aligned.gguf"
        path.write_bytes(with_extra_kv(data, kv))
        with pytest.raises(UserFacingError, match=re.escape(reason) + r".*: the file is damaged"):
            read_gguf_header(path)
    path.write_bytes(with_extra_kv(data, gguf_kv("general.alignment", GGUF_UINT32, U32(32))))
    assert read_gguf_header(path).expected_size == path.stat().st_size


def test_a_file_without_tensors_needs_no_padding(tmp_path: Path) -> None:
    # Before: the missing padding after the last KV pair read as "incomplete tensor data".
    path = tmp_path / "vocab-only.gguf"
    path.write_bytes(_raw_gguf(gguf_kv("general.architecture", GGUF_STRING, gguf_string("qwen2"))))
    header = read_gguf_header(path)
    assert header.architecture == "qwen2" and header.expected_size == path.stat().st_size


@pytest.mark.parametrize(
    ("version", "message"),
    [
        (0, r"cannot be read \(GGUF version 0 does not exist\): the file is damaged; download it again\."),
        (1, r"uses GGUF version 1, which is too old; get a newer file\."),
        (4, r"uses GGUF version 4, newer than this app's llama.cpp reads \(or the file is damaged\); update"),
        (0x03000000, r"is a big-endian GGUF file"),
        (0x00030003, r"GGUF version 196611 does not exist\): the file is damaged"),
    ],
)
def test_versions_other_than_2_and_3(tmp_path: Path, version: int, message: str) -> None:
    path = tmp_path / "version.gguf"
    path.write_bytes(_raw_gguf(version=version))
    with pytest.raises(UserFacingError, match=message):
        read_gguf_header(path)
    path.write_bytes(_raw_gguf(version=2))
    assert read_gguf_header(path).version == 2


@pytest.mark.parametrize("content", [b"", b"G", b"GGU"])
def test_a_file_cut_inside_the_magic_is_incomplete(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "short.gguf"
    path.write_bytes(content)
    with pytest.raises(
        UserFacingError, match=rf"short.gguf is incomplete \(it has only {len(content)} bytes"
    ):
        read_gguf_header(path)


def test_names_from_the_file_system_and_the_file_stay_on_one_line(tmp_path: Path) -> None:
    path = tmp_path / "two\nlines.gguf"
    path.write_bytes(_raw_gguf(gguf_kv("a\nb", GGUF_UINT32, U32(1)), gguf_kv("a\nb", GGUF_UINT32, U32(1))))
    with pytest.raises(UserFacingError) as raised:
        read_gguf_header(path)
    assert str(raised.value) == (
        "The header of two?lines.gguf cannot be read (the key 'a?b' twice): the file is damaged; download it "
        "again."
    )


def test_values_that_are_not_counts_read_as_absent(tmp_path: Path) -> None:
    # NaN, infinity, negative numbers and booleans where a count belongs: before, int(nan) raised ValueError.
    kvs = [
        gguf_kv("general.architecture", GGUF_STRING, gguf_string("qwen2")),
        gguf_kv("qwen2.context_length", 6, struct.pack("<f", math.nan)),
        gguf_kv("qwen2.vocab_size", 6, struct.pack("<f", math.inf)),
        gguf_kv("qwen2.block_count", 5, struct.pack("<i", -2)),
        gguf_kv("qwen2.embedding_length", 7, b"\x01"),
        gguf_kv("qwen2.attention.head_count", 6, struct.pack("<f", 4.0)),
        gguf_kv("general.file_type", 7, b"\x01"),
    ]
    path = tmp_path / "odd.gguf"
    path.write_bytes(_raw_gguf(*kvs))
    header = read_gguf_header(path)
    shape = header.model_shape()
    assert (shape.n_ctx_train, shape.n_vocab, shape.n_layers, shape.n_embd, shape.n_head) == (0, 0, 0, 0, 4)
    assert header.quantization is None


def test_token_types_that_are_not_integers_are_not_read(tmp_path: Path) -> None:
    # Before: a float64 type array holding NaN made int() raise ValueError.
    kvs = [
        gguf_kv(TOKENS_KEY, GGUF_ARRAY, U32(GGUF_STRING) + U64(1) + gguf_string("<|reflect|>")),
        gguf_kv("tokenizer.ggml.token_type", GGUF_ARRAY, U32(12) + U64(1) + struct.pack("<d", math.nan)),
    ]
    path = tmp_path / "float-types.gguf"
    path.write_bytes(_raw_gguf(*kvs))
    assert read_gguf_header(path, find_tokens=["<|reflect|>"]).tokens["<|reflect|>"].token_type is None


def test_a_string_value_over_1_mib_is_stepped_over_not_kept(tiny_model: Path, tmp_path: Path) -> None:
    path = tmp_path / "long-template.gguf"
    template = gguf_kv("tokenizer.chat_template", GGUF_STRING, gguf_string("x" * (2**20 + 1)))
    path.write_bytes(with_extra_kv(tiny_model.read_bytes(), template))
    header = read_gguf_header(path)
    assert "tokenizer.chat_template" not in header.metadata and header.name == "tiny-test-model"


def test_a_path_the_system_refuses_is_a_sentence(tmp_path: Path) -> None:
    # Before: Path.exists() raised OSError (ENAMETOOLONG) outside the reader's error handling.
    with pytest.raises(UserFacingError, match=r"could not be read \(File name too long\); check the file\.$"):
        read_gguf_header(tmp_path / ("x" * 300 + ".gguf"))
