r"""The .tex export: formulas checked before they go in, text escaped, and the document compiled by the
real pdflatex (Debian's texlive packages; CJK through latex-cjk-chinese), hostile inputs included, with
shell escape off and TeX's file reading kept to its own trees."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest

from satori_desktop.documents.tex import checked_math, escape_text, solution_tex
from tests.documents.programs import pdf_pictures, pdf_text, run
from tests.documents.samples import (
    CONSTRUCT_FORMULAS,
    THINK_FORMULAS,
    constructs_solution,
    hostile_solution,
    think_solution,
)


@pytest.mark.parametrize(
    ("tex", "display", "expected"),
    [
        (r"\frac{a}{b} + \sqrt[3]{x}", False, r"\frac{a}{b} + \sqrt[3]{x}"),
        (
            r"\begin{align*} a &= b \\ c &= d \end{align*}",
            True,
            r"\begin{aligned} a &= b \\ c &= d \end{aligned}",
        ),
        (r"\begin{equation} E = mc^2 \end{equation}", True, "E = mc^2"),
        (r"a &= b \\ c &= d", True, r"\begin{aligned}a &= b \\ c &= d\end{aligned}"),
        (r"a \\ b", True, r"\begin{gathered}a \\ b\end{gathered}"),
        (r"\left( \frac{1}{2} \right)", False, r"\left( \frac{1}{2} \right)"),
        (r"x ≤ 5 \text{ 或 } α", False, r"x \le  5 \text{ \satoricjk{或} } \alpha"),
        (r"\R \to \mathbb{Z}", False, r"\R \to \mathbb{Z}"),
    ],
)
def test_formulas_that_compile_go_in_as_they_are(tex: str, display: bool, expected: str) -> None:
    assert checked_math(tex, display) == expected


@pytest.mark.parametrize(
    "tex",
    [
        r"\frac{1}{2",  # unbalanced
        r"a}}}",
        r"\begin{align*} x &= 1 \\ \end{aligned} \end{align*}",
        r"\left( a",
        r"\frac{1}",  # an argument missing
        r"\input{/etc/passwd}",
        r"\write18{touch pwned}",
        r"\immediate\write18{ls}",
        r"x^^5cinput{/etc/passwd}",  # ^^5c is a backslash to TeX
        r"\catcode`\@=11",
        r"\def\x{y}",
        r"a % comment",
        r"\text{a_b}",
        r"a & b",  # an alignment outside one, inline
        "{" * 100 + "x" + "}" * 100,
        r"\href{javascript:alert(1)}{x}",
        "x ☃ y",
    ],
)
def test_formulas_that_might_not_compile_are_refused(tex: str) -> None:
    assert checked_math(tex, False) is None


def test_text_is_escaped() -> None:
    assert escape_text(r"# $ % & _ { } ~ ^ \input{/etc/passwd}") == (
        r"\# \$ \% \& \_ \{ \} \textasciitilde{} \textasciicircum{} \textbackslash{}input\{/etc/passwd\}"
    )
    assert escape_text("价格 ≤ 5 — ☃") == r"\satoricjk{价格} \ensuremath{\le} 5 --- \texttt{[U+2603]}"


def test_the_document_of_every_construct_compiles_and_reads(tmp_path: Path) -> None:
    document = solution_tex(constructs_solution())
    assert document.formulas == CONSTRUCT_FORMULAS + 3 and document.verbatim == 0
    pdf = _compile(tmp_path, "constructs", document.source)
    text = pdf_text(pdf)
    assert "Every construct" in text and "Checking the work (reflect)" in text
    assert "A price of $5 and $10 is not math." in text
    pdf_pictures(pdf, "tex-constructs")


def test_a_thought_is_an_aside_and_compiles(tmp_path: Path) -> None:
    document = solution_tex(think_solution())
    assert document.formulas == THINK_FORMULAS + 3 and document.verbatim == 0
    body = document.source.split("\\begin{document}", 1)[1]
    assert "\\begin{satoriaside}{Thinking}" in body
    thought = body.split("\\begin{satoriaside}{Thinking}", 1)[1].split("\\end{satoriaside}", 1)[0]
    assert "Okay, so I need" in thought and "Wait, let me check" in thought
    assert "\\subsubsection*{Solution}" in body.split("\\end{satoriaside}", 1)[1]
    assert "Next step" not in body and "think" not in body.replace("Thinking", "")
    text = pdf_text(_compile(tmp_path, "think", document.source))
    assert "Thinking" in text and "Solution" in text and "Wait, let me check" in text


def test_hostile_input_compiles_without_reading_files_or_running_programs(tmp_path: Path) -> None:
    accepted = []
    document = solution_tex(hostile_solution(), accepts=lambda tex, display: accepted.append(tex) or True)
    source = document.source
    assert accepted  # the caller's check (KaTeX in the app) was asked
    assert document.verbatim >= 10, document.refused
    # No command of the model's survives into the document: each is printed, escaped.
    body = source.split("\\begin{document}", 1)[1]
    for command in ("input", "write18", "immediate", "catcode"):
        assert re.search(rf"(?<!textbackslash{{}})\\{command}\b", body) is None, command
    assert "^^" not in body
    pdf = _compile(tmp_path, "hostile", source)
    assert not (tmp_path / "pwned").exists()
    text = pdf_text(pdf)
    assert "\\input{/etc/passwd}" in text.replace("\n", "")  # shown, not read
    assert "root:" not in text
    assert "中文" in text and "价格是 $5 and $10" in text  # Chinese set with the CJK font; amounts as text
    pdf_pictures(pdf, "tex-hostile")


def _compile(folder: Path, name: str, source: str) -> Path:
    (folder / f"{name}.tex").write_text(source, encoding="utf-8")
    # openin_any=p: TeX may read only below the working folder and its own trees, not /etc.
    env = {**os.environ, "openin_any": "p", "openout_any": "p"}
    started = time.perf_counter()
    args = ["pdflatex", "-no-shell-escape", "-interaction=nonstopmode", "-halt-on-error", f"{name}.tex"]
    run(args, folder, env=env)
    log = (folder / f"{name}.log").read_text(encoding="utf-8", errors="replace")
    assert "! " not in log and "Missing character" not in log, log[-2000:]
    assert time.perf_counter() - started < 60
    pdf = folder / f"{name}.pdf"
    assert pdf.read_bytes()[:5] == b"%PDF-"
    return pdf
