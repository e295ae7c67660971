r"""Grading a solution's final answer against a problem's reference answer, the way `solve` and the
window's problem sets both do: "correct", "wrong", "no answer" (no `\boxed{}`), or "could not compare",
with the checker's sentence for it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from satori_desktop.checking.result import CheckResult

GradeName = Literal["correct", "wrong", "no answer", "could not compare"]
GRADES: tuple[GradeName, ...] = ("correct", "wrong", "no answer", "could not compare")
NO_ANSWER_REASON = "The solution has no final answer (no \\boxed{})."


class _Checker(Protocol):
    def check(self, student: str, reference: str, *, deadline_s: float | None = None) -> CheckResult: ...


@dataclass(frozen=True)
class Grade:
    grade: GradeName | None  # None when the problem has no reference answer
    reason: str | None

    def to_dict(self) -> dict[str, str | None]:
        return {"grade": self.grade, "grade_reason": self.reason}


def grade_answer(answer: str | None, reference: str | None, checker: _Checker) -> Grade:
    """The grade of `answer` (the solution's, as the student side) against `reference` (the gold side)."""
    if reference is None:
        return Grade(None, None)
    if answer is None:
        return Grade("no answer", NO_ANSWER_REASON)
    verdict = checker.check(answer, reference)
    if verdict.match is None:
        return Grade("could not compare", verdict.reason)
    return Grade("correct" if verdict.match else "wrong", verdict.reason)
