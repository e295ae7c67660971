"""The transcript's copy menu: what a right-click on a formula, a step or a turn offers, and doing it.

Why a native `QMenu` and not an HTML menu drawn inside the page: it looks and behaves like every other
menu of the desktop (the platform's style, its keyboard handling: arrows, Home/End, mnemonics, Escape),
screen readers know it as a menu without ARIA emulation, it may extend past the edge of the view, and it
shares one code path with the window's Edit menu. The page's part is small and stays dumb: on
`contextmenu` it says *what* was clicked and where, `{kind: "formula"|"step"|"solution", latex,
display, turn, step, x, y}` (assets/web/context-menu.js), through the bridge (bridge.py), and Python
builds the menu, the clipboard formats (`ui.clipboard`) and the notice the page then shows. A request
the page makes is untrusted text like any other: `parse_copy_request` checks every field, and the TeX it
names is only ever copied, never shown as HTML.

The model's source text of each turn is kept here as it streams (`TranscriptTexts`), so copying a step
or a solution gets what the model wrote, not the page's HTML turned back into text.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from PySide6.QtCore import QCoreApplication, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QWidget

from satori_desktop.core.coat import AnswerFound, StepStarted, TextAppended, TranscriptEvent
from satori_desktop.core.errors import UserFacingError
from satori_desktop.ui.clipboard import (
    Converters,
    CopyLabels,
    StepText,
    TurnText,
    app_converters,
    formula_markdown,
    formula_word_mime,
    markdown_text,
    picture_mime,
    put_on_clipboard,
    solution_markdown,
    solution_word_html,
    text_mime,
    text_word_html,
    word_html_mime,
)
from satori_desktop.ui.i18n.text import QT_TRANSLATE_NOOP, arg

log = logging.getLogger(__name__)

RequestKind = Literal["formula", "step", "solution"]
# Far more than any formula (a 10,000-character one is an extreme case); a guard, not a feature.
MAX_REQUEST_CHARS = 200_000
MAX_POSITION = 1_000_000.0

# ----- every word this module shows, in one place (translated where shown, context "CopyMenu") -----

MENU_LABELS = {
    "formula-word": QT_TRANSLATE_NOOP("CopyMenu", "Copy for &Word / PowerPoint / Pages"),
    "formula-latex": QT_TRANSLATE_NOOP("CopyMenu", "Copy &LaTeX"),
    "formula-markdown": QT_TRANSLATE_NOOP("CopyMenu", "Copy &Markdown"),
    "formula-unicode": QT_TRANSLATE_NOOP("CopyMenu", "Copy as plain &text"),
    "formula-picture": QT_TRANSLATE_NOOP("CopyMenu", "Copy as &picture"),
    "step-markdown": QT_TRANSLATE_NOOP("CopyMenu", "Copy step as Mar&kdown"),
    "step-word": QT_TRANSLATE_NOOP("CopyMenu", "Copy step for W&ord"),
    "solution-markdown": QT_TRANSLATE_NOOP("CopyMenu", "Copy solution as Markdow&n"),
    "solution-word": QT_TRANSLATE_NOOP("CopyMenu", "Copy solution for Wor&d"),
}
COPIED = {
    "formula-word": QT_TRANSLATE_NOOP("CopyMenu", "Copied for Word, PowerPoint and Pages."),
    "formula-latex": QT_TRANSLATE_NOOP("CopyMenu", "Copied the LaTeX."),
    "formula-markdown": QT_TRANSLATE_NOOP("CopyMenu", "Copied as Markdown."),
    "formula-unicode": QT_TRANSLATE_NOOP("CopyMenu", "Copied as plain text."),
    "formula-picture": QT_TRANSLATE_NOOP("CopyMenu", "Copied as a picture."),
    "step-markdown": QT_TRANSLATE_NOOP("CopyMenu", "Copied the step as Markdown."),
    "step-word": QT_TRANSLATE_NOOP("CopyMenu", "Copied the step for Word."),
    "solution-markdown": QT_TRANSLATE_NOOP("CopyMenu", "Copied the solution as Markdown."),
    "solution-word": QT_TRANSLATE_NOOP("CopyMenu", "Copied the solution for Word."),
}
# %1: why (a sentence of its own: KaTeX's reason, or one of these).
FELL_BACK_TO_LATEX = QT_TRANSLATE_NOOP("CopyMenu", "%1 Its LaTeX was copied instead.")
NO_UNICODE = QT_TRANSLATE_NOOP(
    "CopyMenu", "This formula has no plain-text form (a matrix or a layout Unicode cannot write)."
)
NO_PICTURE = QT_TRANSLATE_NOOP("CopyMenu", "The picture of this formula could not be made.")
# %1: what was copied; then the formula (or how many, and the first).
NOT_CONVERTED_ONE = QT_TRANSLATE_NOOP(
    "CopyMenu", "%1 One formula could not be converted and is there as LaTeX: %2"
)
NOT_CONVERTED_MANY = QT_TRANSLATE_NOOP(
    "CopyMenu", "%1 %2 formulas could not be converted and are there as LaTeX, the first: %3"
)
STEP_GONE = QT_TRANSLATE_NOOP("CopyMenu", "That step is no longer on the page.")
NOTHING_TO_COPY = QT_TRANSLATE_NOOP("CopyMenu", "There is no solution to copy yet.")
# The words a copied solution adds around the model's text.
SOLUTION_WORDS = {
    "problem": QT_TRANSLATE_NOOP("CopyMenu", "Problem"),
    "answer": QT_TRANSLATE_NOOP("CopyMenu", "Answer"),
    "reflect": QT_TRANSLATE_NOOP("CopyMenu", "Checking the work"),
    "explore": QT_TRANSLATE_NOOP("CopyMenu", "Trying another way"),
    "think": QT_TRANSLATE_NOOP("CopyMenu", "Thinking"),  # another reasoning model's thought
}


def translated(text: str) -> str:
    """One of the strings above in the window's language."""
    return QCoreApplication.translate("CopyMenu", text)


def not_converted(copied: str, failed: Sequence[str]) -> str:
    """What a copy for Word says when some of its formulas stayed LaTeX (the first one named)."""
    first = failed[0] if len(failed[0]) <= 60 else failed[0][:57] + "…"
    if len(failed) == 1:
        return arg(translated(NOT_CONVERTED_ONE), copied, first)
    return arg(translated(NOT_CONVERTED_MANY), copied, len(failed), first)


def solution_labels() -> CopyLabels:
    return CopyLabels(
        problem=translated(SOLUTION_WORDS["problem"]),
        answer=translated(SOLUTION_WORDS["answer"]),
        sections={action: translated(SOLUTION_WORDS[action]) for action in ("reflect", "explore", "think")},
    )


FORMULA_CHOICES = ("formula-word", "formula-latex", "formula-markdown", "formula-unicode", "formula-picture")
STEP_CHOICES = ("step-markdown", "step-word")
SOLUTION_CHOICES = ("solution-markdown", "solution-word")


@dataclass(frozen=True)
class CopyRequest:
    """What the page says was right-clicked: a formula (its TeX and whether it is display math), a step
    (`step`: its index in the turn) or a turn (`turn`: its position on the page), at `x`, `y` (CSS pixels
    of the page's viewport); `align_right`: the menu's right edge goes there, not its left (the answer
    card's button sits at the card's right edge)."""

    kind: RequestKind
    turn: int | None = None
    step: int | None = None
    latex: str = ""
    display: bool = False
    x: float = 0.0
    y: float = 0.0
    align_right: bool = False


def _index(value: object) -> int | None:
    # bool is an int to Python, never an index to the page
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 1_000_000_000:
        return value
    return None


def _position(value: object) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return min(max(float(value), 0.0), MAX_POSITION)
    return 0.0


def parse_copy_request(payload: object) -> CopyRequest | None:
    """The page's JSON request, checked field by field; None for anything malformed."""
    if not isinstance(payload, str) or len(payload) > MAX_REQUEST_CHARS:
        return None
    try:
        data = json.loads(payload)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    kind = data.get("kind")
    latex = data.get("latex", "")
    if kind not in ("formula", "step", "solution") or not isinstance(latex, str):
        return None
    if kind == "formula" and not latex.strip():
        return None
    request = CopyRequest(
        kind=kind,
        turn=_index(data.get("turn")),
        step=_index(data.get("step")),
        latex=latex,
        display=data.get("display") is True,
        x=_position(data.get("x")),
        y=_position(data.get("y")),
        align_right=data.get("align") == "right",
    )
    if kind == "step" and (request.turn is None or request.step is None):
        return None
    return request


# ----- the source text of what the page shows -----


@dataclass
class _TurnRecord:
    question: str
    steps: dict[int, tuple[str, list[str]]] = field(default_factory=dict)  # index -> (action, chunks)
    answer: str | None = None


class TranscriptTexts:
    """The model's text of every turn on the page, in the page's order (the view feeds it the same
    calls as the page: a turn begun, events, a clear). Appending costs a list append per event."""

    def __init__(self) -> None:
        self._turns: list[_TurnRecord] = []
        # Turns whose solution is partly hidden (tutor mode): never copied whole, which would reveal it.
        self._locked: set[int] = set()

    def begin_turn(self, question: str) -> None:
        self._turns.append(_TurnRecord(question))

    def clear(self) -> None:
        self._turns.clear()
        self._locked.clear()

    def set_locked(self, turn: int, locked: bool) -> None:
        """Whether turn `turn` is partly hidden: copying offers neither its solution nor its answer."""
        if locked:
            self._locked.add(turn)
        else:
            self._locked.discard(turn)

    def is_locked(self, turn: int) -> bool:
        return turn in self._locked

    def add_events(self, events: Iterable[TranscriptEvent]) -> None:
        for event in events:
            if not self._turns:  # the page makes a turn without a question for such events too
                self.begin_turn("")
            turn = self._turns[-1]
            if isinstance(event, StepStarted):
                turn.steps.setdefault(event.index, (event.action.value, []))
            elif isinstance(event, TextAppended):
                turn.steps.setdefault(event.index, ("continue", []))[1].append(event.text)
            elif isinstance(event, AnswerFound):
                turn.answer = event.latex

    def __len__(self) -> int:
        return len(self._turns)

    def has_turn(self, turn: int) -> bool:
        return 0 <= turn < len(self._turns)

    def has_step(self, turn: int, index: int) -> bool:
        return self.has_turn(turn) and index in self._turns[turn].steps

    def solution(self, turn: int | None = None) -> TurnText | None:
        """Turn `turn` (its position on the page), or the last one with anything in it."""
        if turn is None:
            candidates = [
                t
                for number, t in enumerate(self._turns)
                if (t.steps or t.answer) and number not in self._locked
            ]
            chosen = candidates[-1] if candidates else None
        else:
            chosen = self._turns[turn] if 0 <= turn < len(self._turns) else None
        if chosen is None:
            return None
        steps = [StepText(action, "".join(chunks)) for action, chunks in chosen.steps.values()]
        return TurnText(chosen.question, steps, chosen.answer)

    def step(self, turn: int, index: int) -> StepText | None:
        if not 0 <= turn < len(self._turns):
            return None
        found = self._turns[turn].steps.get(index)
        return StepText(found[0], "".join(found[1])) if found else None


# ----- doing a copy -----


@dataclass(frozen=True)
class CopyOutcome:
    """What a copy did: `notice` is the sentence the page shows; `ok` False when it fell back or failed."""

    notice: str
    ok: bool


class TranscriptCopier:
    """Runs the copy choices of the menu for one view: builds the formats, sets the clipboard, and hands
    the notice to `notify(text, ok)` (the page shows it)."""

    def __init__(
        self,
        texts: TranscriptTexts,
        notify: Callable[[str, bool], None],
        converters: Callable[[], Converters] = app_converters,
    ) -> None:
        self._texts = texts
        self._notify = notify
        self._make_converters = converters
        self._converters: Converters | None = None
        self.last_outcome: CopyOutcome | None = None  # what the latest copy did (tests wait for it)

    @property
    def converters(self) -> Converters:
        if self._converters is None:  # KaTeX loads on the first copy that needs it
            self._converters = self._make_converters()
        return self._converters

    def choices(self, request: CopyRequest) -> list[str]:
        """The menu's entries for a request, in order; "" is a separator."""
        entries: list[str] = []
        if request.kind == "formula":
            entries += [*FORMULA_CHOICES, ""]
        if (
            request.turn is not None
            and request.step is not None
            and self._texts.has_step(request.turn, request.step)
        ):
            entries += list(STEP_CHOICES)
        if (
            request.turn is not None
            and self._texts.has_turn(request.turn)
            and not self._texts.is_locked(request.turn)
        ):
            entries += list(SOLUTION_CHOICES)
        while entries and entries[-1] == "":
            entries.pop()
        return entries

    def menu(self, request: CopyRequest, parent: QWidget, extra: Sequence[QAction] = ()) -> QMenu:
        """The native menu for a request; `extra` (the page's Copy and Select all) goes last."""
        menu = QMenu(parent)
        menu.setObjectName("copy-menu")
        for choice in self.choices(request):
            if not choice:
                menu.addSeparator()
                continue
            action = menu.addAction(translated(MENU_LABELS[choice]))
            action.setObjectName(choice)
            # After the menu has finished with its click: a picture spins the event loop (and flushes
            # deferred deletes) while it renders, which must not happen inside QMenu's own code.
            action.triggered.connect(
                lambda _checked=False, c=choice: QTimer.singleShot(0, lambda: self.copy(request, c))
            )
        if extra:
            if not menu.isEmpty():
                menu.addSeparator()
            menu.addActions(list(extra))
        return menu

    def copy(self, request: CopyRequest, choice: str) -> CopyOutcome:
        """Do one choice of the menu; the clipboard holds the result and the page shows the notice."""
        try:
            outcome = self._copy(request, choice)
        except UserFacingError as error:
            outcome = CopyOutcome(str(error), False)
        log.info("copy %s: %s", choice, outcome.notice)
        self.last_outcome = outcome
        self._notify(outcome.notice, outcome.ok)
        return outcome

    def copy_solution(self, choice: Literal["solution-markdown", "solution-word"]) -> CopyOutcome:
        """The last solution on the page (the window's Edit menu)."""
        if self._texts.solution() is None:
            outcome = self.last_outcome = CopyOutcome(translated(NOTHING_TO_COPY), False)
            self._notify(outcome.notice, outcome.ok)
            return outcome
        return self.copy(CopyRequest("solution"), choice)

    def _copy(self, request: CopyRequest, choice: str) -> CopyOutcome:
        if choice in FORMULA_CHOICES:
            return self._copy_formula(request.latex, request.display, choice)
        if choice in STEP_CHOICES:
            step = self._texts.step(request.turn or 0, request.step or 0)
            if step is None:
                raise UserFacingError(translated(STEP_GONE))
            markdown = markdown_text(step.text)
            if choice == "step-markdown":
                put_on_clipboard(text_mime(markdown))
                return CopyOutcome(translated(COPIED[choice]), True)
            word = text_word_html(step.text, self.converters.word_mathml)
            put_on_clipboard(word_html_mime(word, markdown))
            return self._word_outcome(choice, word.failed)
        if choice in SOLUTION_CHOICES:
            solution = self._texts.solution(request.turn)
            if solution is None:
                raise UserFacingError(translated(NOTHING_TO_COPY))
            labels = solution_labels()
            markdown = solution_markdown(solution, labels)
            if choice == "solution-markdown":
                put_on_clipboard(text_mime(markdown))
                return CopyOutcome(translated(COPIED[choice]), True)
            word = solution_word_html(solution, self.converters.word_mathml, labels)
            put_on_clipboard(word_html_mime(word, markdown))
            return self._word_outcome(choice, word.failed)
        raise ValueError(f"unknown copy choice {choice!r}")

    def _copy_formula(self, latex: str, display: bool, choice: str) -> CopyOutcome:
        if choice == "formula-latex":
            put_on_clipboard(text_mime(latex))
            return CopyOutcome(translated(COPIED[choice]), True)
        if choice == "formula-markdown":
            put_on_clipboard(text_mime(formula_markdown(latex, display)))
            return CopyOutcome(translated(COPIED[choice]), True)
        try:
            if choice == "formula-word":
                put_on_clipboard(formula_word_mime(latex, display, self.converters))
            elif choice == "formula-unicode":
                text = self.converters.unicode_text(latex)
                if text is None:
                    raise UserFacingError(translated(NO_UNICODE))
                put_on_clipboard(text_mime(text))
            elif choice == "formula-picture":
                try:
                    mime = picture_mime(self.converters.formula_png(latex, display))
                except ValueError as error:
                    raise UserFacingError(translated(NO_PICTURE)) from error
                put_on_clipboard(mime)
            else:
                raise ValueError(f"unknown copy choice {choice!r}")
        except UserFacingError as error:
            # Whatever could not be made, the source can always be copied: the reader loses nothing.
            put_on_clipboard(text_mime(latex))
            return CopyOutcome(arg(translated(FELL_BACK_TO_LATEX), str(error)), False)
        return CopyOutcome(translated(COPIED[choice]), True)

    @staticmethod
    def _word_outcome(choice: str, failed: Sequence[str]) -> CopyOutcome:
        if not failed:
            return CopyOutcome(translated(COPIED[choice]), True)
        return CopyOutcome(not_converted(translated(COPIED[choice]), failed), False)
