"""Reading KaTeX's MathML into a plain element tree, and writing XML that is always well-formed.

Both converters (`mathml`, `omml`) and the Unicode writer read MathML through `parse_mathml`: the
namespace is taken off the tag names (KaTeX writes one namespace only), HTML's named entities are read
as the characters they stand for, and a tree deeper than `MAX_DEPTH` is refused with a sentence rather
than exhausting Python's recursion. What goes out is written by `element_xml`, which escapes `<`, `&`,
`>` and quotes and drops the few characters XML 1.0 cannot hold at all, so no input can make invalid XML.
"""

from __future__ import annotations

import html.entities
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator

from satori_desktop.core.errors import UserFacingError

MATHML_NS = "http://www.w3.org/1998/Math/MathML"

# Deeper than any formula a person writes (a fraction inside a root inside a script is 6 or so levels),
# and shallow enough that the converters' recursion stays far from Python's limit.
MAX_DEPTH = 120

_XML_ENTITIES = frozenset({"lt", "gt", "amp", "quot", "apos"})
_ENTITY_RE = re.compile(r"&([A-Za-z][A-Za-z0-9]*);")
# Not allowed anywhere in an XML 1.0 document, not even as a character reference.
_INVALID_XML_CHARS_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def local_name(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _named_entity(match: re.Match[str]) -> str:
    name = match.group(1)
    if name in _XML_ENTITIES:
        return match.group(0)
    char = html.entities.html5.get(name + ";")
    return escape_text(char) if char is not None else "&amp;" + name + ";"


def parse_mathml(mathml: str) -> ET.Element:
    """The `<math>` element of `mathml` (KaTeX's, with or without its `<span class="katex">`), tags
    without namespace. Raises `UserFacingError` for text that is not MathML or is nested too deeply."""
    text = _ENTITY_RE.sub(_named_entity, _INVALID_XML_CHARS_RE.sub("", mathml.strip()))
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise UserFacingError(
            f"The MathML is not well-formed XML ({exc}): check where it came from."
        ) from None
    for element in root.iter():
        element.tag = local_name(element.tag)
        for key in [key for key in element.attrib if key.startswith("{")]:
            element.attrib[local_name(key)] = element.attrib.pop(key)
    math = root if root.tag == "math" else next(root.iter("math"), None)
    if math is None:
        raise UserFacingError("The text holds no <math> element: give MathML, such as KaTeX's output.")
    check_depth(math)
    return math


def check_depth(root: ET.Element) -> None:
    """Raise `UserFacingError` when the tree is deeper than `MAX_DEPTH` (iteratively: no recursion)."""
    stack: list[tuple[ET.Element, int]] = [(root, 1)]
    while stack:
        element, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise UserFacingError(
                f"The formula is nested more than {MAX_DEPTH} levels deep, too deep to convert: simplify it."
            )
        stack.extend((child, depth + 1) for child in element)


def presentation_children(element: ET.Element) -> list[ET.Element]:
    """The children of `element`, with `<semantics>` replaced by its presentation part and annotations
    left out."""
    children: list[ET.Element] = []
    for child in element:
        if child.tag == "semantics":
            first = next((c for c in child if not c.tag.startswith("annotation")), None)
            if first is not None:
                children.append(first)
        elif not child.tag.startswith("annotation"):
            children.append(child)
    return children


def is_glue_cell(cell: ET.Element) -> bool:
    """An empty cell KaTeX adds for layout only: the sides of a `\\tag`ged or numbered equation
    (`width="50%"`, `class="mtr-glue"`) and the empty slot of an equation number (`mml-eqn-num`)."""
    if cell.tag != "mtd" or len(cell) or (cell.text or "").strip():
        return False
    return cell.get("class", "").strip() in ("mtr-glue", "mml-eqn-num") or cell.get("width") == "50%"


def table_cells(table: ET.Element) -> list[list[ET.Element]]:
    """The rows of an `mtable` as lists of `mtd`, KaTeX's layout-only cells left out (empty rows too)."""
    rows = [
        [cell for cell in presentation_children(row) if cell.tag == "mtd" and not is_glue_cell(cell)]
        for row in presentation_children(table)
        if row.tag in ("mtr", "mlabeledtr")
    ]
    return [row for row in rows if row]


def text_of(element: ET.Element) -> str:
    """All the text inside `element`, annotations left out."""
    return "".join(_texts(element))


def _texts(element: ET.Element) -> Iterator[str]:
    if element.tag.startswith("annotation"):
        return
    if element.text:
        yield element.text
    for child in element:
        yield from _texts(child)
        if child.tail and element.tag in ("mtext", "mi", "mn", "mo", "ms"):
            yield child.tail


def xml_chars(text: str) -> str:
    return _INVALID_XML_CHARS_RE.sub("", text)


def escape_text(text: str) -> str:
    return xml_chars(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def escape_attr(value: str) -> str:
    return (
        escape_text(value)
        .replace('"', "&quot;")
        .replace("\n", "&#10;")
        .replace("\r", "&#13;")
        .replace("\t", "&#9;")
    )


def start_tag(tag: str, attrs: dict[str, str] | None = None, *, empty: bool = False) -> str:
    attributes = "".join(f' {name}="{escape_attr(value)}"' for name, value in (attrs or {}).items())
    return f"<{tag}{attributes}{'/' if empty else ''}>"


def element_xml(tag: str, attrs: dict[str, str] | None = None, content: str = "") -> str:
    """`<tag attrs>content</tag>` (content already XML), or `<tag attrs/>` when there is none."""
    if not content:
        return start_tag(tag, attrs, empty=True)
    return f"{start_tag(tag, attrs)}{content}</{tag}>"
