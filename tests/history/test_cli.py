"""`satori-desktop history list|show|search|export|delete`, on the history the app writes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from satori_desktop.cli.main import main
from satori_desktop.history import HistoryStore, default_path
from tests.history.support import record

TRACE = (
    "Solve by factoring: $x^2 - 4 = (x-2)(x+2)$.<|reflect|>\nCheck: $2^2 = 4$ and $(-2)^2 = 4$."
    "<|continue|>\nTherefore, the final answer is: $\\boxed{\\pm 2}$."
)


@pytest.fixture
def conversations() -> list[int]:
    with HistoryStore(default_path()) as store:
        first = store.create_conversation()
        record(store, first, "解二次方程 $x^2 = 4$", TRACE)
        record(store, first, "And $x^2 = 9$?", "$\\boxed{\\pm 3}$", finish_reason="interrupted")
        second = store.create_conversation("Fractions")
        record(store, second, "What is 1/2 + 1/3?", "$\\boxed{\\frac{5}{6}}$")
    return [first, second]


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["history", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_list(capsys: pytest.CaptureFixture[str], conversations: list[int]) -> None:
    _, second = conversations
    code, out, _ = run(capsys, "list")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split()[0] == str(second) and "Fractions" in lines[0]
    assert "解二次方程" in lines[1] and "2 questions" in lines[1] and "[interrupted]" in lines[1]
    code, out, _ = run(capsys, "list", "--json", "--limit", "1")
    data = json.loads(out)
    assert data["total"] == 2 and [c["id"] for c in data["conversations"]] == [second]
    assert data["conversations"][0]["turn_count"] == 1 and "updated" in data["conversations"][0]


def test_show(capsys: pytest.CaptureFixture[str], conversations: list[int]) -> None:
    first, _ = conversations
    code, out, _ = run(capsys, "show", str(first))
    assert code == 0
    assert "══ Question 1 ══\n解二次方程 $x^2 = 4$" in out
    assert "── Checking the work (reflect) ──\nCheck:" in out
    assert "Answer: \\pm 2" in out and "interrupted (the app closed" in out
    assert "<|" not in out
    code, out, _ = run(capsys, "show", str(first), "--json")
    data = json.loads(out)
    assert [t["answer"] for t in data["turns"]] == ["\\pm 2", "\\pm 3"]
    assert data["turns"][0]["output"] == TRACE and data["turns"][1]["finish_reason"] == "interrupted"


def test_show_marks_another_models_thought_and_the_solution_after_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with HistoryStore(default_path()) as store:
        conversation_id = store.create_conversation("R1")
        record(
            store, conversation_id, "2 + 2?", "<think>\nHmm, $2 + 2 = 4$.\n</think>\n\nIt is $\\boxed{4}$."
        )
    code, out, _ = run(capsys, "show", str(conversation_id))
    assert code == 0
    assert "── Thinking ──\nHmm, $2 + 2 = 4$.\n\n── Solution ──\nIt is $\\boxed{4}$." in out
    assert "think>" not in out and "Answer: 4" in out


def test_search(capsys: pytest.CaptureFixture[str], conversations: list[int]) -> None:
    first, _ = conversations
    code, out, _ = run(capsys, "search", "二次方程", "--json")
    hits = json.loads(out)["hits"]
    assert [h["conversation_id"] for h in hits] == [first]
    start, end = hits[0]["highlights"][0]
    assert hits[0]["snippet"][start:end] == "二次方程"
    code, out, _ = run(capsys, "search", "factoring")
    assert code == 0 and out.split()[0] == str(first) and "factoring" in out
    code, out, _ = run(capsys, "search", '"AND *')
    assert code == 0 and out.startswith("Nothing found")


def test_export_markdown(
    capsys: pytest.CaptureFixture[str], conversations: list[int], tmp_path: Path
) -> None:
    first, _ = conversations
    code, out, _ = run(capsys, "export", str(first))
    assert code == 0
    assert out.startswith("# 解二次方程 $x^2 = 4$\n")
    assert "## Question 1\n\n解二次方程 $x^2 = 4$" in out and "## Question 2" in out
    assert "### Checking the work (reflect)\n\nCheck: $2^2 = 4$" in out
    assert "**Answer:** $\\pm 2$" in out and "interrupted" in out
    target = tmp_path / "out.md"
    code, out, _ = run(capsys, "export", str(first), "--out", str(target), "--json")
    assert json.loads(out)["out"] == str(target)
    assert target.read_text(encoding="utf-8").startswith("# 解二次方程")


def test_delete_and_missing_ids(capsys: pytest.CaptureFixture[str], conversations: list[int]) -> None:
    first, second = conversations
    code, out, err = run(capsys, "delete", str(first), "999", "--json")
    assert code == 2 and json.loads(out) == {"deleted": [first], "not_found": [999]}
    assert err.startswith("satori-desktop: There is no conversation 999") and "Traceback" not in err
    code, out, _ = run(capsys, "list", "--json")
    assert [c["id"] for c in json.loads(out)["conversations"]] == [second]
    code, _, err = run(capsys, "show", str(first))
    assert code == 2 and "There is no conversation" in err


def test_as_a_user_runs_it_in_a_separate_process(conversations: list[int]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "satori_desktop", "history", "list", "--json"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["total"] == 2
