"""The outcome of one answer check, and the plain sentences that say it.

The sentences speak of "your answer" (the student's) and "the reference answer" (Satori's boxed answer,
or an answer key), so the command line and the window can both show them. They are English; the window
writes its own translated verdict from `match` and shows `reason` only when it could not compare.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

MATCHES = "Your answer matches the reference answer."
DOES_NOT_MATCH = "Your answer does not match the reference answer."
CHOICE_MATCHES = "Your choice {student} is the reference answer's choice."
CHOICE_DIFFERS = "Your choice {student} is not the reference answer's choice {reference}."
TEXT_MATCHES = "Your answer says the same words as the reference answer."
TEXT_DIFFERS = "Your answer's words differ from the reference answer's."
WORDS_AGAINST_MATH = "Your answer is words and the reference answer is math, so they do not match."
MATH_AGAINST_WORDS = "Your answer is math and the reference answer is words, so they do not match."
STUDENT_EMPTY = "Your answer is empty; type a number, an expression or LaTeX, e.g. 1/2."
REFERENCE_EMPTY = "The reference answer is empty, so there is nothing to compare with."
STUDENT_UNREADABLE = (
    "Could not read your answer as math; type it as LaTeX or as a plain number or expression, e.g. 1/2."
)
REFERENCE_UNREADABLE = (
    "Could not read the reference answer as math; give it as LaTeX or a plain expression, e.g. \\frac{1}{2}."
)
BOTH_UNREADABLE = (
    "Could not read your answer nor the reference answer as math; type them as LaTeX or as plain "
    "numbers or expressions, e.g. 1/2."
)
TIMED_OUT = "The comparison took longer than {deadline} and was stopped; try a simpler form of your answer."
COMPARISON_FAILED = "math-verify failed on these answers ({detail}); try another form of your answer."
WORKER_STOPPED = "The answer checker stopped unexpectedly during the comparison; try again."
WORKER_DID_NOT_START = (
    "The answer checker could not start ({detail}); the log file has the details, and reinstalling "
    "Satori Desktop may help."
)


def seconds_text(seconds: float) -> str:
    """`3 s`, `0.5 s`, `0.001 s`: a deadline as people write it."""
    return f"{seconds:g} s"


@dataclass(frozen=True)
class CheckResult:
    """What one check found. `match` is None when the answers could not be compared; `reason` then
    says why and what to do (for True and False it is a short sentence too)."""

    match: bool | None
    student: str  # as given, stripped
    reference: str  # as given, stripped
    reason: str
    elapsed_s: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (`check --json`): match, student, reference and reason."""
        return {
            "match": self.match,
            "student": self.student,
            "reference": self.reference,
            "reason": self.reason,
        }
