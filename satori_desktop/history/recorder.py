"""Recording one streamed answer into the history without ever making the streaming thread wait.

The engine thread calls `TurnRecorder.append(text)` for every piece; that only appends to a list. The
store's writer thread (`history.writer`) does the SQLite work: it inserts the turn as soon as it begins,
saves the text so far at every checkpoint tick (each `CHECKPOINT_INTERVAL_S`) when there is new text,
and the ending as soon as `finish()` is called. The text stays in memory until the writer has saved it,
so a failed write (a full disk) is simply tried again at the next tick while the stream goes on.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from satori_desktop.history.records import FINISH_REASONS, INTERRUPTED

if TYPE_CHECKING:
    from satori_desktop.history.writer import Writer


class GenerationOutcome(Protocol):
    """What `finish_from` reads: an engine `GenerationResult` or the GUI's `TurnSummary` both fit."""

    @property
    def finish_reason(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def error(self) -> str | None: ...
    @property
    def prompt_tokens(self) -> int: ...
    @property
    def reused_prompt_tokens(self) -> int: ...
    @property
    def generated_tokens(self) -> int: ...
    @property
    def ttft_s(self) -> float | None: ...
    @property
    def decode_tok_s(self) -> float | None: ...


@dataclass(frozen=True)
class TurnStart:
    """The fixed part of a turn, written when it begins."""

    conversation_id: int
    question: str
    model_file: str | None
    model_sha256: str | None
    settings_json: str
    replacing_turn_id: int | None
    created_at: float


@dataclass(frozen=True)
class TurnEnding:
    finish_reason: str
    text: str | None  # the engine's final text, when it is to replace what was streamed
    error: str | None
    prompt_tokens: int | None
    reused_prompt_tokens: int | None
    generated_tokens: int | None
    ttft_s: float | None
    decode_tok_s: float | None
    elapsed_s: float


@dataclass(frozen=True)
class Snapshot:
    """What the writer saves at one checkpoint: the text so far and, once given, the ending."""

    text: str
    parts: int  # how many appended pieces the text holds
    ending: TurnEnding | None


class TurnRecorder:
    """Feeds one turn's streamed text to the history. Thread-safe; never blocks on SQLite.

    Use it as a context manager, or call `finish()` / `finish_from()` exactly once at the end. A
    recorder left without an ending (the `with` block exits, or the store closes) is ended as
    "interrupted", the same state the next start gives a turn whose app was killed; once the store has
    ended it so, the engine thread's later `append()` and `finish()` are ignored.
    """

    def __init__(self, writer: Writer, start: TurnStart) -> None:
        self._writer = writer
        self.start = start
        self._began = time.monotonic()
        self._lock = threading.Lock()
        self._saved = threading.Condition(self._lock)
        # Appended to by the engine thread without the lock (list.append is atomic); the writer only
        # ever reads a prefix of it, so the hot path is one append and one attribute check.
        self._parts: list[str] = []
        self._joined = ""  # parts[:_joined_count] joined (the writer thread's own, for checkpoints)
        self._joined_count = 0
        self._ending: TurnEnding | None = None
        # Written by the writer thread only (under the lock, so waiters see them together).
        self._turn_id: int | None = None
        self._saved_parts = 0  # how many parts are on disk
        self._ending_saved = False
        self._lost: str | None = None  # why it can no longer be saved (its conversation is gone)
        self._ended_by_store = False  # the store closed while it streamed: later calls are ignored

    @property
    def conversation_id(self) -> int:
        return self.start.conversation_id

    @property
    def turn_id(self) -> int | None:
        """The turn's id once the writer has inserted it (usually within milliseconds), else None."""
        with self._lock:
            return self._turn_id

    @property
    def text(self) -> str:
        return "".join(self._parts[:])

    @property
    def finished(self) -> bool:
        with self._lock:
            return self._ending is not None

    @property
    def lost(self) -> str | None:
        with self._lock:
            return self._lost

    def append(self, text: str) -> None:
        """Add streamed text (the engine's `on_text` can call this directly)."""
        if not text:
            return
        if self._ending is not None:
            if self._ended_by_store:
                return
            raise RuntimeError("append() after the turn was finished")
        self._parts.append(text)

    def finish(
        self,
        finish_reason: str,
        *,
        text: str | None = None,
        error: str | None = None,
        prompt_tokens: int | None = None,
        reused_prompt_tokens: int | None = None,
        generated_tokens: int | None = None,
        ttft_s: float | None = None,
        decode_tok_s: float | None = None,
        elapsed_s: float | None = None,
    ) -> None:
        """End the turn; the writer saves it at once. `text`, when given, replaces the streamed text
        (the engine's final text is the one to keep should they differ); `elapsed_s` defaults to the
        time since `begin_turn`."""
        if finish_reason not in FINISH_REASONS:
            raise ValueError(f"unknown finish reason {finish_reason!r}")
        ending = TurnEnding(
            finish_reason=finish_reason,
            text=text,
            error=error,
            prompt_tokens=prompt_tokens,
            reused_prompt_tokens=reused_prompt_tokens,
            generated_tokens=generated_tokens,
            ttft_s=ttft_s,
            decode_tok_s=decode_tok_s,
            elapsed_s=time.monotonic() - self._began if elapsed_s is None else elapsed_s,
        )
        with self._lock:
            if self._ending is not None:
                if self._ended_by_store:
                    return
                raise RuntimeError("the turn was already finished")
            self._ending = ending
        self._writer.wake()

    def finish_from(self, outcome: GenerationOutcome, *, elapsed_s: float | None = None) -> None:
        """End the turn with an engine result (`GenerationResult`) or the GUI's `TurnSummary`."""
        self.finish(
            outcome.finish_reason,
            text=outcome.text or None,
            error=outcome.error,
            prompt_tokens=outcome.prompt_tokens,
            reused_prompt_tokens=outcome.reused_prompt_tokens,
            generated_tokens=outcome.generated_tokens,
            ttft_s=outcome.ttft_s,
            decode_tok_s=outcome.decode_tok_s,
            elapsed_s=getattr(outcome, "elapsed_s", None) if elapsed_s is None else elapsed_s,
        )

    def wait_saved(self, timeout: float | None = None) -> bool:
        """Block until everything appended so far (and the ending, if given) is on disk. For the CLI
        before it exits, and for tests; the GUI never needs it. False on timeout or if it cannot be
        saved."""
        deadline = None if timeout is None else time.monotonic() + timeout
        self._writer.wake()
        with self._lock:
            while not self._all_saved_locked():
                if self._lost is not None:
                    return False
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._saved.wait(left)
            return True

    def __enter__(self) -> TurnRecorder:
        return self

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        if not self.finished:
            if exc is not None and not isinstance(exc, KeyboardInterrupt):
                self.finish("error", error=f"The answer stopped because of an error ({exc}).")
            else:
                self.finish(INTERRUPTED)

    # The writer thread's side.

    def _all_saved_locked(self) -> bool:
        if self._turn_id is None or self._saved_parts != len(self._parts):
            return False
        return self._ending is None or self._ending_saved

    def needs_save(self, tick: bool) -> bool:
        """Whether the writer should save now: not inserted yet, an ending to save, or (at a
        checkpoint tick) text not saved yet."""
        with self._lock:
            if self._lost is not None:
                return False
            if self._turn_id is None or (self._ending is not None and not self._ending_saved):
                return True
            return tick and self._saved_parts != len(self._parts)

    @property
    def done(self) -> bool:
        """Nothing more will ever be written for it (ended and saved, or lost)."""
        with self._lock:
            return self._lost is not None or (self._ending is not None and self._ending_saved)

    def take_snapshot(self) -> Snapshot:
        # The ending first: the engine thread appends before it finishes, so once the ending is seen,
        # every part is in the list too.
        with self._lock:
            ending = self._ending
        count = len(self._parts)
        if count > self._joined_count:
            self._joined += "".join(self._parts[self._joined_count : count])
            self._joined_count = count
        return Snapshot(self._joined, count, ending)

    def end_if_open(self) -> None:
        """The store is closing while this turn streams: it ends as interrupted, its text kept."""
        with self._lock:
            if self._ending is None:
                self._ended_by_store = True
                self._ending = TurnEnding(
                    INTERRUPTED, None, None, None, None, None, None, None, time.monotonic() - self._began
                )

    def mark_saved(self, turn_id: int, snapshot: Snapshot) -> None:
        with self._lock:
            self._turn_id = turn_id
            self._saved_parts = snapshot.parts
            if snapshot.ending is not None:
                self._ending_saved = True
            self._saved.notify_all()

    def mark_lost(self, reason: str) -> None:
        with self._lock:
            self._lost = reason
            self._saved.notify_all()
