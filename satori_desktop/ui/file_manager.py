"""Showing one of the app's folders (logs, models) in the platform's file manager."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QUrl
from PySide6.QtGui import QDesktopServices

from satori_desktop.core.errors import UserFacingError
from satori_desktop.ui.i18n.text import arg

log = logging.getLogger(__name__)


def open_folder(folder: Path) -> None:
    """Make `folder` if it is not there yet (a file manager cannot open a folder that does not exist) and
    open it. Raises UserFacingError with the sentence to show when either cannot be done."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        log.warning("could not create %s: %s", folder, exc)
        raise UserFacingError(
            arg(
                QCoreApplication.translate(
                    "FileManager", "The folder %1 could not be created (%2): check its permissions."
                ),
                folder,
                exc.strerror or exc,
            )
        ) from None
    if not QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder))):
        log.warning("no file manager opened %s", folder)
        raise UserFacingError(
            arg(
                QCoreApplication.translate(
                    "FileManager", "The folder %1 could not be opened here: open it in your file manager."
                ),
                folder,
            )
        )
