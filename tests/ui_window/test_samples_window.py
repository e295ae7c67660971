"""Solve several times in the window: k solutions stream side by side into one card, their answers are
grouped by the real answer checker (equivalent answers agree: 10/2 is 5), the turn shows one of the
majority in full, each solution opens whole, and the history keeps them all.

Real parts: the window offscreen with the scripted engine's batch (three traces cycled over the jobs),
the real transcript page, a real SQLite history, math-verify in its worker process.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from satori_desktop.engine.scripted import DEMO_TRACE
from satori_desktop.ui.main_window import MainWindow
from tests.ui_transcript.conftest import run_js

MakeWindow = Callable[..., MainWindow]
QUESTION = "What is the sum of the roots of $x^2-5x+6=0$?"
WRONG = DEMO_TRACE.replace("\\boxed{5}", "\\boxed{6}")
SAME = DEMO_TRACE.replace("\\boxed{5}", "\\boxed{\\frac{10}{2}}")

CARD_JS = """
(() => [...document.querySelectorAll('#transcript > .turn')].map((turn) => {
  const card = turn.querySelector('.samples-card');
  const answer = turn.querySelector('.answer-card .answer-math [data-tex]');
  return {
    head: card ? card.querySelector('.samples-head-text').textContent : null,
    consensus: card ? card.querySelector('.samples-consensus').dataset.tex : null,
    rows: card ? [...card.querySelectorAll('.sample-row')].map((row) => ({
      label: row.querySelector('.sample-label').textContent,
      answer: row.querySelector('.sample-answer').dataset.tex,
      agree: row.classList.contains('is-agreeing'),
      state: row.dataset.state,
      typeset: row.querySelectorAll('.katex').length,
    })) : [],
    answer: answer ? answer.getAttribute('data-tex') : null,
    steps: turn.querySelectorAll('section.step').length,
  };
}))()
"""


@pytest.fixture
def make_window(scripted_window: MakeWindow) -> MakeWindow:
    """Windows whose scripted engine answers 5, 6 and 10/2 in turn."""
    return lambda rate=None: scripted_window([DEMO_TRACE, WRONG, SAME], rate)


def _cards(qtbot: QtBot, window: MainWindow) -> list[dict[str, Any]]:
    qtbot.waitUntil(window.transcript.is_idle, timeout=10_000)
    cards: list[dict[str, Any]] = run_js(qtbot, window.transcript, CARD_JS)
    return cards


def _solve(qtbot: QtBot, window: MainWindow, count: int) -> None:
    window.solve_several_times(QUESTION, count)
    assert window.is_busy
    qtbot.waitUntil(lambda: not window.is_busy, timeout=60_000)


def test_eight_solutions_stream_together_and_the_majority_is_shown(
    qtbot: QtBot, make_window: MakeWindow, shoot: Callable[..., Path]
) -> None:
    window = make_window(rate=400.0)
    window.solve_several_times(QUESTION, 8)
    # While they stream: one card, eight rows, all writing at once.
    qtbot.waitUntil(
        lambda: any(r["state"] == "streaming" for r in _cards(qtbot, window)[0]["rows"]), timeout=10_000
    )
    streaming = _cards(qtbot, window)[0]
    assert len(streaming["rows"]) == 8 and streaming["head"].startswith("Solving 8 times")
    qtbot.wait(300)
    shoot(window, "samples-streaming")
    qtbot.waitUntil(lambda: not window.is_busy, timeout=60_000)
    [card] = _cards(qtbot, window)
    # Answers 5, 6, 10/2 cycled over 8 solutions: 5 and 10/2 are one answer, so 5 of 8 agree on 5.
    assert card["head"] == "5 of 8 solutions agree:" and card["consensus"] == "5"
    assert [r["answer"] for r in card["rows"]] == ["5", "6", "\\frac{10}{2}"] * 2 + ["5", "6"]
    assert [r["agree"] for r in card["rows"]] == [True, False, True, True, False, True, True, False]
    assert all(r["typeset"] == 1 and r["state"] == "done" for r in card["rows"])
    # The turn shows the first solution of the majority in full, and continues from it.
    assert card["answer"] == "5" and card["steps"] == 5
    assert window.conversation.turns[-1].answer == DEMO_TRACE
    run_js(qtbot, window.transcript, "window.scrollTo(0, 0) || true")  # the card, at the top of the turn
    qtbot.wait(300)
    shoot(window, "samples-finished")

    # Every solution opens whole; the history keeps them all.
    dialog = window.samples.open_sample(0, 1)
    assert dialog is not None and dialog.windowTitle() == "Solution 2 of 8"
    qtbot.waitUntil(dialog.transcript.is_idle, timeout=10_000)
    shown = run_js(qtbot, dialog.transcript, "document.querySelector('.answer-card [data-tex]').dataset.tex")
    assert shown == "6"
    dialog.close()
    store = window.history.store
    assert store is not None and store.flush(10) and window.history.conversation_id is not None
    stored = store.get_conversation(window.history.conversation_id)
    assert stored is not None and stored.turns[0].samples is not None
    record = stored.turns[0].samples
    assert record.agreeing == 5 and record.chosen == 0 and len(record.samples) == 8
    assert stored.turns[0].output == DEMO_TRACE and stored.turns[0].settings["samples"] == 8


def test_a_solved_several_times_turn_reopens_with_its_card(qtbot: QtBot, make_window: MakeWindow) -> None:
    first = make_window()
    _solve(qtbot, first, 3)
    first.close()
    second = make_window()
    [conversation_id] = second.sidebar.shown_ids()
    second.open_conversation(conversation_id)
    [card] = _cards(qtbot, second)
    assert card["head"] == "2 of 3 solutions agree:" and card["consensus"] == "5"
    assert [r["answer"] for r in card["rows"]] == ["5", "6", "\\frac{10}{2}"]
    assert second.samples.open_sample(0, 2) is not None


def test_stop_ends_a_several_times_turn_and_the_window_goes_on(qtbot: QtBot, make_window: MakeWindow) -> None:
    window = make_window(rate=20.0)
    window.solve_several_times(QUESTION, 4)
    qtbot.waitUntil(
        lambda: any(r["state"] == "streaming" for r in _cards(qtbot, window)[0]["rows"]), timeout=10_000
    )
    window.stop_action.trigger()
    qtbot.waitUntil(lambda: not window.is_busy, timeout=30_000)
    window.composer.set_text("What is 2 + 2?")
    assert window.composer.send_button.isEnabled() and window.composer.samples_button.isEnabled()
