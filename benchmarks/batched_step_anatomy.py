"""Where the batched engine's step loses to llama-batched-bench, one layer at a time (issue 12).

    PYTHONPATH=... python3 benchmarks/batched_step_anatomy.py MODEL [--batch-sizes 4,8,16] [--tokens 512]
        [--gpu-layers 99] [--out FILE]

On an H200 the engine decoded 16 greedy sequences at 0.88 of llama-batched-bench in the same KV layout
(one unified cache, one shared prompt: `-kvu -pps`) and 0.80 of its default layout, with our Python at 1.4 %
of the step (docs/benchmarks.md, "GPU, second session"). The rest is somewhere between ctypes, the
per-sequence backend sampler chains and the KV layout. Each variant below adds one of them to the one
before, all in this process, on one context per B made exactly as engine/batched.py makes its own (unified
KV cache, n_batch = n_ubatch = 512, every layer offloaded, flash attention as llama.cpp resolves it),
B sequences sharing one 256-token prompt evaluated once and copied with llama_memory_seq_cp, then TOKENS
steps of one llama_decode holding every sequence's next token:

* `bare`: logits on for every row, llama_synchronize, no sampling, the same token fed back: what
  llama-batched-bench does, driven from Python (the price of ctypes and of this loop);
* `bare-async`: `bare` without the llama_synchronize, as llama-batched-bench runs: llama.cpp then prepares
  step n+1 on the host (batch split, KV cells, the attention mask) while the GPU still computes step n,
  which no sampler can do (it needs step n's token first);
* `backend-greedy`: every sequence with its own backend greedy chain (llama_set_sampler), its token read
  with llama_get_sampled_token_ith and fed back: what the engine does for greedy sequences;
* `host-argmax`: no chains; every row's logits copied back (as in `bare`) and one numpy argmax over all
  rows: the alternative to per-sequence chains;
* `non-unified`: `bare` with a cache per sequence (llama-batched-bench's default layout, the prompt copied
  whole into each sequence's cache); `non-unified-greedy` the same with backend greedy chains;
* `padded-greedy`: `non-unified-greedy` with filler rows (no logits, their own sequences, one position
  each, taken out again every step) up to --pad-to rows when B is smaller: on an H200 a step of 8 rows
  (a matrix-vector kernel) took longer than one of 16 (a matrix-matrix kernel); does 9 rows beat 8?
* `non-unified-sampled` and `padded-sampled`: the same two with self-consistency's chain in the graph;
* `backend-sampled` and `host-sampled`: self-consistency's chain (top-k 40, top-p 0.8, temperature 0.7,
  dist with a seed per sequence, as LlamaEngine._make_sampler builds it) in the graph per sequence, or on
  the host through llama_sampler_sample after the logits came back.

The rate is llama-batched-bench's S_TG: B x TOKENS over the time of the TOKENS steps; `decode_ms` is the
host's time inside llama_decode per step (it only queues the GPU's work, after preparing it). Prints one JSON
line per variant and B, and writes them all to --out. Run it in the same device call as llama-batched-bench
(benchmarks/batched_gpu.sh runs both) so the ratios come from one machine state. A diagnostic for
docs/benchmarks.md, not a test; it runs on a CPU too (slowly), which is how it is checked.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import llama_cpp as llama
import numpy as np

PROMPT_TOKENS = 256
BATCH = 512
QUIET = llama.llama_log_callback(lambda level, text, data: None)


def load_model(path: Path, gpu_layers: int) -> Any:
    params = llama.llama_model_default_params()
    params.n_gpu_layers = gpu_layers
    model = llama.llama_model_load_from_file(str(path).encode(), params)
    if not model:
        sys.exit(f"could not load {path}")
    return model


def make_context(model: Any, n_seq: int, tokens: int, *, unified: bool, threads: int) -> Any:
    params = llama.llama_context_default_params()
    per_seq = PROMPT_TOKENS + tokens + 1
    params.n_ctx = -(-(per_seq * n_seq) // 256) * 256
    params.n_batch = params.n_ubatch = max(BATCH, n_seq)
    params.n_seq_max = n_seq
    params.kv_unified = unified
    params.n_threads = params.n_threads_batch = threads
    params.no_perf = True
    ctx = llama.llama_init_from_model(model, params)
    if not ctx:
        sys.exit(f"could not make a context for {n_seq} sequences")
    return ctx


def make_chain(*, sampled: bool, seed: int) -> Any:
    chain = llama.llama_sampler_chain_init(llama.llama_sampler_chain_default_params())
    if sampled:
        llama.llama_sampler_chain_add(chain, llama.llama_sampler_init_top_k(40))
        llama.llama_sampler_chain_add(chain, llama.llama_sampler_init_top_p(0.8, 1))
        llama.llama_sampler_chain_add(chain, llama.llama_sampler_init_temp(0.7))
        llama.llama_sampler_chain_add(chain, llama.llama_sampler_init_dist(seed))
    else:
        llama.llama_sampler_chain_add(chain, llama.llama_sampler_init_greedy())
    return chain


def run_variant(
    model: Any, variant: str, n_seq: int, tokens: int, threads: int, pad_to: int = 0
) -> dict[str, Any]:
    padded = variant.startswith("padded")
    unified = not (padded or variant.startswith("non-unified"))
    n_rows = max(n_seq, pad_to) if padded else n_seq
    fillers = range(n_seq, n_rows)
    ctx = make_context(model, n_rows, tokens, unified=unified, threads=threads)
    vocab = llama.llama_model_get_vocab(model)
    n_vocab = llama.llama_vocab_n_tokens(vocab)
    memory = llama.llama_get_memory(ctx)
    chains: list[Any] = []
    backend = variant.startswith("padded") or variant in (
        "backend-greedy",
        "backend-sampled",
        "non-unified-greedy",
        "non-unified-sampled",
    )
    if backend or variant == "host-sampled":
        chains = [make_chain(sampled=variant.endswith("-sampled"), seed=seq) for seq in range(n_seq)]
    if backend:
        for seq, chain in enumerate(chains):
            if not llama.llama_set_sampler(ctx, seq, chain):
                sys.exit("backend sampling is not available in this build")
    batch = llama.llama_batch_init(max(BATCH, n_rows), 0, n_rows)
    try:
        # The prompt, once, in sequence 0 (a fixed token, as llama-batched-bench's prompt is), then copied.
        for i in range(PROMPT_TOKENS):
            batch.token[i], batch.pos[i], batch.n_seq_id[i] = 100 + i % 1000, i, 1
            batch.seq_id[i][0] = 0
            batch.logits[i] = i == PROMPT_TOKENS - 1
        batch.n_tokens = PROMPT_TOKENS
        if llama.llama_decode(ctx, batch) != 0:
            sys.exit("the prompt did not decode")
        for seq in range(1, n_seq):
            llama.llama_memory_seq_cp(memory, 0, seq, -1, -1)
        for i in range(n_rows):
            batch.n_seq_id[i] = 1
            batch.seq_id[i][0] = i
            batch.logits[i] = i < n_seq
            batch.token[i], batch.pos[i] = 0, 0  # a filler's token and position stay
        batch.n_tokens = n_rows
        next_tokens = [0] * n_seq
        llama.llama_synchronize(ctx)
        clock = time.perf_counter
        in_decode = 0.0
        started = clock()
        for step in range(tokens):
            position = PROMPT_TOKENS + step
            for i in range(n_seq):
                batch.token[i] = next_tokens[i]
                batch.pos[i] = position
            for seq in fillers:
                llama.llama_memory_seq_rm(memory, seq, 0, -1)
            before = clock()
            if llama.llama_decode(ctx, batch) != 0:
                sys.exit(f"step {step} did not decode")
            in_decode += clock() - before
            if backend:
                next_tokens = [llama.llama_get_sampled_token_ith(ctx, i) for i in range(n_seq)]
            elif variant == "host-sampled":
                next_tokens = [llama.llama_sampler_sample(chains[i], ctx, i) for i in range(n_seq)]
            elif variant == "host-argmax":
                llama.llama_synchronize(ctx)
                rows = np.ctypeslib.as_array(llama.llama_get_logits(ctx), shape=(n_seq, n_vocab))
                next_tokens = rows.argmax(axis=1).tolist()
            elif variant != "bare-async":
                llama.llama_synchronize(ctx)
        llama.llama_synchronize(ctx)
        seconds = clock() - started
    finally:
        llama.llama_batch_free(batch)
        llama.llama_free(ctx)
        for chain in chains:  # after the context, which points at them
            llama.llama_sampler_free(chain)
    return {
        "variant": variant,
        "batch_size": n_seq,
        "tokens": tokens,
        "seconds": round(seconds, 4),
        "tok_s": round(n_seq * tokens / seconds, 1),
        "step_ms": round(1000 * seconds / tokens, 3),
        "decode_ms": round(1000 * in_decode / tokens, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", type=Path)
    parser.add_argument("--batch-sizes", default="4,8,16")
    parser.add_argument("--tokens", type=int, default=512)
    parser.add_argument("--gpu-layers", type=int, default=99)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--pad-to", type=int, default=9, help="rows of the padded variants (default 9)")
    parser.add_argument(
        "--variants",
        default="bare,bare-async,backend-greedy,host-argmax,non-unified,non-unified-greedy,backend-sampled,host-sampled",
    )
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    llama.llama_backend_init()
    llama.llama_log_set(QUIET, None)  # llama.cpp's log would bury the JSON lines
    model = load_model(args.model, args.gpu_layers)
    rows = []
    try:
        run_variant(model, "bare", 1, 16, args.threads)  # warm-up: kernels loaded, memory pools made
        for n_seq in (int(b) for b in args.batch_sizes.split(",")):
            for variant in args.variants.split(","):
                row = run_variant(model, variant, n_seq, args.tokens, args.threads, args.pad_to)
                print(json.dumps(row), flush=True)
                rows.append(row)
    finally:
        llama.llama_model_free(model)
    if args.out is not None:
        args.out.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
