"""`satori-desktop --self-test` run as a user runs it: a new process, no model, no screen, no network.

It passes on a sound install, and on a broken one it fails at the step that broke, with one sentence and
exit code 1, never a traceback: an install without KaTeX (the package copied without its KaTeX folder, as
a packaging mistake would leave it), and a temporary folder on a disk that is full.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from satori_desktop.cli.main import main
from satori_desktop.selftest import script
from satori_desktop.selftest.script import page_problems
from tests.support.qt_env import app_env

ROOT = Path(__file__).resolve().parents[2]
STEPS = [
    "load-llama-cpp",
    "write-model",
    "load-model",
    "stream-answer",
    "open-page",
    "render-answer",
    "check-page",
    "convert-formula",
    "export-documents",
    "check-answer",
]


def run_self_test(
    home: Path, report: Path, *, cwd: Path = ROOT, env: dict[str, str] | None = None
) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    result = subprocess.run(
        [sys.executable, "-m", "satori_desktop", "--self-test", "--self-test-report", str(report)],
        cwd=cwd,
        env=env or app_env(home),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert report.is_file(), f"no report:\n{result.stdout}\n{result.stderr}"
    data: dict[str, Any] = json.loads(report.read_text(encoding="utf-8"))
    return result, data


def assert_no_traceback(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stdout and "Traceback" not in result.stderr, result.stderr


def test_self_test_passes_and_reports_what_it_checked(tmp_path: Path) -> None:
    home = tmp_path / "home"
    result, report = run_self_test(home, tmp_path / "out" / "report.json")

    assert result.returncode == 0, result.stdout + result.stderr
    assert_no_traceback(result)
    assert report["ok"] is True and report["failed_step"] is None and report["error"] is None
    assert [step["name"] for step in report["steps"]] == STEPS
    for step in report["steps"]:
        assert step["ok"] is True and "skipped" not in step, step
        assert step["seconds"] >= 0 and step["detail"]
    page = report["page"]
    assert page["sections"] == 5
    assert page["steps"] == ["start", "continue", "reflect", "explore", "continue"]
    assert page["collapsible"] == ["reflect", "explore"]
    assert page["formulas"] == page["typeset"] == script.EXPECTED_FORMULAS
    assert page["katex"] > 0 and page["katex_errors"] == 0
    assert page["answer_cards"] == 1 and page["answer"] == "2"
    assert page["page_errors"] == [] and page["blocked_requests"] == []
    generation = report["engine"]["generation"]
    assert generation["finish_reason"] == "stop" and generation["generated_tokens"] > 0
    assert report["engine"]["load"]["is_satori"] is True
    assert report["app"]["frozen"] is False and report["app"]["python"] == sys.version.split()[0]
    assert report["qt"]["platform"] == "offscreen" and report["qt"]["pyside6"] and report["qt"]["chromium"]
    # llama.cpp's backends, or why they are unknown.
    assert "backends" in report["runtime"] or "unavailable" in report["runtime"]
    lines = result.stdout.splitlines()
    assert [line.split()[:2] for line in lines[1 : 1 + len(STEPS)]] == [["ok", name] for name in STEPS]
    assert lines[-1].startswith("Self-test passed in ")
    # Neither the settings nor the history were opened: only the log folder was made.
    assert sorted(p.name for p in home.iterdir()) == ["logs"]


def test_an_install_without_katex_fails_at_the_page_step_in_one_sentence(tmp_path: Path) -> None:
    # The app as a packaging mistake would leave it: everything but KaTeX. Run from beside the copy, so
    # `python -m satori_desktop` imports the copy.
    shutil.copytree(
        ROOT / "satori_desktop",
        tmp_path / "satori_desktop",
        ignore=shutil.ignore_patterns("__pycache__", "katex"),
    )
    result, report = run_self_test(tmp_path / "home", tmp_path / "report.json", cwd=tmp_path)

    assert result.returncode == 1, result.stdout + result.stderr
    assert_no_traceback(result)
    assert report["ok"] is False and report["failed_step"] == "open-page"
    outcome = {step["name"]: (step["ok"], step.get("skipped", False)) for step in report["steps"]}
    assert outcome == {
        "load-llama-cpp": (True, False),
        "write-model": (True, False),
        "load-model": (True, False),
        "stream-answer": (True, False),
        "open-page": (False, False),
        "render-answer": (False, True),
        "check-page": (False, True),
        "convert-formula": (False, True),
        "export-documents": (False, True),
        "check-answer": (False, True),
    }
    sentence = report["error"]
    assert sentence.startswith('The self-test failed at step "open-page": ') and sentence.endswith(".")
    assert "katex/katex.min.js" in sentence and sentence.count(". ") == 0
    assert sentence in result.stdout.splitlines()


def test_a_full_temporary_disk_fails_where_the_model_is_written(tmp_path: Path, small_tmpfs: Path) -> None:
    # 1 MiB, of which a filler takes 700 kB: room for the temporary folder, not for the 0.5 MB model.
    (small_tmpfs / "filler").write_bytes(bytes(700_000))
    env = dict(app_env(tmp_path / "home"), TMPDIR=str(small_tmpfs))
    result, report = run_self_test(tmp_path / "home", tmp_path / "report.json", env=env)

    assert result.returncode == 1, result.stdout + result.stderr
    assert_no_traceback(result)
    assert report["failed_step"] == "write-model"
    skipped = [step.get("skipped", False) for step in report["steps"]]
    assert skipped == [False, False] + [True] * (len(STEPS) - 2)
    sentence = result.stdout.splitlines()[-2]
    assert sentence.startswith('The self-test failed at step "write-model": the tiny model could not be')
    assert "(its disk is full)" in sentence and sentence == report["error"]
    assert list(small_tmpfs.iterdir()) == [small_tmpfs / "filler"]  # its temporary folder went too


@pytest.mark.parametrize(
    ("args", "sentence"),
    [
        (["--self-test-report", "r.json"], "--self-test-report goes with --self-test."),
        (["--self-test", "parse", "-"], "--self-test runs on its own, without a command."),
        (["--self-test", "-platform", "offscreen"], "is an option of the app's window, not of --self-test"),
        (["--self-test", "--model", "x.gguf"], "--self-test brings its own tiny model."),
    ],
)
def test_self_test_options_are_checked_before_anything_runs(
    args: list[str], sentence: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(args)
    assert exited.value.code == 2
    assert sentence in capsys.readouterr().err


def test_page_problems_name_what_is_wrong() -> None:
    good: dict[str, Any] = {
        "steps": [
            {"action": a, "collapsible": a in ("reflect", "explore"), "toggles": True}
            for a in script.EXPECTED_STEPS
        ],
        "formulas": script.EXPECTED_FORMULAS,
        "typeset": script.EXPECTED_FORMULAS,
        "katex": 40,
        "katex_errors": 0,
        "answer_cards": 1,
        "answer_katex": 1,
        "answer_tex": "2",
    }
    assert page_problems(good) == []
    bad = dict(good, typeset=5, katex_errors=2, answer_tex="3")
    bad["steps"] = [dict(step, toggles=False) for step in good["steps"]]
    assert page_problems(bad) == [
        "the reflect section does not open and close from its header",
        "the explore section does not open and close from its header",
        "2 of its 7 formulas were not typeset",
        "KaTeX could not typeset 2 formulas",
        "the answer card shows '3' instead of '2'",
    ]
