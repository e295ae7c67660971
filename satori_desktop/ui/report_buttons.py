"""The button row of the windows that show a report (About's diagnostics, the crash report): copy the
report, open the log folder, close. The captions come translated from each window (their own context)."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QPushButton


@dataclass(frozen=True)
class ReportButtons:
    box: QDialogButtonBox
    copy: QPushButton
    open_folder: QPushButton


def report_buttons(
    dialog: QDialog, *, copy_text: str, copy_name: str, open_folder_text: str
) -> ReportButtons:
    """The row for `dialog`; the caller connects the copy and folder buttons' `clicked`."""
    box = QDialogButtonBox(dialog)
    copy = QPushButton(copy_text, dialog)
    copy.setObjectName(copy_name)
    open_folder = QPushButton(open_folder_text, dialog)
    open_folder.setObjectName("openLogFolderButton")
    close_button = box.addButton(QDialogButtonBox.StandardButton.Close)
    close_button.setObjectName("closeButton")
    close_button.setDefault(True)
    # ActionRole buttons do their job and leave the dialog open; only Close (RejectRole) closes it.
    box.addButton(copy, QDialogButtonBox.ButtonRole.ActionRole)
    box.addButton(open_folder, QDialogButtonBox.ButtonRole.ActionRole)
    box.rejected.connect(dialog.reject)
    return ReportButtons(box, copy, open_folder)
