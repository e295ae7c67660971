"""What the model manager reads from a GGUF header: COAT tokens, quantisation, required fields, bad files."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import gguf
import numpy as np
import pytest

from satori_desktop.core.errors import UserFacingError
from satori_desktop.models.gguf_info import COAT_TOKENS, check_loadable_model, read_gguf_info
from tests.support.tiny_gguf import write_tiny_gguf, write_truncated_copy


def _header_only_gguf(
    path: Path,
    *,
    file_type: int | None = None,
    block_count: bool = True,
    extra: Callable[[gguf.GGUFWriter], None] | None = None,
    architecture: str = "qwen2",
) -> Path:
    """A qwen2 GGUF with the fields the app reads and two small tensors, for the cases tiny_gguf lacks.

    `extra` adds KV pairs of its own (with `block_count=False`, its own layer count).
    """
    writer = gguf.GGUFWriter(str(path), architecture)
    if extra is not None:
        extra(writer)
    if block_count:
        writer.add_block_count(2)
    writer.add_embedding_length(64)
    writer.add_head_count(4)
    if file_type is not None:
        writer.add_file_type(file_type)
    writer.add_token_list(["a", "b", *COAT_TOKENS])
    writer.add_token_types([1, 1, 3, 3, 3])
    writer.add_tensor("token_embd.weight", np.ones((5, 64), dtype=np.float32))
    writer.add_tensor("output_norm.weight", np.ones(64, dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file(progress=False)
    writer.close()
    return path


def test_coat_tokens_that_are_not_control_tokens_are_named(tmp_path: Path) -> None:
    one = read_gguf_info(
        write_tiny_gguf(tmp_path / "one.gguf", coat_tokens=False, extra_pieces=["<|reflect|>"])
    )
    assert one.coat_tokens == {"<|continue|>": False, "<|reflect|>": True, "<|explore|>": False}
    assert one.coat_tokens_not_control == ("<|reflect|>",) and not one.is_satori
    missing, not_control = check_loadable_model(one)
    assert "no <|continue|>, <|explore|> token(s)" in missing
    assert "<|reflect|> are not control tokens" in not_control

    spelt = write_tiny_gguf(tmp_path / "all.gguf", coat_tokens=False, extra_pieces=COAT_TOKENS)
    all_three = read_gguf_info(spelt)
    assert all_three.has_coat_tokens and all_three.coat_tokens_not_control == COAT_TOKENS
    assert check_loadable_model(all_three) == [
        f"In all.gguf the token(s) {', '.join(COAT_TOKENS)} are not control tokens: reasoning steps may not "
        "be recognised."
    ]


def test_satori_and_other_models(tmp_path: Path) -> None:
    satori = read_gguf_info(write_tiny_gguf(tmp_path / "satori.gguf"))
    assert satori.is_satori and satori.coat_tokens_not_control == () and check_loadable_model(satori) == []
    assert satori.to_dict()["coat_tokens"] == dict.fromkeys(COAT_TOKENS, True)
    assert satori.shape.n_vocab == 451 and satori.name == "tiny-test-model"

    plain = read_gguf_info(write_tiny_gguf(tmp_path / "plain.gguf", coat_tokens=False))
    assert plain.coat_tokens == dict.fromkeys(COAT_TOKENS, False) and not plain.is_satori

    llama = read_gguf_info(write_tiny_gguf(tmp_path / "llama.gguf", architecture="llama"))
    assert llama.has_coat_tokens and not llama.is_satori
    assert "llama model, not Satori" in check_loadable_model(llama)[0]


@pytest.mark.parametrize(
    ("file_type", "name"), [(15, "Q4_K_M"), (14, "Q4_K_S"), (18, "Q6_K"), (999, "type 999")]
)
def test_quantisation_is_named_from_the_file_type(tmp_path: Path, file_type: int, name: str) -> None:
    info = read_gguf_info(_header_only_gguf(tmp_path / "q.gguf", file_type=file_type))
    assert info.quantization == name
    assert info.is_satori  # the COAT tokens are CONTROL tokens of a qwen2 vocabulary


def test_missing_file_type_and_tied_embeddings(tmp_path: Path) -> None:
    info = read_gguf_info(_header_only_gguf(tmp_path / "q.gguf"))
    assert info.quantization is None
    # No output.weight: llama.cpp uses token_embd as the output projection, so it counts there too.
    assert info.shape.embedding_bytes == 5 * 64 * 4
    assert info.shape.output_bytes == 64 * 4 + 5 * 64 * 4
    assert (info.shape.n_vocab, info.shape.head_dim, info.shape.n_head_kv) == (5, 16, 4)


def test_a_header_without_the_layer_count_is_refused(tmp_path: Path) -> None:
    path = _header_only_gguf(tmp_path / "no-layers.gguf", block_count=False)
    with pytest.raises(UserFacingError, match=r"lacks 'qwen2\.block_count'.*llama\.cpp cannot load it"):
        read_gguf_info(path)


@pytest.mark.parametrize(
    ("keep_fraction", "expected"),
    [(0.01, "header of .* cannot be read because the file is incomplete"), (0.9, "incomplete.*tensor data")],
)
def test_truncated_files_are_incomplete(tmp_path: Path, keep_fraction: float, expected: str) -> None:
    source = write_tiny_gguf(tmp_path / "whole.gguf")
    cut = write_truncated_copy(source, tmp_path / "cut.gguf", keep_fraction)
    with pytest.raises(UserFacingError, match=expected):
        read_gguf_info(cut)


@pytest.mark.parametrize(
    ("add", "shown"),
    [
        (lambda w: w.add_int32("qwen2.block_count", -1), "(-1)"),
        (lambda w: w.add_uint32("qwen2.block_count", 0), "(0)"),
        (lambda w: w.add_uint64("qwen2.block_count", 2**32), "(4294967296)"),
        (lambda w: w.add_float32("qwen2.block_count", 2.0), "(2.0)"),
        (lambda w: w.add_bool("qwen2.block_count", True), "(True)"),
        (lambda w: w.add_string("qwen2.block_count", "2\nlayers"), "('2\\nlayers')"),
    ],
)
def test_an_impossible_layer_count_is_damage(
    tmp_path: Path, add: Callable[[gguf.GGUFWriter], None], shown: str
) -> None:
    """A layer count the memory estimates would plan with (negative, 0, 2^32, a float...) is refused."""
    path = _header_only_gguf(tmp_path / "odd.gguf", block_count=False, extra=add)
    with pytest.raises(UserFacingError) as raised:
        read_gguf_info(path)
    assert str(raised.value) == (
        f"odd.gguf has an impossible 'qwen2.block_count' in its header {shown}: the file is damaged; "
        "download it again."
    )


def test_optional_counts_that_are_not_counts_read_as_unknown(tmp_path: Path) -> None:
    # Before: int(nan) raised ValueError out of read_gguf_info.
    def odd(writer: gguf.GGUFWriter) -> None:
        writer.add_float32("qwen2.context_length", math.nan)
        writer.add_float32("qwen2.vocab_size", math.inf)
        writer.add_int32("qwen2.attention.head_count_kv", -4)

    info = read_gguf_info(_header_only_gguf(tmp_path / "odd.gguf", extra=odd))
    assert (info.n_ctx_train, info.shape.n_vocab, info.shape.n_head_kv) == (0, 5, 4)


def test_names_from_the_file_stay_on_one_line(tmp_path: Path) -> None:
    info = read_gguf_info(_header_only_gguf(tmp_path / "odd.gguf", architecture="llama\nx"))
    assert info.architecture == "llama\nx"
    assert check_loadable_model(info)[0].startswith("odd.gguf is a llama?x model, not Satori (qwen2): ")
