"""A problem set in the window: a JSONL file with a bad line, solved N at a time through the engine's
batch, graded by the real answer checker against the file's answers, exported as JSON Lines and CSV, and
each solution opened whole.

Real parts: the window offscreen with the scripted engine's batch (its traces answer 5, 6 and 10/2 in
turn), a real file, math-verify in its worker process.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from satori_desktop.cli.solve import _Pending, _result_record
from satori_desktop.core.problem_sets import Problem, read_problem_set
from satori_desktop.engine.scripted import DEMO_TRACE
from satori_desktop.engine.types import GenerationResult
from satori_desktop.ui.main_window import MainWindow
from tests.ui_transcript.conftest import run_js

WRONG = DEMO_TRACE.replace("\\boxed{5}", "\\boxed{6}")
SAME = DEMO_TRACE.replace("\\boxed{5}", "\\boxed{\\frac{10}{2}}")


@pytest.fixture
def window(scripted_window: Callable[..., MainWindow]) -> MainWindow:
    return scripted_window([DEMO_TRACE, WRONG, SAME])


def _write_set(path: Path) -> Path:
    lines = [
        json.dumps({"id": i, "problem": f"Problem {i}: what is $2+3$?", "answer": "5"}) for i in range(1, 7)
    ]
    lines.insert(3, "{not json")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _solve_line(record: dict[str, Any], problem: Problem, checker: Any) -> dict[str, Any]:
    """The line `satori-desktop solve` writes for the solution an exported record holds, graded again."""
    result = GenerationResult(
        text=record["output"],
        finish_reason=record["finish_reason"],
        prompt_tokens=record["tokens"]["prompt"],
        reused_prompt_tokens=0,
        generated_tokens=record["tokens"]["generated"],
        ttft_s=record["timing"]["ttft_s"],
        decode_tok_s=record["timing"]["decode_tok_s"],
    )
    entry = _Pending(problem, 1, {0: result}, started={0: 0.0}, ended={0: record["timing"]["elapsed_s"]})
    return json.loads(json.dumps(_result_record(entry, checker)))


def test_a_problem_set_is_solved_graded_exported_and_opened(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, shoot: Callable[..., Path], answer_checker: Any
) -> None:
    problem_file = _write_set(tmp_path / "homework.jsonl")
    problems = window.open_problem_set(problem_file)
    assert problems is not None
    assert "6 problems" in problems.info_label.text() and "line 4" in problems.info_label.text()
    problems.parallel_box.setValue(3)
    problems.solve_button.click()
    assert window.is_busy and problems.running
    qtbot.waitUntil(lambda: problems.settled, timeout=60_000)
    assert not window.is_busy
    grades = [problems.table.item(row, 4).data(256) for row in range(6)]
    # The traces cycle 5, 6, 10/2 over the jobs: 10/2 is 5, so two of three are right.
    assert grades == ["correct", "wrong", "correct", "correct", "wrong", "correct"]
    assert problems.summary_label.text() == "Accuracy: 4 of 6 correct (67%)."
    assert problems.progress.value() == 6
    problems.resize(1000, 520)
    qtbot.wait(200)
    shoot(problems, "problem-set-graded")

    problems.export_results(tmp_path / "results.jsonl")
    records = [json.loads(line) for line in (tmp_path / "results.jsonl").read_text().splitlines()]
    assert [r["id"] for r in records] == [1, 2, 3, 4, 5, 6]
    assert records[1]["grade"] == "wrong" and records[1]["answer"] == "6" and records[1]["output"] == WRONG
    # Each is the line `satori-desktop solve` writes for that solution, field for field and in order.
    for record, problem in zip(records, read_problem_set(problem_file).problems, strict=True):
        line = _solve_line(record, problem, answer_checker)
        assert list(record) == list(line) and record == line
    problems.export_results(tmp_path / "results.csv")
    with open(tmp_path / "results.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0][:5] == ["id", "problem", "answer", "reference", "grade"] and rows[3][4] == "correct"

    dialog = problems.row_dialog(2)
    assert dialog is not None and dialog.windowTitle() == "Problem 3"
    qtbot.waitUntil(dialog.transcript.is_idle, timeout=10_000)
    tex = run_js(qtbot, dialog.transcript, "document.querySelector('.answer-card [data-tex]').dataset.tex")
    assert tex == "\\frac{10}{2}"
    dialog.close()
    # The window goes on answering questions.
    window.composer.set_text("What is 2 + 2?")
    assert window.composer.send_button.isEnabled()


def test_an_unreadable_problem_set_is_one_sentence(window: MainWindow, tmp_path: Path) -> None:
    bad = tmp_path / "latin1.jsonl"
    bad.write_bytes(b'{"id": 1, "problem": "caf\xe9"}\n')
    assert window.open_problem_set(bad) is None
    assert window.open_problem_set(tmp_path / "missing.jsonl") is None
