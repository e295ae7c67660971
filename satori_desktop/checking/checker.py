"""`AnswerChecker`: compares a student's answer with the reference answer, never hanging its caller.

Choice letters and prose answers are compared here (`answers.prepare_answer` says which an answer is);
everything else goes to one worker process (`worker.serve`) that holds math-verify. The process is
started with multiprocessing's "spawn" method (never fork: the window has threads, and a forked child
would inherit their locks in whatever state they were), on first use or by `start()` as a warm-up, and
is reused for every check. A check that is not answered by its deadline kills the process and says so;
the next check starts a fresh one. The time the worker takes to start (spawn, import math-verify, warm
up: about a second) does not count against a check's deadline; it has its own, `STARTUP_DEADLINE_S`.

Thread-safe: a lock lets one check at a time talk to the worker; a check from a second thread waits for
the first (at most its deadline). The frozen app's entry calls `multiprocessing.freeze_support()`; in the
source checkout `python -m satori_desktop` and the `satori-desktop` script are safe to spawn from
(multiprocessing skips a package's `__main__` and the script keeps its `if __name__ == "__main__"`).
"""

from __future__ import annotations

import itertools
import logging
import multiprocessing
import threading
import time
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from types import TracebackType
from typing import Any

from satori_desktop.checking import answers, result, worker
from satori_desktop.checking.result import CheckResult

DEFAULT_DEADLINE_S = 3.0
"""How long one comparison may take before the worker is killed."""
STARTUP_DEADLINE_S = 90.0
"""How long the worker may take to get ready (a slow laptop with a virus scanner on a cold start, or a
machine whose cores are all busy decoding: measured over 30 s on 2 cores while llama.cpp and a build ran)."""

log = logging.getLogger(__name__)


class AnswerChecker:
    """One worker process, started on first use or by start(), reused; thread-safe (a lock: one check
    at a time); a check past its deadline kills the worker, returns match=None with a reason, and the
    next check starts a fresh worker."""

    def __init__(self, *, deadline_s: float = DEFAULT_DEADLINE_S) -> None:
        self._deadline_s = deadline_s
        self._lock = threading.Lock()
        self._request_ids = itertools.count(1)
        self._process: BaseProcess | None = None
        self._connection: Connection | None = None
        self._ready = False
        self._spawned_at = 0.0
        self._start_error: str | None = None
        self.worker_info: dict[str, Any] | None = None
        """What the ready worker reported: import_s, warm_up_s, heavy_modules (for `bench check`)."""

    # -- lifetime -----------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the worker now without waiting for it to be ready (warm-up); idempotent; never raises
        (a failure shows up in the next check's reason). Returns at once when a check is running."""
        if not self._lock.acquire(blocking=False):
            return
        try:
            self._spawn_if_needed()
        finally:
            self._lock.release()

    def close(self) -> None:
        """Stop the worker; idempotent. A later check starts a fresh one."""
        with self._lock:
            self._stop_worker(graceful=True)

    def __enter__(self) -> AnswerChecker:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def running(self) -> bool:
        """Whether a worker process is alive (ready or still starting)."""
        return self._process is not None and self._process.is_alive()

    @property
    def worker_pid(self) -> int | None:
        """The worker's process id, None when there is none."""
        return self._process.pid if self._process is not None else None

    # -- checking -----------------------------------------------------------------------------------

    def check(self, student: str, reference: str, *, deadline_s: float | None = None) -> CheckResult:
        """Compare `student` with `reference` (the gold side); blocking; never raises for bad input, a
        dead worker or a timeout."""
        started = time.perf_counter()
        student, reference = student.strip(), reference.strip()
        deadline = self._deadline_s if deadline_s is None else deadline_s
        match, reason = self._decide(student, reference, deadline)
        return CheckResult(match, student, reference, reason, time.perf_counter() - started)

    def _decide(self, student: str, reference: str, deadline: float) -> tuple[bool | None, str]:
        mine, theirs = answers.prepare_answer(student), answers.prepare_answer(reference)
        if mine.kind == "empty":
            return None, result.STUDENT_EMPTY
        if theirs.kind == "empty":
            return None, result.REFERENCE_EMPTY
        unreadable = (mine.kind == "unreadable", theirs.kind == "unreadable")
        if any(unreadable):
            return None, _unreadable_reason(student=unreadable[0], reference=unreadable[1])
        if mine.kind == theirs.kind == "choice":
            if mine.compared == theirs.compared:
                return True, result.CHOICE_MATCHES.format(student=mine.compared)
            return False, result.CHOICE_DIFFERS.format(student=mine.compared, reference=theirs.compared)
        if mine.kind == theirs.kind == "text":
            if mine.compared == theirs.compared:
                return True, result.TEXT_MATCHES
            return False, result.TEXT_DIFFERS
        if mine.kind == "text" and theirs.kind == "math":
            return False, result.WORDS_AGAINST_MATH
        if mine.kind == "math" and theirs.kind == "text":
            return False, result.MATH_AGAINST_WORDS
        if "text" in (mine.kind, theirs.kind):  # words against a choice letter
            return False, result.DOES_NOT_MATCH
        # Math, or a choice letter against math (math-verify reads `(B)` as the symbol b).
        return self._compare_in_worker(
            answers.as_math(mine, student), answers.as_math(theirs, reference), deadline
        )

    def _compare_in_worker(
        self, student_latex: str, reference_latex: str, deadline: float
    ) -> tuple[bool | None, str]:
        with self._lock:
            # A second try only when the worker turns out dead on the first (killed or crashed between
            # checks: a pid that is gone is not always reaped yet when the check begins).
            for attempt in (1, 2):
                self._spawn_if_needed()
                failure = self._wait_until_ready()
                if failure is not None:
                    return None, result.WORKER_DID_NOT_START.format(detail=failure)
                assert self._connection is not None
                request_id = next(self._request_ids)
                try:
                    self._connection.send((request_id, student_latex, reference_latex))
                    outcome = self._receive_reply(self._connection, request_id, deadline)
                except (EOFError, OSError):
                    log.info("answer checker worker %s stopped during a check", self.worker_pid)
                    self._stop_worker(graceful=False)
                    if attempt == 1:
                        continue
                    return None, result.WORKER_STOPPED
                if outcome is None:
                    log.info("answer check passed its deadline of %s s; worker killed", deadline)
                    self._stop_worker(graceful=False)
                    return None, result.TIMED_OUT.format(deadline=result.seconds_text(deadline))
                return _verdict(outcome)
        return None, result.WORKER_STOPPED  # not reached: the loop returns

    @staticmethod
    def _receive_reply(connection: Connection, request_id: int, deadline: float) -> dict[str, Any] | None:
        """The worker's outcome for `request_id`, None when the deadline passes first."""
        until = time.monotonic() + deadline
        while True:
            remaining = until - time.monotonic()
            if remaining <= 0 or not connection.poll(remaining):
                return None
            reply_id, outcome = connection.recv()
            if reply_id == request_id:
                return outcome  # type: ignore[no-any-return]

    # -- the worker process -------------------------------------------------------------------------

    def _spawn_if_needed(self) -> None:
        if self._process is not None and self._process.is_alive():
            return
        self._stop_worker(graceful=False)
        try:
            context = multiprocessing.get_context("spawn")
            parent_end, child_end = context.Pipe(duplex=True)
            process = context.Process(
                target=worker.serve, args=(child_end,), name="satori-answer-checker", daemon=True
            )
            process.start()
            child_end.close()
        except Exception as exc:  # e.g. no memory for a process, or a broken interpreter path
            log.exception("could not start the answer checker's worker")
            self._start_error = _one_line(f"{type(exc).__name__}: {exc}")
            return
        self._process, self._connection = process, parent_end
        self._ready, self._spawned_at, self._start_error = False, time.monotonic(), None

    def _wait_until_ready(self) -> str | None:
        """None once the worker has said it is ready; else why it is not (the worker is then gone)."""
        if self._process is None or self._connection is None:
            return self._start_error or "no worker process"
        if self._ready:
            return None
        remaining = STARTUP_DEADLINE_S - (time.monotonic() - self._spawned_at)
        try:
            if remaining <= 0 or not self._connection.poll(remaining):
                failure = f"it was not ready after {result.seconds_text(STARTUP_DEADLINE_S)}"
            else:
                kind, payload = self._connection.recv()
                if kind == "ready":
                    self._ready, self.worker_info = True, payload
                    return None
                failure = _one_line(str(payload))
        except (EOFError, OSError):
            self._process.join(timeout=5)
            failure = f"the worker process ended with exit code {self._process.exitcode}"
        log.error("the answer checker's worker did not start: %s", failure)
        self._stop_worker(graceful=False)
        return failure

    def _stop_worker(self, *, graceful: bool) -> None:
        process, connection = self._process, self._connection
        self._process, self._connection, self._ready = None, None, False
        if connection is not None:
            connection.close()  # the worker reads EOF and returns
        if process is None:
            return
        if graceful:
            process.join(timeout=2)
        if process.is_alive():
            process.kill()
        process.join(timeout=5)
        if not process.is_alive():
            process.close()


def _one_line(detail: str, limit: int = 200) -> str:
    """An error's text fit for the middle of a sentence: one line, not too long."""
    text = " ".join(detail.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _unreadable_reason(*, student: bool, reference: bool) -> str:
    if student and reference:
        return result.BOTH_UNREADABLE
    return result.STUDENT_UNREADABLE if student else result.REFERENCE_UNREADABLE


def _verdict(outcome: dict[str, Any]) -> tuple[bool | None, str]:
    status = outcome.get("status")
    if status == "compared":
        return (True, result.MATCHES) if outcome["match"] else (False, result.DOES_NOT_MATCH)
    if status == "unreadable":
        sides = set(outcome.get("sides", ()))
        return None, _unreadable_reason(student="student" in sides, reference="reference" in sides)
    return None, result.COMPARISON_FAILED.format(detail=outcome.get("message", "no details"))
