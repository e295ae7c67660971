"""The tutor bar, between the transcript and the problem box: tutor mode on or off for this conversation,
"Next step" and "Show the answer" while a tutored solution is being revealed, and "Check my answer".

It only shows state and says what was asked (signals); `TutorController` decides. The answer box takes
LaTeX or plain input (`1/2`, `x = 3 or x = -3`, `(2, 3]`); Enter checks. The check runs off the GUI thread,
so the bar says "Checking…" and stays usable meanwhile.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QLineEdit, QPushButton, QToolButton, QWidget

from satori_desktop.ui.i18n.text import arg


class TutorBar(QWidget):
    """Signals: `tutor_toggled(bool)`, `next_requested()`, `answer_requested()`, `check_requested(str)`,
    `key_requested()` (the student or a teacher wants to give the answer key)."""

    tutor_toggled = Signal(bool)
    next_requested = Signal()
    answer_requested = Signal()
    check_requested = Signal(str)
    key_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tutor_box = QCheckBox(self.tr("Tutor mode"), self)
        self.tutor_box.setObjectName("tutorModeBox")
        self.tutor_box.setToolTip(
            self.tr("Hide Satori's solution and reveal it one step at a time, with a hint before each step")
        )
        self.next_button = QPushButton(self.tr("Next step"), self)
        self.next_button.setObjectName("nextStepButton")
        self.next_button.setToolTip(self.tr("Reveal the next hint or step (Space or → in the transcript)"))
        self.answer_button = QPushButton(self.tr("Show the answer"), self)
        self.answer_button.setObjectName("showAnswerButton")
        self.status_label = QLabel(self)
        self.status_label.setObjectName("tutorStatus")
        self.status_label.setTextFormat(Qt.TextFormat.PlainText)
        self.answer_edit = QLineEdit(self)
        self.answer_edit.setObjectName("studentAnswer")
        self.answer_edit.setPlaceholderText(self.tr("Your answer, e.g. 1/2 or x = 3 or x = -3"))
        self.answer_edit.setClearButtonEnabled(True)
        self.answer_edit.setMinimumWidth(200)
        self.check_button = QPushButton(self.tr("Check my answer"), self)
        self.check_button.setObjectName("checkAnswerButton")
        self.check_button.setToolTip(self.tr("Compare your answer with Satori's (Enter in the answer box)"))
        self.key_button = QToolButton(self)
        self.key_button.setObjectName("answerKeyButton")
        self.key_button.setText(self.tr("Key…"))
        self.key_button.setToolTip(self.tr("Check against an answer key instead of Satori's answer"))

        row = QHBoxLayout(self)
        row.setContentsMargins(0, 2, 0, 2)
        row.addWidget(self.tutor_box)
        row.addWidget(self.next_button)
        row.addWidget(self.answer_button)
        row.addWidget(self.status_label, 1)
        row.addWidget(self.answer_edit, 2)
        row.addWidget(self.check_button)
        row.addWidget(self.key_button)

        self._checking = False
        self._can_check = False
        self.tutor_box.toggled.connect(self._on_tutor_box_toggled)
        self.next_button.clicked.connect(self.next_requested)
        self.answer_button.clicked.connect(self.answer_requested)
        self.check_button.clicked.connect(self._on_check)
        self.answer_edit.returnPressed.connect(self._on_check)
        self.answer_edit.textChanged.connect(self._update_check_button)
        self.key_button.clicked.connect(self.key_requested)
        self.set_tutoring(False)
        self.set_reveal_state(can_next=False, can_answer=False, status="")
        self._update_check_button()

    # -- state the controller drives -----------------------------------------------------------------------

    def set_tutoring(self, on: bool) -> None:
        """Show tutor mode as on or off (without saying so back through `tutor_toggled`)."""
        self.tutor_box.blockSignals(True)
        self.tutor_box.setChecked(on)
        self.tutor_box.blockSignals(False)
        self.next_button.setVisible(on)
        self.answer_button.setVisible(on)

    def set_reveal_state(self, *, can_next: bool, can_answer: bool, status: str) -> None:
        self.next_button.setEnabled(can_next)
        self.answer_button.setEnabled(can_answer)
        self.status_label.setText(status)

    def set_can_check(self, can_check: bool, why_not: str = "") -> None:
        """Whether there is an answer to compare with (`why_not` says what is missing, as a tooltip)."""
        self._can_check = can_check
        self.answer_edit.setToolTip("" if can_check else why_not)
        self._update_check_button()

    def set_key(self, key: str | None) -> None:
        """Show whether checks go against an answer key (its LaTeX in the tooltip) or Satori's answer."""
        self.key_button.setText(self.tr("Key ✓") if key else self.tr("Key…"))
        self.key_button.setToolTip(
            arg(self.tr("Checks use the answer key %1; click to change or clear it"), key)
            if key
            else self.tr("Check against an answer key instead of Satori's answer")
        )

    def set_checking(self, checking: bool) -> None:
        self._checking = checking
        self.check_button.setText(self.tr("Checking…") if checking else self.tr("Check my answer"))
        self._update_check_button()

    @property
    def checking(self) -> bool:
        return self._checking

    # -- slots ---------------------------------------------------------------------------------------------

    def _on_tutor_box_toggled(self, on: bool) -> None:
        self.set_tutoring(on)
        self.tutor_toggled.emit(on)

    def _on_check(self) -> None:
        text = self.answer_edit.text().strip()
        if text and self._can_check and not self._checking:
            self.check_requested.emit(text)

    def _update_check_button(self) -> None:
        self.check_button.setEnabled(
            self._can_check and not self._checking and bool(self.answer_edit.text().strip())
        )
