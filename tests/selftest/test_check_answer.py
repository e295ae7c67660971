"""The self-test's `check-answer` step: its pairs are judged as it expects by the real checker, and a
wrong or undecided verdict becomes a clause that names the answer.

(The step inside the whole self-test, in a new process, is in test_self_test.py; the frozen bundle runs it
in packaging/linux/smoke-test.sh.)
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from satori_desktop.selftest.answers import DEADLINE_S, PAIRS, AnswerPair, answer_problems


@dataclass(frozen=True)
class FakeVerdict:
    match: bool | None
    reason: str = ""


def test_the_pairs_hold_a_match_and_a_mismatch() -> None:
    assert {pair.match for pair in PAIRS} == {True, False}


def test_right_verdicts_leave_no_problem() -> None:
    assert answer_problems(PAIRS, [FakeVerdict(pair.match) for pair in PAIRS]) == []


def test_wrong_and_undecided_verdicts_are_named() -> None:
    pairs = (AnswerPair("1/2", r"\frac{1}{2}", True), AnswerPair("0.3", r"\frac{1}{3}", False))
    verdicts = [FakeVerdict(None, "the check took longer than 3 s."), FakeVerdict(True)]
    assert answer_problems(pairs, verdicts) == [
        r"it could not decide '1/2' against '\\frac{1}{2}' (the check took longer than 3 s)",
        r"'0.3' against '\\frac{1}{3}' came out as a match instead of no match",
    ]


def test_the_real_checker_agrees_with_the_pairs() -> None:
    checking = pytest.importorskip("satori_desktop.checking")
    with checking.AnswerChecker(deadline_s=DEADLINE_S) as checker:
        results = [checker.check(pair.student, pair.reference) for pair in PAIRS]
    assert [result.match for result in results] == [pair.match for pair in PAIRS], results
