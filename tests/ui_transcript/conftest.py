"""Fixtures of the transcript page tests: real QtWebEngine, offscreen, no sandbox, no network (the
environment: tests/support/qt_env.py)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.qt_env import ignore_startup_noise, prepare_qt_environment

prepare_qt_environment()  # before pytest-qt creates the QApplication

from satori_desktop.ui.transcript.assets import missing_assets  # noqa: E402

SCREENSHOT_DIR_ENV = "SATORI_SCREENSHOT_DIR"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    ignore_startup_noise(items, Path(__file__).parent)


@pytest.fixture
def require_web_assets() -> None:
    missing = missing_assets()
    if missing:
        pytest.fail(f"web assets missing ({missing}): run `python packaging/fetch_web_assets.py` first")


@pytest.fixture
def transcript_view(qtbot: Any, require_web_assets: None) -> Iterator[Any]:
    from satori_desktop.ui.transcript import TranscriptView

    view = TranscriptView()
    qtbot.addWidget(view)
    view.resize(900, 1000)
    with qtbot.waitSignal(view.page_ready, timeout=20000):
        view.show()
    yield view
    errors = list(view.app_page().console_errors)
    delete_now(view)
    assert errors == [], "the page logged JavaScript errors"


def delete_now(widget: Any) -> None:
    """Delete a web view before the test ends: a page still alive when the web profile goes away at exit
    makes Qt complain."""
    from PySide6.QtCore import QCoreApplication, QEvent

    widget.close()
    widget.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def run_js(qtbot: Any, view: Any, expression: str) -> Any:
    """Evaluate a JavaScript expression in the page and return its value (through JSON, so arrays and
    objects come back as lists and dicts)."""
    with qtbot.waitCallback(timeout=10000) as callback:
        view.page().runJavaScript(f"JSON.stringify(({expression}))", 0, callback)
    result = callback.args[0]
    return None if result in (None, "") else json.loads(result)


DOM_STATE_JS = """
(() => {
  // Steps off screen are skipped by `content-visibility: auto` until a frame draws them, and innerText
  // leaves out what was never laid out; `render-all` (what export uses) lays every step out at once.
  const visibleText = () => {
    const root = document.documentElement;
    const had = root.classList.contains('render-all');
    root.classList.add('render-all');
    const text = document.getElementById('transcript').innerText;
    if (!had) root.classList.remove('render-all');
    return text;
  };
  const turn = [...document.querySelectorAll('.turn')].pop();
  const steps = turn ? [...turn.querySelectorAll('.step')] : [];
  const answerAnnotation = turn && turn.querySelector('.answer-card annotation');
  return JSON.stringify({
    turns: document.querySelectorAll('.turn').length,
    steps: steps.map(s => ({
      action: (s.className.match(/step-(\\w+)/) || [])[1],
      fold: s.classList.contains('fold'),
      open: s.classList.contains('is-open'),
      label: (s.querySelector('.fold-label') || {}).textContent || null,
    })),
    katex: document.querySelectorAll('#transcript .katex').length,
    display_katex: document.querySelectorAll('#transcript .katex-display').length,
    math_errors: document.querySelectorAll('#transcript .math-error').length,
    katex_error_nodes: document.querySelectorAll('#transcript .katex-error').length,
    pending: document.querySelectorAll('#transcript .math-pending').length,
    answer_tex: answerAnnotation ? answerAnnotation.textContent : null,
    answer_cards: document.querySelectorAll('.answer-card').length,
    answer_is_last: !!(turn && turn.querySelector('.answer-card') &&
      turn.querySelector('.answer-card').nextElementSibling === turn.querySelector('.turn-footer')),
    summary: turn ? turn.querySelector('.turn-summary').textContent : null,
    footer: turn ? turn.querySelector('.turn-footer').textContent : null,
    text: visibleText(),
    scripts: document.querySelectorAll('script').length,
    transcript_elements_with_handlers: [...document.querySelectorAll('#transcript *')]
      .filter(e => [...e.attributes].some(a => a.name.startsWith('on'))).length,
    imgs: document.querySelectorAll('#transcript img, #transcript iframe, #transcript a').length,
    details: document.querySelectorAll('#transcript details').length,
  });
})()
"""


def dom_state(qtbot: Any, view: Any) -> dict[str, Any]:
    state: dict[str, Any] = json.loads(run_js(qtbot, view, DOM_STATE_JS))
    return state


@pytest.fixture
def screenshot(qtbot: Any, tmp_path_factory: pytest.TempPathFactory) -> Callable[[Any, str], Path]:
    """Save a picture of a view; SATORI_SCREENSHOT_DIR keeps them somewhere to look at."""
    target = Path(os.environ.get(SCREENSHOT_DIR_ENV) or tmp_path_factory.mktemp("screens"))
    target.mkdir(parents=True, exist_ok=True)

    def take(view: Any, name: str) -> Path:
        # The DOM is up to date; wait until the page has painted it (two animation frames), then give the
        # compositor a moment to hand the frame to the widget. Only pictures depend on this wait.
        run_js(
            qtbot,
            view,
            "(window.__painted = false, requestAnimationFrame(() => "
            "requestAnimationFrame(() => { window.__painted = true; })), 0)",
        )
        qtbot.waitUntil(lambda: run_js(qtbot, view, "window.__painted") is True, timeout=10000)
        qtbot.wait(300)
        path = target / f"{name}.png"
        image = view.grab()
        assert not image.isNull()
        assert image.save(str(path))
        return path

    return take
