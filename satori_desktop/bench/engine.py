"""`satori-desktop bench engine`: the app's engine against a bare llama-cpp-python loop and llama.cpp itself.

The engine's own token loop does more per token than a bare `Llama.generate` loop (pieces with special
tokens, UTF-8 decoding, a callback, cancel checks), and it is held to >= 0.97 of the bare loop on a CPU and
>= 0.97 of `llama-bench`'s decode figure on a GPU. So this benchmark measures, in one process and on the
same GGUF:

* the app's `LlamaEngine` (greedy, streaming its text to a callback that keeps it, as the GUI's worker does);
* the floor: `for token in Llama.generate(tokens, temp=0)`, with only a counter in the loop;
* llama.cpp's own figure from the `llama-bench` binary (`-p 0 -n TOKENS`), when one is on PATH or given.

Runs of the engine and the bare loop alternate (engine, bare, engine, bare, ...) so that drifting clocks or
thermal throttling hit both alike; the best run of each is compared, as llama-bench reports its mean over
repetitions. Rates are decode rates: (tokens - 1) / (time of the last token - time of the first), so prompt
processing is left out. Each rate is also given per window of 512 tokens: a loop that slows down as the
text grows (the O(n^2) detokenizing of `create_completion`) shows as falling windows.

A random-weight or tiny model may emit an end-of-generation token at any time, so the engine runs with
`ignore_eog=True` (it keeps generating through such tokens, exactly `--tokens` of them), and the bare loop
never stops on one anyway: `Llama.generate` leaves stopping to its caller.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from satori_desktop.bench.report import emit_report, standalone_main
from satori_desktop.core import arguments
from satori_desktop.core.errors import UserFacingError
from satori_desktop.engine.llama_engine import window_rates
from satori_desktop.engine.types import WINDOW_TOKENS

WINDOW = WINDOW_TOKENS
QUESTION = "Find all real x such that x^2 - 5x + 6 = 0."


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", type=Path, required=True, help="the GGUF model to measure")
    tokens = arguments.whole_number_between(2, arguments.MAX_CONTEXT_TOKENS)
    parser.add_argument("--tokens", type=tokens, default=2048, help="tokens generated per run (default 2048)")
    parser.add_argument(
        "--rounds", type=arguments.positive_int, default=2, help="alternating engine/bare rounds (default 2)"
    )
    parser.add_argument(
        "--gpu-layers", type=arguments.gpu_layers, default=None, help="layers to offload (default: engine's)"
    )
    parser.add_argument(
        "--threads", type=arguments.thread_count, default=None, help="decode threads (default: engine's)"
    )
    parser.add_argument(
        "--llama-bench", type=Path, default=None, help="llama-bench binary (default: llama-bench on PATH)"
    )
    parser.add_argument("--no-llama-bench", action="store_true", help="skip llama.cpp's own figure")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--save", type=Path, default=None, help="also write the JSON object to this file")
    parser.set_defaults(handler=run)


@dataclass
class RunFigures:
    loop: str  # "engine" | "bare"
    tokens: int
    decode_tok_s: float
    window_tok_s: list[float] = field(default_factory=list)
    # Tokens per second of this thread's CPU time: on a shared machine (other processes taking the cores)
    # wall-clock rates swing by tens of percent; with one decode thread, CPU time does not.
    cpu_tok_s: float = 0.0


@dataclass
class EngineBenchResult:
    model: str
    tokens: int
    backend: str
    gpu_layers: int
    threads: int
    engine_runs: list[RunFigures]
    bare_runs: list[RunFigures]
    llama_bench_tok_s: float | None
    llama_bench_note: str
    same_tokens: bool
    date: str = field(default_factory=lambda: time.strftime("%Y-%m-%d %H:%M:%S"))

    @property
    def engine_best(self) -> RunFigures:
        return max(self.engine_runs, key=lambda r: r.decode_tok_s)

    @property
    def bare_best(self) -> RunFigures:
        return max(self.bare_runs, key=lambda r: r.decode_tok_s)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        engine, bare = self.engine_best.decode_tok_s, self.bare_best.decode_tok_s
        data["engine_tok_s"] = engine
        data["bare_tok_s"] = bare
        data["engine_vs_bare"] = engine / bare
        data["engine_vs_bare_median"] = statistics.median(r.decode_tok_s for r in self.engine_runs) / (
            statistics.median(r.decode_tok_s for r in self.bare_runs)
        )
        data["engine_vs_bare_cpu_time"] = max(r.cpu_tok_s for r in self.engine_runs) / max(
            r.cpu_tok_s for r in self.bare_runs
        )
        data["engine_vs_llama_bench"] = engine / self.llama_bench_tok_s if self.llama_bench_tok_s else None
        data["bare_vs_llama_bench"] = bare / self.llama_bench_tok_s if self.llama_bench_tok_s else None
        return data


def _bare_run(llm: Any, prompt_tokens: list[int], n_tokens: int) -> tuple[RunFigures, list[int]]:
    """The floor: a plain `Llama.generate` loop with only bookkeeping a benchmark cannot avoid."""
    clock = time.perf_counter
    produced: list[int] = []
    remember = produced.append
    marks: list[float] = []
    mark = marks.append
    count = 0
    t_first = t_last = cpu_first = cpu_last = 0.0
    for token in llm.generate(prompt_tokens, temp=0.0, top_k=1, top_p=1.0, min_p=0.0, repeat_penalty=1.0):
        count += 1
        remember(token)
        if (count & (WINDOW - 1)) == 1:
            mark(clock())
            if count == 1:
                cpu_first = time.thread_time()
        if count >= n_tokens:
            t_last = clock()
            cpu_last = time.thread_time()
            break
    t_first = marks[0]
    rate = (count - 1) / (t_last - t_first) if t_last > t_first else 0.0
    cpu_rate = (count - 1) / (cpu_last - cpu_first) if cpu_last > cpu_first else 0.0
    return RunFigures("bare", count, rate, window_rates(marks, count, t_last), cpu_rate), produced


def _engine_run(engine: Any, prompt: str, n_tokens: int) -> tuple[RunFigures, str]:
    from satori_desktop.engine.types import GenerationRequest

    received: list[str] = []
    keep = received.append
    cpu_first: list[float] = []

    def on_text(text: str) -> None:
        if not cpu_first:
            cpu_first.append(time.thread_time())
        keep(text)

    result = engine.generate(GenerationRequest(prompt, max_tokens=n_tokens, ignore_eog=True), on_text=on_text)
    cpu_last = time.thread_time()
    cpu_rate = (
        (result.generated_tokens - 1) / (cpu_last - cpu_first[0])
        if cpu_first and cpu_last > cpu_first[0]
        else 0.0
    )
    if result.finish_reason != "length" or result.generated_tokens != n_tokens:
        raise UserFacingError(
            f"The engine stopped after {result.generated_tokens} tokens ({result.finish_reason}, "
            f"{result.error}); check the model and try again."
        )
    figures = RunFigures(
        "engine", result.generated_tokens, result.decode_tok_s or 0.0, result.window_tok_s, cpu_rate
    )
    return figures, "".join(received)


def _find_llama_bench(args: argparse.Namespace) -> str | None:
    if args.no_llama_bench:
        return None
    if args.llama_bench is not None:
        return str(args.llama_bench)
    return shutil.which("llama-bench")


def _llama_bench(
    binary: str, model: Path, tokens: int, gpu_layers: int, threads: int
) -> tuple[float | None, str]:
    """llama.cpp's decode figure: tg of `tokens` tokens, flash attention on (as the engine resolves it)."""
    command = [
        binary,
        "-m",
        str(model),
        "-p",
        "0",
        "-n",
        str(tokens),
        "-ngl",
        str(gpu_layers),
        "-t",
        str(threads),
        "-fa",
        "1",
        "-r",
        "2",
        "-o",
        "json",
    ]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=1800, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, f"llama-bench failed to run: {exc}"
    if done.returncode != 0:
        return None, f"llama-bench exited with {done.returncode}: {done.stderr.strip()[-300:]}"
    try:
        rows = json.loads(done.stdout)
        rates = [float(row["avg_ts"]) for row in rows if int(row.get("n_gen", 0)) > 0]
    except (ValueError, KeyError, TypeError) as exc:
        return None, f"could not read llama-bench's output: {exc}"
    if not rates:
        return None, "llama-bench reported no decode figure"
    return rates[0], " ".join(command)


def measure(args: argparse.Namespace) -> EngineBenchResult:
    import llama_cpp

    from satori_desktop.engine.llama_engine import LlamaEngine, default_n_threads
    from satori_desktop.engine.types import LoadOptions

    model = Path(args.model).expanduser()
    threads = args.threads or default_n_threads()
    prompt = (
        "<|im_start|>user\nSolve the following math problem efficiently and clearly.\n"
        "Please reason step by step, and put your final answer within \\boxed{}.\n"
        f"Problem: {QUESTION}<|im_end|>\n<|im_start|>assistant\n"
    )
    engine = LlamaEngine()
    n_ctx = args.tokens + 256
    report = engine.load(LoadOptions(model, n_ctx=n_ctx, gpu_layers=args.gpu_layers, n_threads=threads))
    llm = llama_cpp.Llama(
        model_path=str(model),
        n_ctx=report.n_ctx,
        n_batch=512,
        n_ubatch=512,
        n_gpu_layers=report.gpu_layers,
        n_threads=threads,
        n_threads_batch=max(threads, os.cpu_count() or 1),
        flash_attn=True,
        verbose=False,
    )
    prompt_tokens = llm.tokenize(prompt.encode("utf-8"), add_bos=False, special=True)
    engine_runs: list[RunFigures] = []
    bare_runs: list[RunFigures] = []
    same = True
    # A short warm-up of each, so first-touch page faults and GPU kernel loading stay out of the figures.
    engine.generate(_warmup_request(prompt))
    _bare_run(llm, prompt_tokens, 16)
    for _ in range(max(1, args.rounds)):
        engine_figures, engine_text = _engine_run(engine, prompt, args.tokens)
        engine_runs.append(engine_figures)
        bare_figures, bare_tokens = _bare_run(llm, prompt_tokens, args.tokens)
        bare_runs.append(bare_figures)
        bare_text = b"".join(_piece(llm, t) for t in bare_tokens).decode("utf-8", errors="replace")
        same = same and bare_text == engine_text
    del llm
    engine.unload()

    lb_rate, lb_note = None, "llama-bench not found (give --llama-bench PATH)"
    binary = _find_llama_bench(args)
    if binary:
        lb_rate, lb_note = _llama_bench(binary, model, args.tokens, report.gpu_layers, threads)
    return EngineBenchResult(
        model=str(model),
        tokens=args.tokens,
        backend=report.backend,
        gpu_layers=report.gpu_layers,
        threads=threads,
        engine_runs=engine_runs,
        bare_runs=bare_runs,
        llama_bench_tok_s=lb_rate,
        llama_bench_note=lb_note,
        same_tokens=same,
    )


def _warmup_request(prompt: str) -> Any:
    from satori_desktop.engine.types import GenerationRequest

    return GenerationRequest(prompt, max_tokens=16, ignore_eog=True)


def _piece(llm: Any, token: int) -> bytes:
    """A token's bytes, special tokens spelt out, with no 32-byte cut (to compare the two outputs)."""
    import ctypes

    import llama_cpp

    vocab = llama_cpp.llama_model_get_vocab(llm.model)
    buf = ctypes.create_string_buffer(256)
    n = llama_cpp.llama_token_to_piece(vocab, token, buf, len(buf), 0, True)
    if n < 0:
        buf = ctypes.create_string_buffer(-n)
        n = llama_cpp.llama_token_to_piece(vocab, token, buf, len(buf), 0, True)
    return buf.raw[:n]


def format_table(result: EngineBenchResult) -> str:
    data = result.to_dict()
    lines = [
        f"model {result.model}  backend {result.backend}  gpu_layers {result.gpu_layers}  "
        f"threads {result.threads}  tokens {result.tokens}  ({result.date})",
        "",
        f"{'loop':<12} {'run':>3} {'decode tok/s':>13} {'CPU-time tok/s':>15}   per {WINDOW}-token window",
    ]
    for runs in (result.engine_runs, result.bare_runs):
        for i, run in enumerate(runs, 1):
            windows = " ".join(f"{w:8.1f}" for w in run.window_tok_s)
            lines.append(f"{run.loop:<12} {i:>3} {run.decode_tok_s:13.1f} {run.cpu_tok_s:15.1f}   {windows}")
    if result.llama_bench_tok_s is not None:
        lines.append(f"{'llama-bench':<12} {'':>3} {result.llama_bench_tok_s:13.1f}   (tg{result.tokens})")
    lines += [
        "",
        f"engine / bare loop (best runs):   {data['engine_vs_bare']:.3f}"
        f"   (medians: {data['engine_vs_bare_median']:.3f})",
        f"engine / bare loop, CPU time:     {data['engine_vs_bare_cpu_time']:.3f}   (with --threads 1)",
    ]
    if result.llama_bench_tok_s is not None:
        lines.append(f"engine / llama-bench:             {data['engine_vs_llama_bench']:.3f}")
        lines.append(f"bare loop / llama-bench:          {data['bare_vs_llama_bench']:.3f}")
    else:
        lines.append(f"llama-bench: {result.llama_bench_note}")
    lines.append(f"same tokens from both loops: {'yes' if result.same_tokens else 'NO'}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    result = measure(args)
    return emit_report(args, result.to_dict(), format_table(result))


def main(argv: list[str] | None = None) -> int:
    return standalone_main(register, "python -m satori_desktop.bench.engine", __doc__, argv)


if __name__ == "__main__":
    raise SystemExit(main())
