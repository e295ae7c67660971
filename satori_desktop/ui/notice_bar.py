"""A message bar above the transcript: sentences the user should read once, and a Dismiss button.

For things that are not errors of the current action and must not block the window (a dialog would):
settings that could not be kept, a model loaded with a warning, a conversation deleted (with Undo), an
answer interrupted by a crash (with Retry). It stays until the user dismisses it, so a sentence shown at
start-up is not gone before anyone read it. At most one action is offered at a time: a newer offer
replaces an older one.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget


class NoticeBar(QFrame):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("noticeBar")
        self.setStyleSheet(
            # Palette roles, so the bar follows the light and the dark theme.
            "QFrame#noticeBar { background: palette(alternate-base); border: 1px solid palette(highlight);"
            " border-radius: 6px; }"
            " QFrame#noticeBar QLabel { color: palette(text); }"
        )
        self.label = QLabel(self)
        self.label.setObjectName("noticeBarText")
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.action_button = QPushButton(self)
        self.action_button.setObjectName("noticeBarAction")
        self.action_button.setVisible(False)
        self.action_button.clicked.connect(self._on_action_button_clicked)
        self._action: Callable[[], None] | None = None
        self._action_sentence: str | None = None
        self.dismiss_button = QPushButton(self.tr("Dismiss"), self)
        self.dismiss_button.setObjectName("noticeBarDismiss")
        self.dismiss_button.clicked.connect(self.dismiss)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.action_button, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.dismiss_button, 0, Qt.AlignmentFlag.AlignTop)
        self._sentences: list[str] = []
        self.setVisible(False)

    def add(self, sentence: str) -> None:
        """Show `sentence` (below any already shown; the same sentence is shown once)."""
        if sentence in self._sentences:
            return
        self._sentences.append(sentence)
        self.label.setText("\n".join(self._sentences))
        self.setVisible(True)

    def offer(self, sentence: str, button_text: str, action: Callable[[], None]) -> None:
        """Show `sentence` with a button that runs `action` once (Undo, Retry); it replaces an older offer."""
        self.withdraw_offer()
        self._action, self._action_sentence = action, sentence
        self.action_button.setText(button_text)
        self.action_button.setVisible(True)
        self.add(sentence)

    def withdraw_offer(self) -> None:
        """The offer no longer applies (its conversation is gone, the retry started): drop it."""
        if self._action_sentence is not None and self._action_sentence in self._sentences:
            self._sentences.remove(self._action_sentence)
        self._action = self._action_sentence = None
        self.action_button.setVisible(False)
        self.label.setText("\n".join(self._sentences))
        self.setVisible(bool(self._sentences))

    def dismiss(self) -> None:
        self._sentences.clear()
        self._action = self._action_sentence = None
        self.action_button.setVisible(False)
        self.label.clear()
        self.setVisible(False)

    def _on_action_button_clicked(self) -> None:
        action = self._action
        self.withdraw_offer()
        if action is not None:
            action()
