"""The typed vocabulary of one answer on its way out of the engine, and the loop around a generate call.

Everything that crosses from the engine's thread to the GUI (and to the history store) is one of these
frozen objects, never a dict: a `StreamUpdate` per frame (the COAT events since the last one and the
progress so far) and one `TurnSummary` at the end. They become JSON once, where the transcript page is
fed (`ui.transcript.feed`); nobody on the way re-checks keys, so the summary cannot lose a field between
the engine and the page again.

`StreamBatcher` is the Qt-free part of the engine worker's generate loop: it feeds the COAT parser, joins
the events of one frame, measures the rate and builds the summary from the engine's result. The worker
only calls it and emits what it returns; tests drive it with their own clock, no thread needed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from satori_desktop.core.coat import CoatParser, TextAppended, TranscriptEvent
from satori_desktop.core.reasoning import TranscriptParser
from satori_desktop.engine.types import FinishReason, GenerationResult

# One update per page frame (transcript.view.FRAME_MS, 30 a second): an update the page cannot show yet
# would only cost the GUI thread a signal and a status-line repaint.
UPDATE_INTERVAL_S = 1 / 30

Clock = Callable[[], float]


@dataclass(frozen=True)
class GenerationProgress:
    request_id: int
    generated_tokens: int  # pieces of text so far (one per token, give or take a split character)
    tok_s: float | None  # decode rate since the first piece; None until there are two
    n_ctx: int | None  # the context size of the loaded model, for "context used"


@dataclass(frozen=True)
class StreamUpdate:
    """What arrived during one frame: the parser's events (text of one step joined), the progress, and
    the raw text of the frame as the model wrote it (meta tokens included: what the history stores)."""

    events: tuple[TranscriptEvent, ...]
    progress: GenerationProgress
    text: str = ""


@dataclass(frozen=True)
class TurnSummary:
    """The end of one answer, as the window, the transcript footer and the history store read it.

    `error` is the sentence a user reads when `finish_reason` is "error" (None otherwise). `elapsed_s`
    runs from the request reaching the engine to the last piece; `finished_at` is on the
    `time.perf_counter` clock, which every thread shares (the UI benchmark lines it up with the page).
    """

    request_id: int
    finish_reason: FinishReason
    text: str = ""
    error: str | None = None
    prompt_tokens: int = 0
    reused_prompt_tokens: int = 0
    generated_tokens: int = 0
    ttft_s: float | None = None
    decode_tok_s: float | None = None
    elapsed_s: float | None = None
    n_ctx: int | None = None
    finished_at: float | None = None
    window_tok_s: tuple[float, ...] = field(default=())

    @classmethod
    def not_started(
        cls, request_id: int, finish_reason: FinishReason, error: str | None = None
    ) -> TurnSummary:
        """A request that never reached the engine (cancelled while queued, or no model loaded)."""
        return cls(request_id, finish_reason, error=error, finished_at=time.perf_counter())


def merge_text_events(events: list[TranscriptEvent]) -> list[TranscriptEvent]:
    """Join consecutive `TextAppended` of the same step: fewer, bigger appends for the page."""
    merged: list[TranscriptEvent] = []
    for event in events:
        last = merged[-1] if merged else None
        if isinstance(event, TextAppended) and isinstance(last, TextAppended) and last.index == event.index:
            merged[-1] = TextAppended(event.index, last.text + event.text)
        else:
            merged.append(event)
    return merged


class StreamBatcher:
    """Turns the pieces of one generate call into `StreamUpdate`s (at most one per interval) and its
    result into a `TurnSummary`.

    `feed(text)` is called for every piece the engine streams and returns an update when the interval has
    passed since the last one, else None; `finish()` returns the last update (the parser's closing
    events included), then `summary(result)` or `failed(sentence)` the end of the turn.
    """

    def __init__(
        self,
        request_id: int,
        n_ctx: int | None,
        *,
        interval_s: float = UPDATE_INTERVAL_S,
        clock: Clock = time.perf_counter,
        parser: TranscriptParser | None = None,
    ) -> None:
        self._request_id = request_id
        self._n_ctx = n_ctx
        self._interval_s = interval_s
        self._clock = clock
        # Satori's COAT steps, unless the loaded model writes another format (core/model_format.parser_for).
        self._parser: TranscriptParser = parser if parser is not None else CoatParser()
        self._pending: list[TranscriptEvent] = []
        self._pending_text: list[str] = []
        self._started = clock()
        self._last_update = float("-inf")
        self._first_piece_at: float | None = None
        self._pieces = 0

    def feed(self, text: str) -> StreamUpdate | None:
        now = self._clock()
        if self._first_piece_at is None:
            self._first_piece_at = now
        self._pieces += 1
        self._pending_text.append(text)
        self._pending.extend(self._parser.feed(text))
        if now - self._last_update >= self._interval_s:
            return self._take(now)
        return None

    def finish(self) -> StreamUpdate:
        """The last update of the stream: what is still pending and the parser's closing events."""
        self._pending.extend(self._parser.finish())
        return self._take(self._clock())

    def summary(self, result: GenerationResult) -> TurnSummary:
        error = result.error
        if result.finish_reason == "error" and not error:
            error = "The model stopped with an unexplained error; try again, and see the log if it repeats."
        return TurnSummary(
            request_id=self._request_id,
            finish_reason=result.finish_reason,
            text=result.text,
            error=error if result.finish_reason == "error" else None,
            prompt_tokens=result.prompt_tokens,
            reused_prompt_tokens=result.reused_prompt_tokens,
            generated_tokens=result.generated_tokens,
            ttft_s=result.ttft_s,
            decode_tok_s=result.decode_tok_s,
            window_tok_s=tuple(result.window_tok_s),
            elapsed_s=self._elapsed(),
            n_ctx=self._n_ctx,
            finished_at=self._clock(),
        )

    def failed(self, sentence: str) -> TurnSummary:
        """The generate call raised: the turn ends as an error with this sentence for the user."""
        return TurnSummary(
            request_id=self._request_id,
            finish_reason="error",
            error=sentence,
            generated_tokens=self._pieces,
            elapsed_s=self._elapsed(),
            n_ctx=self._n_ctx,
            finished_at=self._clock(),
        )

    def _elapsed(self) -> float:
        return self._clock() - self._started

    def _take(self, now: float) -> StreamUpdate:
        self._last_update = now
        events = tuple(merge_text_events(self._pending))
        self._pending.clear()
        text = "".join(self._pending_text)
        self._pending_text.clear()
        speed = None
        first = self._first_piece_at
        if first is not None and self._pieces > 1 and now > first:
            speed = (self._pieces - 1) / (now - first)
        progress = GenerationProgress(self._request_id, self._pieces, speed, self._n_ctx)
        return StreamUpdate(events, progress, text)
