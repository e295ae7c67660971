"""End to end with the real llama.cpp engine: a tiny GGUF written by the test, scripted by a grammar.

Nothing is replaced here: `run_gui`'s engine factory loads the model on the worker thread, the real token
loop streams pieces (the COAT tokens are CONTROL tokens of the model), the worker parses them, and the page
shows the steps and the typeset answer.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import shiboken6
from pytestqt.qtbot import QtBot

from satori_desktop.core.settings import Settings
from satori_desktop.engine.types import GenerationRequest
from satori_desktop.ui.app import READY_LINE, llama_engine_factory
from satori_desktop.ui.engine_worker import EngineWorker
from satori_desktop.ui.main_window import MainWindow
from satori_desktop.ui.transcript.copy_menu import CopyRequest
from tests.support.qt_env import app_env
from tests.support.tiny_gguf import IM_END, script_grammar, write_tiny_gguf
from tests.ui_transcript.conftest import dom_state

SCRIPT = (
    "Step one: $1+1=2$.<|reflect|>Let me check the sum: $2-1=1$, so it is right."
    f"<|continue|>So the answer is $\\boxed{{2}}$.{IM_END}"
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_gguf(tmp_path_factory.mktemp("models") / "tiny-satori.gguf")


@pytest.fixture
def real_window(qtbot: QtBot, tiny_model: Path) -> Iterator[MainWindow]:
    worker = EngineWorker(llama_engine_factory)
    window = MainWindow(
        worker,
        Settings(max_new_tokens=200),
        model_path=tiny_model,
        generation_defaults=GenerationRequest(prompt="", grammar=script_grammar(SCRIPT)),
    )
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.is_ready, timeout=60_000)
    yield window
    window.close()
    assert worker.shutdown(timeout_ms=30_000)
    shiboken6.delete(window)


def test_the_real_engine_streams_a_solution_into_the_window(qtbot: QtBot, real_window: MainWindow) -> None:
    window = real_window
    assert window.model_label.text() == "tiny-satori.gguf"
    assert window.backend_label.text() == "CPU"
    window.ask("What is 1 + 1?")
    with qtbot.waitSignal(window._worker.generation_finished, timeout=60_000) as finished:
        pass
    result = finished.args[0]
    assert result.finish_reason == "stop", result
    assert result.text == SCRIPT.removesuffix(IM_END)
    qtbot.waitUntil(window.transcript.is_idle, timeout=10_000)
    state = dom_state(qtbot, window.transcript)
    assert [(s["action"], s["fold"]) for s in state["steps"]] == [
        ("start", False),
        ("reflect", True),
        ("continue", False),
    ]
    assert state["answer_tex"] == "2" and state["math_errors"] == 0 and state["katex"] >= 3
    assert window.speed_label.text().startswith(f"Done · {result.generated_tokens} tokens")

    # A follow-up continues the same conversation; the engine reuses the evaluated prefix.
    window.ask("Why?")
    with qtbot.waitSignal(window._worker.generation_finished, timeout=60_000) as again:
        pass
    assert again.args[0].reused_prompt_tokens > 0
    assert len(window.conversation.turns) == 2


def test_explain_this_step_goes_on_from_the_conversation_in_the_kv_cache(
    qtbot: QtBot, real_window: MainWindow
) -> None:
    window = real_window
    with qtbot.waitSignal(window._worker.generation_finished, timeout=60_000) as finished:
        window.ask("What is 1 + 1?")
    first = finished.args[0]
    qtbot.waitUntil(window.transcript.is_idle, timeout=10_000)
    assert window.transcript.step_actions is not None
    [explain] = window.transcript.step_actions(CopyRequest(kind="step", turn=0, step=1))
    with qtbot.waitSignal(window._worker.generation_finished, timeout=60_000) as again:
        explain.trigger()
    follow_up = again.args[0]
    assert window.conversation.turns[-1].question.startswith("> Let me check the sum")
    # The whole first turn (its prompt and the answer, re-tokenized the same way) was still evaluated.
    assert follow_up.reused_prompt_tokens > first.prompt_tokens + first.generated_tokens // 2


@pytest.mark.parametrize(
    "extra_args",
    [["--scripted-engine"], ["--model", "/nowhere/missing.gguf"], []],
    ids=["scripted", "missing-model", "no-model-installed"],
)
def test_the_app_starts_as_a_user_starts_it_and_exits_cleanly(tmp_path: Path, extra_args: list[str]) -> None:
    # The way a user starts it, minus the screen: a new process, the real QApplication, the window, the page.
    completed = subprocess.run(
        [sys.executable, "-m", "satori_desktop.ui.app", *extra_args, "--exit-when-ready"],
        cwd=ROOT,
        env=app_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert READY_LINE in completed.stdout.splitlines()
    assert "Traceback" not in completed.stderr
