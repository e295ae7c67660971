"""Tutor mode and "Check my answer" in the window: what each turn on the page reveals, the answer checks,
"Explain this step", and what the history keeps of them.

The window tells the controller about turns as they begin, stream, end or come back from the history;
the controller tells the page what to reveal (`TranscriptView.reveal_step` ...), keeps the tutor bar's
buttons right and saves each turn's `TutorRecord`. The rules of revealing are Qt-free (`core.tutor`).

- A tutored turn streams hidden. "Next step" (the button, Space or → in the transcript) acts on the
  latest tutored turn that is not fully shown: its next step appears as a hint, then whole. Only steps
  that have finished streaming can be revealed, so a hint never changes under the student's eyes.
- The answer shows on request: at once when every step is shown, after a confirmation before that.
- A check compares the typed answer with the latest boxed answer on the page, in the checker's worker
  process (`checking.AnswerChecker`) off the GUI thread. In a tutored turn whose answer is still hidden
  the card shows only the verdict and the student's answer: showing Satori's would give it away.
- Turning tutor mode off shows every tutored turn whole; turning it on hides the next answer (what is
  already on the page stays as it is).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import shiboken6
from PySide6.QtCore import QCoreApplication, QObject, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import QInputDialog, QMessageBox, QWidget

from satori_desktop.core.coat import AnswerFound, StepFinished, StepStarted, TranscriptEvent
from satori_desktop.core.tutor import (
    CheckEntry,
    Reveal,
    RevealState,
    TutorRecord,
    explain_question,
    first_sentence,
    mask_boxed,
    paragraphs,
)
from satori_desktop.ui.background import BackgroundJob
from satori_desktop.ui.i18n.text import QT_TRANSLATE_NOOP, arg
from satori_desktop.ui.transcript import TranscriptView
from satori_desktop.ui.transcript.copy_menu import CopyRequest
from satori_desktop.ui.tutor.bar import TutorBar

if TYPE_CHECKING:
    from satori_desktop.checking import AnswerChecker, CheckResult
    from satori_desktop.history import Turn as StoredTurn
    from satori_desktop.ui.history_link import HistoryLink

log = logging.getLogger(__name__)

CONTEXT = "TutorController"  # written out in each QT_TRANSLATE_NOOP below: lupdate reads only literals
# What a hint says the step is (%1: its number), and the line on top of a revealed check / new approach.
HINT_LABELS = {
    "start": QT_TRANSLATE_NOOP("TutorController", "Step %1"),
    "continue": QT_TRANSLATE_NOOP("TutorController", "Step %1"),
    "reflect": QT_TRANSLATE_NOOP("TutorController", "Step %1 · Satori checks its work"),
    "explore": QT_TRANSLATE_NOOP("TutorController", "Step %1 · Satori tries another way"),
    "think": QT_TRANSLATE_NOOP("TutorController", "Step %1 · The model thinks it through"),
}
REVEALED_NOTES = {
    "reflect": QT_TRANSLATE_NOOP("TutorController", "Here Satori checked its own work."),
    "explore": QT_TRANSLATE_NOOP("TutorController", "Here Satori found a flaw and changed its approach."),
    "think": QT_TRANSLATE_NOOP("TutorController", "Here the model worked the problem out before answering."),
}
PARAGRAPHS_SHOWN = QT_TRANSLATE_NOOP("TutorController", "%1 · %2 of %3 paragraphs")
EXPLAIN_REQUEST = QT_TRANSLATE_NOOP(
    "TutorController",
    "Explain step %1 of your solution above: why is it true, and how does it follow from the steps "
    "before it?",
)


def _tr(text: str) -> str:
    return QCoreApplication.translate(CONTEXT, text)


@dataclass
class _TurnTutoring:
    """One turn on the page, as tutor mode and the checks see it."""

    tutored: bool
    stored: Any = None  # its turn id in the history, or the recorder recording it (None: not recorded)
    reveal: RevealState = field(default_factory=RevealState)
    checks: list[CheckEntry] = field(default_factory=list)
    steps: list[tuple[int, str]] = field(default_factory=list)  # (page index, action), in order
    finished: set[int] = field(default_factory=set)
    ended: bool = False
    answer: str | None = None
    answer_key: str | None = None  # checks use it instead of `answer` when given

    @property
    def reference(self) -> str | None:
        return self.answer_key or self.answer

    def available(self) -> int:
        """How many steps, from the first, can be revealed: finished ones (all once the turn ended)."""
        if self.ended:
            return len(self.steps)
        count = 0
        for index, _action in self.steps:
            if index not in self.finished:
                break
            count += 1
        return count

    def fully_shown(self) -> bool:
        return self.ended and self.reveal.all_shown(len(self.steps)) and self.reveal.answer_shown

    def record(self) -> TutorRecord:
        if self.tutored:
            return self.reveal.to_record(tuple(self.checks), self.answer_key)
        return TutorRecord(checks=tuple(self.checks), answer_key=self.answer_key)


class TutorController(QObject):
    """Signals: `explain_requested(str)`, the follow-up question "Explain this step" asks;
    `tutoring_changed(bool)`, tutor mode of the conversation shown (the window's menu follows it)."""

    explain_requested = Signal(str)
    tutoring_changed = Signal(bool)

    def __init__(
        self,
        view: TranscriptView,
        bar: TutorBar,
        history: HistoryLink,
        *,
        can_ask: Callable[[], bool],
        checker_factory: Callable[[], AnswerChecker] | None = None,
        parent: QWidget,
    ) -> None:
        super().__init__(parent)
        self._view = view
        self._bar = bar
        self._history = history
        self._can_ask = can_ask
        self._checker_factory = checker_factory
        self._checker: AnswerChecker | None = None
        self._check_job: BackgroundJob | None = None
        self._confirm_box: QMessageBox | None = None
        self._turns: list[_TurnTutoring] = []
        self._tutoring = False
        self._status_turn: int | None = None  # the turn whose status line the page shows
        self.last_result: CheckResult | None = None  # the latest check's result (tests wait for it)

        view.step_actions = self._step_actions
        bar.tutor_toggled.connect(self._on_bar_tutor_toggled)
        bar.next_requested.connect(self.next_step)
        bar.answer_requested.connect(self._on_bar_answer_requested)
        bar.check_requested.connect(self.check)
        bar.key_requested.connect(self._on_bar_key_requested)
        self._key_dialog: QInputDialog | None = None
        # Space and → reveal while the transcript (or the bar) has the keyboard; the problem box keeps them.
        # Only while a tutored turn has something to reveal: otherwise Space scrolls the page, as usual.
        self._reveal_shortcuts: list[QShortcut] = []
        for key in (Qt.Key.Key_Space, Qt.Key.Key_Right):
            for widget in (view, bar.next_button):
                shortcut = QShortcut(QKeySequence(key), widget)
                shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
                shortcut.activated.connect(self._on_reveal_key)
                self._reveal_shortcuts.append(shortcut)
        self._update()

    # -- the conversation ----------------------------------------------------------------------------------

    @property
    def tutoring(self) -> bool:
        """Tutor mode of the conversation shown: its next answer is hidden."""
        return self._tutoring

    def set_tutoring(self, on: bool) -> None:
        """Turn tutor mode on or off for this conversation (remembered in the history with it)."""
        if on == self._tutoring:
            return
        self._tutoring = on
        self._bar.set_tutoring(on)
        self._history.set_tutor_mode(on)
        self.tutoring_changed.emit(on)
        if not on:
            for position, turn in enumerate(self._turns):
                if turn.tutored and not turn.fully_shown():
                    turn.reveal.show_everything(len(turn.steps))
                    self._view.untutor(position)
                    self._view.texts.set_locked(position, False)
                    self._save(turn)
        self._update()

    def show_conversation(self, tutoring: bool) -> None:
        """A conversation was opened (or a new one begun): its tutor mode, nothing on the page yet."""
        self._turns.clear()
        self._status_turn = None
        self._tutoring = tutoring
        self._bar.set_tutoring(tutoring)
        self._history.tutor_mode = tutoring
        self.tutoring_changed.emit(tutoring)
        self._update()

    # -- turns, as the window shows them ------------------------------------------------------------------

    def turn_begun(self, *, tutored: bool) -> None:
        """A new turn is on the page (after `TranscriptView.begin_turn`), recorded by the history's
        current recorder."""
        turn = _TurnTutoring(tutored=tutored, stored=self._history.recorder)
        self._turns.append(turn)
        if tutored:
            self._view.texts.set_locked(len(self._turns) - 1, True)
        self._update()

    def add_events(self, events: Iterable[TranscriptEvent]) -> None:
        if not self._turns:
            return
        turn = self._turns[-1]
        revealable = turn.available()
        for event in events:
            if isinstance(event, StepStarted):
                if all(index != event.index for index, _ in turn.steps):
                    # A new step finishes the one before it, as the page sees it.
                    if turn.steps:
                        turn.finished.add(turn.steps[-1][0])
                    turn.steps.append((event.index, event.action.value))
            elif isinstance(event, StepFinished):
                turn.finished.add(event.index)
            elif isinstance(event, AnswerFound):
                turn.answer = event.latex
        if turn.tutored and turn.available() != revealable:
            self._update()

    def turn_ended(self, *, failed: bool = False) -> None:
        if not self._turns:
            return
        turn = self._turns[-1]
        turn.ended = True
        if failed and turn.tutored:
            # Nothing worth tutoring came out: what there is shows, with the footer's sentence.
            turn.tutored = False
            position = len(self._turns) - 1
            self._view.untutor(position)
            self._view.texts.set_locked(position, False)
        self._update()

    def stored_turn_shown(self, stored: StoredTurn) -> None:
        """A turn from the history is on the page (`TranscriptView.show_stored_turn`, tutored as its
        record says): show what had been revealed of it, and its checks."""
        record = stored.tutoring
        turn = _TurnTutoring(
            tutored=bool(record and record.tutored),
            stored=stored.id,
            steps=[(index, step["action"]) for index, step in enumerate(stored.steps)],
            ended=True,
            answer=stored.answer,
        )
        self._turns.append(turn)
        position = len(self._turns) - 1
        if record is not None:
            turn.checks = list(record.checks)
            turn.answer_key = record.answer_key
        if turn.tutored and record is not None:
            turn.reveal = RevealState.from_record(record)
            for step_position in range(len(turn.steps)):
                level = turn.reveal.level(step_position)
                if level != Reveal.HIDDEN:
                    self._reveal(position, turn, step_position, level)
            if turn.reveal.answer_shown:
                self._view.reveal_answer(position)
            self._view.texts.set_locked(position, not turn.fully_shown())
        for entry in turn.checks:
            self._show_check(position, turn, entry.student, entry.match, "")
        self._update()

    def clear(self) -> None:
        self._turns.clear()
        self._status_turn = None
        self._update()

    # -- what the student does ----------------------------------------------------------------------------

    def next_step(self) -> bool:
        """Reveal the next hint or step of the latest tutored turn not fully shown; False when there is
        nothing to reveal now."""
        found = self._reveal_target()
        if found is None:
            return False
        position, turn = found
        advanced = turn.reveal.advance(
            turn.available(),
            paragraphs=lambda step_position: self._thought_paragraphs(position, turn, step_position),
        )
        if advanced is None:
            return False
        step_position, level = advanced
        self._reveal(position, turn, step_position, level)
        self._save(turn)
        self._update()
        return True

    def show_answer(self, *, confirmed: bool = False) -> bool:
        """Show the answer of the latest tutored turn; before every step is shown only `confirmed` (the
        button asks first). False when there is no hidden answer."""
        found = self._answer_target()
        if found is None:
            return False
        position, turn = found
        if not confirmed and not turn.reveal.all_shown(len(turn.steps)):
            return False
        turn.reveal.answer_shown = True
        self._view.reveal_answer(position)
        if turn.reveal.all_shown(len(turn.steps)):
            self._view.texts.set_locked(position, False)
        self._save(turn)
        self._update()
        return True

    def check(self, student: str) -> bool:
        """Check `student` against the latest answer on the page, off the GUI thread; the card appears
        when the result is in. False when there is nothing to check against, or a check is running."""
        found = self._check_target()
        if found is None or self._check_job is not None or not student.strip():
            return False
        position, turn = found
        reference = turn.reference or ""
        checker = self._ensure_checker()
        job = BackgroundJob(
            lambda: checker.check(student, reference),
            QT_TRANSLATE_NOOP("BackgroundJob", "checking your answer"),
            self,
        )
        job.succeeded.connect(lambda result: self._on_check_done(position, turn, result))
        job.failed.connect(lambda sentence: self._on_check_failed(position, turn, student, sentence))
        self._check_job = job
        self._bar.set_checking(True)
        job.start()
        return True

    def warm_up(self) -> None:
        """Start the checker's worker now, so the first check does not wait for it."""
        self._ensure_checker().start()

    def close(self) -> None:
        """The window closes: the checker's worker process goes with it."""
        if self._check_job is not None:
            self._check_job.wait(5)
        if self._checker is not None:
            self._checker.close()
            self._checker = None

    def hides_latest_answer(self) -> bool:
        """Whether the latest answer on the page is one tutor mode still hides."""
        found = self._check_target()
        return found is not None and found[1].tutored and not found[1].reveal.answer_shown

    @property
    def is_checking(self) -> bool:
        return self._check_job is not None

    def turn_tutoring(self, position: int) -> TutorRecord | None:
        """What turn `position` on the page has revealed and checked (tests)."""
        return self._turns[position].record() if 0 <= position < len(self._turns) else None

    # -- internals -----------------------------------------------------------------------------------------

    def checker(self) -> AnswerChecker:
        """The window's one answer checker (its worker process), shared with "solve several times"."""
        return self._ensure_checker()

    def _ensure_checker(self) -> AnswerChecker:
        if self._checker is None:
            if self._checker_factory is not None:
                self._checker = self._checker_factory()
            else:
                from satori_desktop.checking import AnswerChecker

                self._checker = AnswerChecker()
        return self._checker

    def _thought_paragraphs(self, position: int, turn: _TurnTutoring, step_position: int) -> int:
        """How many paragraphs a thought at `step_position` is revealed in (0 for any other step)."""
        index, action = turn.steps[step_position]
        if action != "think":
            return 0
        found = self._view.texts.step(position, index)
        return len(paragraphs(found.text)) if found is not None else 0

    def _reveal(self, position: int, turn: _TurnTutoring, step_position: int, level: Reveal) -> None:
        index, action = turn.steps[step_position]
        label = arg(_tr(HINT_LABELS.get(action, HINT_LABELS["continue"])), step_position + 1)
        if level == Reveal.HINT:
            found = self._view.texts.step(position, index)
            shown = turn.reveal.paragraphs_shown(step_position)
            if found is not None and shown > 0:
                # A thought revealed paragraph by paragraph: its first `shown` paragraphs, whole.
                parts = paragraphs(found.text)
                hint = mask_boxed("\n\n".join(parts[:shown]))
                label = arg(_tr(PARAGRAPHS_SHOWN), label, shown, len(parts))
            else:
                # The step that states the answer gives a hint without it.
                hint = mask_boxed(first_sentence(found.text)) if found is not None else ""
            self._view.reveal_step(position, index, hint=hint, label=label)
        else:
            note = _tr(REVEALED_NOTES[action]) if action in REVEALED_NOTES else ""
            self._view.reveal_step(position, index, hint=None, label=label, note=note)

    def _reveal_target(self) -> tuple[int, _TurnTutoring] | None:
        for position in range(len(self._turns) - 1, -1, -1):
            turn = self._turns[position]
            if turn.tutored and (not turn.ended or not turn.reveal.all_shown(len(turn.steps))):
                return position, turn
        return None

    def _answer_target(self) -> tuple[int, _TurnTutoring] | None:
        for position in range(len(self._turns) - 1, -1, -1):
            turn = self._turns[position]
            if turn.tutored and turn.answer and not turn.reveal.answer_shown:
                return position, turn
        return None

    def _check_target(self) -> tuple[int, _TurnTutoring] | None:
        """The latest turn with an answer to compare with (Satori's, or a key given for it)."""
        for position in range(len(self._turns) - 1, -1, -1):
            if self._turns[position].reference:
                return position, self._turns[position]
        return None

    def set_answer_key(self, key: str | None) -> bool:
        """Checks of the latest turn go against `key` (None or blank: Satori's answer again); kept with
        the turn. False when there is no turn."""
        if not self._turns:
            return False
        turn = self._turns[-1]
        turn.answer_key = key.strip() if key and key.strip() else None
        self._save(turn)
        self._update()
        return True

    def _save(self, turn: _TurnTutoring) -> None:
        if turn.stored is not None:
            self._history.save_tutoring(turn.stored, turn.record())

    def _on_check_done(self, position: int, turn: _TurnTutoring, result: CheckResult) -> None:
        self._check_job = None
        if not shiboken6.isValid(self._bar):
            return
        self._bar.set_checking(False)
        self.last_result = result
        if position < len(self._turns) and self._turns[position] is turn:
            entry = CheckEntry(result.student, result.match, time.time())
            turn.checks.append(entry)
            self._show_check(position, turn, result.student, result.match, result.reason)
            self._save(turn)
        self._update()

    def _on_check_failed(self, position: int, turn: _TurnTutoring, student: str, sentence: str) -> None:
        # Only a bug gets here (a check never raises): the card says so, the app goes on.
        self._check_job = None
        if not shiboken6.isValid(self._bar):
            return
        self._bar.set_checking(False)
        if position < len(self._turns) and self._turns[position] is turn:
            self._show_check(position, turn, student, None, sentence)
        self._update()

    def _show_check(
        self, position: int, turn: _TurnTutoring, student: str, match: bool | None, reason: str
    ) -> None:
        from satori_desktop.checking import display_latex

        if match is True:
            verdict = "match"
            text = (
                self.tr("Your answer matches the answer key.")
                if turn.answer_key
                else self.tr("Your answer matches Satori's answer.")
            )
        elif match is False:
            verdict = "mismatch"
            text = (
                self.tr("Your answer does not match the answer key.")
                if turn.answer_key
                else self.tr("Your answer does not match Satori's answer.")
            )
        else:
            # The checker's reason is a whole sentence (why, and what to do); a stored check has none.
            verdict, text = "unknown", reason or self.tr("Could not compare the answers.")
        hidden = turn.tutored and not turn.reveal.answer_shown
        reference: tuple[str, str] | None
        if turn.answer_key:
            # A key someone typed is theirs to see, tutor mode or not.
            reference = (self.tr("Answer key"), turn.answer_key)
        else:
            reference = None if hidden or not turn.answer else (self.tr("Satori's answer"), turn.answer)
        self._view.add_check(
            position,
            verdict=verdict,
            text=text,
            student=(self.tr("Your answer"), display_latex(student)),
            reference=reference,
        )

    def _step_actions(self, request: CopyRequest) -> list[QAction]:
        if request.turn is None or request.step is None or not 0 <= request.turn < len(self._turns):
            return []
        turn = self._turns[request.turn]
        positions = [index for index, _ in turn.steps]
        if request.step not in positions:
            return []
        step_position = positions.index(request.step)
        if turn.tutored and turn.reveal.level(step_position) != Reveal.SHOWN:
            return []
        found = self._view.texts.step(request.turn, request.step)
        if found is None:
            return []
        action = QAction(self.tr("&Explain this step"), self._view)
        action.setObjectName("explain-step")
        action.setEnabled(self._can_ask())
        question = explain_question(found.text, step_position + 1, _tr(EXPLAIN_REQUEST))
        action.triggered.connect(lambda _checked=False: self.explain_requested.emit(question))
        return [action]

    def _on_bar_key_requested(self) -> None:
        if not self._turns:
            return
        dialog = QInputDialog(self._bar.window())
        dialog.setObjectName("answerKeyDialog")
        dialog.setWindowTitle(self.tr("Answer key"))
        dialog.setLabelText(
            self.tr("The correct answer, as LaTeX or plain text (leave it empty to check against Satori's):")
        )
        dialog.setTextValue(self._turns[-1].answer_key or "")
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.textValueSelected.connect(self.set_answer_key)
        self._key_dialog = dialog
        dialog.open()  # window-modal: the event loop goes on

    def _on_bar_tutor_toggled(self, on: bool) -> None:
        self.set_tutoring(on)

    def _on_reveal_key(self) -> None:
        if self._tutoring or self._reveal_target() is not None:
            self.next_step()

    def _on_bar_answer_requested(self) -> None:
        found = self._answer_target()
        if found is None:
            return
        _position, turn = found
        if turn.reveal.all_shown(len(turn.steps)):
            self.show_answer()
            return
        hidden = len(turn.steps) - turn.reveal.shown_count()
        box = QMessageBox(
            QMessageBox.Icon.Question,
            self.tr("Show the answer"),
            self.tr(
                "%n steps are still hidden. Show the final answer now, before working them out?", "", hidden
            ),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            self._bar.window(),
        )
        box.setObjectName("showAnswerBox")
        box.setDefaultButton(QMessageBox.StandardButton.No)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.accepted.connect(lambda: self.show_answer(confirmed=True))
        self._confirm_box = box
        box.open()  # window-modal: the event loop goes on

    def _update(self) -> None:
        """The bar's buttons and the page's status line for the turn being revealed."""
        self._bar.set_can_check(
            self._check_target() is not None, self.tr("Satori has no answer to compare with yet.")
        )
        self._bar.key_button.setEnabled(bool(self._turns))
        self._bar.set_key(self._turns[-1].answer_key if self._turns else None)
        revealing = self._reveal_target() is not None
        for shortcut in self._reveal_shortcuts:
            shortcut.setEnabled(revealing)
        found = self._reveal_target() or self._answer_target()
        if self._status_turn is not None and (found is None or found[0] != self._status_turn):
            if self._status_turn < len(self._turns):
                self._view.show_tutor_status(self._status_turn, "")
            self._status_turn = None
        if found is None:
            self._bar.set_reveal_state(can_next=False, can_answer=False, status="")
            return
        position, turn = found
        self._status_turn = position
        total = len(turn.steps)
        shown = turn.reveal.shown_count()
        can_next = turn.reveal.can_advance(turn.available())
        can_answer = bool(turn.answer) and not turn.reveal.answer_shown
        # %n: how many steps there are; %1: how many of them are shown.
        short = arg(self.tr("%1 of %n steps", "", total), shown)
        if not turn.ended:
            status = arg(self.tr("%1 of %n steps shown; Satori is still writing.", "", total), shown)
        elif not turn.reveal.all_shown(total):
            status = arg(
                self.tr("%1 of %n steps shown. Press Space or → for the next hint.", "", total), shown
            )
        elif can_answer:
            status = self.tr("Every step is shown. Check your answer, or show Satori's.")
            short = self.tr("All steps shown")
        else:
            status = short = ""
        self._view.show_tutor_status(position, status)
        self._bar.set_reveal_state(can_next=can_next, can_answer=can_answer, status=short)
