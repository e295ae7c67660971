"""GUI tests of the window: real Qt, offscreen, with QtWebEngine's sandbox off (it needs no screen).

The environment must be set before Qt starts, and the app's `satori:` URL scheme registered before the
QApplication exists, which is why both happen at import time of this conftest (pytest imports it before
pytest-qt creates the QApplication).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Chromium's sandbox cannot start in containers without user namespaces; tests render the app's own page.
_flags = os.environ.get("QTWEBENGINE_CHROMIUM_FLAGS", "")
if "--no-sandbox" not in _flags:
    os.environ["QTWEBENGINE_CHROMIUM_FLAGS"] = (_flags + " --no-sandbox").strip()

import satori_desktop.ui.transcript  # noqa: E402, F401  (registers the satori: scheme before the QApplication)
from tests.ui_transcript.conftest import QT_STARTUP_NOISE  # noqa: E402  (one list of machine facts)

# The offscreen platform cannot resize native windows to their size hints; a window (unlike a bare view)
# asks it to. A fact of the headless test machine, not of the app.
WINDOW_NOISE = (r"^This plugin does not support propagateSizeHints\(\)",)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            item.add_marker(pytest.mark.qt_log_ignore(*QT_STARTUP_NOISE, *WINDOW_NOISE))


@pytest.fixture(autouse=True)
def hub_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """The window's first-run page asks the hub; tests never reach the real one (those that need a hub
    start the local one and lift this)."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
