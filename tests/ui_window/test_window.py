"""The real window with the real transcript page, driven by the scripted engine.

Covers the composer keys, streaming into the page, the status line, Stop at any moment, closing in the
middle of an answer, follow-up questions, and the no-model notice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from satori_desktop.core.errors import UserFacingError
from satori_desktop.core.logging_setup import log_file_path
from satori_desktop.core.settings import Settings, load_settings
from satori_desktop.engine.scripted import DEMO_TRACE, ScriptedEngine, split_into_pieces, synthetic_trace
from satori_desktop.engine.streaming import TurnSummary
from satori_desktop.engine.types import GenerationRequest, GenerationResult, TextCallback
from satori_desktop.ui.engine_worker import EngineWorker
from satori_desktop.ui.main_window import MainWindow
from tests.ui_transcript.conftest import dom_state

MakeWindow = Callable[..., MainWindow]


@pytest.fixture
def make_window(qtbot: QtBot) -> Iterator[MakeWindow]:
    workers: list[EngineWorker] = []
    windows: list[MainWindow] = []

    def make(
        engine: ScriptedEngine | None = None, *, model_path: Path | None = Path("demo.gguf")
    ) -> MainWindow:
        engine = engine or ScriptedEngine()
        worker = EngineWorker(lambda: engine)
        workers.append(worker)
        window = MainWindow(worker, Settings(), model_path=model_path)
        windows.append(window)
        qtbot.addWidget(window)  # closed at teardown, which also joins the engine thread
        window.show()
        if model_path is not None:
            qtbot.waitUntil(lambda: window.is_ready, timeout=30_000)
        return window

    yield make
    for window in windows:
        window.close()
        shiboken6.delete(window)  # pages must go before the QApplication and its web profile
    for worker in workers:  # also when a test failed before its window closed
        assert worker.shutdown(timeout_ms=10_000)
    qtbot.wait(50)


def _finish(qtbot: QtBot, window: MainWindow, timeout: int = 20_000) -> TurnSummary:
    with qtbot.waitSignal(window._worker.generation_finished, timeout=timeout) as finished:
        pass
    summary: TurnSummary = finished.args[0]
    return summary


def test_enter_sends_and_shift_enter_starts_a_new_line(qtbot: QtBot, make_window: MakeWindow) -> None:
    window = make_window(ScriptedEngine(tokens_per_second=200))
    editor = window.composer.editor
    editor.setFocus()
    qtbot.keyClicks(editor, "Solve x + 1 = 2")
    qtbot.keyClick(editor, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClicks(editor, "for x")
    assert editor.toPlainText() == "Solve x + 1 = 2\nfor x"
    assert not window.is_busy
    with qtbot.waitSignal(window.composer.question_submitted, timeout=2000) as submitted:
        qtbot.keyClick(editor, Qt.Key.Key_Return)
    assert submitted.args == ["Solve x + 1 = 2\nfor x"]
    assert editor.toPlainText() == ""
    assert window.is_busy and window.composer.stop_button.isEnabled()
    assert not window.composer.send_button.isEnabled()
    assert window.conversation.turns[0].question == "Solve x + 1 = 2\nfor x"
    _finish(qtbot, window)


def test_a_solution_streams_and_the_status_line_tells_the_story(
    qtbot: QtBot, make_window: MakeWindow
) -> None:
    window = make_window(ScriptedEngine(tokens_per_second=300))
    assert window.model_label.text() == "Scripted demo engine (canned answer, no model)"
    assert window.backend_label.text() == "CPU"
    assert window.context_label.text() == "Context 0 / 4,096 tokens"
    window.composer.set_text("What is the sum of the roots of x^2 - 5x + 6 = 0?")
    qtbot.mouseClick(window.composer.send_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "tok/s" in window.speed_label.text(), timeout=10_000)
    assert window.speed_label.text().startswith("Generating · ")
    result = _finish(qtbot, window)
    assert result.finish_reason == "stop" and result.text == DEMO_TRACE
    tokens = len(split_into_pieces(DEMO_TRACE))
    assert window.speed_label.text().startswith(f"Done · {tokens} tokens · ")
    used = result.prompt_tokens + result.generated_tokens
    assert window.context_label.text() == f"Context {used:,} / 4,096 tokens"
    assert window.conversation.turns[0].answer == DEMO_TRACE
    assert not window.is_busy and not window.composer.stop_button.isEnabled()


def test_stop_mid_stream_keeps_the_partial_answer(qtbot: QtBot, make_window: MakeWindow) -> None:
    window = make_window(ScriptedEngine([synthetic_trace(3000)], tokens_per_second=200))
    window.ask("A long problem")
    qtbot.waitUntil(lambda: "tok/s" in window.speed_label.text(), timeout=10_000)
    with qtbot.waitSignal(window._worker.generation_finished, timeout=5000) as finished:
        qtbot.mouseClick(window.composer.stop_button, Qt.MouseButton.LeftButton)
    result = finished.args[0]
    assert result.finish_reason == "cancelled" and 0 < result.generated_tokens < 3000
    assert window.speed_label.text().startswith("Stopped · ")
    assert window.conversation.turns[0].answer == result.text
    assert not window.is_busy


def test_stop_right_after_sending_works_too(qtbot: QtBot, make_window: MakeWindow) -> None:
    window = make_window(ScriptedEngine([synthetic_trace(3000)], tokens_per_second=200))
    window.ask("A long problem")
    with qtbot.waitSignal(window._worker.generation_finished, timeout=5000) as finished:
        window.composer.stop_requested.emit()
    assert finished.args[0].finish_reason == "cancelled"


def test_escape_in_the_problem_box_stops(qtbot: QtBot, make_window: MakeWindow) -> None:
    window = make_window(ScriptedEngine([synthetic_trace(3000)], tokens_per_second=200))
    window.ask("A long problem")
    with qtbot.waitSignal(window._worker.generation_finished, timeout=5000) as finished:
        qtbot.keyClick(window.composer.editor, Qt.Key.Key_Escape)
    assert finished.args[0].finish_reason == "cancelled"


def test_closing_mid_generation_cancels_and_joins_the_engine_thread(
    qtbot: QtBot, make_window: MakeWindow
) -> None:
    engine = ScriptedEngine([synthetic_trace(8000)], tokens_per_second=100)
    window = make_window(engine)
    window.ask("A long problem")
    qtbot.waitUntil(lambda: "tok/s" in window.speed_label.text(), timeout=10_000)
    assert window.close()
    assert not window._worker.is_running
    assert engine.load_report is None  # unloaded on its own thread before the thread ended
    qtbot.wait(100)  # late queued signals must find nothing to crash on


def test_a_follow_up_continues_the_conversation_and_reuses_the_prefix(
    qtbot: QtBot, make_window: MakeWindow
) -> None:
    window = make_window(ScriptedEngine(["First: $\\boxed{5}$.", "Because $2+3=5$. So $\\boxed{5}$."]))
    window.ask("Sum of the roots of x^2-5x+6?")
    first = _finish(qtbot, window)
    window.ask("Why?")
    second = _finish(qtbot, window)
    assert [turn.question for turn in window.conversation.turns] == ["Sum of the roots of x^2-5x+6?", "Why?"]
    assert window.conversation.turns[1].answer == "Because $2+3=5$. So $\\boxed{5}$."
    assert "First: $\\boxed{5}$." in window.conversation.prompt()
    assert second.reused_prompt_tokens == first.prompt_tokens + first.generated_tokens
    assert second.prompt_tokens > second.reused_prompt_tokens
    used = second.prompt_tokens + second.generated_tokens
    assert window.context_label.text() == f"Context {used:,} / 4,096 tokens"


def test_new_conversation_starts_over(qtbot: QtBot, make_window: MakeWindow) -> None:
    window = make_window()
    window.ask("Q")
    _finish(qtbot, window)
    window.new_action.trigger()
    assert window.conversation.turns == []
    assert window.context_label.text() == "Context 0 / 4,096 tokens"


def test_without_a_model_the_window_shows_the_first_run_page(qtbot: QtBot, make_window: MakeWindow) -> None:
    window = make_window(model_path=None)
    assert window.pages.currentWidget() is window.first_run
    assert window.model_label.text() == "No model"
    qtbot.waitUntil(lambda: window.first_run.recommendation is not None, timeout=30_000)
    window.ask("1+1")  # nothing to answer with: nothing happens
    assert not window.is_busy and window.conversation.turns == []


def test_a_bug_during_generation_shows_a_sentence_in_the_transcript_not_a_traceback(
    qtbot: QtBot, make_window: MakeWindow
) -> None:
    class BrokenEngine(ScriptedEngine):
        def generate(
            self, request: GenerationRequest, on_text: TextCallback | None = None
        ) -> GenerationResult:
            raise RuntimeError("internal detail")

    window = make_window(BrokenEngine())
    window.ask("Q")
    summary = _finish(qtbot, window)
    assert summary.finish_reason == "error" and summary.error is not None
    assert str(log_file_path()) in summary.error and "internal detail" not in summary.error
    qtbot.waitUntil(window.transcript.is_idle, timeout=10_000)
    footer = dom_state(qtbot, window.transcript)["footer"]
    # The real sentence under the question it belongs to (it was "unknown error" before the summary
    # was typed), no traceback, no dialog on top of it.
    assert footer.startswith("Generation failed: Something went wrong while generating the answer")
    assert str(log_file_path()) in footer and "Traceback" not in footer and "internal detail" not in footer
    assert window.findChild(QMessageBox, "errorBox") is None
    assert window.conversation.turns == []  # the failed turn is dropped, a retry starts clean
    assert window.speed_label.text().startswith("Failed")


def test_a_user_facing_error_shows_its_own_sentence_in_the_transcript(
    qtbot: QtBot, make_window: MakeWindow
) -> None:
    sentence = (
        "The question is too long: it takes 9000 tokens and the model's context holds 4096; shorten it."
    )

    class TooLongEngine(ScriptedEngine):
        def generate(
            self, request: GenerationRequest, on_text: TextCallback | None = None
        ) -> GenerationResult:
            raise UserFacingError(sentence)

    window = make_window(TooLongEngine())
    window.ask("A very long question")
    assert _finish(qtbot, window).error == sentence
    qtbot.waitUntil(window.transcript.is_idle, timeout=10_000)
    assert dom_state(qtbot, window.transcript)["footer"].startswith(f"Generation failed: {sentence}")


def test_the_transcript_footer_shows_the_tokens_rate_and_elapsed_time(
    qtbot: QtBot, make_window: MakeWindow
) -> None:
    window = make_window(ScriptedEngine(tokens_per_second=400))
    window.ask("What is the sum of the roots?")
    summary = _finish(qtbot, window)
    assert summary.elapsed_s is not None and summary.elapsed_s > 0
    qtbot.waitUntil(window.transcript.is_idle, timeout=10_000)
    footer = dom_state(qtbot, window.transcript)["footer"]
    assert f"{summary.generated_tokens} tokens" in footer
    assert f"{summary.elapsed_s:.1f} s" in footer and "tokens/s" in footer


def test_keeping_sections_open_is_a_saved_setting(qtbot: QtBot, make_window: MakeWindow) -> None:
    window = make_window()
    window.keep_open_action.trigger()
    assert load_settings().keep_sections_open is True
    window.keep_open_action.trigger()
    assert load_settings().keep_sections_open is False


def _focused() -> object:
    from PySide6.QtWidgets import QApplication

    return QApplication.focusWidget()


def test_the_problem_box_has_the_keyboard_when_the_window_opens(
    qtbot: QtBot, make_window: MakeWindow
) -> None:
    window = make_window()
    qtbot.waitUntil(lambda: window.isActiveWindow(), timeout=5000)
    qtbot.waitUntil(window.transcript.is_idle, timeout=10_000)  # the loaded page did not take it
    assert _focused() is window.composer.editor
    # Typing goes straight into the box, with no click first.
    qtbot.keyClicks(_focused(), "2 + 2")
    assert window.composer.text() == "2 + 2"


def test_the_problem_box_gets_the_keyboard_back_after_an_answer(
    qtbot: QtBot, make_window: MakeWindow
) -> None:
    window = make_window(ScriptedEngine(["$\\boxed{1}$", synthetic_trace(3000)], tokens_per_second=200))
    qtbot.waitUntil(lambda: window.isActiveWindow(), timeout=5000)
    window.composer.set_text("First")
    qtbot.mouseClick(window.composer.send_button, Qt.MouseButton.LeftButton)
    assert _focused() is window.composer.editor  # sent with the button, typing goes on in the box
    window.transcript.setFocus()  # the student clicked into the transcript to read
    qtbot.waitUntil(lambda: _focused() is not window.composer.editor, timeout=5000)
    _finish(qtbot, window)
    assert _focused() is window.composer.editor
    # After Stop (the button had the focus, and is disabled now) too.
    window.ask("Second")
    window.composer.stop_button.setFocus()
    assert _focused() is window.composer.stop_button
    with qtbot.waitSignal(window._worker.generation_finished, timeout=5000):
        qtbot.mouseClick(window.composer.stop_button, Qt.MouseButton.LeftButton)
    assert _focused() is window.composer.editor


def test_the_keyboard_reaches_every_everyday_action(qtbot: QtBot, make_window: MakeWindow) -> None:
    from PySide6.QtGui import QGuiApplication, QKeySequence

    window = make_window(ScriptedEngine([synthetic_trace(3000)], tokens_per_second=200))
    shortcuts = {
        window.new_action: QKeySequence(QKeySequence.StandardKey.New),
        window.copy_answer_action: QKeySequence("Ctrl+Shift+C"),
        window.stop_action: QKeySequence("Ctrl+."),
        window.focus_composer_action: QKeySequence("Ctrl+L"),
        window.search_action: QKeySequence(QKeySequence.StandardKey.Find),
    }
    for action, keys in shortcuts.items():
        assert action.shortcut() == keys, action.text()
    assert not window.stop_action.isEnabled()  # nothing to stop yet
    window.ask("A long problem")
    assert window.stop_action.isEnabled()
    with qtbot.waitSignal(window._worker.generation_finished, timeout=10_000):
        window.stop_action.trigger()
    assert not window.stop_action.isEnabled()
    window.search_action.trigger()
    assert QGuiApplication.focusObject() is window.sidebar.search_box
    window.focus_composer_action.trigger()
    assert QGuiApplication.focusObject() is window.composer.editor


def test_copy_answer_puts_the_last_boxed_answer_on_the_clipboard(
    qtbot: QtBot, make_window: MakeWindow
) -> None:
    from PySide6.QtGui import QGuiApplication

    window = make_window(ScriptedEngine(tokens_per_second=None))
    window.copy_answer_action.trigger()
    assert "no boxed answer" in window.statusBar().currentMessage()
    window.ask("Sum of the roots?")
    _finish(qtbot, window)
    window.copy_answer_action.trigger()
    assert QGuiApplication.clipboard().text() == "5"
