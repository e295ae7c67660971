"""`satori-desktop bench remote` runs end to end, as a user runs it, on a tiny model with tiny numbers.

Only the shape of its report and that every rate is a positive number are checked: timings on a shared
machine are the benchmark's business (docs/benchmarks.md), not a test's.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.servers import llama_server_binary
from tests.support.tiny_gguf import write_tiny_gguf


@pytest.mark.slow
def test_bench_remote_reports_both_comparisons(tmp_path: Path) -> None:
    model = write_tiny_gguf(tmp_path / "tiny-random.gguf", random_weights=True)
    saved = tmp_path / "remote.json"
    done = subprocess.run(
        [
            sys.executable, "-m", "satori_desktop", "bench", "remote",
            "--model", str(model), "--llama-server", str(llama_server_binary()),
            "--tokens", "16", "--rounds", "2", "--problems", "4", "--problem-tokens", "8", "--slots", "2",
            "--json", "--save", str(saved),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout)
    assert json.loads(saved.read_text()) == report
    assert report["benchmark"] == "remote"
    for key in ("date", "machine", "commit", "load_average_1min", "load_average_1min_end"):
        assert key in report

    streaming = report["streaming"]
    assert streaming["tokens"] == 16
    assert streaming["retries_without_answer"].keys() == {"engine", "bare"}
    assert streaming["same_text"] is True  # greedy, one server: the engine and the bare client agree
    assert len(streaming["runs"]["engine_tok_s"]) == len(streaming["runs"]["bare_tok_s"]) == 2
    rates = ("engine_tok_s", "bare_tok_s", "engine_vs_bare", "engine_vs_bare_paired_median", "server_tok_s")
    ratios = ("engine_vs_server_median", "bare_vs_server_median")
    for key in rates + ratios:
        assert streaming[key] > 0, key
    assert streaming["engine_cpu_us_per_token"] > 0
    assert streaming["bare_cpu_us_per_token"] > 0

    problem_set = report["problem_set"]
    assert problem_set["problems"] == 4
    assert problem_set["tokens_per_problem"] == 8
    assert problem_set["slots_per_server"] == 2
    assert len(problem_set["runs"]["one_server"]) == len(problem_set["runs"]["two_servers"]) == 2
    for key in (
        "one_server_wall_s",
        "two_servers_wall_s",
        "one_server_tok_s",
        "two_servers_tok_s",
        "speedup",
    ):
        assert problem_set[key] > 0, key


def test_bench_remote_without_a_server_binary_is_one_sentence(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable, "-m", "satori_desktop", "bench", "remote",
            "--model", str(write_tiny_gguf(tmp_path / "tiny.gguf")),
            "--llama-server", str(tmp_path / "no-such-llama-server"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )  # fmt: skip
    assert done.returncode != 0
    assert "There is no llama-server at" in done.stderr
    assert "Traceback" not in done.stderr
