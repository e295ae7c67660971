"""The two ways the app tells the user it crashed: last time (natively), or just now (a Python bug).

`CrashReportDialog` shows, at the start after a native crash, the sentence of
`core.crash_report.previous_crash_sentence` (in the window's language: `ui.i18n.sentences`) with the report
itself, "Copy details" (to the clipboard, for a bug report) and "Open log folder" (through
`QDesktopServices`, so the platform's file manager opens it). It is window-modal and opened with
`open()`, so it never blocks the start-up of the window.

`UncaughtErrorBoxes` shows the sentence for an uncaught exception, from any thread: at most one box at a
time, and a sentence already shown is not shown again in this run. An exception in a slot that fires on
every frame would otherwise open a box per frame; the log still gets every traceback.
"""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from satori_desktop.core.crash_report import CrashReport
from satori_desktop.core.errors import UserFacingError
from satori_desktop.ui.file_manager import open_folder
from satori_desktop.ui.i18n.sentences import previous_crash_sentence
from satori_desktop.ui.report_buttons import report_buttons

log = logging.getLogger(__name__)


class CrashReportDialog(QDialog):
    """ "Satori Desktop closed unexpectedly last time", the report, and what the user can do with it."""

    def __init__(self, report: CrashReport, log_folder: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("crashReportDialog")
        self.setWindowTitle("Satori Desktop")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self._log_folder = log_folder
        self._details = report.details

        icon = QLabel(self)
        icon.setPixmap(self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning).pixmap(40, 40))
        icon.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.sentence_label = QLabel(previous_crash_sentence(report), self)
        self.sentence_label.setObjectName("crashSentence")
        self.sentence_label.setWordWrap(True)
        self.sentence_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        top = QHBoxLayout()
        top.addWidget(icon)
        top.addWidget(self.sentence_label, 1)

        self.details_view = QPlainTextEdit(self)
        self.details_view.setObjectName("crashDetails")
        self.details_view.setReadOnly(True)
        self.details_view.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.details_view.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.details_view.setPlainText(report.details or self.tr("(the report could not be read)"))
        self.details_view.setMinimumHeight(180)

        row = report_buttons(
            self,
            copy_text=self.tr("&Copy details"),
            copy_name="copyDetailsButton",
            open_folder_text=self.tr("&Open log folder"),
        )
        buttons, self.copy_button, self.open_folder_button = row.box, row.copy, row.open_folder
        self.copy_button.setEnabled(bool(report.details))
        self.copy_button.clicked.connect(self._on_copy_button_clicked)
        self.open_folder_button.clicked.connect(self._on_open_folder_button_clicked)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.details_view, 1)
        layout.addWidget(buttons)
        self.resize(640, 380)

    @property
    def sentence(self) -> str:
        return self.sentence_label.text()

    def _on_copy_button_clicked(self) -> None:
        QGuiApplication.clipboard().setText(self._details)
        self.copy_button.setText(self.tr("Copied"))

    def _on_open_folder_button_clicked(self) -> None:
        with contextlib.suppress(UserFacingError):  # logged; the sentence already names the folder
            open_folder(self._log_folder)


def show_crash_report(report: CrashReport, log_folder: Path, window: QWidget) -> CrashReportDialog:
    """Open the dialog over the window, window-modal, without waiting for it to be closed."""
    dialog = CrashReportDialog(report, log_folder, window)
    dialog.open()
    return dialog


class UncaughtErrorBoxes(QObject):
    """Shows the sentence for an uncaught exception in a box: one at a time, each sentence once per run.

    `report(sentence)` may be called from any thread (an exception in the engine thread's slots reaches
    `sys.excepthook` there); the box is always made on the GUI thread, once the failed slot has returned.
    """

    _sentence_reported = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._window: QWidget | None = None
        self._box: QMessageBox | None = None
        self._shown: set[str] = set()
        self._sentence_reported.connect(self._on_sentence_reported, Qt.ConnectionType.QueuedConnection)

    def set_window(self, window: QWidget | None) -> None:
        """The window the boxes belong to (window-modal over it); until then they stand alone."""
        self._window = window

    def report(self, sentence: str) -> None:
        self._sentence_reported.emit(sentence)

    @property
    def box(self) -> QMessageBox | None:
        """The box on screen now, if any."""
        return self._box

    @Slot(str)
    def _on_sentence_reported(self, sentence: str) -> None:
        if self._box is not None or sentence in self._shown:
            log.info("not shown again (one box at a time, each sentence once): %s", sentence)
            return
        self._shown.add(sentence)
        parent = self._window if self._window is not None and self._window.isVisible() else None
        box = QMessageBox(
            QMessageBox.Icon.Critical, "Satori Desktop", sentence, QMessageBox.StandardButton.Ok, parent
        )
        box.setObjectName("uncaughtErrorBox")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.finished.connect(self._on_box_finished)
        self._box = box
        box.open()  # window-modal over the window (or modeless alone); never a nested event loop

    @Slot()
    def _on_box_finished(self) -> None:
        self._box = None
