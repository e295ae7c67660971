"""The Qt environment every in-process GUI test needs, in one place (the GUI conftests import it).

Set before Qt starts, which is why the conftests call `prepare_qt_environment()` at import time (pytest
imports a conftest before pytest-qt creates the QApplication): the offscreen platform (no screen here),
Chromium without its sandbox (it cannot start as root in a container; the tests render the app's own
pages), and the app's `satori:` URL scheme, which Qt requires before the QApplication exists.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any


def prepare_qt_environment() -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    flags = os.environ.get("QTWEBENGINE_CHROMIUM_FLAGS", "")
    if "--no-sandbox" not in flags:
        os.environ["QTWEBENGINE_CHROMIUM_FLAGS"] = (flags + " --no-sandbox").strip()
    from satori_desktop.ui.transcript import register_app_scheme

    register_app_scheme()


def startup_noise() -> tuple[str, ...]:
    """What Qt says on a machine without a GPU (the app's own list, ui.app.GPU_FALLBACK_NOTICES) as the
    patterns pytest-qt's `qt_log_ignore` takes: facts of the test machine, not of the app. Every other Qt
    warning still fails the test."""
    from satori_desktop.ui.app import GPU_FALLBACK_NOTICES

    return tuple("^" + re.escape(notice) for notice in GPU_FALLBACK_NOTICES)


def ignore_startup_noise(items: list[Any], folder: Path) -> None:
    """Mark the collected tests under `folder` to ignore `startup_noise()` (a conftest's
    `pytest_collection_modifyitems` calls this with its own folder)."""
    import pytest

    noise = startup_noise()
    for item in items:
        if Path(str(item.fspath)).is_relative_to(folder):
            item.add_marker(pytest.mark.qt_log_ignore(*noise))


def app_env(home: Path) -> dict[str, str]:
    """The environment of the app started as a child process: its own home, offscreen, no sandbox."""
    env = dict(os.environ)
    env["SATORI_DESKTOP_HOME"] = str(home)
    env["QT_QPA_PLATFORM"] = "offscreen"
    env["QTWEBENGINE_CHROMIUM_FLAGS"] = "--no-sandbox"
    # The language setting defaults to "system", which follows the UI languages Qt reads from LANGUAGE
    # first: the window speaks English whatever this machine's locale is (test_chinese_ui.py sets Chinese).
    env["LANGUAGE"] = "en"
    return env
