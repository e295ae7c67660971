"""Showing a solution in a terminal: a marker line per step (COAT's, or another model's thought), the text,
then the answer.

Shared by `ask` (streaming) and `parse` (a finished trace) so both look the same.
"""

from __future__ import annotations

import sys
from typing import TextIO

from satori_desktop.core.coat import (
    AnswerFound,
    StepAction,
    StepStarted,
    TextAppended,
    TranscriptEvent,
)

STEP_LABELS = {
    StepAction.START: "Solution",
    StepAction.CONTINUE: "Next step",
    StepAction.REFLECT: "Checking the work (reflect)",
    StepAction.EXPLORE: "Trying another way (explore)",
    StepAction.THINK: "Thinking",
}


def step_label(action: StepAction, previous: StepAction | None = None) -> str:
    """A step's marker line; the step right after a thought (another model's `<think>` section) is the
    answer it thought out, marked as an opening step ("Solution"), not as the next one."""
    if previous is StepAction.THINK and action is StepAction.CONTINUE:
        return STEP_LABELS[StepAction.START]
    return STEP_LABELS[action]


class TerminalTranscript:
    """Writes transcript events to a text stream as they come."""

    def __init__(self, out: TextIO | None = None) -> None:
        self._out = out or sys.stdout
        self._at_line_start = True
        self._strip_leading = False
        self._previous_action: StepAction | None = None
        self.answer: str | None = None

    def write_events(self, events: list[TranscriptEvent]) -> None:
        for event in events:
            if isinstance(event, StepStarted):
                if not self._at_line_start:
                    self._out.write("\n")
                self._out.write(f"\n── {step_label(event.action, self._previous_action)} ──\n")
                self._previous_action = event.action
                self._at_line_start = True
                self._strip_leading = True  # the model puts a newline after each meta token
            elif isinstance(event, TextAppended):
                text = event.text.lstrip("\n") if self._strip_leading else event.text
                if text:
                    self._strip_leading = False
                    self._out.write(text)
                    self._at_line_start = text.endswith("\n")
            elif isinstance(event, AnswerFound):
                self.answer = event.latex
        self._out.flush()

    def write_answer(self) -> None:
        if not self._at_line_start:
            self._out.write("\n")
        if self.answer is None:
            self._out.write("\nNo final answer (no \\boxed{} in the output).\n")
        else:
            self._out.write(f"\nAnswer: {self.answer}\n")
        self._at_line_start = True
        self._out.flush()
