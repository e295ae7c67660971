"""The Qt-free part of the generate loop: parsing, per-frame batching, the rate, the end-of-turn summary.

Driven with a clock the test moves by hand, so every figure is exact and no thread is involved.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from satori_desktop.core.coat import (
    AnswerFound,
    CoatParser,
    StepAction,
    StepFinished,
    StepStarted,
    TextAppended,
    TranscriptEvent,
)
from satori_desktop.engine.scripted import DEMO_TRACE, split_into_pieces
from satori_desktop.engine.streaming import (
    GenerationProgress,
    StreamBatcher,
    StreamUpdate,
    TurnSummary,
    merge_text_events,
)
from satori_desktop.engine.types import GenerationResult


class ManualClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _stream(
    pieces: list[str], clock: ManualClock, step_s: float, interval_s: float = 0.05
) -> list[StreamUpdate]:
    batcher = StreamBatcher(7, 4096, interval_s=interval_s, clock=clock)
    updates = []
    for piece in pieces:
        clock.now += step_s
        update = batcher.feed(piece)
        if update is not None:
            updates.append(update)
    updates.append(batcher.finish())
    return updates


def _events(updates: list[StreamUpdate]) -> list[TranscriptEvent]:
    return [event for update in updates for event in update.events]


def test_the_first_piece_goes_out_at_once_then_one_update_per_interval() -> None:
    clock = ManualClock()
    pieces = split_into_pieces(DEMO_TRACE)
    # 1 ms a piece, 50 ms an update: about one update per 50 pieces, plus the first and the last.
    updates = _stream(pieces, clock, step_s=0.001)
    assert updates[0].progress.generated_tokens == 1
    assert len(updates) <= len(pieces) // 50 + 3
    assert updates[-1].progress.generated_tokens == len(pieces)
    assert all(update.progress.request_id == 7 and update.progress.n_ctx == 4096 for update in updates)


def test_a_slow_stream_sends_every_piece_as_it_comes() -> None:
    clock = ManualClock()
    pieces = ["One", " two", "<|reflect|>", "three"]
    updates = _stream(pieces, clock, step_s=0.2)
    assert [u.progress.generated_tokens for u in updates] == [1, 2, 3, 4, 4]


def test_the_events_are_the_parsers_own_with_text_runs_joined() -> None:
    clock = ManualClock()
    pieces = split_into_pieces(DEMO_TRACE)
    events = _events(_stream(pieces, clock, step_s=0.001))
    parser = CoatParser()
    expected = [event for piece in pieces for event in parser.feed(piece)] + parser.finish()
    assert merge_text_events(events) == merge_text_events(expected)
    assert isinstance(events[-1], StepFinished)  # finish() closed the open step
    assert [e.latex for e in events if isinstance(e, AnswerFound)] == ["5"]


@settings(max_examples=60, deadline=None)
@given(steps=st.lists(st.floats(min_value=0.0, max_value=0.2), min_size=1, max_size=60))
def test_any_timing_gives_the_same_text_and_steps(steps: list[float]) -> None:
    pieces = split_into_pieces(DEMO_TRACE)
    clock = ManualClock()
    batcher = StreamBatcher(1, None, interval_s=0.05, clock=clock)
    events: list[TranscriptEvent] = []
    for number, piece in enumerate(pieces):
        clock.now += steps[number % len(steps)]
        update = batcher.feed(piece)
        if update is not None:
            events.extend(update.events)
    events.extend(batcher.finish().events)
    text = "".join(e.text for e in events if isinstance(e, TextAppended))
    parser = CoatParser()
    reference = [event for piece in pieces for event in parser.feed(piece)] + parser.finish()
    assert text == "".join(e.text for e in reference if isinstance(e, TextAppended))
    started = [e.action for e in events if isinstance(e, StepStarted)]
    assert started == [e.action for e in reference if isinstance(e, StepStarted)]


def test_the_rate_counts_from_the_first_piece() -> None:
    clock = ManualClock()
    batcher = StreamBatcher(1, None, interval_s=0.0, clock=clock)
    first = batcher.feed("a")
    assert first is not None and first.progress.tok_s is None  # one piece is no rate yet
    for _ in range(10):
        clock.now += 0.01
        update = batcher.feed("b")
    assert update is not None and update.progress.tok_s == pytest.approx(100.0)


def test_merge_joins_runs_of_the_same_step_only() -> None:
    merged = merge_text_events(
        [
            StepStarted(0, StepAction.START),
            TextAppended(0, "a"),
            TextAppended(0, "b"),
            StepFinished(0),
            StepStarted(1, StepAction.REFLECT),
            TextAppended(1, "c"),
            AnswerFound("1"),
            TextAppended(1, "d"),
        ]
    )
    assert merged == [
        StepStarted(0, StepAction.START),
        TextAppended(0, "ab"),
        StepFinished(0),
        StepStarted(1, StepAction.REFLECT),
        TextAppended(1, "c"),
        AnswerFound("1"),
        TextAppended(1, "d"),
    ]


def _result(**changes: object) -> GenerationResult:
    values: dict[str, object] = {
        "text": "x",
        "finish_reason": "stop",
        "prompt_tokens": 30,
        "reused_prompt_tokens": 10,
        "generated_tokens": 5,
        "ttft_s": 0.25,
        "decode_tok_s": 42.0,
        "window_tok_s": [40.0, 44.0],
    }
    values.update(changes)
    return GenerationResult(**values)  # type: ignore[arg-type]


def test_the_summary_carries_the_result_and_the_elapsed_time() -> None:
    clock = ManualClock()
    batcher = StreamBatcher(3, 2048, clock=clock)
    clock.now += 1.5
    batcher.feed("x")
    clock.now += 0.5
    summary = batcher.summary(_result())
    assert summary == TurnSummary(
        request_id=3,
        finish_reason="stop",
        text="x",
        error=None,
        prompt_tokens=30,
        reused_prompt_tokens=10,
        generated_tokens=5,
        ttft_s=0.25,
        decode_tok_s=42.0,
        elapsed_s=pytest.approx(2.0),  # type: ignore[arg-type]
        n_ctx=2048,
        finished_at=clock.now,
        window_tok_s=(40.0, 44.0),
    )


def test_an_error_result_always_has_a_sentence_and_other_results_none() -> None:
    batcher = StreamBatcher(1, None, clock=ManualClock())
    with_sentence = batcher.summary(_result(finish_reason="error", error="The context is full; start anew."))
    assert with_sentence.error == "The context is full; start anew."
    without = batcher.summary(_result(finish_reason="error", error=None))
    assert without.error is not None and without.error.endswith(".")
    # A stray error text on a finished answer is not an error the user must read.
    assert batcher.summary(_result(finish_reason="stop", error="noise")).error is None


def test_a_failed_call_keeps_what_was_streamed_and_the_sentence() -> None:
    clock = ManualClock()
    batcher = StreamBatcher(9, 512, clock=clock)
    batcher.feed("partial")
    clock.now += 0.75
    summary = batcher.failed("llama.cpp stopped; try again.")
    assert summary.finish_reason == "error" and summary.error == "llama.cpp stopped; try again."
    assert summary.generated_tokens == 1 and summary.elapsed_s == pytest.approx(0.75)
    assert summary.request_id == 9 and summary.n_ctx == 512


def test_the_vocabulary_is_frozen() -> None:
    progress = GenerationProgress(1, 2, None, None)
    with pytest.raises(AttributeError):
        progress.generated_tokens = 3  # type: ignore[misc]
    summary = TurnSummary.not_started(4, "cancelled")
    assert summary.text == "" and summary.generated_tokens == 0 and summary.finished_at is not None
    with pytest.raises(AttributeError):
        summary.error = "x"  # type: ignore[misc]


def test_the_updates_carry_the_raw_text_exactly_once() -> None:
    clock = ManualClock()
    pieces = split_into_pieces(DEMO_TRACE)
    updates = _stream(pieces, clock, step_s=0.003)
    assert "".join(update.text for update in updates) == DEMO_TRACE  # meta tokens included
