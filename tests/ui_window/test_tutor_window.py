"""Tutor mode and "Check my answer" in the window: a hidden solution revealed hint by hint, the answer on
request, checks by the real checker in its worker process (the window keeps running meanwhile),
"Explain this step", and all of it kept in the history and shown again when the conversation reopens.

Real parts: the real window offscreen with the scripted engine (the demo trace: 5 steps, one reflect, one
explore, answer 5), the real transcript page, a real SQLite history, math-verify in a real process.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QInputDialog, QMessageBox
from pytestqt.qtbot import QtBot

from satori_desktop.core.tutor import first_sentence
from satori_desktop.engine.scripted import DEMO_TRACE
from satori_desktop.engine.streaming import TurnSummary
from satori_desktop.ui.main_window import MainWindow
from satori_desktop.ui.transcript.copy_menu import CopyRequest
from tests.support.answers import SLOW
from tests.ui_transcript.conftest import run_js

MakeWindow = Callable[..., MainWindow]
QUESTION = "What is the sum of the roots of $x^2-5x+6=0$?"
DEMO_STEPS = DEMO_TRACE.count("<|") + 1

PAGE_STATE_JS = """
(() => {
  const turns = [...document.querySelectorAll('#transcript > .turn')];
  return turns.map((turn) => ({
    tutored: turn.classList.contains('tutored'),
    steps: [...turn.querySelectorAll('section.step')].map((step) => {
      const shown = getComputedStyle(step).display !== 'none';
      if (step.classList.contains('tutor-hidden')) return {level: 'hidden', shown};
      if (step.classList.contains('tutor-hinted')) {
        return {level: 'hint', shown, label: step.querySelector('.tutor-kind').textContent,
                hint: step.querySelector('.tutor-hint-text').textContent};
      }
      const note = step.querySelector('.tutor-note');
      return {level: 'shown', shown, note: note ? note.textContent : ''};
    }),
    answer_shown: !!turn.querySelector('.answer-card') &&
      getComputedStyle(turn.querySelector('.answer-card')).display !== 'none',
    status: (turn.querySelector('.tutor-status:not([hidden])') || {textContent: ''}).textContent,
    checks: [...turn.querySelectorAll('.check-card')].map((card) => ({
      verdict: card.className.replace('check-card check-', ''),
      text: card.querySelector('.check-text').textContent,
      typeset: card.querySelectorAll('.check-math .katex').length,
    })),
  }));
})()
"""


@pytest.fixture
def make_window(scripted_window: MakeWindow) -> MakeWindow:
    return scripted_window


def _answer(qtbot: QtBot, window: MainWindow, question: str) -> TurnSummary:
    with qtbot.waitSignal(window._worker.generation_finished, timeout=20_000) as finished:
        window.ask(question)
    qtbot.waitUntil(window.transcript.is_idle, timeout=20_000)
    summary: TurnSummary = finished.args[0]
    return summary


def _page(qtbot: QtBot, window: MainWindow) -> list[dict[str, Any]]:
    qtbot.waitUntil(window.transcript.is_idle, timeout=10_000)
    state: list[dict[str, Any]] = run_js(qtbot, window.transcript, PAGE_STATE_JS)
    return state


def _picture(qtbot: QtBot, shoot: Callable[..., Path], window: MainWindow, name: str) -> None:
    # The page has applied the ops; the view shows them from its next frames.
    qtbot.waitUntil(window.transcript.is_idle, timeout=10_000)
    qtbot.wait(300)
    shoot(window, name)


def _press_in_transcript(qtbot: QtBot, window: MainWindow, key: Qt.Key) -> None:
    target = window.transcript.focusProxy() or window.transcript
    target.setFocus(Qt.FocusReason.OtherFocusReason)
    qtbot.keyClick(target, key)


def _check(qtbot: QtBot, window: MainWindow, typed: str) -> dict[str, Any]:
    bar = window.tutor_bar
    bar.answer_edit.setText(typed)
    count = len(_page(qtbot, window)[-1]["checks"])
    qtbot.keyClick(bar.answer_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not window.tutor.is_checking, timeout=30_000)
    qtbot.waitUntil(lambda: len(_page(qtbot, window)[-1]["checks"]) == count + 1, timeout=10_000)
    checks: list[dict[str, Any]] = _page(qtbot, window)[-1]["checks"]
    assert len(checks) == count + 1
    return checks[-1]


def test_tutor_mode_reveals_hint_then_step_and_the_answer_on_request(
    qtbot: QtBot, make_window: MakeWindow, shoot: Callable[..., Path]
) -> None:
    window = make_window()
    # Nothing to reveal yet: Space and → are the page's own (scrolling), not the tutor's.
    assert not any(shortcut.isEnabled() for shortcut in window.tutor._reveal_shortcuts)
    window.tutor_bar.tutor_box.click()
    assert window.tutor.tutoring and window.tutor_action.isChecked()
    _answer(qtbot, window, QUESTION)
    [turn] = _page(qtbot, window)
    assert turn["tutored"] and len(turn["steps"]) == DEMO_STEPS
    assert all(step["level"] == "hidden" and not step["shown"] for step in turn["steps"])
    assert not turn["answer_shown"] and f"0 of {DEMO_STEPS} steps shown" in turn["status"]
    assert window.tutor_bar.next_button.isEnabled() and window.tutor_bar.answer_button.isEnabled()
    _picture(qtbot, shoot, window, "tutor-before-reveal")

    # Space in the transcript: the first step as a hint, its kind and first sentence.
    _press_in_transcript(qtbot, window, Qt.Key.Key_Space)
    step = _page(qtbot, window)[0]["steps"][0]
    first = DEMO_TRACE.split("<|continue|>")[0]
    assert step["level"] == "hint" and step["shown"] and step["label"] == "Step 1"
    assert step["hint"].startswith("We need the sum of the roots of")
    assert first_sentence(first).endswith("= 0$.")
    # → shows it whole; then hint and whole for step 2; the reflect step's hint says what it is.
    _press_in_transcript(qtbot, window, Qt.Key.Key_Right)
    for _ in range(3):
        window.tutor_bar.next_button.click()
    turn = _page(qtbot, window)[0]
    levels = [step["level"] for step in turn["steps"]]
    assert levels == ["shown", "shown", "hint", "hidden", "hidden"]
    assert turn["steps"][2]["label"] == "Step 3 · Satori checks its work"
    _picture(qtbot, shoot, window, "tutor-hint")
    assert "2 of 5 steps shown" in turn["status"] and window.tutor_bar.status_label.text() == "2 of 5 steps"
    # Copying the half-revealed solution is not offered (it would reveal it), nor the Edit menu's answer.
    assert window.transcript.copier.choices(CopyRequest(kind="solution", turn=0)) == []
    window.copy_answer_action.trigger()
    assert "tutor mode" in window.statusBar().currentMessage()
    window.tutor_bar.next_button.click()
    turn = _page(qtbot, window)[0]
    assert turn["steps"][2] == {"level": "shown", "shown": True, "note": "Here Satori checked its own work."}
    _picture(qtbot, shoot, window, "tutor-during-reveal")

    # The answer before the last steps: only after saying yes.
    window.tutor_bar.answer_button.click()
    box = window.findChild(QMessageBox, "showAnswerBox")
    assert box is not None and "2 steps are still hidden" in box.text()
    box.button(QMessageBox.StandardButton.No).click()
    assert not _page(qtbot, window)[0]["answer_shown"]
    window.tutor_bar.answer_button.click()
    box = window.findChild(QMessageBox, "showAnswerBox")
    assert box is not None
    box.button(QMessageBox.StandardButton.Yes).click()
    qtbot.waitUntil(lambda: _page(qtbot, window)[0]["answer_shown"], timeout=5000)
    # The rest, then nothing more to reveal.
    while window.tutor.next_step():
        pass
    turn = _page(qtbot, window)[0]
    assert all(step["level"] == "shown" for step in turn["steps"]) and turn["status"] == ""
    assert turn["steps"][3]["note"] == "Here Satori found a flaw and changed its approach."
    assert window.tutor.turn_tutoring(0) is not None
    assert not window.tutor_bar.next_button.isEnabled()
    assert not any(shortcut.isEnabled() for shortcut in window.tutor._reveal_shortcuts)
    _picture(qtbot, shoot, window, "tutor-after-reveal")

    # What was revealed is in the history, with the conversation's tutor mode.
    store = window.history.store
    assert store is not None and store.flush(10) and window.history.conversation_id is not None
    stored = store.get_conversation(window.history.conversation_id)
    assert stored is not None and stored.tutor_mode
    record = stored.turns[0].tutoring
    assert record is not None and record.tutored and record.answer_shown and record.revealed == (2,) * 5


def test_checks_say_match_no_match_or_why_not_with_both_answers_typeset(
    qtbot: QtBot, make_window: MakeWindow, shoot: Callable[..., Path]
) -> None:
    window = make_window()
    assert not window.tutor_bar.check_button.isEnabled()  # nothing to compare with yet
    _answer(qtbot, window, QUESTION)
    match = _check(qtbot, window, "5")
    assert match["verdict"] == "match" and match["text"] == "Your answer matches Satori's answer."
    assert match["typeset"] == 2  # the student's answer and Satori's
    mismatch = _check(qtbot, window, "\\frac{11}{2}")
    assert mismatch["verdict"] == "mismatch" and mismatch["typeset"] == 2
    unknown = _check(qtbot, window, ")))")
    assert unknown["verdict"] == "unknown" and unknown["text"].startswith("Could not read your answer")
    _picture(qtbot, shoot, window, "check-results")
    store = window.history.store
    assert store is not None and store.flush(10)
    assert window.history.conversation_id is not None
    stored = store.get_conversation(window.history.conversation_id)
    assert stored is not None and stored.turns[0].tutoring is not None
    assert [c.match for c in stored.turns[0].tutoring.checks] == [True, False, None]


def test_in_tutor_mode_a_check_keeps_satoris_answer_hidden_until_it_is_shown(
    qtbot: QtBot, make_window: MakeWindow
) -> None:
    window = make_window()
    window.tutor_action.trigger()
    _answer(qtbot, window, QUESTION)
    card = _check(qtbot, window, "x = 5")
    assert card["verdict"] == "match" and card["typeset"] == 1  # only the student's answer
    assert not _page(qtbot, window)[0]["answer_shown"]


def test_the_window_keeps_running_while_a_slow_check_is_stopped_at_its_deadline(
    qtbot: QtBot, make_window: MakeWindow
) -> None:
    # An answer sympy needs many seconds to compare with (tests/support/answers.py says why), then 5.
    slow_trace = f"The integral is what it is.<|continue|>\nSo it is $\\boxed{{{SLOW.reference}}}$."
    window = make_window([slow_trace, DEMO_TRACE])
    _answer(qtbot, window, "Integrate $x^{999} e^x$ from 0 to 1.")
    ticks: list[int] = []
    timer = QTimer()
    timer.setInterval(20)
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start()
    window.tutor_bar.answer_edit.setText(SLOW.student)
    window.tutor_bar.check_button.click()
    assert window.tutor.is_checking and window.tutor_bar.check_button.text() == "Checking…"
    qtbot.waitUntil(lambda: not window.tutor.is_checking, timeout=30_000)
    timer.stop()
    # The deadline is the checker's own (3 s): the event loop ran all along, dozens of ticks.
    assert len(ticks) >= 50
    result = window.tutor.last_result
    assert result is not None and result.match is None and "took longer than" in result.reason
    assert _page(qtbot, window)[0]["checks"][-1]["verdict"] == "unknown"
    # The next check gets a fresh worker and a real answer.
    _answer(qtbot, window, QUESTION)
    assert _check(qtbot, window, "5")["verdict"] == "match"


def test_explain_this_step_asks_a_follow_up_quoting_it_in_the_same_conversation(
    qtbot: QtBot, make_window: MakeWindow
) -> None:
    window = make_window()
    first = _answer(qtbot, window, QUESTION)
    assert window.transcript.step_actions is not None
    [action] = window.transcript.step_actions(CopyRequest(kind="step", turn=0, step=1))
    assert action.objectName() == "explain-step" and action.isEnabled()
    with qtbot.waitSignal(window._worker.generation_finished, timeout=20_000) as finished:
        action.trigger()
    qtbot.waitUntil(window.transcript.is_idle, timeout=20_000)
    follow_up: TurnSummary = finished.args[0]
    question = window.conversation.turns[-1].question
    assert question.startswith("> Here $a = 1$ and $b = -5$") and "Explain step 2" in question
    # The conversation's prompt so far was already evaluated: the engine went on from it.
    assert follow_up.reused_prompt_tokens is not None and follow_up.reused_prompt_tokens > 0
    assert first.prompt_tokens is not None and follow_up.reused_prompt_tokens >= first.prompt_tokens
    page = _page(qtbot, window)
    assert len(page) == 2 and not page[1]["tutored"]


def test_a_tutored_conversation_reopens_as_far_as_it_was_revealed(
    qtbot: QtBot, make_window: MakeWindow
) -> None:
    first = make_window()
    first.tutor_action.trigger()
    _answer(qtbot, first, QUESTION)
    first.tutor.next_step()
    first.tutor.next_step()
    first.tutor.next_step()
    _check(qtbot, first, "6")
    first.close()

    second = make_window()  # a restart: the same home
    [conversation_id] = second.sidebar.shown_ids()
    second.open_conversation(conversation_id)
    turn = _page(qtbot, second)[0]
    levels = [s["level"] for s in turn["steps"]]
    assert turn["tutored"] and levels == ["shown", "hint", "hidden", "hidden", "hidden"]
    assert [c["verdict"] for c in turn["checks"]] == ["mismatch"] and not turn["answer_shown"]
    assert second.tutor.tutoring and second.tutor_bar.tutor_box.isChecked()
    # And it goes on from there; turning tutor mode off shows everything.
    second.tutor.next_step()
    assert [s["level"] for s in _page(qtbot, second)[0]["steps"]][:2] == ["shown", "shown"]
    second.tutor_bar.tutor_box.click()
    turn = _page(qtbot, second)[0]
    assert all(s["level"] == "shown" for s in turn["steps"]) and turn["answer_shown"]
    assert not turn["tutored"]
    QApplication.processEvents()


def test_an_answer_key_replaces_satoris_answer_for_checks_and_is_kept(
    qtbot: QtBot, make_window: MakeWindow
) -> None:
    window = make_window()
    _answer(qtbot, window, QUESTION)
    # A teacher's key (the demo's 5 is wrong for this made-up key): through the bar's dialog.
    window.tutor_bar.key_button.click()
    dialog = window.findChild(QInputDialog, "answerKeyDialog")
    assert dialog is not None
    dialog.setTextValue("\\frac{12}{2}")
    dialog.accept()
    assert window.tutor_bar.key_button.text() == "Key ✓"
    card = _check(qtbot, window, "6")
    assert card["verdict"] == "match" and card["text"] == "Your answer matches the answer key."
    assert card["typeset"] == 2
    assert _check(qtbot, window, "5")["text"] == "Your answer does not match the answer key."
    # Cleared: Satori's answer again.
    assert window.tutor.set_answer_key("")
    assert _check(qtbot, window, "5")["verdict"] == "match"
    store = window.history.store
    assert store is not None and store.flush(10) and window.history.conversation_id is not None
    stored = store.get_conversation(window.history.conversation_id)
    assert stored is not None and stored.turns[0].tutoring is not None
    assert stored.turns[0].tutoring.answer_key is None
    assert [c.match for c in stored.turns[0].tutoring.checks] == [True, False, True]
