"""The history's one writer thread: every write to the file happens here, in short transactions.

Why one thread: the GUI thread and the engine thread must never wait on SQLite (a checkpoint's fsync, or
the write lock while another instance of the app commits), and one connection that does all writing
never contends with itself. Callers hand it work through a queue:

- `call(fn)`: a short write the caller needs the result of (create a conversation, rename, delete);
- `add(recorder)`: a turn being streamed. The thread inserts it at once, then saves new text at every
  checkpoint tick (`interval_s`), and its ending as soon as it comes. A write that fails (the disk is
  full, the file is locked for longer than the busy timeout) is reported once and tried again at the
  next tick; the recorder keeps the text in memory meanwhile.

Reads do not come here: WAL lets them run on the caller's own connection while this thread writes.
"""

from __future__ import annotations

import errno
import logging
import queue
import sqlite3
import threading
import time
from collections.abc import Callable
from concurrent import futures
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from satori_desktop.history.recorder import Snapshot, TurnEnding, TurnRecorder, TurnStart
from satori_desktop.history.records import default_title, parsed_fields
from satori_desktop.history.schema import is_corruption

log = logging.getLogger(__name__)

CHECKPOINT_INTERVAL_S = 1.0  # text reaches the disk within about this long (the promise is 2 s)

ErrorSink = Callable[[str | None], None]  # a sentence when a write fails, None once writes work again


class _Job:
    __slots__ = ("flush", "fn", "future")

    def __init__(self, fn: Callable[[sqlite3.Connection], Any] | None, *, flush: bool = False) -> None:
        self.fn = fn
        self.flush = flush
        self.future: Future[Any] = Future()


_STOP = _Job(None)


def write_error_sentence(exc: BaseException, path: Path) -> str:
    """The one sentence a user reads when the history could not be written."""
    name = getattr(exc, "sqlite_errorname", "") or ""
    full = name == "SQLITE_FULL" or "database or disk is full" in str(exc)
    if full or (isinstance(exc, OSError) and exc.errno == errno.ENOSPC):
        return (
            f"The disk is full, so the history cannot be saved right now; the answer is kept in memory "
            f"and saved as soon as there is space (free some on the disk that holds {path.parent})."
        )
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "database is locked" in str(exc):
        return (
            "The history file is locked by another program, so the answer is kept in memory and saved "
            "when the file is free."
        )
    if isinstance(exc, sqlite3.Error) and is_corruption(exc):
        return (
            f"The history file {path} is damaged, so this answer is kept in memory only; restart the app "
            "to move the damaged file aside and start a new history."
        )
    return f"The history could not be saved ({exc}); the answer is kept in memory and saving is tried again."


def insert_turn(conn: sqlite3.Connection, start: TurnStart, owner: tuple[int, float], text: str) -> int:
    """Insert a turn at the end of its conversation (or in place of the turn it retries)."""
    position = None
    if start.replacing_turn_id is not None:
        row = conn.execute(
            "SELECT position FROM turns WHERE id = ? AND conversation_id = ?",
            (start.replacing_turn_id, start.conversation_id),
        ).fetchone()
        if row is not None:
            position = int(row[0])
            conn.execute("DELETE FROM turns WHERE id = ?", (start.replacing_turn_id,))
    if position is None:
        row = conn.execute(
            "SELECT COALESCE(MAX(position) + 1, 0) FROM turns WHERE conversation_id = ?",
            (start.conversation_id,),
        ).fetchone()
        position = int(row[0])
    now = time.time()
    cursor = conn.execute(
        "INSERT INTO turns (conversation_id, position, question, output, model_file, model_sha256, "
        "settings_json, created_at, updated_at, owner_pid, owner_started) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            start.conversation_id,
            position,
            start.question,
            text,
            start.model_file,
            start.model_sha256,
            start.settings_json,
            start.created_at,
            now,
            owner[0],
            owner[1],
        ),
    )
    turn_id = int(cursor.lastrowid or 0)
    # The question is searchable at once; the answer and solution join the index when the turn ends.
    conn.execute(
        "INSERT INTO turn_search (rowid, question, answer, solution) VALUES (?, ?, '', '')",
        (turn_id, start.question),
    )
    conn.execute(
        "UPDATE conversations SET updated_at = ?, "
        "title = CASE WHEN title = '' THEN ? ELSE title END WHERE id = ?",
        (now, default_title(start.question), start.conversation_id),
    )
    return turn_id


def save_ending(conn: sqlite3.Connection, turn_id: int, text: str, ending: TurnEnding) -> None:
    """Write how a turn ended, its parsed steps and answer, and put the answer into the search index."""
    steps_json, answer, solution = parsed_fields(text)
    now = time.time()
    conn.execute(
        "UPDATE turns SET output = ?, steps_json = ?, answer = ?, finish_reason = ?, error = ?, "
        "prompt_tokens = ?, reused_prompt_tokens = ?, generated_tokens = ?, ttft_s = ?, "
        "decode_tok_s = ?, elapsed_s = ?, updated_at = ?, owner_pid = NULL, owner_started = NULL "
        "WHERE id = ?",
        (
            text,
            steps_json,
            answer,
            ending.finish_reason,
            ending.error,
            ending.prompt_tokens,
            ending.reused_prompt_tokens,
            ending.generated_tokens,
            ending.ttft_s,
            ending.decode_tok_s,
            ending.elapsed_s,
            now,
            turn_id,
        ),
    )
    conn.execute(
        "UPDATE turn_search SET answer = ?, solution = ? WHERE rowid = ?", (answer or "", solution, turn_id)
    )
    conn.execute(
        "UPDATE conversations SET updated_at = ? WHERE id = (SELECT conversation_id FROM turns WHERE id = ?)",
        (now, turn_id),
    )


class Writer:
    def __init__(
        self,
        conn: sqlite3.Connection,
        path: Path,
        *,
        owner: tuple[int, float],
        interval_s: float = CHECKPOINT_INTERVAL_S,
        report: ErrorSink,
    ) -> None:
        self._conn = conn
        self._path = path
        self._owner = owner
        self._interval_s = interval_s
        self._report = report
        self._jobs: queue.SimpleQueue[_Job] = queue.SimpleQueue()
        self._active: list[TurnRecorder] = []  # touched only on the writer thread
        self._failing = False
        self._thread = threading.Thread(target=self._run, name="history-writer", daemon=True)
        # Set (under the lock) when the stop is queued: nothing is queued after it, so nothing waits forever.
        self._lock = threading.Lock()
        self._stopped = False

    def start(self) -> None:
        self._thread.start()

    def cpu_time_s(self) -> float | None:
        """CPU seconds the writer thread has used so far (None where the OS cannot say)."""
        ident = self._thread.ident
        if ident is None or not hasattr(time, "pthread_getcpuclockid"):
            return None
        try:
            return time.clock_gettime(time.pthread_getcpuclockid(ident))
        except OSError:  # the thread has ended
            return None

    def call(self, fn: Callable[[sqlite3.Connection], Any]) -> Any:
        """Run `fn(conn)` on the writer thread in one transaction and return its result (or raise)."""
        if threading.current_thread() is self._thread:
            # Called back from the writer thread itself (an on_error handler): a queued job would wait
            # for this very thread. There is no open transaction here; run it as a job would.
            job = _Job(fn)
            self._run_job(job)
            return job.future.result()
        job = _Job(fn)
        self._put(job)
        return job.future.result()

    def add(self, recorder: TurnRecorder) -> None:
        # Appended by the thread itself (the list is its own); the save pass after it inserts the turn.
        self._put(_Job(lambda _conn: self._active.append(recorder)))

    def wake(self) -> None:
        with self._lock:
            if not self._stopped:
                self._jobs.put(_Job(None))

    def flush(self, timeout: float | None = None) -> bool:
        """Save everything handed over so far; True when nothing is left unsaved."""
        job = _Job(None, flush=True)
        try:
            self._put(job)
        except RuntimeError:
            return True  # closed: everything that could be saved was
        try:
            return bool(job.future.result(timeout))
        except futures.TimeoutError:
            return False

    def stop(self, timeout: float | None = None) -> None:
        """End open turns as interrupted, save what is left, close the connection."""
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
            self._jobs.put(_STOP)
        self._thread.join(timeout)

    def _put(self, job: _Job) -> None:
        with self._lock:
            if self._stopped:
                raise RuntimeError("the history store is closed")
            self._jobs.put(job)

    # The thread.

    def _run(self) -> None:
        next_tick = time.monotonic() + self._interval_s
        while True:
            timeout = max(0.0, next_tick - time.monotonic()) if self._active else None
            try:
                job: _Job | None = self._jobs.get(timeout=timeout)
            except queue.Empty:
                job = None
            if job is _STOP:
                self._stop_now()
                return
            if job is not None and job.fn is not None:
                self._run_job(job)
            now = time.monotonic()
            tick = now >= next_tick or (job is not None and job.flush)
            if now >= next_tick:
                next_tick = now + self._interval_s
            self._save_pass(tick)
            if job is not None and job.flush:
                job.future.set_result(not any(r.needs_save(True) for r in self._active))

    def _run_job(self, job: _Job) -> None:
        assert job.fn is not None
        conn = self._conn
        try:
            conn.execute("BEGIN IMMEDIATE")
            result = job.fn(conn)
            conn.execute("COMMIT")
        except BaseException as exc:
            self._rollback()
            job.future.set_exception(exc)
        else:
            job.future.set_result(result)

    def _save_pass(self, tick: bool) -> None:
        for recorder in list(self._active):
            if recorder.needs_save(tick):
                self._save(recorder)
            if recorder.done:
                self._active.remove(recorder)

    def _save(self, recorder: TurnRecorder) -> None:
        snapshot = recorder.take_snapshot()
        conn = self._conn
        try:
            conn.execute("BEGIN IMMEDIATE")
            turn_id = self._write(conn, recorder, snapshot)
            conn.execute("COMMIT")
        except sqlite3.IntegrityError as exc:
            # Its conversation was deleted for good (by the CLI, or another window) before it began.
            self._rollback()
            log.warning("turn of conversation %s not saved: %s", recorder.conversation_id, exc)
            recorder.mark_lost("its conversation was deleted")
            return
        except (sqlite3.Error, OSError) as exc:
            self._rollback()
            log.warning("history write failed (kept in memory, tried again): %s", exc)
            self._failing = True
            self._report(write_error_sentence(exc, self._path))
            return
        except Exception:  # a bug: say so once, and stop trying for this turn rather than spin
            self._rollback()
            log.exception("history write failed")
            recorder.mark_lost("an unexpected error (see the log)")
            self._report(
                "The history could not save this answer because of an unexpected error (see the log)."
            )
            return
        recorder.mark_saved(turn_id, snapshot)
        if self._failing:
            self._failing = False
            log.info("history writes work again")
            self._report(None)

    def _write(self, conn: sqlite3.Connection, recorder: TurnRecorder, snapshot: Snapshot) -> int:
        turn_id = recorder.turn_id
        if turn_id is None:
            turn_id = insert_turn(conn, recorder.start, self._owner, snapshot.text)
        elif snapshot.ending is None:
            conn.execute(
                "UPDATE turns SET output = ?, updated_at = ? WHERE id = ?",
                (snapshot.text, time.time(), turn_id),
            )
        if snapshot.ending is not None:
            text = snapshot.ending.text if snapshot.ending.text is not None else snapshot.text
            save_ending(conn, turn_id, text, snapshot.ending)
        return turn_id

    def _rollback(self) -> None:
        if self._conn.in_transaction:
            try:
                self._conn.execute("ROLLBACK")
            except sqlite3.Error:
                log.exception("rollback failed")

    def _stop_now(self) -> None:
        for recorder in self._active:
            recorder.end_if_open()
        self._save_pass(True)
        for recorder in self._active:
            if not recorder.done:
                recorder.mark_lost("the history was closed before it could be saved")
                log.warning(
                    "history closed with turn %s of conversation %s unsaved",
                    recorder.turn_id,
                    recorder.conversation_id,
                )
        self._active.clear()
        self._conn.close()
