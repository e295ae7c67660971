"""LaTeX to KaTeX's own MathML (and HTML), in Python, without a web page.

Every way out of the app into a document (the clipboard's Word MathML, the .docx writer's OMML, the plain
text with Unicode math, the `convert` command) starts from the same parse of the formula that the
transcript shows: KaTeX's. Loading a Chromium page to ask it would cost a second and a web view per call;
instead `PySide6.QtQml.QJSEngine` (Qt's own JavaScript engine, already part of the bundle) evaluates the
app's `katex.min.js` once and then typesets a formula in about a millisecond.

`KatexMathml.render(latex, display)` returns KaTeX's `<math>` element as it is (with its
`<semantics>`/`<annotation>` wrapper, which `satori_desktop.documents.mathml.word_mathml` strips for Word).
A formula KaTeX cannot parse raises `UserFacingError` with one sentence saying where it is broken.

A `QJSEngine` belongs to the thread that made it, so the shared instance behind `katex_mathml()` is one
per thread. It needs a `QCoreApplication`; where none exists yet (the command line) one is created: code
that wants a full `QApplication` (web views, the clipboard) must create it before the first call.
"""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path
from typing import Literal

from PySide6.QtCore import QCoreApplication, QLoggingCategory
from PySide6.QtQml import QJSEngine, QJSValue

from satori_desktop.core.errors import UserFacingError
from satori_desktop.documents.mathml import mathml_document, word_mathml
from satori_desktop.documents.omml import mathml_to_omml
from satori_desktop.documents.unicode_math import mathml_to_unicode
from satori_desktop.ui.transcript.assets import MISSING_ASSETS_MESSAGE, katex_root

KatexOutput = Literal["mathml", "html"]

# Longer than any formula a model writes; KaTeX's time grows with the length, and a page of junk pasted by
# mistake should get a sentence rather than a pause.
MAX_FORMULA_CHARS = 20_000

# KaTeX's own guards: `maxSize` caps user-specified sizes (em), `maxExpand` the macro expansions (a
# recursive \def would otherwise never end).
_RENDER_FUNCTION = """
(function (tex, display, output) {
  try {
    return {ok: katex.renderToString(tex, {
      output: output, displayMode: display, throwOnError: true, strict: "ignore", trust: false,
      maxSize: 50, maxExpand: 1000, globalGroup: false})};
  } catch (err) {
    var isParseError = err instanceof katex.ParseError;
    return {error: String((err && (err.rawMessage || err.message)) || err), parse: isParseError,
            position: (err && typeof err.position === "number") ? err.position : -1};
  }
})
"""

_OUTER_SPAN_RE = re.compile(r"^<span class=\"katex\">(?P<math><math[\s>].*</math>)</span>$", re.DOTALL)


def _clean_input(latex: str) -> str:
    """The formula as JavaScript can take it: lone surrogates (never valid text) become U+FFFD."""
    return latex.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


class KatexMathml:
    """The app's KaTeX in a `QJSEngine`, loaded on first use. Use it from one thread only."""

    def __init__(self, script: Path | None = None) -> None:
        self._script = script
        self._engine: QJSEngine | None = None
        self._render: QJSValue | None = None
        self.load_seconds: float | None = None

    def render(self, latex: str, display: bool) -> str:
        """KaTeX's `<math>` element for `latex` (display or inline), or `UserFacingError`."""
        markup = self._render_to_string(latex, display, "mathml")
        match = _OUTER_SPAN_RE.match(markup)
        if match is None:  # a KaTeX that wraps its output differently: keep only the <math> element
            start, end = markup.find("<math"), markup.rfind("</math>")
            if start < 0 or end < 0:
                raise UserFacingError("KaTeX returned no MathML for this formula; please report it.")
            return markup[start : end + len("</math>")]
        return match.group("math")

    def render_html(self, latex: str, display: bool) -> str:
        """KaTeX's HTML output (`<span class="katex">...`), for a page that has katex.min.css."""
        return self._render_to_string(latex, display, "html")

    def _render_to_string(self, latex: str, display: bool, output: KatexOutput) -> str:
        if len(latex) > MAX_FORMULA_CHARS:
            raise UserFacingError(
                f"The formula is {len(latex):,} characters long, more than the {MAX_FORMULA_CHARS:,} "
                "that can be converted: split it into smaller formulas."
            )
        render = self._render_function()
        source = _clean_input(latex)
        result = render.call([QJSValue(source), QJSValue(bool(display)), QJSValue(output)])
        if result.isError():  # what the try/catch cannot catch (the engine ran out of stack, say)
            raise UserFacingError(
                f"The formula could not be typeset ({result.toString()}): simplify it and try again."
            )
        ok = result.property("ok")
        if ok.isString():
            return ok.toString()
        message = result.property("error").toString()
        position = result.property("position").toInt()
        if result.property("parse").toBool():
            # KaTeX counts from 0; a person counts characters from 1.
            where = "" if position < 0 else f" at character {position + 1}"
            if position >= len(source):
                where = " at its end"
            message = message.rstrip(". ")
            raise UserFacingError(
                f"The formula is not valid LaTeX{where} ({message}): correct it and try again."
            )
        raise UserFacingError(f"The formula could not be typeset ({message}): simplify it and try again.")

    def _render_function(self) -> QJSValue:
        if self._render is not None:
            return self._render
        started = time.perf_counter()
        if QCoreApplication.instance() is None:
            QCoreApplication(["satori-desktop"])  # kept alive by Qt as the process's application
        # KaTeX's bundle reads a few `var`s before their declaration; QJSEngine warns about every one.
        QLoggingCategory.setFilterRules("qt.qml.usedbeforedeclared=false")
        path = self._script or katex_root() / "katex.min.js"
        try:
            source = path.read_text(encoding="utf-8")
        except OSError:
            raise UserFacingError(MISSING_ASSETS_MESSAGE) from None
        engine = QJSEngine()
        loaded = _evaluate(engine, "var window = this; var self = this;\n" + source, str(path))
        if loaded.isError() or not engine.globalObject().property("katex").isObject():
            raise UserFacingError(
                f"The app's copy of KaTeX ({path}) did not load ({loaded.toString()}): reinstall the app."
            )
        self._engine = engine
        render = _evaluate(engine, _RENDER_FUNCTION, "render.js")
        self._render = render
        self.load_seconds = time.perf_counter() - started
        return render


def _evaluate(engine: QJSEngine, program: str, file_name: str) -> QJSValue:
    # PySide6's stubs declare the (value, stack trace) pair of the overload with an out-parameter.
    result: object = engine.evaluate(program, file_name)
    value = result[0] if isinstance(result, tuple) else result
    assert isinstance(value, QJSValue)
    return value


_shared = threading.local()


def shared_katex() -> KatexMathml:
    """This thread's `KatexMathml` (a QJSEngine may only be used by the thread that made it)."""
    instance = getattr(_shared, "katex", None)
    if instance is None:
        instance = _shared.katex = KatexMathml()
    return instance


def katex_mathml(latex: str, display: bool) -> str:
    """KaTeX's `<math>` for `latex` (semantics wrapper included), through this thread's shared engine."""
    return shared_katex().render(latex, display)


def latex_to_word_mathml(latex: str, display: bool) -> str:
    """The MathML Word reads (no semantics wrapper, one namespaced `<math>` root)."""
    return word_mathml(katex_mathml(latex, display), display)


def latex_to_mathml_document(latex: str, display: bool) -> bytes:
    """The Word MathML as a UTF-8 XML document, for the "MathML"/application/mathml+xml clipboard formats."""
    return mathml_document(latex_to_word_mathml(latex, display))


def latex_to_omml(latex: str, display: bool) -> str:
    """Office Math (OMML) for `latex`: `<m:oMath>`, or `<m:oMathPara>` around it when `display`."""
    return mathml_to_omml(katex_mathml(latex, display), display)


def latex_to_unicode(latex: str) -> str | None:
    """Plain text with Unicode math (x² + √2), or None where that would not be faithful (matrices...)."""
    return mathml_to_unicode(katex_mathml(latex, False))
