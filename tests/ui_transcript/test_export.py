"""`satori-desktop export`: a trace through the transcript page to standalone HTML or a PNG."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from satori_desktop.cli.main import main
from tests.ui_transcript import traces

REPO = Path(__file__).resolve().parents[2]
PROMPT = (
    "<|im_start|>user\nSolve the following math problem efficiently and clearly.\n"
    "Please reason step by step, and put your final answer within \\boxed{}.\n"
    "Problem: Solve $2x + 3 = 7$.<|im_end|>\n<|im_start|>assistant\n"
)


def test_export_html_is_standalone(
    qtbot: Any, require_web_assets: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    trace = tmp_path / "trace.txt"
    trace.write_text(PROMPT + traces.SOLUTION, encoding="utf-8")
    out = tmp_path / "out" / "solution.html"
    assert main(["export", str(trace), "--out", str(out), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["format"] == "html" and report["answer"] == "2" and report["steps"] == 5
    assert report["reflections"] == 1 and report["explorations"] == 1
    page = out.read_text(encoding="utf-8")
    assert "<script" not in page and "url(fonts/" not in page and "satori://" not in page
    assert page.count("data:font/woff2;base64,") >= 15  # every KaTeX font travels inside the file
    assert 'class="katex"' in page and "<math" in page  # typeset, with MathML for word processors
    assert "Solve" in page and "Checking the work" in page and "Trying another way" in page
    assert 'class="transcript-page exported"' in page
    assert "open-block" not in page


def test_export_html_of_another_models_output_folds_its_thought(
    qtbot: Any, require_web_assets: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    trace = tmp_path / "r1.txt"
    trace.write_text(
        "Okay, $2x = 4$, so $x = 2$.\n\nCheck: $2 \\cdot 2 + 3 = 7$.\n</think>\n\nSo $\\boxed{2}$.",
        encoding="utf-8",
    )
    out = tmp_path / "r1.html"
    assert main(["export", str(trace), "--out", str(out), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["answer"] == "2" and report["steps"] == 2
    page = out.read_text(encoding="utf-8")
    assert 'class="step step-think fold' in page and '<span class="fold-label">Thinking</span>' in page
    assert "think&gt;" not in page and "Check:" in page
    thought = page.split("step-think", 1)[1].split("step-continue", 1)[0]
    assert thought.count('class="katex"') == 3  # its math typeset as Satori's


def test_export_png_from_the_command_line(require_web_assets: None, tmp_path: Path) -> None:
    trace = tmp_path / "trace.txt"
    trace.write_text(traces.SOLUTION, encoding="utf-8")
    out = tmp_path / "solution.png"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("QT_QPA_PLATFORM", None)  # the command must choose offscreen by itself
    result = subprocess.run(
        [sys.executable, "-m", "satori_desktop", "export", str(trace), "--out", str(out), "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1])["format"] == "png"
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width = int.from_bytes(data[16:20], "big")
    height = int.from_bytes(data[20:24], "big")
    assert width == 900 and height > 900  # the whole solution, not one screenful


def test_export_of_a_missing_file_is_one_sentence(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", str(tmp_path / "nope.txt"), "--format", "png"]) == 2
    assert "There is no file" in capsys.readouterr().err
