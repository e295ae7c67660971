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
from collections.abc import Sequence
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


def tag_prefix_length(text: str, tags: Sequence[str], longest: int) -> int:
    """Length of the longest tail of `text` that is a proper prefix of one of `tags` (`longest`: the
    longest tag's length): what a streaming parser holds back until the next chunk says what it is."""
    start = text.find("<", max(0, len(text) - longest))
    while start != -1:
        tail = text[start:]
        if any(tag.startswith(tail) and tag != tail for tag in tags):
            return len(tail)
        start = text.find("<", start + 1)
    return 0


class TaggedStream:
    """What the incremental parsers share (CoatParser here, core/reasoning.py's section parsers): tags
    found in the text as it streams, however it is chunked, a tail that may be the start of one held
    back for the next chunk, the text in between handed on, and the end at an end-of-generation tag.

    A subclass says what a tag does (`_on_tag`, True for an end), what text does (`_append_text`) and how
    its open step closes (`_close_step`).
    """

    def __init__(self, tags: Sequence[str]) -> None:
        self._pattern = re.compile("|".join(re.escape(t) for t in sorted(tags, key=len, reverse=True)))
        self._tag_texts = tuple(tags)
        self._longest_tag = max(len(t) for t in tags)
        self._held = ""  # a tail that may be the start of a tag
        self._ended = False  # an end-of-generation tag went by
        self._finished = False

    @property
    def ended(self) -> bool:
        """True once an end-of-generation token (`<|im_end|>`, `<|endoftext|>`, ...) went by."""
        return self._ended

    def feed(self, text: str) -> list[TranscriptEvent]:
        if self._ended or self._finished or not text:
            return []
        events: list[TranscriptEvent] = []
        buffer = self._held + text
        position = 0
        for match in self._pattern.finditer(buffer):
            self._append_text(buffer[position : match.start()], events)
            position = match.end()
            if self._on_tag(match.group(), events):
                self._ended = True
                self._held = ""
                return events
        rest = buffer[position:]
        hold = tag_prefix_length(rest, self._tag_texts, self._longest_tag)
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
        self._close_step(events)
        self._finished = True
        return events

    def _on_tag(self, tag: str, events: list[TranscriptEvent]) -> bool:
        raise NotImplementedError

    def _append_text(self, text: str, events: list[TranscriptEvent]) -> None:
        raise NotImplementedError

    def _close_step(self, events: list[TranscriptEvent]) -> None:
        raise NotImplementedError


class CoatParser(TaggedStream):
    """Incremental COAT parser: `feed()` chunks as they stream, then `finish()` once."""

    def __init__(self) -> None:
        super().__init__(_ALL_SPECIAL)
        self._step_index = -1
        self._step_open = False
        # Text before the first step that is only whitespace: the opening step starts only at real text.
        self._leading_whitespace = ""
        self._boxes = BoxedScanner()

    def _on_tag(self, tag: str, events: list[TranscriptEvent]) -> bool:
        if tag in META_TOKENS:
            self._start_step(META_TOKENS[tag], events)
        return tag in END_TOKENS  # a hidden token (vision padding and the like) is dropped

    def _close_step(self, events: list[TranscriptEvent]) -> None:
        if self._step_open:
            events.append(StepFinished(self._step_index))
            self._step_open = False

    def _start_step(self, action: StepAction, events: list[TranscriptEvent]) -> None:
        self._close_step(events)
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
