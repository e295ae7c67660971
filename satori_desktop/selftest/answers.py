"""The answers the self-test's `check-answer` step gives the real answer checker, and what it must say.

Pairs whose verdict is not in doubt, a match and a mismatch at least: the step proves that the checker's
worker process starts (in a bundle: the app started again as a spawned child, through
`multiprocessing.freeze_support`) and that math_verify, SymPy and the ANTLR parser it loads are all there,
not how clever the checker is. Qt-free and checker-free, so the judging is tested on its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class AnswerPair:
    student: str
    reference: str
    match: bool  # what the checker must say


PAIRS = (
    AnswerPair("1/2", r"\frac{1}{2}", True),
    AnswerPair("0.3", r"\frac{1}{3}", False),
    AnswerPair(r"x=3 \text{ or } x=-3", r"\pm 3", True),
    AnswerPair("(x+1)^2", "x^2+2x+1", True),
)

# Each check's deadline, ten times the window's (the worker's start has a deadline of its own): on a slow,
# busy machine a first SymPy computation can take seconds, and the step is about what is installed, not
# about speed.
DEADLINE_S = 30.0


class Verdict(Protocol):
    """What the step reads of a `checking.CheckResult`."""

    @property
    def match(self) -> bool | None: ...

    @property
    def reason(self) -> str: ...


def answer_problems(pairs: tuple[AnswerPair, ...], verdicts: list[Verdict]) -> list[str]:
    """What is wrong with the checker's verdicts on `pairs`, one clause each; empty when all are right."""
    problems: list[str] = []
    for pair, verdict in zip(pairs, verdicts, strict=True):
        said = f"{pair.student!r} against {pair.reference!r}"
        if verdict.match is None:
            problems.append(f"it could not decide {said} ({verdict.reason.rstrip('.')})")
        elif verdict.match != pair.match:
            got, expected = (_verdict_words(value) for value in (verdict.match, pair.match))
            problems.append(f"{said} came out as {got} instead of {expected}")
    return problems


def _verdict_words(match: bool) -> str:
    return "a match" if match else "no match"
