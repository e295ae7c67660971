"""`satori-desktop bench history`: what the conversation history costs, measured side by side in one run.

Three figures, each against its goal:

* Checkpointing while streaming: the scripted engine streams a long COAT solution at 500 tokens/s into
  the COAT parser (as the window and `ask` do), with history off and with a `TurnRecorder` taking every
  piece (checkpoints every second, fsync'd, and the ending), alternately, several rounds. The figure is
  the process's CPU time (`time.process_time`: every thread, the writer's included) with history on minus
  off, per second of streaming (= % of one core) and relative to the run with history off. The scripted
  engine costs far less CPU than a model does, so the relative figure is an upper bound of what the app
  sees. Goal: <= 2 %.
* Search over 10,000 stored conversations (varied English and Chinese questions, solutions of 300-1,500
  tokens): p50/p95 of `HistoryStore.search` over a mix of queries (common and rare words, several words,
  Chinese, one- and two-character ones that fall back to LIKE, no match, syntax characters). Goal: p95 <
  50 ms.
* Opening a 4,000-token conversation: `get_conversation` until the `Conversation` object is there, the
  first time on a newly opened store and then warm. Also the store's own start-up (open, integrity check,
  first page of the list) with 10,000 conversations and with none.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from satori_desktop.bench.report import machine_description, report_header
from satori_desktop.core import arguments

GOALS = {"checkpoint_extra_cpu_pct": 2.0, "search_p95_ms": 50.0}
QUERIES = (
    "quadratic",  # in most solutions
    "remainder",  # in a sixth of the questions
    '"divided by 7"',  # a quoted phrase
    "train average speed",  # three words
    "二次方程",  # Chinese, in a fifteenth of the questions
    "学生 椅子",  # two Chinese words of two characters: LIKE
    "方程",  # two characters: LIKE
    "x",  # one character: LIKE
    "quadratic x",  # indexed and LIKE together
    "zebra",  # found nowhere
    '"AND -* NEAR(',  # syntax characters, searched as text
)
_EN_QUESTIONS = (
    "Find the sum of the roots of $x^2 - {a}x + {b} = 0$.",
    "Evaluate $\\int_0^{{{a}}} x^{{{b}}}\\,dx$.",
    "How many ways can {a} students sit in {b} chairs?",
    "Solve the system $x + y = {a}$, $x - y = {b}$.",
    "What is the remainder when ${a}^{{{b}}}$ is divided by 7?",
    "A train travels {a} km in {b} hours; find its average speed.",
)
_ZH_QUESTIONS = (
    "求二次方程 $x^2 - {a}x + {b} = 0$ 的两根之和。",
    "计算 $\\int_0^{{{a}}} x^{{{b}}}\\,dx$ 的值。",
    "{a} 名学生坐 {b} 把椅子，有多少种坐法？",
)


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rate", type=arguments.rate, default=500.0, help="tokens/s streamed (default 500)")
    parser.add_argument(
        "--tokens", type=arguments.positive_int, default=4000, help="tokens per streamed run (default 4000)"
    )
    parser.add_argument(
        "--rounds",
        type=arguments.positive_int,
        default=5,
        help="alternating off/on streaming rounds (default 5)",
    )
    parser.add_argument(
        "--conversations",
        type=arguments.positive_int,
        default=10_000,
        help="stored conversations searched (default 10000)",
    )
    parser.add_argument(
        "--search-rounds", type=arguments.positive_int, default=20, help="times each query runs (default 20)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(handler=run)


def _stream_once(store: Any, trace: str, rate: float, tokens: int) -> tuple[float, float, float | None]:
    """One streamed solution: the process CPU seconds and wall seconds it took, and the CPU seconds the
    history's writer thread used meanwhile (None with history off, or where the OS cannot say)."""
    from satori_desktop.core.coat import CoatParser
    from satori_desktop.engine.scripted import ScriptedEngine
    from satori_desktop.engine.types import GenerationRequest, LoadOptions

    engine = ScriptedEngine([trace], tokens_per_second=rate)
    engine.load(LoadOptions(Path("bench.gguf")))
    parser = CoatParser()
    recorder = None
    writer_before = None
    if store is not None:
        conversation_id = store.create_conversation()
        writer_before = store.writer_cpu_s()

    def on_text(text: str) -> None:
        parser.feed(text)
        if recorder is not None:
            recorder.append(text)

    cpu_before, wall_before = time.process_time(), time.perf_counter()
    if store is not None:
        recorder = store.begin_turn(
            conversation_id, "Benchmark question", model_file="bench.gguf", settings={"temperature": 0.0}
        )
    result = engine.generate(GenerationRequest("bench", max_tokens=tokens + 10), on_text=on_text)
    parser.finish()
    if recorder is not None:
        recorder.finish_from(result)
        if not recorder.wait_saved(60):
            raise RuntimeError("the benchmark's turn was not saved")
    cpu, wall = time.process_time() - cpu_before, time.perf_counter() - wall_before
    writer_after = store.writer_cpu_s() if store is not None else None
    writer = None if writer_before is None or writer_after is None else writer_after - writer_before
    return cpu, wall, writer


def measure_checkpointing(work: Path, rate: float, tokens: int, rounds: int) -> dict[str, Any]:
    from satori_desktop.engine.scripted import split_into_pieces, synthetic_trace
    from satori_desktop.history import HistoryStore

    trace = synthetic_trace(tokens)
    off_cpu: list[float] = []
    on_cpu: list[float] = []
    writer_cpu: list[float] = []
    walls: list[float] = []
    with HistoryStore(work / "stream.sqlite3") as store:
        _stream_once(store, trace[:2000], rate * 4, 200)  # warm up both paths (imports, first writes)
        _stream_once(None, trace[:2000], rate * 4, 200)
        for _ in range(rounds):
            cpu, wall, _ = _stream_once(None, trace, rate, tokens)
            off_cpu.append(cpu)
            walls.append(wall)
            cpu, wall, writer = _stream_once(store, trace, rate, tokens)
            on_cpu.append(cpu)
            walls.append(wall)
            if writer is not None:
                writer_cpu.append(writer)
        appends = _append_cpu_s(store, split_into_pieces(trace))
    off = statistics.median(off_cpu)
    wall = statistics.median(walls)
    # The stream's own CPU varies from run to run by more than the history adds, so the process-wide
    # difference (median of the paired rounds) is noisy; the history's own threads' CPU is exact: the
    # writer thread's during the runs, plus the appends on the engine thread.
    paired = statistics.median(on - off_run for on, off_run in zip(on_cpu, off_cpu, strict=True))
    writer_median = statistics.median(writer_cpu) if writer_cpu else None
    own = None if writer_median is None else writer_median + appends
    return {
        "rate_tok_s": rate,
        "tokens": tokens,
        "stream_s": wall,
        "cpu_off_s": off_cpu,
        "cpu_on_s": on_cpu,
        "paired_extra_cpu_s": paired,
        "paired_extra_pct_vs_history_off": 100 * paired / off,
        "writer_thread_cpu_s": writer_cpu,
        "append_cpu_s": appends,
        "history_cpu_s": own,
        "history_pct_of_one_core": None if own is None else 100 * own / wall,
        "history_pct_vs_history_off": None if own is None else 100 * own / off,
    }


def _append_cpu_s(store: Any, pieces: list[str]) -> float:
    """CPU the engine thread spends in `TurnRecorder.append` for one answer (best of 3)."""
    best = float("inf")
    for _ in range(3):
        recorder = store.begin_turn(store.create_conversation(), "Benchmark question")
        before = time.thread_time()
        for piece in pieces:
            recorder.append(piece)
        best = min(best, time.thread_time() - before)
        recorder.finish("stop")
        recorder.wait_saved(60)
    return best


def fill_history(path: Path, count: int, seed: int = 11) -> None:
    """`count` conversations of one finished turn each, written with the store's own functions in one
    transaction (as many separate commits would take minutes, and measure nothing of interest)."""
    from satori_desktop.engine.scripted import synthetic_trace
    from satori_desktop.history import HistoryStore
    from satori_desktop.history.recorder import TurnEnding, TurnStart
    from satori_desktop.history.schema import connect
    from satori_desktop.history.writer import insert_turn, save_ending

    HistoryStore(path).close()  # the schema
    rng = random.Random(seed)
    traces = [synthetic_trace(rng.randint(300, 1500), seed=n) for n in range(64)]
    conn = connect(path)
    year_ago = time.time() - 365 * 86400
    conn.execute("BEGIN IMMEDIATE")
    for n in range(count):
        templates = _ZH_QUESTIONS if rng.random() < 0.2 else _EN_QUESTIONS
        question = rng.choice(templates).format(a=rng.randint(2, 99), b=rng.randint(2, 40))
        created = year_ago + n * (365 * 86400 / count)
        conversation_id = conn.execute(
            "INSERT INTO conversations (title, created_at, updated_at) VALUES ('', ?, ?)", (created, created)
        ).lastrowid
        assert conversation_id is not None
        settings = '{"temperature": 0.0}'
        start = TurnStart(conversation_id, question, "bench.gguf", None, settings, None, created)
        trace = traces[n % len(traces)]
        turn_id = insert_turn(conn, start, (0, 0.0), "")
        ending = TurnEnding("stop", None, None, 40, 0, len(trace) // 3, 0.2, 30.0, 60.0)
        save_ending(conn, turn_id, trace, ending)
    conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def measure_search_and_open(work: Path, count: int, search_rounds: int, open_tokens: int) -> dict[str, Any]:
    from satori_desktop.engine.scripted import synthetic_trace
    from satori_desktop.history import HistoryStore

    path = work / "many.sqlite3"
    began = time.perf_counter()
    fill_history(path, count)
    fill_s = time.perf_counter() - began

    empty_path = work / "empty.sqlite3"
    HistoryStore(empty_path).close()
    start_up = {"empty_ms": _start_up_ms(empty_path), f"{count}_ms": _start_up_ms(path)}

    per_query: dict[str, list[float]] = {query: [] for query in QUERIES}
    hits: dict[str, int] = {}
    with HistoryStore(path) as store:
        order = list(QUERIES)
        rng = random.Random(5)
        for _ in range(search_rounds):
            rng.shuffle(order)
            for query in order:
                t0 = time.perf_counter()
                found = store.search(query, limit=50)
                per_query[query].append((time.perf_counter() - t0) * 1000)
                hits[query] = len(found)

        # A 4,000-token solution, saved as the recorder saves it.
        conversation_id = store.create_conversation()
        trace = synthetic_trace(open_tokens)
        with store.begin_turn(conversation_id, "A long one: sum the series and check it") as recorder:
            recorder.append(trace)
            recorder.finish("stop")
        recorder.wait_saved(60)
    with HistoryStore(path) as reopened:
        t0 = time.perf_counter()
        conversation = reopened.get_conversation(conversation_id)
        first_ms = (time.perf_counter() - t0) * 1000
        warm: list[float] = []
        for _ in range(20):
            t0 = time.perf_counter()
            conversation = reopened.get_conversation(conversation_id)
            warm.append((time.perf_counter() - t0) * 1000)
    assert conversation is not None and conversation.turns[0].output == trace
    everything = [ms for values in per_query.values() for ms in values]
    return {
        "conversations": count,
        "file_mb": path.stat().st_size / 1e6,
        "fill_s": fill_s,
        "search": {
            "p50_ms": statistics.median(everything),
            "p95_ms": _percentile(everything, 95),
            "max_ms": max(everything),
            "searches": len(everything),
            "per_query": {
                query: {
                    "p50_ms": statistics.median(values),
                    "p95_ms": _percentile(values, 95),
                    "hits": hits[query],
                }
                for query, values in per_query.items()
            },
        },
        "open_conversation": {
            "tokens": open_tokens,
            "characters": len(trace),
            "steps": len(conversation.turns[0].steps),
            "first_ms": first_ms,
            "warm_p50_ms": statistics.median(warm),
        },
        "store_start_up_ms": start_up,
    }


def _start_up_ms(path: Path) -> float:
    """Open the store (integrity check, recovery) and read the first page of the sidebar; best of 5."""
    from satori_desktop.history import HistoryStore

    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        store = HistoryStore(path)
        store.list_conversations(100)
        times.append((time.perf_counter() - t0) * 1000)
        store.close()
    return min(times)


def run(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="satori-bench-history-") as tmp:
        work = Path(tmp)
        os.environ["SATORI_DESKTOP_HOME"] = str(work / "home")  # never the user's own history
        checkpointing = measure_checkpointing(work, args.rate, args.tokens, args.rounds)
        stored = measure_search_and_open(work, args.conversations, args.search_rounds, args.tokens)
    report = {
        **report_header("history"),
        "machine": f"{machine_description()}, SQLite {sqlite3.sqlite_version}",
        "checkpointing": checkpointing,
        **stored,
        "goals": GOALS,
    }
    if args.json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        print(format_report(report))
    return 0


def format_report(report: dict[str, Any]) -> str:
    cp = report["checkpointing"]
    search = report["search"]
    opened = report["open_conversation"]
    start = report["store_start_up_ms"]
    lines = [
        f"bench history — {report['date']}, {report['machine']}, commit {report['commit']}, "
        f"load {report['load_average_1min']:.2f}",
        f"Streaming {cp['tokens']} tokens at {cp['rate_tok_s']:.0f} tok/s ({cp['stream_s']:.1f} s a run, "
        f"{len(cp['cpu_off_s'])} rounds): process CPU with history off "
        f"{statistics.median(cp['cpu_off_s']) * 1000:.0f} ms, "
        f"on {statistics.median(cp['cpu_on_s']) * 1000:.0f} ms "
        f"(paired difference {cp['paired_extra_cpu_s'] * 1000:+.0f} ms, "
        f"{cp['paired_extra_pct_vs_history_off']:+.1f} %: mostly run-to-run noise of the stream itself)",
    ]
    if cp["history_cpu_s"] is not None:
        writer = statistics.median(cp["writer_thread_cpu_s"])
        lines.append(
            f"    history's own CPU per answer: writer thread {writer * 1000:.1f} ms + appends "
            f"{cp['append_cpu_s'] * 1000:.1f} ms = {cp['history_cpu_s'] * 1000:.1f} ms = "
            f"{cp['history_pct_of_one_core']:.3f} % of one core, "
            f"{cp['history_pct_vs_history_off']:.1f} % of the stream's CPU with history off "
            f"(goal <= {GOALS['checkpoint_extra_cpu_pct']:.0f} %)"
        )
    lines.append(
        f"Search over {report['conversations']} conversations ({report['file_mb']:.0f} MB): "
        f"p50 {search['p50_ms']:.1f} ms, p95 {search['p95_ms']:.1f} ms, max {search['max_ms']:.1f} ms "
        f"(goal p95 < {GOALS['search_p95_ms']:.0f} ms)"
    )
    for query, figures in search["per_query"].items():
        lines.append(
            f"    {query!r:<26} p50 {figures['p50_ms']:6.1f} ms  p95 {figures['p95_ms']:6.1f} ms  "
            f"{figures['hits']} hits"
        )
    lines.append(
        f"Opening a {opened['tokens']}-token conversation ({opened['characters']} characters, "
        f"{opened['steps']} steps): first {opened['first_ms']:.1f} ms, warm {opened['warm_p50_ms']:.2f} ms"
    )
    counts = ", ".join(f"{key.removesuffix('_ms')}: {value:.0f} ms" for key, value in start.items())
    lines.append(f"Store start-up (open, integrity check, first 100 of the list): {counts}")
    return "\n".join(lines)
