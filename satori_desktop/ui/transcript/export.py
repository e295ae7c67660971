"""Rendering a model output through the transcript page to a standalone HTML file or a PNG picture.

The output goes through exactly the path the app uses (COAT parser -> events -> `TranscriptView`), with
every section open. HTML: the page's rendered DOM (KaTeX output included, MathML too, so a word
processor pastes real equations), our stylesheet and KaTeX's with its fonts inlined as data URIs, and no
script: it opens offline in any browser. PNG: the page resized to its content and grabbed.
"""

from __future__ import annotations

import base64
import html
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from PySide6.QtCore import QCoreApplication, QEvent, QEventLoop, QTimer
from PySide6.QtWebEngineWidgets import QWebEngineView
from PySide6.QtWidgets import QApplication

from satori_desktop.core.coat import CoatParser, ParsedTrace, assistant_part, parse_trace
from satori_desktop.core.errors import UserFacingError
from satori_desktop.engine.streaming import TurnSummary
from satori_desktop.ui.transcript.assets import asset_path, katex_root, require_assets, web_root
from satori_desktop.ui.transcript.view import TranscriptView

ExportFormat = Literal["html", "png"]

# Past this the picture would be unwieldy (and a GPU texture limit on some machines).
MAX_PNG_HEIGHT = 30000
RENDER_TIMEOUT_S = 60.0

_FONT_SRC_RE = re.compile(
    r'src:url\(fonts/(?P<name>[\w-]+)\.woff2\)\s*format\("woff2"\)(?:,url\([^)]*\)\s*format\("[^"]*"\))*'
)
_QUESTION_RE = re.compile(r"Problem:\s*(?P<q>.*?)<\|im_end\|>", re.DOTALL)


@dataclass(frozen=True)
class ExportResult:
    path: Path
    format: ExportFormat
    bytes: int
    steps: int
    reflections: int
    explorations: int
    answer: str | None


def question_of(raw: str) -> str:
    """The problem of a raw transcript that includes Satori's prompt, else an empty string."""
    user_part = raw[: raw.rfind("<|im_start|>assistant")] if "<|im_start|>assistant" in raw else ""
    match = _QUESTION_RE.search(user_part)
    return match.group("q").strip() if match else ""


def inline_katex_css() -> str:
    """KaTeX's stylesheet with each font as a woff2 data URI (every current browser reads woff2)."""
    css = (katex_root() / "katex.min.css").read_text(encoding="utf-8")

    def data_uri(match: re.Match[str]) -> str:
        font = katex_root() / "fonts" / f"{match.group('name')}.woff2"
        encoded = base64.b64encode(font.read_bytes()).decode("ascii")
        return f'src:url(data:font/woff2;base64,{encoded}) format("woff2")'

    return _FONT_SRC_RE.sub(data_uri, css)


def standalone_html(transcript_html: str, title: str) -> str:
    page_css = (web_root() / "transcript.css").read_text(encoding="utf-8")
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        # The file carries no script and may load nothing from anywhere.
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; font-src data:; img-src data:\">\n"
        f"<title>{html.escape(title)}</title>\n"
        f"<style>\n{inline_katex_css()}\n</style>\n<style>\n{page_css}\n</style>\n"
        f'</head>\n<body class="transcript-page exported">\n{transcript_html}\n</body>\n</html>\n'
    )


def _wait_until(predicate: Callable[[], bool], what: str, timeout_s: float = RENDER_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout_s
    loop = QEventLoop()
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: loop.quit() if predicate() or time.monotonic() > deadline else None)
    timer.start()
    if not predicate():
        loop.exec()
    timer.stop()
    if not predicate():
        raise UserFacingError(
            f"Rendering the transcript took too long ({what}); try again, or export as HTML."
        )


def _wait_for_painted_frames(view: QWebEngineView) -> None:
    """Two animation frames after the last change the compositor has drawn it (runJavaScript does not wait
    for a promise, so the page sets a flag that is polled)."""
    _run_js(
        view,
        "(window.__exportPainted = false, requestAnimationFrame(() => requestAnimationFrame(() => "
        "{ window.__exportPainted = true; })), 0)",
    )
    _wait_until(lambda: _run_js(view, "window.__exportPainted") is True, "drawing the page")
    QApplication.processEvents()


def _run_js(view: QWebEngineView, script: str) -> object:
    box: list[object] = []
    view.page().runJavaScript(script, 0, box.append)
    _wait_until(lambda: bool(box), "waiting for the page")
    return box[0]


def ensure_application() -> QApplication:
    """The running QApplication, or a new offscreen one (the export needs no screen)."""
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        # Chromium refuses to start its sandbox as root (containers, CI).
        flags = os.environ.get("QTWEBENGINE_CHROMIUM_FLAGS", "")
        if "--no-sandbox" not in flags:
            os.environ["QTWEBENGINE_CHROMIUM_FLAGS"] = (flags + " --no-sandbox").strip()
    return QApplication(["satori-desktop-export"])


def export_trace(
    raw: str,
    out: Path,
    fmt: ExportFormat,
    *,
    question: str | None = None,
    width: int = 900,
) -> ExportResult:
    """Render `raw` (a model output as `parse` takes it) to `out` as HTML or PNG."""
    require_assets()
    ensure_application()
    trace: ParsedTrace = parse_trace(raw)
    parser = CoatParser()
    events = parser.feed(assistant_part(raw)) + parser.finish()
    shown_question = question_of(raw) if question is None else question

    view = TranscriptView()
    try:
        view.resize(width, 800)
        view.show()
        _wait_until(lambda: view.is_page_ready, "loading the page")
        # The live transcript skips drawing steps that are off screen; a picture needs them all.
        _run_js(view, "satori.renderAll()")
        view.set_keep_sections_open(True)
        view.begin_turn(shown_question)
        view.apply_events(events)
        view.end_turn(TurnSummary(request_id=0, finish_reason="stop"))
        _wait_until(view.is_idle, "typesetting")
        if fmt == "html":
            body = _run_js(view, "satori.exportHtml()")
            data = standalone_html(str(body), "Satori solution").encode("utf-8")
            _write(out, data)
        else:
            # The height is only final once KaTeX's fonts are in (a formula grows when its font arrives).
            _wait_until(lambda: _run_js(view, "document.fonts.status") == "loaded", "loading the fonts")
            height = _run_js(view, "satori.contentHeight()")
            target = min(int(height) if isinstance(height, (int, float)) else 800, MAX_PNG_HEIGHT)
            view.resize(width, max(target, 200))
            _wait_until(
                lambda: _run_js(view, "window.innerHeight") == view.height(),
                "resizing the page",
                timeout_s=10,
            )
            _run_js(view, "window.scrollTo(0, 0), 0")
            _wait_for_painted_frames(view)
            image = view.grab()
            out.parent.mkdir(parents=True, exist_ok=True)
            if image.isNull() or not image.save(str(out), "PNG"):
                raise UserFacingError(
                    f"Could not write the picture {out}: check the folder exists and is writable."
                )
    finally:
        view.close()
        view.deleteLater()
        # Delete it now: a page still alive when the application ends makes Qt complain.
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    return ExportResult(
        path=out,
        format=fmt,
        bytes=out.stat().st_size,
        steps=len(trace.steps),
        reflections=trace.reflections,
        explorations=trace.explorations,
        answer=trace.answer,
    )


def _write(out: Path, data: bytes) -> None:
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(data)
    except OSError as exc:
        raise UserFacingError(f"Could not write {out} ({exc.strerror}): choose another --out path.") from None


__all__ = ["ExportResult", "asset_path", "export_trace", "question_of", "standalone_html"]
