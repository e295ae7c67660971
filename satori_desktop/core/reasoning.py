r"""Stream parsers for reasoning models other than Satori, with the same contract as `CoatParser`.

DeepSeek-R1 distills, QwQ and Qwen3 in thinking mode write `<think>...</think>` and then the answer;
Marco-o1 writes `<Thought>...</Thought>` and then `<Output>...</Output>`. Their parsers emit the same
transcript events as the COAT parser (`StepStarted -> TextAppended* -> StepFinished ... AnswerFound`), so
the GUI, the CLI, the history and the exports take them as they are: the thought is one
`StepAction.THINK` step, the answer a `CONTINUE` step. `make_parser(format)` picks one for "coat",
"think", "marco" or "plain" (no structure at all).

As with COAT, chunking does not matter: a tail that could begin a tag is held back until the next chunk (or
`finish()`) decides it, and only the exact tags count, so `<thinking>`, `</thinkx>` or `<|think|>` stay
text. Chat end tokens end the output; other chat special tokens never reach step text. The answer
(`AnswerFound`) is the last `\boxed{}` anywhere in the output, as for Satori; without one there is none, and
the GUI shows the answer section itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import Literal, Protocol

from satori_desktop.core.answer import BoxedScanner
from satori_desktop.core.coat import (
    AnswerFound,
    CoatParser,
    ParsedTrace,
    StepAction,
    StepFinished,
    StepStarted,
    TaggedStream,
    TextAppended,
    TraceBuilder,
    TranscriptEvent,
    assistant_part,
)

ReasoningFormat = Literal["coat", "think", "marco", "plain"]
REASONING_FORMATS: tuple[ReasoningFormat, ...] = ("coat", "think", "marco", "plain")

# The actions the two sections are given: the thought is a THINK step, which every consumer shows as a
# thought (a folded "Thinking" section on the page, an aside in the exports); the answer is a plain step.
THOUGHT_ACTION = StepAction.THINK
ANSWER_ACTION = StepAction.CONTINUE

# Generation ends at these (Qwen2/ChatML, and DeepSeek's own for the Llama-based R1 distills).
END_TOKENS = ("<|im_end|>", "<|endoftext|>", "<｜end▁of▁sentence｜>")
# Chat special tokens a model may echo: never shown, never a boundary.
HIDDEN_TOKENS = (
    "<|im_start|>",
    "<｜begin▁of▁sentence｜>",
    "<｜User｜>",
    "<｜Assistant｜>",
)


class _Tag(Enum):
    OPEN_THOUGHT = "open thought"
    CLOSE_THOUGHT = "close thought"
    OPEN_ANSWER = "open answer"
    CLOSE_ANSWER = "close answer"
    END = "end"
    HIDDEN = "hidden"


class TranscriptParser(Protocol):
    """What `CoatParser` and the parsers here have in common."""

    @property
    def ended(self) -> bool: ...

    def feed(self, text: str) -> list[TranscriptEvent]: ...

    def finish(self) -> list[TranscriptEvent]: ...


class _SectionParser(TaggedStream):
    """A thought section and an answer section, marked by tags: the machinery of the parsers below.

    Text inside the thought tags is the thought step; any other text (inside the answer tags or outside
    every tag) is the answer step. A step starts at its first text that is not whitespace, so an empty
    `<think>\n\n</think>` (Qwen3 with thinking off) gives no step, and the newline a model writes after a
    tag is not part of the step.
    """

    def __init__(self, tags: Mapping[str, _Tag], *, starts_inside: bool = False) -> None:
        self._tags: dict[str, _Tag] = {
            **{token: _Tag.END for token in END_TOKENS},
            **{token: _Tag.HIDDEN for token in HIDDEN_TOKENS},
            **tags,
        }
        super().__init__(tuple(self._tags))
        self._in_thought = starts_inside
        self._step_index = -1
        self._open_action: StepAction | None = None  # the action of the open step, None when none is
        self._boxes = BoxedScanner()

    def _on_tag(self, tag: str, events: list[TranscriptEvent]) -> bool:
        kind = self._tags[tag]
        if kind is _Tag.END:
            return True
        self._apply_tag(kind, events)
        return False

    def _apply_tag(self, tag: _Tag, events: list[TranscriptEvent]) -> None:
        if tag is _Tag.OPEN_THOUGHT:
            if not self._in_thought:  # a second opening tag inside a thought changes nothing
                self._close_step(events)
                self._in_thought = True
        elif tag is _Tag.CLOSE_THOUGHT:
            # Also a closing tag with no opening one: the text before it was thought, even if it could not
            # be shown as such (ThinkParser(starts_inside=True) is for models whose prompt opens the tag).
            self._close_step(events)
            self._in_thought = False
        elif tag in (_Tag.OPEN_ANSWER, _Tag.CLOSE_ANSWER):
            self._close_step(events)
            self._in_thought = False

    def _append_text(self, text: str, events: list[TranscriptEvent]) -> None:
        action = THOUGHT_ACTION if self._in_thought else ANSWER_ACTION
        if self._open_action is not action:
            text = text.lstrip()
            if not text:
                return
            self._close_step(events)
            self._step_index += 1
            self._open_action = action
            events.append(StepStarted(self._step_index, action))
        events.append(TextAppended(self._step_index, text))
        events.extend(AnswerFound(latex) for latex in self._boxes.feed(text))

    def _close_step(self, events: list[TranscriptEvent]) -> None:
        if self._open_action is not None:
            events.append(StepFinished(self._step_index))
            self._open_action = None


class ThinkParser(_SectionParser):
    """`<think>...</think>` then the answer (DeepSeek-R1 distills, QwQ, Qwen3 thinking).

    `starts_inside=True` is for chat templates that end the prompt with `<think>\n` (the R1 distills'): the
    output then begins inside the thought and only has the closing tag.
    """

    def __init__(self, *, starts_inside: bool = False) -> None:
        super().__init__(
            {"<think>": _Tag.OPEN_THOUGHT, "</think>": _Tag.CLOSE_THOUGHT}, starts_inside=starts_inside
        )


class MarcoParser(_SectionParser):
    """`<Thought>...</Thought>` then `<Output>...</Output>` (Marco-o1)."""

    def __init__(self) -> None:
        super().__init__(
            {
                "<Thought>": _Tag.OPEN_THOUGHT,
                "</Thought>": _Tag.CLOSE_THOUGHT,
                "<Output>": _Tag.OPEN_ANSWER,
                "</Output>": _Tag.CLOSE_ANSWER,
            }
        )


class PlainParser(_SectionParser):
    """A model with no reasoning markup: its whole output is one answer step."""

    def __init__(self) -> None:
        super().__init__({})


def make_parser(reasoning_format: str, *, starts_inside: bool = False) -> TranscriptParser:
    """A fresh parser for `reasoning_format` ("coat", "think", "marco" or "plain").

    `starts_inside` matters for "think" only: the prompt already opened the thought.
    """
    if reasoning_format == "coat":
        return CoatParser()
    if reasoning_format == "think":
        return ThinkParser(starts_inside=starts_inside)
    if reasoning_format == "marco":
        return MarcoParser()
    if reasoning_format == "plain":
        return PlainParser()
    raise ValueError(
        f"Unknown reasoning format {reasoning_format!r}: use one of {', '.join(REASONING_FORMATS)}."
    )


def model_output(raw: str) -> str:
    """The model's own output in a pasted transcript that may include the chat prompt before it."""
    raw = assistant_part(raw)
    marker = "<｜Assistant｜>"  # DeepSeek's template (the Llama-based R1 distills)
    at = raw.rfind(marker)
    return raw if at == -1 else raw[at + len(marker) :]


def output_events(raw: str, reasoning_format: str = "coat") -> list[TranscriptEvent]:
    """The transcript events of a complete output of a model writing `reasoning_format` (what a page
    showing a finished text, such as an export, is fed).

    For "think", an output with `</think>` and no `<think>` before it began inside the thought (its prompt
    opened the tag), which a finished text shows.
    """
    output = model_output(raw)
    starts_inside = False
    if reasoning_format == "think":
        closing = output.find("</think>")
        starts_inside = closing != -1 and "<think>" not in output[:closing]
    parser = make_parser(reasoning_format, starts_inside=starts_inside)
    return parser.feed(output) + parser.finish()


def parse_output(raw: str, reasoning_format: str = "coat") -> ParsedTrace:
    """Parse a complete output of a model writing `reasoning_format` into steps and the answer."""
    builder = TraceBuilder()
    builder.apply(output_events(raw, reasoning_format))
    return builder.result()
