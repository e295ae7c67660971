"""`satori-desktop bench batched`: batched decoding against one-by-one decoding, and against llama.cpp.

For each batch size B this measures, in one process and on the same GGUF:

* the engine's `generate_batch`: B jobs with the same prompt (evaluated once, shared), greedy,
  `ignore_eog`, exactly `--tokens` new tokens each, `parallel=B`;
* B single `generate` calls one after another with the same request (the single-answer path);
* llama.cpp's own `llama-batched-bench` at the same prompt length, tokens and B (when given or on PATH).

Rates are aggregate decode rates, as llama-batched-bench's S_TG counts them: all sequences' tokens after
the first one per sequence, over the time from the first sampled token to the last (prompt processing
left out). The ratios: batched / sequential (what batching buys on this machine) and
engine / llama-batched-bench (what the engine's Python loop costs). Batched and sequential runs alternate
per round; the best run of each is compared, as in `bench engine`.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from satori_desktop.bench.report import emit_report, report_header, standalone_main
from satori_desktop.core import arguments
from satori_desktop.core.errors import UserFacingError

FILLER = " Let us check every step of this carefully."


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", type=Path, required=True, help="the GGUF model to measure")
    parser.add_argument(
        "--batch-sizes", default="1,2,4", help="comma-separated batch sizes B (default 1,2,4)"
    )
    tokens = arguments.whole_number_between(2, arguments.MAX_CONTEXT_TOKENS)
    parser.add_argument("--tokens", type=tokens, default=128, help="new tokens per sequence (default 128)")
    parser.add_argument("--prompt-tokens", type=tokens, default=256, help="prompt length (default 256)")
    parser.add_argument("--rounds", type=arguments.positive_int, default=2, help="rounds per B (default 2)")
    parser.add_argument(
        "--gpu-layers", type=arguments.gpu_layers, default=None, help="layers to offload (default: engine's)"
    )
    parser.add_argument(
        "--threads", type=arguments.thread_count, default=None, help="decode threads (default: engine's)"
    )
    parser.add_argument(
        "--llama-batched-bench", type=Path, default=None, help="llama-batched-bench binary (default: on PATH)"
    )
    parser.add_argument("--no-llama-batched-bench", action="store_true", help="skip llama.cpp's own figures")
    parser.add_argument(
        "--no-sequential",
        action="store_true",
        help="skip the B answers one after another at each B (only the engine vs llama-batched-bench)",
    )
    parser.add_argument(
        "--problem-set",
        type=arguments.whole_number_between(0, 4096),
        default=0,
        help="also solve N distinct problems with continuous batching at the largest B and one at a time "
        "(what `solve --parallel` does; default 0: skip)",
    )
    parser.add_argument(
        "--sequential-subset",
        type=arguments.whole_number_between(0, 4096),
        default=0,
        help="solve only the first M problems of --problem-set one at a time and scale that time to all N "
        "(one at a time, every problem costs the same: same prompt length, same tokens; default 0: all)",
    )
    parser.add_argument(
        "--samples",
        type=arguments.whole_number_between(0, 16),
        default=0,
        help="also time K sampled solutions of one problem together vs one greedy answer (default 0: skip)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--save", type=Path, default=None, help="also write the JSON object to this file")
    parser.set_defaults(handler=run)


@dataclass
class BatchFigures:
    batch_size: int
    batched_tok_s: list[float] = field(default_factory=list)  # aggregate decode rate per round
    sequential_tok_s: list[float] = field(default_factory=list)
    batched_wall_s: list[float] = field(default_factory=list)  # the whole call, prompt included
    sequential_wall_s: list[float] = field(default_factory=list)
    llama_batched_bench_tok_s: float | None = None
    same_text: bool | None = True  # every batched sequence equals the single-sequence text (None: no check)

    def to_dict(self) -> dict[str, Any]:
        best_batched = max(self.batched_tok_s, default=0.0)
        best_sequential = max(self.sequential_tok_s, default=0.0)
        lbb = self.llama_batched_bench_tok_s
        return {
            "batch_size": self.batch_size,
            "batched_tok_s": best_batched,
            "sequential_tok_s": best_sequential,
            "batched_vs_sequential": best_batched / best_sequential if best_sequential else None,
            "wall_sequential_vs_batched": (
                min(self.sequential_wall_s) / min(self.batched_wall_s) if self.sequential_wall_s else None
            ),
            "llama_batched_bench_tok_s": lbb,
            "engine_vs_llama_batched_bench": best_batched / lbb if lbb else None,
            "same_text": self.same_text,
            "runs": {
                "batched_tok_s": self.batched_tok_s,
                "sequential_tok_s": self.sequential_tok_s,
                "batched_wall_s": self.batched_wall_s,
                "sequential_wall_s": self.sequential_wall_s,
            },
        }


def _prompt(engine: Any, n_tokens: int) -> str:
    """A Satori-shaped prompt of exactly `n_tokens` tokens (filler words cut to length)."""
    head = "<|im_start|>user\nSolve the following math problem efficiently and clearly.\nProblem: Find x."
    tail = "<|im_end|>\n<|im_start|>assistant\n"
    text = head
    while len(engine.tokenize(text + tail)) < n_tokens:
        text += FILLER
    ids = engine.tokenize(text + tail)
    while len(ids) > n_tokens and len(text) > len(head):
        text = text[:-1]
        ids = engine.tokenize(text + tail)
    return text + tail


def _batched_run(engine: Any, prompt: str, b: int, n_tokens: int) -> tuple[float, float, list[str]]:
    from satori_desktop.engine.types import BatchJob, GenerationRequest

    times: list[float] = []
    clock = time.perf_counter

    def on_text(_key: str, _text: str) -> None:
        times.append(clock())

    request = GenerationRequest(prompt, max_tokens=n_tokens, ignore_eog=True)
    jobs = [BatchJob(f"s{i}", request) for i in range(b)]
    started = clock()
    results = engine.generate_batch(jobs, parallel=b, on_text=on_text)
    wall = clock() - started
    texts = [results[job.key].text for job in jobs]
    bad = [r for r in results.values() if r.generated_tokens != n_tokens]
    if bad:
        raise UserFacingError(f"A batched sequence stopped early ({bad[0].finish_reason}, {bad[0].error}).")
    # Pieces are streamed one per sequence per step: the first B mark the end of the prompt step.
    first, last = times[b - 1], times[-1]
    rate = b * (n_tokens - 1) / (last - first) if last > first else 0.0
    return rate, wall, texts


def _sequential_run(engine: Any, prompt: str, b: int, n_tokens: int) -> tuple[float, float, list[str]]:
    from satori_desktop.engine.types import GenerationRequest

    decode_time = 0.0
    texts: list[str] = []
    started = time.perf_counter()
    for _ in range(b):
        result = engine.generate(GenerationRequest(prompt, max_tokens=n_tokens, ignore_eog=True))
        if result.generated_tokens != n_tokens or not result.decode_tok_s:
            raise UserFacingError(
                f"A single generate stopped early ({result.finish_reason}, {result.error})."
            )
        decode_time += (n_tokens - 1) / result.decode_tok_s
        texts.append(result.text)
    wall = time.perf_counter() - started
    return b * (n_tokens - 1) / decode_time, wall, texts


def _llama_batched_bench(
    binary: str, model: Path, sizes: list[int], prompt_tokens: int, tokens: int, gpu_layers: int, threads: int
) -> tuple[dict[int, float], str]:
    """S_TG per B from llama-batched-bench, flash attention on (its prompts are not shared: S_TG, the
    decode rate, is what is compared, and the engine's shared prompt takes fewer cells, not more)."""
    # The figures of ../shared/gpu-bench/README.md were taken with -c 20000 (room for B=16 and more).
    n_ctx = max(20000, prompt_tokens + max(sizes) * (prompt_tokens + tokens))
    command = [
        binary, "-m", str(model), "-c", str(n_ctx), "-b", "2048", "-ub", "512",
        "-npp", str(prompt_tokens), "-ntg", str(tokens), "-npl", ",".join(map(str, sizes)),
        "-ngl", str(gpu_layers), "-fa", "on", "--output-format", "jsonl",
    ]  # fmt: skip
    if gpu_layers == 0:
        command += ["-t", str(threads)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=3600, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return {}, f"llama-batched-bench failed to run: {exc}"
    if done.returncode != 0:
        return {}, f"llama-batched-bench exited with {done.returncode}: {done.stderr.strip()[-300:]}"
    rates: dict[int, float] = {}
    for line in (done.stdout + "\n" + done.stderr).splitlines():
        line = line.strip()
        if line.startswith("{") and "speed_tg" in line:
            try:
                row = json.loads(line)
                rates[int(row["pl"])] = float(row["speed_tg"])
            except (ValueError, KeyError, TypeError):
                continue
    return rates, " ".join(command)


def _problem_set_run(engine: Any, prompt: str, problems: int, parallel: int, n_tokens: int) -> float:
    """Wall time of `problems` distinct problems (each its own prompt) through one generate_batch."""
    from satori_desktop.engine.types import BatchJob, GenerationRequest

    # Distinct problems, as a problem set has: a number changes in each, so no two prompts are equal.
    jobs = [
        BatchJob(
            f"p{i}", GenerationRequest(prompt.replace("Find x.", f"Find x{i}."), n_tokens, ignore_eog=True)
        )
        for i in range(problems)
    ]
    started = time.perf_counter()
    results = engine.generate_batch(jobs, parallel=parallel)
    wall = time.perf_counter() - started
    short = [r for r in results.values() if r.generated_tokens != n_tokens]
    if short:
        raise UserFacingError(f"A problem stopped early ({short[0].finish_reason}, {short[0].error}).")
    return wall


def _samples_run(engine: Any, prompt: str, k: int, n_tokens: int) -> tuple[float, float]:
    """Wall time of one greedy answer, and of `k` sampled ones together (self-consistency's settings)."""
    from satori_desktop.engine.types import BatchJob, GenerationRequest

    started = time.perf_counter()
    engine.generate(GenerationRequest(prompt, max_tokens=n_tokens, ignore_eog=True))
    one = time.perf_counter() - started
    jobs = [
        BatchJob(
            f"s{i}",
            GenerationRequest(
                prompt, max_tokens=n_tokens, temperature=0.7, top_p=0.8, seed=1000 + i, ignore_eog=True
            ),
        )
        for i in range(k)
    ]
    started = time.perf_counter()
    engine.generate_batch(jobs, parallel=k)
    return one, time.perf_counter() - started


def measure(args: argparse.Namespace) -> dict[str, Any]:
    from satori_desktop.engine.llama_engine import LlamaEngine, default_n_threads
    from satori_desktop.engine.types import GenerationRequest, LoadOptions

    sizes = sorted({int(part) for part in str(args.batch_sizes).split(",") if part.strip()})
    if not sizes or sizes[0] < 1:
        raise UserFacingError("--batch-sizes takes whole numbers of 1 or more, such as 1,2,4.")
    model = Path(args.model).expanduser()
    threads = args.threads or default_n_threads()
    engine = LlamaEngine()
    report = engine.load(
        LoadOptions(
            model, n_ctx=args.prompt_tokens + args.tokens + 256, gpu_layers=args.gpu_layers, n_threads=threads
        )
    )
    prompt = _prompt(engine, args.prompt_tokens)
    prompt_length = len(engine.tokenize(prompt))
    # Warm-up: first-touch page faults, GPU kernels, and the batch context of each size.
    engine.generate(GenerationRequest(prompt, max_tokens=8, ignore_eog=True))
    figures = []
    for b in sizes:
        _batched_run(engine, prompt, b, 8)
        fig = BatchFigures(b)
        single_text = None
        for _ in range(args.rounds):
            rate, wall, texts = _batched_run(engine, prompt, b, args.tokens)
            fig.batched_tok_s.append(rate)
            fig.batched_wall_s.append(wall)
            if args.no_sequential:
                fig.same_text = None
                continue
            rate, wall, seq_texts = _sequential_run(engine, prompt, b, args.tokens)
            fig.sequential_tok_s.append(rate)
            fig.sequential_wall_s.append(wall)
            single_text = seq_texts[0]
            fig.same_text = fig.same_text and all(text == single_text for text in texts + seq_texts)
        figures.append(fig)
    extra: dict[str, Any] = {}
    if args.samples:
        _samples_run(engine, prompt, args.samples, 8)  # warm-up: the batch context of k slots
        runs = [_samples_run(engine, prompt, args.samples, args.tokens) for _ in range(args.rounds)]
        one, together = min(r[0] for r in runs), min(r[1] for r in runs)
        extra["samples"] = {
            "k": args.samples,
            "one_answer_wall_s": one,
            "k_sampled_wall_s": together,
            "k_vs_one": together / one,
            "runs": [list(r) for r in runs],
        }
    if args.problem_set:
        parallel = sizes[-1]
        wall_parallel = _problem_set_run(engine, prompt, args.problem_set, parallel, args.tokens)
        subset = min(args.sequential_subset or args.problem_set, args.problem_set)
        wall_subset = _problem_set_run(engine, prompt, subset, 1, args.tokens)
        wall_one = wall_subset * args.problem_set / subset
        extra["problem_set"] = {
            "problems": args.problem_set,
            "parallel": parallel,
            "wall_parallel_s": wall_parallel,
            "wall_one_at_a_time_s": wall_one,
            # One at a time, only the first `measured_one_at_a_time` problems ran; the rest is scaled.
            "measured_one_at_a_time": subset,
            "wall_measured_one_at_a_time_s": wall_subset,
            "speedup": wall_one / wall_parallel,
        }
    engine.unload()

    note = "llama-batched-bench not found (give --llama-batched-bench PATH)"
    binary = None
    if not args.no_llama_batched_bench:
        binary = (
            str(args.llama_batched_bench) if args.llama_batched_bench else shutil.which("llama-batched-bench")
        )
    if binary:
        rates, note = _llama_batched_bench(
            binary, model, sizes, args.prompt_tokens, args.tokens, report.gpu_layers, threads
        )
        for fig in figures:
            fig.llama_batched_bench_tok_s = rates.get(fig.batch_size)
    return {
        **report_header("batched"),
        "model": str(model),
        "backend": report.backend,
        "gpu_layers": report.gpu_layers,
        "threads": threads,
        "prompt_tokens": prompt_length,
        "tokens_per_sequence": args.tokens,
        "rounds": args.rounds,
        "llama_batched_bench_note": note,
        "sizes": [fig.to_dict() for fig in figures],
        **extra,
    }


def format_table(result: dict[str, Any]) -> str:
    lines = [
        f"model {result['model']}  backend {result['backend']}  gpu_layers {result['gpu_layers']}  "
        f"threads {result['threads']}  prompt {result['prompt_tokens']}  tokens/seq "
        f"{result['tokens_per_sequence']}  ({result['date']}, {result['commit']})",
        "",
        f"{'B':>3} {'batched tok/s':>14} {'sequential':>11} {'ratio':>7} {'wall ratio':>11} "
        f"{'llama-bb':>9} {'engine/llama-bb':>16} same",
    ]

    def figure(value: float | None, form: str) -> str:
        return format(value, form) if value else "-"

    for row in result["sizes"]:
        same = {True: "yes", False: "NO", None: "-"}[row["same_text"]]
        lines.append(
            f"{row['batch_size']:>3} {row['batched_tok_s']:14.1f} "
            f"{figure(row['sequential_tok_s'], '.1f'):>11} "
            f"{figure(row['batched_vs_sequential'], '.3f'):>7} "
            f"{figure(row['wall_sequential_vs_batched'], '.3f'):>11} "
            f"{figure(row['llama_batched_bench_tok_s'], '.1f'):>9} "
            f"{figure(row['engine_vs_llama_batched_bench'], '.3f'):>16} {same}"
        )
    lines.append("")
    lines.append(f"llama-batched-bench: {result['llama_batched_bench_note']}")
    if "samples" in result:
        s = result["samples"]
        lines.append(
            f"self-consistency: {s['k']} sampled solutions together {s['k_sampled_wall_s']:.2f} s vs one "
            f"greedy answer {s['one_answer_wall_s']:.2f} s: {s['k_vs_one']:.2f}x"
        )
    if "problem_set" in result:
        p = result["problem_set"]
        lines.append(
            f"problem set: {p['problems']} problems, {p['parallel']} at a time {p['wall_parallel_s']:.1f} s, "
            f"one at a time {p['wall_one_at_a_time_s']:.1f} s: {p['speedup']:.2f}x faster"
        )
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    result = measure(args)
    return emit_report(args, result, format_table(result))


def main(argv: list[str] | None = None) -> int:
    return standalone_main(register, "python -m satori_desktop.bench.batched", __doc__, argv)


if __name__ == "__main__":
    raise SystemExit(main())
