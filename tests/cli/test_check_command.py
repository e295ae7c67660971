"""`satori-desktop check`, as a user runs it: exit codes 0/1/2, --json, the readable line, --timeout, and
the usage errors. A few runs are separate processes (`python -m satori_desktop`), to prove that the
spawned worker does not start the app again; the rest call `main()` in this process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from satori_desktop.cli.main import main
from tests.support.answers import SLOW


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "satori_desktop", "check", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_match_exits_0_with_json() -> None:
    done = run_cli("x=3 or x=-3", "--against", r"\pm 3", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {
        "match": True,
        "student": "x=3 or x=-3",
        "reference": r"\pm 3",
        "reason": "Your answer matches the reference answer.",
    }
    assert done.stderr == ""


def test_no_match_exits_1_with_a_readable_line() -> None:
    done = run_cli("0.6", "--against", r"\frac{1}{2}")
    assert done.returncode == 1, done.stderr
    assert done.stdout == "No match: Your answer does not match the reference answer.\n"


def test_the_installed_script_spawns_its_worker_too() -> None:
    # The console script is the spawned child's main module (run as __mp_main__): its own
    # `if __name__ == "__main__"` keeps the child from starting the command again.
    script = Path(sys.executable).with_name("satori-desktop")
    if not script.exists():
        pytest.skip(f"no installed satori-desktop script next to {sys.executable}")
    done = subprocess.run(
        [str(script), "check", "1/2", "--against", "0.5"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "Match: Your answer matches the reference answer.\n"


@pytest.mark.parametrize(
    ("args", "code", "match"),
    [
        (["0.5", "--against", "1/2"], 0, True),
        (["B", "--against", "(B)"], 0, True),
        (["12 cm", "--against", r"12\text{ cm}"], 0, True),
        (["(2,3)", "--against", "(2,3]"], 1, False),
        (["yes", "--against", r"\text{no}"], 1, False),
        (["--against", "0.5", "--", "-1/2"], 1, False),
        (["--against=-1/2", "-0.5"], 0, True),  # a negative number is taken as the positional
    ],
)
def test_exit_codes_and_json(
    args: list[str], code: int, match: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", "--json", *args]) == code
    assert json.loads(capsys.readouterr().out)["match"] is match


def test_garbage_exits_2_naming_the_side(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", ")))", "--against", "1/2", "--json"]) == 2
    data = json.loads(capsys.readouterr().out)
    assert data["match"] is None
    assert data["reason"].startswith("Could not read your answer as math")
    assert main(["check", "1/2", "--against", r"\frac{", "--json"]) == 2
    assert json.loads(capsys.readouterr().out)["reason"].startswith("Could not read the reference answer")


def test_an_empty_answer_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "", "--against", "1"]) == 2
    assert capsys.readouterr().out.startswith("Could not compare: Your answer is empty")


def test_a_timeout_exits_2_with_null(capsys: pytest.CaptureFixture[str]) -> None:
    timeout = f"{SLOW.deadline_s:g}"
    assert main(["check", SLOW.student, "--against", SLOW.reference, "--timeout", timeout, "--json"]) == 2
    captured = capsys.readouterr()
    data = json.loads(captured.out)
    assert data["match"] is None
    assert data["reason"] == (
        f"The comparison took longer than {timeout} s and was stopped; try a simpler form of your answer."
    )
    assert captured.err == ""  # the reason says it all; details only in the log


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf", "601", "soon"])
def test_a_bad_timeout_is_a_usage_error(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["check", "1", "--against", "1", "--timeout", value])
    assert exited.value.code == 2
    assert "argument --timeout: must be" in capsys.readouterr().err


def test_against_is_required(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["check", "1/2"])
    assert exited.value.code == 2
    assert "--against" in capsys.readouterr().err
