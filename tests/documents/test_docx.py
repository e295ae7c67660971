"""The .docx export: a valid Office Open XML package whose every formula is an equation object (OMML),
checked in its XML and by a real consumer, LibreOffice headless (Debian's libreoffice-writer-nogui and
libreoffice-math-nogui), which must open each formula as a formula object. The OMML elements themselves
are the converter's tests (test_converters.py); these check that the document carries them."""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Callable
from io import BytesIO
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pytest

from satori_desktop.core.errors import UserFacingError
from satori_desktop.documents.docx import DOCX_MIME, solution_docx
from tests.documents.programs import pdf_pictures, pdf_text, run
from tests.documents.samples import (
    CONSTRUCT_FORMULAS,
    THINK_FORMULAS,
    constructs_solution,
    hostile_solution,
    think_solution,
)

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
M = "{http://schemas.openxmlformats.org/officeDocument/2006/math}"
M_NS = "http://schemas.openxmlformats.org/officeDocument/2006/math"
ALL_FORMULAS = CONSTRUCT_FORMULAS + 3  # the question's two and the answer's own equation


def fake_omml(tex: str, display: bool) -> str:
    """A stand-in converter: the TeX as one math run (the document's structure is under test here)."""
    if tex.count("{") != tex.count("}"):
        raise UserFacingError("The formula is not valid LaTeX.")
    math = f"<m:oMath><m:r><m:t>{escape(tex)}</m:t></m:r></m:oMath>"
    root = f"<m:oMathPara>{math}</m:oMathPara>" if display else math
    return root.replace(">", f' xmlns:m="{M_NS}">', 1)  # declared on the outer element, as the real one


def parts(data: bytes) -> dict[str, ET.Element]:
    with zipfile.ZipFile(BytesIO(data)) as package:
        assert package.testzip() is None
        names = package.namelist()
        assert names[0] == "[Content_Types].xml"
        return {name: ET.fromstring(package.read(name)) for name in names}


def test_the_package_is_complete_and_every_formula_an_equation() -> None:
    document = solution_docx(constructs_solution(), fake_omml)
    assert document.equations == ALL_FORMULAS and document.fallbacks == 0
    xml = parts(document.data)
    assert set(xml) == {
        "[Content_Types].xml",
        "_rels/.rels",
        "word/document.xml",
        "word/_rels/document.xml.rels",
        "word/styles.xml",
        "docProps/core.xml",
        "docProps/app.xml",
    }
    types = {o.get("PartName"): o.get("ContentType") for o in xml["[Content_Types].xml"]}
    assert types["/word/document.xml"] == DOCX_MIME + ".main+xml"
    targets = {r.get("Target") for r in xml["_rels/.rels"]}
    assert targets == {"word/document.xml", "docProps/core.xml", "docProps/app.xml"}
    body = xml["word/document.xml"]
    assert len(body.findall(f".//{M}oMath")) == ALL_FORMULAS
    display = body.findall(f".//{M}oMathPara")
    assert len(display) == 4  # the sum, the matrices, aligned, the answer; and none nested in a run
    for paragraph in body.iter(f"{W}p"):
        for para in paragraph.findall(f"{M}oMathPara"):
            assert [child.tag for child in paragraph if child.tag != f"{W}pPr"] == [f"{M}oMathPara"], para
    # The answer is the last equation, alone in its paragraph, after the "Answer" heading.
    paragraphs = list(body.iter(f"{W}p"))
    assert _text(paragraphs[-2]) == "Answer" and _style(paragraphs[-2]) == "Heading2"
    assert _text(paragraphs[-1].find(f".//{M}oMath")) == r"\boxed{x = 2 \text{ or } x = 3}"
    # Checking and exploring steps are set apart, under their label.
    labels = [_text(p) for p in paragraphs if _style(p) == "SatoriAsideLabel"]
    assert labels == ["Checking the work (reflect)", "Trying another way (explore)"]
    assert any("A price of $5 and $10" in _text(p) for p in paragraphs if _style(p) == "SatoriAside")
    styles = {s.get(f"{W}styleId") for s in xml["word/styles.xml"].iter(f"{W}style")}
    assert {"Normal", "Title", "Heading1", "Heading2", "SatoriAside", "SatoriAsideLabel"} <= styles
    assert xml["docProps/core.xml"].find("{http://purl.org/dc/elements/1.1/}title").text == "Every construct"


def test_a_thought_is_set_apart_as_an_aside_then_the_solution() -> None:
    document = solution_docx(think_solution(), fake_omml)
    assert document.equations == THINK_FORMULAS + 3 and document.fallbacks == 0
    paragraphs = list(parts(document.data)["word/document.xml"].iter(f"{W}p"))
    styled = [(_style(p), _text(p)) for p in paragraphs if _style(p) in ("SatoriAsideLabel", "Heading2")]
    assert styled == [("SatoriAsideLabel", "Thinking"), ("Heading2", "Solution"), ("Heading2", "Answer")]
    aside = [_text(p) for p in paragraphs if _style(p) == "SatoriAside"]
    assert aside[0].startswith("Okay, so I need") and any(p.startswith("Wait, let me check") for p in aside)
    assert not any(p.startswith("Factoring gives") for p in aside)


def test_paper_size_and_the_same_bytes_each_time() -> None:
    a4 = solution_docx(constructs_solution(), fake_omml)
    letter = solution_docx(constructs_solution(), fake_omml, paper="letter")
    sizes = [parts(d.data)["word/document.xml"].find(f".//{W}pgSz") for d in (a4, letter)]
    assert [(s.get(f"{W}w"), s.get(f"{W}h")) for s in sizes] == [("11906", "16838"), ("12240", "15840")]
    assert solution_docx(constructs_solution(), fake_omml).data == a4.data


def test_hostile_input_is_text_or_equations_never_markup() -> None:
    document = solution_docx(hostile_solution(), fake_omml)
    assert document.fallbacks >= 2  # the unbalanced formulas, written as their source
    body = parts(document.data)["word/document.xml"]
    tags = {element.tag.split("}")[-1] for element in body.iter()}
    assert tags <= {"document", "body", "p", "pPr", "pStyle", "ind", "r", "rPr", "rStyle", "b", "i", "t",
                    "br", "tab", "oMath", "oMathPara", "sectPr", "pgSz", "pgMar"}  # fmt: skip
    text = "".join(t.text or "" for t in body.iter(f"{W}t"))
    assert "</math><script>alert(1)</script>" in text and "\\input{/etc/passwd}" in text
    assert "中文：解方程" in text and "价格是 $5 and $10" in text


def test_the_real_converter_carries_every_construct(katex: Callable[[str, bool], str]) -> None:
    from satori_desktop.ui.katex_mathml import latex_to_omml

    document = solution_docx(constructs_solution(), latex_to_omml)
    assert document.equations == ALL_FORMULAS and document.fallbacks == 0
    body = parts(document.data)["word/document.xml"]
    present = {element.tag.replace(M, "m:") for element in body.iter() if element.tag.startswith(M)}
    expected = {"m:f", "m:rad", "m:deg", "m:sSub", "m:sSup", "m:sSubSup", "m:nary", "m:limLoc", "m:d", "m:m",
                "m:mcJc", "m:borderBox", "m:func"}  # fmt: skip
    assert expected <= present, expected - present
    brackets = {(d.find(f"{M}dPr/{M}begChr"), d.find(f"{M}dPr/{M}endChr")) for d in body.iter(f"{M}d")}
    delimiters = {(b.get(f"{M}val") if b is not None else None, e.get(f"{M}val") if e is not None else None)
                  for b, e in brackets}  # fmt: skip
    assert {("(", ")"), ("[", "]"), ("{", "")} <= delimiters  # pmatrix, bmatrix, cases
    jc = [c.get(f"{M}val") for c in body.iter(f"{M}mcJc")]
    assert "right" in jc and "left" in jc  # aligned's columns
    assert body.findall(f".//{M}oMathPara")[-1].find(f".//{M}borderBox") is not None  # the boxed answer


@pytest.mark.slow
def test_libreoffice_opens_each_formula_as_a_formula_object(katex: Any, tmp_path: Path) -> None:
    from satori_desktop.ui.katex_mathml import latex_to_omml

    for name, solution in (("constructs", constructs_solution()), ("hostile", hostile_solution())):
        document = solution_docx(solution, latex_to_omml)
        (tmp_path / f"{name}.docx").write_bytes(document.data)
        started = time.perf_counter()
        _soffice(tmp_path, "odt", f"{name}.docx")
        with zipfile.ZipFile(tmp_path / f"{name}.odt") as odt:
            content = odt.read("content.xml").decode("utf-8")
        assert content.count("<draw:object") == document.equations, name
        _soffice(tmp_path, "pdf", f"{name}.docx")
        assert time.perf_counter() - started < 120
        pdf = tmp_path / f"{name}.pdf"
        text = pdf_text(pdf)
        assert ("Checking the work" in text) if name == "constructs" else ("价格是 $5 and $10" in text)
        pdf_pictures(pdf, f"docx-{name}")


def _soffice(folder: Path, target: str, source: str) -> None:
    # A profile of its own in the test's folder: never the user's, and no first-start wizard.
    profile = (folder / "lo-profile").as_uri()
    run(["soffice", f"-env:UserInstallation={profile}", "--headless", "--convert-to", target, source], folder)
    assert (folder / Path(source).with_suffix(f".{target}").name).exists()


def _text(element: ET.Element | None) -> str:
    assert element is not None
    return "".join(t.text or "" for t in element.iter() if t.tag in (f"{W}t", f"{M}t"))


def _style(paragraph: ET.Element) -> str | None:
    style = paragraph.find(f"{W}pPr/{W}pStyle")
    return style.get(f"{W}val") if style is not None else None
