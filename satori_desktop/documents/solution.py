r"""One neutral model of a worked solution, which every export format writes: Markdown, LaTeX, Word.

A `Solution` is a title, a date, the model that answered, and one `SolvedQuestion` per turn: the
question, the steps of the answer (each with its action: COAT's start, continue, reflect, explore, or the
think step of another reasoning model's thought), the final `\boxed{}` answer and how the answer ended. It
is built from a raw model output (`solution_from_trace`, what `satori-desktop export TRACE` reads) or from
the turns of a stored conversation (`solution_from_conversation`); both go through the parser of the
output's reasoning format (`core.reasoning.parse_output`: COAT for Satori; unless the caller names it, the
one its tags show, as the transcript reads a stored turn), so an export shows the same steps as the
transcript.

Writers that lay text out (LaTeX, Word) need more than the step's Markdown source: `text_blocks(text)`
turns it into paragraphs of text runs and formulas, and display formulas of their own. Math is cut out
first by the transcript page's own segmentation (`core.markup.split_math`: the four delimiter styles,
bare environments, `\boxed{}` in text, and the rule that keeps "$5 and $10" text), then the Markdown
around it (bold, italics, lists, headings, code) is read by markdown-it with raw HTML, links and images
off, as the page does. A formula that never closed (a half-written or unbalanced one) is text.

This module is Qt-free and does not import the history package (its sibling in the layers): a stored
conversation is read through the `RecordedConversation` protocol, which `history.Conversation` satisfies.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal, Protocol

from markdown_it import MarkdownIt
from markdown_it.token import Token

from satori_desktop.core.coat import StepAction
from satori_desktop.core.markup import split_math
from satori_desktop.core.model_format import format_of_output
from satori_desktop.core.reasoning import model_output, parse_output

DEFAULT_TITLE = "Satori solution"

# How an answer ended, besides "stop": the engine's reasons, "interrupted" (the app closed while it
# streamed) and None (still being written, by this window or another).
ENDING_NOTES = {
    "length": "The answer stopped at the token limit.",
    "cancelled": "The answer was stopped before it was finished.",
    "interrupted": "The answer was interrupted (the app closed before it was finished).",
}
STILL_WRITING_NOTE = "This answer is still being written."


def ending_note(finish_reason: str | None, error: str | None) -> str | None:
    """The sentence an export prints under an answer that did not end normally, else None."""
    if finish_reason == "error":
        return f"The answer stopped with an error: {error or 'unknown'}"
    if finish_reason is None:
        return STILL_WRITING_NOTE
    return ENDING_NOTES.get(finish_reason)


@dataclass(frozen=True)
class SolutionStep:
    action: StepAction
    text: str  # the model's Markdown with TeX math, stripped


@dataclass(frozen=True)
class SolvedQuestion:
    question: str
    output: str  # the raw model output (meta-action tokens as text): what the transcript page renders
    steps: tuple[SolutionStep, ...]
    answer: str | None  # the LaTeX inside the last \boxed{}
    finish_reason: str | None = "stop"
    error: str | None = None
    reasoning_format: str = "coat"  # how `output` marks its steps (core/reasoning.py)

    @property
    def note(self) -> str | None:
        return ending_note(self.finish_reason, self.error)


@dataclass(frozen=True)
class Solution:
    title: str
    created_at: float  # Unix seconds
    questions: tuple[SolvedQuestion, ...]
    model: str | None = None  # the model file that answered, when known

    @property
    def steps(self) -> int:
        return sum(len(question.steps) for question in self.questions)

    def count(self, action: StepAction) -> int:
        return sum(step.action is action for question in self.questions for step in question.steps)

    @property
    def answer(self) -> str | None:
        """The final answer of the last question (what `export --json` reports)."""
        return self.questions[-1].answer if self.questions else None


class RecordedTurn(Protocol):
    """What a solution needs of a stored turn (`history.Turn` has it)."""

    @property
    def question(self) -> str: ...
    @property
    def output(self) -> str: ...
    @property
    def finish_reason(self) -> str | None: ...
    @property
    def error(self) -> str | None: ...
    @property
    def model_file(self) -> str | None: ...


class RecordedConversation(Protocol):
    """What a solution needs of a stored conversation (`history.Conversation` has it)."""

    @property
    def title(self) -> str: ...
    @property
    def created_at(self) -> float: ...
    @property
    def turns(self) -> Sequence[RecordedTurn]: ...


_QUESTION_RE = re.compile(r"Problem:\s*(?P<q>.*?)<\|im_end\|>", re.DOTALL)


def question_of(raw: str) -> str:
    """The problem of a raw transcript that includes Satori's prompt, else an empty string."""
    user_part = raw[: raw.rfind("<|im_start|>assistant")] if "<|im_start|>assistant" in raw else ""
    match = _QUESTION_RE.search(user_part)
    return match.group("q").strip() if match else ""


def solved_question(
    question: str,
    output: str,
    finish_reason: str | None = "stop",
    error: str | None = None,
    *,
    reasoning_format: str | None = None,
) -> SolvedQuestion:
    """One question and its answer, parsed from the raw output (the chat prompt before it is dropped) as
    `reasoning_format` ("coat" for Satori, "think", "marco", "plain": core/reasoning.py; None: the one the
    output's tags show)."""
    answer_text = model_output(output)
    reasoning_format = reasoning_format or format_of_output(answer_text)
    trace = parse_output(answer_text, reasoning_format)
    steps = tuple(SolutionStep(step.action, step.text.strip()) for step in trace.steps)
    return SolvedQuestion(
        question.strip(), answer_text, steps, trace.answer, finish_reason, error, reasoning_format
    )


def solution_from_trace(
    raw: str,
    *,
    question: str | None = None,
    title: str | None = None,
    model: str | None = None,
    created_at: float | None = None,
    reasoning_format: str | None = None,
) -> Solution:
    """A solution of one question from a raw model output written in `reasoning_format`; the question is
    read from Satori's prompt when the output includes it and `question` is None."""
    shown = question_of(raw) if question is None else question
    return Solution(
        title=title or DEFAULT_TITLE,
        created_at=time.time() if created_at is None else created_at,
        questions=(solved_question(shown, raw, reasoning_format=reasoning_format),),
        model=model,
    )


def solution_from_conversation(
    conversation: RecordedConversation, reasoning_format: str | None = None
) -> Solution:
    """A stored conversation as a solution: each turn one question, re-parsed from its raw output as
    `reasoning_format` (None: each turn as its tags show; the stored steps are the same parse; the output
    also carries what the page renders)."""
    questions = tuple(
        solved_question(
            turn.question, turn.output, turn.finish_reason, turn.error, reasoning_format=reasoning_format
        )
        for turn in conversation.turns
    )
    models = [turn.model_file for turn in conversation.turns if turn.model_file]
    return Solution(conversation.title, conversation.created_at, questions, models[-1] if models else None)


# -- text and math as a writer lays them out -------------------------------------------------------------


@dataclass(frozen=True)
class TextRun:
    text: str
    bold: bool = False
    italic: bool = False
    code: bool = False


@dataclass(frozen=True)
class Formula:
    tex: str  # the TeX inside the delimiters (a bare environment or \boxed{} is its own source)
    display: bool
    source: str  # exactly what the model wrote, delimiters included: shown when a writer cannot typeset


@dataclass(frozen=True)
class LineBreak:
    pass


Inline = TextRun | Formula | LineBreak
ParagraphRole = Literal["body", "heading", "list-item", "code"]


@dataclass(frozen=True)
class Paragraph:
    inlines: tuple[Inline, ...]
    role: ParagraphRole = "body"
    marker: str = ""  # "1." or "•" on the first paragraph of a list item
    level: int = 0  # list nesting: how far the paragraph is indented


@dataclass(frozen=True)
class DisplayFormula:
    formula: Formula
    level: int = 0


Block = Paragraph | DisplayFormula

# Placeholders for the formulas while markdown-it reads the text around them; private-use characters,
# replaced in the model's text first so it cannot forge one.
_PH_OPEN, _PH_CLOSE = "\ue010", "\ue011"
_PLACEHOLDER_RE = re.compile(f"{_PH_OPEN}(\\d+){_PH_CLOSE}")


def _make_markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "breaks": True, "linkify": False, "typographer": False})
    # As on the page: no links or images (offline, nothing model-written becomes a target), raw HTML is
    # text, and four-space indents are the model's layout of equations, not code.
    md.disable(["link", "image", "autolink", "html_inline", "html_block", "code"])
    return md


_MARKDOWN = _make_markdown()


def formulas_in(text: str) -> list[Formula]:
    """The complete formulas of `text`, in order (a formula that never closed is not one)."""
    return [
        Formula(segment.tex, segment.display, segment.source)
        for segment in split_math(_sanitise(text))
        if segment.kind == "math"
    ]


def _sanitise(text: str) -> str:
    return (
        text.replace("\x00", "\ufffd")
        .replace("\r\n", "\n")
        .replace(_PH_OPEN, "\ufffd")
        .replace(_PH_CLOSE, "\ufffd")
    )


def text_blocks(text: str) -> list[Block]:
    """`text` (Markdown with TeX math, as the model writes it) as paragraphs and display formulas."""
    # A formula that never closed is kept as the model wrote it (markdown would read `\(` as an escape).
    held: list[Formula | TextRun] = []
    parts: list[str] = []
    for segment in split_math(_sanitise(text)):
        if segment.kind == "text":
            parts.append(segment.source)
            continue
        parts.append(f"{_PH_OPEN}{len(held)}{_PH_CLOSE}")
        if segment.kind == "math":
            held.append(Formula(segment.tex, segment.display, segment.source))
        else:
            held.append(TextRun(segment.source))
    return _BlockReader(held).read(_MARKDOWN.parse("".join(parts)))


class _BlockReader:
    """Walks markdown-it's token stream into blocks, putting the formulas back in place."""

    def __init__(self, held: Sequence[Formula | TextRun]) -> None:
        self._held = held
        self._blocks: list[Block] = []
        # One entry per open list: the next number of an ordered list, or None for a bulleted one.
        self._lists: list[int | None] = []
        self._marker = ""  # the marker of the list item whose first paragraph comes next

    def read(self, tokens: Sequence[Token]) -> list[Block]:
        role: ParagraphRole = "body"
        for token in tokens:
            kind = token.type
            if kind == "ordered_list_open":
                start = token.attrs.get("start", 1)
                self._lists.append(int(start) if isinstance(start, (int, str)) else 1)
            elif kind == "bullet_list_open":
                self._lists.append(None)
            elif kind in ("ordered_list_close", "bullet_list_close"):
                self._lists.pop()
            elif kind == "list_item_open":
                number = self._lists[-1] if self._lists else None
                if number is None:
                    self._marker = "•"
                else:
                    self._marker = f"{token.info or number}."
                    self._lists[-1] = number + 1
            elif kind == "heading_open":
                role = "heading"
            elif kind == "heading_close":
                role = "body"
            elif kind == "inline":
                self._add_paragraph(self._inlines(token.children or []), role)
            elif kind in ("fence", "code_block"):
                content = self._restore(token.content.rstrip("\n"))
                self._add_code(content)
        return self._blocks

    @property
    def _level(self) -> int:
        return len(self._lists)

    def _restore(self, text: str) -> str:
        """Code keeps what the model wrote, formulas included, as text."""
        return _PLACEHOLDER_RE.sub(lambda match: _source(self._held[int(match.group(1))]), text)

    def _inlines(self, children: Sequence[Token]) -> list[Inline]:
        inlines: list[Inline] = []
        bold = italic = 0
        for child in children:
            kind = child.type
            if kind == "strong_open":
                bold += 1
            elif kind == "strong_close":
                bold = max(0, bold - 1)
            elif kind == "em_open":
                italic += 1
            elif kind == "em_close":
                italic = max(0, italic - 1)
            elif kind in ("softbreak", "hardbreak"):
                inlines.append(LineBreak())
            elif kind == "code_inline":
                inlines.append(TextRun(self._restore(child.content), code=True))
            elif kind == "text" or child.content:
                self._split_text(child.content, bool(bold), bool(italic), inlines)
        return inlines

    def _split_text(self, text: str, bold: bool, italic: bool, into: list[Inline]) -> None:
        position = 0
        for match in _PLACEHOLDER_RE.finditer(text):
            if match.start() > position:
                into.append(TextRun(text[position : match.start()], bold, italic))
            piece = self._held[int(match.group(1))]
            into.append(piece if isinstance(piece, Formula) else replace(piece, bold=bold, italic=italic))
            position = match.end()
        if position < len(text):
            into.append(TextRun(text[position:], bold, italic))

    def _add_paragraph(self, inlines: list[Inline], role: ParagraphRole) -> None:
        """A paragraph, cut where a display formula stands: a display formula is a block of its own."""
        current: list[Inline] = []
        for inline in inlines:
            if isinstance(inline, Formula) and inline.display:
                self._flush(current, role)
                current = []
                self._blocks.append(DisplayFormula(inline, self._level))
            else:
                current.append(inline)
        self._flush(current, role)

    def _flush(self, inlines: list[Inline], role: ParagraphRole) -> None:
        trimmed = _trim_breaks(inlines)
        if not trimmed:
            return
        marker, self._marker = self._marker, ""
        if marker or self._lists:
            role = "list-item" if role == "body" else role
        self._blocks.append(Paragraph(tuple(trimmed), role, marker, self._level))

    def _add_code(self, content: str) -> None:
        if not content.strip():
            return
        inlines: list[Inline] = []
        for number, line in enumerate(content.split("\n")):
            if number:
                inlines.append(LineBreak())
            if line:
                inlines.append(TextRun(line, code=True))
        marker, self._marker = self._marker, ""
        self._blocks.append(Paragraph(tuple(inlines), "code", marker, self._level))


def _source(piece: Formula | TextRun) -> str:
    return piece.source if isinstance(piece, Formula) else piece.text


def _trim_breaks(inlines: list[Inline]) -> list[Inline]:
    """No line break at either end of a paragraph, none doubled, and no run that is only spaces there."""
    kept: list[Inline] = []
    for inline in inlines:
        if isinstance(inline, LineBreak) and (not kept or isinstance(kept[-1], LineBreak)):
            continue
        kept.append(inline)
    while kept and (isinstance(kept[-1], LineBreak) or _blank(kept[-1])):
        kept.pop()
    while kept and (isinstance(kept[0], LineBreak) or _blank(kept[0])):
        kept.pop(0)
    if kept and isinstance(kept[0], TextRun) and not kept[0].code:
        kept[0] = replace(kept[0], text=kept[0].text.lstrip())
    if kept and isinstance(kept[-1], TextRun) and not kept[-1].code:
        kept[-1] = replace(kept[-1], text=kept[-1].text.rstrip())
    return kept


def _blank(inline: Any) -> bool:
    return isinstance(inline, TextRun) and not inline.text.strip()


__all__ = [
    "DEFAULT_TITLE",
    "Block",
    "DisplayFormula",
    "Formula",
    "Inline",
    "LineBreak",
    "Paragraph",
    "RecordedConversation",
    "RecordedTurn",
    "Solution",
    "SolutionStep",
    "SolvedQuestion",
    "TextRun",
    "ending_note",
    "formulas_in",
    "question_of",
    "solution_from_conversation",
    "solution_from_trace",
    "solved_question",
    "text_blocks",
]
