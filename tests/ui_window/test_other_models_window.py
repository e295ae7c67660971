"""Other reasoning models in the window, end to end: tiny <think> and Marco-o1 GGUFs with their own chat
templates, the real engine scripted by a grammar, the thought folded as "Thinking" and the answer typeset,
also when the conversation is opened again from the history."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import shiboken6
from pytestqt.qtbot import QtBot

from satori_desktop.core.settings import Settings, reasoning_choice
from satori_desktop.engine.types import GenerationRequest
from satori_desktop.ui.app import llama_engine_factory
from satori_desktop.ui.engine_worker import EngineWorker
from satori_desktop.ui.main_window import MainWindow
from tests.support.other_models import write_marco_model, write_think_model
from tests.support.tiny_gguf import IM_END, script_grammar
from tests.ui_transcript.conftest import dom_state
from tests.ui_window.conftest import choose_reasoning_format

MakeWindow = Callable[[Path, str], MainWindow]


@pytest.fixture
def make_window(qtbot: QtBot) -> Iterator[MakeWindow]:
    """`make(model, script)`: a shown, ready window on the real engine, every answer scripted to `script`."""
    made: list[tuple[MainWindow, EngineWorker]] = []

    def make(model: Path, script: str) -> MainWindow:
        worker = EngineWorker(llama_engine_factory)
        window = MainWindow(
            worker,
            Settings(max_new_tokens=200),
            model_path=model,
            generation_defaults=GenerationRequest(prompt="", grammar=script_grammar(script)),
        )
        made.append((window, worker))
        qtbot.addWidget(window)
        window.resize(1100, 760)
        window.show()
        qtbot.waitUntil(lambda: window.is_ready and window.history.store is not None, timeout=60_000)
        return window

    yield make
    for window, worker in made:
        window.close()
        assert worker.shutdown(timeout_ms=30_000)
        shiboken6.delete(window)


def answer(qtbot: QtBot, window: MainWindow, question: str) -> dict[str, object]:
    window.ask(question)
    with qtbot.waitSignal(window._worker.generation_finished, timeout=60_000) as finished:
        pass
    assert finished.args[0].finish_reason == "stop", finished.args[0]
    qtbot.waitUntil(window.transcript.is_idle, timeout=10_000)
    return dom_state(qtbot, window.transcript)


def test_a_think_model_shows_its_thought_folded_and_its_answer(
    qtbot: QtBot, tmp_path: Path, make_window: MakeWindow, shoot: Callable[..., Path]
) -> None:
    script = f"Add the two: $1+1=2$.\n\nThat is right.</think>So the sum is $\\boxed{{2}}$.{IM_END}"
    window = make_window(write_think_model(tmp_path / "tiny-qwq.gguf"), script)
    assert window.model_label.text() == "tiny-qwq.gguf · <think> reasoning"
    state = answer(qtbot, window, "What is 1 + 1?")
    steps = state["steps"]
    assert isinstance(steps, list)
    assert [(s["action"], s["fold"]) for s in steps] == [("think", True), ("continue", False)]
    assert "Thinking" in (steps[0]["label"] or "")
    assert state["answer_tex"] == "2" and state["math_errors"] == 0 and state["katex"] >= 2  # type: ignore[operator]
    assert "</think>" not in str(state["text"])
    qtbot.wait(300)  # the view shows the page's last ops from its next frames
    shoot(window, "think-window")

    # Opened again from the history: the same two sections, read from the stored raw output.
    conversation_id = window.history.conversation_id
    assert conversation_id is not None
    window.new_conversation()
    window.open_conversation(conversation_id)
    qtbot.waitUntil(window.transcript.is_idle, timeout=10_000)
    again = dom_state(qtbot, window.transcript)
    assert [s["action"] for s in again["steps"]] == ["think", "continue"]
    assert again["answer_tex"] == "2"

    # The model's own reasoning format, chosen in the settings: kept for this model file only.
    choose_reasoning_format(window, "plain")
    assert window._prompting.reasoning_format == "plain"
    assert reasoning_choice(window._settings, "tiny-qwq.gguf") == "plain"
    assert reasoning_choice(window._settings, "satori.gguf") == "auto"


def test_a_marco_model_shows_its_thought_folded_and_its_output(
    qtbot: QtBot, tmp_path: Path, make_window: MakeWindow, shoot: Callable[..., Path]
) -> None:
    script = (
        "<Thought>Two apples and two more: $2+2=4$.\n\nCounting again gives four.</Thought>"
        f"<Output>There are $\\boxed{{4}}$ apples.</Output>{IM_END}"
    )
    window = make_window(write_marco_model(tmp_path / "marco-o1-tiny.gguf"), script)
    assert window.model_label.text() == "marco-o1-tiny.gguf · Marco-o1 thought and output"
    state = answer(qtbot, window, "How many apples?")
    steps = state["steps"]
    assert isinstance(steps, list)
    assert [(s["action"], s["fold"]) for s in steps] == [("think", True), ("continue", False)]
    assert state["answer_tex"] == "4" and state["math_errors"] == 0
    assert "<Output>" not in str(state["text"]) and "<Thought>" not in str(state["text"])
    qtbot.wait(300)
    shoot(window, "marco-window")


HINT_JS = """(() => {
  // The text as written: each typeset formula back to its TeX (KaTeX keeps it in an annotation).
  const plain = (node) => {
    const copy = node.cloneNode(true);
    copy.querySelectorAll('.katex').forEach((k) => {
      k.replaceWith((k.querySelector('annotation') || k).textContent);
    });
    const paragraphs = [...copy.querySelectorAll('p')].map((p) => p.textContent.trim());
    return paragraphs.length ? paragraphs.join(' | ') : copy.textContent.trim();
  };
  const step = document.querySelector('.turn:last-child .step-think');
  const hint = step.querySelector('.tutor-hint');
  return {
    hidden: step.classList.contains('tutor-hidden'),
    kind: hint ? hint.querySelector('.tutor-kind').textContent : null,
    text: hint ? plain(hint.querySelector('.tutor-hint-text')) : null,
  };
})()"""


def test_tutor_mode_reveals_a_thought_paragraph_by_paragraph(
    qtbot: QtBot, tmp_path: Path, make_window: MakeWindow, shoot: Callable[..., Path]
) -> None:
    from tests.ui_transcript.conftest import run_js

    script = (
        "First, add the ones: $1+1$. That is the sum.\n\nIt comes to $2$.\n\nNothing else to do."
        f"</think>So the sum is $\\boxed{{2}}$.{IM_END}"
    )
    window = make_window(write_think_model(tmp_path / "tiny-qwq.gguf"), script)
    window.tutor_action.setChecked(True)
    answer(qtbot, window, "What is 1 + 1?")
    assert run_js(qtbot, window.transcript, HINT_JS)["hidden"]

    seen = []
    for _ in range(3):
        assert window.tutor.next_step()
        qtbot.waitUntil(window.transcript.is_idle, timeout=10_000)
        seen.append(run_js(qtbot, window.transcript, HINT_JS))
    assert [(s["kind"], s["text"]) for s in seen] == [
        ("Step 1 · The model thinks it through", "First, add the ones: 1+1."),  # its first sentence
        (
            "Step 1 · The model thinks it through · 1 of 3 paragraphs",
            "First, add the ones: 1+1. That is the sum.",
        ),
        (
            "Step 1 · The model thinks it through · 2 of 3 paragraphs",
            "First, add the ones: 1+1. That is the sum. | It comes to 2.",
        ),
    ]
    qtbot.wait(300)
    shoot(window, "think-tutor-paragraphs")
    assert window.tutor.next_step()  # the thought whole
    qtbot.waitUntil(window.transcript.is_idle, timeout=10_000)
    assert run_js(qtbot, window.transcript, HINT_JS)["kind"] is None
    record = window.tutor.turn_tutoring(0)
    assert record is not None and record.revealed[0] == 2 and record.paragraphs[0] == 2


def test_solve_several_times_with_a_think_model(
    qtbot: QtBot, tmp_path: Path, make_window: MakeWindow
) -> None:
    from tests.ui_transcript.conftest import run_js
    from tests.ui_window.test_samples_window import CARD_JS

    script = f"Add the two: $1+1=2$.</think>So the sum is $\\boxed{{2}}$.{IM_END}"
    window = make_window(write_think_model(tmp_path / "tiny-qwq.gguf"), script)
    window.solve_several_times("What is 1 + 1?", 3)
    qtbot.waitUntil(lambda: not window.is_busy, timeout=60_000)
    qtbot.waitUntil(window.transcript.is_idle, timeout=10_000)
    [card] = run_js(qtbot, window.transcript, CARD_JS)
    assert [row["answer"] for row in card["rows"]] == ["2", "2", "2"]
    assert card["consensus"] == "2"
    state = dom_state(qtbot, window.transcript)  # the majority's solution, shown whole: thought and answer
    assert [s["action"] for s in state["steps"]] == ["think", "continue"]
    assert "</think>" not in str(state["text"])
