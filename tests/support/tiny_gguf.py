"""Tiny qwen2 GGUF models for the tests, and the tools to cut and damage them.

The scripted model itself (vocabulary, writer, `script_grammar`, the token constants) ships with the app,
since `satori-desktop --self-test` writes one too: `satori_desktop.selftest.tiny_model`, whose docstring
says how a known trace is forced out of the real engine. This module re-exports it under the names the
tests have always used and adds what only tests need:

* `EXAMPLE_TRACE`, a COAT trace with everything a test needs to see come out intact;
* `write_truncated_copy`, a download that stopped half-way;
* `gguf_fields(data)`, where each field of a GGUF file lies (the counts, each key, value type and value,
  array items, tensor infos, padding and tensor data), found by a walker of its own rather than the app's
  reader; `gguf_kv` and `with_extra_kv` add hand-made KV pairs;
* `python -m tests.support.tiny_gguf OUT --preset bench`, which writes a ~200 MB model with random weights
  and a 152064-token vocabulary (Satori's vocabulary size), for speed measurements.
"""

from __future__ import annotations

import argparse
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from satori_desktop.selftest.tiny_model import (
    CHAT_TOKENS,
    COAT_TOKENS,
    CONTINUE,
    ENDOFTEXT,
    EXPLORE,
    IM_END,
    IM_START,
    LONG_PIECE,
    REFLECT,
    SPLIT_CHARACTER,
    build_vocabulary,
    bytes_to_unicode,
    script_grammar,
    write_tiny_gguf,
)

__all__ = [
    "CHAT_TOKENS",
    "COAT_TOKENS",
    "CONTINUE",
    "ENDOFTEXT",
    "EXAMPLE_TRACE",
    "EXPLORE",
    "GGUF_ARRAY",
    "GGUF_STRING",
    "GGUF_UINT32",
    "IM_END",
    "IM_START",
    "LONG_PIECE",
    "REFLECT",
    "SPLIT_CHARACTER",
    "TENSOR_INFO_KINDS",
    "GgufField",
    "build_vocabulary",
    "bytes_to_unicode",
    "gguf_fields",
    "gguf_kv",
    "gguf_string",
    "script_grammar",
    "with_extra_kv",
    "write_tiny_gguf",
    "write_truncated_copy",
]


# An example COAT trace with everything a test needs to see come out intact.
EXAMPLE_TRACE = (
    "Let x = 1 + 1."
    + CONTINUE
    + "So x = 2, and "
    + SPLIT_CHARACTER
    + " of nothing is 0."
    + REFLECT
    + "Wait, check: 1 + 1 = 2."
    + LONG_PIECE
    + EXPLORE
    + "Another way: 2 = 2."
    + CONTINUE
    + "The answer is \\boxed{2}."
    + IM_END
)


def write_truncated_copy(source: str | Path, target: str | Path, keep_fraction: float = 0.5) -> Path:
    """Copy the first part of a GGUF file: a download that stopped half-way."""
    data = Path(source).read_bytes()
    out = Path(target)
    out.write_bytes(data[: max(1, int(len(data) * keep_fraction))])
    return out


# -- Where each field of a GGUF file lies, for tests that cut or damage real files ---------------------------

_GGUF_SCALAR_SIZES = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}
GGUF_STRING, GGUF_ARRAY, GGUF_UINT32 = 8, 9, 4
TENSOR_INFO_KINDS = frozenset(
    {"tensor_name_length", "tensor_name", "n_dims", "dim", "tensor_type", "tensor_offset"}
)


@dataclass(frozen=True)
class GgufField:
    """One field of a GGUF file: what it is, the bytes it spans and the key or tensor it belongs to.

    `kind` is one of: magic, version, tensor_count, kv_count; key_length, key, value_type, value (a scalar),
    string_length, string (a string value); item_type, item_count, items (the items of a scalar array),
    item_length, item (one string of a string array); tensor_name_length, tensor_name, n_dims, dim,
    tensor_type, tensor_offset; padding (before the tensor data); tensor_data (one tensor's bytes).
    """

    kind: str
    start: int
    end: int
    owner: str = ""  # the key or tensor name; "" for the file's own fields and the padding


def gguf_fields(data: bytes, *, items_per_array: int | None = None) -> list[GgufField]:
    """The fields of a valid GGUF file, in file order (tensor data last, tensor by tensor).

    `items_per_array` keeps the fields of only about that many strings of each string array (evenly spread,
    the last one included), for a 152k-token vocabulary; None keeps them all.
    """
    from gguf import GGML_QUANT_SIZES, GGMLQuantizationType

    fields: list[GgufField] = []
    pos = 0

    def take(kind: str, size: int, owner: str = "") -> int:
        nonlocal pos
        fields.append(GgufField(kind, pos, pos + size, owner))
        pos += size
        return pos - size

    def u32() -> int:
        return int(struct.unpack_from("<I", data, pos)[0])

    def u64() -> int:
        return int(struct.unpack_from("<Q", data, pos)[0])

    take("magic", 4)
    take("version", 4)
    n_tensors = u64()
    take("tensor_count", 8)
    n_kv = u64()
    take("kv_count", 8)
    alignment = 32
    for _ in range(n_kv):
        length = u64()
        key = data[pos + 8 : pos + 8 + length].decode("utf-8")
        take("key_length", 8, key)
        take("key", length, key)
        value_type = u32()
        take("value_type", 4, key)
        if value_type == GGUF_ARRAY:
            item_type = u32()
            take("item_type", 4, key)
            count = u64()
            take("item_count", 8, key)
            if item_type != GGUF_STRING:
                take("items", count * _GGUF_SCALAR_SIZES[item_type], key)
                continue
            every = 1 if items_per_array is None else max(1, count // items_per_array)
            for index in range(count):
                length = u64()
                if index % every == 0 or index == count - 1:
                    take("item_length", 8, key)
                    take("item", length, key)
                else:
                    pos += 8 + length
        elif value_type == GGUF_STRING:
            length = u64()
            take("string_length", 8, key)
            take("string", length, key)
        else:
            if key == "general.alignment":
                alignment = u32()
            take("value", _GGUF_SCALAR_SIZES[value_type], key)
    tensors: list[tuple[str, int, int]] = []
    for _ in range(n_tensors):
        length = u64()
        name = data[pos + 8 : pos + 8 + length].decode("utf-8")
        take("tensor_name_length", 8, name)
        take("tensor_name", length, name)
        n_dims = u32()
        take("n_dims", 4, name)
        dims = [int(struct.unpack_from("<Q", data, take("dim", 8, name))[0]) for _ in range(n_dims)]
        ggml_type = u32()
        take("tensor_type", 4, name)
        offset = u64()
        take("tensor_offset", 8, name)
        block_elements, block_bytes = GGML_QUANT_SIZES[GGMLQuantizationType(ggml_type)]
        elements = int(np.prod(dims, dtype=object)) if dims else 1
        tensors.append((name, offset, elements // block_elements * block_bytes))
    if n_tensors:
        take("padding", -pos % alignment)
    data_start = pos
    for name, offset, nbytes in tensors:
        fields.append(GgufField("tensor_data", data_start + offset, data_start + offset + nbytes, name))
    return fields


def gguf_string(text: str | bytes) -> bytes:
    """A GGUF string: its byte length as a little-endian u64, then its bytes."""
    encoded = text.encode("utf-8") if isinstance(text, str) else text
    return struct.pack("<Q", len(encoded)) + encoded


def gguf_kv(key: str | bytes, value_type: int, payload: bytes) -> bytes:
    """A hand-made KV pair (any type code, any payload): key, u32 value type, the value's bytes as given."""
    return gguf_string(key) + struct.pack("<I", value_type) + payload


def with_extra_kv(data: bytes, kv: bytes, *, alignment: int = 32) -> bytes:
    """A valid GGUF file with one more KV pair after its others, its tensor data moved to the next multiple of
    `alignment` after the header (pass the new value when `kv` sets general.alignment), so only `kv` is new.
    """
    fields = gguf_fields(data, items_per_array=1)
    infos = [f for f in fields if f.kind in TENSOR_INFO_KINDS]
    header_end = max(f.end for f in fields if f.kind not in ("padding", "tensor_data"))
    kv_end = infos[0].start if infos else header_end
    data_start = max(f.end for f in fields if f.kind != "tensor_data")
    (n_kv,) = struct.unpack_from("<Q", data, 16)
    header = data[:16] + struct.pack("<Q", n_kv + 1) + data[24:kv_end] + kv + data[kv_end:header_end]
    return header + bytes(-len(header) % alignment if infos else 0) + data[data_start:]


def _main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write a tiny (or benchmark-sized) qwen2 GGUF.")
    parser.add_argument("out", type=Path)
    parser.add_argument(
        "--preset",
        choices=("tiny", "bench"),
        default="tiny",
        help="tiny: the scripted test model; bench: random weights, 152064 tokens, 256 wide, 4 layers",
    )
    args = parser.parse_args(argv)
    if args.preset == "bench":
        write_tiny_gguf(
            args.out,
            n_vocab=152064,
            n_embd=256,
            n_layer=4,
            n_head=4,
            n_head_kv=2,
            n_ff=768,
            random_weights=True,
            name="random-qwen2-bench",
        )
    else:
        write_tiny_gguf(args.out)
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(_main())
