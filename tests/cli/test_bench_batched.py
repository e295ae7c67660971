"""`satori-desktop bench batched` runs end to end, as a user runs it, on a tiny model with tiny numbers.

Only the shape of its report is checked, and that the batched answers are the single ones (the engine's
own tests check that in depth): timings on a shared machine are the benchmark's business
(docs/benchmarks.md), not a test's.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.tiny_gguf import write_tiny_gguf


def _bench(model: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable, "-m", "satori_desktop", "bench", "batched", "--model", str(model),
            "--batch-sizes", "1,2", "--tokens", "8", "--prompt-tokens", "32", "--rounds", "1",
            "--no-llama-batched-bench", *args,
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )  # fmt: skip


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_gguf(tmp_path_factory.mktemp("models") / "tiny-random.gguf", random_weights=True)


def test_batched_against_one_after_another(model: Path) -> None:
    done = _bench(model, "--json", "--samples", "2")
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout)
    assert [row["batch_size"] for row in report["sizes"]] == [1, 2]
    for row in report["sizes"]:
        assert row["batched_tok_s"] > 0 and row["sequential_tok_s"] > 0
        assert row["batched_vs_sequential"] > 0 and row["wall_sequential_vs_batched"] > 0
        assert row["same_text"] is True
        assert row["engine_vs_llama_batched_bench"] is None
    assert report["samples"]["k"] == 2 and report["samples"]["k_vs_one"] > 0


def test_no_sequential_leaves_the_answers_one_after_another_out(model: Path) -> None:
    done = _bench(model)
    assert done.returncode == 0, done.stderr[-3000:]
    table = done.stdout.splitlines()
    rows = [line.split() for line in table if line.split()[:1] in (["1"], ["2"])]
    # B, the batched and sequential rates, both ratios, "-" for llama-batched-bench twice, the check.
    assert len(rows) == 2 and all(float(row[2]) > 0 and row[5:] == ["-", "-", "yes"] for row in rows)

    done = _bench(model, "--no-sequential")
    assert done.returncode == 0, done.stderr[-3000:]
    rows = [line.split() for line in done.stdout.splitlines() if line.split()[:1] in (["1"], ["2"])]
    # B, the batched rate, then "-" for the sequential rate, both ratios, llama-batched-bench and the check.
    assert [row[0] for row in rows] == ["1", "2"]
    assert all(float(row[1]) > 0 and row[2:] == ["-"] * 6 for row in rows)
