"""KaTeX's MathML cleaned into the MathML Word reads (and LibreOffice Math imports).

Word's MathML reader (on paste from `text/html`, the "MathML" clipboard format, or plain text starting
with `<math`) turns presentation MathML into a native equation, but it is picky
(`../shared/notes/copy-into-documents.md`, "Word hygiene"):
- no `<semantics>`/`<annotation>` wrapper (KaTeX writes one, with the TeX inside);
- exactly one `<math>` root, with `xmlns="http://www.w3.org/1998/Math/MathML"`, and `display="block"` for
  a display equation (no attribute for inline, the default);
- no invisible operators (U+2061-U+2064) inside scripts: `\\lim_{x\\to0}` gives `<munder><mrow><mi>lim</mi>
  <mo>&#x2061;</mo></mrow>...`, which Word shows as a stray box;
- no-break spaces, not plain ones, at the edges of `<mtext>` (Word trims plain ones: "if x" becomes "ifx").

The tree is rewritten from scratch (`xml_tree.element_xml`), never pasted through as a string, so the
output is well-formed XML whatever came in, and it carries no attribute a browser would act on (class,
style, id, href, on...): MathML that lands in an HTML clipboard can never become live HTML.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from satori_desktop.documents.xml_tree import (
    MATHML_NS,
    element_xml,
    escape_text,
    is_glue_cell,
    parse_mathml,
    presentation_children,
    start_tag,
    text_of,
)

INVISIBLE_OPERATORS = frozenset("\u2061\u2062\u2063\u2064")
_SCRIPT_ELEMENTS = frozenset({"msub", "msup", "msubsup", "munder", "mover", "munderover", "mmultiscripts"})
_TOKEN_ELEMENTS = frozenset({"mi", "mn", "mo", "mtext", "ms"})
# Presentation attributes Word and LibreOffice read; everything else (class, style, id, href, event
# handlers, KaTeX's own data) stays behind.
_KEPT_ATTRIBUTES = frozenset(
    {
        "mathvariant", "stretchy", "fence", "separator", "accent", "accentunder", "largeop", "movablelimits",
        "symmetric", "minsize", "maxsize", "lspace", "rspace", "form", "linethickness", "bevelled",
        "numalign", "denomalign", "notation", "width", "height", "depth", "voffset", "linebreak",
        "scriptlevel", "displaystyle", "mathcolor", "mathbackground", "mathsize", "columnalign",
        "rowalign", "columnspacing", "rowspacing", "columnlines", "rowlines", "frame", "framespacing",
        "equalrows", "equalcolumns", "rowspan", "columnspan", "align", "open", "close", "separators",
    }
)  # fmt: skip
# MathML's presentation elements; anything else becomes an <mrow> of its children (or <mtext> of its
# text), so no foreign element (an HTML <script>, say) ever passes through.
MATHML_ELEMENTS = frozenset(
    {
        "mi", "mn", "mo", "mtext", "ms", "mspace", "mglyph", "mrow", "mfrac", "msqrt", "mroot", "mstyle",
        "merror", "mpadded", "mphantom", "mfenced", "menclose", "msub", "msup", "msubsup", "munder", "mover",
        "munderover", "mmultiscripts", "mprescripts", "none", "mtable", "mtr", "mlabeledtr", "mtd",
        "maligngroup", "malignmark", "mstack", "mlongdiv", "msgroup", "msrow", "mscarries", "mscarry",
        "msline", "maction",
    }
)  # fmt: skip
XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'


def word_mathml(katex_mathml: str, display: bool) -> str:
    """One `<math>` element Word takes as an equation, from KaTeX's MathML (`ui.katex_mathml`)."""
    math = parse_mathml(katex_mathml)
    attrs = {"xmlns": MATHML_NS}
    if display:
        attrs["display"] = "block"
    content = "".join(_element(child, in_script=False) for child in presentation_children(math))
    return element_xml("math", attrs, content) if content else f'<math xmlns="{MATHML_NS}"></math>'


def mathml_document(mathml: str) -> bytes:
    """`mathml` as a UTF-8 XML document (what LibreOffice Math's "Import MathML from Clipboard" and the
    Windows "MathML" clipboard format take)."""
    return (XML_DECLARATION + mathml).encode("utf-8")


def _element(element: ET.Element, *, in_script: bool) -> str:
    tag = element.tag
    if tag not in MATHML_ELEMENTS:
        if len(element) == 0:
            return f"<mtext>{escape_text(_nbsp_edges(text_of(element)))}</mtext>" if text_of(element) else ""
        tag = "mrow"
    if tag == "mo" and in_script and element.text and set(element.text.strip()) <= INVISIBLE_OPERATORS:
        return ""
    attrs = {name: value for name, value in element.attrib.items() if name in _KEPT_ATTRIBUTES}
    prefix = ""
    if tag in _TOKEN_ELEMENTS and len(element):
        # KaTeX's \overset and \stackrel put an <mover> inside an <mo>; Word takes tokens of text only.
        if (element.text or "").strip():
            prefix = f"<{tag}>{escape_text(element.text or '')}</{tag}>"
        tag, attrs = "mrow", {}
    if tag in _TOKEN_ELEMENTS:
        text = element.text or ""
        if in_script:
            text = "".join(char for char in text if char not in INVISIBLE_OPERATORS)
        if tag == "mtext":
            text = _nbsp_edges(text)
        # A token has text only; an empty one stays (an empty <mo> is a deliberate nothing).
        return f"{start_tag(tag, attrs)}{escape_text(text)}</{tag}>"
    script = in_script or tag in _SCRIPT_ELEMENTS
    children = [child for child in presentation_children(element) if not is_glue_cell(child)]
    content = prefix + "".join(_element(child, in_script=script) for child in children)
    if tag in ("mspace", "none", "mprescripts", "malignmark", "maligngroup"):
        return element_xml(tag, attrs)
    return f"{start_tag(tag, attrs)}{content}</{tag}>"


def _nbsp_edges(text: str) -> str:
    stripped = text.strip(" ")
    if not stripped:
        return "\u00a0" * len(text)
    lead = len(text) - len(text.lstrip(" "))
    trail = len(text) - len(text.rstrip(" "))
    return "\u00a0" * lead + stripped + "\u00a0" * trail
