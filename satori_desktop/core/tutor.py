r"""Tutor mode, without Qt: what is revealed of a solution, the hint of a step, and the question "Explain
this step" sends.

In tutor mode the solution is generated as usual but hidden; the student reveals it one step at a time,
each step first as a hint (what kind of step it is and its first sentence), then whole, and the final
answer only on request. `RevealState` is that sequence for one turn; `TutorRecord` is what the history
keeps of a turn (what was revealed, and the student's answer checks, which also happen outside tutor
mode) as JSON, so a conversation reopened later shows what the student had seen.

Why a hint is the step's first sentence: Satori opens most steps with what it is about to do ("Next, we
substitute x = 2 into ..."), which is the nudge a tutor would give, while the working that follows is
what the student should try first.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from enum import IntEnum
from typing import Any

from satori_desktop.core.answer import BOX_OPENING as _BOX_OPENING
from satori_desktop.core.markup import split_math

HINT_MAX_CHARS = 240  # a hint is a sentence, not a paragraph: longer first sentences are cut at a word


class Reveal(IntEnum):
    HIDDEN = 0
    HINT = 1
    SHOWN = 2


@dataclass(frozen=True)
class CheckEntry:
    """One "check my answer": what the student typed and the verdict (None: could not compare)."""

    student: str
    match: bool | None
    at: float  # time.time() of the check

    def to_dict(self) -> dict[str, Any]:
        return {"student": self.student, "match": self.match, "at": self.at}


@dataclass(frozen=True)
class TutorRecord:
    """What the history keeps of a turn's tutoring: whether it was tutored (its solution hidden), how far
    each step was revealed (`Reveal` values, by step position), whether the answer was shown, and the
    answer checks."""

    tutored: bool = False
    revealed: tuple[int, ...] = ()
    answer_shown: bool = False
    checks: tuple[CheckEntry, ...] = ()
    answer_key: str | None = None  # a reference answer someone typed for the turn: checks use it
    # Paragraphs of a thought shown while it is at HINT, by step position (another model's thought is
    # revealed paragraph by paragraph; 0, or absent: the usual one-sentence hint).
    paragraphs: tuple[int, ...] = ()

    def with_check(self, entry: CheckEntry) -> TutorRecord:
        return replace(self, checks=(*self.checks, entry))

    def to_json(self) -> str:
        return json.dumps(
            {
                "tutored": self.tutored,
                "revealed": list(self.revealed),
                "answer_shown": self.answer_shown,
                "checks": [check.to_dict() for check in self.checks],
                "answer_key": self.answer_key,
                "paragraphs": list(self.paragraphs),
            },
            ensure_ascii=False,
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str | None) -> TutorRecord | None:
        """The record stored as `text`; None for none, or for anything unreadable (a damaged or foreign
        value never stops a conversation from opening: it shows as untutored)."""
        if not text:
            return None
        try:
            data = json.loads(text)
        except ValueError:
            return None
        if not isinstance(data, dict):
            return None
        revealed = data.get("revealed", [])
        levels = tuple(
            min(max(int(level), Reveal.HIDDEN), Reveal.SHOWN)
            for level in (revealed if isinstance(revealed, list) else [])
            if isinstance(level, int) and not isinstance(level, bool)
        )
        checks = []
        for item in data.get("checks", []) if isinstance(data.get("checks"), list) else []:
            if not isinstance(item, dict) or not isinstance(item.get("student"), str):
                continue
            match = item.get("match")
            at = item.get("at")
            checks.append(
                CheckEntry(
                    student=item["student"],
                    match=match if isinstance(match, bool) else None,
                    at=float(at) if isinstance(at, (int, float)) and not isinstance(at, bool) else 0.0,
                )
            )
        key = data.get("answer_key")
        paragraphs = data.get("paragraphs", [])  # absent in records written before thoughts had them
        shown = tuple(
            max(int(count), 0)
            for count in (paragraphs if isinstance(paragraphs, list) else [])
            if isinstance(count, int) and not isinstance(count, bool)
        )
        return cls(
            tutored=data.get("tutored") is True,
            revealed=levels,
            answer_shown=data.get("answer_shown") is True,
            checks=tuple(checks),
            answer_key=key if isinstance(key, str) and key.strip() else None,
            paragraphs=shown,
        )


@dataclass
class RevealState:
    """How far one tutored turn is revealed. Steps become available as they finish streaming (or all
    of them when the turn ends); `advance()` reveals the next bit: the first step not fully shown goes
    from hidden to hint, or from hint to shown. A step of several paragraphs that is revealed paragraph
    by paragraph (another model's long thought) stays at HINT while one more of its paragraphs is shown
    with each advance, then goes to shown."""

    levels: list[Reveal] = field(default_factory=list)
    answer_shown: bool = False
    partial: list[int] = field(default_factory=list)  # paragraphs shown at HINT, by step position

    @classmethod
    def from_record(cls, record: TutorRecord) -> RevealState:
        return cls([Reveal(level) for level in record.revealed], record.answer_shown, list(record.paragraphs))

    def to_record(self, checks: tuple[CheckEntry, ...] = (), answer_key: str | None = None) -> TutorRecord:
        return TutorRecord(
            tutored=True,
            revealed=tuple(int(level) for level in self.levels),
            answer_shown=self.answer_shown,
            checks=checks,
            answer_key=answer_key,
            paragraphs=tuple(self.partial) if any(self.partial) else (),
        )

    def paragraphs_shown(self, position: int) -> int:
        """Paragraphs of the step at `position` shown while it is at HINT (0: the one-sentence hint)."""
        return self.partial[position] if 0 <= position < len(self.partial) else 0

    def level(self, position: int) -> Reveal:
        return self.levels[position] if 0 <= position < len(self.levels) else Reveal.HIDDEN

    def shown_count(self) -> int:
        """Steps shown whole."""
        return sum(1 for level in self.levels if level == Reveal.SHOWN)

    def next_position(self) -> int:
        """The position of the first step not fully shown (the one `advance` acts on)."""
        for position, level in enumerate(self.levels):
            if level != Reveal.SHOWN:
                return position
        return len(self.levels)

    def can_advance(self, available: int) -> bool:
        """Whether `advance` has something to reveal when `available` steps can be shown."""
        return self.next_position() < available

    def advance(
        self, available: int, paragraphs: Callable[[int], int] | None = None
    ) -> tuple[int, Reveal] | None:
        """Reveal the next bit among the first `available` steps: (position, its new level), or None.

        `paragraphs(position)`: how many paragraphs the step there has if it is revealed paragraph by
        paragraph (0 or 1 for any other step): at HINT, each advance shows one more of them, all but the
        last; the next shows the step whole."""
        position = self.next_position()
        if position >= available:
            return None
        while len(self.levels) <= position:
            self.levels.append(Reveal.HIDDEN)
        while len(self.partial) <= position:
            self.partial.append(0)
        level = self.levels[position]
        if (
            level == Reveal.HINT
            and paragraphs is not None
            and self.partial[position] < paragraphs(position) - 1
        ):
            self.partial[position] += 1
            return position, Reveal.HINT
        self.levels[position] = Reveal(level + 1)
        return position, self.levels[position]

    def all_shown(self, total: int) -> bool:
        return self.next_position() >= total

    def show_everything(self, total: int) -> None:
        self.levels = [Reveal.SHOWN] * total
        self.partial = []
        self.answer_shown = True


def paragraphs(text: str) -> list[str]:
    """A step's markdown cut at its blank lines (how a thought is revealed, paragraph by paragraph)."""
    return [part.strip() for part in re.split(r"\n\s*\n", text.strip()) if part.strip()]


# A full stop followed by a space (not the one in 2.5), a Chinese full stop (no space follows in Chinese),
# a paragraph break, or the start of a list.
_SENTENCE_END = re.compile(r"[.!?](?=\s|$)|[。！？]|\n\s*\n|\n(?=\s*[-*+]\s|\s*\d+\.\s)")


def first_sentence(text: str) -> str:
    """The first sentence of a step's markdown, math left whole: a sentence ends at `.`, `!`, `?` (or
    their Chinese forms) outside math, or at a paragraph break. A step that opens with display math
    gives that formula. Cut at a word, with an ellipsis, past HINT_MAX_CHARS."""
    text = text.strip()
    taken: list[str] = []
    length = 0
    for segment in split_math(text):
        if segment.kind != "text":
            taken.append(segment.source)
            length += len(segment.source)
            if segment.display and length > len(segment.source):
                break  # a sentence that leads into a displayed formula: the formula finishes the hint
            continue
        end = _SENTENCE_END.search(segment.source)
        if end is not None and (taken or end.start() > 0):
            taken.append(segment.source[: end.end()].rstrip())
            break
        taken.append(segment.source)
        length += len(segment.source)
    sentence = "".join(taken).strip()
    if len(sentence) > HINT_MAX_CHARS and not _ends_in_math(sentence):
        cut = sentence[:HINT_MAX_CHARS].rsplit(" ", 1)[0]
        sentence = cut.rstrip(",;:") + " …"
    return sentence


def mask_boxed(text: str) -> str:
    r"""`text` with the content of every `\boxed{...}` replaced by a question mark: the hint of the step
    that states the answer must not state it."""
    out: list[str] = []
    position = 0
    for match in _BOX_OPENING.finditer(text):
        if match.start() < position:
            continue  # a box inside a box already masked
        depth, end = 1, match.end()
        while end < len(text) and depth:
            char = text[end]
            if char == "\\":
                end += 2
                continue
            depth += {"{": 1, "}": -1}.get(char, 0)
            end += 1
        out.append(text[position : match.end()])
        out.append("?}" if depth == 0 else "?")
        position = end
    out.append(text[position:])
    return "".join(out)


def _ends_in_math(text: str) -> bool:
    segments = split_math(text)
    return bool(segments) and segments[-1].kind != "text"


def explain_question(step_text: str, step_number: int, template: str) -> str:
    """The follow-up "Explain this step" sends: the step quoted (as a Markdown block quote, so the
    transcript shows it set apart), then the request. `template` is the request in the window's
    language, with %1 for the step's number."""
    quoted = "\n".join(f"> {line}" if line.strip() else ">" for line in step_text.strip().splitlines())
    return f"{quoted}\n\n{template.replace('%1', str(step_number))}"
