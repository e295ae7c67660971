"""Answers grouped by equivalence through the real checker (worker and math-verify), and the majority."""

from __future__ import annotations

from satori_desktop.checking import (
    AnswerChecker,
    AnswerGroup,
    CheckResult,
    Consensus,
    group_answers,
    majority,
)


class CountingChecker:
    """The real checker, counting the checks it is asked for."""

    def __init__(self, checker: AnswerChecker) -> None:
        self.checker = checker
        self.calls: list[tuple[str, str]] = []

    def check(self, student: str, reference: str, *, deadline_s: float | None = None) -> CheckResult:
        self.calls.append((student, reference))
        return self.checker.check(student, reference, deadline_s=deadline_s)


def test_equivalent_forms_group_together_largest_first(checker: AnswerChecker) -> None:
    answers = ["5", "\\frac{1}{2}", "0.5", None, " 5 ", "\\dfrac{10}{2}", "7", "1/2", "7"]
    groups = group_answers(answers, checker)
    assert groups == [
        AnswerGroup("5", (0, 4, 5)),
        AnswerGroup("\\frac{1}{2}", (1, 2, 7)),
        AnswerGroup("7", (6, 8)),
    ]
    assert majority(groups, len(answers)) == Consensus("5", 3, 9)
    assert majority(groups, len(answers)).sentence() == "3 of 9 solutions agree"


def test_ties_go_to_the_group_whose_first_answer_came_first(checker: AnswerChecker) -> None:
    groups = group_answers(["3", "4", "4", "3"], checker)
    assert [group.answer for group in groups] == ["3", "4"]
    assert majority(groups, 4) == Consensus("3", 2, 4)


class OneWayChecker:
    """math-verify's asymmetry made plain (no pair of typed answers found for it in 0.9.0 with our
    preparation: gold `1<x\\le 3` against `(1,3]` matches both ways once delimited): `student` matches
    `reference` only in that order; every other check goes to the real checker."""

    def __init__(self, checker: AnswerChecker, student: str, reference: str) -> None:
        self.checker, self.one_way = checker, (student, reference)

    def check(self, student: str, reference: str, *, deadline_s: float | None = None) -> CheckResult:
        if {student, reference} == set(self.one_way):
            match = (student, reference) == self.one_way
            return CheckResult(match, student, reference, "one way")
        return self.checker.check(student, reference, deadline_s=deadline_s)


def test_a_match_in_one_direction_only_is_not_the_same_answer(checker: AnswerChecker) -> None:
    for one_way in (("50\\%", "50"), ("50", "50\\%")):
        groups = group_answers(["50", "50\\%", "50.0"], OneWayChecker(checker, *one_way))
        assert groups == [AnswerGroup("50", (0, 2)), AnswerGroup("50\\%", (1,))]


def test_each_answer_is_compared_with_one_representative_per_group(checker: AnswerChecker) -> None:
    counting = CountingChecker(checker)
    groups = group_answers(["2", "3", "\\frac{4}{2}", "\\frac{6}{2}", "2.0"], counting)
    assert [group.members for group in groups] == [(0, 2, 4), (1, 3)]
    assert all(reference in ("2", "3") or student in ("2", "3") for student, reference in counting.calls)
    # 3 against 2 (one way fails: no second check), 4/2 against 2 (both ways), 6/2 against 2 then 3 (one +
    # two), 2.0 against 2 (both ways): 1 + 2 + 3 + 2.
    assert len(counting.calls) == 8


def test_identical_answers_need_no_check_and_no_answers_give_no_majority(checker: AnswerChecker) -> None:
    counting = CountingChecker(checker)
    assert group_answers(["x+1", "x+1 ", "x+1"], counting) == [AnswerGroup("x+1", (0, 1, 2))]
    assert counting.calls == []
    assert group_answers([None, "", "  "], counting) == []
    none = majority([], 3)
    assert none == Consensus(None, 0, 3)
    assert none.sentence() == "none of 3 solutions has a final answer"


def test_answers_that_cannot_be_compared_stay_apart(checker: AnswerChecker) -> None:
    groups = group_answers(["1+", "1+", "1"], checker)  # an answer ending in an operator is unreadable
    assert groups == [AnswerGroup("1+", (0, 1)), AnswerGroup("1", (2,))]
    assert groups[0].to_dict() == {"answer": "1+", "members": [0, 1], "count": 2}
