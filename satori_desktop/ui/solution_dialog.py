"""One solution whole, in a window of its own, rendered as the transcript renders it: a solution of a
"solve several times" turn, or the solution of one problem of a problem set."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QVBoxLayout, QWidget

from satori_desktop.core.model_format import parser_for_output
from satori_desktop.engine.streaming import TurnSummary
from satori_desktop.engine.types import FinishReason


class SolutionDialog(QDialog):
    def __init__(
        self,
        title: str,
        question: str,
        text: str,
        *,
        finish_reason: FinishReason = "stop",
        generated_tokens: int = 0,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        # The transcript view loads here, on first use: the window starts without a second page.
        from satori_desktop.ui.transcript import TranscriptView

        self.setObjectName("solutionDialog")
        self.setWindowTitle(title)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.resize(760, 640)
        self.transcript = TranscriptView(self)
        self.transcript.setObjectName("solutionTranscript")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.transcript, 1)
        layout.addWidget(buttons)
        self.transcript.begin_turn(question)
        parser = parser_for_output(text)
        self.transcript.apply_events(parser.feed(text) + parser.finish())
        self.transcript.end_turn(
            TurnSummary(
                request_id=0, finish_reason=finish_reason, text=text, generated_tokens=generated_tokens
            )
        )
