"""`ProblemPreview`: the problem as the user types it, with its math typeset by KaTeX.

The composer calls `set_text(text)` on every change; only the latest text is rendered, at most once per
frame, with the same markdown/math rules as the transcript. `content_height_changed(int)` tells the
composer how tall the rendered preview is, so it can size the widget.
"""

from __future__ import annotations

import json
import logging

import shiboken6
from PySide6.QtCore import Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QColor, QContextMenuEvent, QGuiApplication
from PySide6.QtWebEngineWidgets import QWebEngineView
from PySide6.QtWidgets import QWidget

from satori_desktop.core.markup import render_markup
from satori_desktop.ui.i18n.page import strings_op
from satori_desktop.ui.theme import PAGE_BACKGROUND, check_theme, page_theme
from satori_desktop.ui.transcript.view import FRAME_MS, restricted_context_menu
from satori_desktop.ui.transcript.web import PREVIEW_URL, AppPage

log = logging.getLogger(__name__)


class ProblemPreview(QWebEngineView):
    """Live preview of the problem. Signals: `page_ready()`, `content_height_changed(int)` (CSS px)."""

    page_ready = Signal()
    content_height_changed = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._page = AppPage(self)
        self.setPage(self._page)
        self._text: str | None = None  # latest text not yet shown
        self._shown: str | None = None
        self._ready = False
        self._in_flight = False
        self._height = -1
        self._theme: str | None = None  # the setting ("light", "dark", "system"); None: the page's own
        self._follows_system = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(FRAME_MS)
        self._timer.timeout.connect(self._flush)
        self._page.loadFinished.connect(self._on_page_load_finished)
        self.setUrl(QUrl(PREVIEW_URL))

    def set_text(self, text: str) -> None:
        self._text = text
        if self._ready and not self._in_flight and not self._timer.isActive():
            self._timer.start()

    def set_theme(self, theme: str) -> None:
        """Show the preview "light" or "dark"; "system" follows the application's colour scheme, as
        `TranscriptView.set_theme` does."""
        self._theme = check_theme(theme)
        if theme == "system" and not self._follows_system:
            QGuiApplication.styleHints().colorSchemeChanged.connect(self._on_color_scheme_changed)
            self._follows_system = True
        self._show_theme()

    @property
    def is_page_ready(self) -> bool:
        return self._ready

    def is_idle(self) -> bool:
        return self._ready and not self._in_flight and (self._text is None or self._text == self._shown)

    def app_page(self) -> AppPage:
        return self._page

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        restricted_context_menu(self, event)

    def _on_page_load_finished(self, ok: bool) -> None:
        if not ok:
            log.error("the preview page did not load")
            return
        self._ready = True
        strings = strings_op()  # the empty preview's line in the window's language
        if strings is not None:
            self._page.runJavaScript(f"window.satori && satori.apply({json.dumps([strings])})", 0)
        if self._theme is not None:
            self._show_theme()
        self.page_ready.emit()
        if self._text is not None:
            self._timer.start()

    def _show_theme(self) -> None:
        if self._theme is None:
            return
        shown = page_theme(self._theme)
        self._page.setBackgroundColor(QColor(PAGE_BACKGROUND[shown]))
        if self._ready:
            op = json.dumps([{"op": "theme", "value": shown}])
            self._page.runJavaScript(f"window.satori && satori.apply({op})", 0)

    def _on_color_scheme_changed(self, _scheme: Qt.ColorScheme) -> None:
        if shiboken6.isValid(self) and self._theme == "system":
            self._show_theme()

    def _flush(self) -> None:
        if self._in_flight or self._text is None or self._text == self._shown:
            return
        text = self._text
        self._in_flight = True
        script = (
            "window.satori ? satori.setPreview("
            + json.dumps(render_markup(text), ensure_ascii=True)
            + ") : -1"
        )

        def done(height: object) -> None:
            if not shiboken6.isValid(self):
                return
            self._in_flight = False
            self._shown = text
            if isinstance(height, (int, float)) and height >= 0 and int(height) != self._height:
                self._height = int(height)
                self.content_height_changed.emit(self._height)
            if self._text != self._shown:
                self._timer.start()

        self._page.runJavaScript(script, 0, done)
