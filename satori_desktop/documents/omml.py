"""KaTeX's MathML to Office Math (OMML), the equations inside a .docx, written here in Python.

Why our own converter (`../shared/notes/copy-into-documents.md`, section 3, measured on the constructs a
worked solution uses):
- mathml2omml on PyPI (0.0.2) drops column alignment, loses the radicand of a boxed formula and declares
  no `m:` namespace; the npm one (0.5.0, LGPL) writes an unescaped `<` (invalid XML for `x<0`), loses the
  `=` after a `\\sum` and the spaces of `\\text`; Microsoft's MML2OMML.XSL has an unclear licence.
- pandoc (texmath) converts best, but it is GPL and about 170 MB: too much for an installer whose budget
  is counted in megabytes, and a second LaTeX parser that may read a formula differently from the KaTeX
  the transcript shows.
- KaTeX's MathML is a small, regular vocabulary (the shapes are listed below), so a converter of a few
  hundred lines of stdlib `xml.etree` covers it, and its output is checked element by element in
  tests/documents.

What comes from KaTeX, and what it becomes:
- tokens `mi`/`mn`/`mo` become runs (`m:r`); a multi-letter or `mathvariant="normal"` `mi` is upright
  (`m:sty p`), bold/double-struck/fraktur/script/sans/monospace become `m:sty`/`m:scr`; `mtext` is normal
  text (`m:nor`) with its spaces kept (`xml:space="preserve"`); `mspace` becomes Unicode spaces of about
  its width;
- `mfrac` becomes `m:f` (`linethickness="0"`, as in `\\binom`, is `m:type noBar`); `msqrt`/`mroot`
  become `m:rad` (with `m:degHide` or `m:deg`); `msub`/`msup`/`msubsup` become `m:sSub`/`m:sSup`/
  `m:sSubSup`;
- a large operator (∑ ∏ ∫ ∮ ⋃ ...) bare or with scripts becomes `m:nary` with `m:chr` and `m:limLoc`
  (`undOvr` for `munderover`, `subSup` for scripts), and its operand (`m:e`) is what follows it up to the
  next relation, `+`/`−` or comma at the same level; a function name followed by U+2061 (`\\sin x`,
  `\\lim_{x\\to0} f`) becomes `m:func`, `\\lim`'s limit an `m:limLow` in its name; other `munder`/`mover`
  are `m:limLow`/`m:limUpp`;
- accents (`mover accent="true"`: `\\hat`, `\\vec`, `\\bar`, `\\dot`, `\\tilde` ...) become `m:acc` with the
  combining character; `\\overline`/`\\underline` become `m:bar`; `\\overbrace`/`\\underbrace` `m:groupChr`;
- an `mrow` opened or closed by `<mo fence="true">` (`\\left( ... \\right)`, pmatrix, bmatrix, vmatrix,
  `\\binom`, cases) becomes `m:d` with `m:begChr`/`m:endChr` (cases: `{` and an empty end), middle fences
  of one kind `m:sepChr`;
- `mtable` becomes `m:m` with one `m:mcJc` per column from `columnalign`. Aligned environments (aligned,
  align*, cases) are matrices too, not `m:eqArr`: `m:eqArr` aligns each row at one point only, while
  `aligned` may have several right/left column pairs, and KaTeX already says each column's alignment;
  a matrix with right/left columns and no gap between them is exactly what LaTeX draws (pandoc makes the
  same choice). Empty cells hide Word's placeholder box (`m:plcHide`);
- `menclose` (`\\boxed`, `\\fbox`, `\\cancel`) becomes `m:borderBox` (strikes and hidden sides as noted);
  `mstyle`, `mpadded` pass their content through; `mphantom` becomes `m:phant` (not shown).
Anything else keeps its text as a run, so nothing is lost silently and nothing crashes. Every string goes
out through `xml_tree`'s escaping, so the output is always well-formed XML.

KaTeX's layout-only table cells (the sides of `\\tag` and `equation`) are left out, and a one-cell table
is its content (the tag after two em spaces). A row that opens with a relation (an aligned cell "=5")
gets an empty text run first: LibreOffice draws "¿" for a relation with nothing on its left.

Approximate: `\\tfrac`/`\\dfrac` sizes (Word sizes a fraction by where it sits), colours, `\\tag` (a gap,
not Word's equation number), widths of `mspace`, `array` rules (`|`, `\\hline`), `mmultiscripts` (its
scripts as plain runs), `menclose` notations other than box and strikes (a box).
"""

from __future__ import annotations

import re
import unicodedata
import xml.etree.ElementTree as ET
from collections.abc import Sequence

from satori_desktop.core.errors import UserFacingError
from satori_desktop.documents.xml_tree import (
    element_xml,
    escape_text,
    parse_mathml,
    presentation_children,
    table_cells,
    text_of,
)

OMML_NS = "http://schemas.openxmlformats.org/officeDocument/2006/math"

LARGE_OPERATORS = frozenset("∑∏∐∫∬∭∮∯∰∱∲∳⨌⋀⋁⋂⋃⨀⨁⨂⨄⨆")
_INTEGRALS = frozenset("∫∬∭∮∯∰∱∲∳⨌")
FUNCTION_APPLICATION = "\u2061"
_INVISIBLE = frozenset("\u2061\u2062\u2063\u2064")
# Where the operand of a ∑ or ∫ ends: relations, additive operators and punctuation at the same level.
_OPERAND_STOPS = frozenset("=≠<>≤≥≦≧≈≡≢∼≃≅≪≫∝→←↔⇒⇐⇔⟹⟸⟺↦∈∉∋⊂⊃⊆⊇⊊⊋≺≻⪯⪰⊥∥∣+-−±∓,;:")
_RELATIONS = frozenset("=≠<>≤≥≦≧≈≡≢∼≃≅≪≫∝→←↔⇒⇐⇔⟹⟸⟺↦∈∉∋⊂⊃⊆⊇⊊⊋≺≻⪯⪰⊥∥∣:")
_EMPTY_TEXT_RUN = "<m:r><m:rPr><m:nor/></m:rPr><m:t></m:t></m:r>"
_SCRIPTED = frozenset({"msub", "msup", "msubsup", "munder", "mover", "munderover"})
_TOKENS = frozenset({"mi", "mn", "mo", "mtext", "ms"})
_PASS_THROUGH = frozenset({"mrow", "mstyle", "mpadded", "merror", "maction", "semantics", "mfenced"})

# KaTeX writes accents as spacing characters; OMML's m:acc takes the combining one.
_COMBINING_ACCENTS = {
    "^": "\u0302", "ˆ": "\u0302", "\u0302": "\u0302",
    "ˇ": "\u030c", "\u030c": "\u030c",
    "~": "\u0303", "˜": "\u0303", "\u0303": "\u0303",
    "ˉ": "\u0305", "¯": "\u0305", "\u0304": "\u0304", "\u0305": "\u0305",
    "˙": "\u0307", "\u0307": "\u0307",
    "¨": "\u0308", "\u0308": "\u0308",
    "˘": "\u0306", "\u0306": "\u0306",
    "´": "\u0301", "ˊ": "\u0301", "\u0301": "\u0301",
    "`": "\u0300", "ˋ": "\u0300", "\u0300": "\u0300",
    "˚": "\u030a", "∘": "\u030a", "\u030a": "\u030a",
    "→": "\u20d7", "⃗": "\u20d7", "←": "\u20d6", "↔": "\u20e1",
    "⃛": "\u20db",
}  # fmt: skip
_BARS = frozenset("‾¯_―—─\u0305")
_GROUP_CHARS = frozenset("⏞⏟⏜⏝⎴⎵")
_SCRIPT_VARIANTS = {
    "double-struck": "double-struck",
    "fraktur": "fraktur",
    "bold-fraktur": "fraktur",
    "script": "script",
    "bold-script": "script",
    "sans-serif": "sans-serif",
    "bold-sans-serif": "sans-serif",
    "sans-serif-italic": "sans-serif",
    "sans-serif-bold-italic": "sans-serif",
    "monospace": "monospace",
}
_STYLE_VARIANTS = {
    "normal": "p",
    "bold": "b",
    "italic": "i",
    "bold-italic": "bi",
    "bold-fraktur": "b",
    "bold-script": "b",
    "bold-sans-serif": "b",
    "sans-serif-bold-italic": "bi",
    "sans-serif-italic": "i",
}
_LENGTH_RE = re.compile(r"^\s*(-?[\d.]+)\s*(em|ex|px|pt|mu)?\s*$")


def mathml_to_omml(mathml: str, display: bool) -> str:
    """OMML for one formula: `<m:oMath>`, inside `<m:oMathPara>` when `display`; `m:` is declared on the
    outer element. `mathml` is KaTeX's MathML (semantics wrapper or not) or `word_mathml`'s."""
    math = parse_mathml(mathml)
    try:
        body = _row(presentation_children(math))
    except RecursionError:  # a chain of thousands of ∑ each taking the rest as operand
        raise UserFacingError(
            "The formula is nested too deeply to convert to Office Math: simplify it."
        ) from None
    xmlns = {"xmlns:m": OMML_NS}
    if display:
        return element_xml("m:oMathPara", xmlns, _tag("m:oMath", body, keep_empty=True))
    return element_xml("m:oMath", xmlns, body)


# --- the pieces of OMML ------------------------------------------------------------------------------


def _tag(tag: str, content: str = "", *, keep_empty: bool = False) -> str:
    if not content and not keep_empty:
        return ""
    return element_xml(tag, None, content)


def _val(tag: str, value: str) -> str:
    return element_xml(tag, {"m:val": value})


def _run(text: str, *, sty: str | None = None, scr: str | None = None, normal_text: bool = False) -> str:
    text = "".join(char for char in text if char not in _INVISIBLE)
    if not text:
        return ""
    props = ""
    if normal_text:
        props = element_xml("m:nor")
    else:
        props = (_val("m:scr", scr) if scr else "") + (_val("m:sty", sty) if sty else "")
    preserve = {"xml:space": "preserve"} if text != text.strip() else None
    rpr = _tag("m:rPr", props)
    return f"<m:r>{rpr}{element_xml('m:t', preserve, escape_text(text))}</m:r>"


def _e(content: str) -> str:
    return _tag("m:e", content, keep_empty=True)


# --- rows: where operands of ∑, ∫ and functions are found --------------------------------------------


def _row(elements: Sequence[ET.Element]) -> str:
    out: list[str] = []
    items = [el for el in elements if not _is_invisible(el)]
    raw = list(elements)
    applied = {id(raw[k]) for k in range(len(raw) - 1) if _is_function_application(raw[k + 1])}
    i = 0
    while i < len(items):
        element = items[i]
        nary = _nary_parts(element)
        if nary is not None:
            end = _operand_end(items, i + 1)
            out.append(_nary(*nary, operand=_row(items[i + 1 : end])))
            i = end
            continue
        if id(element) in applied or _limit_function(element) is not None or _scripted_name(element):
            end = _function_argument_end(items, i + 1)
            if end == i + 1 and _limit_function(element) is None:
                out.append(_convert(element, upright_names=True))  # a name with nothing to apply to
            else:
                out.append(_func(element, _row(items[i + 1 : end])))
            i = end
            continue
        out.append(_convert(element))
        i += 1
    row = "".join(out)
    if row.startswith("<m:r><m:t>") and row[len("<m:r><m:t>") : len("<m:r><m:t>") + 1] in _RELATIONS:
        # A row that opens with a relation (an aligned cell "=5", KaTeX's `{}=`): LibreOffice draws "¿"
        # for the missing left side unless something stands there; an empty text run is nothing in Word.
        row = _EMPTY_TEXT_RUN + row
    return row


def _is_invisible(element: ET.Element) -> bool:
    return element.tag == "mo" and bool(element.text) and set((element.text or "").strip()) <= _INVISIBLE


def _is_function_application(element: ET.Element) -> bool:
    """U+2061 after a name (`<mi>sin</mi><mo>U+2061</mo>`): the name applies to what follows."""
    return element.tag == "mo" and FUNCTION_APPLICATION in (element.text or "")


def _scripted_name(element: ET.Element) -> bool:
    """`\\sin^2` (`<msup><mrow><mi>sin</mi><mo>U+2061</mo></mrow><mn>2</mn></msup>`): a function name
    with a script, which Word writes as the name of an `m:func`."""
    if element.tag not in ("msub", "msup", "msubsup") or len(element) < 2:
        return False
    return _function_name(element[0]) is not None


def _limit_function(element: ET.Element) -> ET.Element | None:
    """For `\\lim_{x\\to0}` (`<munder><mrow><mi>lim</mi><mo>U+2061</mo></mrow>...`), the name's `mi`."""
    if element.tag not in ("munder", "mover", "munderover") or len(element) < 2:
        return None
    return _function_name(element[0])


def _function_name(base: ET.Element) -> ET.Element | None:
    """The `mi` of a function name KaTeX wraps for its scripts: `<mrow><mi>lim</mi><mo>U+2061</mo></mrow>`,
    or `<mrow><mi>lim</mi></mrow>` once `word_mathml` took the U+2061 out of the script."""
    if base.tag != "mrow":
        return None
    children = [child for child in base if not _is_invisible(child)]
    if len(children) != 1 or children[0].tag != "mi" or len((children[0].text or "").strip()) < 2:
        return None
    return children[0]


def _operand_end(items: list[ET.Element], start: int) -> int:
    end = start
    while end < len(items):
        element = items[end]
        if element.tag == "mo" and (element.text or "").strip() in _OPERAND_STOPS:
            break
        if element.tag == "mtext" and any(char.isalpha() for char in text_of(element)):
            break
        end += 1
    return end


def _function_argument_end(items: list[ET.Element], start: int) -> int:
    """The argument of a function: the next element, or a whole `( ... )` that opens right after it."""
    if start >= len(items):
        return start
    first = items[start]
    if first.tag == "mo" and (first.text or "").strip() in "([{" and (first.text or "").strip():
        opening = (first.text or "").strip()
        closing = {"(": ")", "[": "]", "{": "}"}[opening]
        depth = 0
        for k in range(start, len(items)):
            text = (items[k].text or "").strip() if items[k].tag == "mo" else ""
            if text == opening:
                depth += 1
            elif text == closing:
                depth -= 1
                if depth == 0:
                    return k + 1
        return start + 1
    if _nary_parts(first) is not None:
        return _operand_end(items, start + 1)
    return start + 1


# --- large operators and functions ---------------------------------------------------------------------


def _large_operator(element: ET.Element) -> str | None:
    if element.tag != "mo":
        return None
    text = (element.text or "").strip()
    return text if len(text) == 1 and text in LARGE_OPERATORS else None


def _nary_parts(element: ET.Element) -> tuple[str, str, ET.Element | None, ET.Element | None] | None:
    """(operator, limLoc, lower, upper) when `element` is a large operator, bare or with limits."""
    char = _large_operator(element)
    if char is not None:
        return char, "subSup" if char in _INTEGRALS else "undOvr", None, None
    if element.tag not in _SCRIPTED or len(element) < 2:
        return None
    char = _large_operator(element[0])
    if char is None:
        return None
    location = "undOvr" if element.tag.startswith("mu") or element.tag == "mover" else "subSup"
    children = list(element)
    if element.tag in ("msub", "munder"):
        return char, location, children[1], None
    if element.tag in ("msup", "mover"):
        return char, location, None, children[1]
    return char, location, children[1], children[2] if len(children) > 2 else None


def _nary(
    char: str, location: str, lower: ET.Element | None, upper: ET.Element | None, *, operand: str
) -> str:
    props = _val("m:chr", char) + _val("m:limLoc", location)
    if lower is None:
        props += _val("m:subHide", "1")
    if upper is None:
        props += _val("m:supHide", "1")
    sub = _tag("m:sub", _content(lower) if lower is not None else "", keep_empty=True)
    sup = _tag("m:sup", _content(upper) if upper is not None else "", keep_empty=True)
    return f"<m:nary>{_tag('m:naryPr', props)}{sub}{sup}{_e(operand)}</m:nary>"


def _func(name: ET.Element, argument: str) -> str:
    limit_name = _limit_function(name)
    if limit_name is not None:
        children = list(name)
        shown = _run(text_of(limit_name), sty="p")
        if name.tag == "munderover" and len(children) > 2:
            lower = f"<m:limLow>{_e(shown)}{_tag('m:lim', _content(children[1]), keep_empty=True)}</m:limLow>"
            fname = f"<m:limUpp>{_e(lower)}{_tag('m:lim', _content(children[2]), keep_empty=True)}</m:limUpp>"
        else:
            tag = "m:limUpp" if name.tag == "mover" else "m:limLow"
            fname = f"<{tag}>{_e(shown)}{_tag('m:lim', _content(children[1]), keep_empty=True)}</{tag}>"
    else:
        fname = _convert(name, upright_names=True)
    return f"<m:func>{_tag('m:fName', fname, keep_empty=True)}{_e(argument)}</m:func>"


def _content(element: ET.Element) -> str:
    """One child as the content of a slot (a script, a numerator, a limit): through `_row`, so a lone
    `\\oint_C` or `\\lim_{n}` there is still an operator or a function."""
    return _row([element])


# --- one element -------------------------------------------------------------------------------------------


def _convert(element: ET.Element, *, upright_names: bool = False) -> str:
    tag = element.tag
    children = presentation_children(element)
    if tag in _TOKENS and children:
        # KaTeX's \overset and \stackrel put a whole <mover> inside an <mo>: its content, as a row.
        return _run(element.text or "") + _row(children)
    if tag == "mi":
        return _identifier(element, upright=upright_names)
    if tag == "mn":
        return _run(element.text or "")
    if tag == "mo":
        return _run(unicodedata.normalize("NFC", element.text or ""))  # \not= is "=" + U+0338: ≠
    if tag == "mtext":
        return _run((element.text or "").replace("\u00a0", " "), normal_text=True)
    if tag == "ms":
        return _run(f'"{element.text or ""}"', normal_text=True)
    if tag == "mspace":
        return _space(element)
    if tag == "mrow" or tag == "mfenced":
        return _mrow(element, children, upright_names=upright_names)
    if tag in _PASS_THROUGH:
        return _row(children)
    if tag == "mphantom":
        return f"<m:phant>{_tag('m:phantPr', _val('m:show', '0'))}{_e(_row(children))}</m:phant>"
    if tag == "mfrac" and len(children) == 2:
        return _fraction(element, children)
    if tag == "msqrt":
        props = _tag("m:radPr", _val("m:degHide", "1"))
        return f"<m:rad>{props}{_tag('m:deg', keep_empty=True)}{_e(_row(children))}</m:rad>"
    if tag == "mroot" and len(children) == 2:
        degree = _tag("m:deg", _content(children[1]), keep_empty=True)
        return f"<m:rad>{degree}{_e(_content(children[0]))}</m:rad>"
    if tag in _SCRIPTED and len(children) >= 2:
        return _scripted(element, children, upright_names=upright_names)
    if tag == "mtable":
        return _matrix(element)
    if tag == "menclose":
        return _enclosure(element, children)
    if tag in ("mtr", "mtd", "mlabeledtr"):
        return _row(children)
    # Unknown (mmultiscripts, mglyph, a future KaTeX's element): its text, as text.
    return _run(text_of(element), normal_text=True) if not children else _row(children)


def _identifier(element: ET.Element, *, upright: bool) -> str:
    text = (element.text or "").replace("\u2223", "|")  # |x|: KaTeX's U+2223 is Word's bar
    variant = element.get("mathvariant")
    scr = _SCRIPT_VARIANTS.get(variant or "")
    sty = _STYLE_VARIANTS.get(variant or "")
    if sty is None and scr is None and (upright or len(text.strip()) > 1):
        sty = "p"  # sin, lim, log, and \operatorname names: upright, as KaTeX draws them
    return _run(text, sty=sty, scr=scr)


def _space(element: ET.Element) -> str:
    if element.get("linebreak") == "newline":
        return ""
    width = _length_em(element.get("width", "0"))
    if width <= 0.05:
        return ""
    if width >= 0.9:
        return _run("\u2003" * max(1, round(width)))  # em spaces (\quad, \qquad)
    if width >= 0.25:
        return _run("\u2004")  # three-per-em: \; and \ (thick)
    if width >= 0.2:
        return _run("\u2005")  # four-per-em: \: (medium)
    return _run("\u2009")  # thin: \,


def _length_em(value: str) -> float:
    match = _LENGTH_RE.match(value)
    if match is None:
        return 0.0
    try:
        number = float(match.group(1))
    except ValueError:
        return 0.0
    unit = match.group(2) or "em"
    return number * {"em": 1.0, "ex": 0.43, "px": 1 / 16, "pt": 0.1, "mu": 1 / 18}[unit]


def _fraction(element: ET.Element, children: list[ET.Element]) -> str:
    thickness = element.get("linethickness", "")
    props = ""
    if thickness and _length_em(thickness) == 0 and _LENGTH_RE.match(thickness):
        props = _val("m:type", "noBar")
    elif element.get("bevelled") == "true":
        props = _val("m:type", "skw")
    num = _tag("m:num", _content(children[0]), keep_empty=True)
    den = _tag("m:den", _content(children[1]), keep_empty=True)
    return f"<m:f>{_tag('m:fPr', props)}{num}{den}</m:f>"


def _scripted(element: ET.Element, children: list[ET.Element], *, upright_names: bool) -> str:
    tag = element.tag
    base = _convert(children[0], upright_names=upright_names)
    if tag == "msub":
        return f"<m:sSub>{_e(base)}{_tag('m:sub', _content(children[1]), keep_empty=True)}</m:sSub>"
    if tag == "msup":
        return f"<m:sSup>{_e(base)}{_tag('m:sup', _content(children[1]), keep_empty=True)}</m:sSup>"
    if tag == "msubsup" and len(children) == 3:
        sub = _tag("m:sub", _content(children[1]), keep_empty=True)
        sup = _tag("m:sup", _content(children[2]), keep_empty=True)
        return f"<m:sSubSup>{_e(base)}{sub}{sup}</m:sSubSup>"
    if tag in ("mover", "munder"):
        return _over_under(element, children, base)
    if tag == "munderover" and len(children) == 3:
        lower = f"<m:limLow>{_e(base)}{_tag('m:lim', _content(children[1]), keep_empty=True)}</m:limLow>"
        return f"<m:limUpp>{_e(lower)}{_tag('m:lim', _content(children[2]), keep_empty=True)}</m:limUpp>"
    return _row(children)


def _over_under(element: ET.Element, children: list[ET.Element], base: str) -> str:
    over = element.tag == "mover"
    mark = children[1]
    mark_text = text_of(mark).strip() if mark.tag == "mo" else ""
    is_accent = element.get("accent" if over else "accentunder") == "true"
    if len(mark_text) == 1:
        if mark_text in _BARS:
            return f"<m:bar>{_tag('m:barPr', _val('m:pos', 'top' if over else 'bot'))}{_e(base)}</m:bar>"
        if mark_text in _GROUP_CHARS:
            props = _val("m:chr", mark_text) + _val("m:pos", "top" if over else "bot")
            props += _val("m:vertJc", "bot" if over else "top")
            return f"<m:groupChr>{_tag('m:groupChrPr', props)}{_e(base)}</m:groupChr>"
        if over and (is_accent or mark_text in _COMBINING_ACCENTS) and mark_text in _COMBINING_ACCENTS:
            props = _val("m:chr", _COMBINING_ACCENTS[mark_text])
            return f"<m:acc>{_tag('m:accPr', props)}{_e(base)}</m:acc>"
    tag = "m:limUpp" if over else "m:limLow"
    return f"<{tag}>{_e(base)}{_tag('m:lim', _content(mark), keep_empty=True)}</{tag}>"


# --- fences and matrices ---------------------------------------------------------------------------------


def _is_fence(element: ET.Element) -> bool:
    return element.tag == "mo" and (element.get("fence") == "true" or element.get("stretchy") == "true")


def _mrow(element: ET.Element, children: list[ET.Element], *, upright_names: bool) -> str:
    if element.tag == "mfenced":
        separator = (element.get("separators") or ",").strip()[:1]
        converted = [_convert(child) for child in children]
        return _delimited(element.get("open", "("), element.get("close", ")"), converted, separator)
    if len(children) >= 2 and (_is_fence(children[0]) or _is_fence(children[-1])):
        opening = children[0] if _is_fence(children[0]) else None
        closing = children[-1] if _is_fence(children[-1]) and children[-1] is not opening else None
        inner = children[1 if opening is not None else 0 : -1 if closing is not None else None]
        groups, separator = _split_at_middle_fences(inner)
        return _delimited(
            (opening.text or "").strip() if opening is not None else "",
            (closing.text or "").strip() if closing is not None else "",
            [_row(group) for group in groups],
            separator,
        )
    if len(children) == 1 and upright_names:
        return _convert(children[0], upright_names=True)
    return _row(children)


def _split_at_middle_fences(inner: list[ET.Element]) -> tuple[list[list[ET.Element]], str]:
    middles = {(el.text or "").strip() for el in inner if el.tag == "mo" and el.get("fence") == "true"}
    if len(middles) != 1:
        return [inner], ""
    separator = middles.pop()
    parts: list[list[ET.Element]] = [[]]
    for element in inner:
        if element.tag == "mo" and element.get("fence") == "true":
            parts.append([])
        else:
            parts[-1].append(element)
    return parts, separator


def _delimited(opening: str, closing: str, parts: list[str], separator: str) -> str:
    # KaTeX's | fences (vmatrix, \left|) are U+2223 (divides); Word's own are the bar itself.
    opening, closing, separator = (char.replace("\u2223", "|") for char in (opening, closing, separator))
    props = _val("m:begChr", opening)
    if separator and len(parts) > 1:
        props += _val("m:sepChr", separator)
    props += _val("m:endChr", closing)
    return f"<m:d>{_tag('m:dPr', props)}{''.join(_e(part) for part in parts)}</m:d>"


_COLUMN_JUSTIFICATION = {"left": "left", "right": "right", "center": "center"}


def _matrix(element: ET.Element) -> str:
    table = [[_row(presentation_children(cell)) for cell in row] for row in table_cells(element)]
    if not table:
        return ""
    if len(table) == 1 and (len(table[0]) == 1 or element.get("width") == "100%"):
        # One equation (`equation`, `\tag`, a 1 x 1 matrix): its content, and a tag after a gap.
        return _run("\u2003\u2003").join(table[0])
    columns = min(max(len(row) for row in table), 64)  # Word's limit on a matrix's columns
    alignments = (element.get("columnalign") or "center").split()
    justification = [
        _COLUMN_JUSTIFICATION.get(alignments[min(k, len(alignments) - 1)], "center") for k in range(columns)
    ]
    groups: list[tuple[str, int]] = []
    for value in justification:
        if groups and groups[-1][0] == value:
            groups[-1] = (value, groups[-1][1] + 1)
        else:
            groups.append((value, 1))
    mcs = "".join(
        _tag("m:mc", _tag("m:mcPr", _val("m:count", str(count)) + _val("m:mcJc", value)))
        for value, count in groups
    )
    props = _val("m:plcHide", "1")
    spacing = (element.get("columnspacing") or "").split()
    if spacing and all(_length_em(value) == 0 for value in spacing):
        props += _val("m:cGpRule", "3") + _val("m:cGp", "0")  # aligned: the column pairs touch
    props += _tag("m:mcs", mcs)
    body = "".join(
        _tag("m:mr", "".join(_e(cell) for cell in (row + [""] * columns)[:columns]), keep_empty=True)
        for row in table
    )
    return f"<m:m>{_tag('m:mPr', props)}{body}</m:m>"


_STRIKES = {
    "horizontalstrike": "m:strikeH",
    "verticalstrike": "m:strikeV",
    "updiagonalstrike": "m:strikeBLTR",
    "downdiagonalstrike": "m:strikeTLBR",
}
_SIDES = {"top": "m:hideTop", "bottom": "m:hideBot", "left": "m:hideLeft", "right": "m:hideRight"}


def _enclosure(element: ET.Element, children: list[ET.Element]) -> str:
    notations = set((element.get("notation") or "box").split())
    props = ""
    boxed = bool(notations & {"box", "roundedbox", "circle", "longdiv", "actuarial", "madruwb"})
    sides = notations & set(_SIDES)
    if not boxed:
        # Only strikes, or only some sides: hide the sides that are not asked for.
        props += "".join(_val(tag, "1") for side, tag in _SIDES.items() if side not in sides)
    props += "".join(_val(tag, "1") for name, tag in _STRIKES.items() if name in notations)
    return f"<m:borderBox>{_tag('m:borderBoxPr', props)}{_e(_row(children))}</m:borderBox>"
