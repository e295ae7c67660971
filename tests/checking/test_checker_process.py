"""The checker's worker process, for real: reused, killed at its deadline and restarted, restarted after a
crash, stopped by close(), shared by two threads, and a failed start said in one sentence."""

from __future__ import annotations

import os
import signal
import sys
import threading
from pathlib import Path

import pytest

from satori_desktop.checking import AnswerChecker, CheckResult
from tests.support.answers import QUICK, SLOW


def test_the_worker_is_reused_across_checks(checker: AnswerChecker) -> None:
    assert checker.check(*QUICK).match is True
    pid = checker.worker_pid
    for _ in range(3):
        assert checker.check(*QUICK).match is True
    assert checker.worker_pid == pid and checker.running


def test_the_worker_imports_no_qt_and_no_llama_cpp(checker: AnswerChecker) -> None:
    checker.check(*QUICK)
    assert checker.worker_info is not None
    assert checker.worker_info["heavy_modules"] == []
    assert checker.worker_info["import_s"] > 0


def test_a_check_past_its_deadline_is_stopped_and_the_next_gets_a_fresh_worker() -> None:
    with AnswerChecker(deadline_s=30.0) as checker:
        assert checker.check(*QUICK).match is True
        first_pid = checker.worker_pid
        verdict = checker.check(SLOW.student, SLOW.reference, deadline_s=SLOW.deadline_s)
        assert verdict.match is None
        assert verdict.reason == (
            f"The comparison took longer than {SLOW.deadline_s:g} s and was stopped; "
            "try a simpler form of your answer."
        )
        assert not checker.running  # killed, not left computing
        assert checker.check(*QUICK).match is True
        assert checker.worker_pid not in (None, first_pid)


def test_the_default_deadline_is_the_checkers_own() -> None:
    with AnswerChecker(deadline_s=SLOW.deadline_s) as checker:
        verdict = checker.check(SLOW.student, SLOW.reference)
        assert verdict.match is None and "longer than" in verdict.reason


def test_a_killed_worker_is_restarted_by_the_next_check() -> None:
    with AnswerChecker() as checker:
        assert checker.check(*QUICK).match is True
        pid = checker.worker_pid
        assert pid is not None
        os.kill(pid, signal.SIGKILL)
        verdict = checker.check(*QUICK)
        assert verdict.match is True, verdict.reason
        assert checker.worker_pid not in (None, pid)


def test_close_stops_the_worker_and_is_idempotent() -> None:
    checker = AnswerChecker()
    checker.start()
    checker.start()  # idempotent: still the one process
    pid = checker.worker_pid
    assert checker.check(*QUICK).match is True
    assert checker.worker_pid == pid
    checker.close()
    assert not checker.running and checker.worker_pid is None
    checker.close()
    # A check after close() starts a fresh worker rather than failing.
    assert checker.check(*QUICK).match is True
    checker.close()


def test_checks_from_two_threads_both_get_answers() -> None:
    verdicts: dict[str, CheckResult] = {}
    with AnswerChecker() as checker:

        def check(name: str, student: str) -> None:
            verdicts[name] = checker.check(student, r"\frac{1}{2}")

        threads = [
            threading.Thread(target=check, args=("right", "0.5")),
            threading.Thread(target=check, args=("wrong", "0.6")),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    assert verdicts["right"].match is True
    assert verdicts["wrong"].match is False


def test_a_worker_that_cannot_start_says_so_in_one_sentence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A math_verify that fails to import, first on the path the spawned worker inherits.
    broken = tmp_path / "math_verify"
    broken.mkdir()
    (broken / "__init__.py").write_text("raise ImportError('math_verify is broken here')\n")
    monkeypatch.setattr(sys, "path", [str(tmp_path), *sys.path])
    with AnswerChecker() as checker:
        verdict = checker.check(*QUICK)
        assert verdict.match is None
        assert verdict.reason.startswith(
            "The answer checker could not start (ImportError: math_verify is broken here)"
        ), verdict.reason
        assert "\n" not in verdict.reason
        assert not checker.running
        # Choice letters and words need no worker and are still compared.
        assert checker.check("B", "(B)").match is True
