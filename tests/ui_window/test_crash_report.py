"""Crashes, as the user meets them: a native crash is reported at the next start, a bug in a slot in a box.

The native crash is real: the app runs in a child process and segfaults (faulthandler's `_sigsegv`) once
its window is ready, writing `crash.log` as any llama.cpp or Qt crash would; the next start reads it.
The screenshot of the report over the window is saved under SATORI_SCREENSHOT_DIR when set (else a temp
dir); docs/screenshots/crash-report.png comes from here, looked at by a person.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import shiboken6
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QColor, QGuiApplication, QPainter
from PySide6.QtWidgets import QMessageBox, QPushButton
from pytestqt.qtbot import QtBot

from satori_desktop.core import paths
from satori_desktop.core.crash_report import crash_log_path, take_previous_crash
from satori_desktop.core.errors import UserFacingError
from satori_desktop.core.logging_setup import log_file_path
from satori_desktop.core.settings import Settings
from satori_desktop.engine.scripted import ScriptedEngine
from satori_desktop.ui.app import READY_LINE, crash_sentence, install_excepthook
from satori_desktop.ui.crash_dialog import CrashReportDialog, UncaughtErrorBoxes, show_crash_report
from satori_desktop.ui.engine_worker import EngineWorker
from satori_desktop.ui.main_window import MainWindow
from tests.core.test_crash_report import CRASH_IN_A_CHILD
from tests.support.qt_env import app_env

ROOT = Path(__file__).resolve().parents[2]

# The real app (run_gui, the scripted engine) in a child; it segfaults once its window is ready.
APP_THAT_CRASHES = r"""
import faulthandler
import sys

import satori_desktop.ui.transcript  # the satori: scheme, registered before the QApplication exists
from PySide6.QtCore import QTimer
from PySide6.QtWebEngineWidgets import QWebEngineView  # imported before the QApplication exists
from PySide6.QtWidgets import QApplication

from satori_desktop.ui.app import run_gui
from satori_desktop.ui.main_window import MainWindow

app = QApplication([sys.argv[0]])  # run_gui takes it over


def crash_once_ready():
    if any(isinstance(w, MainWindow) and w.is_ready for w in app.topLevelWidgets()):
        faulthandler._sigsegv()


timer = QTimer()
timer.timeout.connect(crash_once_ready)
timer.start(20)
sys.exit(run_gui(sys.argv[1:]))
"""

# The real app in a child that, once the crash report is on screen, prints what it says and quits.
APP_THAT_READS_THE_REPORT = r"""
import json
import sys

import satori_desktop.ui.transcript  # the satori: scheme, registered before the QApplication exists
from PySide6.QtCore import QTimer
from PySide6.QtWebEngineWidgets import QWebEngineView  # imported before the QApplication exists
from PySide6.QtWidgets import QApplication

from satori_desktop.ui.app import run_gui

app = QApplication([sys.argv[0]])


def print_the_report():
    shown = [w for w in app.topLevelWidgets() if w.objectName() == "crashReportDialog" and w.isVisible()]
    if not shown:
        return
    timer.stop()
    dialog = shown[0]
    window = dialog.parentWidget()
    print(json.dumps({
        "sentence": dialog.sentence,
        "details": dialog.details_view.toPlainText(),
        "modality": dialog.windowModality().name,
        "over": window.objectName(),
        "window_visible": window.isVisible(),
    }), flush=True)
    dialog.close()
    window.close()


timer = QTimer()
timer.timeout.connect(print_the_report)
timer.start(20)
sys.exit(run_gui(sys.argv[1:]))
"""


def _run(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=app_env(home), capture_output=True, text=True, timeout=120
    )


@pytest.mark.slow
def test_a_native_crash_is_reported_at_the_next_start_kept_in_the_log_and_only_once(
    satori_home: Path,
) -> None:
    crashed = _run(satori_home, "-c", APP_THAT_CRASHES, "--scripted-engine")
    if hasattr(signal, "SIGSEGV") and sys.platform != "win32":
        assert crashed.returncode == -signal.SIGSEGV, crashed.stderr[-3000:]
    report = crash_log_path().read_text(encoding="utf-8")
    assert report.startswith("Fatal Python error: Segmentation fault")
    assert "in crash_once_ready" in report  # the stack of the thread that crashed

    # The next start says so, over the window, with the report, without blocking the window.
    second = _run(satori_home, "-c", APP_THAT_READS_THE_REPORT, "--scripted-engine")
    assert second.returncode == 0, second.stderr[-3000:]
    shown = json.loads(second.stdout.strip().splitlines()[-1])
    assert shown["sentence"].startswith("Satori Desktop closed unexpectedly last time, on ")
    assert "(Segmentation fault)" in shown["sentence"]
    assert "Segmentation fault" in shown["details"] and "in crash_once_ready" in shown["details"]
    assert (shown["modality"], shown["over"], shown["window_visible"]) == ("WindowModal", "mainWindow", True)
    assert "Traceback" not in second.stderr

    # Kept whole beside the log, copied into the log, and crash.log is empty for the next crash.
    kept = sorted(paths.log_dir().glob("crash-*.log"))
    assert len(kept) == 1 and kept[0].read_text(encoding="utf-8") == report
    assert str(kept[0]) in shown["sentence"]
    assert crash_log_path().stat().st_size == 0
    logged = log_file_path().read_text(encoding="utf-8")
    assert logged.count("the previous run crashed (Segmentation fault)") == 1
    assert "Fatal Python error: Segmentation fault" in logged and "in crash_once_ready" in logged

    # A third start, the way a user starts it, has nothing to report.
    third = _run(satori_home, "-m", "satori_desktop", "--scripted-engine", "--exit-when-ready")
    assert third.returncode == 0, third.stderr[-3000:]
    assert READY_LINE in third.stdout.splitlines()
    assert log_file_path().read_text(encoding="utf-8").count("the previous run crashed") == 1
    assert sorted(paths.log_dir().glob("crash-*.log")) == kept
    assert crash_log_path().stat().st_size == 0


@pytest.fixture
def window(qtbot: QtBot) -> Iterator[MainWindow]:
    engine = ScriptedEngine(tokens_per_second=300)
    worker = EngineWorker(lambda: engine)
    win = MainWindow(worker, Settings(), model_path=Path("demo.gguf"))
    qtbot.addWidget(win)
    win.resize(1000, 760)
    win.show()
    qtbot.waitUntil(lambda: win.is_ready, timeout=30_000)
    yield win
    win.close()
    assert worker.shutdown(timeout_ms=10_000)
    shiboken6.delete(win)  # pages must go before the QApplication and its web profile
    qtbot.wait(50)


def _save_over_window(window: MainWindow, dialog: CrashReportDialog, path: Path) -> None:
    """The window with the dialog drawn over it where a window manager centres it (offscreen has no screen
    big enough to grab both, nor window frames): both are the widgets' own renderings."""
    picture = window.grab()
    over = dialog.grab()
    x = (picture.width() - over.width()) // 2
    y = (picture.height() - over.height()) // 3
    painter = QPainter(picture)
    painter.fillRect(x + 3, y + 5, over.width(), over.height(), QColor(0, 0, 0, 70))  # a shadow
    painter.drawPixmap(x, y, over)
    painter.setPen(QColor("#8c8c8c"))
    painter.drawRect(x, y, over.width() - 1, over.height() - 1)
    painter.end()
    assert not picture.isNull() and picture.save(str(path))


def test_the_crash_report_opens_over_the_window_and_offers_its_details(
    qtbot: QtBot, window: MainWindow, shots: Path, opened_folders: list[str]
) -> None:
    crashed = subprocess.run([sys.executable, "-c", CRASH_IN_A_CHILD], env=dict(os.environ), timeout=60)
    assert crashed.returncode != 0
    report = take_previous_crash()
    assert report is not None

    dialog = show_crash_report(report, paths.log_dir(), window)
    qtbot.waitUntil(dialog.isVisible, timeout=5000)
    assert window.findChild(CrashReportDialog, "crashReportDialog") is dialog
    assert dialog.windowModality() == Qt.WindowModality.WindowModal  # over the window, not the whole app
    assert dialog.sentence.startswith("Satori Desktop closed unexpectedly last time, on ")
    assert "(Segmentation fault)" in dialog.sentence and str(report.kept_as) in dialog.sentence
    details = dialog.findChild(type(dialog.details_view), "crashDetails")
    assert details is not None and details.toPlainText().startswith("Fatal Python error: Segmentation fault")
    qtbot.wait(300)  # a few frames for the page to paint
    _save_over_window(window, dialog, shots / "crash-report.png")  # as it opens at start

    qtbot.mouseClick(dialog.findChild(QPushButton, "copyDetailsButton"), Qt.MouseButton.LeftButton)
    qtbot.mouseClick(dialog.findChild(QPushButton, "openLogFolderButton"), Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == report.details
    assert opened_folders == [str(paths.log_dir())]
    assert dialog.isVisible()  # copying and opening the folder leave the report open

    # The window goes on behind it: the engine answers while the report is up.
    with qtbot.waitSignal(window._worker.generation_finished, timeout=20_000):
        window.ask("What is 2 + 3?")
    assert window.conversation.turns[-1].answer

    close = dialog.findChild(QPushButton, "closeButton")
    assert close is not None
    with qtbot.waitSignal(dialog.finished, timeout=5000):
        qtbot.mouseClick(close, Qt.MouseButton.LeftButton)


@pytest.mark.qt_no_exception_capture  # this test is about what the app does with them
def test_an_exception_in_a_slot_shows_one_sentence_once_and_the_app_keeps_working(
    qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # put back after the test
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    boxes = UncaughtErrorBoxes()
    boxes.set_window(window)
    install_excepthook(boxes.report)

    def broken_slot() -> None:
        raise ValueError("internal detail")

    button = QPushButton("Break", window)
    button.clicked.connect(broken_slot)
    button.show()
    with caplog.at_level(logging.INFO):
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)  # a slot raising, as a click calls it
        for _ in range(3):
            QTimer.singleShot(0, broken_slot)  # and a timer's, again and again
        qtbot.waitUntil(lambda: boxes.box is not None, timeout=5000)
        qtbot.wait(100)  # the timers' exceptions arrive after the first one made its box
        box = boxes.box
        assert box is not None and box.objectName() == "uncaughtErrorBox"
        assert box.text() == crash_sentence(ValueError()) and "log file" in box.text()
        assert "Traceback" not in box.text() and "internal detail" not in box.text()
        assert box.windowModality() == Qt.WindowModality.WindowModal
        assert len(window.findChildren(QMessageBox, "uncaughtErrorBox")) == 1  # one box, not four

        # Still running: a question is answered, and timers fire, while the box is up.
        with qtbot.waitSignal(window._worker.generation_finished, timeout=20_000):
            window.ask("What is 2 + 3?")
        assert window.conversation.turns[-1].answer

        with qtbot.waitSignal(box.finished, timeout=5000):
            box.button(QMessageBox.StandardButton.Ok).click()
        QTimer.singleShot(0, broken_slot)  # the same sentence again: the log has it, no new box
        qtbot.wait(100)
        assert boxes.box is None

        def full_disk() -> None:
            raise UserFacingError("The disk is full: free some space and try again.")

        QTimer.singleShot(0, full_disk)  # a different sentence gets its own box
        qtbot.waitUntil(lambda: boxes.box is not None, timeout=5000)
        assert (
            boxes.box is not None and boxes.box.text() == "The disk is full: free some space and try again."
        )
        boxes.box.close()

    tracebacks = [r for r in caplog.records if r.getMessage() == "uncaught exception" and r.exc_info]
    assert len(tracebacks) == 5  # every one of them is in the log, with its traceback
    assert all(r.exc_info and r.exc_info[0] is ValueError for r in tracebacks)


@pytest.mark.qt_no_exception_capture
def test_an_exception_in_another_thread_shows_its_box_on_the_gui_thread(
    qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    boxes = UncaughtErrorBoxes()
    boxes.set_window(window)
    install_excepthook(boxes.report)

    def fail() -> None:
        raise UserFacingError("The model file went away: reinstall it with `satori-desktop models download`.")

    thread = threading.Thread(target=fail)
    thread.start()
    thread.join()
    qtbot.waitUntil(lambda: boxes.box is not None, timeout=5000)
    box = boxes.box
    assert box is not None and box.thread() is window.thread()
    assert box.text().startswith("The model file went away")
    box.close()
