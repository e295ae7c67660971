"""Checkers for the numbers typed on the command line, shared by every command as argparse `type=`.

They live in `core` because the benchmarks (`bench/`, a layer below `cli/`) declare their own options too.

Each turns the text into a value or raises `argparse.ArgumentTypeError` with one sentence, so argparse
prints the usage line and `satori-desktop ask: error: argument --top-p: must be more than 0 and at most 1,
not 1.5.`, then exits with code 2 before llama.cpp or Qt is imported. A typo must never reach the engine,
where it would be clamped, wrapped or turned into NaN logits without a word.

The limits, and why:

- temperature: a finite number >= 0. 0 is greedy (the model card's setting); NaN or infinity would turn
  every logit into NaN. No upper limit: a high temperature is legal, just close to uniform sampling.
- top-p: more than 0 and at most 1, as llama.cpp's top-p sampler defines it (1 turns it off).
- context tokens (`--n-ctx`, `models recommend --ctx`): 256 to 2**24. llama.cpp rounds a context up to
  a multiple of 256 (asking for 64 gets 256), so a smaller number asks for something no run can have; and
  the Satori prompt alone is about 40 tokens, a worked solution hundreds more. 2**24 (16,777,216) is above
  the longest context open models are trained for (Llama 4 Scout's 10M) and far inside llama.cpp's 32-bit
  `n_ctx`; anything beyond is a typo. (benchmarks/engine_gpu_check.sh asks for 3,000,000 on purpose, to
  make the K/V cache overflow a 141 GB GPU, so the limit must not be lower than that.)
- max tokens: 1 to 2**24, since no context could hold more.
- GPU layers: `auto` (the engine decides from free VRAM), `all`, or 0 (CPU only) to 1024. The engine
  caps a count above the model's layers at all of them, so `all` is passed as the maximum; 1024 is far
  above any model's layer count and still admits llama.cpp's habitual `99` and `999`. Negative numbers are
  refused: llama-cpp-python reads -1 as "all" but our engine would read it as 0, so say which to use.
- seed: 0 to 2**32 - 2. llama.cpp's seed is 32-bit (the engine masks it with 0xFFFFFFFF, so a larger value
  would silently become another seed) and 2**32 - 1 is LLAMA_DEFAULT_SEED, which means "pick a random
  seed", the opposite of what passing a seed asks for.
- threads: 1 to 512, ggml's GGML_MAX_N_THREADS.
- counts and sizes (rounds, runs, tokens of a synthetic trace, megabytes): whole numbers >= 1, or >= 0
  where 0 means "skip it"; `whole_number_between(low, high)` makes a checker for any other range.
- rates (tokens per second): finite and > 0; a list of them is comma-separated.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable

MIN_CONTEXT_TOKENS = 256
MAX_CONTEXT_TOKENS = 2**24
MAX_GPU_LAYERS = 1024
MAX_SEED = 2**32 - 2
MAX_THREADS = 512


def _whole_number(text: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, not {text!r}.") from None


def _finite_number(text: str) -> float:
    try:
        value = float(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, not {text!r}.") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number, not {text!r}.")
    return value


def whole_number_between(minimum: int, maximum: int | None = None) -> Callable[[str], int]:
    """A checker for a whole number from `minimum` to `maximum` (no upper limit when None)."""

    def check(text: str) -> int:
        value = _whole_number(text)
        if value < minimum or (maximum is not None and value > maximum):
            limits = f"at least {minimum:,}" if maximum is None else f"from {minimum:,} to {maximum:,}"
            raise argparse.ArgumentTypeError(f"must be a whole number {limits}, not {text.strip()}.")
        return value

    check.__name__ = "whole number"  # what argparse calls the type in its own messages
    return check


positive_int = whole_number_between(1)
"""Counts and sizes: rounds, runs, megabytes, tokens of a synthetic trace."""

non_negative_int = whole_number_between(0)
"""Counts where 0 means "skip it" (`bench ui --cold-start-runs`)."""

context_tokens = whole_number_between(MIN_CONTEXT_TOKENS, MAX_CONTEXT_TOKENS)
"""`--n-ctx` and `models recommend --ctx`: tokens of context."""

max_tokens = whole_number_between(1, MAX_CONTEXT_TOKENS)
"""`--max-tokens`: tokens to generate at most."""

seed = whole_number_between(0, MAX_SEED)
"""`--seed`: a 32-bit seed other than llama.cpp's "random" marker."""

thread_count = whole_number_between(1, MAX_THREADS)
"""`--threads`: decode threads."""


def temperature(text: str) -> float:
    """`--temperature`: 0 (greedy) or more."""
    value = _finite_number(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 (greedy) or more, not {text.strip()}.")
    return value


def top_p(text: str) -> float:
    """`--top-p`: the probability mass kept, more than 0 and at most 1."""
    value = _finite_number(text)
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"must be more than 0 and at most 1, not {text.strip()}.")
    return value


def gpu_layers(text: str) -> int | None:
    """`--gpu-layers`: None for `auto` (the engine's choice), else a layer count the engine caps."""
    word = text.strip().lower()
    if word == "auto":
        return None
    if word == "all":
        return MAX_GPU_LAYERS
    try:
        value = int(word)
    except ValueError:
        value = -1
    if not 0 <= value <= MAX_GPU_LAYERS:
        raise argparse.ArgumentTypeError(
            f"must be 'auto', 'all' or a number of layers from 0 (CPU only) to {MAX_GPU_LAYERS}, "
            f"not {text.strip()}."
        )
    return value


def rate(text: str) -> float:
    """Tokens per second: more than 0."""
    value = _finite_number(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a rate above 0 tokens per second, not {text.strip()}.")
    return value


def rate_or_unpaced(text: str) -> float:
    """Tokens per second, where 0 means as fast as possible (the scripted engine's `--scripted-rate`)."""
    value = _finite_number(text)
    if value < 0:
        raise argparse.ArgumentTypeError(
            f"must be 0 (as fast as possible) or a rate in tokens per second, not {text.strip()}."
        )
    return value


def rate_list(text: str) -> list[float]:
    """Comma-separated rates in tokens per second, each more than 0 (`bench ui --ladder`)."""
    parts = [part for part in (piece.strip() for piece in text.split(",")) if part]
    if not parts:
        raise argparse.ArgumentTypeError("must be one or more rates in tokens per second, such as 250,500.")
    try:
        return [rate(part) for part in parts]
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(
            f"must be rates above 0 tokens per second separated by commas, such as 250,500, not {text!r}."
        ) from None
