"""Property tests: whatever LaTeX-ish text a model writes, and whatever MathML-ish tree comes in, the
converters give well-formed XML (or, for KaTeX's parse errors, a UserFacingError), never a crash."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from satori_desktop.core.errors import UserFacingError
from satori_desktop.documents.mathml import word_mathml
from satori_desktop.documents.omml import mathml_to_omml
from satori_desktop.documents.unicode_math import mathml_to_unicode
from tests.documents.conftest import MATHML_NS

Katex = Callable[[str, bool], str]

PIECES = [
    r"\frac", r"\dfrac", r"\binom", r"\sqrt", r"\sqrt[3]", "{", "}", "{", "}", "^", "_", "[", "]", "(", ")",
    "&", r"\\", r"\begin{pmatrix}", r"\end{pmatrix}", r"\begin{aligned}", r"\end{aligned}",
    r"\begin{cases}", r"\end{cases}", r"\begin{bmatrix}", r"\end{bmatrix}", r"\left(", r"\right)",
    r"\left.", r"\right|", r"\middle|", r"\text{", r"\text{if }", r"\sum", r"\int", r"\prod", r"\lim",
    r"\limits", r"\sin", r"\log", r"\hat", r"\vec", r"\bar", r"\overline", r"\underline", r"\underbrace",
    r"\overbrace", r"\overset", r"\boxed", r"\cancel", r"\phantom", r"\mathbb", r"\mathbf",
    r"\operatorname", r"\color{red}", r"\tag{1}", r"\quad", r"\,", r"\pm", r"\le", r"\to", r"\infty",
    r"\pi", "x", "y", "2", "10", "+", "-", "=", "<", ">", "'", " ", "中", "😀", "$", "%", "#", "~",
    "</math>", "<script>", "&amp;", "\u2061", "\x00", "\ud800",
]  # fmt: skip

latex_ish = st.lists(st.sampled_from(PIECES), max_size=14).map("".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(latex=latex_ish, display=st.booleans())
def test_random_latex_converts_or_says_why(katex: Katex, latex: str, display: bool) -> None:
    try:
        raw = katex(latex, display)
    except UserFacingError as error:
        assert str(error) and "\n" not in str(error)
        return
    mathml = word_mathml(raw, display)
    root = ET.fromstring(mathml)
    assert root.tag == f"{{{MATHML_NS}}}math"
    assert "semantics" not in mathml and "<script" not in mathml
    ET.fromstring(mathml_to_omml(raw, display))
    ET.fromstring(mathml_to_omml(mathml, display))
    text = mathml_to_unicode(raw)
    assert text is None or isinstance(text, str)


TAGS = [
    "mi", "mn", "mo", "mtext", "mspace", "mrow", "mfrac", "msqrt", "mroot", "msub", "msup", "msubsup",
    "munder", "mover", "munderover", "mtable", "mtr", "mtd", "menclose", "mstyle", "mpadded", "mphantom",
    "mfenced", "semantics", "annotation", "mmultiscripts", "script", "div", "mglyph",
]  # fmt: skip
ATTRIBUTE_NAMES = [
    "fence", "stretchy", "accent", "linethickness", "columnalign", "notation", "width", "mathvariant",
    "onclick", "style", "columnspacing", "open", "close", "separators",
]  # fmt: skip
ATTRIBUTES = st.dictionaries(
    st.sampled_from(ATTRIBUTE_NAMES),
    st.sampled_from(["true", "false", "0", "0px", "box", "right left", "1em", "-2em", "bold", '"<&', ""]),
    max_size=3,
)
TEXT = st.text(alphabet=st.sampled_from(list("ax1+=(<&∑∫\u2061 \u00a0‾^中")), max_size=4)


def trees() -> st.SearchStrategy[Any]:
    leaf = st.tuples(st.sampled_from(TAGS), ATTRIBUTES, TEXT, st.just([]))
    return st.recursive(
        leaf,
        lambda children: st.tuples(st.sampled_from(TAGS), ATTRIBUTES, TEXT, st.lists(children, max_size=4)),
        max_leaves=30,
    )


def to_xml(node: Any) -> ET.Element:
    tag, attrs, text, children = node
    element = ET.Element(tag, attrs)
    element.text = text
    element.extend(to_xml(child) for child in children)
    return element


@settings(max_examples=400, deadline=None)
@given(body=st.lists(trees(), max_size=4), display=st.booleans())
def test_any_mathml_tree_gives_well_formed_output(body: list[Any], display: bool) -> None:
    math = ET.Element("math", {"xmlns": MATHML_NS})
    math.extend(to_xml(node) for node in body)
    source = ET.tostring(math, encoding="unicode")
    mathml = word_mathml(source, display)
    ET.fromstring(mathml)
    assert "onclick" not in mathml and "style=" not in mathml and "<script" not in mathml
    ET.fromstring(mathml_to_omml(source, display))
    ET.fromstring(mathml_to_omml(mathml, display))
    mathml_to_unicode(source)
