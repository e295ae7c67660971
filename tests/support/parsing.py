"""Feeding a transcript parser as a stream would, and folding its events: shared by the parsers' tests."""

from __future__ import annotations

from satori_desktop.core.coat import AnswerFound, StepFinished, TraceBuilder, TranscriptEvent
from satori_desktop.core.reasoning import TranscriptParser


def feed_in_chunks(parser: TranscriptParser, text: str, cuts: list[int]) -> list[TranscriptEvent]:
    """`text` fed to `parser` in pieces cut at `cuts`, then finished: every event in order."""
    events: list[TranscriptEvent] = []
    previous = 0
    for cut in sorted(set(cuts)):
        events += parser.feed(text[previous:cut])
        previous = cut
    events += parser.feed(text[previous:])
    events += parser.finish()
    return events


def fold(events: list[TranscriptEvent]) -> dict[str, object]:
    """What the events amount to: the steps (action, text), the answers found, the steps finished."""
    builder = TraceBuilder()
    builder.apply(events)
    trace = builder.result()
    return {
        "steps": [(step.action, step.text) for step in trace.steps],
        "answers": [e.latex for e in events if isinstance(e, AnswerFound)],
        "finished": [e.index for e in events if isinstance(e, StepFinished)],
    }
