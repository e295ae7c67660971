"""Another reasoning model in the window, end to end: a tiny <think> GGUF with its own chat template, the
real engine scripted by a grammar, the thought folded as "Thinking" and the answer typeset, also when the
conversation is opened again from the history."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import shiboken6
from pytestqt.qtbot import QtBot

from satori_desktop.core.settings import Settings
from satori_desktop.engine.types import GenerationRequest
from satori_desktop.ui.app import llama_engine_factory
from satori_desktop.ui.engine_worker import EngineWorker
from satori_desktop.ui.main_window import MainWindow
from tests.engine.test_other_models import THINK_TEMPLATE
from tests.support.tiny_gguf import IM_END, script_grammar, write_tiny_gguf
from tests.ui_transcript.conftest import dom_state

SCRIPT = f"Add the two: $1+1=2$.\n\nThat is right.</think>So the sum is $\\boxed{{2}}$.{IM_END}"


@pytest.fixture(scope="module")
def think_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_gguf(
        tmp_path_factory.mktemp("models") / "tiny-qwq.gguf",
        coat_tokens=False,
        extra_pieces=["<think>", "</think>"],
        chat_template=THINK_TEMPLATE,
        name="tiny-qwq-preview",
    )


@pytest.fixture
def window(qtbot: QtBot, think_model: Path) -> Iterator[MainWindow]:
    worker = EngineWorker(llama_engine_factory)
    made = MainWindow(
        worker,
        Settings(max_new_tokens=200),
        model_path=think_model,
        generation_defaults=GenerationRequest(prompt="", grammar=script_grammar(SCRIPT)),
    )
    qtbot.addWidget(made)
    made.resize(1100, 760)
    made.show()
    qtbot.waitUntil(lambda: made.is_ready and made.history.store is not None, timeout=60_000)
    yield made
    made.close()
    assert worker.shutdown(timeout_ms=30_000)
    shiboken6.delete(made)


def test_a_think_model_shows_its_thought_folded_and_its_answer(
    qtbot: QtBot, window: MainWindow, shoot: Callable[..., Path]
) -> None:
    assert window.model_label.text() == "tiny-qwq.gguf · <think> reasoning"
    window.ask("What is 1 + 1?")
    with qtbot.waitSignal(window._worker.generation_finished, timeout=60_000) as finished:
        pass
    result = finished.args[0]
    assert result.finish_reason == "stop", result
    qtbot.waitUntil(window.transcript.is_idle, timeout=10_000)
    state = dom_state(qtbot, window.transcript)
    assert [(s["action"], s["fold"]) for s in state["steps"]] == [("think", True), ("continue", False)]
    assert "Thinking" in (state["steps"][0]["label"] or "")
    assert state["answer_tex"] == "2" and state["math_errors"] == 0 and state["katex"] >= 2
    assert "</think>" not in state["text"]
    qtbot.wait(300)
    shoot(window, "think-window")

    # Opened again from the history: the same two sections, read from the stored raw output.
    conversation_id = window.history.conversation_id
    assert conversation_id is not None
    window.new_conversation()
    qtbot.waitUntil(lambda: window.history.store is not None, timeout=10_000)
    window.open_conversation(conversation_id)
    qtbot.waitUntil(window.transcript.is_idle, timeout=10_000)
    again = dom_state(qtbot, window.transcript)
    assert [s["action"] for s in again["steps"]] == ["think", "continue"]
    assert again["answer_tex"] == "2"


def test_a_marco_model_shows_its_thought_folded_and_its_output(
    qtbot: QtBot, tmp_path: Path, shoot: Callable[..., Path]
) -> None:
    from tests.engine.test_other_models import CHATML_TEMPLATE

    model = write_tiny_gguf(
        tmp_path / "marco-o1-tiny.gguf",
        coat_tokens=False,
        extra_pieces=["<Thought>", "</Thought>", "<Output>", "</Output>"],
        chat_template=CHATML_TEMPLATE,
        name="Marco-o1-tiny",
    )
    script = (
        "<Thought>Two apples and two more: $2+2=4$.\n\nCounting again gives four.</Thought>"
        f"<Output>There are $\\boxed{{4}}$ apples.</Output>{IM_END}"
    )
    worker = EngineWorker(llama_engine_factory)
    window = MainWindow(
        worker,
        Settings(max_new_tokens=200),
        model_path=model,
        generation_defaults=GenerationRequest(prompt="", grammar=script_grammar(script)),
    )
    qtbot.addWidget(window)
    window.resize(1100, 760)
    window.show()
    try:
        qtbot.waitUntil(lambda: window.is_ready, timeout=60_000)
        assert window.model_label.text() == "marco-o1-tiny.gguf · Marco-o1 thought and output"
        window.ask("How many apples?")
        with qtbot.waitSignal(window._worker.generation_finished, timeout=60_000) as finished:
            pass
        assert finished.args[0].finish_reason == "stop"
        qtbot.waitUntil(window.transcript.is_idle, timeout=10_000)
        state = dom_state(qtbot, window.transcript)
        assert [(s["action"], s["fold"]) for s in state["steps"]] == [("think", True), ("continue", False)]
        assert state["answer_tex"] == "4" and state["math_errors"] == 0
        assert "<Output>" not in state["text"] and "<Thought>" not in state["text"]
        qtbot.wait(300)
        shoot(window, "marco-window")
    finally:
        window.close()
        assert worker.shutdown(timeout_ms=30_000)
        shiboken6.delete(window)
