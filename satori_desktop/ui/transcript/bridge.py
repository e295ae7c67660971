"""What the transcript page may ask of Python: put a piece of text on the clipboard, or open the copy menu.

The answer card's "Copy LaTeX" button needs the clipboard, and a right-click on a formula, a step or a
turn opens the native copy menu (copy_menu.py says why native). Two ways were possible:

- Turn on `QWebEngineSettings.JavascriptCanAccessClipboard`. That hands the clipboard to Chromium's
  permission rules (which changed in Qt 6.8: a permission request for clipboard read *and* write) and to
  whatever script runs in the page, with rich formats (`execCommand('copy')` copies HTML), and reading
  becomes a setting away. It could not write the formats Word and LibreOffice read anyway: Chromium
  renames custom clipboard formats.
- A `QWebChannel` with a single object and two slots: `copy_text(str)` and `show_menu(request)` (and a
  third, `open_sample(turn, index)`, for a click on a row of a "solve several times" card). Python
  decides what reaches the clipboard: from `copy_text` plain text only (`QClipboard.setText`: no HTML, no
  images, nothing a word processor would interpret), of bounded size; from the menu only the formats
  Python builds itself (ui/clipboard.py) out of the TeX and the model's text. The page can never read the
  clipboard, and `show_menu` only says what was clicked (checked field by field, copy_menu.py).

The second is used. Its JavaScript half, Qt's own `qwebchannel.js`, is read from Qt's resources and injected
as a user script (`channel_script()`): no request is made for it, so the request guard and the page's
Content Security Policy stay exactly as strict as before (only `satori://app/...` loads), and no extra
`<script>` element appears in the page. The channel is set on the transcript page only; the problem
preview has no bridge at all.

A QObject published on a channel also offers QObject's own public slot `deleteLater` to the page; the
bridge ignores it (the object lives as long as its view). The only scripts that run in the page are the
app's own anyway (CSP `script-src 'self'`, model text is always escaped). The bridge declares no signals:
a signal would be published to the page as well, and what happens after a request is Python's business.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QEvent, QFile, QIODevice, QObject, Slot
from PySide6.QtGui import QGuiApplication
from PySide6.QtWebEngineCore import QWebEngineScript

from satori_desktop.ui.transcript.copy_menu import CopyRequest, parse_copy_request

log = logging.getLogger(__name__)

# The name the page finds the bridge under: `channel.objects.clipboard`.
BRIDGE_NAME = "clipboard"
# Far more than any answer (a 10,000-character formula is an extreme case); a guard, not a feature.
MAX_COPY_CHARS = 1_000_000
QWEBCHANNEL_RESOURCE = ":/qtwebchannel/qwebchannel.js"


class ClipboardBridge(QObject):
    """Published on the transcript page's web channel; `copy_text` and `show_menu` are its slots.
    `on_menu_request` gets each well-formed menu request (the view opens the menu)."""

    def __init__(
        self,
        parent: QObject,
        on_menu_request: Callable[[CopyRequest], None],
        on_sample_request: Callable[[int, int], None] | None = None,
    ) -> None:
        super().__init__(parent)
        self._on_menu_request = on_menu_request
        self._on_sample_request = on_sample_request

    @Slot(str, result=bool)
    def copy_text(self, text: str) -> bool:
        """Put `text` on the clipboard as plain text; False when there is nothing sensible to copy."""
        if not isinstance(text, str) or not text or len(text) > MAX_COPY_CHARS:
            log.info("refused a copy request from the page (%s characters)", len(text or ""))
            return False
        clipboard = QGuiApplication.clipboard()
        if clipboard is None:
            return False
        clipboard.setText(text)  # text/plain only: nothing the page sends is ever offered as HTML
        return True

    @Slot(str)
    def show_menu(self, payload: str) -> None:
        """The page's right-click: `payload` is JSON saying what was clicked and where (copy_menu.py)."""
        request = parse_copy_request(payload)
        if request is None:
            log.info(
                "refused a malformed copy menu request from the page (%s characters)", len(payload or "")
            )
            return
        self._on_menu_request(request)

    @Slot(int, int)
    def open_sample(self, turn: int, index: int) -> None:
        """The page's click on solution `index` of turn `turn`'s samples card (checked: small numbers)."""
        if self._on_sample_request is None:
            return
        if not (0 <= turn < 1_000_000 and 0 <= index < 1_000):
            log.info("refused an open_sample request from the page (%s, %s)", turn, index)
            return
        self._on_sample_request(turn, index)

    def event(self, event: QEvent) -> bool:
        # `deleteLater()` called through the channel: the page does not decide when the bridge goes (its
        # parent view deletes it directly, which no event is involved in).
        if event.type() == QEvent.Type.DeferredDelete:
            log.info("ignored a request from the page to delete the clipboard bridge")
            return True
        return super().event(event)


def channel_script() -> QWebEngineScript | None:
    """Qt's `qwebchannel.js` as a user script for the page's main world, or None if Qt lacks it."""
    resource = QFile(QWEBCHANNEL_RESOURCE)
    if not resource.open(QIODevice.OpenModeFlag.ReadOnly):
        log.warning("Qt's qwebchannel.js is not available: the answer's Copy button stays hidden")
        return None
    source = bytes(resource.readAll().data()).decode("utf-8")
    resource.close()
    script = QWebEngineScript()
    script.setName("satori-qwebchannel")
    script.setSourceCode(source)
    # Before the page's own script runs, in the world the page's scripts live in.
    script.setInjectionPoint(QWebEngineScript.InjectionPoint.DocumentCreation)
    script.setWorldId(QWebEngineScript.ScriptWorldId.MainWorld)
    script.setRunsOnSubFrames(False)
    return script
