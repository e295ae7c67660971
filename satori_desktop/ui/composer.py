"""Where the student writes the problem: a multi-line box, Send/Stop, and a live KaTeX preview.

Enter sends and Shift+Enter starts a new line, as in chat apps; the preview shows the problem typeset as
it is typed (throttled, so fast typing does not re-render on every key). The Stop button is always
reachable while an answer is being worked on: it replaces nothing and never waits on the engine.
"""

from __future__ import annotations

from typing import Protocol

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QHBoxLayout, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget

from satori_desktop.ui.i18n.text import arg

# Re-typeset the preview this long after the last key press; short enough to feel live.
PREVIEW_DELAY_MS = 150
# The preview grows with what it shows, within these bounds (pixels); beyond, it scrolls.
PREVIEW_MIN_HEIGHT = 36
PREVIEW_MAX_HEIGHT = 140


class PreviewWidget(Protocol):
    """What the composer needs from `ui.transcript.ProblemPreview` (a QWebEngineView)."""

    def set_text(self, text: str) -> None: ...

    def setVisible(self, visible: bool) -> None: ...


class ProblemEdit(QPlainTextEdit):
    """A plain-text box where Enter submits, Ctrl+Enter submits to be solved several times, and
    Shift+Enter inserts a line break."""

    submitted = Signal()
    submitted_for_samples = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            modifiers = event.modifiers()
            if modifiers & Qt.KeyboardModifier.ShiftModifier:
                # Shift+Enter: a real line break (Qt would insert a paragraph separator for Shift+Return).
                self.insertPlainText("\n")
                event.accept()
                return
            if not (modifiers & (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier)):
                event.accept()
                self.submitted.emit()
                return
            if (
                modifiers & Qt.KeyboardModifier.ControlModifier
                and not modifiers & Qt.KeyboardModifier.AltModifier
            ):
                event.accept()
                self.submitted_for_samples.emit()
                return
        super().keyPressEvent(event)


class Composer(QWidget):
    """The problem box with Send and Stop. Signals: `question_submitted(str)`, `stop_requested()`,
    `samples_submitted(str)` (solve it several times: the button under Solve, or Ctrl+Enter)."""

    question_submitted = Signal(str)
    stop_requested = Signal()
    samples_submitted = Signal(str)

    def __init__(self, preview: PreviewWidget | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._busy = False
        self._accepting = True
        self.editor = ProblemEdit(self)
        self.editor.setObjectName("problemEditor")
        self.editor.setPlaceholderText(
            self.tr(
                "Type a math problem, e.g. Solve x^2 - 5x + 6 = 0. LaTeX like $\\frac{1}{2}$ works. "
                "Enter sends, Shift+Enter starts a new line."
            )
        )
        self.editor.setTabChangesFocus(True)
        self.editor.setMaximumHeight(84)
        self.send_button = QPushButton(self.tr("Solve"), self)
        self.send_button.setObjectName("sendButton")
        self.send_button.setToolTip(self.tr("Send the problem (Enter)"))
        self.stop_button = QPushButton(self.tr("Stop"), self)
        self.stop_button.setObjectName("stopButton")
        self.stop_button.setToolTip(self.tr("Stop the answer being written (Esc)"))
        self.stop_button.setEnabled(False)
        self.samples_button = QPushButton(self)
        self.samples_button.setObjectName("samplesButton")
        self.set_samples(8)

        self._preview = preview
        self._preview_timer = QTimer(self)
        self._preview_timer.setSingleShot(True)
        self._preview_timer.setInterval(PREVIEW_DELAY_MS)

        buttons = QVBoxLayout()
        buttons.addWidget(self.send_button)
        buttons.addWidget(self.samples_button)
        buttons.addWidget(self.stop_button)
        buttons.addStretch(1)
        row = QHBoxLayout()
        row.addWidget(self.editor, 1)
        row.addLayout(buttons)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        if isinstance(preview, QWidget):
            preview.setFixedHeight(PREVIEW_MIN_HEIGHT)
            preview.setVisible(False)
            column.addWidget(preview)
            height_changed = getattr(preview, "content_height_changed", None)
            if height_changed is not None:
                height_changed.connect(self._on_preview_content_height_changed)
        column.addLayout(row)

        # Focusing the composer (the window does when it opens and after each answer) means the problem
        # box: a student can type at once.
        self.setFocusProxy(self.editor)

        self.editor.submitted.connect(self._on_editor_submitted)
        self.editor.submitted_for_samples.connect(self._on_samples_button_clicked)
        self.editor.textChanged.connect(self._on_editor_text_changed)
        self.editor.installEventFilter(self)
        self.send_button.clicked.connect(self._on_send_button_clicked)
        self.stop_button.clicked.connect(self._on_stop_button_clicked)
        self.samples_button.clicked.connect(self._on_samples_button_clicked)
        self._preview_timer.timeout.connect(self._on_preview_timer_timeout)

    # -- state the window drives -------------------------------------------------------------------------

    def set_busy(self, busy: bool) -> None:
        """While an answer is being written: Send is off, Stop is on (and the reverse afterwards)."""
        self._busy = busy
        self._update_buttons()

    def set_accepting(self, accepting: bool) -> None:
        """Whether a question can be sent at all (not before a model is loaded)."""
        self._accepting = accepting
        self._update_buttons()

    def set_samples(self, count: int) -> None:
        """How many solutions the "solve several times" button asks for."""
        self.samples_button.setText(arg(self.tr("Solve %1×"), count))
        self.samples_button.setToolTip(
            arg(
                self.tr("Solve it %1 times at once and show the answer most solutions agree on (Ctrl+Enter)"),
                count,
            )
        )

    def text(self) -> str:
        return self.editor.toPlainText()

    def set_text(self, text: str) -> None:
        self.editor.setPlainText(text)

    # -- slots ---------------------------------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # Esc in the problem box stops the answer, as the Stop button does.
        if watched is self.editor and event.type() == QEvent.Type.KeyPress and self._busy:
            key_event = event if isinstance(event, QKeyEvent) else None
            if key_event is not None and key_event.key() == Qt.Key.Key_Escape:
                self.stop_requested.emit()
                return True
        return super().eventFilter(watched, event)

    def _on_editor_submitted(self) -> None:
        self._submit()

    def _on_send_button_clicked(self) -> None:
        self._submit()

    def _on_stop_button_clicked(self) -> None:
        self.stop_requested.emit()

    def _on_samples_button_clicked(self) -> None:
        self._submit(samples=True)

    def _on_editor_text_changed(self) -> None:
        self._update_buttons()
        if self._preview is not None:
            self._preview_timer.start()

    def _on_preview_content_height_changed(self, height: int) -> None:
        if isinstance(self._preview, QWidget):
            self._preview.setFixedHeight(max(PREVIEW_MIN_HEIGHT, min(PREVIEW_MAX_HEIGHT, height + 4)))

    def _on_preview_timer_timeout(self) -> None:
        if self._preview is None:
            return
        text = self.text().strip()
        self._preview.setVisible(bool(text))
        if text:
            self._preview.set_text(text)

    def _submit(self, *, samples: bool = False) -> None:
        question = self.text().strip()
        if not question or self._busy or not self._accepting:
            return
        self.editor.clear()
        # Sent with the Solve button, the focus would stay on it; a follow-up is typed in the box.
        self.editor.setFocus(Qt.FocusReason.OtherFocusReason)
        if samples:
            self.samples_submitted.emit(question)
        else:
            self.question_submitted.emit(question)

    def _update_buttons(self) -> None:
        ready = self._accepting and not self._busy and bool(self.text().strip())
        self.send_button.setEnabled(ready)
        self.samples_button.setEnabled(ready)
        self.stop_button.setEnabled(self._busy)
