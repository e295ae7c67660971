"""What a running model download looks like, wherever one runs (the first-run page, the models window).

A progress bar, the line under it (bytes, speed, time left; or the step it is on), and Pause/Resume and
Cancel. The panel only shows: the page that owns the `DownloadTask` connects the buttons and tells the
panel what happened, so both places say the same thing in the same words.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget

from satori_desktop.engine.hardware import format_bytes
from satori_desktop.models.download import DownloadProgress
from satori_desktop.ui.i18n.text import arg

_STEPS = 1000  # the bar's resolution
# Steps without a byte count worth showing: the bar goes busy.
_BUSY_PHASES = ("verifying", "hashing-part", "checking")


def format_duration(seconds: float) -> str:
    """'about 2 min left' style: seconds under a minute, then minutes, then hours and minutes."""
    seconds = max(0, round(seconds))
    if seconds < 60:
        return arg(QCoreApplication.translate("DownloadPanel", "%1 s"), seconds)
    minutes = round(seconds / 60)
    if minutes < 60:
        return arg(QCoreApplication.translate("DownloadPanel", "%1 min"), minutes)
    return arg(
        QCoreApplication.translate("DownloadPanel", "%1 h %2 min"), minutes // 60, f"{minutes % 60:02d}"
    )


def progress_sentence(progress: DownloadProgress) -> str:
    """What the line under the progress bar says for each phase of a download."""
    if progress.phase == "checking":
        return QCoreApplication.translate("DownloadPanel", "Asking the hub for the file…")
    if progress.phase == "hashing-part":
        return arg(
            QCoreApplication.translate("DownloadPanel", "Checking what was already downloaded: %1…"),
            format_bytes(progress.done_bytes),
        )
    if progress.phase == "verifying":
        return QCoreApplication.translate(
            "DownloadPanel", "Step 2 of 2: checking the file's sha256 against the hub's…"
        )
    if progress.phase == "done":
        return QCoreApplication.translate("DownloadPanel", "Downloaded and verified.")
    parts = [
        arg(
            QCoreApplication.translate("DownloadPanel", "Step 1 of 2: %1 of %2"),
            format_bytes(progress.done_bytes),
            format_bytes(progress.total_bytes),
        )
    ]
    if progress.bytes_per_second:
        parts.append(
            arg(
                QCoreApplication.translate("DownloadPanel", "%1/s"),
                format_bytes(int(progress.bytes_per_second)),
            )
        )
    if progress.eta_seconds is not None:
        parts.append(
            arg(
                QCoreApplication.translate("DownloadPanel", "about %1 left"),
                format_duration(progress.eta_seconds),
            )
        )
    return " · ".join(parts)


class DownloadPanel(QWidget):
    """Hidden until `show_starting()`; `pause_button` reads Resume once the download stopped."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bar = QProgressBar(self)
        self.bar.setObjectName("downloadProgress")
        self.bar.setRange(0, _STEPS)
        self.bar.setTextVisible(True)
        self.line = QLabel("", self)
        self.line.setObjectName("downloadProgressLine")
        self.line.setWordWrap(True)
        self.line.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.pause_button = QPushButton(self.tr("Pause"), self)
        self.pause_button.setObjectName("pauseButton")
        self.cancel_button = QPushButton(self.tr("Cancel"), self)
        self.cancel_button.setObjectName("cancelButton")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.bar)
        controls = QHBoxLayout()
        controls.addWidget(self.line, 1)
        controls.addWidget(self.pause_button)
        controls.addWidget(self.cancel_button)
        layout.addLayout(controls)
        self.setVisible(False)

    def show_starting(self) -> None:
        self.setVisible(True)
        self.bar.setRange(0, _STEPS)
        self.bar.setValue(0)
        self.line.setText(self.tr("Starting…"))
        self.pause_button.setText(self.tr("Pause"))
        self._enable(True)

    def show_pausing(self) -> None:
        self.pause_button.setEnabled(False)
        self.line.setText(self.tr("Pausing…"))

    def show_cancelling(self) -> None:
        self.cancel_button.setEnabled(False)
        self.line.setText(self.tr("Cancelling…"))

    def show_progress(self, progress: DownloadProgress) -> None:
        if progress.phase in _BUSY_PHASES:
            self.bar.setRange(0, 0)
        else:
            self.bar.setRange(0, _STEPS)
            self.bar.setValue(int(progress.fraction * _STEPS))
        if progress.phase == "verifying":
            self.pause_button.setEnabled(False)  # nothing left to pause: the file is all there
        self.line.setText(progress_sentence(progress))

    def show_finished(self, sentence: str) -> None:
        self.bar.setRange(0, _STEPS)
        self.bar.setValue(_STEPS)
        self.line.setText(sentence)
        self._enable(False)

    def show_paused(self) -> None:
        self._show_stopped(self.tr("Paused: what was downloaded is kept; Resume goes on from there."))

    def show_failed(self) -> None:
        """The sentence saying why is the owner's to show; the panel offers Resume."""
        self._show_stopped(self.tr("Stopped."))

    def _show_stopped(self, line: str) -> None:
        self.bar.setRange(0, _STEPS)
        self.pause_button.setText(self.tr("Resume"))
        self._enable(True)
        self.line.setText(line)

    def _enable(self, enabled: bool) -> None:
        self.pause_button.setEnabled(enabled)
        self.cancel_button.setEnabled(enabled)
