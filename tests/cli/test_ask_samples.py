"""`satori-desktop ask --samples K`, run as a user runs it: the scripted engine's different traces (one per
solution) grouped by the real answer checker, and the tiny GGUF through the real engine's generate_batch."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.tiny_gguf import EXAMPLE_TRACE, script_grammar, write_tiny_gguf

TRACES = [
    "Add them.<|continue|>So the sum is \\boxed{5}.<|im_end|>",
    "Halve ten.<|continue|>We get \\boxed{\\frac{10}{2}}.<|im_end|>",
    "Guess.<|continue|>It is \\boxed{7}.<|im_end|>",
    "I am not sure.<|im_end|>",
    "Numerically \\boxed{5.0}.<|im_end|>",
    "Again \\boxed{7}.<|im_end|>",
]
SINGLE_ANSWER_KEYS = {"question", "steps", "answer", "finish_reason", "tokens", "timing", "backend"}


@pytest.fixture
def traces(tmp_path: Path) -> Path:
    path = tmp_path / "traces.json"
    path.write_text(json.dumps(TRACES), encoding="utf-8")
    return path


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "satori_desktop", *args], capture_output=True, text=True, timeout=120
    )


def test_json_has_every_solution_the_groups_and_the_majority(traces: Path) -> None:
    result = run_cli(
        "ask",
        "2+3?",
        "--samples",
        "6",
        "--seed",
        "10",
        "--scripted-traces",
        str(traces),
        "--json",
        "--no-history",
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) == {"question", "answer", "agreeing", "total", "groups", "samples", "settings", "timing"}
    assert (data["answer"], data["agreeing"], data["total"]) == ("5", 3, 6)
    assert data["groups"] == [
        {"answer": "5", "members": [0, 1, 4], "count": 3},
        {"answer": "7", "members": [2, 5], "count": 2},
    ]
    assert len(data["samples"]) == 6
    assert all(set(sample) == SINGLE_ANSWER_KEYS for sample in data["samples"])
    assert [sample["answer"] for sample in data["samples"]] == ["5", "\\frac{10}{2}", "7", None, "5.0", "7"]
    assert data["samples"][0]["steps"] == [
        {"action": "start", "text": "Add them."},
        {"action": "continue", "text": "So the sum is \\boxed{5}."},
    ]
    assert all(
        sample["finish_reason"] == "stop" and sample["question"] == "2+3?" for sample in data["samples"]
    )
    assert data["settings"] == {
        "temperature": 0.7,
        "top_p": 0.8,
        "seeds": [10, 11, 12, 13, 14, 15],
        "max_tokens": 4096,
    }
    assert data["timing"]["elapsed_s"] > 0


def test_given_sampling_settings_win_over_the_defaults(traces: Path) -> None:
    result = run_cli(
        "ask", "2+3?", "--samples", "2", "--temperature", "0.3", "--top-p", "0.95",
        "--scripted-traces", str(traces), "--json", "--no-history",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["settings"]["temperature"] == 0.3 and data["settings"]["top_p"] == 0.95
    assert data["settings"]["seeds"] == [None, None]
    assert (data["answer"], data["agreeing"], data["total"]) == ("5", 2, 2)  # 5 and 10/2 agree


def test_plain_output_has_a_line_per_solution_and_the_agreement(traces: Path) -> None:
    result = run_cli("ask", "2+3?", "--samples", "6", "--scripted-traces", str(traces), "--no-history")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    finished = sorted(line for line in lines if line.startswith("solution "))
    assert len(finished) == 6
    assert re.fullmatch(r"solution 1 of 6: 2 steps, \d+ tokens, answer 5", finished[0])
    assert re.fullmatch(r"solution 4 of 6: 1 step, \d+ tokens, no answer", finished[3])
    assert lines[-2:] == ["Answer: 5  (3 of 6 solutions agree)", "Other answers: 7 (2)"]
    assert "\x1b[" not in result.stdout  # no cursor movement when stdout is not a terminal
    assert "6 solutions" in result.stderr and "tok/s together" in result.stderr


def test_no_answer_at_all_is_said(tmp_path: Path) -> None:
    path = tmp_path / "none.json"
    path.write_text(json.dumps(["No idea.<|im_end|>"]), encoding="utf-8")
    result = run_cli("ask", "?", "--samples", "3", "--scripted-traces", str(path), "--no-history")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == (
        "No final answer: none of 3 solutions has a final answer (no \\boxed{} in the output)."
    )


def test_the_history_keeps_one_turn_with_every_solution_beside_it(traces: Path) -> None:
    asked = run_cli("ask", "2+3?", "--samples", "6", "--scripted-traces", str(traces), "--json")
    assert asked.returncode == 0, asked.stderr
    listed = json.loads(run_cli("history", "list", "--json").stdout)
    conversations = listed["conversations"] if isinstance(listed, dict) else listed
    assert [c["title"] for c in conversations] == ["2+3?"]
    shown = json.loads(run_cli("history", "show", str(conversations[0]["id"]), "--json").stdout)
    (turn,) = shown["turns"]
    assert turn["output"] == TRACES[0] and turn["answer"] == "5"
    assert turn["samples"]["chosen"] == 0
    assert turn["samples"]["groups"] == [[0, 1, 4], [2, 5]]
    assert [sample["text"] for sample in turn["samples"]["samples"]] == TRACES


@pytest.mark.parametrize("count", ["1", "17", "two"])
def test_a_sample_count_out_of_range_is_a_usage_error(count: str) -> None:
    result = run_cli("ask", "1+1?", "--samples", count)
    assert result.returncode == 2
    assert "--samples" in result.stderr and "Traceback" not in result.stderr


def test_the_tiny_model_through_the_real_engine(tmp_path: Path) -> None:
    model = write_tiny_gguf(tmp_path / "tiny-satori.gguf")
    grammar = tmp_path / "trace.gbnf"
    grammar.write_text(script_grammar(EXAMPLE_TRACE), encoding="utf-8")
    result = run_cli(
        "ask", "1+1?", "--samples", "3", "--seed", "1", "--model", str(model), "--grammar-file", str(grammar),
        "--json", "--no-history",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert (data["answer"], data["agreeing"], data["total"]) == ("2", 3, 3)
    assert [sample["finish_reason"] for sample in data["samples"]] == ["stop"] * 3
    assert all(sample["tokens"]["generated"] > 10 for sample in data["samples"])
