"""`satori-desktop convert`, run as a user runs it: a separate process, arguments and stdin, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.documents.conftest import MATHML_NS, OMML_NS
from tests.support.qt_env import app_env


def run_cli(home: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "satori_desktop", "convert", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        env=app_env(home),
    )


def test_mathml_is_word_clean(satori_home: Path) -> None:
    result = run_cli(satori_home, r"\frac{1}{2} + x_i^2", "--to", "mathml", "--display")
    assert result.returncode == 0, result.stderr
    root = ET.fromstring(result.stdout)
    assert root.tag == f"{{{MATHML_NS}}}math" and root.get("display") == "block"
    assert "semantics" not in result.stdout and "annotation" not in result.stdout
    assert result.stderr == ""


def test_omml_from_stdin_with_display_delimiters(satori_home: Path) -> None:
    result = run_cli(satori_home, "-", "--to", "omml", stdin="$$\\sum_{k=1}^{n} k$$\n")
    assert result.returncode == 0, result.stderr
    root = ET.fromstring(result.stdout)
    assert root.tag == f"{{{OMML_NS}}}oMathPara"  # $$ says display
    assert root.find(f".//{{{OMML_NS}}}nary") is not None


def test_unicode_text_and_json(satori_home: Path) -> None:
    result = run_cli(satori_home, r"x^2 + \sqrt{2} \le \frac12", "--to", "unicode")
    assert (result.returncode, result.stdout) == (0, "x² + √2 ≤ ½\n")
    as_json = run_cli(satori_home, r"\pi r^2", "--to", "unicode", "--json")
    assert json.loads(as_json.stdout) == {"to": "unicode", "display": False, "output": "πr²"}


def test_unicode_refuses_a_matrix_with_exit_1(satori_home: Path) -> None:
    result = run_cli(satori_home, r"\begin{pmatrix}1&2\\3&4\end{pmatrix}", "--to", "unicode")
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and "plain text" in result.stderr


def test_mathml_to_a_file_has_the_xml_declaration(satori_home: Path, tmp_path: Path) -> None:
    out = tmp_path / "f.mml"
    result = run_cli(satori_home, r"\sqrt[3]{x}", "--to", "mathml", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert out.read_bytes().startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<math xmlns=')
    ET.fromstring(out.read_bytes())


@pytest.mark.parametrize(
    "latex",
    [r"\frac{1}{2", r"x^{2", "}", r"\begin{pmatrix}1&2", r"\undefinedcommand{x}", ""],
    ids=["frac", "superscript", "closing", "environment", "unknown-command", "empty"],
)
def test_broken_latex_is_one_sentence_and_exit_2(satori_home: Path, latex: str) -> None:
    result = run_cli(satori_home, latex, "--to", "omml")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith("satori-desktop: ") and result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr


def test_injection_string_stays_text(satori_home: Path) -> None:
    latex = "</math><script>alert(1)</script>"
    for to in ("mathml", "omml"):
        result = run_cli(satori_home, latex, "--to", to)
        assert result.returncode == 0, result.stderr
        root = ET.fromstring(result.stdout)
        names = {element.tag.split("}")[-1] for element in root.iter()}
        assert "script" not in names
        assert "<script" not in result.stdout


def test_chinese_text_and_a_long_formula(satori_home: Path) -> None:
    result = run_cli(satori_home, r"\text{面积 } = \pi r^2", "--to", "omml")
    assert result.returncode == 0, result.stderr
    assert "面积 " in "".join(ET.fromstring(result.stdout).itertext())
    long_formula = "+".join(f"x_{{{k}}}" for k in range(1700))  # over 10,000 characters
    assert len(long_formula) > 10_000
    for to in ("mathml", "omml", "unicode"):
        result = run_cli(satori_home, "-", "--to", to, stdin=long_formula)
        assert result.returncode == 0, result.stderr
        if to != "unicode":
            ET.fromstring(result.stdout)


def test_png_needs_out_unless_redirected(satori_home: Path, tmp_path: Path) -> None:
    refused = run_cli(satori_home, "x", "--to", "png", "--json")
    assert refused.returncode == 2 and "--out" in refused.stderr
    out = tmp_path / "f.png"
    result = run_cli(satori_home, r"\frac{a}{b}", "--to", "png", "--out", str(out), "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["bytes"] == out.stat().st_size
    assert out.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_a_formula_starting_with_a_minus_goes_after_double_dash(satori_home: Path) -> None:
    result = run_cli(satori_home, "--to", "unicode", "--", "-x+1")
    assert (result.returncode, result.stdout) == (0, "−x + 1\n")


def test_unknown_format_is_a_usage_error(satori_home: Path) -> None:
    result = run_cli(satori_home, "x", "--to", "docx")
    assert result.returncode == 2 and "invalid choice" in result.stderr
