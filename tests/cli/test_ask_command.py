"""`satori-desktop ask`, run as a user runs it, on a tiny GGUF through the real llama.cpp engine."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import llama_cpp
import pytest

from tests.support.tiny_gguf import (
    EXAMPLE_TRACE,
    LONG_PIECE,
    SPLIT_CHARACTER,
    script_grammar,
    write_tiny_gguf,
)


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_gguf(tmp_path_factory.mktemp("models") / "tiny-satori.gguf")


@pytest.fixture(scope="module")
def script(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("grammar") / "trace.gbnf"
    path.write_text(script_grammar(EXAMPLE_TRACE), encoding="utf-8")
    return path


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "satori_desktop", *args], capture_output=True, text=True, timeout=120
    )


def test_ask_json_has_the_documented_structure(tiny_model: Path, script: Path) -> None:
    result = run_cli("ask", "1+1?", "--model", str(tiny_model), "--grammar-file", str(script), "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) == {"question", "steps", "answer", "finish_reason", "tokens", "timing", "backend"}
    assert data["question"] == "1+1?"
    assert [s["action"] for s in data["steps"]] == ["start", "continue", "reflect", "explore", "continue"]
    assert data["steps"][1]["text"] == f"So x = 2, and {SPLIT_CHARACTER} of nothing is 0."
    assert data["steps"][2]["text"] == f"Wait, check: 1 + 1 = 2.{LONG_PIECE}"
    assert data["answer"] == "2"
    assert data["finish_reason"] == "stop"
    assert data["tokens"]["prompt"] > 20 and data["tokens"]["generated"] > 10
    assert data["timing"]["ttft_s"] > 0 and data["timing"]["decode_tok_s"] > 0
    if llama_cpp.llama_supports_gpu_offload():  # a CUDA/Metal build offloads the whole tiny model
        assert data["backend"]["name"] != "CPU" and data["backend"]["gpu_layers"] > 0
    else:
        assert data["backend"] == {"name": "CPU", "gpu_layers": 0}


def test_ask_streams_steps_with_markers_and_the_answer(tiny_model: Path, script: Path) -> None:
    result = run_cli("ask", "1+1?", "--model", str(tiny_model), "--grammar-file", str(script))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "── Checking the work (reflect) ──" in lines
    assert "── Trying another way (explore) ──" in lines
    assert lines[-1] == "Answer: 2"
    assert "<|" not in result.stdout
    assert "tokens" in result.stderr and "tok/s" in result.stderr


def test_max_tokens_ends_with_length_and_no_answer(tiny_model: Path) -> None:
    result = run_cli("ask", "1+1?", "--model", str(tiny_model), "--max-tokens", "7", "--json")
    data = json.loads(result.stdout)
    assert data["finish_reason"] == "length"
    assert data["tokens"]["generated"] == 7
    assert data["answer"] is None
    assert data["steps"][0]["text"] == LONG_PIECE * 7


@pytest.mark.parametrize(
    ("args", "sentence"),
    [
        (["--model", "/no/such/model.gguf"], "/no/such/model.gguf"),
        ([], "No model is installed"),
    ],
)
def test_model_problems_are_one_sentence(args: list[str], sentence: str) -> None:
    result = run_cli("ask", "1+1?", *args)
    assert result.returncode != 0
    assert sentence in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_question_longer_than_the_context_is_refused_before_decoding(tiny_model: Path) -> None:
    result = run_cli("ask", "1 + 1 = ? " * 3000, "--model", str(tiny_model), "--n-ctx", "512")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "context" in result.stderr.lower()


def test_ctrl_c_cancels_and_keeps_the_partial_solution(tmp_path: Path) -> None:
    # The scripted model without a grammar never stops on its own: only the token limit or a cancel ends it.
    # This one is wide enough that 3,000 tokens take seconds, so the interrupt lands mid-stream.
    model = write_tiny_gguf(tmp_path / "wider.gguf", n_embd=512, n_layer=4, n_ff=2048)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "satori_desktop",
            "ask",
            "1+1?",
            "--model",
            str(model),
            "--max-tokens",
            "3000",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert process.stdout is not None
    assert process.stdout.readline() == "\n"
    marker = process.stdout.readline()
    assert "──" in marker  # the first step's marker line: generation has started
    process.send_signal(signal.SIGINT)
    # Read through the same buffered streams as readline() (communicate() would skip what they buffered).
    out = process.stdout.read()
    assert process.stderr is not None
    err = process.stderr.read()
    assert process.wait(timeout=60) == 130
    assert "cancelled" in err
    assert "Traceback" not in err
    assert LONG_PIECE in out


def test_ask_records_into_the_apps_history_unless_told_not_to(tiny_model: Path, script: Path) -> None:
    asked = run_cli("ask", "1+1?", "--model", str(tiny_model), "--grammar-file", str(script), "--json")
    assert asked.returncode == 0, asked.stderr
    listed = run_cli("history", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    conversations = json.loads(listed.stdout)
    conversations = conversations["conversations"] if isinstance(conversations, dict) else conversations
    assert [c["title"] for c in conversations] == ["1+1?"]
    shown = json.loads(run_cli("history", "show", str(conversations[0]["id"]), "--json").stdout)
    turn = shown["turns"][0]
    assert turn["finish_reason"] == "stop" and turn["answer"] == json.loads(asked.stdout)["answer"]
    assert turn["model_file"] == tiny_model.name and "<|reflect|>" in turn["output"]

    skipped = run_cli(
        "ask", "2+2?", "--model", str(tiny_model), "--grammar-file", str(script), "--no-history"
    )
    assert skipped.returncode == 0, skipped.stderr
    again = json.loads(run_cli("history", "list", "--json").stdout)
    again = again["conversations"] if isinstance(again, dict) else again
    assert len(again) == 1
