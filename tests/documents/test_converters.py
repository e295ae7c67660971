"""The converters on the constructs a worked solution uses, through the real KaTeX (QJSEngine): the Word
MathML is clean and well-formed, the OMML has the structure Word builds for each construct."""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from collections.abc import Callable

import pytest

from satori_desktop.core.errors import UserFacingError
from satori_desktop.documents.mathml import mathml_document, word_mathml
from satori_desktop.documents.omml import mathml_to_omml
from tests.documents.conftest import MATHML_NS, OMML_NS, omml_tags, omml_values

Katex = Callable[[str, bool], str]

# (LaTeX, OMML elements that must be there, m:chr/begChr/endChr values that must be there)
CONSTRUCTS: list[tuple[str, set[str], dict[str, list[str]]]] = [
    (r"\frac{a+1}{b}", {"m:f", "m:num", "m:den"}, {}),
    (r"\dfrac12 + \tfrac34", {"m:f"}, {}),
    (r"\sqrt[3]{x}", {"m:rad", "m:deg", "m:e"}, {}),
    (r"\sqrt{x+1}", {"m:rad", "m:degHide"}, {}),
    (r"x_i^2", {"m:sSubSup", "m:sub", "m:sup"}, {}),
    (r"x_i + y^2", {"m:sSub", "m:sSup"}, {}),
    (r"\sum_{k=1}^{n} k", {"m:nary", "m:sub", "m:sup"}, {"chr": ["∑"], "limLoc": ["undOvr"]}),
    (r"\int_0^1 f(x)\,dx", {"m:nary"}, {"chr": ["∫"], "limLoc": ["subSup"]}),
    (r"\prod_{i=1}^{n} i", {"m:nary"}, {"chr": ["∏"]}),
    (r"\lim_{x\to 0} \frac{\sin x}{x}", {"m:func", "m:fName"}, {}),
    (r"\begin{pmatrix}1&2\\3&4\end{pmatrix}", {"m:d", "m:m", "m:mr"}, {"begChr": ["("], "endChr": [")"]}),
    (r"\begin{bmatrix}a&b\\c&d\end{bmatrix}", {"m:d", "m:m"}, {"begChr": ["["], "endChr": ["]"]}),
    (r"\begin{vmatrix}a&b\\c&d\end{vmatrix}", {"m:d", "m:m"}, {"begChr": ["|"], "endChr": ["|"]}),
    (
        r"f(x)=\begin{cases} 1 & x>0 \\ 0 & \text{otherwise}\end{cases}",
        {"m:d", "m:m", "m:nor"},
        {"begChr": ["{"], "endChr": [""]},
    ),
    (r"\begin{aligned} a&=b\\ c&=d \end{aligned}", {"m:m", "m:mcJc"}, {"mcJc": ["right", "left"]}),
    (r"\boxed{x=2}", {"m:borderBox"}, {}),
    (r"\text{if } x>0", {"m:nor"}, {}),
    (r"\left(\frac{a}{b}\right)", {"m:d", "m:f"}, {"begChr": ["("], "endChr": [")"]}),
    (r"\hat{x}", {"m:acc"}, {"chr": ["\u0302"]}),
    (r"\vec{v}", {"m:acc"}, {"chr": ["\u20d7"]}),
    (r"\bar{y}", {"m:acc"}, {"chr": ["\u0305"]}),
    (r"\overline{AB}", {"m:bar"}, {"pos": ["top"]}),
    (r"\underline{AB}", {"m:bar"}, {"pos": ["bot"]}),
    (r"\binom{n}{k}", {"m:d", "m:f", "m:type"}, {"type": ["noBar"], "begChr": ["("]}),
    (r"\sin^2 x + \cos^2 x = 1", {"m:func", "m:sSup"}, {}),
    (r"\underbrace{a+b}_{n}", {"m:groupChr", "m:limLow"}, {"chr": ["⏟"]}),
    (r"\mathbb{R}^n", {"m:scr"}, {"scr": ["double-struck"]}),
    (r"\phantom{x}y", {"m:phant"}, {}),
    (r"\cancel{x}", {"m:borderBox", "m:strikeBLTR"}, {}),
    (r"a \overset{!}{=} b \stackrel{def}{=} c", {"m:limUpp", "m:lim"}, {}),
    (r"\oint_C \vec F\cdot d\vec r", {"m:nary"}, {"chr": ["∮"]}),
    (r"\int\limits_0^1 x\,dx", {"m:nary"}, {"chr": ["∫"], "limLoc": ["undOvr"]}),
    (r"\max_{x \in A} f(x)", {"m:func"}, {}),
    (r"\log_2 x", {"m:func", "m:sSub"}, {}),
]


@pytest.mark.parametrize(("latex", "elements", "values"), CONSTRUCTS, ids=[c[0] for c in CONSTRUCTS])
@pytest.mark.parametrize("display", [True, False], ids=["display", "inline"])
def test_construct_converts(
    katex: Katex, latex: str, elements: set[str], values: dict[str, list[str]], display: bool
) -> None:
    raw = katex(latex, display)
    assert raw.startswith("<math") and raw.endswith("</math>")

    mathml = word_mathml(raw, display)
    root = ET.fromstring(mathml)
    assert root.tag == f"{{{MATHML_NS}}}math"
    assert (root.get("display") == "block") is display
    names = {element.tag.split("}")[1] for element in root.iter()}
    assert not names & {"semantics", "annotation", "annotation-xml"}
    assert sum(1 for element in root.iter() if element.tag.endswith("}math")) == 1

    omml = mathml_to_omml(raw, display)
    tags = omml_tags(omml)
    assert tags[0] == ("m:oMathPara" if display else "m:oMath")
    if display:
        assert tags[1] == "m:oMath"
    assert f'xmlns:m="{OMML_NS}"' in omml
    assert elements <= set(tags), f"missing {elements - set(tags)} in {omml}"
    for tag, expected in values.items():
        if tag == "limLoc" and not display:
            continue  # inline, a sum's limits are scripts (subSup), as LaTeX sets them
        found = omml_values(omml, tag)
        for value in expected:
            assert value in found, f"m:{tag} {value!r} not in {found}: {omml}"
    # The clean MathML converts to the same OMML as KaTeX's own.
    assert mathml_to_omml(mathml, display) == omml


def test_lim_is_a_function_with_its_limit_below(katex: Katex) -> None:
    display = omml_tags(mathml_to_omml(katex(r"\lim_{x\to 0} f(x)", True), True))
    assert display[display.index("m:func") :][:3] == ["m:func", "m:fName", "m:limLow"]
    inline = omml_tags(mathml_to_omml(katex(r"\lim_{x\to 0} f(x)", False), False))
    assert inline[inline.index("m:func") :][:3] == ["m:func", "m:fName", "m:sSub"]  # as LaTeX sets it


def test_not_equal_is_one_character(katex: Katex) -> None:
    root = ET.fromstring(mathml_to_omml(katex(r"a \not= b", False), False))
    assert "".join(root.itertext()) == "a≠b"  # "=" + U+0338 composed


def test_tagged_and_numbered_equations_are_not_matrices(katex: Katex) -> None:
    tagged = mathml_to_omml(katex(r"\tag{1} x=1", True), True)
    assert "m:m>" not in tagged and "".join(ET.fromstring(tagged).itertext()) == "x=1\u2003\u2003(1)"
    numbered = mathml_to_omml(katex(r"\begin{equation} a+b \end{equation}", True), True)
    assert "m:m>" not in numbered and "".join(ET.fromstring(numbered).itertext()) == "a+b"
    mathml = word_mathml(katex(r"\begin{align} a &= b \end{align}", True), True)
    assert mathml.count("<mtd>") == 2  # KaTeX's layout-only cells are gone


def test_a_cell_opening_with_a_relation_has_something_before_it(katex: Katex) -> None:
    # LibreOffice draws "¿" for a relation with nothing on its left (seen in its PDF); an empty text run
    # stands there, which Word draws as nothing.
    omml = mathml_to_omml(katex(r"\begin{aligned} a&=b \end{aligned}", True), True)
    assert "<m:e><m:r><m:rPr><m:nor/></m:rPr><m:t></m:t></m:r><m:r><m:t>=</m:t></m:r>" in omml


def test_sum_operand_stops_at_the_relation(katex: Katex) -> None:
    omml = mathml_to_omml(katex(r"\sum_{k=1}^{n} k = \frac{n(n+1)}{2}", True), True)
    root = ET.fromstring(omml)
    nary = root.find(f".//{{{OMML_NS}}}nary")
    assert nary is not None
    operand = nary.find(f"{{{OMML_NS}}}e")
    assert operand is not None
    assert "".join(operand.itertext()) == "k"
    # The = and the fraction follow the sum, outside it (npm mathml2omml loses this =).
    assert "".join(root.itertext()).endswith("=n(n+1)2")


def test_integral_operand_runs_to_the_differential(katex: Katex) -> None:
    root = ET.fromstring(mathml_to_omml(katex(r"\int_0^1 x^2\,dx + 1", True), True))
    operand = root.find(f".//{{{OMML_NS}}}nary/{{{OMML_NS}}}e")
    assert operand is not None
    assert "".join(operand.itertext()).replace("\u2009", "") == "x2dx"


def test_aligned_columns_are_right_then_left_with_no_gap(katex: Katex) -> None:
    omml = mathml_to_omml(katex(r"\begin{aligned} 2x+1&=5\\ x&=2 \end{aligned}", True), True)
    assert omml_values(omml, "mcJc") == ["right", "left"]
    assert omml_values(omml, "cGp") == ["0"]
    root = ET.fromstring(omml)
    rows = root.findall(f".//{{{OMML_NS}}}mr")
    assert [["".join(cell.itertext()) for cell in row] for row in rows] == [["2x+1", "=5"], ["x", "=2"]]


def test_text_keeps_its_spaces_and_less_than_is_escaped(katex: Katex) -> None:
    omml = mathml_to_omml(katex(r"\text{if } x<0 \text{ and } y", False), False)
    assert '<m:t xml:space="preserve">if </m:t>' in omml
    assert '<m:t xml:space="preserve"> and </m:t>' in omml
    assert "<m:t>&lt;</m:t>" in omml
    ET.fromstring(omml)
    mathml = word_mathml(katex(r"\text{if } x<0", False), False)
    assert "<mo>&lt;</mo>" in mathml
    assert "<mtext>if\u00a0</mtext>" in mathml  # a no-break space: Word trims plain ones


def test_mtext_edges_get_no_break_spaces() -> None:
    raw = f'<math xmlns="{MATHML_NS}"><mtext> a b </mtext></math>'
    assert word_mathml(raw, False) == f'<math xmlns="{MATHML_NS}"><mtext>\u00a0a b\u00a0</mtext></math>'


def test_no_invisible_operators_inside_scripts(katex: Katex) -> None:
    raw = katex(r"\lim_{x\to 0} \sin^2 x", True)
    assert "\u2061" in raw
    mathml = word_mathml(raw, True)
    root = ET.fromstring(mathml)
    for script in root.iter():
        if script.tag.split("}")[1] in ("msub", "msup", "msubsup", "munder", "mover", "munderover"):
            assert not any(set("\u2061\u2062\u2063\u2064") & set(text) for text in script.itertext())


def test_word_mathml_drops_what_a_browser_would_act_on() -> None:
    raw = (
        f'<math xmlns="{MATHML_NS}"><mrow class="x" onclick="alert(1)" href="javascript:x">'
        '<script>alert(1)</script><mi style="color:red" mathvariant="bold">x</mi></mrow></math>'
    )
    mathml = word_mathml(raw, False)
    assert "script" not in mathml.replace("<mtext>alert(1)</mtext>", "")
    for word in ("onclick", "href", "style", "class"):
        assert word not in mathml
    assert '<mi mathvariant="bold">x</mi>' in mathml
    ET.fromstring(mathml)


def test_mathml_document_has_the_declaration(katex: Katex) -> None:
    document = mathml_document(word_mathml(katex(r"\frac12", True), True))
    assert document.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<math xmlns=')
    ET.fromstring(document)


def test_unknown_elements_keep_their_text() -> None:
    raw = f'<math xmlns="{MATHML_NS}"><mrow><mglyph alt="g"/><mfoo>a&lt;b</mfoo><mi>x</mi></mrow></math>'
    omml = mathml_to_omml(raw, False)
    root = ET.fromstring(omml)
    assert "".join(root.itertext()) == "a<bx"
    ET.fromstring(word_mathml(raw, False))


def test_not_mathml_is_a_sentence() -> None:
    for text in ("", "not xml <", "<p>no math here</p>"):
        with pytest.raises(UserFacingError):
            mathml_to_omml(text, False)
        with pytest.raises(UserFacingError):
            word_mathml(text, False)


def test_html_entities_are_read() -> None:
    raw = f'<math xmlns="{MATHML_NS}"><mtext>a&nbsp;b&amp;c</mtext></math>'
    assert word_mathml(raw, False).endswith("<mtext>a\u00a0b&amp;c</mtext></math>")


def test_katex_parse_error_says_where(katex: Katex) -> None:
    with pytest.raises(UserFacingError, match=r"not valid LaTeX at its end \(") as info:
        katex(r"\frac{1}{", True)
    assert "\n" not in str(info.value)
    with pytest.raises(UserFacingError, match=r"not valid LaTeX at character 3 \(.*\$.*\): correct it"):
        katex(r"x+$5", True)


def test_katex_takes_chinese_emoji_and_stray_surrogates(katex: Katex) -> None:
    assert "中文" in katex(r"\text{中文}", False)
    assert "😀" in katex(r"\text{😀}", False)
    ET.fromstring(word_mathml(katex("x\ud800", False), False))


def test_a_long_formula_converts(katex: Katex) -> None:
    latex = "+".join(f"x_{{{k}}}^{{2}}" for k in range(1000))  # about 10,000 characters
    assert len(latex) > 9000
    raw = katex(latex, True)
    ET.fromstring(word_mathml(raw, True))
    assert omml_tags(mathml_to_omml(raw, True)).count("m:sSubSup") == 1000


def test_too_long_a_formula_is_a_sentence(katex: Katex) -> None:
    with pytest.raises(UserFacingError, match="characters long"):
        katex("x+" * 20_000, True)


def test_rendering_takes_milliseconds(katex: Katex) -> None:
    katex("x", False)  # the engine loads once
    formulas = [latex for latex, _, _ in CONSTRUCTS]
    started = time.perf_counter()
    for latex in formulas:
        mathml_to_omml(katex(latex, True), True)
    per_formula = (time.perf_counter() - started) / len(formulas)
    assert per_formula < 0.05, f"{per_formula * 1000:.1f} ms per formula"
