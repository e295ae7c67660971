"""The clipboard formats of "Copy" (satori_desktop/ui/clipboard.py), made with the real converters (the
app's KaTeX in a QJSEngine, the Word MathML cleaner), put on Qt's clipboard and read back from it.

No page here: tests/ui_transcript/test_clipboard_page.py drives the same formats through the real
transcript page's menus.
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from typing import Any

import pytest
from PySide6.QtGui import QGuiApplication

from satori_desktop.core.errors import UserFacingError
from satori_desktop.ui import clipboard
from satori_desktop.ui.clipboard import (
    HTML_MIME,
    MATHML_MIME,
    PLAIN_MIME,
    WINDOWS_MATHML_MIME,
    Converters,
    StepText,
    TurnText,
)
from tests.ui_transcript import traces

MATHML_NS = "http://www.w3.org/1998/Math/MathML"
MATHML_ELEMENTS = {
    "math", "mi", "mn", "mo", "mtext", "ms", "mspace", "mrow", "mfrac", "msqrt", "mroot", "mstyle", "merror",
    "mpadded", "mphantom", "menclose", "msub", "msup", "msubsup", "munder", "mover", "munderover", "mtable",
    "mtr", "mtd", "mlabeledtr", "mprescripts", "none", "mmultiscripts",
}  # fmt: skip
# What the HTML of a whole solution may hold besides MathML: a document, paragraphs and Markdown's markup.
TEXT_ELEMENTS = {
    "html", "head", "meta", "body", "p", "strong", "em", "ul", "ol", "li", "code", "pre", "br", "hr",
    "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "table", "thead", "tbody", "tr", "th", "td", "s",
}  # fmt: skip


@pytest.fixture
def converters(qapp: Any) -> Converters:
    """The app's converters; the picture is checked where the picture is made (the page tests)."""
    from satori_desktop.documents.mathml import mathml_document
    from satori_desktop.ui.katex_mathml import latex_to_unicode, latex_to_word_mathml

    def no_picture(latex: str, display: bool) -> bytes:
        raise AssertionError("no picture in these tests")

    return Converters(latex_to_word_mathml, mathml_document, latex_to_unicode, no_picture)


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def html_tags(markup: str) -> _Tags:
    parser = _Tags()
    parser.feed(markup)
    parser.close()
    return parser


def check_mathml_xml(data: bytes, display: bool) -> ET.Element:
    """A MathML document as LibreOffice and Word's "MathML" format take it."""
    assert data.startswith(b"<?xml"), data[:40]
    root = ET.fromstring(data)  # well-formed, or this raises
    assert root.tag == f"{{{MATHML_NS}}}math"
    assert root.get("display") == ("block" if display else None)
    names = {element.tag.split("}", 1)[1] for element in root.iter()}
    assert "semantics" not in names and "annotation" not in names
    assert names <= MATHML_ELEMENTS, names - MATHML_ELEMENTS
    return root


def check_word_html(markup: str, *, allow_text: bool) -> _Tags:
    """Word's HTML: MathML (each `<math>` namespaced), no KaTeX HTML, no script; text markup only where a
    whole step or solution is copied."""
    parsed = html_tags(markup)
    names = {tag for tag, _ in parsed.tags}
    allowed = MATHML_ELEMENTS | {"html", "head", "meta", "body"} | (TEXT_ELEMENTS if allow_text else {"p"})
    assert names <= allowed, names - allowed
    assert "span" not in names and "script" not in names and "semantics" not in names
    assert "katex" not in markup
    for tag, attrs in parsed.tags:
        if tag == "math":
            assert attrs.get("xmlns") == MATHML_NS
        assert not [name for name in attrs if name.startswith("on") or name in ("class", "style", "href")]
    return parsed


def read_back() -> Any:
    mime = QGuiApplication.clipboard().mimeData()
    assert mime is not None
    return mime


@pytest.mark.parametrize("platform", ["win32", "linux", "darwin"])
def test_a_formula_for_word_on_each_platform(converters: Converters, platform: str) -> None:
    latex = r"x = \frac{-b \pm \sqrt{b^2 - 4ac}}{2a}"
    formats = clipboard.formula_word_formats(latex, True, converters, platform)
    clipboard.put_on_clipboard(clipboard.mime_of_formats(formats))
    mime = read_back()
    # Word's HTML: one <math> in a minimal document.
    parsed = check_word_html(mime.html(), allow_text=False)
    assert [tag for tag, _ in parsed.tags].count("math") == 1
    math_tag = next(attrs for tag, attrs in parsed.tags if tag == "math")
    assert math_tag.get("display") == "block"
    assert mime.text() == f"$${latex}$$"  # what Markdown editors, LaTeX and Microsoft 365 read
    windows = WINDOWS_MATHML_MIME in mime.formats()
    linux = MATHML_MIME in mime.formats()
    assert (windows, linux) == (platform == "win32", platform == "linux")
    if windows:
        check_mathml_xml(bytes(mime.data(WINDOWS_MATHML_MIME).data()), True)
    if linux:
        root = check_mathml_xml(bytes(mime.data(MATHML_MIME).data()), True)
        assert root.find(f".//{{{MATHML_NS}}}mfrac") is not None
        assert root.find(f".//{{{MATHML_NS}}}msqrt") is not None


def test_this_platforms_native_mathml_format(converters: Converters) -> None:
    """The default is the running platform's: on Linux LibreOffice's application/mathml+xml."""
    clipboard.put_on_clipboard(clipboard.formula_word_mime("a^2+b^2=c^2", False, converters))
    formats = read_back().formats()
    assert (MATHML_MIME in formats) == sys.platform.startswith("linux")
    assert (WINDOWS_MATHML_MIME in formats) == (sys.platform == "win32")
    assert HTML_MIME in formats and PLAIN_MIME in formats


def test_an_inline_formula_is_inline_and_its_text_is_dollars(converters: Converters) -> None:
    formats = clipboard.formula_word_formats(r"\sqrt{2}", False, converters, "linux")
    check_mathml_xml(formats[MATHML_MIME], False)
    assert formats[PLAIN_MIME] == b"$\\sqrt{2}$"
    assert b'display="block"' not in formats[HTML_MIME]


def test_a_formula_katex_cannot_read_raises_a_sentence(converters: Converters) -> None:
    with pytest.raises(UserFacingError, match="not valid LaTeX"):
        clipboard.formula_word_formats(r"\frac{1}{2", False, converters, "linux")


def test_markdown_and_latex_are_plain_text_only() -> None:
    clipboard.put_on_clipboard(clipboard.text_mime(clipboard.formula_markdown(r"\frac12", True)))
    mime = read_back()
    assert mime.formats() == [PLAIN_MIME]
    assert mime.text() == "$$\\frac12$$"
    assert clipboard.formula_markdown("  x^2 ", False) == "$x^2$"
    aligned = "\\begin{aligned} a &= b \\\\\n c &= d \\end{aligned}"
    assert clipboard.formula_markdown(aligned, True) == f"$$\n{aligned}\n$$"


def test_markdown_text_writes_every_delimiter_style_as_dollars() -> None:
    text = (
        "Let \\(x = 2\\), so \\[x^2 = 4\\] and \\boxed{4}.\n"
        "\\begin{align*} a &= 1 \\end{align*}\n"
        "A price of $5 and $10 stays, `$code$` stays, and $\\frac{1}{2 stays as written."
    )
    assert clipboard.markdown_text(text) == (
        "Let $x = 2$, so $$x^2 = 4$$ and $\\boxed{4}$.\n"
        "$$\\begin{align*} a &= 1 \\end{align*}$$\n"
        "A price of $5 and $10 stays, `$code$` stays, and $\\frac{1}{2 stays as written."
    )


def test_unicode_plain_text(converters: Converters) -> None:
    assert converters.unicode_text(r"x^2 + \sqrt{2} \le \frac{1}{2}") == "x² + √2 ≤ ½"
    assert converters.unicode_text(r"\begin{pmatrix} 1 & 2 \\ 3 & 4 \end{pmatrix}") is None


SOLUTION = TurnText(
    question="Solve $2x + 3 = 7$ (免费 homework).",
    steps=[
        StepText("start", "Subtract 3:\n\\[2x = 4\\]\nthen divide by $2$."),
        StepText("reflect", "Check: $2 \\cdot 2 + 3 = 7$. **Correct.**"),
        StepText("explore", "- one way $a$\n- another $$b$$"),
        StepText("continue", ""),
    ],
    answer="2",
)


def test_the_solution_as_markdown() -> None:
    assert clipboard.solution_markdown(SOLUTION) == (
        "**Problem**\n\nSolve $2x + 3 = 7$ (免费 homework).\n\n"
        "Subtract 3:\n$$2x = 4$$\nthen divide by $2$.\n\n"
        "*Checking the work*\n\nCheck: $2 \\cdot 2 + 3 = 7$. **Correct.**\n\n"
        "*Trying another way*\n\n- one way $a$\n- another $$b$$\n\n"
        "**Answer**\n\n$$2$$\n"
    )


def test_the_solution_for_word_is_paragraphs_with_inline_math(converters: Converters) -> None:
    word = clipboard.solution_word_html(SOLUTION, converters.word_mathml)
    assert word.failed == ()
    markdown = clipboard.solution_markdown(SOLUTION)
    clipboard.put_on_clipboard(clipboard.word_html_mime(word, markdown))
    mime = read_back()
    assert mime.text() == markdown
    parsed = check_word_html(mime.html(), allow_text=True)
    tags = [tag for tag, _ in parsed.tags]
    assert tags.count("math") == 7  # the question's, 3 in the steps, a, b and the answer
    body = mime.html()
    # The display formula of the first step has a paragraph of its own, split out of its sentence.
    assert "<p>Subtract 3:</p><p><math" in body
    assert 'display="block"' in body.split("then divide")[0].rsplit("<p>", 1)[0]
    # No-break spaces beside inline math (Word drops plain ones there).
    assert "Solve\u00a0<math" in body and "</math>\u00a0(免费 homework)" in body
    assert "<strong>Correct.</strong>" in body and "<em>Checking the work</em>" in body
    assert "免费" in "".join(parsed.text)


def test_a_formula_that_fails_stays_as_its_source_and_is_named(converters: Converters) -> None:
    steps = [StepText("start", "Unbalanced $\\frac{1}{2$ and fine $x$.")]
    word = clipboard.solution_word_html(TurnText("", steps, "\\sqrt{"), converters.word_mathml)
    assert word.failed == ("\\frac{1}{2", "\\sqrt{")
    check_word_html(word.document(), allow_text=True)
    assert "$\\frac{1}{2$" in word.body and "$$\\sqrt{$$" in word.body
    assert word.body.count("<math") == 1


def test_injection_in_model_text_never_becomes_markup(converters: Converters) -> None:
    steps = [StepText("start", traces.INJECTION)]
    word = clipboard.solution_word_html(
        TurnText("<script>alert(1)</script>", steps, None), converters.word_mathml
    )
    parsed = check_word_html(word.document(), allow_text=True)
    assert "<script>alert(1)</script>" in "".join(parsed.text)  # as text
    assert not [tag for tag, _ in parsed.tags if tag in ("script", "img", "iframe", "a", "details")]


def test_a_ten_thousand_character_formula(converters: Converters) -> None:
    latex = traces.long_formula().split("$$")[1]
    assert len(latex) > 10_000
    formats = clipboard.formula_word_formats(latex, True, converters, "linux")
    root = check_mathml_xml(formats[MATHML_MIME], True)
    assert len(root.findall(f".//{{{MATHML_NS}}}mfrac")) > 500
    assert formats[PLAIN_MIME].decode() == f"$${latex}$$"


def test_chinese_text_in_a_formula(converters: Converters) -> None:
    formats = clipboard.formula_word_formats(r"\text{面积} = \pi r^2", True, converters, "win32")
    root = check_mathml_xml(formats[WINDOWS_MATHML_MIME], True)
    assert "面积" in "".join(root.itertext())
    assert "面积" in formats[HTML_MIME].decode("utf-8")


def test_a_picture_is_an_image_on_the_clipboard() -> None:
    from PySide6.QtCore import QBuffer, QIODevice
    from PySide6.QtGui import QColor, QImage

    image = QImage(40, 20, QImage.Format.Format_ARGB32)
    image.fill(QColor("white"))
    image.setPixelColor(5, 5, QColor("black"))
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    clipboard.put_on_clipboard(clipboard.picture_mime(bytes(buffer.data().data())))
    mime = read_back()
    assert mime.hasImage()
    assert (mime.imageData().width(), mime.imageData().height()) == (40, 20)
    with pytest.raises(ValueError):
        clipboard.picture_mime(b"not a png")
