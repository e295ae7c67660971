"""The words an exported document adds around the model's text: headings and section titles.

One set for every writer (Markdown, LaTeX, Word). English by default, which the command line uses; the
window passes the same words in its own language (ui/i18n/documents.py), since this layer is Qt-free.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from satori_desktop.core.coat import StepAction

ENGLISH_STEP_TITLES: Mapping[StepAction, str] = {
    StepAction.START: "Solution",
    StepAction.CONTINUE: "Next step",
    StepAction.REFLECT: "Checking the work (reflect)",
    StepAction.EXPLORE: "Trying another way (explore)",
    StepAction.THINK: "Thinking",
}


@dataclass(frozen=True)
class DocumentLabels:
    question: str = "Question"
    # "{number}" is replaced by the question's number when a conversation holds several.
    numbered_question: str = "Question {number}"
    answer: str = "Answer"
    steps: Mapping[StepAction, str] = field(default_factory=lambda: dict(ENGLISH_STEP_TITLES))

    def question_heading(self, number: int | None) -> str:
        return self.question if number is None else self.numbered_question.replace("{number}", str(number))

    def step_title(self, action: StepAction) -> str:
        return self.steps.get(action) or ENGLISH_STEP_TITLES[action]

    def step_titles(self, actions: Iterable[StepAction]) -> list[str]:
        """The titles of a question's steps in order: as `step_title`, except that the step right after
        a thought (another model's `<think>` section) is the answer it thought out, titled as an opening
        step ("Solution"), not as the next one."""
        titles = []
        previous: StepAction | None = None
        for action in actions:
            after_thought = previous is StepAction.THINK and action is StepAction.CONTINUE
            titles.append(self.step_title(StepAction.START if after_thought else action))
            previous = action
        return titles


ENGLISH = DocumentLabels()
