"""GUI tests of the window: real Qt, offscreen, with QtWebEngine's sandbox off (it needs no screen).

The environment must be set before Qt starts, which is why it happens at import time of this conftest
(pytest imports it before pytest-qt creates the QApplication for the first test here).
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Chromium's sandbox cannot start in containers without user namespaces; tests render trusted pages.
_flags = os.environ.get("QTWEBENGINE_CHROMIUM_FLAGS", "")
if "--no-sandbox" not in _flags:
    os.environ["QTWEBENGINE_CHROMIUM_FLAGS"] = (_flags + " --no-sandbox").strip()
