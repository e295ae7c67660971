"""`satori-desktop check ANSWER --against LATEX`: is a typed answer the reference answer? ("Check my answer")

The same `checking.AnswerChecker` as the window: math-verify in a worker process, with a deadline. Prints
one readable line, or with `--json` one object `{"match": true|false|null, "student", "reference",
"reason"}`. Exit codes: 0 the answers match, 1 they do not, 2 they could not be compared (unreadable,
empty, or past the deadline; the reason says which). A usage error is argparse's exit code 2 too.
"""

from __future__ import annotations

import argparse
import json
import math
from typing import Any

from satori_desktop.checking import DEFAULT_DEADLINE_S, AnswerChecker, CheckResult

MAX_TIMEOUT_S = 600.0
EXIT_MATCH, EXIT_NO_MATCH, EXIT_NOT_COMPARED = 0, 1, 2


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "check",
        help="check a typed answer against a reference answer (math-verify)",
        description="Compare a student's answer (LaTeX or plain: 1/2, 0.5, \\frac{1}{2}, x=3 or x=-3, "
        "(2, 3], \\{1,2\\}, B) with a reference answer (Satori's boxed answer or an answer key). Exit "
        "code 0: they match, 1: they do not, 2: they could not be compared.",
    )
    parser.add_argument(
        "answer",
        metavar="ANSWER",
        help="the student's answer; one that starts with - goes last, after -- (check --against 0.5 -- -1/2)",
    )
    parser.add_argument(
        "--against",
        required=True,
        metavar="LATEX",
        help="the reference answer, LaTeX or plain; one that starts with - is written --against=-1/2",
    )
    parser.add_argument(
        "--timeout",
        type=timeout_seconds,
        default=DEFAULT_DEADLINE_S,
        metavar="SECONDS",
        help=f"give up on a comparison after this long (default {DEFAULT_DEADLINE_S:g})",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(handler=run)


def timeout_seconds(text: str) -> float:
    """`--timeout`: seconds, more than 0 and at most 600 (a comparison that long is stuck)."""
    try:
        value = float(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number of seconds, not {text!r}.") from None
    if not math.isfinite(value) or not 0 < value <= MAX_TIMEOUT_S:
        raise argparse.ArgumentTypeError(
            f"must be more than 0 and at most {MAX_TIMEOUT_S:g} seconds, not {text.strip()}."
        )
    return value


def run(args: argparse.Namespace) -> int:
    with AnswerChecker(deadline_s=args.timeout) as checker:
        verdict = checker.check(args.answer, args.against)
    if args.json:
        print(json.dumps(verdict.to_dict(), ensure_ascii=False))
    else:
        print(readable_line(verdict))
    return exit_code(verdict)


def readable_line(verdict: CheckResult) -> str:
    """`Match: Your answer matches the reference answer.` and the like."""
    label = {True: "Match", False: "No match", None: "Could not compare"}[verdict.match]
    return f"{label}: {verdict.reason}"


def exit_code(verdict: CheckResult) -> int:
    if verdict.match is None:
        return EXIT_NOT_COMPARED
    return EXIT_MATCH if verdict.match else EXIT_NO_MATCH
