"""The typed settings file: defaults, round trip, damage that falls back to defaults, and what the window
says about a file it must not write."""

from __future__ import annotations

import json
from pathlib import Path

import shiboken6
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from satori_desktop.core import paths
from satori_desktop.core.settings import (
    NEWER_FILE_NOTICE,
    SCHEMA_VERSION,
    Settings,
    load_settings,
    load_settings_report,
    save_settings,
    settings_path,
)
from satori_desktop.engine.scripted import ScriptedEngine
from satori_desktop.ui.engine_worker import EngineWorker
from satori_desktop.ui.main_window import MainWindow


def test_missing_file_gives_defaults() -> None:
    assert load_settings() == Settings()


def test_round_trip_under_the_config_dir(satori_home: Path) -> None:
    save_settings(Settings(keep_sections_open=True, max_new_tokens=1024))
    assert settings_path().parent == paths.config_dir()
    assert str(settings_path()).startswith(str(satori_home))
    data = json.loads(settings_path().read_text(encoding="utf-8"))
    assert data["schema_version"] == SCHEMA_VERSION
    assert load_settings() == Settings(keep_sections_open=True, max_new_tokens=1024)


def test_damaged_file_and_wrong_types_fall_back_to_defaults() -> None:
    settings_path().parent.mkdir(parents=True, exist_ok=True)
    settings_path().write_text("{not json", encoding="utf-8")
    assert load_settings() == Settings()
    settings_path().write_text(
        json.dumps({"keep_sections_open": "yes", "max_new_tokens": True, "unknown": 1}), encoding="utf-8"
    )
    assert load_settings() == Settings()
    settings_path().write_text(
        json.dumps({"keep_sections_open": True, "max_new_tokens": -5}), encoding="utf-8"
    )
    assert load_settings() == Settings(keep_sections_open=True)


def test_a_newer_versions_settings_are_named_in_the_window_and_never_overwritten(qtbot: QtBot) -> None:
    settings_path().parent.mkdir(parents=True, exist_ok=True)
    newer = json.dumps({"schema_version": SCHEMA_VERSION + 1, "keep_sections_open": True, "future": [1]})
    settings_path().write_text(newer, encoding="utf-8")
    report = load_settings_report()
    assert report.read_only and report.notice == NEWER_FILE_NOTICE
    worker = EngineWorker(ScriptedEngine)
    window = MainWindow(
        worker,
        report.settings,
        model_path=Path("demo.gguf"),
        settings_notice=report.notice,
        settings_read_only=report.read_only,
    )
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.is_ready, timeout=30_000)
    assert window.notice_bar.isVisible() and window.notice_bar.label.text() == NEWER_FILE_NOTICE
    assert window.keep_open_action.isChecked()  # the newer file's values apply
    window.keep_open_action.trigger()  # a change applies now, and is not written over the newer file
    assert settings_path().read_text(encoding="utf-8") == newer
    qtbot.mouseClick(window.notice_bar.dismiss_button, Qt.MouseButton.LeftButton)
    assert not window.notice_bar.isVisible()
    window.close()
    assert worker.shutdown(timeout_ms=10_000)
    shiboken6.delete(window)


def test_a_newer_file_written_while_the_app_runs_is_not_overwritten_either(qtbot: QtBot) -> None:
    worker = EngineWorker(ScriptedEngine)
    window = MainWindow(worker, Settings(), model_path=Path("demo.gguf"))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.is_ready, timeout=30_000)
    settings_path().parent.mkdir(parents=True, exist_ok=True)
    newer = json.dumps({"schema_version": SCHEMA_VERSION + 1})
    settings_path().write_text(newer, encoding="utf-8")  # another, newer copy of the app saved
    window.keep_open_action.trigger()
    assert settings_path().read_text(encoding="utf-8") == newer
    assert window.notice_bar.isVisible() and "newer version" in window.notice_bar.label.text()
    window.close()
    assert worker.shutdown(timeout_ms=10_000)
    shiboken6.delete(window)
