"""`satori-desktop bench ui`: how much streamed text the real window takes, and how it starts.

Everything runs through the real window, worker and page; only the model is replaced by the scripted
engine, which streams a synthetic COAT trace full of math (`engine.scripted.synthetic_trace`) at a chosen
pace. Figures, each against a target from the issue:

* max sustained tok/s without backlog: the trace is streamed at rising fixed rates; a rate is sustained
  when the page has caught up within `BACKLOG_LAG_S` of the engine's last token (a consumer slower than
  the producer would fall further behind with every token, so the lag at the end shows it). The
  as-fast-as-possible end-to-end throughput is reported beside it.
* p99 event-loop stall at 500 tok/s: a `QTimer` heartbeat on the GUI thread every `HEARTBEAT_MS`; a stall
  is how late a beat fires.
* cost per token, last 1,000 tokens / first 1,000: CPU time of the whole process tree (GUI process and
  QtWebEngine's renderer) per token in each window, at a fixed rate so both windows see the same pace.
  Flat (about 1) means appending a token does not get dearer as the transcript grows. Both windows hold
  streaming work only: the first starts at the first tokens (not at the question), the last ends with the
  last token (not after the page has folded the finished answer). Those once-per-answer costs are reported
  on their own (`turn_start_cpu_ms`, `turn_end_cpu_ms`) instead of being charged to one window's tokens.
* cold start: process start to the window shown with its page ready, as a ratio to a bare
  QWebEngineView hello-world started the same way (`python -m ...`) in the same run, alternating.

With no screen (Linux without DISPLAY/WAYLAND_DISPLAY) it runs on Qt's offscreen platform with
Chromium's sandbox off, like the GUI tests. It uses a temporary SATORI_DESKTOP_HOME, never the user's.
"""

from __future__ import annotations

import argparse
import datetime
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from satori_desktop.bench.report import checkout_commit, machine_description
from satori_desktop.core import arguments
from satori_desktop.engine.streaming import StreamUpdate, TurnSummary

READY_LINE = "SATORI_READY"  # the same line `ui.app --exit-when-ready` prints
HEARTBEAT_MS = 5
BACKLOG_LAG_S = 0.1
BRISK_RATE = 2000.0  # six frames: the page is keeping up
DEFAULT_LADDER = (1000, 2000, 3000, 4000, 6000, 8000, 12000)
TARGETS = {
    "max_sustained_tok_s": ">= 2000",
    "stall_p99_ms": "< 50",
    "cost_ratio_last_first": "<= 1.3",
    "cold_start_s": "< 2.5",
}


def register(parser: argparse.ArgumentParser) -> None:
    # The cost figure compares the first and last 1,000 tokens, so a trace needs 2,500 at least.
    parser.add_argument(
        "--tokens",
        type=arguments.whole_number_between(2500),
        default=8000,
        help="length of the synthetic trace (default 8000)",
    )
    parser.add_argument(
        "--rate", type=arguments.rate, default=500.0, help="fixed pace for the stall figure (tok/s)"
    )
    parser.add_argument(
        "--ladder",
        type=arguments.rate_list,
        default=list(DEFAULT_LADDER),
        help="rates (tok/s) tried for the maximum sustained rate, lowest first",
    )
    parser.add_argument(
        "--cold-start-runs",
        type=arguments.non_negative_int,
        default=3,
        help="starts of each program (default 3)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(handler=run)


# -- environment -----------------------------------------------------------------------------------------


def headless() -> bool:
    return sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    )


def prepare_environment(env: dict[str, str]) -> dict[str, str]:
    """Offscreen Qt and no Chromium sandbox where there is no screen (containers, CI)."""
    if headless() or env.get("QT_QPA_PLATFORM") == "offscreen":
        env.setdefault("QT_QPA_PLATFORM", "offscreen")
        flags = env.get("QTWEBENGINE_CHROMIUM_FLAGS", "")
        if "--no-sandbox" not in flags:
            env["QTWEBENGINE_CHROMIUM_FLAGS"] = (flags + " --no-sandbox").strip()
    return env


# -- cold start ------------------------------------------------------------------------------------------


def time_to_ready(command: list[str], env: dict[str, str], timeout_s: float = 120.0) -> float:
    started = time.perf_counter()
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env
    ) as process:
        assert process.stdout is not None
        for line in process.stdout:
            if line.strip() == READY_LINE:
                elapsed = time.perf_counter() - started
                break
        else:
            raise RuntimeError(f"{command[2:]} exited without saying it was ready")
        try:
            process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
    return elapsed


def measure_cold_start(runs: int, env: dict[str, str]) -> dict[str, Any]:
    app = [sys.executable, "-m", "satori_desktop.ui.app", "--scripted-engine", "--exit-when-ready"]
    hello = [sys.executable, "-m", "satori_desktop.bench.ui", "--hello-world"]
    # One unmeasured start of each fills the OS file cache, so neither side pays for a cold disk alone.
    time_to_ready(hello, env)
    time_to_ready(app, env)
    app_times: list[float] = []
    hello_times: list[float] = []
    for _ in range(runs):
        hello_times.append(time_to_ready(hello, env))
        app_times.append(time_to_ready(app, env))
    app_s = statistics.median(app_times)
    hello_s = statistics.median(hello_times)
    return {
        "app_s": round(app_s, 3),
        "hello_world_s": round(hello_s, 3),
        "ratio": round(app_s / hello_s, 3),
        "app_runs_s": [round(t, 3) for t in app_times],
        "hello_world_runs_s": [round(t, 3) for t in hello_times],
    }


def hello_world_main() -> int:
    """The reference: a bare QWebEngineView showing a line of HTML, started like the app."""
    from PySide6.QtWebEngineWidgets import QWebEngineView
    from PySide6.QtWidgets import QApplication

    app = QApplication([sys.argv[0]])
    view = QWebEngineView()

    def on_view_load_finished(ok: bool) -> None:
        print(READY_LINE, flush=True)
        view.close()

    view.loadFinished.connect(on_view_load_finished)
    view.setHtml("<!doctype html><p>Hello, world</p>")
    view.resize(980, 760)
    view.show()
    return int(app.exec())


# -- streaming into the window -----------------------------------------------------------------------------


def cpu_seconds() -> float:
    """CPU time of this process and all its descendants (QtWebEngine's renderer is one)."""
    import psutil

    me = psutil.Process()
    total = sum(me.cpu_times()[:2])
    for child in me.children(recursive=True):
        try:
            total += sum(child.cpu_times()[:2])
        except psutil.Error:
            continue  # a helper process that just exited
    return total


def _process_kind(process: Any, parent_kind: str | None) -> str:
    """The kind of a process of the tree: the QtWebEngine helper's `--type=` ("zygote", "utility"...); a
    page's renderer is forked from the zygote, so it carries the zygote's command line."""
    kind = "other"
    try:
        for arg in process.cmdline():
            if arg.startswith("--type="):
                kind = arg.removeprefix("--type=")
                break
    except Exception:  # psutil.Error: a process gone between listing and reading
        return "other"
    return "renderer" if kind == "zygote" and parent_kind == "zygote" else kind


def _thread_names(pid: int) -> dict[int, str]:
    """Thread id -> name (Linux only; elsewhere no names, one figure per process)."""
    names: dict[int, str] = {}
    task = Path(f"/proc/{pid}/task")
    try:
        for entry in task.iterdir():
            try:
                names[int(entry.name)] = (entry / "comm").read_text().strip()
            except (OSError, ValueError):
                continue
    except OSError:
        pass
    return names


def _cpu_seconds_by_process() -> dict[str, float]:
    """CPU time per kind of process in the tree, and in the GUI process per thread name: where the cost
    of showing tokens goes (the Qt main thread; Chromium's GPU and compositor threads, which QtWebEngine
    runs inside the GUI process and which rasterise in software where there is no GPU; the renderer)."""
    import psutil

    me = psutil.Process()
    split: dict[str, float] = {}

    def add_threads(process: Any, kind: str) -> None:
        names = _thread_names(process.pid)
        for thread in process.threads():
            name = "main" if thread.id == process.pid else names.get(thread.id, "?")
            key = f"{kind}:{name}"
            split[key] = split.get(key, 0.0) + thread.user_time + thread.system_time

    add_threads(me, "gui")
    kinds: dict[int, str] = {me.pid: "gui"}
    for child in me.children(recursive=True):
        try:
            parent = child.ppid()
            kind = _process_kind(child, kinds.get(parent))
            kinds[child.pid] = kind
            if kind == "renderer":
                add_threads(child, kind)
            else:
                split[kind] = split.get(kind, 0.0) + sum(child.cpu_times()[:2])
        except psutil.Error:
            continue  # a helper process that just exited
    return split


@dataclass
class StreamRun:
    rate: float | None  # None: as fast as possible
    tokens: int = 0
    started_at: float = 0.0
    engine_done_at: float = 0.0
    page_done_at: float = 0.0
    finish_reason: str = ""
    progress: list[tuple[float, int]] = field(default_factory=list)
    beats: list[float] = field(default_factory=list)
    cpu_marks: dict[str, tuple[int, float]] = field(default_factory=dict)
    # (tokens, CPU seconds) each time the stream passes a multiple of 1,000 tokens
    cpu_by_thousand: list[tuple[int, float]] = field(default_factory=list)
    # CPU seconds per kind of process at the first token and at the last
    split_marks: dict[str, dict[str, float]] = field(default_factory=dict)
    # the same split at each mark of `cpu_by_thousand`
    split_by_thousand: list[dict[str, float]] = field(default_factory=list)

    @property
    def lag_s(self) -> float:
        return self.page_done_at - self.engine_done_at

    @property
    def throughput_tok_s(self) -> float:
        return self.tokens / (self.page_done_at - self.started_at)

    def stalls_ms(self) -> list[float]:
        gaps = [(b - a) * 1000 for a, b in zip(self.beats, self.beats[1:], strict=False)]
        return [max(0.0, gap - HEARTBEAT_MS) for gap in gaps]

    def cost_per_thousand_ms(self) -> list[float]:
        """CPU milliseconds per 1,000 tokens in each successive window of the stream."""
        marks = [self.cpu_marks["first_start"], *self.cpu_by_thousand, self.cpu_marks["last_end"]]
        out = []
        for (t0, c0), (t1, c1) in itertools.pairwise(marks):
            if t1 > t0:
                out.append(round((c1 - c0) / (t1 - t0) * 1e6, 1))
        return out

    def cost_ratio(self, *, with_turn_edges: bool = False) -> float | None:
        """Last 1,000 tokens / first 1,000. `with_turn_edges`: as this benchmark first measured it, the
        question charged to the first window and the page's end-of-answer work to the last."""
        marks = self.cpu_marks
        start, stop = ("asked", "end") if with_turn_edges else ("first_start", "last_end")
        if not {start, "first_end", "last_start", stop} <= marks.keys():
            return None
        (t0, c0), (t1, c1) = marks[start], marks["first_end"]
        (t2, c2), (t3, c3) = marks["last_start"], marks[stop]
        if t1 <= t0 or t3 <= t2:
            return None
        first = (c1 - c0) / (t1 - t0)
        last = (c3 - c2) / (t3 - t2)
        return last / first if first > 0 else None

    def cost_per_thousand_by_process_ms(self) -> dict[str, float]:
        """CPU milliseconds per 1,000 tokens over the whole stream, per kind of process."""
        if {"first_start", "last_end"} - self.split_marks.keys() or {"first_start", "last_end"} - (
            self.cpu_marks.keys()
        ):
            return {}
        start, end = self.split_marks["first_start"], self.split_marks["last_end"]
        tokens = self.cpu_marks["last_end"][0] - self.cpu_marks["first_start"][0]
        if tokens <= 0:
            return {}
        spent = {kind: (end[kind] - start.get(kind, 0.0)) / tokens * 1e6 for kind in end}
        # The busiest first; threads that hardly ran are left out.
        return {kind: round(ms, 1) for kind, ms in sorted(spent.items(), key=lambda kv: -kv[1]) if ms >= 5}

    def cost_per_thousand_by_window_by_process_ms(self, kinds: int = 3) -> dict[str, list[float]]:
        """CPU milliseconds per 1,000 tokens in each window (as `cost_per_thousand_ms`) for the `kinds`
        busiest kinds of process: which thread's cost grows when the total does."""
        if {"first_start", "last_end"} - self.split_marks.keys() or {"first_start", "last_end"} - (
            self.cpu_marks.keys()
        ):
            return {}
        if len(self.split_by_thousand) != len(self.cpu_by_thousand):
            return {}
        tokens = [self.cpu_marks["first_start"][0], *(n for n, _ in self.cpu_by_thousand)]
        tokens.append(self.cpu_marks["last_end"][0])
        splits = [self.split_marks["first_start"], *self.split_by_thousand, self.split_marks["last_end"]]
        busiest = list(self.cost_per_thousand_by_process_ms())[:kinds]
        out: dict[str, list[float]] = {kind: [] for kind in busiest}
        for (t0, t1), (s0, s1) in zip(itertools.pairwise(tokens), itertools.pairwise(splits), strict=True):
            if t1 <= t0:
                continue
            for kind in busiest:
                spent = s1.get(kind, 0.0) - s0.get(kind, 0.0)
                out[kind].append(round(spent / (t1 - t0) * 1e6, 1))
        return out

    def once_per_turn_cpu_ms(self) -> dict[str, float | None]:
        """CPU ms before the first tokens (the question, the request) and after the last one (the page
        folding the finished answer, its footer), which the per-token windows leave out."""
        marks = self.cpu_marks

        def between(a: str, b: str) -> float | None:
            if a not in marks or b not in marks:
                return None
            return round((marks[b][1] - marks[a][1]) * 1000, 1)

        return {
            "turn_start_cpu_ms": between("asked", "first_start"),
            "turn_end_cpu_ms": between("last_end", "end"),
        }


class Harness:
    """The real window with the scripted engine, plus the instruments."""

    def __init__(self, tokens: int, *, history: bool = True) -> None:
        from PySide6.QtCore import QEventLoop, Qt, QTimer
        from PySide6.QtWebEngineWidgets import QWebEngineView  # noqa: F401 (before QApplication)
        from PySide6.QtWidgets import QApplication

        from satori_desktop.core.settings import Settings
        from satori_desktop.engine.scripted import ScriptedEngine, synthetic_trace
        from satori_desktop.ui.engine_worker import EngineWorker
        from satori_desktop.ui.main_window import MainWindow

        self._QEventLoop = QEventLoop
        self._QTimer = QTimer
        existing = QApplication.instance()
        self.app = existing if isinstance(existing, QApplication) else QApplication([sys.argv[0]])
        self.tokens = tokens
        self.engine = ScriptedEngine([synthetic_trace(tokens)], n_ctx=tokens + 4096)
        self.worker = EngineWorker(lambda: self.engine)
        from satori_desktop.history import HistoryStore

        self.window = MainWindow(
            self.worker,
            Settings(max_new_tokens=tokens + 16),
            model_path=Path("bench.gguf"),
            history_factory=HistoryStore if history else None,
        )
        self.window.show()
        self.run: StreamRun | None = None
        self.heartbeat = QTimer()
        self.heartbeat.setTimerType(Qt.TimerType.PreciseTimer)
        self.heartbeat.setInterval(HEARTBEAT_MS)
        self.heartbeat.timeout.connect(self._on_heartbeat_timeout)
        self.worker.generation_streamed.connect(self._on_worker_generation_streamed)
        self.worker.generation_finished.connect(self._on_worker_generation_finished)
        self._finished = False
        self.wait_until(lambda: self.window.is_ready and self.window.history_settled, timeout_s=120)

    def wait_until(self, condition: Callable[[], bool], timeout_s: float) -> None:
        loop = self._QEventLoop()
        poll = self._QTimer()
        poll.setInterval(2)
        deadline = time.perf_counter() + timeout_s

        def check() -> None:
            if condition() or time.perf_counter() > deadline:
                loop.quit()

        poll.timeout.connect(check)
        poll.start()
        if not condition():
            loop.exec()
        poll.stop()
        if not condition():
            raise RuntimeError("the window did not get there in time")

    def page_caught_up(self) -> float:
        """When the page has run every update sent so far (waits one update interval for the view's
        coalescing)."""
        from satori_desktop.ui.transcript.view import FRAME_MS

        done: list[float] = []
        self._QTimer.singleShot(
            FRAME_MS + 1,
            lambda: self.window.transcript.page().runJavaScript(
                "0", 0, lambda _: done.append(time.perf_counter())
            ),
        )
        self.wait_until(lambda: bool(done), timeout_s=120)
        return done[0]

    def stream(self, rate: float | None) -> StreamRun:
        self.window.new_action.trigger()  # a fresh transcript each run
        self.page_caught_up()
        self.engine.set_tokens_per_second(rate)
        run = StreamRun(rate=rate)
        self.run = run
        self._finished = False
        self.heartbeat.start()
        run.started_at = time.perf_counter()
        run.cpu_marks["asked"] = (0, cpu_seconds())
        self.window.ask("Benchmark: a long solution with math")
        self.wait_until(lambda: self._finished, timeout_s=600)
        run.page_done_at = self.page_caught_up()
        self.heartbeat.stop()
        run.cpu_marks["end"] = (run.tokens, cpu_seconds())
        self.run = None
        return run

    def _on_heartbeat_timeout(self) -> None:
        if self.run is not None:
            self.run.beats.append(time.perf_counter())

    def _on_worker_generation_streamed(self, update: StreamUpdate) -> None:
        run = self.run
        if run is None:
            return
        n = update.progress.generated_tokens
        run.progress.append((time.perf_counter(), n))
        if n > 0 and "first_start" not in run.cpu_marks:
            run.split_marks["first_start"] = _cpu_seconds_by_process()
            run.cpu_marks["first_start"] = (n, cpu_seconds())
        next_mark = (len(run.cpu_by_thousand) + 1) * 1000
        if n >= next_mark and n < self.tokens:
            run.cpu_by_thousand.append((n, cpu_seconds()))
            run.split_by_thousand.append(_cpu_seconds_by_process())
        if n >= 1000 and "first_end" not in run.cpu_marks:
            run.cpu_marks["first_end"] = (n, cpu_seconds())
        if n >= self.tokens - 1000 and "last_start" not in run.cpu_marks:
            run.cpu_marks["last_start"] = (n, cpu_seconds())

    def _on_worker_generation_finished(self, summary: TurnSummary) -> None:
        run = self.run
        if run is None:
            return
        run.tokens = summary.generated_tokens
        run.finish_reason = summary.finish_reason
        run.engine_done_at = summary.finished_at or time.perf_counter()
        # Connected after the window's own slot, which only queues the end of the turn for the next frame.
        run.cpu_marks["last_end"] = (run.tokens, cpu_seconds())
        run.split_marks["last_end"] = _cpu_seconds_by_process()
        self._finished = True

    def close(self) -> None:
        import shiboken6

        self.window.close()
        self.worker.shutdown()
        # The pages must go before the QApplication and its web profile, or Chromium aborts at exit.
        shiboken6.delete(self.window)
        self.app.processEvents()


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def measure_streaming(tokens: int, rate: float, ladder: list[float]) -> dict[str, Any]:
    harness = Harness(tokens)
    try:
        harness.stream(None)  # warm-up: page, KaTeX and Python caches
        fast = harness.stream(None)
        steps: list[dict[str, Any]] = []
        sustained: float | None = None
        for ladder_rate in ladder:
            run = harness.stream(ladder_rate)
            ok = run.lag_s <= BACKLOG_LAG_S and run.tokens == tokens
            steps.append({"rate_tok_s": ladder_rate, "lag_ms": round(run.lag_s * 1000, 1), "kept_up": ok})
            if not ok:
                break
            sustained = ladder_rate
        paced = harness.stream(rate)
        # The same figure at a rate where the per-token work dominates the fixed per-frame work.
        brisk = harness.stream(BRISK_RATE)
        stalls = paced.stalls_ms()
        cost_ratio = paced.cost_ratio()
        return {
            "tokens": tokens,
            "max_sustained_tok_s": sustained,
            "ladder": steps,
            "fast": {
                "end_to_end_tok_s": round(fast.throughput_tok_s, 1),
                "lag_ms": round(fast.lag_s * 1000, 1),
            },
            "brisk": {
                "rate_tok_s": BRISK_RATE,
                "cost_ratio_last_first": _round(brisk.cost_ratio()),
                "cpu_ms_per_1000_tokens": brisk.cost_per_thousand_ms(),
                "cpu_ms_per_1000_tokens_by_process": brisk.cost_per_thousand_by_process_ms(),
                "cpu_ms_per_1000_tokens_by_window_by_process": (
                    brisk.cost_per_thousand_by_window_by_process_ms()
                ),
                "cost_ratio_with_turn_edges": _round(brisk.cost_ratio(with_turn_edges=True)),
                **brisk.once_per_turn_cpu_ms(),
            },
            "paced": {
                "rate_tok_s": rate,
                "lag_ms": round(paced.lag_s * 1000, 1),
                "heartbeats": len(paced.beats),
                "stall_p50_ms": round(_percentile(stalls, 50), 2),
                "stall_p99_ms": round(_percentile(stalls, 99), 2),
                "stall_max_ms": round(max(stalls, default=float("nan")), 2),
                "cost_ratio_last_first": _round(cost_ratio),
                "cpu_ms_per_1000_tokens": paced.cost_per_thousand_ms(),
                "cpu_ms_per_1000_tokens_by_process": paced.cost_per_thousand_by_process_ms(),
                "cpu_ms_per_1000_tokens_by_window_by_process": (
                    paced.cost_per_thousand_by_window_by_process_ms()
                ),
                "cost_ratio_with_turn_edges": _round(paced.cost_ratio(with_turn_edges=True)),
                **paced.once_per_turn_cpu_ms(),
            },
        }
    finally:
        harness.close()


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


# -- the command -------------------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> int:
    ladder = [float(rate) for rate in args.ladder]
    with tempfile.TemporaryDirectory(prefix="satori-bench-ui-") as home:
        os.environ["SATORI_DESKTOP_HOME"] = home
        prepare_environment(os.environ)  # type: ignore[arg-type]
        env = dict(os.environ)
        cold = measure_cold_start(args.cold_start_runs, env) if args.cold_start_runs > 0 else None
        streaming = measure_streaming(args.tokens, args.rate, ladder)
    report = {
        "benchmark": "ui",
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine_description(),
        "qt_platform": os.environ.get("QT_QPA_PLATFORM", "native"),
        "commit": checkout_commit(),
        **streaming,
        "cold_start": cold,
        "targets": TARGETS,
    }
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(format_report(report))
    return 0


def _by_process(split: dict[str, float]) -> str:
    return ", ".join(f"{kind} {ms}" for kind, ms in split.items()) or "n/a"


def _by_window(figures: dict[str, Any]) -> list[str]:
    split = figures.get("cpu_ms_per_1000_tokens_by_window_by_process") or {}
    return [f"      {kind} by window: {windows}" for kind, windows in split.items()]


def format_report(report: dict[str, Any]) -> str:
    paced = report["paced"]
    lines = [
        f"bench ui — {report['date']}, {report['machine']}, commit {report['commit']}, "
        f"Qt platform {report['qt_platform']}",
        f"  max sustained without backlog: {report['max_sustained_tok_s']} tok/s (target >= 2000); "
        f"as fast as possible end to end: {report['fast']['end_to_end_tok_s']} tok/s",
        f"  event-loop stall at {paced['rate_tok_s']:.0f} tok/s: p99 {paced['stall_p99_ms']} ms "
        "(target < 50), "
        f"max {paced['stall_max_ms']} ms, over {paced['heartbeats']} heartbeats",
        f"  cost per token, last 1,000 / first 1,000: {paced['cost_ratio_last_first']} at "
        f"{paced['rate_tok_s']:.0f} tok/s (target <= 1.3); {report['brisk']['cost_ratio_last_first']} at "
        f"{report['brisk']['rate_tok_s']:.0f} tok/s",
        f"    CPU ms per 1,000 tokens at {paced['rate_tok_s']:.0f} tok/s: {paced['cpu_ms_per_1000_tokens']}",
        f"      by process: {_by_process(paced['cpu_ms_per_1000_tokens_by_process'])}",
        *_by_window(paced),
        f"    CPU ms per 1,000 tokens at {report['brisk']['rate_tok_s']:.0f} tok/s: "
        f"{report['brisk']['cpu_ms_per_1000_tokens']}",
        f"      by process: {_by_process(report['brisk']['cpu_ms_per_1000_tokens_by_process'])}",
        *_by_window(report["brisk"]),
        f"    once per answer at {paced['rate_tok_s']:.0f} tok/s: {paced['turn_start_cpu_ms']} CPU ms before "
        f"the first tokens, {paced['turn_end_cpu_ms']} CPU ms after the last",
    ]
    cold = report["cold_start"]
    if cold:
        lines.append(
            f"  cold start to window with page ready: {cold['app_s']} s (target < 2.5); bare QWebEngineView "
            f"{cold['hello_world_s']} s; ratio {cold['ratio']}"
        )
    for step in report["ladder"]:
        lines.append(
            f"    {step['rate_tok_s']:>7.0f} tok/s: lag at the end {step['lag_ms']} ms, "
            f"kept up: {step['kept_up']}"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    if sys.argv[1:] == ["--hello-world"]:
        raise SystemExit(hello_world_main())
    parser = argparse.ArgumentParser(prog="python -m satori_desktop.bench.ui")
    register(parser)
    parsed = parser.parse_args()
    raise SystemExit(parsed.handler(parsed))
