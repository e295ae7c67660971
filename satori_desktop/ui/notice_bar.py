"""A message bar above the transcript: one sentence the user should read once, and a Dismiss button.

For things that are not errors of the current action and must not block the window (a dialog would):
settings that could not be kept, a model loaded with a warning. It stays until the user dismisses it, so a
sentence shown at start-up is not gone before anyone read it.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget


class NoticeBar(QFrame):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("noticeBar")
        self.setStyleSheet(
            "QFrame#noticeBar { background: #eef4ff; border: 1px solid #b9cdf0; border-radius: 6px; }"
            " QFrame#noticeBar QLabel { color: #1d3357; }"
        )
        self.label = QLabel(self)
        self.label.setObjectName("noticeBarText")
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.dismiss_button = QPushButton("Dismiss", self)
        self.dismiss_button.setObjectName("noticeBarDismiss")
        self.dismiss_button.clicked.connect(self.dismiss)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        layout.addWidget(self.label, 1)
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

    def dismiss(self) -> None:
        self._sentences.clear()
        self.label.clear()
        self.setVisible(False)
