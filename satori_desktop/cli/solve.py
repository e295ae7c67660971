"""`satori-desktop solve`: a whole problem set, solved N at a time, graded against its answer key.

The problems (`core.problem_sets`: JSON Lines or CSV) become one engine job each, or K with `--samples`,
and go through `Engine.generate_batch` with N slots: continuous batching, so when one solution ends the
next problem takes its slot. A finished problem is handed to a grading thread, which groups its samples'
answers, checks the answer against the reference (the `AnswerChecker`, the same check as the tutor's),
and appends its result line to `--out` at once; decoding never waits for a check. A re-run skips the ids
already in `--out`, so a run that was stopped (Ctrl+C, a kill, a crash) resumes where it was; a problem
whose solution was cancelled is not written, so it runs again.

Each result line: id, problem, reference, answer, grade (`correct`, `wrong`, `no answer`, `could not
compare`; null without a reference) and its reason, steps, finish_reason, tokens, timing (ttft, decode
rate, elapsed from taking a slot to the end) and the raw output. With `--samples K` the answer is the
majority's, with `agreeing`, `total`, `groups` and every sample in brief; steps, finish_reason and output
are the chosen solution's (the first of the majority), tokens add up all samples, ttft is the first
sample's, the decode rate the samples' mean, elapsed from the first sample's start to the last one's end.
`core.problem_sets.result_record` builds the line; the window's Export writes the same.
"""

from __future__ import annotations

import argparse
import json
import queue
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from satori_desktop.cli.ask import (
    MAX_SAMPLES,
    MIN_SAMPLES,
    CancelOnInterrupt,
    add_engine_options,
    add_sampling_options,
    open_engine,
    resolve_model_path,
    sample_seed,
    sampling_settings,
)
from satori_desktop.core import arguments
from satori_desktop.core.coat import parse_trace
from satori_desktop.core.errors import UserFacingError
from satori_desktop.core.problem_sets import (
    DEFAULT_ANSWER_FIELD,
    MajorityVote,
    Problem,
    ProblemSet,
    ResultsFile,
    read_problem_set,
    result_record,
)
from satori_desktop.core.prompt import problem_prompt_for
from satori_desktop.engine.types import DEFAULT_MAX_NEW_TOKENS, BatchJob, GenerationRequest, GenerationResult

DEFAULT_PARALLEL = 4
MAX_PARALLEL = 64
GRADES = ("correct", "wrong", "no answer", "could not compare")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "solve",
        help="solve a problem set (JSONL or CSV) and grade it against its answers",
        description="Solve every problem of a set, several at a time, writing one result line per problem "
        "as it finishes; a re-run skips the problems already in the results file.",
    )
    parser.add_argument(
        "--in",
        dest="in_path",
        type=Path,
        required=True,
        metavar="PROBLEMS",
        help="JSON Lines (an object per line: id, problem or question, answer) or .csv with those columns",
    )
    parser.add_argument(
        "--out", type=Path, required=True, metavar="RESULTS", help="JSON Lines results, appended to"
    )
    parser.add_argument(
        "--answer-field",
        default=DEFAULT_ANSWER_FIELD,
        metavar="NAME",
        help=f"the field (or CSV column) with the reference answer (default {DEFAULT_ANSWER_FIELD})",
    )
    parser.add_argument(
        "--parallel",
        type=arguments.whole_number_between(1, MAX_PARALLEL),
        default=DEFAULT_PARALLEL,
        metavar="N",
        help=f"solutions decoded together (default {DEFAULT_PARALLEL})",
    )
    parser.add_argument(
        "--samples",
        type=arguments.whole_number_between(MIN_SAMPLES, MAX_SAMPLES),
        default=None,
        metavar="K",
        help="solve each problem K times and take the answer most solutions agree on",
    )
    parser.add_argument("--model", type=Path, help="a GGUF file (default: the default installed model)")
    parser.add_argument(
        "--max-tokens",
        type=arguments.max_tokens,
        default=DEFAULT_MAX_NEW_TOKENS,
        help=f"most tokens per solution (default {DEFAULT_MAX_NEW_TOKENS})",
    )
    add_sampling_options(parser)
    add_engine_options(parser)
    parser.add_argument(
        "--grammar-file", type=Path, help="constrain every solution with a llama.cpp GBNF grammar (advanced)"
    )
    parser.add_argument("--json", action="store_true", help="print a JSON summary at the end")
    parser.set_defaults(handler=run)


@dataclass
class _Pending:
    """A problem whose solutions are being written: the results of those that ended so far."""

    problem: Problem
    samples: int
    results: dict[int, GenerationResult] = field(default_factory=dict)
    started: dict[int, float] = field(default_factory=dict)
    ended: dict[int, float] = field(default_factory=dict)


class _Progress:
    """Progress on stderr: one bar redrawn in place in a terminal, a plain line per problem otherwise."""

    REDRAW_INTERVAL_S = 0.2
    WIDTH = 24

    def __init__(self, total: int, out: TextIO) -> None:
        self.total = total
        self.solved = 0
        self.grades = dict.fromkeys(GRADES, 0)
        self.generated = 0
        self._out = out
        self._live = out.isatty()
        self._lock = threading.Lock()
        self._started = time.perf_counter()
        self._last_draw = 0.0

    def token(self) -> None:
        self.generated += 1  # a piece; only the bar reads it, and an exact count comes with each result
        if self._live and time.perf_counter() - self._last_draw >= self.REDRAW_INTERVAL_S:
            with self._lock:
                self._draw()

    def problem_done(self, record: dict[str, Any]) -> None:
        with self._lock:
            self.solved += 1
            if record["grade"] is not None:
                self.grades[record["grade"]] += 1
            if self._live:
                self._draw()
                return
            grade = f", {record['grade']}" if record["grade"] is not None else ""
            answer = record["answer"] if record["answer"] is not None else "none"
            elapsed = record["timing"]["elapsed_s"]
            took = f", {elapsed:.1f} s" if elapsed is not None else ""
            self._out.write(
                f"{self.solved}/{self.total} {record['id']}: answer {answer}{grade} "
                f"({record['tokens']['generated']} tokens{took})\n"
            )
            self._out.flush()

    def close(self) -> None:
        if self._live:
            with self._lock:
                self._draw()
                self._out.write("\n")
                self._out.flush()

    def _draw(self) -> None:
        elapsed = time.perf_counter() - self._started
        filled = self.WIDTH * self.solved // self.total if self.total else self.WIDTH
        bar = "█" * filled + "░" * (self.WIDTH - filled)
        graded = sum(self.grades.values())
        correct = f" · {self.grades['correct']} correct" if graded else ""
        speed = f" · {self.generated / elapsed:,.0f} tok/s" if elapsed > 0 else ""
        clock = f"{int(elapsed) // 60}:{int(elapsed) % 60:02d}"
        self._out.write(f"\r\x1b[2K[{bar}] {self.solved}/{self.total}{correct}{speed} · {clock}")
        self._out.flush()
        self._last_draw = time.perf_counter()


def run(args: argparse.Namespace) -> int:
    problem_set = read_problem_set(args.in_path, answer_field=args.answer_field)
    for bad in problem_set.bad_lines:
        print(f"satori-desktop: {bad.message}", file=sys.stderr)
    if args.scripted_traces is None and not args.servers:
        resolve_model_path(args.model)  # no model: say so before anything is written
    grammar = None
    if args.grammar_file is not None:
        from satori_desktop.cli.files import read_text_input

        grammar = read_text_input(str(args.grammar_file))
    if args.in_path.resolve() == args.out.resolve():
        raise UserFacingError("--out must be another file than --in: results are appended to it.")

    with ResultsFile(args.out) as results_file:
        previous = results_file.open_for_resume()
        pending = [problem for problem in problem_set.problems if problem.key not in previous]
        skipped = len(problem_set.problems) - len(pending)
        if skipped:
            print(
                f"satori-desktop: {skipped} of {len(problem_set.problems)} problems are already in "
                f"{args.out.name}; solving the other {len(pending)}.",
                file=sys.stderr,
            )
        outcome = _solve(args, pending, results_file, grammar) if pending else _RunOutcome()

    summary = _summary(args, problem_set, previous, outcome, skipped)
    if args.json:
        print(json.dumps(summary, ensure_ascii=False, indent=2))
    else:
        _print_summary(summary)
    if outcome.cancelled:
        return 130
    return 1 if problem_set.bad_lines or outcome.failed else 0


@dataclass
class _RunOutcome:
    records: list[dict[str, Any]] = field(default_factory=list)
    elapsed_s: float = 0.0
    generated_tokens: int = 0
    cancelled: int = 0  # problems left unfinished by a cancel: not written, so a re-run solves them
    failed: int = 0  # problems whose solution ended with an error
    backend: dict[str, Any] = field(default_factory=dict)


def _solve(
    args: argparse.Namespace, problems: list[Problem], results_file: ResultsFile, grammar: str | None
) -> _RunOutcome:
    from satori_desktop.checking import AnswerChecker

    samples = args.samples or 1
    temperature, top_p = sampling_settings(args, sampled=samples > 1)
    engine, report, _model_path = open_engine(args)
    jobs: list[BatchJob] = []
    owner: dict[str, tuple[_Pending, int]] = {}
    for number, problem in enumerate(problems):
        entry = _Pending(problem, samples)
        prompt = problem_prompt_for(report.prompting, problem.text)  # Satori's prompt, or the model's own
        for index in range(samples):
            key = f"p{number}" if samples == 1 else f"p{number}s{index}"
            request = GenerationRequest(
                prompt=prompt,
                max_tokens=args.max_tokens,
                temperature=temperature,
                top_p=top_p,
                seed=sample_seed(args.seed, index) if samples > 1 else args.seed,
                grammar=grammar,
            )
            jobs.append(BatchJob(key, request))
            owner[key] = (entry, index)

    outcome = _RunOutcome(backend={"name": report.backend, "gpu_layers": report.gpu_layers})
    progress = _Progress(len(problems), sys.stderr)
    finished: queue.Queue[_Pending | None] = queue.Queue()
    first_text: dict[str, float] = {}

    with AnswerChecker() as checker:
        checker.start()  # the worker gets ready while the model writes the first solutions

        def grade_finished() -> None:
            while (entry := finished.get()) is not None:
                record = _result_record(entry, checker)
                results_file.append(record)
                outcome.records.append(record)
                progress.problem_done(record)

        grader = threading.Thread(target=grade_finished, name="solve-grader", daemon=True)
        grader.start()

        def on_text(key: str, text: str) -> None:
            if key not in first_text:
                first_text[key] = time.perf_counter()
            progress.token()

        def on_done(key: str, result: GenerationResult) -> None:
            entry, index = owner[key]
            now = time.perf_counter()
            entry.results[index] = result
            entry.ended[index] = now
            # The job took its slot ttft before its first piece (or just now, if it wrote nothing).
            entry.started[index] = first_text.get(key, now) - (result.ttft_s or 0.0)
            if result.finish_reason == "cancelled":
                return
            if len(entry.results) == entry.samples:
                finished.put(entry)

        started = time.perf_counter()
        try:
            with CancelOnInterrupt(engine.cancel):
                results = engine.generate_batch(
                    jobs, parallel=args.parallel, on_text=on_text, on_done=on_done
                )
        finally:
            finished.put(None)
            grader.join()
            progress.close()
        outcome.elapsed_s = time.perf_counter() - started
        engine.unload()
    outcome.generated_tokens = sum(result.generated_tokens for result in results.values())
    cancelled_problems = {
        owner[key][0].problem.key for key, r in results.items() if r.finish_reason == "cancelled"
    }
    outcome.cancelled = len(cancelled_problems)
    outcome.failed = sum(record["finish_reason"] == "error" for record in outcome.records)
    return outcome


def _result_record(entry: _Pending, checker: Any) -> dict[str, Any]:
    from satori_desktop.checking import group_answers, majority
    from satori_desktop.checking.grading import grade_answer

    problem = entry.problem
    results = [entry.results[index] for index in range(entry.samples)]
    vote = None
    if entry.samples > 1:
        groups = group_answers([parse_trace(result.text).answer for result in results], checker)
        consensus = majority(groups, entry.samples)
        answer = consensus.answer
        vote = MajorityVote(
            agreeing=consensus.agreeing,
            total=consensus.total,
            groups=[group.to_dict() for group in groups],
            chosen=groups[0].members[0] if groups else 0,
        )
    else:
        answer = parse_trace(results[0].text).answer
    grade = grade_answer(answer, problem.reference, checker)
    return result_record(
        problem,
        results,
        answer=answer,
        grade=grade.grade,
        grade_reason=grade.reason,
        elapsed_s=max(entry.ended.values()) - min(entry.started.values()),
        vote=vote,
    )


def _summary(
    args: argparse.Namespace,
    problem_set: ProblemSet,
    previous: dict[str, dict[str, Any]],
    outcome: _RunOutcome,
    skipped: int,
) -> dict[str, Any]:
    """The run's summary (`--json` prints it): counts, grades and accuracy over every problem of the set
    that has a result in --out (this run's and earlier ones'), throughput of this run."""
    by_id = {
        problem.key: previous[problem.key] for problem in problem_set.problems if problem.key in previous
    }
    by_id.update({str(record["id"]).strip(): record for record in outcome.records})
    grades = dict.fromkeys(GRADES, 0)
    for record in by_id.values():
        if record.get("grade") in grades:
            grades[record["grade"]] += 1
    graded = sum(grades.values())
    elapsed = outcome.elapsed_s
    solved = len(outcome.records)
    return {
        "in": str(args.in_path),
        "out": str(args.out),
        "problems": len(problem_set.problems),
        "bad_lines": [{"line": bad.line, "message": bad.message} for bad in problem_set.bad_lines],
        "skipped": skipped,
        "solved": solved,
        "cancelled": outcome.cancelled,
        "failed": outcome.failed,
        "results": len(by_id),
        "graded": graded,
        "grades": grades,
        "accuracy": grades["correct"] / graded if graded else None,
        "throughput": {
            "elapsed_s": elapsed,
            "problems_per_s": solved / elapsed if elapsed > 0 else None,
            "generated_tokens": outcome.generated_tokens,
            "aggregate_tok_s": outcome.generated_tokens / elapsed if elapsed > 0 else None,
        },
        "parallel": args.parallel,
        "samples": args.samples or 1,
        "backend": outcome.backend or None,
    }


def _print_summary(summary: dict[str, Any]) -> None:
    throughput = summary["throughput"]
    if summary["solved"]:
        rate = throughput["problems_per_s"]
        speed = throughput["aggregate_tok_s"]
        print(
            f"Solved {summary['solved']} problem{'s' if summary['solved'] != 1 else ''} in "
            f"{throughput['elapsed_s']:.1f} s"
            + (f" ({rate:.2f} problems/s, {speed:,.0f} tok/s together)" if rate and speed else "")
            + "."
        )
    elif not summary["cancelled"]:
        print("Nothing left to solve.")
    if summary["cancelled"]:
        print(f"Cancelled: {summary['cancelled']} problems not solved; run the same command again to resume.")
    if summary["graded"]:
        grades = summary["grades"]
        others = ", ".join(f"{grades[g]} {g}" for g in GRADES[1:] if grades[g])
        print(
            f"Accuracy: {grades['correct']} of {summary['graded']} correct ({summary['accuracy']:.1%})"
            + (f"; {others}" if others else "")
            + f". Results in {summary['out']}."
        )
    else:
        print(f"No reference answers to grade against. Results in {summary['out']}.")
    if summary["bad_lines"]:
        count = len(summary["bad_lines"])
        print(f"{count} line{'s' if count != 1 else ''} of {summary['in']} could not be read (see above).")
