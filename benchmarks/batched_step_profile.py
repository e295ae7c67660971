"""Where a batched decode step's time goes: inside llama_decode, in the samplers' calls, or in our Python.

    PYTHONPATH=... python3 benchmarks/batched_step_profile.py MODEL [B] [TOKENS]

Runs `LlamaEngine.generate_batch` with B greedy sequences of one 256-token prompt (ignore_eog, TOKENS new
tokens each, all layers offloaded) and wraps llama_decode and the calls that read a sampled token
(llama_get_sampled_token_ith for tokens the graph sampled, llama_sampler_sample for the rest) with
timers; turns llama.cpp's own perf counters on for the batch context to report how many decodes reused
their compute graph (a graph rebuilt every step costs host time llama-batched-bench does not pay).
Prints one JSON line. A diagnostic for docs/benchmarks.md (issue 12), not a test.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("SATORI_BACKEND_SAMPLING", "1")

import llama_cpp

from satori_desktop.bench.batched import _prompt as batched_prompt
from satori_desktop.engine.llama_engine import LlamaEngine
from satori_desktop.engine.types import BatchJob, GenerationRequest, LoadOptions

contexts: list[object] = []
spent = {"decode_s": 0.0, "decodes": 0, "sample_s": 0.0, "samples": 0}
real_init, real_decode, real_sample, real_sampled_in_graph = (
    llama_cpp.llama_init_from_model,
    llama_cpp.llama_decode,
    llama_cpp.llama_sampler_sample,
    llama_cpp.llama_get_sampled_token_ith,
)


def init(model: object, params: object) -> object:
    params.no_perf = False  # type: ignore[attr-defined]
    ctx = real_init(model, params)
    contexts.append(ctx)
    return ctx


def decode(ctx: object, batch: object) -> int:
    started = time.perf_counter()
    status = real_decode(ctx, batch)
    spent["decode_s"] += time.perf_counter() - started
    spent["decodes"] += 1
    return int(status)


def timed_read(real: Callable[..., int]) -> Callable[..., int]:
    """`real` (a call that returns a sampled token) with its time and calls counted."""

    def read(*args: object) -> int:
        started = time.perf_counter()
        token = real(*args)
        spent["sample_s"] += time.perf_counter() - started
        spent["samples"] += 1
        return int(token)

    return read


def main() -> None:
    model = Path(sys.argv[1])
    size = int(sys.argv[2]) if len(sys.argv) > 2 else 16
    tokens = int(sys.argv[3]) if len(sys.argv) > 3 else 512
    engine = LlamaEngine()
    engine.load(LoadOptions(model, gpu_layers=99))
    prompt = batched_prompt(engine, 256)
    request = GenerationRequest(prompt, max_tokens=tokens, ignore_eog=True)
    jobs = [BatchJob(f"s{i}", request) for i in range(size)]
    engine.generate_batch(jobs[:size], parallel=size)  # warm-up: the batch context is made here
    llama_cpp.llama_init_from_model, llama_cpp.llama_decode = init, decode
    llama_cpp.llama_sampler_sample = timed_read(real_sample)
    llama_cpp.llama_get_sampled_token_ith = timed_read(real_sampled_in_graph)
    # A fresh context with perf counters: ask for a different shape once, then the measured one.
    engine.generate_batch(jobs[:1], parallel=1)
    for key in spent:
        spent[key] = 0
    started = time.perf_counter()
    results = engine.generate_batch(jobs, parallel=size)
    wall = time.perf_counter() - started
    generated = sum(r.generated_tokens for r in results.values())
    perf = llama_cpp.llama_perf_context(contexts[-1]) if contexts else None
    print(
        json.dumps(
            {
                "batch_size": size,
                "tokens_per_sequence": tokens,
                "wall_s": wall,
                "aggregate_tok_s": generated / wall,
                **spent,
                "outside_decode_and_sample_s": wall - spent["decode_s"] - spent["sample_s"],
                "graph_reused": None if perf is None else perf.n_reused,
                "decodes_counted": None if perf is None else perf.n_eval,
                "t_eval_ms": None if perf is None else perf.t_eval_ms,
            }
        )
    )
    engine.unload()


if __name__ == "__main__":
    main()
