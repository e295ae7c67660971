"""Reading problem sets (JSON Lines and CSV, bad lines named) and the resumable results file."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from satori_desktop.core.errors import UserFacingError
from satori_desktop.core.problem_sets import (
    MajorityVote,
    Problem,
    ResultsFile,
    read_problem_set,
    result_record,
)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_jsonl_problems_with_references_and_bad_lines_named(tmp_path: Path) -> None:
    path = write(
        tmp_path / "set.jsonl",
        "\n".join(
            [
                '{"id": "a", "problem": "1+1?", "answer": "2"}',
                '{"id": 2, "question": "2+2?", "answer": 4}',
                "",
                "{not json",
                '["a", "list"]',
                '{"problem": "no id"}',
                '{"id": "c"}',
                '{"id": "a", "problem": "again"}',
                '{"id": "d", "problem": "  x?  "}',
                '{"id": "2", "problem": "the same id as 2, as text"}',
            ]
        )
        + "\n",
    )
    problem_set = read_problem_set(path)
    assert problem_set.problems == [
        Problem("a", "1+1?", "2", 1),
        Problem(2, "2+2?", "4", 2),
        Problem("d", "x?", None, 9),
    ]
    assert problem_set.has_references
    assert [bad.line for bad in problem_set.bad_lines] == [4, 5, 6, 7, 8, 10]
    messages = [bad.message for bad in problem_set.bad_lines]
    assert messages[0].startswith("set.jsonl, line 4: not JSON (")
    assert messages[1] == "set.jsonl, line 5: a JSON array, not an object; skipped."
    assert messages[2] == "set.jsonl, line 6: no `id`; skipped."
    assert messages[3] == "set.jsonl, line 7 (id c): no `problem` or `question` text; skipped."
    assert messages[4] == "set.jsonl, line 8: id a was already used on line 1; skipped."
    assert messages[5] == "set.jsonl, line 10: id 2 was already used on line 2; skipped."


def test_the_answer_field_can_be_named(tmp_path: Path) -> None:
    path = write(
        tmp_path / "set.jsonl", '{"id": 1, "problem": "p", "answer": "1", "solution": "\\\\frac12"}\n'
    )
    assert read_problem_set(path, answer_field="solution").problems[0].reference == "\\frac12"
    assert read_problem_set(path, answer_field="missing").problems[0].reference is None


def test_csv_with_a_header_a_multiline_cell_and_a_bom(tmp_path: Path) -> None:
    path = tmp_path / "set.csv"
    path.write_bytes(
        "\ufeffid,question,answer\n"
        '1,"What is\n1+1?",2\n'
        "2,2+2?,\n"
        ",no id,3\n"
        "4,too,many,fields\n"
        "\n"
        '5,"x = ""quoted""",5\n'.encode()
    )
    problem_set = read_problem_set(path)
    assert problem_set.problems == [
        Problem("1", "What is\n1+1?", "2", 2),
        Problem("2", "2+2?", None, 4),
        Problem("5", 'x = "quoted"', "5", 8),
    ]
    assert [bad.message for bad in problem_set.bad_lines] == [
        "set.csv, line 5: no `id`; skipped.",
        "set.csv, line 6: 4 fields, the header has 3; skipped.",
    ]


def test_a_missing_or_binary_file_is_one_sentence(tmp_path: Path) -> None:
    with pytest.raises(UserFacingError, match="There is no problem set at"):
        read_problem_set(tmp_path / "none.jsonl")
    (tmp_path / "bin.jsonl").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(UserFacingError, match="not UTF-8"):
        read_problem_set(tmp_path / "bin.jsonl")


def test_results_are_whole_lines_and_a_resume_cuts_a_partial_last_line(tmp_path: Path) -> None:
    path = tmp_path / "results.jsonl"
    with ResultsFile(path) as results:
        assert results.open_for_resume() == {}
        results.append({"id": "a", "answer": "2"})
        results.append({"id": 7, "answer": "∑"})
    intact = path.read_bytes()
    assert intact.count(b"\n") == 2 and "∑".encode() in intact
    with path.open("ab") as crashed:
        crashed.write(b'{"id": "b", "ans')
    with ResultsFile(path) as results:
        assert results.open_for_resume() == {"a": {"id": "a", "answer": "2"}, "7": {"id": 7, "answer": "∑"}}
        assert path.read_bytes() == intact
        results.append({"id": "b", "answer": "3"})
    lines = path.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["id"] for line in lines] == ["a", 7, "b"]


@dataclass(frozen=True)
class _Solution:
    text: str
    finish_reason: str = "stop"
    error: str | None = None
    prompt_tokens: int = 30
    generated_tokens: int = 10
    ttft_s: float | None = 0.5
    decode_tok_s: float | None = 20.0


TWO_STEPS = "Let x = 1 + 1.<|continue|>So x = \\boxed{2}."
THREE = "x is \\boxed{3}."


def test_a_result_line_of_one_solution() -> None:
    problem = Problem(7, "1+1?", "2", 1)
    record = result_record(
        problem, [_Solution(TWO_STEPS)], answer="2", grade="correct", grade_reason="equal", elapsed_s=1.5
    )
    assert record == {
        "id": 7,
        "problem": "1+1?",
        "reference": "2",
        "answer": "2",
        "grade": "correct",
        "grade_reason": "equal",
        "steps": 2,
        "finish_reason": "stop",
        "tokens": {"prompt": 30, "generated": 10},
        "timing": {"ttft_s": 0.5, "decode_tok_s": 20.0, "elapsed_s": 1.5},
        "output": TWO_STEPS,
    }
    assert list(record)[-1] == "output"  # the long text last, as a reader of the file wants it
    failed = result_record(
        problem,
        [_Solution("", finish_reason="error", error="out of memory", ttft_s=None, decode_tok_s=None)],
        answer=None,
        grade="no answer",
        grade_reason="none",
        elapsed_s=None,
    )
    assert failed["error"] == "out of memory" and failed["steps"] == 0
    assert failed["timing"] == {"ttft_s": None, "decode_tok_s": None, "elapsed_s": None}


def test_a_result_line_of_a_majority_vote_carries_the_chosen_solution_and_every_sample() -> None:
    solutions = [
        _Solution(THREE, generated_tokens=4, ttft_s=0.3, decode_tok_s=10.0),
        _Solution(TWO_STEPS, prompt_tokens=31, generated_tokens=6, ttft_s=0.2, decode_tok_s=30.0),
        _Solution(TWO_STEPS, finish_reason="length", generated_tokens=8, ttft_s=None, decode_tok_s=None),
    ]
    groups = [{"answer": "2", "members": [1, 2], "count": 2}, {"answer": "3", "members": [0], "count": 1}]
    record = result_record(
        Problem("a", "1+1?", None, 3),
        solutions,
        answer="2",
        grade=None,
        grade_reason=None,
        elapsed_s=2.0,
        vote=MajorityVote(agreeing=2, total=3, groups=groups, chosen=1),
    )
    assert record["steps"] == 2 and record["output"] == TWO_STEPS and record["finish_reason"] == "stop"
    assert record["tokens"] == {"prompt": 31, "generated": 18}
    assert record["timing"] == {"ttft_s": 0.2, "decode_tok_s": 20.0, "elapsed_s": 2.0}
    assert (record["agreeing"], record["total"], record["groups"]) == (2, 3, groups)
    assert [(s["answer"], s["steps"], s["finish_reason"]) for s in record["samples"]] == [
        ("3", 1, "stop"),
        ("2", 2, "stop"),
        ("2", 2, "length"),
    ]
    assert list(record)[-1] == "output"
