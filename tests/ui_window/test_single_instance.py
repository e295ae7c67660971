"""One Satori Desktop per user: a second start hands over to the open window and exits (single_instance).

The app runs as real child processes, offscreen, on real local sockets; each test has its own home, so its
own socket name.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from satori_desktop.core.logging_setup import log_file_path
from satori_desktop.ui.app import present_for_another_start
from satori_desktop.ui.single_instance import WAITING_TO_DECIDE, InstanceServer, deciding_lock, server_name
from tests.support.qt_env import app_env, startup_noise
from tests.ui_window.test_signals import ROOT, _Child, _wait_for_log

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="the children are stopped with SIGTERM")

READY = "the window is ready"
HANDED_OVER = "a later start handed over to this window"


def start_again(home: Path, *args: str, token: str = "") -> subprocess.CompletedProcess[str]:
    env = {name: value for name, value in app_env(home).items() if name != "XDG_ACTIVATION_TOKEN"}
    if token:
        env["XDG_ACTIVATION_TOKEN"] = token  # what a Wayland launcher gives the program it starts
    return subprocess.run(
        [sys.executable, "-m", "satori_desktop", "--scripted-engine", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def logged(text: str) -> int:
    return log_file_path().read_text(encoding="utf-8").count(text) if log_file_path().exists() else 0


def wait_for_count(text: str, count: int, child: _Child, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and child.process.poll() is None:
        if logged(text) >= count:
            return
        time.sleep(0.05)
    pytest.fail(f"the log never said {text!r} {count} times:\n{child.stderr()[-3000:]}")


def test_a_second_start_hands_over_to_the_open_window_and_exits() -> None:
    home = Path(os.environ["SATORI_DESKTOP_HOME"])
    first = _Child(["-m", "satori_desktop", "--scripted-engine"], home)
    try:
        _wait_for_log(READY, first, timeout=90)
        second = start_again(home)
        assert second.returncode == 0, second.stderr
        assert "Satori Desktop is open already; its window comes to the front." in second.stderr
        assert "Traceback" not in second.stderr
        wait_for_count(f"{HANDED_OVER}: {{}}", 1, first, timeout=10)
        # Given a model file, the second start hands that over too (the open window imports it).
        model = home / "elsewhere" / "tiny.gguf"
        third = start_again(home, "--model", str(model), token="launcher-token-7")
        assert third.returncode == 0, third.stderr
        # With the launcher's activation token, which the open window takes the focus with (Wayland).
        message = f"{{'model': '{model}', 'activation_token': 'launcher-token-7'}}"
        wait_for_count(f"{HANDED_OVER}: {message}", 1, first, timeout=10)
        assert logged(READY) == 1  # neither made a window of its own
        # --new-instance: a window of its own all the same.
        own = _Child(["-m", "satori_desktop", "--scripted-engine", "--new-instance"], home)
        try:
            wait_for_count(READY, 2, own, timeout=90)
            own.process.send_signal(signal.SIGTERM)
            assert own.finish(timeout=60) == 143
        finally:
            own.kill()
        first.process.send_signal(signal.SIGTERM)
        assert first.finish(timeout=60) == 143
    finally:
        first.kill()

    # Closed, it let go of the name: the next start opens a window of its own.
    again = _Child(["-m", "satori_desktop", "--scripted-engine"], home)
    try:
        wait_for_count(READY, 3, again, timeout=90)
        # A copy that crashed leaves its socket file behind: the next start still opens its window.
        again.process.send_signal(signal.SIGKILL)
        again.process.wait(timeout=30)
    finally:
        again.kill()
    after_crash = _Child(["-m", "satori_desktop", "--scripted-engine"], home)
    try:
        wait_for_count(READY, 4, after_crash, timeout=90)
        assert logged(HANDED_OVER) == 2
        after_crash.process.send_signal(signal.SIGTERM)
        assert after_crash.finish(timeout=60) == 143
    finally:
        after_crash.kill()


def test_two_starts_a_moment_apart_make_one_window() -> None:
    # A double-click repeated: both start before either has a window; one gets the name and the other,
    # finding it held, waits for that one's answer.
    home = Path(os.environ["SATORI_DESKTOP_HOME"])
    starts = [_Child(["-m", "satori_desktop", "--scripted-engine"], home) for _ in range(2)]
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and all(start.process.poll() is None for start in starts):
            time.sleep(0.05)
        [handed] = [start for start in starts if start.process.poll() is not None]
        [window] = [start for start in starts if start is not handed]
        assert handed.finish(timeout=10) == 0
        assert "open already" in handed.stderr()
        wait_for_count(READY, 1, window, timeout=90)
        time.sleep(0.5)
        assert logged(READY) == 1 and logged(HANDED_OVER) == 1
        window.process.send_signal(signal.SIGTERM)
        assert window.finish(timeout=60) == 143
    finally:
        for start in starts:
            start.kill()


def test_a_start_waits_while_another_decides_and_then_opens_its_window() -> None:
    # Two starts in the same instant decide one after another. Here the test is the other start: while it
    # holds the lock the app waits (and makes no window); once it lets go the app decides, finds no one
    # listening and opens its window, and lets go of the lock in turn.
    home = Path(os.environ["SATORI_DESKTOP_HOME"])
    lock = deciding_lock()
    assert lock is not None and lock.isLocked()
    start = _Child(["-m", "satori_desktop", "--scripted-engine"], home)
    try:
        wait_for_count(WAITING_TO_DECIDE, 1, start, timeout=60)
        assert logged(READY) == 0
        lock.unlock()
        wait_for_count(READY, 1, start, timeout=90)
        again = deciding_lock()
        assert again is not None
        again.unlock()
        start.process.send_signal(signal.SIGTERM)
        assert start.finish(timeout=60) == 143
    finally:
        lock.unlock()
        start.kill()


# Qt's offscreen platform has no window stacking, and says so when the window is raised (a marker of the
# test's own takes the place of the folder's, so the start-up noise is named again).
@pytest.mark.qt_log_ignore(*startup_noise(), "This plugin does not support raise")
def test_the_open_window_comes_forward_and_says_what_was_wrong_with_a_model_handed_over(
    qtbot: QtBot, scripted_window: Callable[..., object]
) -> None:
    window = scripted_window()
    server = InstanceServer(name=server_name())
    assert server.listen()
    received: list[dict[str, object]] = []
    server.handed_over.connect(received.append)
    server.handed_over.connect(lambda message: present_for_another_start(window, message))
    missing = Path(os.environ["SATORI_DESKTOP_HOME"]) / "nowhere.gguf"
    # A later start, from a process of its own (its wait for the answer would block this event loop).
    later = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from PySide6.QtCore import QCoreApplication; app = QCoreApplication([]); "
            "from satori_desktop.ui.single_instance import hand_over; "
            f"sys.exit(0 if hand_over({{'model': {str(missing)!r}}}) else 3)",
        ],
        cwd=ROOT,
        env=app_env(Path(os.environ["SATORI_DESKTOP_HOME"])),
    )
    try:
        qtbot.waitUntil(lambda: later.poll() is not None, timeout=30_000)
    finally:
        if later.poll() is None:
            later.kill()
    assert later.returncode == 0
    assert received == [{"model": str(missing)}]
    assert window.isVisible()  # type: ignore[attr-defined]
    notice = window.notice_bar.label.text()  # type: ignore[attr-defined]
    assert f"The model file {missing} does not exist" in notice
    server.close()


def test_what_is_not_a_message_is_ignored_and_the_server_goes_on(qtbot: QtBot) -> None:
    server = InstanceServer(name=server_name())
    assert server.listen()
    received: list[dict[str, object]] = []
    server.handed_over.connect(received.append)
    script = (
        "import sys; from PySide6.QtCore import QCoreApplication; app = QCoreApplication([]); "
        "from PySide6.QtNetwork import QLocalSocket; "
        "from satori_desktop.ui.single_instance import hand_over, server_name; "
        "s = QLocalSocket(); s.connectToServer(server_name()); s.waitForConnected(3000); "
        "s.write(b'not json at all\\n'); s.flush(); s.waitForDisconnected(3000); "
        "sys.exit(0 if hand_over({}) else 3)"
    )
    later = subprocess.Popen(
        [sys.executable, "-c", script], cwd=ROOT, env=app_env(Path(os.environ["SATORI_DESKTOP_HOME"]))
    )
    try:
        qtbot.waitUntil(lambda: later.poll() is not None, timeout=30_000)
    finally:
        if later.poll() is None:
            later.kill()
    assert later.returncode == 0 and received == [{}]
    server.close()
