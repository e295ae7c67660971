"""`satori-desktop ask` with another reasoning model: its own template, its thought as one section."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.support.other_models import write_think_model
from tests.support.tiny_gguf import IM_END, script_grammar


def test_ask_reads_a_think_model_as_a_thought_and_an_answer(tmp_path: Path) -> None:
    model = write_think_model(tmp_path / "tiny-qwq.gguf")
    grammar = tmp_path / "trace.gbnf"
    grammar.write_text(script_grammar(f"Add: $1+1=2$.</think>So \\boxed{{2}}.{IM_END}"), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "satori_desktop", "ask", "What is 1 + 1?", "--model", str(model),
         "--grammar-file", str(grammar), "--no-history", "--json"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    payload = json.loads(done.stdout)
    assert [step["action"] for step in payload["steps"]] == ["think", "continue"]
    assert payload["steps"][0]["text"] == "Add: $1+1=2$."
    assert payload["answer"] == "2"
    assert "<think> reasoning is shown as one folded Thinking section" in done.stderr

    terminal = subprocess.run(
        [sys.executable, "-m", "satori_desktop", "ask", "What is 1 + 1?", "--model", str(model),
         "--grammar-file", str(grammar), "--no-history"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert terminal.returncode == 0, terminal.stderr
    assert "Thinking" in terminal.stdout and "</think>" not in terminal.stdout
