"""What "Copy" puts on the system clipboard: one function per format, and the QMimeData that carries it.

Each target reads something different on paste (`../shared/notes/copy-into-documents.md`):

- Word, PowerPoint (Microsoft 365, Windows and Mac) and Pages turn MathML inside `text/html` into native
  equations. A clipboard holding MathML only becomes *one* equation, so text with formulas travels as
  HTML paragraphs with inline `<math>` elements, never KaTeX's `.katex-html` spans (Word would paste the
  formula twice) and never a script. A single formula also goes as the registered Windows clipboard
  format "MathML" (older Word, and what LibreOffice names `application/mathml+xml` there) and, on Linux,
  as `application/mathml+xml` itself, which LibreOffice Math's "Import MathML from Clipboard" reads.
- Obsidian, Typora, LaTeX editors and chat apps want `text/plain` with `$...$`/`$$...$$`; Microsoft 365
  also converts pasted text in those delimiters. So every rich copy carries that text as its fallback,
  and "Copy Markdown" carries nothing else (Obsidian's HTML-to-Markdown conversion garbles math).
- Google Docs and slides take no equation on paste: "Copy as picture" is a PNG (`image/png`, through
  `QMimeData.setImageData`, which Qt offers in each platform's image formats).

The page cannot write any of this: Chromium renames custom clipboard formats, so the QMimeData is built
here, in Python. The converters (LaTeX to Word MathML, to Unicode text, to a PNG) are passed in as
functions (`Converters`), so the formats are tested with the real ones and the rules without them.
Qt appears only in the `*_mime` functions at the bottom; everything above them is plain text in, text
or bytes out.
"""

from __future__ import annotations

import atexit
import html
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from PySide6.QtCore import QMimeData
from PySide6.QtGui import QGuiApplication, QImage

from satori_desktop.core.errors import UserFacingError
from satori_desktop.core.markup import render_markup, split_math

# The registered Windows clipboard format "MathML" (Qt's Windows MIME registry turns this key into
# RegisterClipboardFormat("MathML")); Word reads it, and so does LibreOffice as application/mathml+xml.
WINDOWS_MATHML_MIME = 'application/x-qt-windows-mime;value="MathML"'
# What LibreOffice Math imports from the clipboard on X11/Wayland.
MATHML_MIME = "application/mathml+xml"
HTML_MIME = "text/html"
PLAIN_MIME = "text/plain"

NBSP = "\u00a0"


@dataclass(frozen=True)
class Converters:
    """The formula converters the formats are made with (satori_desktop.documents and ui.katex_mathml).

    `word_mathml(latex, display)`: one namespaced `<math>` without a semantics wrapper, Word's flavour;
    raises `UserFacingError` for a formula KaTeX cannot typeset. `mathml_document(mathml)`: that element
    as a UTF-8 XML document (`<?xml ...?>` first). `unicode_text(latex)`: plain text with Unicode math, or
    None where it cannot be written faithfully. `formula_png(latex, display)`: the typeset formula as a
    PNG at twice its on-screen size.
    """

    word_mathml: Callable[[str, bool], str]
    mathml_document: Callable[[str], bytes]
    unicode_text: Callable[[str], str | None]
    formula_png: Callable[[str, bool], bytes]


def app_converters() -> Converters:
    """The app's converters: KaTeX (the page's own copy, in a QJSEngine) cleaned for Word, and the
    formula picture. Each module is imported on first use: KaTeX loads only for a copy that needs it, and
    the picture's renderer only for a picture."""

    def word_mathml(latex: str, display: bool) -> str:
        from satori_desktop.ui.katex_mathml import latex_to_word_mathml

        return latex_to_word_mathml(latex, display)

    def unicode_text(latex: str) -> str | None:
        from satori_desktop.ui.katex_mathml import latex_to_unicode

        return latex_to_unicode(latex)

    def formula_png(latex: str, display: bool) -> bytes:
        from satori_desktop.ui.formula_picture import render_formula_png

        return render_formula_png(latex, display, scale=2.0)

    from satori_desktop.documents.mathml import mathml_document

    return Converters(word_mathml, mathml_document, unicode_text, formula_png)


# ---------- Markdown: the model's own LaTeX, in the delimiters Markdown editors read ----------


def formula_markdown(latex: str, display: bool) -> str:
    """`$latex$` inline, `$$latex$$` for display math (on lines of its own when it has several)."""
    tex = latex.strip()
    if not display:
        return f"${tex}$"
    return f"$$\n{tex}\n$$" if "\n" in tex else f"$${tex}$$"


def markdown_text(text: str) -> str:
    """Model text as Markdown: prose as written, every formula in `$`/`$$` (whatever delimiters the model
    used: `\\(...\\)`, `\\[...\\]`, a bare environment or a bare `\\boxed{}`). A formula left unclosed
    stays as written."""
    parts: list[str] = []
    for segment in split_math(text):
        if segment.kind == "math":
            parts.append(formula_markdown(segment.tex, segment.display))
        else:
            parts.append(segment.source)
    return "".join(parts).strip()


# ---------- the whole solution, as the page shows it ----------


@dataclass(frozen=True)
class StepText:
    action: str  # "start" | "continue" | "reflect" | "explore" | "think" (core.coat.StepAction values)
    text: str  # what the model wrote in the step, Markdown with LaTeX


@dataclass(frozen=True)
class TurnText:
    """One turn: the question, its steps in order and the boxed answer (or None)."""

    question: str
    steps: Sequence[StepText]
    answer: str | None


@dataclass(frozen=True)
class CopyLabels:
    """The words a copied solution adds around the model's text (the UI's language)."""

    problem: str = "Problem"
    answer: str = "Answer"
    sections: Mapping[str, str] = field(
        default_factory=lambda: {
            "reflect": "Checking the work",
            "explore": "Trying another way",
            "think": "Thinking",
        }
    )


def solution_markdown(solution: TurnText, labels: CopyLabels | None = None) -> str:
    """The turn as one Markdown document: the problem, the steps (checks, changes of approach and another
    model's thought under their labels), the answer in display math."""
    labels = labels or CopyLabels()
    parts: list[str] = []
    if solution.question.strip():
        parts += [f"**{labels.problem}**", markdown_text(solution.question)]
    for step in solution.steps:
        text = markdown_text(step.text)
        if not text:
            continue
        label = labels.sections.get(step.action)
        if label:
            parts.append(f"*{label}*")
        parts.append(text)
    if solution.answer:
        parts += [f"**{labels.answer}**", formula_markdown(solution.answer, True)]
    return "\n\n".join(parts) + "\n"


# ---------- Word: HTML whose only markup besides paragraphs is MathML ----------

# The math elements of core.markup.render_markup (its own output: model text is always escaped there, so
# every `<` in it is markup it wrote, and a formula's source is text, never a tag).
_MATH_SPAN_RE = re.compile(r'<span class="math math-(inline|display)" data-tex="([^"]*)">[^<]*</span>')
_PENDING_SPAN_RE = re.compile(r'<span class="math-pending">([^<]*)</span>')
_PARAGRAPH_RE = re.compile(r"<p>(.*?)</p>", re.DOTALL)
# Where a display formula was taken out of the HTML (NUL never survives render_markup's sanitising).
_DISPLAY_MARK_RE = re.compile("\x00(\\d+)\x00")
_EDGE_BREAKS_RE = re.compile(r"^(?:\s|<br />)+|(?:\s|<br />)+$")


@dataclass(frozen=True)
class WordHtml:
    """HTML for Word with every formula as MathML; `failed`: the formulas that could not be converted
    (they are in the HTML as their `$...$` source, and the reader is told)."""

    body: str
    failed: tuple[str, ...] = ()

    def document(self) -> str:
        return html_document(self.body)


def html_document(body: str) -> str:
    """A minimal HTML document around `body`. The charset matters on Linux, where the bytes carry no
    encoding of their own (Chromium writes the same `<meta>` into its copies)."""
    return f'<html><head><meta charset="utf-8"></head><body>{body}</body></html>'


def _formula_or_source(
    latex: str, display: bool, word_mathml: Callable[[str, bool], str]
) -> tuple[str, bool]:
    try:
        return word_mathml(latex, display), True
    except UserFacingError:
        return html.escape(formula_markdown(latex, display), quote=False), False


def word_html_of_markup(markup: str, word_mathml: Callable[[str, bool], str]) -> WordHtml:
    """`core.markup.render_markup` output with each `span.math` replaced by Word MathML.

    Inline formulas stay in their paragraph, with no-break spaces beside them (Word drops a plain space
    next to an equation); a display formula gets a paragraph of its own, split out of the one it was in.
    """
    markup = _PENDING_SPAN_RE.sub(r"\1", markup)
    failed: list[str] = []
    displays: list[str] = []
    out: list[str] = []
    position = 0
    for match in _MATH_SPAN_RE.finditer(markup):
        before = markup[position : match.start()]
        position = match.end()
        latex = html.unescape(match.group(2))
        display = match.group(1) == "display"
        converted, ok = _formula_or_source(latex, display, word_mathml)
        if not ok:
            failed.append(latex)
        if display:
            out.append(before)
            out.append(f"\x00{len(displays)}\x00")
            displays.append(converted)
            continue
        if before.endswith(" "):
            before = before[:-1] + NBSP
        out += [before, converted]
        if markup.startswith(" ", position):
            out.append(NBSP)
            position += 1
    out.append(markup[position:])
    body = "".join(out)

    def split_paragraph(paragraph: re.Match[str]) -> str:
        inner = paragraph.group(1)
        if "\x00" not in inner:
            return paragraph.group(0)
        pieces: list[str] = []
        for i, piece in enumerate(_DISPLAY_MARK_RE.split(inner)):
            if i % 2:
                pieces.append(f"<p>{displays[int(piece)]}</p>")
            else:
                text = _EDGE_BREAKS_RE.sub("", piece)
                if text:
                    pieces.append(f"<p>{text}</p>")
        return "".join(pieces)

    body = _PARAGRAPH_RE.sub(split_paragraph, body)
    # A display formula outside a paragraph (a list item, a table cell) stays where it is.
    body = _DISPLAY_MARK_RE.sub(lambda m: displays[int(m.group(1))], body)
    return WordHtml(body, tuple(failed))


def text_word_html(text: str, word_mathml: Callable[[str, bool], str]) -> WordHtml:
    """Model text (Markdown with LaTeX) as Word HTML."""
    return word_html_of_markup(render_markup(text), word_mathml)


def solution_word_html(
    solution: TurnText, word_mathml: Callable[[str, bool], str], labels: CopyLabels | None = None
) -> WordHtml:
    """The turn as Word HTML, laid out like `solution_markdown`."""
    labels = labels or CopyLabels()
    parts: list[str] = []
    failed: list[str] = []

    def add(text: str) -> None:
        converted = text_word_html(text, word_mathml)
        parts.append(converted.body)
        failed.extend(converted.failed)

    if solution.question.strip():
        parts.append(f"<p><strong>{html.escape(labels.problem)}</strong></p>")
        add(solution.question)
    for step in solution.steps:
        if not step.text.strip():
            continue
        label = labels.sections.get(step.action)
        if label:
            parts.append(f"<p><em>{html.escape(label)}</em></p>")
        add(step.text)
    if solution.answer:
        parts.append(f"<p><strong>{html.escape(labels.answer)}</strong></p>")
        converted, ok = _formula_or_source(solution.answer, True, word_mathml)
        if not ok:
            failed.append(solution.answer)
        parts.append(f"<p>{converted}</p>")
    return WordHtml("".join(parts), tuple(failed))


# ---------- the formats of one formula ----------


def is_x11_like(platform: str) -> bool:
    """Platforms whose clipboard takes MIME names as they are (X11, Wayland)."""
    return platform.startswith(("linux", "freebsd", "openbsd", "netbsd"))


def formula_word_formats(
    latex: str, display: bool, converters: Converters, platform: str = sys.platform
) -> dict[str, bytes]:
    """The clipboard of "Copy for Word" of one formula, MIME type to bytes: the HTML, the Markdown
    fallback, and the native MathML format of this platform. Raises `UserFacingError` when KaTeX cannot
    typeset the formula (the caller copies its LaTeX instead and says so)."""
    mathml = converters.word_mathml(latex, display)
    formats = {
        HTML_MIME: html_document(mathml).encode("utf-8"),
        PLAIN_MIME: formula_markdown(latex, display).encode("utf-8"),
    }
    if platform == "win32":
        formats[WINDOWS_MATHML_MIME] = converters.mathml_document(mathml)
    elif is_x11_like(platform):
        formats[MATHML_MIME] = converters.mathml_document(mathml)
    # macOS: Word and Pages read public.html, which Qt makes of text/html; the MathML UTIs would need a
    # QUtiMimeConverter, and whether Word reads them is not known.
    return formats


# ---------- QMimeData: the only Qt of this module ----------


def mime_of_formats(formats: Mapping[str, bytes]) -> QMimeData:
    """A QMimeData with these formats. Text and HTML go through setText/setHtml, so each platform gets
    them in its native text encodings (CF_UNICODETEXT, CF_HTML, UTF-8 targets)."""
    mime = QMimeData()
    for mime_type, data in formats.items():
        if mime_type == PLAIN_MIME:
            mime.setText(data.decode("utf-8"))
        elif mime_type == HTML_MIME:
            mime.setHtml(data.decode("utf-8"))
        else:
            mime.setData(mime_type, data)
    return mime


def text_mime(text: str) -> QMimeData:
    """`text/plain` only: LaTeX, Markdown, or plain text with Unicode math."""
    mime = QMimeData()
    mime.setText(text)
    return mime


def formula_word_mime(
    latex: str, display: bool, converters: Converters, platform: str = sys.platform
) -> QMimeData:
    """The "Copy for Word" of one formula (`formula_word_formats`); raises `UserFacingError` like it."""
    return mime_of_formats(formula_word_formats(latex, display, converters, platform))


def word_html_mime(word: WordHtml, markdown: str) -> QMimeData:
    """Text with formulas for Word: the HTML with MathML, and the same as Markdown in `text/plain`."""
    mime = QMimeData()
    mime.setHtml(word.document())
    mime.setText(markdown)
    return mime


def picture_mime(png: bytes) -> QMimeData:
    """A picture: Qt offers it as image/png (and the platform's bitmap formats). Raises `ValueError`
    when the bytes are not a PNG Qt can read."""
    image = QImage.fromData(png)
    if image.isNull():
        raise ValueError("the formula picture is not a readable PNG")
    mime = QMimeData()
    mime.setImageData(image)
    return mime


_clear_at_exit_registered = False


def put_on_clipboard(mime: QMimeData) -> None:
    """Hand `mime` to the system clipboard (which takes it over).

    With Qt's offscreen platform (the tests, the self-test, the command line without a screen) a
    clipboard still holding a QMimeData made the process crash as it exited, once Python had torn down
    its side; so there, and only there, the clipboard is emptied before Python exits. On a real desktop
    the copy must outlive the app (Windows and macOS keep it after the app quits), so it stays.
    """
    global _clear_at_exit_registered
    QGuiApplication.clipboard().setMimeData(mime)
    if not _clear_at_exit_registered:
        atexit.register(_clear_offscreen_clipboard)
        _clear_at_exit_registered = True


def _clear_offscreen_clipboard() -> None:
    if QGuiApplication.instance() is not None and QGuiApplication.platformName() == "offscreen":
        QGuiApplication.clipboard().clear()
