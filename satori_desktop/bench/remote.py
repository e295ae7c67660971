"""`satori-desktop bench remote`: the remote engine against a bare HTTP client, and one server against two.

The remote engine (engine/remote.py) reads llama-server's streamed completions in Python: server-sent
events parsed as JSON, finish reasons, usage, a callback per piece, cancel checks. Two questions:

1. **Streaming.** Does the engine keep up with the server? Against the same llama-server it is compared
   with the floor: a bare httpx2 streaming POST of the same JSON body (`completion_body`), which only
   parses each event and notes when a piece of text arrived. Same request each time (a fixed prompt,
   greedy, `ignore_eog`, exactly `--tokens` new tokens); engine and bare client alternate per round (the
   first of the pair swapping each round), best of the rounds. The rate is a decode rate as the reader
   sees it: (pieces - 1) / (arrival of the last piece - arrival of the first), so the prompt is left out.
   Goal: engine >= 0.98 of the bare client. The server's pace drifts from run to run on a shared machine,
   so each run is also divided by the server's own decode rate in that run (its `/metrics` totals before
   and after: `--metrics`), and the reading thread's CPU time per token is given: what reading costs,
   whatever the server's pace.
2. **A problem set over two servers.** The same `--problems` distinct problems x `--problem-tokens`
   tokens through `generate_batch(parallel=total slots)`, on one server and on two (each started with
   `-np SLOTS -t THREADS`, so with one thread each server takes one core). One and two alternate per
   round; the best wall time of each and their ratio. Goal: >= 1.8x where the CPU has a core per server
   to spare for it (the client reads every stream too).

The servers are llama-server processes started here on 127.0.0.1 (`--llama-server PATH`, or the one on
PATH; `bash scripts/build-llama-server.sh` builds the pinned one and prints its path) with `--model`,
stopped at the end. Nothing is downloaded.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from satori_desktop.bench.report import emit_report, report_header, standalone_main
from satori_desktop.core import arguments
from satori_desktop.core.errors import UserFacingError
from satori_desktop.core.prompt import problem_prompt
from satori_desktop.engine.server_process import (
    ServerProcess,
    find_program,
    free_port,
    new_log_file,
    running,
)
from satori_desktop.engine.types import BatchJob, GenerationRequest, LoadOptions

if TYPE_CHECKING:  # httpx2 and the remote engine are imported when the benchmark runs, not by every command
    import httpx2

    from satori_desktop.engine.remote import RemoteEngine

STREAM_QUESTION = "Find all real x such that x^2 - 5x + 6 = 0, and check each root."
SERVER_ALIAS = "satori-bench"
# Room in each slot's context beyond the new tokens: the prompt and llama-server's own margin.
SLOT_CONTEXT_MARGIN = 512
HEALTH_TIMEOUT_S = 120.0
STOP_GRACE_S = 5.0


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", type=Path, required=True, help="the GGUF the servers load")
    parser.add_argument(
        "--llama-server",
        type=Path,
        default=None,
        help="the llama-server binary (default: on PATH; bash scripts/build-llama-server.sh builds one)",
    )
    tokens = arguments.whole_number_between(2, 65536)
    parser.add_argument(
        "--tokens", type=tokens, default=1024, help="new tokens of the streamed answer (default 1024)"
    )
    parser.add_argument(
        "--rounds", type=arguments.positive_int, default=5, help="rounds of each comparison (default 5)"
    )
    parser.add_argument(
        "--problems",
        type=arguments.whole_number_between(0, 4096),
        default=16,
        help="problems in the problem set (default 16; 0 skips it)",
    )
    parser.add_argument(
        "--problem-tokens", type=tokens, default=128, help="new tokens per problem (default 128)"
    )
    parser.add_argument(
        "--slots",
        type=arguments.whole_number_between(1, 256),
        default=4,
        help="parallel slots of each server (-np; default 4)",
    )
    parser.add_argument(
        "--threads",
        type=arguments.thread_count,
        default=1,
        help="threads of each server (-t; default 1: one core per server)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--save", type=Path, default=None, help="also write the JSON object to this file")
    parser.set_defaults(handler=run)


# -- the servers -----------------------------------------------------------------------------------------


class BenchServer:
    """One llama-server on 127.0.0.1, started with `start()` (waits for GET /health) and `stop()`.

    Its log is removed on stop, unless it never became ready: then the sentence names the log."""

    def __init__(self, binary: Path, model: Path, *, slots: int, threads: int, n_ctx_per_slot: int) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.args = [
            str(binary),
            "--host", "127.0.0.1",
            "--port", str(self.port),
            "-m", str(model),
            "-c", str(n_ctx_per_slot * slots),
            "-np", str(slots),
            "-t", str(threads),
            "--alias", SERVER_ALIAS,
            "--special",  # as a classroom's server is started (engine/remote.py's docstring)
            "--no-webui",
            "--metrics",  # GET /metrics: the server's own count of decode time, per run
        ]  # fmt: skip
        self.log_path: Path | None = None
        self._server: ServerProcess | None = None
        self._ready = False

    def start(self) -> None:
        self.log_path = new_log_file("satori-bench-llama-server-")
        self._server = ServerProcess.start(self.args, self.log_path, name="llama-server")
        self._ready = self._server.wait_until_ready(f"{self.url}/health", HEALTH_TIMEOUT_S)

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.stop(STOP_GRACE_S)
        if self.log_path is not None and self._ready:
            with contextlib.suppress(OSError):
                self.log_path.unlink()


def _llama_server_binary(given: Path | None) -> Path:
    return find_program(
        "llama-server",
        given,
        not_on_path="llama-server is not on PATH: give --llama-server PATH (bash "
        "scripts/build-llama-server.sh builds the pinned one and prints its path).",
    )


def _connect(urls: Sequence[str]) -> RemoteEngine:
    from satori_desktop.engine.remote import RemoteEngine, ServerConfig

    engine = RemoteEngine(ServerConfig(urls=tuple(urls), model=SERVER_ALIAS))
    engine.load(LoadOptions(Path(SERVER_ALIAS)))
    return engine


# -- 1. streaming: the engine vs a bare client -----------------------------------------------------------


class _NoAnswer(Exception):
    """The server closed the connection before answering (a kept-alive connection it had just closed)."""


@dataclass
class StreamRun:
    """What one streamed answer looked like from the reader's side."""

    arrivals: list[float]  # perf_counter of each piece of text
    text: str
    cpu_s: float  # CPU time of the reading thread over the whole request
    server_tok_s: float | None = None  # llama-server's own decode rate in this run (GET /metrics)

    @property
    def pieces(self) -> int:
        return len(self.arrivals)

    @property
    def tok_s(self) -> float:
        span = self.arrivals[-1] - self.arrivals[0] if self.arrivals else 0.0
        return (self.pieces - 1) / span if span > 0 else 0.0

    @property
    def cpu_us_per_piece(self) -> float:
        return 1e6 * self.cpu_s / self.pieces if self.pieces else 0.0


def _engine_stream(engine: RemoteEngine, request: GenerationRequest) -> StreamRun:
    arrivals: list[float] = []
    clock = time.perf_counter

    def on_text(_text: str) -> None:
        arrivals.append(clock())

    cpu = time.thread_time()
    result = engine.generate(request, on_text)  # reads the stream on this thread
    cpu = time.thread_time() - cpu
    if result.finish_reason == "error" and not result.generated_tokens:
        raise _NoAnswer(result.error or "")
    if result.finish_reason != "length" or result.generated_tokens != request.max_tokens:
        raise UserFacingError(
            f"The engine's answer stopped early ({result.finish_reason}, {result.generated_tokens} tokens"
            f"{', ' + result.error if result.error else ''})."
        )
    return StreamRun(arrivals, result.text, cpu)


def _server_decode_totals(client: httpx2.Client, url: str) -> tuple[float, float]:
    """llama-server's running totals of tokens generated and seconds spent generating them (/metrics)."""
    totals = {"llamacpp:tokens_predicted_total": 0.0, "llamacpp:tokens_predicted_seconds_total": 0.0}
    for line in client.get(f"{url}/metrics").text.splitlines():
        name, _, value = line.partition(" ")
        if name in totals:
            totals[name] = float(value)
    return totals["llamacpp:tokens_predicted_total"], totals["llamacpp:tokens_predicted_seconds_total"]


def _bare_stream(client: httpx2.Client, url: str, body: dict[str, Any]) -> StreamRun:
    """The floor: read the event stream, parse each event, note when text arrived; nothing else."""
    arrivals: list[float] = []
    pieces: list[str] = []
    clock = time.perf_counter
    cpu = time.thread_time()
    try:
        with client.stream("POST", f"{url}/v1/completions", json=body) as response:
            if response.status_code != 200:
                response.read()
                raise UserFacingError(
                    f"llama-server answered HTTP {response.status_code}: {response.text[:300]}"
                )
            for line in response.iter_lines():
                if not line.startswith("data: ") or line == "data: [DONE]":
                    continue
                event = json.loads(line[6:])
                for choice in event.get("choices") or ():
                    text = choice.get("text")
                    if text:
                        arrivals.append(clock())
                        pieces.append(text)
    except httpx2.RemoteProtocolError as exc:
        if arrivals:
            raise
        raise _NoAnswer(str(exc)) from None
    return StreamRun(arrivals, "".join(pieces), time.thread_time() - cpu)


def measure_streaming(url: str, tokens: int, rounds: int) -> dict[str, Any]:
    import httpx2

    from satori_desktop.engine.remote import completion_body

    request = GenerationRequest(problem_prompt(STREAM_QUESTION), max_tokens=tokens, ignore_eog=True)
    engine = _connect([url])
    body = completion_body(request, SERVER_ALIAS)
    timeout = httpx2.Timeout(connect=10.0, read=120.0, write=10.0, pool=None)
    engine_runs: list[StreamRun] = []
    retries = {"engine": 0, "bare": 0}
    bare_runs: list[StreamRun] = []
    try:
        with httpx2.Client(timeout=timeout, trust_env=False) as client:
            # Warm-up: the model's pages, the prompt in the server's cache, both clients' connections.
            warm = GenerationRequest(request.prompt, max_tokens=16, ignore_eog=True)
            engine.generate(warm)
            _bare_stream(client, url, completion_body(warm, SERVER_ALIAS))
            for number in range(rounds):
                pair = ("engine", "bare") if number % 2 == 0 else ("bare", "engine")
                for who in pair:
                    for attempt in (1, 2):
                        try:
                            before = _server_decode_totals(client, url)
                            if who == "engine":
                                stream_run = _engine_stream(engine, request)
                                engine_runs.append(stream_run)
                            else:
                                stream_run = _bare_stream(client, url, body)
                                bare_runs.append(stream_run)
                            after = _server_decode_totals(client, url)
                            if after[1] > before[1]:
                                stream_run.server_tok_s = (after[0] - before[0]) / (after[1] - before[1])
                            break
                        except _NoAnswer as exc:
                            # Counted in the report: a reused connection the server had closed.
                            if attempt == 2:
                                raise UserFacingError(f"llama-server did not answer twice: {exc}") from None
                            retries[who] += 1
    finally:
        engine.unload()
    best_engine = max(run.tok_s for run in engine_runs)
    best_bare = max(run.tok_s for run in bare_runs)
    # Each run's rate as read over the server's own decode rate of that run (its /metrics): whether the
    # reader kept up, whatever pace the server had in that run.
    of_server = {
        who: [run.tok_s / run.server_tok_s for run in runs if run.server_tok_s]
        for who, runs in (("engine", engine_runs), ("bare", bare_runs))
    }
    server_rates = [run.server_tok_s for run in engine_runs + bare_runs if run.server_tok_s]
    # Each engine run against the bare run of its own round: less exposed to the machine's drift.
    paired = [e.tok_s / b.tok_s for e, b in zip(engine_runs, bare_runs, strict=True) if b.tok_s]
    return {
        "tokens": tokens,
        "pieces": [run.pieces for run in engine_runs + bare_runs],
        "engine_tok_s": best_engine,
        "bare_tok_s": best_bare,
        "engine_vs_bare": best_engine / best_bare if best_bare else None,
        "engine_vs_bare_paired_median": statistics.median(paired) if paired else None,
        "server_tok_s": max(server_rates) if server_rates else None,
        "engine_vs_server_median": statistics.median(of_server["engine"]) if of_server["engine"] else None,
        "bare_vs_server_median": statistics.median(of_server["bare"]) if of_server["bare"] else None,
        # What reading costs the client, whatever the server's pace: CPU time per piece of text.
        "engine_cpu_us_per_token": min(run.cpu_us_per_piece for run in engine_runs),
        "bare_cpu_us_per_token": min(run.cpu_us_per_piece for run in bare_runs),
        "same_text": len({run.text for run in engine_runs + bare_runs}) == 1,
        # Requests sent again because the server closed the connection without answering.
        "retries_without_answer": retries,
        "runs": {
            "engine_tok_s": [run.tok_s for run in engine_runs],
            "bare_tok_s": [run.tok_s for run in bare_runs],
            "engine_server_tok_s": [run.server_tok_s for run in engine_runs],
            "bare_server_tok_s": [run.server_tok_s for run in bare_runs],
            "engine_vs_server": of_server["engine"],
            "bare_vs_server": of_server["bare"],
            "engine_vs_bare_paired": paired,
            "engine_cpu_us_per_token": [run.cpu_us_per_piece for run in engine_runs],
            "bare_cpu_us_per_token": [run.cpu_us_per_piece for run in bare_runs],
        },
    }


# -- 2. a problem set: one server vs two ----------------------------------------------------------------


def problem_jobs(problems: int, tokens: int) -> list[BatchJob]:
    """Distinct problems, as a problem set has (no two prompts alike, so no shared prompt cache)."""
    return [
        BatchJob(
            f"p{i}",
            GenerationRequest(
                problem_prompt(f"Find x if {i + 2}x + {3 * i + 1} = {5 * i + 7}."), tokens, ignore_eog=True
            ),
        )
        for i in range(problems)
    ]


def _problem_set_wall(engine: RemoteEngine, jobs: list[BatchJob], parallel: int) -> float:
    started = time.perf_counter()
    results = engine.generate_batch(jobs, parallel=parallel)
    wall = time.perf_counter() - started
    wanted = jobs[0].request.max_tokens
    short = [r for r in results.values() if r.finish_reason != "length" or r.generated_tokens != wanted]
    if short:
        raise UserFacingError(
            f"A problem stopped early ({short[0].finish_reason}, {short[0].generated_tokens} tokens"
            f"{', ' + short[0].error if short[0].error else ''})."
        )
    return wall


def measure_problem_set(
    urls: Sequence[str], problems: int, tokens: int, slots: int, rounds: int
) -> dict[str, Any]:
    one, two = _connect(urls[:1]), _connect(urls[:2])
    jobs = problem_jobs(problems, tokens)
    walls: dict[str, list[float]] = {"one_server": [], "two_servers": []}
    try:
        # Warm-up: every slot of both servers once (pages, slot buffers, connections).
        _problem_set_wall(two, problem_jobs(2 * slots, 8), 2 * slots)
        for number in range(rounds):
            order = ("one_server", "two_servers") if number % 2 == 0 else ("two_servers", "one_server")
            for name in order:
                engine, parallel = (one, slots) if name == "one_server" else (two, 2 * slots)
                walls[name].append(_problem_set_wall(engine, jobs, parallel))
    finally:
        one.unload()
        two.unload()
    best_one, best_two = min(walls["one_server"]), min(walls["two_servers"])
    total = problems * tokens
    return {
        "problems": problems,
        "tokens_per_problem": tokens,
        "slots_per_server": slots,
        "one_server_wall_s": best_one,
        "two_servers_wall_s": best_two,
        "one_server_tok_s": total / best_one,
        "two_servers_tok_s": total / best_two,
        "speedup": best_one / best_two,
        "runs": {name: values for name, values in walls.items()},
    }


# -- the report --------------------------------------------------------------------------------------------


def measure(args: argparse.Namespace) -> dict[str, Any]:
    model = Path(args.model).expanduser()
    if not model.is_file():
        raise UserFacingError(f"There is no model file at {model}.")
    binary = _llama_server_binary(args.llama_server)
    header = report_header("remote")
    n_ctx_per_slot = max(args.tokens, args.problem_tokens) + SLOT_CONTEXT_MARGIN
    count = 2 if args.problems else 1
    servers = [
        BenchServer(binary, model, slots=args.slots, threads=args.threads, n_ctx_per_slot=n_ctx_per_slot)
        for _ in range(count)
    ]
    with running(servers):
        streaming = measure_streaming(servers[0].url, args.tokens, args.rounds)
        problem_set = None
        if args.problems:
            problem_set = measure_problem_set(
                [server.url for server in servers],
                args.problems,
                args.problem_tokens,
                args.slots,
                args.rounds,
            )
    return {
        **header,
        "load_average_1min_end": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None,
        "model": str(model),
        "llama_server": str(binary),
        "server_threads": args.threads,
        "slots_per_server": args.slots,
        "rounds": args.rounds,
        "streaming": streaming,
        "problem_set": problem_set,
    }


def format_table(result: dict[str, Any]) -> str:
    s = result["streaming"]
    ratio = s["engine_vs_bare"]
    server = f"{s['server_tok_s']:.1f}" if s["server_tok_s"] else "-"
    lines = [
        f"model {result['model']}  server threads {result['server_threads']}  slots/server "
        f"{result['slots_per_server']}  rounds {result['rounds']}  ({result['date']}, {result['commit']}, "
        f"load {result['load_average_1min']} -> {result['load_average_1min_end']})",
        "",
        f"streaming {s['tokens']} tokens: engine {s['engine_tok_s']:.1f} tok/s, bare client "
        f"{s['bare_tok_s']:.1f} tok/s, engine/bare {ratio:.3f} (goal >= 0.98; paired median "
        f"{s['engine_vs_bare_paired_median']:.3f}); server's own best {server} tok/s; same text: "
        f"{'yes' if s['same_text'] else 'no'}",
        f"read rate / the server's own rate in the same run (median): engine "
        f"{_figure(s['engine_vs_server_median'])}, bare {_figure(s['bare_vs_server_median'])}",
        f"client CPU per token: engine {s['engine_cpu_us_per_token']:.0f} µs, bare "
        f"{s['bare_cpu_us_per_token']:.0f} µs",
    ]
    p = result["problem_set"]
    if p is not None:
        lines.append(
            f"problem set {p['problems']} x {p['tokens_per_problem']} tokens: one server "
            f"{p['one_server_wall_s']:.2f} s ({p['one_server_tok_s']:.0f} tok/s), two servers "
            f"{p['two_servers_wall_s']:.2f} s ({p['two_servers_tok_s']:.0f} tok/s): {p['speedup']:.2f}x "
            "(goal >= 1.8x)"
        )
    return "\n".join(lines)


def _figure(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def run(args: argparse.Namespace) -> int:
    result = measure(args)
    return emit_report(args, result, format_table(result))


def main(argv: list[str] | None = None) -> int:
    return standalone_main(register, "python -m satori_desktop.bench.remote", __doc__, argv)


if __name__ == "__main__":
    raise SystemExit(main())
