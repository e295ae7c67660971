"""The codebase's own rules, checked with the real tools: lint, format, types, and Qt kept out of the core."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _run(tool: str, *args: str) -> None:
    executable = BIN / tool if (BIN / tool).exists() else shutil.which(tool)
    if executable is None:
        pytest.fail(f"{tool} is not installed: install the test extras (pip install -e '.[test]')")
    result = subprocess.run([str(executable), *args], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, f"{tool} {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"


def test_ruff_lint() -> None:
    _run("ruff", "check", ".")


def test_ruff_format() -> None:
    _run("ruff", "format", "--check", ".")


def test_mypy() -> None:
    _run("mypy")


def test_qt_stays_out_of_core_engine_models_history() -> None:
    _run("lint-imports")
