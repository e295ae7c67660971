"""`satori-desktop bench check`: how long "Check my answer" takes, the worker's start included.

Two figures, each against its goal, on the real `checking.AnswerChecker` (worker process, math-verify):

* The first check of a fresh checker, which pays for the worker's start: spawning a Python process,
  importing math-verify (SymPy, the ANTLR LaTeX parser) and its warm-up comparison. Median of a few fresh
  checkers; the worker's own import and warm-up times are reported beside it. Goal: < 2 s.
* 100 checks with the worker warm, over answers of every kind the issue lists (fractions, decimals,
  percent, intervals, inequalities, sets, equations, `\\pm`, roots, expressions, units, choice letters,
  words), all different so that SymPy's cache does not flatter them: p50, p95 and max. Goal: p95 < 300 ms.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from typing import Any

from satori_desktop.bench.report import report_header
from satori_desktop.checking import AnswerChecker
from satori_desktop.core import arguments

GOALS = {"first_check_s": 2.0, "warm_p95_ms": 300.0}


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--pairs", type=arguments.positive_int, default=100, help="warm checks to time (default 100)"
    )
    parser.add_argument(
        "--cold-runs",
        type=arguments.positive_int,
        default=3,
        help="fresh checkers whose first check is timed (default 3)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(handler=run)


def answer_pairs(count: int, seed: int = 11) -> list[tuple[str, str, str]]:
    """`count` (kind, student, reference) pairs, about half of them matching, cycling through the kinds."""
    rng = random.Random(seed)

    def fraction(n: int, d: int, right: bool) -> tuple[str, str]:
        return (f"{n}/{d}" if right else f"{n + 1}/{d}"), f"\\frac{{{n}}}{{{d}}}"

    def decimal(n: int, d: int, right: bool) -> tuple[str, str]:
        return f"{n / d + (0 if right else 0.1):.6f}".rstrip("0"), f"\\frac{{{n}}}{{{d}}}"

    def percent(n: int, d: int, right: bool) -> tuple[str, str]:
        return f"{n if right else n + 5}%", f"{n / 100:g}"

    def interval(n: int, d: int, right: bool) -> tuple[str, str]:
        return (f"({n}, {n + d}]" if right else f"[{n}, {n + d}]"), f"({n},{n + d}]"

    def inequality(n: int, d: int, right: bool) -> tuple[str, str]:
        return (f"{n} < x \\le {n + d}" if right else f"{n} \\le x < {n + d}"), f"({n},{n + d}]"

    def finite_set(n: int, d: int, right: bool) -> tuple[str, str]:
        return (f"{n + d}, {n}" if right else f"{n}, {n + d + 1}"), f"\\{{{n},{n + d}\\}}"

    def equations(n: int, d: int, right: bool) -> tuple[str, str]:
        return (f"x={n} or x=-{n}" if right else f"x={n}"), f"\\pm {n}"

    def root(n: int, d: int, right: bool) -> tuple[str, str]:
        return (f"{d}\\sqrt{{{n}}}" if right else f"{d + 1}\\sqrt{{{n}}}"), f"\\sqrt{{{d * d * n}}}"

    def expression(n: int, d: int, right: bool) -> tuple[str, str]:
        sign = "+" if right else "-"
        return f"(x+{n})(x{sign}{d})", f"x^2+{n + d}x+{n * d}"

    def units(n: int, d: int, right: bool) -> tuple[str, str]:
        return f"{n if right else n + d} cm", f"{n}\\text{{ cm}}"

    def choice(n: int, d: int, right: bool) -> tuple[str, str]:
        letter = "ABCDE"[n % 5]
        return (letter if right else "ABCDE"[(n + 1) % 5]), f"\\text{{({letter})}}"

    def words(n: int, d: int, right: bool) -> tuple[str, str]:
        return ("Yes" if right else "no"), "\\text{yes}"

    kinds = [fraction, decimal, percent, interval, inequality, finite_set, equations, root, expression]
    kinds += [units, choice, words]
    pairs = []
    for index in range(count):
        make = kinds[index % len(kinds)]
        numerator, denominator = rng.randint(2, 97), rng.randint(2, 19)
        student, reference = make(numerator, denominator, index % 2 == 0)
        pairs.append((make.__name__, student, reference))
    return pairs


def measure_first_check(runs: int) -> dict[str, Any]:
    first_s, import_s, warm_up_s = [], [], []
    for _ in range(runs):
        with AnswerChecker(deadline_s=30.0) as checker:
            started = time.perf_counter()
            verdict = checker.check("1/2", r"\frac{1}{2}")
            first_s.append(time.perf_counter() - started)
            if verdict.match is not True:
                raise RuntimeError(
                    f"the first check did not match 1/2 with \\frac{{1}}{{2}}: {verdict.reason}"
                )
            info = checker.worker_info or {}
            import_s.append(float(info.get("import_s", 0.0)))
            warm_up_s.append(float(info.get("warm_up_s", 0.0)))
    return {
        "runs": runs,
        "first_check_s": round(statistics.median(first_s), 3),
        "first_check_runs_s": [round(value, 3) for value in first_s],
        "worker_import_math_verify_s": round(statistics.median(import_s), 3),
        "worker_warm_up_s": round(statistics.median(warm_up_s), 3),
    }


def measure_warm_checks(count: int) -> dict[str, Any]:
    pairs = answer_pairs(count)
    timings: list[tuple[float, str, str, str, bool | None]] = []
    with AnswerChecker(deadline_s=30.0) as checker:
        checker.check("1", "1")  # the worker up and warm
        for kind, student, reference in pairs:
            started = time.perf_counter()
            verdict = checker.check(student, reference)
            timings.append((time.perf_counter() - started, kind, student, reference, verdict.match))
    milliseconds = sorted(elapsed * 1000 for elapsed, *_ in timings)
    slowest = max(timings)
    return {
        "pairs": count,
        "p50_ms": round(statistics.median(milliseconds), 1),
        "p95_ms": round(milliseconds[max(0, round(0.95 * count) - 1)], 1),
        "max_ms": round(milliseconds[-1], 1),
        "slowest": {"kind": slowest[1], "student": slowest[2], "reference": slowest[3]},
        "verdicts": {
            "match": sum(1 for *_, match in timings if match is True),
            "no_match": sum(1 for *_, match in timings if match is False),
            "not_compared": sum(1 for *_, match in timings if match is None),
        },
        "median_ms_by_kind": {
            kind: round(statistics.median(e * 1000 for e, k, *_ in timings if k == kind), 1)
            for kind in dict.fromkeys(kind for _, kind, *_ in timings)
        },
    }


def run(args: argparse.Namespace) -> int:
    first = measure_first_check(args.cold_runs)
    warm = measure_warm_checks(args.pairs)
    report = {**report_header("check"), "first_check": first, "warm": warm, "goals": GOALS}
    print(json.dumps(report, indent=2, ensure_ascii=False) if args.json else format_report(report))
    return 0


def format_report(report: dict[str, Any]) -> str:
    first, warm = report["first_check"], report["warm"]
    slowest = warm["slowest"]
    return "\n".join(
        [
            f"bench check — {report['date']}, {report['machine']}, commit {report['commit']}, "
            f"load {report['load_average_1min']}",
            f"first check of a fresh checker (spawn + import + warm-up), median of {first['runs']}: "
            f"{first['first_check_s']:.2f} s (runs {first['first_check_runs_s']}; goal < "
            f"{GOALS['first_check_s']:g} s); in the worker: import math_verify "
            f"{first['worker_import_math_verify_s']:.2f} s, "
            f"warm-up {first['worker_warm_up_s'] * 1000:.0f} ms",
            f"{warm['pairs']} checks, worker warm: p50 {warm['p50_ms']:.1f} ms, p95 {warm['p95_ms']:.1f} ms "
            f"(goal < {GOALS['warm_p95_ms']:g} ms), max {warm['max_ms']:.1f} ms "
            f"({slowest['kind']}: {slowest['student']} against {slowest['reference']})",
            f"    verdicts: {warm['verdicts']}",
            f"    median by kind (ms): {warm['median_ms_by_kind']}",
        ]
    )
