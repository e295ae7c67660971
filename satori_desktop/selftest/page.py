"""The self-test's page steps: the real transcript view shows the streamed answer, and the page says what
it shows.

The view is the app's own `TranscriptView` (its `satori:` scheme, request guard, feed and page scripts),
fed with the `StreamUpdate`s the engine step produced, one frame at a time as the window feeds it. Where
Linux has no screen (no DISPLAY or WAYLAND_DISPLAY) Qt runs on its offscreen platform; elsewhere on the
real one, with the window kept off the screen. Chromium's sandbox cannot start as root (containers, CI),
so only there it is turned off. Every wait has a deadline, so a page that never answers fails its step
instead of hanging the self-test.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from satori_desktop.engine.streaming import StreamUpdate, TurnSummary

if TYPE_CHECKING:  # Qt is imported once the environment is prepared for it
    from satori_desktop.ui.transcript import TranscriptView

# How long the page may take to load, and to apply the whole answer (a cold Chromium start on a slow
# laptop takes a few seconds; nothing legitimate takes a minute).
PAGE_TIMEOUT_S = 60.0
JS_TIMEOUT_S = 10.0

# What the page shows, asked of the page itself. Sections are folded at the end of a turn; each one's
# header is clicked twice to see it open and close again, which leaves it as it was.
PAGE_STATE_JS = r"""
(() => {
  const root = document.getElementById('transcript');
  const turn = [...document.querySelectorAll('.turn')].pop();
  const steps = turn ? [...turn.querySelectorAll('.step')] : [];
  const toggles = (step) => {
    const head = step.querySelector(':scope > .fold-head');
    if (!head) return false;
    const before = step.classList.contains('is-open');
    head.click();
    const flipped = step.classList.contains('is-open') !== before;
    head.click();
    return flipped && step.classList.contains('is-open') === before;
  };
  const card = turn ? turn.querySelector('.answer-card') : null;
  const annotation = card ? card.querySelector('annotation') : null;
  return JSON.stringify({
    turns: document.querySelectorAll('.turn').length,
    steps: steps.map((step) => ({
      action: (step.className.match(/\bstep-(\w+)/) || [])[1] || null,
      collapsible: step.classList.contains('fold'),
      toggles: step.classList.contains('fold') ? toggles(step) : false,
    })),
    formulas: root.querySelectorAll('span.math').length,
    typeset: root.querySelectorAll('span.math.typeset').length,
    katex: root.querySelectorAll('.katex').length,
    katex_errors: root.querySelectorAll('.katex-error, .math-error').length,
    answer_cards: root.querySelectorAll('.answer-card').length,
    answer_katex: card ? card.querySelectorAll('.katex').length : 0,
    answer_tex: annotation ? annotation.textContent : null,
    katex_version: window.katex ? window.katex.version : null,
  });
})()
"""


class PageError(Exception):
    """A page step failed; the message is the clause the failure sentence gives."""


def headless() -> bool:
    return sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    )


def prepare_qt_environment() -> None:
    """Before Qt starts: the offscreen platform with no screen, no Chromium sandbox as root."""
    if headless():
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        flags = os.environ.get("QTWEBENGINE_CHROMIUM_FLAGS", "")
        if "--no-sandbox" not in flags.split():
            os.environ["QTWEBENGINE_CHROMIUM_FLAGS"] = (flags + " --no-sandbox").strip()


class PageSession:
    """The QApplication and one transcript view, from `open()` to `close()` (call it in any case)."""

    def __init__(self) -> None:
        self.facts: dict[str, Any] = {}  # versions and the platform, for the report
        self._view: TranscriptView | None = None
        self._page_answered = False  # the view's page_ready: the page loaded, with its scripts or without
        self._load_failed = False
        self._renderer_gone: str | None = None

    def open(self) -> str:
        prepare_qt_environment()
        import PySide6
        from PySide6 import QtWebEngineCore
        from PySide6.QtCore import Qt, qVersion

        self.facts.update(pyside6=PySide6.__version__, qt=qVersion())
        self.facts.update(
            webengine=QtWebEngineCore.qWebEngineVersion(),
            chromium=QtWebEngineCore.qWebEngineChromiumVersion(),
        )
        from PySide6.QtWebEngineWidgets import QWebEngineView  # noqa: F401  (before the QApplication)
        from PySide6.QtWidgets import QApplication

        from satori_desktop.ui.app import route_qt_messages_to_log
        from satori_desktop.ui.transcript import TranscriptView, missing_assets, register_app_scheme

        register_app_scheme()
        route_qt_messages_to_log()
        existing = QApplication.instance()
        app = existing if isinstance(existing, QApplication) else QApplication([sys.argv[0]])
        self.facts["platform"] = app.platformName()

        view = TranscriptView()
        self._view = view
        view.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen, True)  # drawn, but never on the screen
        view.resize(900, 1000)
        view.page_ready.connect(self._on_page_ready)
        view.loadFinished.connect(self._on_load_finished)
        view.page().renderProcessTerminated.connect(self._on_renderer_terminated)
        view.show()
        if not self._wait(lambda: self._page_answered or self._load_failed, PAGE_TIMEOUT_S):
            raise PageError(f"the transcript page did not load within {PAGE_TIMEOUT_S:.0f} s")
        if self._load_failed:
            raise PageError("the transcript page did not load (the log file says why)")
        if not (view.is_page_ready and view.katex_available):  # the page without KaTeX, or only a notice
            missing = missing_assets()
            named = ", ".join(missing[:3]) + (f" and {len(missing) - 3} more" if len(missing) > 3 else "")
            lacks = f"this install lacks {named}" if missing else "its scripts did not start"
            raise PageError(
                f"the transcript page cannot typeset math because {lacks}; reinstall Satori Desktop "
                "(in a source folder: run `python packaging/fetch_web_assets.py`)"
            )
        version = self.run_js("window.katex.version")
        self.facts["katex"] = version
        return f"the transcript page loaded with KaTeX {version} on Qt's {app.platformName()} platform"

    def render(self, question: str, updates: Sequence[StreamUpdate], summary: TurnSummary) -> str:
        view = self._opened()
        view.begin_turn(question)
        deadline = time.monotonic() + PAGE_TIMEOUT_S
        frames = 0
        for update in [*updates, None]:
            if update is None:
                view.end_turn(summary)
            else:
                view.apply_events(update.events)
            # One update at a time, as the window gets them while the model writes.
            if not self._wait(view.is_idle, deadline - time.monotonic()):
                raise PageError(f"the transcript page did not show the answer within {PAGE_TIMEOUT_S:.0f} s")
            frames += 1
        return f"the page applied the answer in {frames} updates"

    def inspect(self) -> dict[str, Any]:
        """What the page shows (PAGE_STATE_JS), what it logged as errors and what the guard blocked."""
        from satori_desktop.ui.transcript.web import request_guard

        raw = self.run_js(PAGE_STATE_JS)
        state: dict[str, Any] = json.loads(str(raw))
        state["page_errors"] = list(self._opened().app_page().console_errors)
        state["blocked_requests"] = request_guard().blocked_urls()
        return state

    def run_js(self, expression: str) -> object:
        box: list[object] = []
        self._opened().page().runJavaScript(expression, 0, box.append)
        if not self._wait(lambda: bool(box), JS_TIMEOUT_S):
            raise PageError(f"the transcript page did not answer within {JS_TIMEOUT_S:.0f} s")
        return box[0]

    def _opened(self) -> TranscriptView:
        if self._view is None:
            raise RuntimeError("the page is not open")
        return self._view

    def close(self) -> None:
        view, self._view = self._view, None
        if view is None:
            return
        from PySide6.QtCore import QCoreApplication, QEvent

        view.close()
        view.deleteLater()
        # Deleted now: a page still alive when the application ends makes Qt complain.
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)

    def _wait(self, predicate: Callable[[], bool], timeout_s: float) -> bool:
        """Run Qt's event loop until `predicate()` holds (True) or the time is up or the page's renderer
        process is gone (raises)."""
        from PySide6.QtCore import QEventLoop, QTimer

        deadline = time.monotonic() + max(0.0, timeout_s)

        def done() -> bool:
            return predicate() or self._renderer_gone is not None or time.monotonic() > deadline

        if not done():
            loop = QEventLoop()
            timer = QTimer()
            timer.setInterval(10)
            timer.timeout.connect(lambda: loop.quit() if done() else None)
            timer.start()
            loop.exec()
            timer.stop()
        if self._renderer_gone is not None:
            raise PageError(f"the page's renderer process stopped ({self._renderer_gone})")
        return predicate()

    def _on_page_ready(self) -> None:
        self._page_answered = True

    def _on_load_finished(self, ok: bool) -> None:
        if not ok and self._view is not None and not self._view.is_page_ready:
            self._load_failed = True

    def _on_renderer_terminated(self, status: Any, exit_code: int) -> None:
        name = getattr(status, "name", str(status))
        self._renderer_gone = f"{name}, exit code {exit_code}"
