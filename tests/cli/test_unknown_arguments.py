"""Anything the command line does not know is refused at once: usage line, one sentence, exit code 2.

Run as a user runs it (a new `python -m satori_desktop` process) and in-process through `main()`; either
way neither Qt nor llama.cpp may be imported before the refusal, and the window must never open.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import types
from pathlib import Path

import pytest

from satori_desktop.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
HEAVY_MODULES = ("PySide6", "llama_cpp")


def run_cli(*args: str) -> tuple[subprocess.CompletedProcess[str], float]:
    """`python -X importtime -m satori_desktop ARGS`: stderr also lists every module the run imported."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")  # should it start the window after all, no screen
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "satori_desktop", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return result, time.monotonic() - started


def imported_modules(importtime_stderr: str) -> set[str]:
    # Lines look like "import time:       123 |        456 |   PySide6.QtCore".
    return {
        line.rsplit("|", 1)[1].strip()
        for line in importtime_stderr.splitlines()
        if line.startswith("import time:") and line.count("|") == 2
    }


def message_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if not line.startswith("import time:")]


@pytest.mark.parametrize(
    ("args", "usage", "sentence"),
    [
        (["--bogus"], "usage: satori-desktop [", "satori-desktop: error: unrecognized arguments: --bogus"),
        (["--modle", "x.gguf"], "usage: satori-desktop [", "satori-desktop: error: unrecognized arguments"),
        (["bogus"], "usage: satori-desktop [", "invalid choice: 'bogus'"),
        (["ask", "1+1?", "--bogus"], "usage: satori-desktop ask", "unrecognized arguments: --bogus"),
        (["models", "lst"], "usage: satori-desktop models", "invalid choice: 'lst'"),
        (["models", "list", "--bogus"], "usage: satori-desktop models list", "unrecognized arguments"),
        (["models", "--bogus", "list"], "usage: satori-desktop models", "unrecognized arguments: --bogus"),
        (["bench", "nothing"], "usage: satori-desktop bench", "invalid choice: 'nothing'"),
        (["parse", "-", "extra"], "usage: satori-desktop parse", "unrecognized arguments: extra"),
    ],
    ids=[
        "option",
        "misspelt-option",
        "command",
        "option-after-command",
        "subcommand",
        "option-after-subcommand",
        "option-between-commands",
        "benchmark",
        "extra-word",
    ],
)
def test_unknown_arguments_are_refused_at_once(args: list[str], usage: str, sentence: str) -> None:
    result, seconds = run_cli(*args)
    assert result.returncode == 2, result.stderr[-2000:]
    lines = message_lines(result.stderr)
    assert lines[0].startswith(usage), lines
    assert sentence in lines[-1]
    assert result.stdout == ""
    imported = imported_modules(result.stderr)
    assert not {name for name in imported if name.split(".")[0] in HEAVY_MODULES}
    assert seconds < 30  # generous for a loaded machine; the import check above is the real guard


def test_the_error_line_is_one_sentence_pointing_at_help() -> None:
    result, _ = run_cli("ask", "1+1?", "--bogus")
    last = message_lines(result.stderr)[-1]
    assert last == (
        "satori-desktop ask: error: unrecognized arguments: --bogus; "
        "`satori-desktop ask --help` lists the options."
    )


@pytest.fixture
def no_window(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to start the window fails the test (a stand-in for satori_desktop.ui.app)."""

    def run_gui(argv: list[str]) -> int:
        raise AssertionError(f"the window was started with {argv}")

    fake_app = types.ModuleType("satori_desktop.ui.app")
    fake_app.run_gui = run_gui  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "satori_desktop.ui.app", fake_app)


@pytest.mark.parametrize(
    "args",
    [["--any-typo"], ["-platform"], ["-reverse", "ask", "1+1?"], ["ask", "1+1?", "-style", "fusion"]],
    ids=["typo", "qt-option-without-value", "qt-option-before-command", "qt-option-after-command"],
)
def test_main_exits_with_2_before_anything_starts(
    args: list[str], no_window: None, capsys: pytest.CaptureFixture[str]
) -> None:
    heavy_before = {name for name in HEAVY_MODULES if name in sys.modules}
    with pytest.raises(SystemExit) as exited:
        main(args)
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: satori-desktop")
    assert len(err.strip().splitlines()[-1].split(": error: ", 1)) == 2
    # Nothing heavy was imported by the refusal (pytest-qt may have imported Qt before the test).
    assert {name for name in HEAVY_MODULES if name in sys.modules} == heavy_before


def test_qt_options_are_refused_with_a_command(no_window: None, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["-platform", "offscreen", "parse", "-"])
    assert "-platform is an option of the app's window, not of a command." in capsys.readouterr().err


def test_the_window_gets_qt_options_and_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[list[str]] = []

    def run_gui(argv: list[str]) -> int:
        started.append(argv)
        return 0

    fake_app = types.ModuleType("satori_desktop.ui.app")
    fake_app.run_gui = run_gui  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "satori_desktop.ui.app", fake_app)
    monkeypatch.setattr("satori_desktop.cli.main.configure_logging", lambda **_: None)  # no global handlers
    argv = ["-platform", "offscreen", "--model", "m.gguf", "-reverse", "--style=fusion", "-v"]
    assert main(argv) == 0
    assert started == [argv]
