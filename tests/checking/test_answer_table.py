"""The answer table: what a student types against a reference answer, and the verdict the real checker gives.

Every row runs through the real worker process and the real math-verify 0.9.0 (one checker for the
module). The comment on a row says why its verdict may surprise: math-verify's own leniency is recorded
here, not fought (a reference 50 accepts 50%), and so are the rows that need our pre-processing
(`checking/answers.py`: choice letters, words, `pi`, `∞`, `√`, a trailing operator).
"""

from __future__ import annotations

from typing import NamedTuple

import pytest

from satori_desktop.checking import AnswerChecker
from tests.support.answers import UNREADABLE


class Row(NamedTuple):
    student: str
    reference: str
    match: bool | None
    note: str = ""


TABLE = (
    # Fractions and decimals
    Row("1/2", r"\frac{1}{2}", True),
    Row("0.5", r"\frac{1}{2}", True),
    Row(r"$\frac{2}{4}$", "0.5", True, "delimiters typed by the student are fine"),
    Row("-1/2", r"-\frac{1}{2}", True),
    Row("0.6", r"\frac{1}{2}", False),
    Row("1/3", "0.5", False),
    Row("0.333", r"\frac{1}{3}", False, "math-verify rounds to 6 places: 0.333 is not 1/3"),
    Row("0.3333333", r"\frac{1}{3}", True, "... but 0.3333333 is"),
    Row(r"\tfrac12", "1/2", True),
    Row("1,000", "1000", True, "a thousands separator"),
    # Percent
    Row("10%", "0.1", True),
    Row("25%", r"\frac{1}{4}", True),
    Row("50%", "50", True, "LENIENT (math-verify): a reference 50 also accepts 50%"),
    Row("30%", "0.4", False),
    # Intervals
    Row("(2, 3]", "(2,3]", True),
    Row("[2,3]", "(2,3]", False),
    Row("(2,3)", "(2,3]", False),
    Row(r"2<x\le 3", "(2,3]", True, "needs allow_set_relation_comp: by default only the reverse matches"),
    Row("(2,3]", r"2<x\le 3", True),
    Row(r"x\ge 1", r"[1,\infty)", True),
    Row("x > 1", r"[1,\infty)", False),
    Row(r"(1,2)\cup(3,4)", r"(1,2)\cup(3,4)", True),
    # Sets
    Row(r"\{2,1\}", r"\{1,2\}", True, "order does not matter"),
    Row("2, 1", r"\{1,2\}", True),
    Row(r"\{1,3\}", r"\{1,2\}", False),
    Row("(1,2)", r"\{1,2\}", True, "LENIENT (math-verify): the open interval (1,2) against the set {1,2}"),
    Row(r"\{\}", r"\emptyset", True),
    # Equations and several solutions
    Row("x=3", "3", True),
    Row("3", "x=3", True),
    Row("x=4", "x=3", False),
    Row("y=1+2x", "y=2x+1", True),
    Row("3, -3", "x=3 or x=-3", True),
    Row("x=3 or x=-3", "3,-3", True, "math-verify reads the word `or` as a comma"),
    Row(r"x=3 \text{ or } x=-3", r"\pm 3", True),
    Row("x=3", "x=3 or x=-3", False, "one solution of two"),
    Row("a=2, b=3", "b=3, a=2", True),
    Row("x=1, y=2", "(1,2)", True, "LENIENT (math-verify): the pair (1,2) is read as an interval"),
    # \pm
    Row("3, -3", r"\pm 3", True),
    Row(r"\pm 3", "3,-3", True),
    Row("±3", r"\pm 3", True),
    Row("3", r"\pm 3", False),
    Row(r"3+\sqrt{2}, 3-\sqrt{2}", r"3\pm\sqrt{2}", True),
    # Roots, powers, expressions, constants
    Row(r"2\sqrt{2}", r"\sqrt{8}", True),
    Row("sqrt(2)", r"\sqrt{2}", True),
    Row("√2", r"\sqrt{2}", True, "NORMALISED: √ becomes \\sqrt (math-verify cannot read √)"),
    Row("1.414", r"\sqrt{2}", False, "6 places again"),
    Row("1024", "2^{10}", True),
    Row("(x+1)^2", "x^2+2x+1", True),
    Row("(x-1)(x+1)", "x^2-1", True),
    Row("2y+1", "2x+1", False, "another variable"),
    Row("pi/2", r"\frac{\pi}{2}", True, "NORMALISED: a bare pi is p*i to math-verify (issue #69)"),
    Row("π/2", r"\frac{\pi}{2}", True),
    Row("1.5708", r"\frac{\pi}{2}", False, "6 places"),
    Row("∞", r"\infty", True, "NORMALISED: math-verify cannot read ∞"),
    Row("infinity", r"\infty", True),
    Row(r"\frac{1}{2006!}", r"\frac{1}{2004!}", True, "WRONG (math-verify #14): tiny values compare equal"),
    # Choice letters (NORMALISED: both sides choices -> compared as letters)
    Row("B", "(B)", True),
    Row("C)", r"\text{(C)}", True, "math-verify cannot read `C)`"),
    Row("(c)", "C", True),
    Row("B", "(C)", False),
    Row("12", "(B)", False, "a number against a choice: math-verify says b is not 12"),
    # Units
    Row("12 cm", r"12\text{ cm}", True, "units are dropped"),
    Row("12", r"12\text{ cm}", True),
    Row("13 cm", r"12\text{ cm}", False),
    Row("500 cm", r"5\text{ m}", False, "units are dropped, not converted"),
    Row(r"\$18", "18.00", True),
    Row("90", r"90^\circ", True),
    Row(r"90^\circ", r"\frac{\pi}{2}", False, "degrees are dropped, not converted"),
    # Text answers (NORMALISED: both sides words -> compared as words)
    Row("yes", r"\text{Yes}", True),
    Row("No", r"\text{yes}", False),
    Row("no solution", r"\text{No solution.}", True, "case and a final full stop do not matter"),
    Row("none", "0", False, "words against math"),
    Row("5", r"\text{none}", False, "math against words"),
    # Cannot compare
    Row("", "1", None, "empty"),
    Row("1", "  ", None, "empty reference"),
    Row(")))", r"\frac{", None, "both broken: the reason names the reference, whose brace is checked first"),
)


@pytest.mark.parametrize("row", TABLE, ids=[f"{row.student}|{row.reference}" for row in TABLE])
def test_answer_table(checker: AnswerChecker, row: Row) -> None:
    verdict = checker.check(row.student, row.reference)
    assert verdict.match is row.match, verdict.reason
    assert verdict.reason.endswith("."), verdict.reason
    assert verdict.student == row.student.strip() and verdict.reference == row.reference.strip()


def test_the_table_has_matches_mismatches_and_failures() -> None:
    matches = [row for row in TABLE if row.match is True]
    mismatches = [row for row in TABLE if row.match is False]
    assert len(TABLE) >= 40 and len(matches) >= 15 and len(mismatches) >= 15


@pytest.mark.parametrize("garbage", UNREADABLE)
def test_an_unreadable_student_answer_says_it_is_yours(checker: AnswerChecker, garbage: str) -> None:
    verdict = checker.check(garbage, r"\frac{1}{2}")
    assert verdict.match is None
    assert verdict.reason.startswith("Could not read your answer as math"), verdict.reason


@pytest.mark.parametrize("garbage", UNREADABLE)
def test_an_unreadable_reference_says_it_is_the_reference(checker: AnswerChecker, garbage: str) -> None:
    verdict = checker.check("1/2", garbage)
    assert verdict.match is None
    assert verdict.reason.startswith("Could not read the reference answer as math"), verdict.reason


def test_empty_answers_say_which_side_is_empty(checker: AnswerChecker) -> None:
    assert checker.check("   ", "1").reason.startswith("Your answer is empty")
    assert checker.check("1", "").reason.startswith("The reference answer is empty")


def test_the_reasons_for_a_match_and_a_mismatch(checker: AnswerChecker) -> None:
    assert checker.check("0.5", "1/2").reason == "Your answer matches the reference answer."
    assert checker.check("0.6", "1/2").reason == "Your answer does not match the reference answer."


def test_to_dict_has_exactly_the_four_fields(checker: AnswerChecker) -> None:
    verdict = checker.check(" 0.5 ", "1/2")
    assert verdict.to_dict() == {
        "match": True,
        "student": "0.5",
        "reference": "1/2",
        "reason": "Your answer matches the reference answer.",
    }
