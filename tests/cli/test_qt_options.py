"""The Qt options the app accepts: picked out of the command line, and each one really read by Qt."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from satori_desktop.cli.qt_options import (
    QT_FLAGS,
    QT_OPTIONS_WITH_EQUALS,
    QT_OPTIONS_WITH_VALUE,
    split_qt_options,
)

ROOT = Path(__file__).resolve().parents[2]
# Read by the xcb plugin only: under the offscreen platform of the tests Qt leaves them in argv.
X11_ONLY = {"-display", "-geometry"}


def test_qt_options_and_their_values_are_taken_out_in_order() -> None:
    argv = ["-platform", "offscreen", "--model", "-x.gguf", "-reverse", "--style=fusion", "-v"]
    split = split_qt_options([*argv, "--qwindowtitle", "T"], options_with_value=["--model"])
    assert split.error is None
    assert split.qt == ["-platform", "offscreen", "-reverse", "--style=fusion", "--qwindowtitle", "T"]
    assert split.qt_option_names == ["-platform", "-reverse", "--style=fusion", "--qwindowtitle"]
    assert split.rest == ["--model", "-x.gguf", "-v"]
    assert split.command_at == 3


def test_nothing_after_the_command_word_is_taken() -> None:
    split = split_qt_options(["-reverse", "ask", "-style", "fusion", "q"])
    assert split.qt == ["-reverse"]
    assert split.rest == ["ask", "-style", "fusion", "q"]
    assert split.command_at == 0
    assert split_qt_options(["--", "-reverse"]).qt == []


@pytest.mark.parametrize(
    "args",
    [["-platform=offscreen"], ["-reverse=1"], ["-stylish"], ["-sessions", "x"], ["-qmljsdebugger=port:1"]],
)
def test_spellings_qt_does_not_read_are_left_for_our_parser_to_refuse(args: list[str]) -> None:
    split = split_qt_options(args)
    assert split.qt == [] and split.rest == args


def test_an_option_without_its_value_is_one_sentence() -> None:
    assert split_qt_options(["-reverse", "-style"]).error == "the Qt option -style needs a value after it."


def qt_leftovers(args: list[str]) -> dict[str, object]:
    """What QApplication leaves of `args` (it removes each option it reads), in a new process."""
    probe = (
        "import json, sys\n"
        "from PySide6.QtWidgets import QApplication\n"
        "app = QApplication(['satori-desktop', *json.loads(sys.argv[1])])\n"
        "print(json.dumps({'left': app.arguments()[1:], 'rtl': app.isRightToLeft()}))\n"
    )
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    result = subprocess.run(
        [sys.executable, "-c", probe, json.dumps(args)], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr[-2000:]
    data: dict[str, object] = json.loads(result.stdout.strip().splitlines()[-1])
    return data


def test_qt_reads_every_option_we_accept(tmp_path: Path) -> None:
    sheet = tmp_path / "empty.qss"
    sheet.write_text("", encoding="utf-8")
    values = {"-platform": "offscreen", "-stylesheet": str(sheet), "-style": "fusion", "-session": "abc"}
    args: list[str] = []
    for name in sorted(QT_OPTIONS_WITH_VALUE - X11_ONLY):
        # Half of them with two dashes: Qt reads both spellings.
        spelling = f"-{name}" if len(args) % 4 else name
        args += [spelling, values.get(name, "x" if name in {"-plugin", "-platformtheme"} else "100x100")]
    args += sorted(QT_FLAGS)
    args += [f"{name}={values[name]}" for name in sorted(QT_OPTIONS_WITH_EQUALS)]
    assert split_qt_options(args).qt == args
    probe = qt_leftovers(args)
    assert probe["left"] == []
    assert probe["rtl"] is True  # -reverse took effect


def test_qt_leaves_what_we_refuse() -> None:
    refused = ["-platform=offscreen", "-dialogs=none", "-nograb", "--bogus"]
    assert qt_leftovers(refused)["left"] == refused  # Qt would have ignored them without a word


@pytest.mark.slow
def test_the_app_starts_with_qt_options(tmp_path: Path) -> None:
    env = dict(os.environ, SATORI_DESKTOP_HOME=str(tmp_path), QTWEBENGINE_CHROMIUM_FLAGS="--no-sandbox")
    env.pop("QT_QPA_PLATFORM", None)  # the platform comes from the command line this time
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "satori_desktop",
            "-platform",
            "offscreen",
            "-reverse",
            "--scripted-engine",
            "--exit-when-ready",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "SATORI_READY" in result.stdout.splitlines()
