"""The GGUF header reader against damaged real headers: a header or one sentence, fast and small, every time.

A model file is untrusted input (issue 7): people download GGUFs from anywhere and llama.cpp's own GGUF
parser has had memory-safety bugs, so `read_gguf_header` runs first and must survive anything. These tests
take files from the factory (a small qwen2 model, and one with Satori's full 152,064-token vocabulary) and
damage them in every region of the format (`tests.support.tiny_gguf.gguf_fields` says where each field lies):

* cuts at the first, second and last byte of every field and inside the tensor data: always "incomplete";
* systematic damage, field by field: every byte of the counts, lengths, type codes, dimensions and offsets
  flipped; each of them set to 0, 2^31, 2^32, 2^60, 2^63, 2^64-1, the file size...; type codes set to every
  GGUF value type and beyond; bytes of keys, names and strings flipped. The file keeps its size, so the
  answer is never "incomplete", except where damage cannot be told from a cut (the last tensor's shape:
  see the reader's docstring);
* seeded random damage: 1 to 8 bytes overwritten anywhere in the header;
* hand-made KV pairs: duplicate keys, arrays of arrays, unknown item types, alignments 0, 3, 2^31 or of the
  wrong type;
* hypothesis: a few of those at once, with cut, deleted and duplicated spans (derandomized: the same cases
  on every run).

Every result must be a parsed header (whose accessors, and `read_gguf_info`, then work) or a
`UserFacingError` whose message is one sentence saying what to do; never another exception, never more than
1 s of CPU for one parse (`time.process_time`, so a busy machine does not flake) and never more than 4 MiB
of Python allocation at the peak of a parse (`tracemalloc`; the file itself is memory-mapped, not copied).
About 7,300 cases in all (1,776 cuts, 3,502 systematic, 1,500 random, 400 from hypothesis, 111 on the full
vocabulary, 25 hand-made), 20-25 s on 2 cores; the four longest tests are marked slow.
"""

from __future__ import annotations

import contextlib
import random
import re
import struct
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from satori_desktop.core.errors import UserFacingError
from satori_desktop.engine.gguf_header import read_gguf_header
from satori_desktop.models.gguf_info import gguf_info_from_header
from tests.support.tiny_gguf import (
    COAT_TOKENS,
    GGUF_ARRAY,
    GGUF_STRING,
    GGUF_UINT32,
    GgufField,
    gguf_fields,
    gguf_kv,
    gguf_string,
    with_extra_kv,
    write_tiny_gguf,
    write_truncated_copy,
)

MAX_CPU_S = 1.0
MAX_PEAK_BYTES = 4 * 2**20

U64_KINDS = frozenset(
    {
        "tensor_count",
        "kv_count",
        "key_length",
        "string_length",
        "item_count",
        "item_length",
        "tensor_name_length",
        "dim",
        "tensor_offset",
    }
)
U32_KINDS = frozenset({"version", "value_type", "item_type", "n_dims", "tensor_type"})
TEXT_KINDS = frozenset({"key", "string", "item", "tensor_name"})
HUGE = (2**31, 2**32 - 1, 2**32, 2**40 + 5, 2**60, 2**63 - 1, 2**63, 2**64 - 1)
TYPE_CODES = (*range(14), 42, 43, 99, 255, 256, 2**16, 2**31, 2**32 - 1)  # GGUF value and ggml tensor types
SMALL_CODES = (0, 1, 2, 3, 4, 5, 16, 2**31, 2**32 - 1)  # versions, dimension counts
# What a message must end with: what to do, after a colon or semicolon.
SAYS_WHAT_TO_DO = re.compile(r"[:;] (download|get|choose|update|check)\b[^:;]*\.$")
ONE_SENTENCE = re.compile(r"[.!?] +[A-Z]")


# -- the files -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    """A valid GGUF file's bytes, its fields and where it is rewritten for each case."""

    data: bytes
    fields: list[GgufField]
    case_path: Path

    @cached_property
    def header_fields(self) -> list[GgufField]:
        return [f for f in self.fields if f.kind not in ("padding", "tensor_data") and f.end > f.start]

    @cached_property
    def header_end(self) -> int:
        return max(f.end for f in self.header_fields)

    @cached_property
    def last_tensor_shape(self) -> range:
        """The bytes of the last tensor's dimensions and type: growing them reads as a cut tensor data."""
        last = [f for f in self.fields if f.kind == "tensor_name"][-1].owner
        spans = [f for f in self.fields if f.owner == last and f.kind in ("dim", "tensor_type")]
        return range(spans[0].start, spans[-1].end)


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Sample:
    """A small scripted qwen2 model (the factory's vocabulary, narrow tensors): ~48 KB, 14 KB of header."""
    folder = tmp_path_factory.mktemp("fuzz-small")
    path = write_tiny_gguf(folder / "small.gguf", n_embd=8, n_head=2, n_head_kv=1, n_ff=16)
    data = path.read_bytes()
    return Sample(data, gguf_fields(data), folder / "case.gguf")


@pytest.fixture(scope="module")
def full_vocab(tmp_path_factory: pytest.TempPathFactory) -> Sample:
    """Satori's vocabulary size (152,064 tokens, a 3 MB header) with one narrow layer: ~8 MB."""
    folder = tmp_path_factory.mktemp("fuzz-vocab")
    path = write_tiny_gguf(
        folder / "vocab.gguf",
        n_vocab=152064,
        n_embd=8,
        n_layer=1,
        n_head=2,
        n_head_kv=1,
        n_ff=16,
        random_weights=True,
    )
    data = path.read_bytes()
    return Sample(data, gguf_fields(data, items_per_array=16), folder / "case.gguf")


# -- the property ----------------------------------------------------------------------------------------


def check_result(path: Path, case: str, *, trace_memory: bool = True) -> str:
    """Read `path` as the app does; return "parsed", "incomplete", "damaged" or "other" (a refusal).

    Fails the test for any other exception, a message that is not one actionable sentence, a parse over
    MAX_CPU_S of CPU, or a peak allocation over MAX_PEAK_BYTES.
    """
    started = time.process_time()
    try:
        header = read_gguf_header(path, find_tokens=COAT_TOKENS)
    except UserFacingError as exc:
        outcome, message = "refused", str(exc)
    except Exception as exc:
        raise AssertionError(f"{case}: {type(exc).__name__}: {exc}") from exc
    else:
        outcome, message = "parsed", ""
    elapsed = time.process_time() - started
    assert elapsed <= MAX_CPU_S, f"{case}: {elapsed:.2f} s of CPU"
    if trace_memory:
        peak = _peak_allocation(lambda: read_gguf_header(path, find_tokens=COAT_TOKENS))
        assert peak <= MAX_PEAK_BYTES, f"{case}: a peak of {peak:,} bytes allocated"
    if outcome == "parsed":
        # The accessors callers use must work on whatever the file said.
        shape = header.model_shape()
        assert min(shape.n_layers, shape.n_embd, shape.n_head, shape.n_vocab, shape.n_ctx_train) >= 0, case
        assert header.quantization is None or isinstance(header.quantization, str)
        assert header.expected_size <= header.file_size, case
        try:
            gguf_info_from_header(path, header)
        except UserFacingError as exc:
            assert_one_actionable_sentence(str(exc), case)
        return "parsed"
    assert_one_actionable_sentence(message, case)
    if "is damaged" in message:
        return "damaged"
    return "incomplete" if "incomplete" in message else "other"


def _peak_allocation(parse: Callable[[], object]) -> int:
    tracemalloc.start()
    try:
        with contextlib.suppress(UserFacingError):
            parse()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def assert_one_actionable_sentence(message: str, case: str) -> None:
    assert "\n" not in message and "\r" not in message, f"{case}: {message!r}"
    assert "Traceback" not in message and "Error" not in message, f"{case}: {message!r}"
    assert message.endswith(".") and not ONE_SENTENCE.search(message), f"{case}: {message!r}"
    assert SAYS_WHAT_TO_DO.search(message), f"{case}: says nothing to do: {message!r}"
    assert len(message) < 400, f"{case}: {message!r}"


def write_case(sample: Sample, data: bytes | bytearray) -> Path:
    sample.case_path.write_bytes(data)
    return sample.case_path


def expect_full_size_damage(sample: Sample, data: bytearray, touched: range, case: str, **kw: bool) -> str:
    """A file of full size with bytes changed: anything but "incomplete", unless the damage reads as a cut."""
    outcome = check_result(write_case(sample, data), case, **kw)
    if outcome == "incomplete":
        shape = sample.last_tensor_shape
        assert touched.start >= shape.start and touched.stop <= shape.stop, f"{case}: read as incomplete"
    return outcome


# -- cuts ------------------------------------------------------------------------------------------------


def sampled_fields(sample: Sample, every: int) -> list[GgufField]:
    """The fields of `sample` (tensor data included) with those of only 1 string in `every` of each array."""
    strings = [f for f in sample.fields if f.kind in ("item_length", "item")]
    kept = {f.start for i, f in enumerate(strings) if i // 2 % every == 0 or i >= len(strings) - 2}
    return [f for f in sample.fields if f.kind not in ("item_length", "item") or f.start in kept]


def test_every_cut_reads_as_incomplete(small: Sample) -> None:
    """A download can stop anywhere: in the magic, a count, a key, a value, an array, a tensor info..."""
    cuts = {len(small.data) - 1}
    for f in sampled_fields(small, every=4):
        if f.kind == "tensor_data":
            cuts |= {f.start, (f.start + f.end) // 2}
        else:
            cuts |= {f.start, f.start + 1, f.end - 1} - {0}
    assert len(cuts) > 1500
    for keep in sorted(cuts):
        case = f"cut at {keep}"
        outcome = check_result(write_case(small, small.data[:keep]), case, trace_memory=keep % 4 == 0)
        assert outcome == "incomplete", f"a file cut at byte {keep} reads as {outcome}"


# -- systematic damage -----------------------------------------------------------------------------------


def systematic_damage(
    sample: Sample,
    fields: list[GgufField],
    *,
    values: tuple[int, ...] | None = None,
    codes: tuple[int, ...] | None = None,
    flip_bytes: bool = True,
) -> Iterator[tuple[str, bytearray, range, bool]]:
    """(case, damaged bytes, bytes touched, whether to trace its memory) for each field.

    Counts, lengths, dimensions and offsets are set to `values` (default: 0, the old value + 1, the file
    size and HUGE), type codes, versions and dimension counts to `codes` (default: TYPE_CODES or
    SMALL_CODES); then each byte is flipped (three of a text or of scalar array items). Memory is traced
    for all values of 2^31 and more and the file size, and 1 flip in 8.
    """
    size = len(sample.data)
    for f in fields:
        span = range(f.start, f.end)
        where = f"{f.kind} of {f.owner or 'the file'!r} at {f.start}"
        chosen: set[int] = set()
        if f.kind in U64_KINDS:
            (old,) = struct.unpack_from("<Q", sample.data, f.start)
            chosen = set((0, old + 1, size, *HUGE) if values is None else values) - {old}
            fmt = "<Q"
        elif f.kind in U32_KINDS:
            (old,) = struct.unpack_from("<I", sample.data, f.start)
            default = TYPE_CODES if f.kind.endswith("type") else SMALL_CODES
            chosen = set(default if codes is None else codes) - {old}
            fmt = "<I"
        for value in sorted(chosen):
            data = bytearray(sample.data)
            struct.pack_into(fmt, data, f.start, value % 2**64)
            yield f"{where} set to {value:,}", data, span, value >= 2**31 or value == size
        if not flip_bytes:
            continue
        whole = f.kind not in TEXT_KINDS and f.kind != "items"
        for position in span if whole else sorted({f.start, (f.start + f.end) // 2, f.end - 1}):
            data = bytearray(sample.data)
            data[position] ^= 0xFF
            yield f"{where}: byte {position} flipped", data, range(position, position + 1), position % 8 == 0


@pytest.mark.slow
def test_systematic_damage_to_every_field(small: Sample) -> None:
    """Every field of the header (of 1 string in 20); the tensor infos of six tensors get chosen values,
    the 21 others only their bytes flipped (they are alike)."""
    header = [f for f in sampled_fields(small, every=20) if f.kind not in ("padding", "tensor_data")]
    names = [f.owner for f in header if f.kind == "tensor_name"]
    fully = {*names[:3], names[len(names) // 2], *names[-2:]}
    infos = {"tensor_name_length", "tensor_name", "n_dims", "dim", "tensor_type", "tensor_offset"}
    alike = [f for f in header if f.kind in infos and f.owner not in fully]
    cases = [
        *systematic_damage(small, [f for f in header if f not in alike]),
        *systematic_damage(small, alike, values=(), codes=()),
    ]
    outcomes: Counter[str] = Counter()
    for case, data, touched, trace in cases:
        outcomes[expect_full_size_damage(small, data, touched, case, trace_memory=trace)] += 1
    # The cases reach every part of the reader: most are refused as damaged, some still parse.
    assert len(cases) > 3000 and outcomes["damaged"] > 2000 and outcomes["parsed"] > 200, outcomes


@pytest.mark.slow
def test_seeded_random_damage_in_the_header(small: Sample) -> None:
    rng = random.Random(20250701)
    outcomes: Counter[str] = Counter()
    for index in range(1500):
        data = bytearray(small.data)
        start = rng.randrange(4, small.header_end)
        end = min(start + rng.randint(1, 8), small.header_end)
        data[start:end] = rng.randbytes(end - start)
        case = f"random case {index}: bytes {start}-{end} set to {bytes(data[start:end]).hex()}"
        outcomes[
            expect_full_size_damage(small, data, range(start, end), case, trace_memory=index % 8 == 0)
        ] += 1
    assert outcomes["damaged"] > 750, outcomes


# -- hand-made structures -------------------------------------------------------------------------------


def _u32(value: int) -> bytes:
    return struct.pack("<I", value)


def _u64(value: int) -> bytes:
    return struct.pack("<Q", value)


HAND_MADE: dict[str, tuple[bytes, str]] = {
    # name: (a KV pair added after the others, the outcome)
    "a duplicate key": (gguf_kv("qwen2.block_count", GGUF_UINT32, _u32(2)), "damaged"),
    "an array of arrays": (
        gguf_kv("x.nested", GGUF_ARRAY, _u32(GGUF_ARRAY) + _u64(1) + _u32(0) + _u64(0)),
        "damaged",
    ),
    "arrays nested 3,000 deep": (
        gguf_kv("x.deep", GGUF_ARRAY, (_u32(GGUF_ARRAY) + _u64(1)) * 3000 + _u32(0) + _u64(0)),
        "damaged",
    ),
    "an array of an unknown type": (
        gguf_kv("x.odd", GGUF_ARRAY, _u32(13) + _u64(1) + b"\0" * 8),
        "damaged",
    ),
    "an array of 2^30 bytes in a small file": (
        gguf_kv("x.big", GGUF_ARRAY, _u32(0) + _u64(2**30)),
        "damaged",
    ),
    "an array of 2^30 strings in a small file": (
        gguf_kv("x.many", GGUF_ARRAY, _u32(GGUF_STRING) + _u64(2**30) + gguf_string("a")),
        "damaged",
    ),
    "an empty key": (gguf_kv("", GGUF_UINT32, _u32(1)), "damaged"),
    "a key that is not UTF-8": (gguf_kv(b"x.\xff\xfe", GGUF_UINT32, _u32(1)), "damaged"),
    "a key with a newline": (gguf_kv("x.new\nline", GGUF_UINT32, _u32(1)), "parsed"),
    "alignment 0": (gguf_kv("general.alignment", GGUF_UINT32, _u32(0)), "damaged"),
    "alignment 3": (gguf_kv("general.alignment", GGUF_UINT32, _u32(3)), "damaged"),
    "alignment 2^31": (gguf_kv("general.alignment", GGUF_UINT32, _u32(2**31)), "damaged"),
    "alignment 2^32-1": (gguf_kv("general.alignment", GGUF_UINT32, _u32(2**32 - 1)), "damaged"),
    "alignment as a string": (gguf_kv("general.alignment", GGUF_STRING, gguf_string("64")), "damaged"),
    "alignment as a float": (gguf_kv("general.alignment", 6, struct.pack("<f", float("nan"))), "damaged"),
    "alignment as an i32 -32": (gguf_kv("general.alignment", 5, struct.pack("<i", -32)), "damaged"),
    # Tensors padded to 32 bytes where the header says 64 (or 8): not where llama.cpp would look for them.
    "alignment 64, laid out at 32": (gguf_kv("general.alignment", GGUF_UINT32, _u32(64)), "damaged"),
    "alignment 8, laid out at 32": (gguf_kv("general.alignment", GGUF_UINT32, _u32(8)), "damaged"),
    "a string value of 1 GiB + 1": (gguf_kv("x.long", GGUF_STRING, _u64(2**30 + 1)), "damaged"),
    "a string value longer than the file": (
        gguf_kv("x.long", GGUF_STRING, _u64(10**8) + b"abc"),
        "damaged",
    ),
    "a float count": (gguf_kv("qwen2.vocab_size", 6, struct.pack("<f", float("inf"))), "parsed"),
    "a negative count": (gguf_kv("qwen2.vocab_size", 5, struct.pack("<i", -1)), "parsed"),
}


@pytest.mark.parametrize("name", list(HAND_MADE))
def test_hand_made_kv_pairs(small: Sample, name: str) -> None:
    kv, expected = HAND_MADE[name]
    data = with_extra_kv(small.data, kv)
    assert check_result(write_case(small, data), name) == expected


@pytest.mark.parametrize("alignment", [8, 64, 4096])
def test_files_laid_out_by_another_alignment(tmp_path: Path, alignment: int) -> None:
    path = write_tiny_gguf(
        tmp_path / "aligned.gguf", n_embd=8, n_head=2, n_head_kv=1, n_ff=16, alignment=alignment
    )
    assert check_result(path, f"alignment {alignment}") == "parsed"
    header = read_gguf_header(path)
    assert header.metadata["general.alignment"] == alignment
    # The file ends with the last tensor padded to the alignment; llama.cpp needs only its data.
    assert header.expected_size <= path.stat().st_size < header.expected_size + alignment


# -- hypothesis: several kinds of damage at once ----------------------------------------------------------


@dataclass(frozen=True)
class Mutation:
    kind: str  # "bytes" (overwrite at `at`), "cut" (keep `at` bytes), "delete", "duplicate" (copy to `to`)
    at: int
    payload: bytes = b""
    length: int = 0
    to: int = 0

    def apply(self, data: bytearray) -> None:
        at = min(self.at, len(data))
        if self.kind == "bytes":
            data[at : at + len(self.payload)] = self.payload
        elif self.kind == "cut":
            del data[at:]
        elif self.kind == "delete":
            del data[at : at + self.length]
        else:  # a span (a key, a tensor info...) copied to another place
            data[self.to : self.to] = data[at : at + self.length]


def mutations(header_end: int, file_size: int) -> st.SearchStrategy[list[Mutation]]:
    position = st.integers(0, header_end - 1)
    numbers = [_u64(value) for value in (0, 1, 255, 2**16, *HUGE)] + [_u32(value) for value in TYPE_CODES]
    one = st.one_of(
        st.builds(Mutation, st.just("bytes"), position, st.binary(min_size=1, max_size=16)),
        st.builds(Mutation, st.just("bytes"), position, st.sampled_from(numbers)),
        st.builds(Mutation, st.just("cut"), st.integers(0, file_size)),
        st.builds(Mutation, st.just("delete"), position, length=st.integers(1, 64)),
        st.builds(Mutation, st.just("duplicate"), position, length=st.integers(1, 256), to=position),
    )
    return st.lists(one, min_size=1, max_size=4)


@pytest.mark.slow
@settings(max_examples=400, derandomize=True, deadline=None, database=None)
@given(data=st.data())
def test_any_combination_of_damage(small: Sample, data: st.DataObject) -> None:
    changes = data.draw(mutations(small.header_end, len(small.data)), label="mutations")
    damaged = bytearray(small.data)
    for change in changes:
        change.apply(damaged)
    check_result(write_case(small, damaged), f"mutations {changes}")


# -- the full vocabulary -------------------------------------------------------------------------------


@pytest.mark.slow
def test_damage_to_a_full_size_vocabulary(full_vocab: Sample) -> None:
    """Satori's 152,064 tokens: fewer cases (a 3 MB header each), aimed where the size matters.

    The counts of the file and of each array, the lengths of tokens at the start, middle and end of the
    vocabulary, the first and last tensor infos after it; random bytes; cuts inside the vocabulary.
    """
    sample = full_vocab
    fields = sample.header_fields
    counts = [f for f in fields if f.kind in ("tensor_count", "kv_count", "item_count", "item_type")]
    token_lengths = [f for f in fields if f.kind == "item_length" and f.owner == "tokenizer.ggml.tokens"]
    infos = [f for f in fields if f.kind in ("tensor_name_length", "dim", "tensor_offset")]
    lengths = [
        token_lengths[0],
        token_lengths[len(token_lengths) // 2],
        token_lengths[-1],
        *infos[:3],
        *infos[-3:],
    ]
    # Memory is traced (16x slower on a 3 MB header) only for the vocabulary's own count and type: huge
    # ones must be refused without allocating for them, and a count of the file size walks the whole file.
    tokens = [f for f in counts if f.owner == "tokenizer.ggml.tokens"]
    few = {"values": (0, 2**32, 2**63, 2**64 - 1, len(sample.data)), "codes": (0, 4, 9, 13, 2**31)}
    cases = [
        (case, data, span, trace and field in tokens)
        for field in counts + lengths
        for case, data, span, trace in systematic_damage(sample, [field], flip_bytes=False, **few)
    ]
    rng = random.Random(152064)
    for index in range(20):
        data = bytearray(sample.data)
        start = rng.randrange(4, sample.header_end)
        data[start] ^= rng.randrange(1, 256)
        cases.append((f"random byte {index} at {start}", data, range(start, start + 1), False))
    outcomes: Counter[str] = Counter()
    for case, data, touched, trace in cases:
        outcomes[expect_full_size_damage(sample, data, touched, case, trace_memory=trace)] += 1
    assert outcomes["damaged"] > len(cases) // 2, outcomes

    for f in token_lengths[:: len(token_lengths) // 5]:
        cut = sample.data[: f.end + 1]
        assert (
            check_result(write_case(sample, cut), f"cut in token at {f.end}", trace_memory=False)
            == "incomplete"
        )
    intact = read_gguf_header(write_case(sample, sample.data), find_tokens=COAT_TOKENS)
    assert intact.n_vocab == 152064 and set(intact.tokens) == set(COAT_TOKENS)


# -- the engine ------------------------------------------------------------------------------------------


def test_a_file_the_reader_rejects_never_reaches_llama_cpp(
    tiny_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The real engine refuses a damaged and a truncated file with the reader's sentence, before llama.cpp
    opens them; the intact file then goes through the same spy to llama.cpp, so the spy does see loads."""
    import llama_cpp

    from satori_desktop.engine.llama_engine import LlamaEngine
    from satori_desktop.engine.types import LoadOptions

    opened: list[bytes] = []
    load_from_file = llama_cpp.llama_model_load_from_file

    def spy(path: bytes, params: object) -> object:
        opened.append(path)
        return load_from_file(path, params)

    monkeypatch.setattr(llama_cpp, "llama_model_load_from_file", spy)
    data = bytearray(tiny_model.read_bytes())
    value_type = next(f for f in gguf_fields(bytes(data)) if f.kind == "value_type")
    data[value_type.start : value_type.end] = _u32(99)
    damaged = tmp_path / "damaged.gguf"
    damaged.write_bytes(bytes(data))
    cut_header = write_truncated_copy(tiny_model, tmp_path / "cut-header.gguf", 0.01)
    cut_data = write_truncated_copy(tiny_model, tmp_path / "cut-data.gguf", 0.5)

    engine = LlamaEngine()
    try:
        for path, words in [(damaged, "is damaged"), (cut_header, "incomplete"), (cut_data, "incomplete")]:
            with pytest.raises(UserFacingError) as from_reader:
                read_gguf_header(path)
            with pytest.raises(UserFacingError) as from_engine:
                engine.load(LoadOptions(path))
            assert str(from_engine.value) == str(from_reader.value) and words in str(from_reader.value)
        assert opened == []
        engine.load(LoadOptions(tiny_model))
        assert opened == [str(tiny_model).encode("utf-8")]
    finally:
        engine.unload()
