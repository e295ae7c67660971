"""`satori-desktop solve`, run as a user runs it: a 20-problem set graded against its key on the tiny GGUF
through the real engine, bad lines named, samples' majorities, and a run killed with SIGKILL that resumes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.support.tiny_gguf import EXAMPLE_TRACE, script_grammar, write_tiny_gguf


def run_cli(*args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "satori_desktop", *args], capture_output=True, text=True, timeout=timeout
    )


def write_lines(path: Path, records: list[object]) -> Path:
    path.write_text(
        "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records), encoding="utf-8"
    )
    return path


def read_results(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def scripted(tmp_path: Path, traces: list[str], tokens_per_second: float | None = None) -> Path:
    path = tmp_path / "traces.json"
    path.write_text(json.dumps({"traces": traces, "tokens_per_second": tokens_per_second}), encoding="utf-8")
    return path


# The key of a 20-problem set the scripted tiny model always answers with 2 (EXAMPLE_TRACE's \boxed{2}).
KEY: list[tuple[str | int, str | None, str | None]] = [
    *[(f"same-{i}", form, "correct") for i, form in enumerate(["2", "2.0", "\\frac{4}{2}", "$2$", "x = 2"])],
    *[(f"p{i}", "2", "correct") for i in range(7)],
    *[(f"wrong-{i}", wrong, "wrong") for i, wrong in enumerate(["3", "-2", "\\frac{1}{2}", "22", "2x"])],
    ("broken", "\\frac{", "could not compare"),
    ("words", "\\text{no solution}", "wrong"),
    (99, None, None),  # no reference: not graded
]


def test_a_twenty_problem_set_is_graded_against_its_key(tmp_path: Path) -> None:
    model = write_tiny_gguf(tmp_path / "tiny-satori.gguf")
    grammar = tmp_path / "trace.gbnf"
    grammar.write_text(script_grammar(EXAMPLE_TRACE), encoding="utf-8")
    assert len(KEY) == 20
    problems = write_lines(
        tmp_path / "set.jsonl",
        [
            {"id": id_, "problem": f"What is 1 + 1? (#{n})", **({"answer": ref} if ref is not None else {})}
            for n, (id_, ref, _) in enumerate(KEY)
        ],
    )
    out = tmp_path / "results.jsonl"
    result = run_cli(
        "solve", "--in", str(problems), "--out", str(out), "--model", str(model),
        "--grammar-file", str(grammar), "--parallel", "4", "--json",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    results = read_results(out)
    assert sorted(str(r["id"]) for r in results) == sorted(str(id_) for id_, _, _ in KEY)
    by_id = {r["id"]: r for r in results}
    for id_, reference, grade in KEY:
        record = by_id[id_]
        assert record["answer"] == "2" and record["reference"] == reference
        assert record["grade"] == grade, (id_, record["grade_reason"])
        assert record["steps"] == 5 and record["finish_reason"] == "stop"
        assert record["tokens"]["generated"] > 10
        timing = record["timing"]
        assert timing["ttft_s"] > 0 and timing["decode_tok_s"] > 0 and timing["elapsed_s"] > 0
        assert "<|reflect|>" in str(record["output"])
    assert by_id["broken"]["grade_reason"].startswith("Could not read the reference answer")

    summary = json.loads(result.stdout)
    assert summary["problems"] == 20 and summary["solved"] == 20 and summary["skipped"] == 0
    assert summary["grades"] == {"correct": 12, "wrong": 6, "no answer": 0, "could not compare": 1}
    assert summary["graded"] == 19 and summary["accuracy"] == pytest.approx(12 / 19)
    assert summary["bad_lines"] == [] and summary["parallel"] == 4 and summary["samples"] == 1
    throughput = summary["throughput"]
    assert throughput["problems_per_s"] > 0 and throughput["aggregate_tok_s"] > 0
    assert throughput["generated_tokens"] == sum(r["tokens"]["generated"] for r in results)
    # Not a terminal: a plain line per problem on stderr, no bar.
    assert sum(" answer 2" in line for line in result.stderr.splitlines()) == 20
    assert "\r" not in result.stderr

    again = run_cli("solve", "--in", str(problems), "--out", str(out), "--model", str(model))
    assert again.returncode == 0, again.stderr
    assert "20 of 20 problems are already in results.jsonl" in again.stderr
    assert "Nothing left to solve." in again.stdout
    assert "Accuracy: 12 of 19 correct (63.2%); 6 wrong, 1 could not compare." in again.stdout
    assert len(read_results(out)) == 20


def test_bad_lines_are_named_and_the_rest_still_run(tmp_path: Path) -> None:
    problems = write_lines(
        tmp_path / "set.jsonl",
        [
            {"id": 1, "problem": "a", "answer": "5"},
            "{oops",
            {"problem": "no id"},
            {"id": 2, "question": "b", "answer": "4"},
            {"id": 1, "problem": "again"},
            {"id": 3, "text": "wrong field"},
            {"id": 4, "problem": "c"},
        ],
    )
    out = tmp_path / "out.jsonl"
    traces = scripted(tmp_path, ["So \\boxed{5}.<|im_end|>", "Hmm.<|im_end|>", "Then \\boxed{5}."])
    result = run_cli("solve", "--in", str(problems), "--out", str(out), "--scripted-traces", str(traces))
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if "line" in line]
    assert errors[:4] == [
        "satori-desktop: set.jsonl, line 2: not JSON "
        "(Expecting property name enclosed in double quotes); skipped.",
        "satori-desktop: set.jsonl, line 3: no `id`; skipped.",
        "satori-desktop: set.jsonl, line 5: id 1 was already used on line 1; skipped.",
        "satori-desktop: set.jsonl, line 6 (id 3): no `problem` or `question` text; skipped.",
    ]
    assert "Traceback" not in result.stderr
    grades = {r["id"]: r["grade"] for r in read_results(out)}
    assert grades == {1: "correct", 2: "no answer", 4: None}
    assert "Accuracy: 1 of 2 correct (50.0%); 1 no answer." in result.stdout
    assert "4 lines of" in result.stdout and "could not be read" in result.stdout


def test_a_csv_set_with_samples_takes_each_problems_majority(tmp_path: Path) -> None:
    problems = tmp_path / "set.csv"
    problems.write_text("id,question,key\nq1,1+1?,\\frac{10}{2}\nq2,2+2?,7\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    traces = scripted(tmp_path, ["\\boxed{5}", "\\boxed{7}", "\\boxed{5.0}"])  # one per sample, in turn
    result = run_cli(
        "solve", "--in", str(problems), "--out", str(out), "--answer-field", "key", "--samples", "3",
        "--parallel", "2", "--seed", "5", "--scripted-traces", str(traces), "--json",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    by_id = {r["id"]: r for r in read_results(out)}
    assert set(by_id) == {"q1", "q2"}
    for record in by_id.values():
        assert (record["answer"], record["agreeing"], record["total"]) == ("5", 2, 3)
        assert record["groups"] == [
            {"answer": "5", "members": [0, 2], "count": 2},
            {"answer": "7", "members": [1], "count": 1},
        ]
        assert [s["answer"] for s in record["samples"]] == ["5", "7", "5.0"]
        assert record["output"] == "\\boxed{5}" and record["steps"] == 1
    assert by_id["q1"]["grade"] == "correct" and by_id["q2"]["grade"] == "wrong"
    summary = json.loads(result.stdout)
    assert summary["samples"] == 3 and summary["accuracy"] == 0.5


def test_a_killed_run_resumes_with_every_id_once_and_earlier_lines_intact(tmp_path: Path) -> None:
    count = 20
    # No references: a result is written the moment its solution ends, not after the checker's start.
    problems = write_lines(
        tmp_path / "set.jsonl", [{"id": f"k{i}", "problem": f"{i}?"} for i in range(count)]
    )
    out = tmp_path / "out.jsonl"
    # About 12 pieces a solution at 30 pieces a second, two at a time: a problem about every 0.2 s.
    traces = scripted(tmp_path, ["We add the numbers.<|continue|>So \\boxed{5}.<|im_end|>"], 30)
    command = [sys.executable, "-m", "satori_desktop", "solve", "--in", str(problems), "--out", str(out)]
    command += ["--parallel", "2", "--scripted-traces", str(traces)]
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    assert process.stderr is not None
    solved = 0
    while solved < 4:
        line = process.stderr.readline()
        assert line, "solve ended before writing four results"
        solved += f"/{count} k" in line
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    process.stderr.close()
    before = out.read_bytes()
    first = read_results(out)
    assert 4 <= len(first) < count, "the kill came too late to test a resume"
    assert before.endswith(b"\n")
    # A crash of the machine could leave half a line too: the resume cuts it off.
    with out.open("ab") as crashed:
        crashed.write(b'{"id": "k15", "problem": "15?", "ans')

    time.sleep(0.2)
    result = run_cli(*command[3:], "--json")
    assert result.returncode == 0, result.stderr
    after = out.read_bytes()
    assert after.startswith(before)
    ids = [str(record["id"]) for record in read_results(out)]
    assert sorted(ids) == sorted(f"k{i}" for i in range(count))
    assert len(ids) == len(set(ids))
    summary = json.loads(result.stdout)
    assert summary["skipped"] == len(first) and summary["solved"] == count - len(first)
    assert summary["results"] == count and summary["graded"] == 0
    assert {record["answer"] for record in read_results(out)} == {"5"}


def test_ctrl_c_stops_and_writes_only_finished_problems(tmp_path: Path) -> None:
    problems = write_lines(tmp_path / "set.jsonl", [{"id": i, "problem": f"{i}?"} for i in range(30)])
    out = tmp_path / "out.jsonl"
    traces = scripted(tmp_path, ["Think." * 10 + " \\boxed{1}"], 100)
    process = subprocess.Popen(
        [
            sys.executable, "-m", "satori_desktop", "solve", "--in", str(problems), "--out", str(out),
            "--parallel", "3", "--scripted-traces", str(traces),
        ],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    assert process.stderr is not None and process.stdout is not None
    while "/30 " not in process.stderr.readline():
        pass
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=60) == 130
    stdout = process.stdout.read()
    assert "run the same command again to resume" in stdout
    records = read_results(out)
    assert 1 <= len(records) < 30
    assert all(record["finish_reason"] == "stop" and record["answer"] == "1" for record in records)
