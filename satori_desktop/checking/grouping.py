"""Self-consistency (issue 12): several sampled solutions' answers grouped by equivalence, and the majority.

Two answers are the same answer when they are identical after stripping, or when the answer checker says
they match in *both* directions: math-verify is asymmetric (`verify(gold, pred)` reads its two sides
differently; its README's example is a gold inequality that accepts an interval but not the reverse), and
neither of two sampled answers is the gold one. Each new answer is compared with one representative per
group (the group's first answer), not with every member, so k answers cost at most two checks per group
each; Satori's own `find_majority_completion_and_answer` clusters this way too. An answer the checker
could not compare with a representative (`match` None) is not that representative's answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from satori_desktop.checking.result import CheckResult


class _Checker(Protocol):
    def check(self, student: str, reference: str, *, deadline_s: float | None = None) -> CheckResult: ...


@dataclass(frozen=True)
class AnswerGroup:
    """Answers that are all the same answer: the LaTeX of the first one, and where each one stands in the
    list of answers that was grouped (ascending)."""

    answer: str
    members: tuple[int, ...]

    @property
    def size(self) -> int:
        return len(self.members)

    def to_dict(self) -> dict[str, Any]:
        return {"answer": self.answer, "members": list(self.members), "count": self.size}


@dataclass(frozen=True)
class Consensus:
    """The majority answer (None when no solution has one) and how many of `total` solutions give it."""

    answer: str | None
    agreeing: int
    total: int

    def sentence(self) -> str:
        """`5 of 8 solutions agree`, the way the CLI and the window say it."""
        if self.answer is None:
            return f"none of {self.total} solutions has a final answer"
        return f"{self.agreeing} of {self.total} solutions agree"


def equivalent(first: str, second: str, checker: _Checker) -> bool:
    """Whether two answers are the same answer: identical once stripped, or a match both ways round."""
    first, second = first.strip(), second.strip()
    if first == second:
        return True
    return checker.check(first, second).match is True and checker.check(second, first).match is True


def group_answers(answers: Sequence[str | None], checker: _Checker) -> list[AnswerGroup]:
    """The answers grouped by equivalence, the largest group first (ties: the group whose first answer
    comes first). None and blank answers (a solution without a final answer) are in no group."""
    representatives: list[str] = []
    members: list[list[int]] = []
    for index, answer in enumerate(answers):
        if answer is None or not answer.strip():
            continue
        for group, representative in enumerate(representatives):
            if equivalent(representative, answer, checker):
                members[group].append(index)
                break
        else:
            representatives.append(answer.strip())
            members.append([index])
    groups = [
        AnswerGroup(answer, tuple(indices)) for answer, indices in zip(representatives, members, strict=True)
    ]
    # sorted() is stable and the groups are in order of their first answer, so ties keep that order.
    return sorted(groups, key=lambda group: -group.size)


def majority(groups: Sequence[AnswerGroup], total: int) -> Consensus:
    """The largest group's answer (the first of `groups`, as `group_answers` orders them) out of `total`
    solutions, counting those without an answer."""
    if not groups:
        return Consensus(None, 0, total)
    largest = groups[0]
    return Consensus(largest.answer, largest.size, total)
