"""Ctrl+C and SIGTERM close the running app cleanly: answer cancelled, engine thread joined, 130 / 143.

The app runs as a real child process, offscreen. Python runs a signal handler only when the interpreter
gets control, which Qt's event loop does not give it, so these are the tests that would hang (or see the
process killed by the default action) if the wake-up socket in `ui.app.SignalCloser` did not work.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from satori_desktop.core.crash_report import crash_log_path
from satori_desktop.core.logging_setup import log_file_path
from satori_desktop.ui.app import SignalCloser, exit_code_for_signal
from tests.support.qt_env import app_env

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals (Windows has SIGINT/SIGBREAK)")

ROOT = Path(__file__).resolve().parents[2]
GENERATING_LINE = "SATORI_GENERATING"

# The real app (run_gui, the scripted engine) in a child that asks a question once the window is ready,
# says so while the answer is streaming, and after run_gui returns prints whether the engine thread ran on.
APP_ANSWERING = r"""
import json
import sys

import satori_desktop.ui.transcript  # the satori: scheme, registered before the QApplication exists
from PySide6.QtCore import QTimer
from PySide6.QtWebEngineWidgets import QWebEngineView  # imported before the QApplication exists
from PySide6.QtWidgets import QApplication

from satori_desktop.ui.app import run_gui
from satori_desktop.ui.main_window import MainWindow

app = QApplication([sys.argv[0]])  # run_gui takes it over
asked = []


def ask_once_ready():
    ready = [w for w in app.topLevelWidgets() if isinstance(w, MainWindow) and w.is_ready]
    if ready:
        timer.stop()
        asked.append(ready[0])
        ready[0].ask("What is the sum of the roots of x^2 - 5x + 6 = 0?")
        QTimer.singleShot(500, lambda: print("SATORI_GENERATING", flush=True))  # a few tokens in


timer = QTimer()
timer.timeout.connect(ask_once_ready)
timer.start(20)
code = run_gui(sys.argv[1:])
print(json.dumps({"busy_when_asked": asked[0].is_busy, "engine_thread_running": asked[0]._worker.is_running}))
sys.exit(code)
"""


class _Child:
    """A child process whose stdout lines are read as they come (stderr goes to a file)."""

    def __init__(self, args: list[str], home: Path) -> None:
        self.stderr_path = home / "stderr.txt"
        with open(self.stderr_path, "w") as stderr:
            self.process = subprocess.Popen(
                [sys.executable, *args],
                cwd=ROOT,
                env=app_env(home),
                stdout=subprocess.PIPE,
                stderr=stderr,
                text=True,
            )
        self.lines: queue.Queue[str] = queue.Queue()
        self.stdout: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))

    def wait_for_line(self, wanted: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.1)
            except queue.Empty:
                if self.process.poll() is not None:
                    break
                continue
            self.stdout.append(line)
            if line == wanted:
                return
        pytest.fail(f"the app never printed {wanted}:\n{self.stderr()[-3000:]}")

    def finish(self, timeout: float) -> int:
        code = self.process.wait(timeout=timeout)
        self._reader.join(timeout=10)
        while not self.lines.empty():
            self.stdout.append(self.lines.get())
        return code

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def _wait_for_log(text: str, child: _Child, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if log_file_path().exists() and text in log_file_path().read_text(encoding="utf-8"):
            return
        if child.process.poll() is not None:
            break
        time.sleep(0.05)
    pytest.fail(f"the log never said {text!r}:\n{child.stderr()[-3000:]}")


def _assert_closed_cleanly(child: _Child, signum: int) -> None:
    name = signal.Signals(signum).name
    stderr = child.stderr()
    assert "Traceback" not in stderr and "Fatal" not in stderr and "KeyboardInterrupt" not in stderr
    logged = log_file_path().read_text(encoding="utf-8")
    assert f"{name} received: closing the window" in logged
    assert (
        f"closed on {name}, exit code {exit_code_for_signal(signum)}; the engine thread has stopped" in logged
    )
    assert crash_log_path().stat().st_size == 0  # no native crash on the way out either


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_while_an_answer_streams_cancels_it_and_closes_cleanly(
    satori_home: Path, signum: signal.Signals
) -> None:
    # Five pieces a second: the canned answer would take most of a minute to finish on its own.
    child = _Child(["-c", APP_ANSWERING, "--scripted-engine", "--scripted-rate", "5"], satori_home)
    try:
        child.wait_for_line(GENERATING_LINE, timeout=60)
        child.process.send_signal(signum)
        signalled = time.monotonic()
        code = child.finish(timeout=60)
        took = time.monotonic() - signalled
    finally:
        child.kill()
    assert code == exit_code_for_signal(signum) == {signal.SIGINT: 130, signal.SIGTERM: 143}[signum]
    state = json.loads(child.stdout[-1])
    assert state == {"busy_when_asked": True, "engine_thread_running": False}
    # Not a performance figure: an answer that was waited for instead of cancelled would take ~40 s.
    assert took < 20
    _assert_closed_cleanly(child, signum)


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_to_the_idle_app_started_as_a_user_starts_it_closes_it(
    satori_home: Path, signum: signal.Signals
) -> None:
    child = _Child(["-m", "satori_desktop", "--scripted-engine"], satori_home)
    try:
        _wait_for_log("the window is ready", child, timeout=60)
        child.process.send_signal(signum)
        code = child.finish(timeout=60)
    finally:
        child.kill()
    assert code == exit_code_for_signal(signum)
    _assert_closed_cleanly(child, signum)


def test_the_closer_runs_from_the_event_loop_once_and_gives_the_signals_back(qtbot: QtBot) -> None:
    received: list[int] = []
    before = (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM))
    closer = SignalCloser(received.append)
    try:
        os.kill(os.getpid(), signal.SIGTERM)
        qtbot.waitUntil(lambda: received == [signal.SIGTERM], timeout=5000)
        # A second SIGTERM now gets the default action: a shutdown that hangs can still be ended.
        assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL
        assert signal.getsignal(signal.SIGINT) == signal.SIG_DFL
    finally:
        closer.uninstall()
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before
    assert signal.set_wakeup_fd(-1) == -1  # no wake-up socket left behind
