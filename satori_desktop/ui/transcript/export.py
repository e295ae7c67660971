"""Every export the app makes of a solution: the transcript page as HTML, PDF or PNG, and the documents.

`export_solution(solution, out, fmt)` is what File > Export and `satori-desktop export` call, for any of
the six formats (`documents.formats`). Markdown, LaTeX and Word come from `satori_desktop.documents`, with
KaTeX (`ui.katex_mathml`) as their formula converter: Word's equations are its MathML turned into Office
Math, and a formula KaTeX refuses goes into a .tex as text rather than stop pdflatex.

The page formats go through exactly the path the app uses (the output's parser, COAT for Satori -> events
-> `TranscriptView`),
with every section open. HTML: the page's rendered DOM (KaTeX output included, MathML too, so a word
processor pastes real equations), our stylesheet and KaTeX's with its fonts inlined as data URIs, and no
script: it opens offline in any browser. PNG: the page resized to its content and grabbed. PDF: that
same HTML file printed by the web engine (`QWebEnginePage.printToPdf`) in a page of its own, once its
fonts are in, on the paper of the user's country: Letter where CLDR says people use it (the United
States, Canada, Mexico, the Philippines and a few more in the Americas), A4 everywhere else.
"""

from __future__ import annotations

import base64
import html
import os
import re
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from PySide6.QtCore import QCoreApplication, QEvent, QEventLoop, QLocale, QMarginsF, QTimer, QUrl
from PySide6.QtGui import QPageLayout, QPageSize
from PySide6.QtWebEngineCore import QWebEnginePage, QWebEngineProfile
from PySide6.QtWebEngineWidgets import QWebEngineView
from PySide6.QtWidgets import QApplication

from satori_desktop.core.errors import UserFacingError
from satori_desktop.core.reasoning import output_events
from satori_desktop.documents.docx import Paper, solution_docx
from satori_desktop.documents.formats import ExportFormat, ExportResult, write_export
from satori_desktop.documents.labels import ENGLISH, DocumentLabels
from satori_desktop.documents.markdown import write_markdown
from satori_desktop.documents.solution import Solution, question_of, solution_from_trace
from satori_desktop.documents.tex import solution_tex
from satori_desktop.engine.streaming import TurnSummary
from satori_desktop.engine.types import FinishReason
from satori_desktop.ui.i18n.languages import page_language
from satori_desktop.ui.katex_mathml import katex_mathml, latex_to_omml
from satori_desktop.ui.transcript.assets import asset_path, katex_root, require_assets, web_root
from satori_desktop.ui.transcript.view import TranscriptView

PageFormat = Literal["html", "png", "pdf"]
PAGE_FORMATS: tuple[PageFormat, ...] = ("html", "png", "pdf")

# Past this the picture would be unwieldy (and a GPU texture limit on some machines).
MAX_PNG_HEIGHT = 30000
RENDER_TIMEOUT_S = 60.0
PDF_MARGIN_MM = 15.0
# Where CLDR's paperSize is US-Letter (supplementalData.xml); everywhere else A4.
LETTER_TERRITORIES = frozenset(
    {
        QLocale.Country.UnitedStates,
        QLocale.Country.Canada,
        QLocale.Country.Mexico,
        QLocale.Country.Philippines,
        QLocale.Country.Belize,
        QLocale.Country.Chile,
        QLocale.Country.Colombia,
        QLocale.Country.CostaRica,
        QLocale.Country.ElSalvador,
        QLocale.Country.Guatemala,
        QLocale.Country.Nicaragua,
        QLocale.Country.Panama,
        QLocale.Country.PuertoRico,
        QLocale.Country.Venezuela,
    }
)

_FONT_SRC_RE = re.compile(
    r'src:url\(fonts/(?P<name>[\w-]+)\.woff2\)\s*format\("woff2"\)(?:,url\([^)]*\)\s*format\("[^"]*"\))*'
)


def locale_paper(locale: QLocale | None = None) -> Paper:
    """The paper people use where `locale` (by default the application's locale) says they live."""
    territory = (locale if locale is not None else QLocale()).territory()
    return "letter" if territory in LETTER_TERRITORIES else "a4"


def page_layout(paper: Paper) -> QPageLayout:
    size = QPageSize(QPageSize.PageSizeId.Letter if paper == "letter" else QPageSize.PageSizeId.A4)
    margins = QMarginsF(PDF_MARGIN_MM, PDF_MARGIN_MM, PDF_MARGIN_MM, PDF_MARGIN_MM)
    return QPageLayout(size, QPageLayout.Orientation.Portrait, margins, QPageLayout.Unit.Millimeter)


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
        # The page's language, as the live page has it (its labels are in it; it picks the CJK glyph forms).
        f'<!DOCTYPE html>\n<html lang="{page_language()}">\n<head>\n<meta charset="utf-8">\n'
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
    return _run_page_js(view.page(), script)


def _run_page_js(page: QWebEnginePage, script: str) -> object:
    box: list[object] = []
    page.runJavaScript(script, 0, box.append)
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
    paper: Paper | None = None,
    reasoning_format: str | None = None,
) -> ExportResult:
    """Export `raw` (a model output as `parse` takes it, written in `reasoning_format`, by default the one
    its tags show) to `out`; the question is read from Satori's prompt when the output includes it and
    `question` is None."""
    solution = solution_from_trace(raw, question=question, reasoning_format=reasoning_format)
    return export_solution(solution, out, fmt, width=width, paper=paper)


def export_solution(
    solution: Solution,
    out: Path,
    fmt: ExportFormat,
    *,
    width: int = 900,
    paper: Paper | None = None,
    labels: DocumentLabels = ENGLISH,
) -> ExportResult:
    """Write `solution` to `out` as `fmt`. `width`: the page's width in pixels (PNG, and the layout the
    HTML was rendered at); `paper`: for PDF and Word, by default the locale's (`locale_paper`); `labels`:
    the headings of a .md, .tex or .docx (the page-based formats take the page's own language)."""
    if fmt == "md":
        return write_markdown(solution, out, labels)
    ensure_application()
    chosen_paper = paper or locale_paper()
    if fmt == "tex":
        tex = solution_tex(solution, accepts=katex_accepts, labels=labels)
        write_export(out, tex.source.encode("utf-8"))
        return ExportResult.of(solution, out, fmt, equations=tex.formulas, fallbacks=tex.verbatim)
    if fmt == "docx":
        docx = solution_docx(solution, latex_to_omml, paper=chosen_paper, labels=labels)
        write_export(out, docx.data)
        return ExportResult.of(solution, out, fmt, equations=docx.equations, fallbacks=docx.fallbacks)
    _render_page(solution, out, fmt, width=width, paper=chosen_paper)
    return ExportResult.of(solution, out, fmt)


def katex_accepts(tex: str, display: bool) -> bool:
    """Whether KaTeX typesets the formula (a .tex keeps only what both it and pdflatex would read)."""
    try:
        katex_mathml(tex, display)
    except UserFacingError:
        return False
    return True


def _render_page(solution: Solution, out: Path, fmt: PageFormat, *, width: int, paper: Paper) -> None:
    require_assets()
    view = TranscriptView()
    try:
        view.resize(width, 800)
        view.show()
        _wait_until(lambda: view.is_page_ready, "loading the page")
        # The live transcript skips drawing steps that are off screen; a picture needs them all.
        _run_js(view, "satori.renderAll()")
        view.set_keep_sections_open(True)
        for number, question in enumerate(solution.questions):
            view.begin_turn(question.question)
            view.apply_events(output_events(question.output, question.reasoning_format))
            finish = _PAGE_ENDINGS.get(question.finish_reason or "", "stop")
            view.end_turn(TurnSummary(request_id=number, finish_reason=finish, error=question.error))
        _wait_until(view.is_idle, "typesetting")
        if fmt == "png":
            _save_picture(view, out, width)
            return
        body = _run_js(view, "satori.exportHtml()")
        page = standalone_html(str(body), solution.title)
        if fmt == "html":
            write_export(out, page.encode("utf-8"))
        else:
            write_export(out, _printed_pdf(page, page_layout(paper)))
    finally:
        _delete_now(view)


# The endings the page's footer knows (an interrupted or unfinished answer shows as stopped).
_PAGE_ENDINGS: dict[str, FinishReason] = {
    "stop": "stop",
    "length": "length",
    "cancelled": "cancelled",
    "error": "error",
}


def _save_picture(view: TranscriptView, out: Path, width: int) -> None:
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
        raise UserFacingError(f"Could not write the picture {out}: check the folder exists and is writable.")


# On paper, a formula or the answer card is never cut in two by a page break.
_PRINT_STYLE = (
    "<style>@media print { .katex-display, .answer-card { break-inside: avoid; } "
    ".fold-head { break-after: avoid; } }</style>\n"
)


def _printed_pdf(page_html: str, layout: QPageLayout) -> bytes:
    """The standalone page printed to PDF by the web engine, in a page and profile of its own (off the
    record: nothing stays on disk) that loads the file and nothing else (the file's own policy forbids
    any request)."""
    with tempfile.TemporaryDirectory(prefix="satori-pdf-") as folder:
        source = Path(folder) / "solution.html"
        target = Path(folder) / "solution.pdf"
        source.write_text(page_html.replace("</head>", _PRINT_STYLE + "</head>", 1), encoding="utf-8")
        profile = QWebEngineProfile()
        page = QWebEnginePage(profile)
        try:
            loaded: list[bool] = []
            page.loadFinished.connect(loaded.append)
            page.load(QUrl.fromLocalFile(str(source)))
            _wait_until(lambda: bool(loaded), "loading the page to print")
            _wait_until(lambda: _run_page_js(page, "document.fonts.status") == "loaded", "loading the fonts")
            printed: list[bool] = []
            page.pdfPrintingFinished.connect(lambda _path, ok: printed.append(bool(ok)))
            page.printToPdf(str(target), layout)
            _wait_until(lambda: bool(printed), "printing to PDF")
            if not (loaded[0] and printed[0] and target.is_file()):
                raise UserFacingError(
                    "The web engine could not print the solution to PDF; export it as HTML instead."
                )
            return target.read_bytes()
        finally:
            _delete_now(page)
            _delete_now(profile)


def _delete_now(thing: QWebEngineView | QWebEnginePage | QWebEngineProfile) -> None:
    """Delete a web object now: a page still alive when the application ends makes Qt complain (and a
    profile must outlive its pages)."""
    if isinstance(thing, QWebEngineView):
        thing.close()
    thing.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


__all__ = [
    "PAGE_FORMATS",
    "ExportResult",
    "asset_path",
    "export_solution",
    "export_trace",
    "locale_paper",
    "page_layout",
    "question_of",
    "standalone_html",
]
