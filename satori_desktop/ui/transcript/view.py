"""`TranscriptView`: the conversation as a web page, fed with COAT events while the model streams.

The window calls `begin_turn(question)`, then `apply_events(events)` as often as batches arrive, then
`end_turn(summary)`. Events are only queued here; a frame timer turns what arrived into page ops
(`TranscriptFeed`) and sends them in one `runJavaScript` call, at most one per `FRAME_MS` and never while the
page is still busy with the previous one, so a fast model cannot flood the page: text piles up in Python
and goes over in the next batch instead.
"""

from __future__ import annotations

import json
import logging
import weakref
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import shiboken6
from PySide6.QtCore import QPoint, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QAction, QColor, QContextMenuEvent, QGuiApplication
from PySide6.QtWebChannel import QWebChannel
from PySide6.QtWebEngineCore import QWebEnginePage
from PySide6.QtWebEngineWidgets import QWebEngineView
from PySide6.QtWidgets import QMenu, QWidget

from satori_desktop.core.coat import TranscriptEvent
from satori_desktop.core.model_format import parser_for_output
from satori_desktop.engine.streaming import TurnSummary
from satori_desktop.ui.i18n.page import page_language, page_strings
from satori_desktop.ui.theme import PAGE_BACKGROUND, check_theme, page_theme
from satori_desktop.ui.transcript.bridge import BRIDGE_NAME, ClipboardBridge, channel_script
from satori_desktop.ui.transcript.copy_menu import CopyOutcome, CopyRequest, TranscriptCopier, TranscriptTexts
from satori_desktop.ui.transcript.feed import TranscriptFeed
from satori_desktop.ui.transcript.web import TRANSCRIPT_URL, AppPage

if TYPE_CHECKING:  # the history's modules are imported where the store is opened, off the GUI thread
    from satori_desktop.history import Turn

log = logging.getLogger(__name__)

FRAME_MS = 33


def restricted_context_menu(view: QWebEngineView, event: QContextMenuEvent) -> None:
    """Copy and Select all only: no Back, Reload, View source or Inspect on the app's pages."""
    menu = QMenu(view)
    for action in (QWebEnginePage.WebAction.Copy, QWebEnginePage.WebAction.SelectAll):
        menu.addAction(view.pageAction(action))
    menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
    menu.popup(event.globalPos())


def _weakly(method: Callable[..., None]) -> Callable[..., None]:
    """`method` of a view, called only while the view lives: what the view hands its helpers must not
    keep it alive in a reference cycle (its wrapper would outlive the C++ object a test deleted)."""
    ref = weakref.WeakMethod(method)

    def call(*args: Any) -> None:
        target = ref()
        if target is not None:
            target(*args)

    return call


class TranscriptView(QWebEngineView):
    """The transcript page. Signals: `page_ready()` once the page can take updates, `page_updated(int)`
    after each batch the page applied (the number of ops in it)."""

    page_ready = Signal()
    page_updated = Signal(int)
    # A row of a "solve several times" card was clicked: (turn position, solution index).
    sample_requested = Signal(int, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._page = AppPage(self)
        self.setPage(self._page)
        # What each turn's model text is, for copying it (the page only has its HTML), and the copying.
        self._texts = TranscriptTexts()
        self.copier = TranscriptCopier(self._texts, _weakly(self._show_copy_notice))
        self._copy_menu: QMenu | None = None
        # Entries the window adds to the menu of a step ("Explain this step"), before Copy and Select all.
        self.step_actions: Callable[[CopyRequest], list[QAction]] | None = None
        # The page's only way to Python: the clipboard and the copy menu (bridge.py says why this way).
        script = channel_script()
        if script is not None:
            self._page.scripts().insert(script)
            self._bridge = ClipboardBridge(
                self, _weakly(self._on_bridge_menu_requested), _weakly(self._on_bridge_sample_requested)
            )
            self._channel = QWebChannel(self._page)
            self._channel.registerObject(BRIDGE_NAME, self._bridge)
            self._page.setWebChannel(self._channel)
        self._feed = TranscriptFeed()
        strings = page_strings()  # the page's words in the window's language, before anything else
        if strings:
            self._feed.set_strings(page_language(), strings)
        self._ready = False
        self._in_flight = False
        self.katex_available = False
        self._theme = "light"  # the setting: "light", "dark" or "system"
        self._follows_system = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(FRAME_MS)
        self._timer.timeout.connect(self._flush)
        self._page.loadFinished.connect(self._on_page_load_finished)
        self.setUrl(QUrl(TRANSCRIPT_URL))

    # ----- the API of the window -----

    def begin_turn(self, question: str, *, tutored: bool = False) -> None:
        """Start a new turn showing the user's question; earlier turns stay above it. A `tutored` turn
        keeps its steps and answer hidden until `reveal_step` / `reveal_answer` show them."""
        self._feed.begin_turn(question, tutored=tutored)
        self._texts.begin_turn(question)
        self._schedule()

    def apply_events(self, events: Iterable[TranscriptEvent]) -> None:
        """Queue transcript events (`core.coat`); shown at the next frame."""
        events = tuple(events)
        self._texts.add_events(events)
        self._feed.add_events(events)
        self._schedule()

    def show_stored_turn(self, turn: Turn, *, tutored: bool = False) -> None:
        """A turn from the history, rendered from its raw output as it was streamed (the same parser and
        renderer), with its footer as it was recorded (a `tutored` one hidden, for the tutor to reveal
        what had been revealed)."""
        self.begin_turn(turn.question, tutored=tutored)
        parser = parser_for_output(turn.output)  # Satori's steps, or another model's thought and answer
        self.apply_events(parser.feed(turn.output) + parser.finish())
        self.end_turn(turn)

    def end_turn(self, summary: TurnSummary | Turn) -> None:
        """Close the turn; its footer says how it ended (the error sentence of a failed one) and the
        figures (tokens, rate, time)."""
        self._feed.end_turn(summary)
        self._schedule()

    def clear(self) -> None:
        """Remove every turn (a new conversation)."""
        self._feed.clear()
        self._texts.clear()
        self._schedule()

    def set_keep_sections_open(self, keep_open: bool) -> None:
        """When true, reflect/explore sections stay open after they finish (and all open now)."""
        self._feed.keep_sections_open(keep_open)
        self._schedule()

    def set_theme(self, theme: str) -> None:
        """Show the page "light" or "dark"; "system" follows the application's colour scheme now and
        whenever it changes (call `ui.theme.apply_theme` first, so "now" is the scheme just applied)."""
        self._theme = check_theme(theme)
        if theme == "system" and not self._follows_system:
            QGuiApplication.styleHints().colorSchemeChanged.connect(self._on_color_scheme_changed)
            self._follows_system = True
        self._show_theme()

    # ----- tutor mode and answer checks (ui/tutor drives them; feed.py lists the ops) -----

    @property
    def texts(self) -> TranscriptTexts:
        """The model's text of every turn on the page, as it streamed."""
        return self._texts

    def reveal_step(self, turn: int, index: int, *, hint: str | None, label: str, note: str = "") -> None:
        self._feed.reveal_step(turn, index, hint=hint, label=label, note=note)
        self._schedule()

    def reveal_answer(self, turn: int) -> None:
        self._feed.reveal_answer(turn)
        self._schedule()

    def show_tutor_status(self, turn: int, text: str) -> None:
        self._feed.tutor_status(turn, text)
        self._schedule()

    def untutor(self, turn: int) -> None:
        self._feed.untutor(turn)
        self._schedule()

    def show_samples(self, turn: int, *, head: str, consensus_tex: str, rows: list[dict[str, Any]]) -> None:
        self._feed.samples(turn, head=head, consensus_tex=consensus_tex, rows=rows)
        self._schedule()

    def add_check(
        self,
        turn: int,
        *,
        verdict: str,
        text: str,
        student: tuple[str, str],
        reference: tuple[str, str] | None,
    ) -> None:
        self._feed.add_check(turn, verdict=verdict, text=text, student=student, reference=reference)
        self._schedule()

    def copy_solution(self, markdown: bool) -> CopyOutcome:
        """Copy the last solution on the page, as Markdown or for Word (the window's Edit menu); the page
        shows what was copied."""
        return self.copier.copy_solution("solution-markdown" if markdown else "solution-word")

    # ----- for tests and benchmarks -----

    @property
    def is_page_ready(self) -> bool:
        return self._ready

    def is_idle(self) -> bool:
        """True when the page is loaded and has applied everything queued so far."""
        return self._ready and not self._in_flight and not self._feed.has_pending()

    def app_page(self) -> AppPage:
        return self._page

    # ----- internals -----

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        # Only where the page did not ask for the copy menu itself (outside any turn, or no bridge).
        restricted_context_menu(self, event)

    def _on_bridge_menu_requested(self, request: CopyRequest) -> None:
        # One menu at a time; the last one goes when the next opens (not when it closes: a choice runs
        # just after its menu closed, see copy_menu.py).
        if self._copy_menu is not None and shiboken6.isValid(self._copy_menu):
            self._copy_menu.close()
            self._copy_menu.deleteLater()
        selection = [
            self.pageAction(QWebEnginePage.WebAction.Copy),
            self.pageAction(QWebEnginePage.WebAction.SelectAll),
        ]
        extra = self.step_actions(request) if self.step_actions is not None else []
        menu = self.copier.menu(request, self, [*extra, *selection])
        self._copy_menu = menu
        # CSS pixels of the viewport to the view's own pixels, then to the screen.
        zoom = self.zoomFactor()
        x = round(request.x * zoom) - (menu.sizeHint().width() if request.align_right else 0)
        menu.popup(self.mapToGlobal(QPoint(x, round(request.y * zoom))))

    def _on_bridge_sample_requested(self, turn: int, index: int) -> None:
        self.sample_requested.emit(turn, index)

    def _show_copy_notice(self, text: str, ok: bool) -> None:
        if self._ready:
            payload = json.dumps({"text": text, "ok": ok}, ensure_ascii=True)
            self._page.runJavaScript(f"satori.notify({payload})", 0)

    def _show_theme(self) -> None:
        shown = page_theme(self._theme)
        # What the view paints where the page has not yet drawn (before it loads, while it resizes).
        self._page.setBackgroundColor(QColor(PAGE_BACKGROUND[shown]))
        self._feed.set_theme(shown)
        self._schedule()

    def _on_color_scheme_changed(self, _scheme: Qt.ColorScheme) -> None:
        if shiboken6.isValid(self) and self._theme == "system":
            self._show_theme()

    def _schedule(self) -> None:
        if self._ready and not self._in_flight and not self._timer.isActive():
            self._timer.start()

    def _on_page_load_finished(self, ok: bool) -> None:
        if not ok:
            # After the first load this is a refused navigation (a link, a script): the page stays.
            if not self._ready:
                log.error("the transcript page did not load")
            return
        self._page.runJavaScript("window.satori ? satori.status() : 'no-script'", 0, self._on_status)

    def _on_status(self, status: object) -> None:
        if not shiboken6.isValid(self):
            return
        self.katex_available = status == "ok"
        if status != "ok":
            log.error("the transcript page runs without its assets (%s)", status)
        if status == "no-script":
            # The page is the missing-assets notice: nothing to update, but the window can go on.
            self.page_ready.emit()
            return
        self._ready = True
        self.page_ready.emit()
        self._schedule()

    def _flush(self) -> None:
        if not self._ready or self._in_flight:
            return
        ops = self._feed.take_ops()
        if not ops:
            return
        self._in_flight = True
        script = "satori.apply(" + json.dumps(ops, ensure_ascii=True) + ")"
        self._page.runJavaScript(script, 0, self._on_applied)

    def _on_applied(self, result: object) -> None:
        if not shiboken6.isValid(self):
            return
        self._in_flight = False
        self.page_updated.emit(int(result) if isinstance(result, (int, float)) else 0)
        if self._feed.has_pending():
            self._timer.start()
