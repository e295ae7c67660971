"""Problem sets (issue 12): reading a list of problems, and the results file a run appends to.

A problem set is JSON Lines (one object per line with an `id`, the `problem` or `question` text and,
optionally, the reference answer under a field the caller names, `answer` by default) or CSV (`.csv`: a
header row naming the same columns). A bad line (not JSON, not an object, no id, no problem text, an id
seen before) is reported by its line number and left out; the others still run.

The results file is JSON Lines too, one line per solved problem, appended as each finishes: the whole
line in one write, flushed and fsync'ed, so a run killed at any moment leaves only whole lines, except
perhaps a last line cut short by a crash of the machine, which `ResultsFile.open_for_resume` cuts off.
A re-run skips the ids already in the file: that is what makes a run resumable. `result_record` builds
that line, for `solve --out` and the window's Export alike.

Ids are compared as text (`7` and `"7"` are the same problem), the way a spreadsheet shows them.
Qt-free: the command line (`satori-desktop solve`) and the window share it.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from satori_desktop.core.coat import parse_trace
from satori_desktop.core.errors import UserFacingError

PROBLEM_FIELDS = ("problem", "question")
DEFAULT_ANSWER_FIELD = "answer"


@dataclass(frozen=True)
class Problem:
    """One problem of a set: its id as given (a string or a whole number), its text, the reference
    answer when the set has one, and the line it was read from (1-based)."""

    id: str | int
    text: str
    reference: str | None
    line: int

    @property
    def key(self) -> str:
        """The id as text, which is how ids are compared."""
        return id_key(self.id)


@dataclass(frozen=True)
class BadLine:
    """A line that was left out, and why: `message` names the file and the line."""

    line: int
    message: str


@dataclass
class ProblemSet:
    path: Path
    problems: list[Problem] = field(default_factory=list)
    bad_lines: list[BadLine] = field(default_factory=list)

    @property
    def has_references(self) -> bool:
        return any(problem.reference is not None for problem in self.problems)


def id_key(value: Any) -> str:
    """An id as text: `7`, `"7"` and `" 7 "` are one id."""
    return str(value).strip()


def read_problem_set(path: Path, *, answer_field: str = DEFAULT_ANSWER_FIELD) -> ProblemSet:
    """Read a problem set (CSV when the name ends in `.csv`, else JSON Lines); raises UserFacingError
    only when the file itself cannot be read."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise UserFacingError(f"There is no problem set at {path}.") from None
    except OSError as exc:
        raise UserFacingError(f"Could not read the problem set {path}: {exc.strerror or exc}.") from None
    try:
        text = raw.decode("utf-8-sig")  # a spreadsheet's CSV often starts with a byte-order mark
    except UnicodeDecodeError as exc:
        raise UserFacingError(
            f"The problem set {path} is not UTF-8 text (byte {exc.start}); save it as UTF-8."
        ) from None
    problem_set = ProblemSet(path)
    records = _csv_records(text, path) if path.suffix.lower() == ".csv" else _jsonl_records(text, path)
    seen: dict[str, int] = {}
    for line, record in records:
        if isinstance(record, BadLine):
            problem_set.bad_lines.append(record)
            continue
        problem = _problem_from(record, line, path, answer_field, seen, problem_set.bad_lines)
        if problem is not None:
            seen[problem.key] = line
            problem_set.problems.append(problem)
    return problem_set


def _where(path: Path, line: int) -> str:
    return f"{path.name}, line {line}"


def _jsonl_records(text: str, path: Path) -> Iterator[tuple[int, Mapping[str, Any] | BadLine]]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, BadLine(number, f"{_where(path, number)}: not JSON ({exc.msg}); skipped.")
            continue
        if not isinstance(record, dict):
            kind = type(record).__name__.replace("dict", "object").replace("list", "array")
            yield number, BadLine(number, f"{_where(path, number)}: a JSON {kind}, not an object; skipped.")
            continue
        yield number, record


def _csv_records(text: str, path: Path) -> Iterator[tuple[int, Mapping[str, Any] | BadLine]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as exc:
        yield 1, BadLine(1, f"{_where(path, 1)}: the header row is not valid CSV ({exc}).")
        return
    names = [name.strip() for name in header]
    while True:
        start = reader.line_num + 1  # a quoted field may span lines: say where the row begins
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield start, BadLine(start, f"{_where(path, start)}: not valid CSV ({exc}); skipped.")
            continue
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(names):
            yield (
                start,
                BadLine(
                    start, f"{_where(path, start)}: {len(row)} fields, the header has {len(names)}; skipped."
                ),
            )
            continue
        yield start, {name: cell for name, cell in zip(names, row, strict=False) if name}


def _problem_from(
    record: Mapping[str, Any],
    line: int,
    path: Path,
    answer_field: str,
    seen: dict[str, int],
    bad_lines: list[BadLine],
) -> Problem | None:
    where = _where(path, line)
    raw_id = record.get("id")
    if isinstance(raw_id, bool) or not isinstance(raw_id, str | int) or not id_key(raw_id):
        what = "no `id`" if raw_id is None or raw_id == "" else "an `id` that is not text or a whole number"
        bad_lines.append(BadLine(line, f"{where}: {what}; skipped."))
        return None
    text = next((record[name] for name in PROBLEM_FIELDS if isinstance(record.get(name), str)), None)
    if text is None or not text.strip():
        bad_lines.append(
            BadLine(line, f"{where} (id {id_key(raw_id)}): no `problem` or `question` text; skipped.")
        )
        return None
    key = id_key(raw_id)
    if key in seen:
        bad_lines.append(BadLine(line, f"{where}: id {key} was already used on line {seen[key]}; skipped."))
        return None
    reference = record.get(answer_field)
    if (
        isinstance(reference, bool)
        or reference is None
        or (isinstance(reference, str) and not reference.strip())
    ):
        reference_text = None
    elif isinstance(reference, int | float):
        reference_text = str(reference)
    elif isinstance(reference, str):
        reference_text = reference.strip()
    else:
        bad_lines.append(
            BadLine(line, f"{where} (id {key}): the `{answer_field}` is not text or a number; skipped.")
        )
        return None
    return Problem(raw_id if isinstance(raw_id, int) else raw_id.strip(), text.strip(), reference_text, line)


class Solution(Protocol):
    """What a result line reads of one solution. The engine's `GenerationResult` is one; it is named by
    its shape because core sits below the engine."""

    @property
    def text(self) -> str: ...
    @property
    def finish_reason(self) -> str: ...
    @property
    def error(self) -> str | None: ...
    @property
    def prompt_tokens(self) -> int: ...
    @property
    def generated_tokens(self) -> int: ...
    @property
    def ttft_s(self) -> float | None: ...
    @property
    def decode_tok_s(self) -> float | None: ...


@dataclass(frozen=True)
class MajorityVote:
    """How several solutions of one problem voted (`solve --samples`): how many reached the majority's
    answer, of how many, the groups of equivalent answers (each group's `to_dict()`: answer, members,
    count; largest first), and the solution the line carries (the first of the majority)."""

    agreeing: int
    total: int
    groups: Sequence[Mapping[str, Any]]
    chosen: int = 0


def result_record(
    problem: Problem,
    solutions: Sequence[Solution],
    *,
    answer: str | None,
    grade: str | None,
    grade_reason: str | None,
    elapsed_s: float | None,
    vote: MajorityVote | None = None,
) -> dict[str, Any]:
    """One line of a results file: the problem, the `answer` graded (`grade` and its reason, as the
    answer checker's grading names them; None without a reference), and the chosen solution's steps,
    finish reason and raw output. Tokens add up every solution, ttft is the first one's, the decode rate
    their mean; `elapsed_s` is the caller's. With a `vote`, every solution in brief too."""
    traces = [parse_trace(solution.text) for solution in solutions]
    chosen = vote.chosen if vote is not None else 0
    solution = solutions[chosen]
    record: dict[str, Any] = {
        "id": problem.id,
        "problem": problem.text,
        "reference": problem.reference,
        "answer": answer,
        "grade": grade,
        "grade_reason": grade_reason,
        "steps": len(traces[chosen].steps),
        "finish_reason": solution.finish_reason,
    }
    if solution.error:
        record["error"] = solution.error
    rates = [s.decode_tok_s for s in solutions if s.decode_tok_s is not None]
    ttfts = [s.ttft_s for s in solutions if s.ttft_s is not None]
    record["tokens"] = {
        "prompt": solution.prompt_tokens,
        "generated": sum(s.generated_tokens for s in solutions),
    }
    record["timing"] = {
        "ttft_s": min(ttfts) if ttfts else None,
        "decode_tok_s": sum(rates) / len(rates) if rates else None,
        "elapsed_s": elapsed_s,
    }
    if vote is not None:
        record["agreeing"] = vote.agreeing
        record["total"] = vote.total
        record["groups"] = [dict(group) for group in vote.groups]
        record["samples"] = [
            {
                "answer": trace.answer,
                "steps": len(trace.steps),
                "finish_reason": s.finish_reason,
                "generated_tokens": s.generated_tokens,
                "output": s.text,
            }
            for trace, s in zip(traces, solutions, strict=True)
        ]
    record["output"] = solution.text
    return record


class ResultsFile:
    """The results of a run, one JSON object per line, each with the `id` of its problem."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def open_for_resume(self) -> dict[str, dict[str, Any]]:
        """Open the file for appending (creating it) and return the results it already holds, by id
        (`id_key`). A last line without its newline (a crash mid-write) is cut off; a line that is not a
        result is left alone."""
        done: dict[str, dict[str, Any]] = {}
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND | getattr(os, "O_BINARY", 0), 0o644)
        except OSError as exc:
            raise UserFacingError(
                f"Could not open the results file {self.path}: {exc.strerror or exc}."
            ) from None
        try:
            with os.fdopen(os.dup(fd), "rb") as existing:
                data = existing.read()
            complete = data.rfind(b"\n") + 1
            if complete < len(data):
                os.ftruncate(fd, complete)
            for line in data[:complete].splitlines():
                try:
                    record = json.loads(line)
                except (json.JSONDecodeError, UnicodeDecodeError):
                    continue
                if isinstance(record, dict) and "id" in record:
                    done[id_key(record["id"])] = record
        except OSError as exc:
            os.close(fd)
            raise UserFacingError(
                f"Could not read the results file {self.path}: {exc.strerror or exc}."
            ) from None
        self._fd = fd
        return done

    def append(self, result: Mapping[str, Any]) -> None:
        """Write one result as a whole line, then flush it to the disk (a kill leaves no half line)."""
        if self._fd is None:
            raise RuntimeError("the results file is not open")
        line = (json.dumps(result, ensure_ascii=False) + "\n").encode("utf-8")
        written = 0
        while written < len(line):  # one write for a line of any sane size; a loop for a short write
            written += os.write(self._fd, line[written:])
        os.fsync(self._fd)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> ResultsFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
