r"""Solve several times: what the engine worker hands the window while k solutions of one problem stream
together (`SamplesUpdate`, at most one per `UPDATE_INTERVAL_S`) and when they are all in
(`SamplesOutcome`). Qt-free, like `engine.streaming` for a single answer, so its rules are tested alone.

Self-consistency (Wang et al. 2022): several solutions sampled at a moderate temperature, and the answer
most of them reach is more often right than the greedy one. The defaults follow what Qwen2.5-Math used for
maj@8: temperature 0.7, top-p 0.8.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from satori_desktop.core.answer import BoxedScanner
from satori_desktop.engine.types import GenerationResult

UPDATE_INTERVAL_S = 0.1
DEFAULT_SAMPLES = 8
MIN_SAMPLES = 2
MAX_SAMPLES = 16
SAMPLE_TEMPERATURE = 0.7
SAMPLE_TOP_P = 0.8


@dataclass(frozen=True)
class SampleProgress:
    """One solution so far: pieces streamed, the last boxed answer seen, and how it ended (None while it
    streams)."""

    index: int
    tokens: int
    answer: str | None
    finish_reason: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class SamplesUpdate:
    request_id: int
    samples: tuple[SampleProgress, ...]
    tok_s: float | None = None  # aggregate: every solution's pieces since the first one, per second

    @property
    def tokens(self) -> int:
        return sum(sample.tokens for sample in self.samples)


@dataclass(frozen=True)
class SamplesOutcome:
    """Every solution of one "solve several times": each one's result (None where its job never ran:
    cancelled before it started, or the batch failed), and the sentence of a failure of the whole."""

    request_id: int
    results: tuple[GenerationResult | None, ...]
    samples: tuple[SampleProgress, ...]
    elapsed_s: float
    error: str | None = None

    def texts(self) -> list[str]:
        return [result.text if result is not None else "" for result in self.results]


@dataclass(frozen=True)
class BatchJobDone:
    """One problem of a problem set solved (the engine worker's `batch_job_done`)."""

    request_id: int
    key: str
    result: GenerationResult


@dataclass(frozen=True)
class BatchFinished:
    """A problem set's batch ended (`error`: the sentence when the whole batch failed)."""

    request_id: int
    error: str | None = None


@dataclass
class _Sample:
    tokens: int = 0
    answer: str | None = None
    scanner: BoxedScanner = field(default_factory=BoxedScanner)
    result: GenerationResult | None = None


class SamplesTracker:
    """Follows k solutions as their pieces arrive (`feed(index, text)`) and end (`done(index, result)`)."""

    def __init__(self, request_id: int, count: int, *, interval_s: float = UPDATE_INTERVAL_S) -> None:
        self._request_id = request_id
        self._samples = [_Sample() for _ in range(count)]
        self._interval_s = interval_s
        self._started = time.perf_counter()
        self._last = float("-inf")
        self._first_piece_at: float | None = None
        self._pieces = 0

    def feed(self, index: int, text: str) -> SamplesUpdate | None:
        sample = self._samples[index]
        sample.tokens += 1
        self._pieces += 1
        if self._first_piece_at is None:
            self._first_piece_at = time.perf_counter()
        found = sample.scanner.feed(text)
        if found:
            sample.answer = found[-1]
        return self._maybe_update()

    def done(self, index: int, result: GenerationResult) -> SamplesUpdate:
        self._samples[index].result = result
        return self.update()

    def update(self) -> SamplesUpdate:
        now = self._last = time.perf_counter()
        first = self._first_piece_at
        rate = (
            (self._pieces - 1) / (now - first)
            if first is not None and self._pieces > 1 and now > first
            else None
        )
        return SamplesUpdate(self._request_id, self.progress(), rate)

    def progress(self) -> tuple[SampleProgress, ...]:
        return tuple(
            SampleProgress(
                index=index,
                tokens=sample.result.generated_tokens if sample.result is not None else sample.tokens,
                answer=sample.answer,
                finish_reason=sample.result.finish_reason if sample.result is not None else None,
                error=sample.result.error if sample.result is not None else None,
            )
            for index, sample in enumerate(self._samples)
        )

    def outcome(self, error: str | None = None) -> SamplesOutcome:
        return SamplesOutcome(
            request_id=self._request_id,
            results=tuple(sample.result for sample in self._samples),
            samples=self.progress(),
            elapsed_s=time.perf_counter() - self._started,
            error=error,
        )

    def _maybe_update(self) -> SamplesUpdate | None:
        if time.perf_counter() - self._last >= self._interval_s:
            return self.update()
        return None
