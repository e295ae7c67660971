r"""The Chain-of-Action-Thought (COAT) stream parser.

Satori starts each reasoning step with a meta-action token: `<|continue|>` (the next step), `<|reflect|>`
(checking earlier steps) or `<|explore|>` (trying another way). Text before the first meta token is the
opening step. `CoatParser` turns the model's output, fed in chunks of any size as it streams, into
transcript events the GUI, the CLI and the history store all consume:

    StepStarted(index, action) -> TextAppended(index, text)* -> StepFinished(index) -> ... AnswerFound(latex)

Chunk boundaries do not matter: a meta token split across chunks is still recognised, because a tail that
could be the beginning of a special token is held back until the next chunk (or `finish()`) decides it.
Chat-format special tokens (`<|im_end|>`, `<|endoftext|>`, ...) never reach step text; generation ends at
`<|im_end|>` / `<|endoftext|>`, so anything after them is ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from satori_desktop.core.answer import BoxedScanner


class StepAction(str, Enum):
    START = "start"  # the opening step, before any meta-action token
    CONTINUE = "continue"
    REFLECT = "reflect"
    EXPLORE = "explore"
    # Not a COAT action: the thought section of another reasoning model (`<think>`, Marco-o1's `<Thought>`),
    # which core/reasoning.py's parsers emit and `CoatParser` never does.
    THINK = "think"


META_TOKENS: dict[str, StepAction] = {
    "<|continue|>": StepAction.CONTINUE,
    "<|reflect|>": StepAction.REFLECT,
    "<|explore|>": StepAction.EXPLORE,
}
END_TOKENS = ("<|im_end|>", "<|endoftext|>")
# Other Qwen2 special tokens: never shown, never a step boundary.
_HIDDEN_TOKENS = (
    "<|im_start|>",
    "<|fim_prefix|>",
    "<|fim_middle|>",
    "<|fim_suffix|>",
    "<|fim_pad|>",
    "<|repo_name|>",
    "<|file_sep|>",
    "<|box_start|>",
    "<|box_end|>",
    "<|quad_start|>",
    "<|quad_end|>",
    "<|object_ref_start|>",
    "<|object_ref_end|>",
    "<|vision_start|>",
    "<|vision_end|>",
    "<|vision_pad|>",
    "<|image_pad|>",
    "<|video_pad|>",
)
_SPECIAL_TOKEN = re.compile("|".join(re.escape(t) for t in (*META_TOKENS, *END_TOKENS, *_HIDDEN_TOKENS)))
_ALL_SPECIAL = (*META_TOKENS, *END_TOKENS, *_HIDDEN_TOKENS)


@dataclass(frozen=True)
class StepStarted:
    index: int
    action: StepAction


@dataclass(frozen=True)
class TextAppended:
    index: int
    text: str


@dataclass(frozen=True)
class StepFinished:
    index: int


@dataclass(frozen=True)
class AnswerFound:
    latex: str


TranscriptEvent = StepStarted | TextAppended | StepFinished | AnswerFound


def _longest_special_prefix_suffix(text: str) -> int:
    """Length of the longest tail of `text` that is a proper prefix of some special token."""
    start = text.rfind("<", max(0, len(text) - max(len(t) for t in _ALL_SPECIAL)))
    while start != -1:
        tail = text[start:]
        if any(token.startswith(tail) and token != tail for token in _ALL_SPECIAL):
            return len(tail)
        start = text.find("<", start + 1)
    return 0


class CoatParser:
    """Incremental COAT parser: `feed()` chunks as they stream, then `finish()` once."""

    def __init__(self) -> None:
        self._held = ""  # a tail that may be the start of a special token
        self._step_index = -1
        self._step_open = False
        # Text before the first step that is only whitespace: the opening step starts only at real text.
        self._leading_whitespace = ""
        self._ended = False  # an end-of-generation token was seen
        self._finished = False
        self._boxes = BoxedScanner()

    @property
    def ended(self) -> bool:
        """True once `<|im_end|>` or `<|endoftext|>` went by."""
        return self._ended

    def feed(self, text: str) -> list[TranscriptEvent]:
        if self._ended or self._finished or not text:
            return []
        events: list[TranscriptEvent] = []
        buffer = self._held + text
        position = 0
        for match in _SPECIAL_TOKEN.finditer(buffer):
            self._append_text(buffer[position : match.start()], events)
            position = match.end()
            token = match.group()
            if token in META_TOKENS:
                self._start_step(META_TOKENS[token], events)
            elif token in END_TOKENS:
                self._ended = True
                self._held = ""
                return events
        rest = buffer[position:]
        hold = _longest_special_prefix_suffix(rest)
        self._held = rest[len(rest) - hold :] if hold else ""
        self._append_text(rest[: len(rest) - hold], events)
        return events

    def finish(self) -> list[TranscriptEvent]:
        """Flush what is held back and close the open step. Call once, at the end of the output."""
        if self._finished:
            return []
        events: list[TranscriptEvent] = []
        if self._held and not self._ended:
            self._append_text(self._held, events)
        self._held = ""
        if self._step_open:
            events.append(StepFinished(self._step_index))
            self._step_open = False
        self._finished = True
        return events

    def _start_step(self, action: StepAction, events: list[TranscriptEvent]) -> None:
        if self._step_open:
            events.append(StepFinished(self._step_index))
        self._step_index += 1
        self._step_open = True
        self._leading_whitespace = ""
        events.append(StepStarted(self._step_index, action))

    def _append_text(self, text: str, events: list[TranscriptEvent]) -> None:
        if not text:
            return
        if not self._step_open:
            if not text.strip():
                self._leading_whitespace += text
                return
            text = self._leading_whitespace + text
            self._leading_whitespace = ""
            self._start_step(StepAction.START, events)
        events.append(TextAppended(self._step_index, text))
        events.extend(AnswerFound(latex) for latex in self._boxes.feed(text))


@dataclass
class Step:
    action: StepAction
    text: str = ""

    def to_dict(self) -> dict[str, str]:
        return {"action": self.action.value, "text": self.text.strip()}


@dataclass
class ParsedTrace:
    steps: list[Step] = field(default_factory=list)
    answer: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"steps": [step.to_dict() for step in self.steps], "answer": self.answer}

    @property
    def reflections(self) -> int:
        return sum(step.action is StepAction.REFLECT for step in self.steps)

    @property
    def explorations(self) -> int:
        return sum(step.action is StepAction.EXPLORE for step in self.steps)


class TraceBuilder:
    """Folds transcript events into steps and the final answer (the last `\\boxed{}` wins)."""

    def __init__(self) -> None:
        self.trace = ParsedTrace()
        self._texts: list[list[str]] = []

    def apply(self, events: list[TranscriptEvent]) -> None:
        for event in events:
            if isinstance(event, StepStarted):
                self.trace.steps.append(Step(event.action))
                self._texts.append([])
            elif isinstance(event, TextAppended):
                self._texts[event.index].append(event.text)
            elif isinstance(event, AnswerFound):
                self.trace.answer = event.latex

    def result(self) -> ParsedTrace:
        for step, parts in zip(self.trace.steps, self._texts, strict=True):
            step.text = "".join(parts)
        return self.trace


def assistant_part(raw: str) -> str:
    """The model's own output in a raw transcript that may include the chat prompt before it.

    People paste whole chat logs; the reasoning is what follows the last `<|im_start|>assistant` line.
    """
    marker = "<|im_start|>assistant"
    at = raw.rfind(marker)
    if at == -1:
        return raw
    rest = raw[at + len(marker) :]
    return rest[1:] if rest.startswith("\n") else rest


def parse_trace(raw: str) -> ParsedTrace:
    """Parse a complete model output (meta-action tokens written as text) into steps and answer."""
    parser = CoatParser()
    builder = TraceBuilder()
    builder.apply(parser.feed(assistant_part(raw)))
    builder.apply(parser.finish())
    return builder.result()
