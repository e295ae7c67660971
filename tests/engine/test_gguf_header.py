"""The app's own GGUF header reader, checked against the `gguf` package's reader on files it wrote.

The `gguf` package is the reference here (it is a test-only dependency): what our reader finds in place
(token ids and types, tensor bytes, quantisation) must be what `GGUFReader` decodes the slow way.
"""

from __future__ import annotations

import struct
from pathlib import Path

import gguf
import pytest

from satori_desktop.core.errors import UserFacingError
from satori_desktop.engine import gguf_header
from satori_desktop.engine.gguf_header import CONTROL_TOKEN_TYPE, read_gguf_header
from tests.support.tiny_gguf import COAT_TOKENS, write_tiny_gguf, write_truncated_copy


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


def test_type_tables_agree_with_the_gguf_package() -> None:
    for ggml_type, (block_elements, block_bytes) in gguf_header._GGML_BLOCK_SIZES.items():
        reference = gguf.constants.GGML_QUANT_SIZES[gguf.GGMLQuantizationType(ggml_type)]
        assert (block_elements, block_bytes) == reference, ggml_type
    for file_type, name in gguf_header.FILE_TYPE_NAMES.items():
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
