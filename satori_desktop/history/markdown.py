"""A conversation from the history as Markdown: each question, the steps of its answer, the answer.

For `satori-desktop history export` (and later the window's export): math stays in its TeX delimiters,
which Markdown editors with math (Obsidian, Typora, GitHub, Pandoc) typeset.
"""

from __future__ import annotations

import time

from satori_desktop.core.coat import StepAction
from satori_desktop.history.records import INTERRUPTED, Conversation, Turn

STEP_HEADINGS = {
    StepAction.START.value: "Solution",
    StepAction.CONTINUE.value: "Next step",
    StepAction.REFLECT.value: "Checking the work (reflect)",
    StepAction.EXPLORE.value: "Trying another way (explore)",
}
_ENDINGS = {
    "length": "The answer stopped at the token limit.",
    "cancelled": "The answer was stopped before it was finished.",
    INTERRUPTED: "The answer was interrupted (the app closed before it was finished).",
}


def conversation_markdown(conversation: Conversation) -> str:
    date = time.strftime("%Y-%m-%d %H:%M", time.localtime(conversation.created_at))
    parts = [f"# {conversation.title}", "", f"*Satori Desktop, {date}*", ""]
    numbered = len(conversation.turns) > 1
    for number, turn in enumerate(conversation.turns, start=1):
        parts.extend(_turn_markdown(turn, number if numbered else None))
    return "\n".join(parts).rstrip() + "\n"


def _turn_markdown(turn: Turn, number: int | None) -> list[str]:
    heading = "Question" if number is None else f"Question {number}"
    lines = [f"## {heading}", "", turn.question.strip(), ""]
    for step in turn.steps:
        lines += [f"### {STEP_HEADINGS.get(step['action'], 'Step')}", "", step["text"], ""]
    if turn.answer is not None:
        lines += [f"**Answer:** ${turn.answer}$", ""]
    if turn.finish_reason == "error":
        lines += [f"*The answer stopped with an error: {turn.error or 'unknown'}*", ""]
    elif turn.finish_reason in _ENDINGS:
        lines += [f"*{_ENDINGS[turn.finish_reason]}*", ""]
    elif turn.finish_reason is None:
        lines += ["*This answer is still being written.*", ""]
    return lines
