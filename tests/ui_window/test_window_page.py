"""What the student sees: the real page inside the real window, checked through its DOM and pictured.

The screenshots (mid-stream and finished) are saved under SATORI_SCREENSHOT_DIR when set (else a temp
dir); the ones in docs/screenshots/ come from here, looked at by a person.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import shiboken6
from pytestqt.qtbot import QtBot

from satori_desktop.core.settings import Settings
from satori_desktop.engine.scripted import DEMO_TRACE, ScriptedEngine
from satori_desktop.ui.engine_worker import EngineWorker
from satori_desktop.ui.main_window import MainWindow
from tests.ui_transcript.conftest import dom_state

QUESTION = "What is the sum of the roots of $x^2 - 5x + 6 = 0$?"


@pytest.fixture
def window(qtbot: QtBot) -> Iterator[MainWindow]:
    engine = ScriptedEngine(tokens_per_second=60)
    worker = EngineWorker(lambda: engine)
    win = MainWindow(worker, Settings(), model_path=Path("demo.gguf"))
    qtbot.addWidget(win)
    win.resize(1000, 860)
    win.show()
    qtbot.waitUntil(lambda: win.is_ready, timeout=30_000)
    yield win
    errors = list(win.transcript.app_page().console_errors)
    win.close()
    worker.shutdown(timeout_ms=10_000)
    # Pages must go before the QApplication (and its web profile) does, or Chromium crashes at exit.
    shiboken6.delete(win)
    qtbot.wait(50)
    assert errors == [], "the page logged JavaScript errors"


def _save(qtbot: QtBot, window: MainWindow, path: Path) -> None:
    qtbot.wait(300)  # the DOM is updated; give the compositor a few frames to paint it
    image = window.grab()
    assert not image.isNull() and image.save(str(path))


def _state(qtbot: QtBot, window: MainWindow) -> dict[str, Any]:
    return dom_state(qtbot, window.transcript)


def test_streaming_then_finished_solution_in_the_window(
    qtbot: QtBot, window: MainWindow, shots: Path
) -> None:
    window.composer.set_text(QUESTION)  # the live preview typesets the problem as typed
    qtbot.waitUntil(lambda: window.preview.isVisible() and window.preview.is_idle(), timeout=10_000)
    window.ask(QUESTION)
    window.composer.set_text("Why is the product $6$?")  # a follow-up being typed while Satori works

    # Mid-stream: the check has folded, the other way is being tried (open), no answer yet.
    def exploring() -> bool:
        steps = _state(qtbot, window)["steps"]
        return len(steps) >= 4 and steps[3]["action"] == "explore"

    qtbot.waitUntil(exploring, timeout=20_000)
    qtbot.wait(400)  # let a few more tokens of the explore step arrive
    mid = _state(qtbot, window)
    assert window.is_busy
    assert [s["action"] for s in mid["steps"][:4]] == ["start", "continue", "reflect", "explore"]
    assert mid["steps"][2]["fold"] and not mid["steps"][2]["open"]  # reflect folded once explore began
    assert mid["steps"][3]["fold"] and mid["steps"][3]["open"]  # the streaming section is open
    assert mid["answer_cards"] == 0 and mid["math_errors"] == 0 and mid["katex_error_nodes"] == 0
    assert window.speed_label.text().startswith("Generating · ")
    _save(qtbot, window, shots / "window-streaming.png")

    with qtbot.waitSignal(window._worker.generation_finished, timeout=20_000):
        pass
    qtbot.waitUntil(window.transcript.is_idle, timeout=10_000)
    done = _state(qtbot, window)
    assert [s["action"] for s in done["steps"]] == ["start", "continue", "reflect", "explore", "continue"]
    folds = [(s["action"], s["fold"], s["open"]) for s in done["steps"] if s["fold"]]
    assert folds == [("reflect", True, False), ("explore", True, False)]
    assert done["answer_tex"] == "5" and done["answer_cards"] == 1 and done["answer_is_last"]
    assert done["katex"] >= 10 and done["display_katex"] >= 2  # inline and display math typeset
    assert done["math_errors"] == 0 and done["katex_error_nodes"] == 0 and done["pending"] == 0
    assert "1" in done["summary"]  # one reflection, one exploration
    assert "Vieta" in done["text"] and "$" not in done["text"].split("Vieta")[0]
    assert window.speed_label.text().startswith("Done · ")
    _save(qtbot, window, shots / "window-finished.png")
    assert window.conversation.turns[0].answer == DEMO_TRACE


def test_keep_sections_open_leaves_checks_unfolded(qtbot: QtBot, window: MainWindow) -> None:
    window.keep_open_action.trigger()
    window.ask("Sum of the roots?")
    with qtbot.waitSignal(window._worker.generation_finished, timeout=20_000):
        pass
    qtbot.waitUntil(window.transcript.is_idle, timeout=10_000)
    steps = _state(qtbot, window)["steps"]
    assert [(s["action"], s["open"]) for s in steps if s["fold"]] == [("reflect", True), ("explore", True)]
