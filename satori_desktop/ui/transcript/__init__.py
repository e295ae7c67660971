"""The transcript as a QtWebEngine page: `TranscriptView`, `ProblemPreview`, and their web set-up.

Importing this package registers the app's `satori:` URL scheme when no QApplication exists yet (Qt
requires it before the application is created); `register_app_scheme()` does it explicitly.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication

from satori_desktop.ui.transcript.assets import MISSING_ASSETS_MESSAGE, missing_assets, require_assets
from satori_desktop.ui.transcript.web import register_app_scheme

if QCoreApplication.instance() is None:
    register_app_scheme()

from satori_desktop.ui.transcript.preview import ProblemPreview
from satori_desktop.ui.transcript.view import TranscriptView

__all__ = [
    "MISSING_ASSETS_MESSAGE",
    "ProblemPreview",
    "TranscriptView",
    "missing_assets",
    "register_app_scheme",
    "require_assets",
]
