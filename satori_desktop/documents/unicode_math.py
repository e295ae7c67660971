"""A formula as plain text with Unicode math (x² + √2, ½, ≤, ∑ₖ₌₁ⁿ k), for "Copy as plain text".

It reads KaTeX's MathML, not the LaTeX source: KaTeX has already expanded the macros and settled what
`\\frac12`, `\\sqrt x`, `x^\\prime`, `\\operatorname{lcm}` or `\\mathbb R` mean, so this module only has to
write a tree it can trust, and it agrees with the transcript by construction (`ui.katex_mathml.
latex_to_unicode(latex)` runs KaTeX, then `mathml_to_unicode`).

What cannot be written faithfully gives None, and the caller falls back to the LaTeX: matrices, cases
and aligned equations (tables), `\\binom`, roots other than √ ∛ ∜ with an index Unicode has no superscript
for, braces over or under, `\\phantom`, and elements this module does not know. Scripts use Unicode's
superscript and subscript characters when every character has one (x², aₙ₊₁); otherwise `^(...)` and
`_(...)`, which a reader of plain text understands. Fractions of small numbers become vulgar fractions
(½, ¾); others `a/b`, with parentheses around a numerator or denominator of more than one term.
"""

from __future__ import annotations

import re
import unicodedata
import xml.etree.ElementTree as ET

from satori_desktop.core.errors import UserFacingError
from satori_desktop.documents.xml_tree import parse_mathml, presentation_children, table_cells, text_of

_SUPERSCRIPTS = dict(
    zip(
        "0123456789+-−=()abcdefghijklmnoprstuvwxyzABDEGHIJKLMNOPRTUVWαβγδεθιφχ′",
        "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁻⁼⁽⁾ᵃᵇᶜᵈᵉᶠᵍʰⁱʲᵏˡᵐⁿᵒᵖʳˢᵗᵘᵛʷˣʸᶻᴬᴮᴰᴱᴳᴴᴵᴶᴷᴸᴹᴺᴼᴾᴿᵀᵁⱽᵂᵅᵝᵞᵟᵋᶿᶥᵠᵡ′",
        strict=True,
    )
)
_SUBSCRIPTS = dict(
    zip("0123456789+-−=()aehijklmnoprstuvxβγρφχ", "₀₁₂₃₄₅₆₇₈₉₊₋₋₌₍₎ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓᵦᵧᵨᵩᵪ", strict=True)
)
_VULGAR_FRACTIONS = {
    ("1", "2"): "½", ("1", "3"): "⅓", ("2", "3"): "⅔", ("1", "4"): "¼", ("3", "4"): "¾",
    ("1", "5"): "⅕", ("2", "5"): "⅖", ("3", "5"): "⅗", ("4", "5"): "⅘", ("1", "6"): "⅙",
    ("5", "6"): "⅚", ("1", "7"): "⅐", ("1", "8"): "⅛", ("3", "8"): "⅜", ("5", "8"): "⅝",
    ("7", "8"): "⅞", ("1", "9"): "⅑", ("1", "10"): "⅒",
}  # fmt: skip
_COMBINING = {
    "^": "\u0302", "ˆ": "\u0302", "ˇ": "\u030c", "~": "\u0303", "˜": "\u0303", "ˉ": "\u0304",
    "¯": "\u0304", "‾": "\u0305", "˙": "\u0307", "¨": "\u0308", "˘": "\u0306", "´": "\u0301",
    "ˊ": "\u0301", "`": "\u0300", "ˋ": "\u0300", "˚": "\u030a", "→": "\u20d7", "⃗": "\u20d7",
}  # fmt: skip
# Operators written with a space either side: relations, binary operators, arrows.
_SPACED = frozenset("=≠<>≤≥≈≡≢∼≃≅≪≫∝→←↔⇒⇐⇔⟹⟸⟺↦∈∉⊂⊃⊆⊇+−-±∓×÷·⋅∘∪∩∧∨⊕⊗")
_AFTER_SPACE = frozenset(",;")
_LARGE = frozenset("∑∏∐∫∬∭∮⋀⋁⋂⋃⨀⨁⨂")
_VARIANT_NAMES = {
    "bold": "BOLD",
    "double-struck": "DOUBLE-STRUCK",
    "fraktur": "FRAKTUR",
    "script": "SCRIPT",
    "bold-script": "BOLD SCRIPT",
    "bold-fraktur": "BOLD FRAKTUR",
    "sans-serif": "SANS-SERIF",
    "bold-sans-serif": "SANS-SERIF BOLD",
    "monospace": "MONOSPACE",
}
_SPACES_RE = re.compile(r"[ \u00a0\u2000-\u200a\u202f\u205f]+")


class _NotPlain(Exception):
    """Raised inside the writer where plain text would not be faithful."""


def mathml_to_unicode(mathml: str) -> str | None:
    """Plain text for KaTeX's MathML of one formula, or None where Unicode cannot write it faithfully."""
    try:
        math = parse_mathml(mathml)
        text = _row(presentation_children(math))
    except (_NotPlain, RecursionError, UserFacingError):
        return None
    text = _SPACES_RE.sub(" ", unicodedata.normalize("NFC", text)).strip()
    return text or None


def _row(elements: list[ET.Element]) -> str:
    parts: list[str] = []
    previous: ET.Element | None = None
    for element in elements:
        piece = unicodedata.normalize("NFC", _convert(element))  # \not= is "=" + U+0338: ≠
        if element.tag == "mo" and piece.strip() in _SPACED and piece.strip():
            unary = previous is None or (previous.tag == "mo" and (previous.text or "").strip() in _SPACED)
            piece = piece.strip() if unary and piece.strip() in "+−-±∓" else f" {piece.strip()} "
        elif element.tag == "mo" and piece.strip() in _AFTER_SPACE and piece.strip():
            piece = piece.strip() + " "
        elif previous is not None and _takes_operand(previous) and piece and not _hugs(previous, piece):
            piece = " " + piece
        parts.append(piece)
        if not (element.tag == "mo" and not (element.text or "").strip()):
            previous = element
    return "".join(parts)


def _hugs(previous: ET.Element, piece: str) -> bool:
    """No space between: a bare function name and its bracket, lcm(a, b); lim_(x→0) (...) keeps one."""
    return piece[0] == " " or (piece[0] in "([" and previous.tag in ("mi", "mo"))


def _takes_operand(element: ET.Element) -> bool:
    """A name (sin, lim) or a large operator (∑, ∫), scripts and all: a space before what follows."""
    if element.tag == "mo" and "\u2061" in (element.text or ""):
        return True
    if element.tag in ("msub", "msup", "msubsup", "munder", "mover", "munderover") and len(element):
        return _is_operator_base(element[0])
    return _is_operator_base(element)


def _is_operator_base(element: ET.Element) -> bool:
    if element.tag == "mi":
        return len((element.text or "").strip()) > 1
    if element.tag == "mo":
        return (element.text or "").strip() in _LARGE
    if element.tag == "mrow":
        return any(child.tag == "mo" and "\u2061" in (child.text or "") for child in element) or (
            len(element) == 1 and _is_operator_base(element[0])
        )
    return False


def _convert(element: ET.Element) -> str:
    tag = element.tag
    children = presentation_children(element)
    if tag == "mi":  # KaTeX writes the | of |x| as U+2223 (divides); plain text has the bar itself
        return _styled((element.text or "").replace("\u2223", "|"), element.get("mathvariant"))
    if tag in ("mn", "mo"):
        text = "".join(char for char in (element.text or "") if char not in "\u2061\u2062\u2063\u2064")
        return text
    if tag == "mtext":
        return (element.text or "").replace("\u00a0", " ")
    if tag == "mspace":
        return " " if element.get("width", "0").strip() not in ("0", "0em", "") else ""
    if tag in ("mrow", "mstyle", "mpadded", "semantics"):
        return _row(children)
    if tag == "menclose":  # \boxed: the box is emphasis; its content is the text
        return _row(children)
    if tag == "mfrac" and len(children) == 2:
        return _fraction(element, children)
    if tag == "msqrt":
        return "√" + _radicand(_row(children), children)
    if tag == "mroot" and len(children) == 2:
        index = _convert(children[1])
        sign = {"3": "∛", "4": "∜"}.get(index.strip())
        if sign is None:
            sign = _script(index, _SUPERSCRIPTS, "^") + "√"
            if "^" in sign:
                raise _NotPlain
        return sign + _radicand(_convert(children[0]), [children[0]])
    if tag in ("msub", "msup", "msubsup") and len(children) >= 2:
        base = _convert(children[0])
        if tag == "msub":
            return base + _script(_convert(children[1]), _SUBSCRIPTS, "_")
        if tag == "msup":
            return base + _script(_convert(children[1]), _SUPERSCRIPTS, "^")
        if len(children) == 3:
            sub = _script(_convert(children[1]), _SUBSCRIPTS, "_")
            return base + sub + _script(_convert(children[2]), _SUPERSCRIPTS, "^")
    if tag in ("munder", "mover", "munderover") and len(children) >= 2:
        return _under_over(element, children)
    if tag == "mtable":
        return _single_equation(element)
    raise _NotPlain


def _single_equation(table: ET.Element) -> str:
    """A one-cell table (`equation`) as its content, a `\tag`ged one with its tag; other tables (matrices,
    cases, aligned) have no plain form."""
    rows = table_cells(table)
    if len(rows) != 1 or len(rows[0]) > (2 if table.get("width") == "100%" else 1):
        raise _NotPlain
    return "   ".join(_row(presentation_children(cell)) for cell in rows[0])


def _styled(text: str, variant: str | None) -> str:
    name = _VARIANT_NAMES.get(variant or "")
    if name is None:
        return text
    return "".join(_styled_char(char, name) for char in text)


def _styled_char(char: str, variant: str) -> str:
    if not char.isascii() or not char.isalnum():
        return char
    kind = "DIGIT" if char.isdigit() else ("CAPITAL" if char.isupper() else "SMALL")
    spelled = {"0": "ZERO", "1": "ONE", "2": "TWO", "3": "THREE", "4": "FOUR", "5": "FIVE", "6": "SIX"}
    spelled |= {"7": "SEVEN", "8": "EIGHT", "9": "NINE"}
    letter = spelled[char] if char.isdigit() else char.upper()
    for name in (f"MATHEMATICAL {variant} {kind} {letter}", f"{variant} {kind} {letter}"):
        try:
            return unicodedata.lookup(name)
        except KeyError:
            continue
    # Unicode's letterlike block holds the gaps (ℝ, ℕ, ℭ ...) under other names.
    short = {"DOUBLE-STRUCK": "DOUBLE-STRUCK", "FRAKTUR": "BLACK-LETTER", "SCRIPT": "SCRIPT"}.get(variant)
    if short is not None:
        for name in (f"{short} {kind} {letter}", f"{short} {letter}"):
            try:
                return unicodedata.lookup(name)
            except KeyError:
                continue
    return char


def _is_single_term(text: str, children: list[ET.Element]) -> bool:
    """One symbol, a number, or one identifier with scripts (x²): what √ or a / may stand next to."""
    if len(text) <= 1 or text.isdigit():
        return True
    one = len(children) == 1 and children[0].tag in ("mi", "mn", "msup", "msub", "msubsup")
    return one and not any(char in text for char in " /+−-")


def _radicand(text: str, children: list[ET.Element]) -> str:
    return text if _is_single_term(text, children) else f"({text})"


def _fraction(element: ET.Element, children: list[ET.Element]) -> str:
    thickness = element.get("linethickness", "")
    if thickness and thickness.rstrip("pxemt").strip() in ("0", "0.0"):
        raise _NotPlain  # \binom and friends
    num, den = _convert(children[0]).strip(), _convert(children[1]).strip()
    vulgar = _VULGAR_FRACTIONS.get((num, den))
    if vulgar is not None:
        return vulgar
    if not num or not den:
        raise _NotPlain
    return f"{_grouped(num, children[0])}/{_grouped(den, children[1])}"


_BRACKETED_RE = re.compile(r"\([^()]*\)|\[[^\[\]]*\]")


def _grouped(text: str, element: ET.Element) -> str:
    """`text` as a numerator or denominator: in parentheses when it has terms outside brackets."""
    outer = text
    while True:
        reduced = _BRACKETED_RE.sub("", outer)
        if reduced == outer:
            break
        outer = reduced
    if _is_single_term(text, [element]) or not any(char in outer for char in " +−-/"):
        return text
    return f"({text})"


def _script(text: str, table: dict[str, str], caret: str) -> str:
    text = _SPACES_RE.sub("", text)  # x→0 under a lim, not x → 0
    if text and all(char in table for char in text):
        return "".join(table[char] for char in text)
    if len(text) == 1:
        return f"{caret}{text}"
    return f"{caret}({text})"


def _under_over(element: ET.Element, children: list[ET.Element]) -> str:
    tag = element.tag
    base_element = children[0]
    base = _convert(base_element)
    is_operator = _is_operator_base(base_element)
    if tag == "mover" and not is_operator:
        mark = text_of(children[1]).strip()
        combining = _COMBINING.get(mark)
        if combining is None or not base.strip():
            raise _NotPlain  # \overbrace, \overset: no plain form
        if len(base.strip()) > 1 and combining not in ("\u0304", "\u0305"):
            raise _NotPlain  # \widehat{ABC} or \vec{AB} over each letter would say something else
        return "".join(char + combining if not char.isspace() else char for char in base)
    if tag == "munder" and not is_operator:
        mark = text_of(children[1]).strip()
        if mark in ("‾", "_", "¯"):
            return "".join(char + "\u0332" if not char.isspace() else char for char in base)
        raise _NotPlain
    # ∑ with limits, lim under its limit: written with scripts, as in running text.
    lower = _script(_convert(children[1]), _SUBSCRIPTS, "_")
    if tag == "munderover" and len(children) == 3:
        return base + lower + _script(_convert(children[2]), _SUPERSCRIPTS, "^")
    if tag == "mover":
        return base + _script(_convert(children[1]), _SUPERSCRIPTS, "^")
    return base + lower
