"""`ask` and `solve` with --server, as a user runs them, against real llama-server processes on 127.0.0.1."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest import MonkeyPatch

from tests.support.other_models import write_think_model
from tests.support.servers import (
    FaultProxy,
    LlamaServer,
    free_port,
    https_url,
    self_made_certificate,
    tls_recorder,
)
from tests.support.tiny_gguf import EXAMPLE_TRACE, IM_END, script_grammar, write_tiny_gguf


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = {key: value for key, value in os.environ.items() if key != "SATORI_DESKTOP_API_KEY"}
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "satori_desktop", *args],
        capture_output=True,
        text=True,
        timeout=180,
        env=environment,
    )


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_gguf(tmp_path_factory.mktemp("models") / "tiny-satori.gguf")


@pytest.fixture(scope="module")
def grammar(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("grammar") / "trace.gbnf"
    path.write_text(script_grammar(EXAMPLE_TRACE), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def keyed_server(model: Path) -> Iterator[LlamaServer]:
    with LlamaServer(model, api_key="sk-class-7b", parallel=2) as server:
        yield server


def test_ask_on_a_server_streams_the_steps(keyed_server: LlamaServer, grammar: Path) -> None:
    result = run_cli(
        "ask", "What is 1 + 1?", "--server", keyed_server.url, "--grammar-file", str(grammar),
        "--no-history", "--json",
        env={"SATORI_DESKTOP_API_KEY": "sk-class-7b"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["answer"] == "2"
    assert [step["action"] for step in payload["steps"]] == [
        "start",
        "continue",
        "reflect",
        "explore",
        "continue",
    ]
    assert payload["finish_reason"] == "stop"
    assert "sk-class-7b" not in result.stdout + result.stderr


def test_ask_with_a_wrong_key_says_so(keyed_server: LlamaServer) -> None:
    result = run_cli(
        "ask", "What is 1 + 1?", "--server", keyed_server.url, "--no-history",
        env={"SATORI_DESKTOP_API_KEY": "sk-guess"},
    )  # fmt: skip
    assert result.returncode == 2
    assert "refused the API key (HTTP 401)" in result.stderr
    assert "Traceback" not in result.stderr and "sk-guess" not in result.stderr


def test_solve_spreads_a_problem_set_over_two_servers(model: Path, grammar: Path, tmp_path: Path) -> None:
    problems = tmp_path / "set.jsonl"
    problems.write_text(
        "".join(
            json.dumps({"id": n, "problem": f"What is {n} - {n} + 2?", "answer": "2"}) + "\n"
            for n in range(8)
        ),
        encoding="utf-8",
    )
    out = tmp_path / "results.jsonl"
    with (
        LlamaServer(model, parallel=2) as one,
        LlamaServer(model, parallel=2) as two,
        FaultProxy(one.port) as first,
        FaultProxy(two.port) as second,
    ):
        result = run_cli(
            "solve", "--in", str(problems), "--out", str(out),
            "--server", first.url, "--server", second.url,
            "--grammar-file", str(grammar), "--parallel", "4", "--json",
        )  # fmt: skip
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert sorted(record["id"] for record in records) == list(range(8))
    assert all(record["grade"] == "correct" for record in records)
    summary = json.loads(result.stdout)
    assert summary["accuracy"] == 1.0
    # Both servers solved a share: each answered its 3 connect-time requests (models, tokenize, probe) and
    # at least 2 of the 8 problems (each problem goes to the server with fewer in flight).
    assert first.requests >= 5 and second.requests >= 5
    assert first.requests + second.requests == 6 + 8


@pytest.mark.parametrize(
    ("arguments", "sentence"),
    [
        (["--server", "ftp://box"], "must start with http:// or https://"),
        (["--server", f"http://127.0.0.1:{free_port()}"], "Could not reach the Satori server at 127.0.0.1:"),
    ],
)
def test_bad_servers_are_one_sentence(arguments: list[str], sentence: str) -> None:
    result = run_cli("ask", "What is 1 + 1?", *arguments, "--no-history")
    assert result.returncode == 2
    assert sentence in result.stderr
    assert "Traceback" not in result.stderr


def test_a_key_is_not_sent_in_clear_to_another_host() -> None:
    result = run_cli(
        "ask", "What is 1 + 1?", "--server", "http://192.0.2.7:8080", "--no-history",
        env={"SATORI_DESKTOP_API_KEY": "sk-secret"},
    )  # fmt: skip
    assert result.returncode == 2
    assert "would travel unencrypted to 192.0.2.7:8080" in result.stderr
    assert "sk-secret" not in result.stderr


def test_ask_trusts_the_certificate_file_of_server_ca(tmp_path: Path, monkeypatch: MonkeyPatch) -> None:
    key, cert = self_made_certificate(tmp_path)
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)  # the system's certificates: none signed this one
    with tls_recorder(key, cert, ("Hello",)) as recorder:
        refused = run_cli("ask", "Hi", "--server", https_url(recorder), "--no-history")
        trusted = run_cli(
            "ask", "Hi", "--server", https_url(recorder), "--server-ca", str(cert), "--no-history", "--json",
        )  # fmt: skip
        unusable = run_cli(
            "ask", "Hi", "--server", https_url(recorder), "--server-ca", str(tmp_path / "none.pem"),
            "--no-history",
        )  # fmt: skip
    assert refused.returncode == 2 and "certificate verify failed" in refused.stderr
    assert "(or --server-ca)" in refused.stderr and "Traceback" not in refused.stderr
    assert trusted.returncode == 0, trusted.stderr
    assert [step["text"] for step in json.loads(trusted.stdout)["steps"]] == ["Hello"]
    assert unusable.returncode == 2 and "Traceback" not in unusable.stderr
    assert f"The certificate file {tmp_path / 'none.pem'} could not be used (No such file" in unusable.stderr


def test_ask_on_a_server_running_a_think_model_reads_its_thought(tmp_path: Path) -> None:
    script = f"Add them: $1+1=2$.</think>So \\boxed{{2}}.{IM_END}"
    grammar = tmp_path / "think.gbnf"
    grammar.write_text(script_grammar(script), encoding="utf-8")
    with LlamaServer(write_think_model(tmp_path / "tiny-qwq.gguf"), parallel=1, alias=None) as server:
        result = run_cli(
            "ask", "What is 1 + 1?", "--server", server.url, "--grammar-file", str(grammar),
            "--no-history", "--json",
        )  # fmt: skip
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert [step["action"] for step in payload["steps"]] == ["think", "continue"]
    assert payload["answer"] == "2"
    assert "is not Satori: answers work, and its <think> reasoning is shown" in result.stderr
