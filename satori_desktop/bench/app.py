"""`satori-desktop bench app`: what the history costs the app, measured through the real window.

Figures, each against the goal the issue set, each a ratio or a time taken side by side in one run:

* recording CPU: the same synthetic answer streamed into the real window at a fixed pace, alternately
  with the history recording it and with no history at all; the figure is the CPU time of the whole
  process tree (GUI process and QtWebEngine's renderers) per answer, on over off (goal: at most +2 %).
* cold start: `python -m satori_desktop --scripted-engine --exit-when-ready` (ready means shown, page
  loaded, and the history open and listed in the sidebar), alternately with an empty history and one of
  10,000 conversations; median over median (goal: at most 1.2x).
* reopening: a stored 4,000-token conversation opened from the sidebar's call until the page has shown
  it all (goal: under 300 ms here).

Search over 10,000 conversations is `bench history` (the store alone answers it).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from satori_desktop.core import arguments

TARGETS = {"recording_cpu_ratio": "<= 1.02", "cold_start_ratio": "<= 1.2", "reopen_ms": "< 300"}


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rate", type=arguments.rate, default=500.0, help="tok/s streamed (default 500)")
    parser.add_argument(
        "--tokens",
        type=arguments.positive_int,
        default=3000,
        help="tokens per streamed answer (default 3000)",
    )
    parser.add_argument(
        "--rounds", type=arguments.positive_int, default=4, help="on/off rounds of streaming (default 4)"
    )
    parser.add_argument(
        "--conversations",
        type=arguments.positive_int,
        default=10_000,
        help="stored conversations for the cold start (default 10000)",
    )
    parser.add_argument(
        "--cold-start-runs", type=arguments.positive_int, default=5, help="starts of each (default 5)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(handler=run)


def measure_recording(tokens: int, rate: float, rounds: int) -> dict[str, Any]:
    from satori_desktop.bench.ui import Harness

    recording = Harness(tokens, history=True)
    plain = Harness(tokens, history=False)
    on: list[float] = []
    off: list[float] = []
    try:
        for round_index in range(rounds + 1):  # the first round warms both up and is not counted
            for harness, figures in (
                ((plain, off), (recording, on))
                if round_index % 2
                else (
                    (recording, on),
                    (plain, off),
                )
            ):
                run = harness.stream(rate)
                cpu = run.cpu_marks["end"][1] - run.cpu_marks["asked"][1]
                if round_index > 0:
                    figures.append(cpu)
        store = recording.window.history.store
        stored = store.count_conversations() if store is not None else 0
        writer_cpu = store.writer_cpu_s() if store is not None else None
    finally:
        recording.close()
        plain.close()
    on_s, off_s = statistics.median(on), statistics.median(off)
    return {
        "tokens": tokens,
        "rate_tok_s": rate,
        "rounds": rounds,
        "cpu_on_s": [round(v, 3) for v in on],
        "cpu_off_s": [round(v, 3) for v in off],
        "recording_cpu_ratio": round(on_s / off_s, 4),
        "stored_answers": stored,
        # The history's own thread, summed over every recorded answer: the part of the on/off difference
        # that is the history's for sure (the rest of a difference of 1-2 % is this machine's noise).
        "writer_cpu_s_per_answer": None if writer_cpu is None else round(writer_cpu / max(1, stored), 4),
        "writer_share_of_answer_cpu": None
        if writer_cpu is None
        else round(writer_cpu / max(1, stored) / on_s, 5),
    }


def measure_cold_start(conversations: int, runs: int, work: Path) -> dict[str, Any]:
    from satori_desktop.bench.history import fill_history
    from satori_desktop.bench.ui import prepare_environment, time_to_ready
    from satori_desktop.core import paths

    empty, full = work / "empty-home", work / "full-home"
    empty.mkdir()
    os.environ["SATORI_DESKTOP_HOME"] = str(full)
    fill_history(paths.data_dir() / "history.sqlite3", conversations)
    command = [sys.executable, "-m", "satori_desktop", "--scripted-engine", "--exit-when-ready"]
    env = {
        home: prepare_environment(dict(os.environ, SATORI_DESKTOP_HOME=str(home))) for home in (empty, full)
    }
    for home in (empty, full):  # unmeasured: the OS file cache, and the full history's first open
        time_to_ready(command, env[home])
    times: dict[Path, list[float]] = {empty: [], full: []}
    for round_index in range(runs):
        order = (empty, full) if round_index % 2 == 0 else (full, empty)
        for home in order:
            times[home].append(time_to_ready(command, env[home]))
    empty_s, full_s = statistics.median(times[empty]), statistics.median(times[full])
    return {
        "conversations": conversations,
        "empty_s": round(empty_s, 3),
        "full_s": round(full_s, 3),
        "cold_start_ratio": round(full_s / empty_s, 3),
        "empty_runs_s": [round(t, 3) for t in times[empty]],
        "full_runs_s": [round(t, 3) for t in times[full]],
    }


def measure_reopen(tokens: int, runs: int = 5) -> dict[str, Any]:
    from satori_desktop.bench.ui import Harness
    from satori_desktop.engine.scripted import synthetic_trace

    harness = Harness(tokens, history=True)
    try:
        store = harness.window.history.store
        assert store is not None
        conversation = store.create_conversation()
        recorder = store.begin_turn(conversation, "A long stored solution", model_file="bench.gguf")
        recorder.append(synthetic_trace(tokens))
        recorder.finish("stop", generated_tokens=tokens)
        recorder.wait_saved(60)
        window = harness.window
        times: list[float] = []
        for _ in range(runs + 1):
            window.new_conversation()
            harness.page_caught_up()
            started = time.perf_counter()
            window.open_conversation(conversation)
            done = harness.page_caught_up()
            times.append(done - started)
    finally:
        harness.close()
    measured = times[1:]  # the first open also warms the page's caches
    return {
        "tokens": tokens,
        "reopen_ms": round(statistics.median(measured) * 1000, 1),
        "runs_ms": [round(t * 1000, 1) for t in measured],
    }


def run(args: argparse.Namespace) -> int:
    from satori_desktop.bench.report import report_header
    from satori_desktop.bench.ui import prepare_environment

    with tempfile.TemporaryDirectory(prefix="satori-bench-app-") as tmp:
        work = Path(tmp)
        os.environ["SATORI_DESKTOP_HOME"] = str(work / "stream-home")
        prepare_environment(os.environ)  # type: ignore[arg-type]
        recording = measure_recording(args.tokens, args.rate, args.rounds)
        os.environ["SATORI_DESKTOP_HOME"] = str(work / "reopen-home")
        reopen = measure_reopen(4000)
        cold = measure_cold_start(args.conversations, args.cold_start_runs, work)
    report = {
        **report_header("app"),
        "recording": recording,
        "reopen": reopen,
        "cold_start": cold,
        "targets": TARGETS,
    }
    print(json.dumps(report, indent=2) if args.json else format_report(report))
    return 0


def format_report(report: dict[str, Any]) -> str:
    rec, cold, reopen = report["recording"], report["cold_start"], report["reopen"]
    return "\n".join(
        [
            f"bench app, {report['date']}, {report['machine']}, commit {report['commit']}",
            f"recording at {rec['rate_tok_s']:.0f} tok/s, {rec['tokens']} tokens, median of {rec['rounds']}: "
            f"CPU on/off {rec['recording_cpu_ratio']:.4f} (goal {TARGETS['recording_cpu_ratio']}); "
            f"the history's writer thread: {rec['writer_share_of_answer_cpu']} of an answer's CPU",
            f"cold start, {cold['conversations']:,} conversations / empty: {cold['cold_start_ratio']:.3f} "
            f"({cold['full_s']:.2f} s / {cold['empty_s']:.2f} s; goal {TARGETS['cold_start_ratio']})",
            f"reopening a {reopen['tokens']}-token conversation: {reopen['reopen_ms']:.0f} ms "
            f"(goal {TARGETS['reopen_ms']} ms)",
        ]
    )
