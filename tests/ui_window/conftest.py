"""GUI tests of the window: real Qt, offscreen, with QtWebEngine's sandbox off (tests/support/qt_env.py)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import pytest
from PySide6.QtCore import QObject, QUrl, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QWidget

from satori_desktop.bench.local_hub import LocalHub
from tests.support.qt_env import ignore_startup_noise, prepare_qt_environment

if TYPE_CHECKING:
    from satori_desktop.checking import AnswerChecker

prepare_qt_environment()  # before pytest-qt creates the QApplication


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    ignore_startup_noise(items, Path(__file__).parent)


@pytest.fixture(autouse=True)
def hub_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """The window's first-run page asks the hub; tests never reach the real one (those that need a hub
    start the local one and lift this). huggingface_hub reads the variable once, when it is first
    imported, so its constant is set too."""
    from huggingface_hub import constants

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)


@pytest.fixture
def hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalHub]:
    """The local hub on 127.0.0.1, empty, with the suite's offline switch lifted (the variable, and the
    constant huggingface_hub read from it at import) and a private Hugging Face cache."""
    from huggingface_hub import constants

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
    with LocalHub() as local:
        monkeypatch.setenv("HF_ENDPOINT", local.url)
        yield local


@pytest.fixture
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where pictures go: SATORI_SCREENSHOT_DIR keeps them (docs/screenshots/ has the ones looked at)."""
    target = Path(os.environ.get("SATORI_SCREENSHOT_DIR") or tmp_path_factory.mktemp("shots"))
    target.mkdir(parents=True, exist_ok=True)
    return target


@pytest.fixture
def shoot(shots: Path) -> Callable[[QWidget, str], Path]:
    """A picture of a widget, saved in `shots`."""

    def take(widget: QWidget, name: str) -> Path:
        path = shots / f"{name}.png"
        assert widget.grab().save(str(path))
        return path

    return take


class _UrlCatcher(QObject):
    """Stands in for the file manager: QDesktopServices hands `file:` URLs to it instead."""

    def __init__(self) -> None:
        super().__init__()
        self.opened: list[str] = []

    @Slot(QUrl)
    def open_url(self, url: QUrl) -> None:
        self.opened.append(url.toLocalFile())


@pytest.fixture
def opened_folders() -> Iterator[list[str]]:
    """The local paths the app asked the platform's file manager to open during the test."""
    catcher = _UrlCatcher()
    QDesktopServices.setUrlHandler("file", catcher, "open_url")
    try:
        yield catcher.opened
    finally:
        QDesktopServices.unsetUrlHandler("file")


class SharedChecker:
    """Hands a window the session's answer checker without letting the window close it (its worker
    process then starts once for all the GUI tests that check answers)."""

    def __init__(self, checker: Any) -> None:
        self._checker = checker

    def __getattr__(self, name: str) -> Any:
        return getattr(self._checker, name)

    def close(self) -> None:
        pass


@pytest.fixture(scope="session")
def answer_checker() -> Iterator[Any]:
    from satori_desktop.checking import AnswerChecker

    with AnswerChecker() as checker:
        yield checker


@pytest.fixture
def scripted_window(qtbot: Any, answer_checker: Any) -> Iterator[Callable[..., Any]]:
    """`make(traces=None, rate=None)`: a shown main window with the scripted engine (its traces, at
    `rate` pieces a second or unpaced), the session's answer checker and a real history, ready; closed,
    its engine thread joined and deleted at the end."""
    import shiboken6

    from satori_desktop.core.settings import Settings
    from satori_desktop.engine.scripted import ScriptedEngine
    from satori_desktop.ui.engine_worker import EngineWorker
    from satori_desktop.ui.main_window import MainWindow

    made: list[tuple[Any, Any]] = []

    def make(traces: list[str] | None = None, rate: float | None = None) -> Any:
        scripted = ScriptedEngine(traces, tokens_per_second=rate)
        worker = EngineWorker(lambda: scripted)
        window = MainWindow(
            worker,
            Settings(),
            model_path=Path("demo.gguf"),
            checker_factory=lambda: cast("AnswerChecker", SharedChecker(answer_checker)),
        )
        made.append((window, worker))
        qtbot.addWidget(window)
        window.resize(1100, 820)
        window.show()
        qtbot.waitUntil(lambda: window.is_ready and window.history.store is not None, timeout=30_000)
        return window

    yield make
    for window, worker in made:
        window.close()
        assert worker.shutdown(timeout_ms=20_000)
        shiboken6.delete(window)
    qtbot.wait(50)


def choose_reasoning_format(window: Any, choice: str) -> None:
    """Settings > Answers > "Reasoning format of this model": `choice` for the loaded model, then OK."""
    from satori_desktop.ui.settings_dialog import SettingsDialog

    window.settings_action.trigger()
    dialog = window.findChild(SettingsDialog, "settingsDialog")
    assert dialog is not None and dialog.reasoning_combo.isEnabled()
    dialog.reasoning_combo.setCurrentIndex(dialog.reasoning_combo.findData(choice))
    dialog.ok_button.click()
