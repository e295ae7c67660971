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


class LoadRecordingEngine(ScriptedEngine):
    """The scripted engine, keeping what each load and each request asked for."""

    def __init__(self) -> None:
        super().__init__(tokens_per_second=None)
        self.loads: list[object] = []
        self.requests: list[object] = []

    def load(self, options):  # type: ignore[no-untyped-def]
        self.loads.append(options)
        return super().load(options)

    def generate(self, request, on_text=None):  # type: ignore[no-untyped-def]
        self.requests.append(request)
        return super().generate(request, on_text)


def test_the_settings_dialog_applies_at_once_and_reloads_on_confirmation(qtbot: QtBot) -> None:
    from PySide6.QtWidgets import QApplication, QMessageBox

    from satori_desktop.ui.settings_dialog import SettingsDialog

    engine = LoadRecordingEngine()
    worker = EngineWorker(lambda: engine)
    window = MainWindow(worker, Settings(), model_path=Path("demo.gguf"))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.is_ready, timeout=30_000)
    window.settings_action.trigger()
    dialog = window.findChild(SettingsDialog)
    assert dialog is not None and dialog.isVisible()
    dialog.temperature_spin.setValue(0.7)
    dialog.seed_random_check.setChecked(False)
    dialog.seed_spin.setValue(1234)
    dialog.n_ctx_auto_check.setChecked(False)
    dialog.n_ctx_spin.setValue(2048)
    dialog.theme_combo.setCurrentIndex(dialog.theme_combo.findData("dark"))
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    # What applies at once did, and is kept; the context waits for the reload the window asks about.
    saved = load_settings()
    assert (saved.temperature, saved.seed, saved.n_ctx, saved.theme) == (0.7, 1234, 2048, "dark")
    qtbot.waitUntil(lambda: window.findChild(QMessageBox, "reloadQuestion") is not None, timeout=5000)
    question = window.findChild(QMessageBox, "reloadQuestion")
    assert question is not None and "Reload it now?" in question.text()
    assert QApplication.palette().window().color().lightness() < 128  # the widgets went dark
    with qtbot.waitSignal(worker.model_loaded, timeout=10_000) as loaded:
        qtbot.mouseClick(question.button(QMessageBox.StandardButton.Yes), Qt.MouseButton.LeftButton)
    assert loaded.args[0].n_ctx == 2048 and engine.loads[-1].n_ctx == 2048  # type: ignore[attr-defined]
    with qtbot.waitSignal(worker.generation_finished, timeout=10_000):
        window.ask("Sampled, with a seed")
    request = engine.requests[-1]
    assert request.temperature == 0.7 and request.seed == 1234  # type: ignore[attr-defined]
    window.apply_settings(saved.with_changes(theme="light"))  # leave the app light for the next tests
    window.close()
    assert worker.shutdown(timeout_ms=10_000)
    shiboken6.delete(window)
