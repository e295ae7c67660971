"""GUI tests of the window: real Qt, offscreen, with QtWebEngine's sandbox off (tests/support/qt_env.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.qt_env import prepare_qt_environment, startup_noise

prepare_qt_environment()  # before pytest-qt creates the QApplication


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    noise = startup_noise()
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            item.add_marker(pytest.mark.qt_log_ignore(*noise))


@pytest.fixture(autouse=True)
def hub_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """The window's first-run page asks the hub; tests never reach the real one (those that need a hub
    start the local one and lift this). huggingface_hub reads the variable once, when it is first
    imported, so its constant is set too."""
    from huggingface_hub import constants

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
