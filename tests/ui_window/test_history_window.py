"""The history in the window: answers are recorded, found again after a restart, searched (English and
Chinese), renamed, deleted with Undo, continued; and an answer cut off by SIGKILL comes back interrupted,
with Retry.

Real parts: a real SQLite file in the test's SATORI_DESKTOP_HOME, the real window offscreen with the
scripted engine, and for the kill a real child process running the app.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import shiboken6
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from satori_desktop.core.settings import Settings
from satori_desktop.engine.scripted import DEMO_TRACE, ScriptedEngine, synthetic_trace
from satori_desktop.engine.streaming import TurnSummary
from satori_desktop.history import HistoryStore, default_path
from satori_desktop.ui.engine_worker import EngineWorker
from satori_desktop.ui.main_window import MainWindow
from tests.support.qt_env import app_env
from tests.ui_transcript.conftest import dom_state

ROOT = Path(__file__).resolve().parents[2]
MakeWindow = Callable[..., MainWindow]  # conftest's scripted_window: make(traces=None, rate=None)


def _answer(qtbot: QtBot, window: MainWindow, question: str) -> TurnSummary:
    with qtbot.waitSignal(window._worker.generation_finished, timeout=20_000) as finished:
        window.ask(question)
    summary: TurnSummary = finished.args[0]
    qtbot.waitUntil(window.transcript.is_idle, timeout=20_000)
    return summary


def test_an_answer_is_found_again_after_a_restart_and_continues(
    qtbot: QtBot, scripted_window: MakeWindow
) -> None:
    first = scripted_window()
    _answer(qtbot, first, "What is the sum of the roots of $x^2-5x+6=0$?")
    assert len(first.sidebar.shown_ids()) == 1
    shown_before = dom_state(qtbot, first.transcript)
    first.close()

    second = scripted_window()  # a restart: same home, a new window and store
    [conversation_id] = second.sidebar.shown_ids()
    item = second.sidebar.item_for(conversation_id)
    assert item is not None and item.text(0) == "What is the sum of the roots of $x^2-5x+6=0$?"
    second.sidebar.tree.itemClicked.emit(item, 0)
    qtbot.waitUntil(second.transcript.is_idle, timeout=20_000)
    shown_after = dom_state(qtbot, second.transcript)
    # Rendered exactly as it was: the same steps, sections, typeset math and answer.
    for key in ("steps", "answer_tex", "katex", "display_katex", "summary", "text"):
        assert shown_after[key] == shown_before[key], key
    assert second.conversation.turns[0].answer == DEMO_TRACE
    # Continuing it: the follow-up's prompt carries the stored turn, and it is recorded in the same one.
    _answer(qtbot, second, "Why is the product 6?")
    assert DEMO_TRACE.split("<|continue|>")[0] in second.conversation.prompt()
    store = second.history.store
    assert store is not None
    assert store.flush(10)
    stored = store.get_conversation(conversation_id)
    assert stored is not None and [t.question for t in stored.turns][-1] == "Why is the product 6?"
    assert second.sidebar.shown_ids() == [conversation_id]


def test_search_finds_english_and_chinese_and_new_starts_afresh(
    qtbot: QtBot, scripted_window: MakeWindow
) -> None:
    window = scripted_window()
    _answer(qtbot, window, "Factor the quadratic polynomial x^2 - 5x + 6")
    window.new_action.trigger()
    assert window.conversation.turns == [] and window.history.conversation_id is None
    _answer(qtbot, window, "解这个二次方程：x^2 - 5x + 6 = 0")
    assert len(window.sidebar.shown_ids()) == 2
    window.sidebar.focus_search()
    # An input method hands the box whole characters (QTest can only type keys of a keyboard layout).
    window.sidebar.search_box.insert("二次方程")
    qtbot.waitUntil(lambda: len(window.sidebar.shown_ids()) == 1, timeout=5000)
    [hit] = window.sidebar.shown_ids()
    item = window.sidebar.item_for(hit)
    assert item is not None and "二次方程" in item.text(0)
    window.sidebar.search_box.clear()
    qtbot.keyClicks(window.sidebar.search_box, "quadratic polynomial")
    qtbot.waitUntil(
        lambda: len(window.sidebar.shown_ids()) == 1 and window.sidebar.shown_ids() != [hit], timeout=5000
    )
    window.sidebar.search_box.clear()
    qtbot.waitUntil(lambda: len(window.sidebar.shown_ids()) == 2, timeout=5000)


def test_rename_and_delete_with_undo(qtbot: QtBot, scripted_window: MakeWindow) -> None:
    window = scripted_window()
    _answer(qtbot, window, "A first problem")
    [conversation_id] = window.sidebar.shown_ids()
    item = window.sidebar.item_for(conversation_id)
    assert item is not None
    item.setText(0, "Homework 3")  # what an edit in place does
    qtbot.waitUntil(
        lambda: (i := window.sidebar.item_for(conversation_id)) is not None and i.text(0) == "Homework 3"
    )
    store = window.history.store
    assert store is not None
    assert [c.title for c in store.list_conversations()] == ["Homework 3"]

    window.sidebar.tree.setCurrentItem(window.sidebar.item_for(conversation_id))
    window.sidebar.delete_action.trigger()
    assert window.sidebar.shown_ids() == [] and window.conversation.turns == []  # it was the one shown
    assert window.notice_bar.action_button.isVisible() and window.notice_bar.action_button.text() == "Undo"
    assert "Homework 3" in window.notice_bar.label.text()
    qtbot.mouseClick(window.notice_bar.action_button, Qt.MouseButton.LeftButton)
    assert window.sidebar.shown_ids() == [conversation_id]


# The real app in a child, answering slowly, reporting how much text it has shown; the parent kills it.
APP_STREAMING = r"""
import sys
import time

from PySide6.QtCore import QTimer
from PySide6.QtWebEngineWidgets import QWebEngineView  # before the QApplication exists
from PySide6.QtWidgets import QApplication

import satori_desktop.ui.transcript
from satori_desktop.ui.app import run_gui
from satori_desktop.ui.main_window import MainWindow

app = QApplication([sys.argv[0]])
asked = []


def tick():
    windows = [w for w in app.topLevelWidgets() if isinstance(w, MainWindow) and w.is_ready]
    if not windows:
        return
    window = windows[0]
    if not asked:
        if window.history.store is None:
            return
        asked.append(window)
        window.ask("A long problem to be cut off")
        return
    recorder = window.history._recorder
    if recorder is not None:
        print(f"SHOWN {time.time():.3f} {len(recorder.text)}", flush=True)


timer = QTimer()
timer.timeout.connect(tick)
timer.start(50)
sys.exit(run_gui(sys.argv[1:]))
"""


def test_an_answer_killed_mid_stream_comes_back_interrupted_with_retry(
    qtbot: QtBot, satori_home: Path, scripted_window: MakeWindow
) -> None:
    env = app_env(satori_home)
    child = subprocess.Popen(
        [sys.executable, "-c", APP_STREAMING, "--scripted-engine", "--scripted-rate", "60"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    shown: list[tuple[float, int]] = []
    try:
        assert child.stdout is not None
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            line = child.stdout.readline()
            if not line:
                break
            if line.startswith("SHOWN "):
                _, at, length = line.split()
                shown.append((float(at), int(length)))
                if shown[-1][0] - shown[0][0] > 4.0:  # streamed for four seconds
                    break
        child.kill()
        killed_at = time.time()
        child.wait(10)
    finally:
        if child.poll() is None:
            child.kill()
    assert shown and shown[-1][1] > 0, "the child never streamed"
    with sqlite3.connect(default_path()) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    # All the text handed over up to 2 s before the kill is in the file.
    promised = max(length for at, length in shown if at <= killed_at - 2.0)

    window = scripted_window()  # the next start
    qtbot.waitUntil(lambda: window.history.conversation_id is not None, timeout=10_000)
    qtbot.waitUntil(window.transcript.is_idle, timeout=20_000)
    assert "Interrupted" in dom_state(qtbot, window.transcript)["footer"]
    store = window.history.store
    assert store is not None
    stored = store.get_conversation(window.history.conversation_id)  # type: ignore[arg-type]
    assert stored is not None and stored.turns[-1].interrupted
    assert len(stored.turns[-1].output) >= promised
    assert window.notice_bar.action_button.text() == "Retry"
    with qtbot.waitSignal(window._worker.generation_finished, timeout=20_000) as finished:
        qtbot.mouseClick(window.notice_bar.action_button, Qt.MouseButton.LeftButton)
    assert finished.args[0].finish_reason == "stop"
    assert store.flush(10)
    again = store.get_conversation(stored.id)
    assert again is not None and len(again.turns) == 1 and again.turns[0].finish_reason == "stop"


def test_a_full_disk_while_streaming_is_one_sentence_and_the_answer_goes_on(
    qtbot: QtBot, scripted_window: MakeWindow
) -> None:
    window = scripted_window([DEMO_TRACE, synthetic_trace(3000)], rate=1500)
    _answer(qtbot, window, "A first problem, saved")
    store = window.history.store
    assert store is not None and store.flush(10)
    # SQLite's page limit makes the file hit SQLITE_FULL for real, as a full disk does.
    writer = store._writer  # type: ignore[attr-defined]
    pages = writer.call(lambda conn: conn.execute("PRAGMA page_count").fetchone()[0])
    writer.call(lambda conn: conn.execute(f"PRAGMA max_page_count = {pages + 1}"))
    summary = _answer(qtbot, window, "A follow-up whose long answer cannot be saved")
    assert summary.finish_reason == "stop" and summary.generated_tokens == 3000  # the stream went on
    qtbot.waitUntil(window.notice_bar.isVisible, timeout=10_000)
    assert "disk is full" in window.notice_bar.label.text()
    assert window.notice_bar.label.text().count("\n") == 0  # one sentence, once


def test_history_text_matches_what_was_streamed(qtbot: QtBot, scripted_window: MakeWindow) -> None:
    window = scripted_window()
    _answer(qtbot, window, "Record me")
    store = window.history.store
    assert store is not None and store.flush(10)
    [summary] = store.list_conversations()
    stored = store.get_conversation(summary.id)
    assert stored is not None and stored.turns[0].output == DEMO_TRACE
    assert stored.turns[0].answer == "5" and stored.turns[0].model_file == "demo.gguf"
    assert json.dumps(stored.turns[0].settings)  # the settings used are kept


def test_a_store_that_cannot_open_leaves_the_app_working(qtbot: QtBot, satori_home: Path) -> None:
    blocker = default_path()
    blocker.parent.mkdir(parents=True, exist_ok=True)
    blocker.mkdir()  # a folder where the file should be: the store cannot open it
    worker = EngineWorker(lambda: ScriptedEngine(tokens_per_second=None))
    window = MainWindow(worker, Settings(), model_path=Path("demo.gguf"), history_factory=HistoryStore)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.is_ready, timeout=30_000)
    qtbot.waitUntil(window.notice_bar.isVisible, timeout=10_000)
    assert "history" in window.notice_bar.label.text().lower()
    with qtbot.waitSignal(worker.generation_finished, timeout=20_000) as finished:
        window.ask("Still works?")
    assert finished.args[0].finish_reason == "stop"
    window.close()
    assert worker.shutdown(timeout_ms=20_000)
    shiboken6.delete(window)


def test_a_damaged_history_file_is_moved_aside_and_the_window_says_where(
    qtbot: QtBot, scripted_window: MakeWindow
) -> None:
    path = default_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    damaged = b"SQLite format 3\x00" + os.urandom(8192)
    path.write_bytes(damaged)
    window = scripted_window()
    qtbot.waitUntil(window.notice_bar.isVisible, timeout=10_000)
    text = window.notice_bar.label.text()
    assert "damaged" in text and "moved to" in text
    kept = [p for p in path.parent.iterdir() if p.name.startswith("history.damaged-")]
    assert len(kept) == 1 and kept[0].read_bytes() == damaged  # never deleted, byte for byte
    _answer(qtbot, window, "A fresh history works")
    assert len(window.sidebar.shown_ids()) == 1


def test_the_window_remembers_its_size_and_the_sidebar_width(
    qtbot: QtBot, scripted_window: MakeWindow
) -> None:
    first = scripted_window()
    first.resize(1000, 700)
    first.splitter.setSizes([330, 640])
    qtbot.wait(50)
    width = first.splitter.sizes()[0]
    first.close()
    second = scripted_window()
    qtbot.wait(50)
    assert abs(second.splitter.sizes()[0] - width) <= 2
