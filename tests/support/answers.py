"""Answers for tests of the answer checker (`satori_desktop.checking`), shared by the checker's, the command
line's and the window's tests: one that is genuinely slow to compare, and ones that cannot be read."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SlowPair:
    student: str
    reference: str
    deadline_s: float  # a deadline this pair always runs past


# SymPy integrates x^999 e^x by parts, one term at a time: more than 20 s on a 2-core machine (measured;
# x^99 takes 0.6 s), so any deadline of a few seconds stops it.
SLOW = SlowPair(student="1", reference=r"\int_0^1 x^{999} e^{x}dx", deadline_s=0.5)

# A pair math-verify answers in about a millisecond once warm: for reuse and restart tests.
QUICK = ("1/2", r"\frac{1}{2}")

# Typed answers that are not math, and the side they are given on is named in the reason.
UNREADABLE = (")))", "\\frac{", "1+", "x==", "?")
