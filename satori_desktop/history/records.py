"""What the history store hands out: plain frozen records of conversations, turns and search hits.

The GUI's sidebar, the transcript (which re-renders a turn from its raw output) and the CLI read these;
none of them ever sees a SQLite row. Times are Unix seconds (UTC), as `time.time()` gives them.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from typing import Any

from satori_desktop.core.coat import ParsedTrace, Step, StepAction
from satori_desktop.core.model_format import format_of_output
from satori_desktop.core.reasoning import parse_output
from satori_desktop.core.samples import SamplesRecord
from satori_desktop.core.tutor import TutorRecord

# How a turn ended: the engine's reasons, plus "interrupted" (the app was killed or the machine lost
# power while it streamed; the next start marks it so, and the window offers Retry).
INTERRUPTED = "interrupted"
FINISH_REASONS = ("stop", "length", "cancelled", "error", INTERRUPTED)

TITLE_MAX_CHARS = 60
UNTITLED = "New conversation"


def default_title(question: str) -> str:
    """A conversation's title until the user renames it: its first question on one line, shortened."""
    line = re.sub(r"\s+", " ", question).strip()
    if len(line) <= TITLE_MAX_CHARS:
        return line
    cut = line[: TITLE_MAX_CHARS - 1]
    space = cut.rfind(" ")
    # Cut at a word boundary when there is one not too far back (Chinese has none: cut anywhere).
    if space >= TITLE_MAX_CHARS // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:.") + "…"


@dataclass(frozen=True)
class ConversationSummary:
    """One line of the sidebar."""

    id: int
    title: str
    created_at: float
    updated_at: float
    turn_count: int
    # How the newest turn ended (None: still streaming in this or another window, or no turn yet).
    last_finish_reason: str | None
    tutor_mode: bool

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Turn:
    """One question and the model's answer to it, as it was recorded."""

    id: int
    conversation_id: int
    position: int  # 0, 1, ... within the conversation
    question: str
    output: str  # the raw model output, meta-action tokens written as text: what the renderer takes
    # The parsed steps ({"action", "text"} as `Step.to_dict()` gives them) and the final answer, stored
    # when the turn ended; for a turn still streaming they are parsed from `output` on reading.
    steps: tuple[dict[str, str], ...]
    answer: str | None
    finish_reason: str | None  # one of FINISH_REASONS, or None while it streams
    error: str | None
    model_file: str | None
    model_sha256: str | None
    settings: dict[str, Any] = field(default_factory=dict)
    prompt_tokens: int | None = None
    reused_prompt_tokens: int | None = None
    generated_tokens: int | None = None
    ttft_s: float | None = None
    decode_tok_s: float | None = None
    elapsed_s: float | None = None
    created_at: float = 0.0
    updated_at: float = 0.0
    # What the student revealed of it (tutor mode) and their answer checks; None when neither happened.
    tutoring: TutorRecord | None = None
    # Every solution of a "solve several times" turn (its output is the chosen one); None for one answer.
    samples: SamplesRecord | None = None

    @property
    def interrupted(self) -> bool:
        return self.finish_reason == INTERRUPTED

    @property
    def streaming(self) -> bool:
        """Still being written (by this window, or by another instance of the app)."""
        return self.finish_reason is None

    def trace(self) -> ParsedTrace:
        """The steps and answer as the core parser's objects (what the CLI and exports walk)."""
        steps = [Step(StepAction(step["action"]), step["text"]) for step in self.steps]
        return ParsedTrace(steps=steps, answer=self.answer)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["steps"] = list(self.steps)
        data["tutoring"] = None if self.tutoring is None else json.loads(self.tutoring.to_json())
        data["samples"] = None if self.samples is None else json.loads(self.samples.to_json())
        return data


@dataclass(frozen=True)
class Conversation:
    id: int
    title: str
    created_at: float
    updated_at: float
    tutor_mode: bool
    turns: tuple[Turn, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "tutor_mode": self.tutor_mode,
            "turns": [turn.to_dict() for turn in self.turns],
        }


@dataclass(frozen=True)
class SearchHit:
    """A conversation that matches a search, with the passage that matched.

    `highlights` are (start, end) character offsets into `snippet` of each matched term, so the GUI
    can bold them without parsing markers out of the text.
    """

    conversation_id: int
    turn_id: int | None  # None when only the title matched
    title: str
    snippet: str
    highlights: tuple[tuple[int, int], ...]
    # When the matching turn was asked (for a title-only match: the conversation's last activity).
    matched_at: float

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["highlights"] = [list(span) for span in self.highlights]
        return data


def parsed_fields(output: str, reasoning_format: str | None = None) -> tuple[str, str | None, str]:
    """From a raw output written in `reasoning_format` (core/reasoning.py; None: the one its tags show, as
    the transcript reads a stored turn): the steps as stored (JSON; another model's thought is a "think"
    step), the answer, and the plain solution text to index."""
    trace = parse_output(output, reasoning_format or format_of_output(output))
    steps = [step.to_dict() for step in trace.steps]
    solution = "\n".join(step["text"] for step in steps)
    return json.dumps(steps, ensure_ascii=False), trace.answer, solution


def stored_trace(
    steps_json: str | None, answer: str | None, output: str, reasoning_format: str | None = None
) -> tuple[tuple[dict[str, str], ...], str | None]:
    """A turn's steps and answer: as stored at its end, or parsed from its output (written in
    `reasoning_format`, None: the one its tags show) while it streams."""
    if steps_json is None:
        trace = parse_output(output, reasoning_format or format_of_output(output))
        return tuple(step.to_dict() for step in trace.steps), trace.answer
    return tuple(json.loads(steps_json)), answer
