"""The settings dialog, offscreen, over the real settings file of the test's SATORI_DESKTOP_HOME.

It shows what the file holds, what OK and Apply send is what the next start reads, Cancel keeps nothing,
`needs_reload` is right for each field, numbers cannot leave their limits, and the dark theme it selects
reaches a real transcript page. The picture (docs/screenshots/settings.png) was looked at.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog, QDoubleSpinBox, QFileDialog, QLabel, QMainWindow
from pytestqt.qtbot import QtBot

from satori_desktop.core import paths
from satori_desktop.core.arguments import MAX_SEED
from satori_desktop.core.settings import (
    NUMBER_LIMITS,
    Settings,
    load_settings,
    save_settings,
    settings_path,
)
from satori_desktop.ui.settings_dialog import SettingsDialog, open_settings_dialog
from satori_desktop.ui.theme import PAGE_BACKGROUND, apply_theme
from tests.ui_transcript.conftest import SCREENSHOT_DIR_ENV, delete_now, run_js

Accepted = list[tuple[Settings, bool]]

CHOSEN = Settings(
    temperature=0.6,
    max_new_tokens=2048,
    seed=12345,
    samples=12,
    n_ctx=8192,
    gpu_layers=20,
    n_threads=6,
    keep_sections_open=True,
    theme="dark",
    language="zh_CN",
    models_dir="/data/models",
)


@pytest.fixture
def parent(qtbot: QtBot) -> Iterator[QMainWindow]:
    window = QMainWindow()
    window.setCentralWidget(QLabel("the window"))
    window.resize(800, 600)
    qtbot.addWidget(window)
    window.show()
    yield window


def open_dialog(qtbot: QtBot, parent: QMainWindow, settings: Settings) -> tuple[SettingsDialog, Accepted]:
    dialog = open_settings_dialog(settings, parent)
    accepted: Accepted = []
    dialog.settings_accepted.connect(lambda new, reload: accepted.append((new, reload)))
    qtbot.waitUntil(dialog.isVisible, timeout=5000)
    return dialog, accepted


def shown(dialog: SettingsDialog) -> dict[str, Any]:
    """What the dialog shows, widget by widget, found by object name (as a reader would look)."""
    from PySide6.QtWidgets import QCheckBox, QComboBox, QLineEdit, QSpinBox

    def find(kind: Any, name: str) -> Any:
        widget = dialog.findChild(kind, name)
        assert widget is not None, f"no {kind.__name__} named {name}"
        return widget

    return {
        "temperature": find(QDoubleSpinBox, "temperatureSpin").value(),
        "max_new_tokens": find(QSpinBox, "maxNewTokensSpin").value(),
        "seed_random": find(QCheckBox, "seedRandomCheck").isChecked(),
        "seed": find(QDoubleSpinBox, "seedSpin").value(),
        "seed_enabled": find(QDoubleSpinBox, "seedSpin").isEnabled(),
        "n_ctx_auto": find(QCheckBox, "contextAutoCheck").isChecked(),
        "n_ctx": find(QSpinBox, "contextSpin").value(),
        "gpu_mode": find(QComboBox, "gpuLayersCombo").currentText(),
        "gpu_layers": find(QSpinBox, "gpuLayersSpin").value(),
        "gpu_layers_enabled": find(QSpinBox, "gpuLayersSpin").isEnabled(),
        "n_threads_auto": find(QCheckBox, "threadsAutoCheck").isChecked(),
        "n_threads": find(QSpinBox, "threadsSpin").value(),
        "fold": find(QCheckBox, "foldSectionsCheck").isChecked(),
        "theme": find(QComboBox, "themeCombo").currentText(),
        "language": find(QComboBox, "languageCombo").currentText(),
        "models_dir": find(QLineEdit, "modelsDirEdit").text(),
    }


def click(qtbot: QtBot, button: Any) -> None:
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def test_it_opens_without_blocking_and_shows_the_files_values(qtbot: QtBot, parent: QMainWindow) -> None:
    save_settings(CHOSEN)
    dialog, _ = open_dialog(qtbot, parent, load_settings())
    assert dialog.windowModality() == Qt.WindowModality.WindowModal  # over the window, not the whole app
    assert parent.findChild(SettingsDialog, "settingsDialog") is dialog
    assert shown(dialog) == {
        "temperature": 0.6,
        "max_new_tokens": 2048,
        "seed_random": False,
        "seed": 12345.0,
        "seed_enabled": True,
        "n_ctx_auto": False,
        "n_ctx": 8192,
        "gpu_mode": "This many layers:",
        "gpu_layers": 20,
        "gpu_layers_enabled": True,
        "n_threads_auto": False,
        "n_threads": 6,
        "fold": False,  # keep_sections_open=True: sections are not folded
        "theme": "Dark",
        "language": "简体中文",
        "models_dir": "/data/models",
    }
    assert not dialog.apply_button.isEnabled() and dialog.reload_note.isHidden()
    click(qtbot, dialog.cancel_button)
    qtbot.waitUntil(lambda: not shiboken6.isValid(dialog) or not dialog.isVisible())


def test_the_defaults_show_as_automatic_random_and_the_default_folder(
    qtbot: QtBot, parent: QMainWindow
) -> None:
    dialog, _ = open_dialog(qtbot, parent, load_settings())  # no file: the defaults
    seen = shown(dialog)
    assert seen["temperature"] == 0.0 and dialog.temperature_spin.text() == "0 (greedy, recommended)"
    assert seen["max_new_tokens"] == 4096
    assert seen["seed_random"] and not seen["seed_enabled"]
    assert seen["n_ctx_auto"] and not dialog.n_ctx_spin.isEnabled()
    assert seen["gpu_mode"] == "Automatic (as many as fit)" and not seen["gpu_layers_enabled"]
    assert seen["n_threads_auto"] and not dialog.n_threads_spin.isEnabled()
    assert seen["fold"] and seen["theme"] == "Follow the system" and seen["language"] == "Follow the system"
    assert seen["models_dir"] == str(paths.models_dir())
    assert dialog.current_settings() == Settings()  # showing the defaults changes none of them
    dialog.reject()


def test_edits_go_to_the_file_and_come_back(qtbot: QtBot, parent: QMainWindow) -> None:
    dialog, accepted = open_dialog(qtbot, parent, load_settings())
    # What the window does with the signal (main_window.py): save, then apply.
    dialog.settings_accepted.connect(lambda new, _reload: save_settings(new))
    dialog.temperature_spin.setValue(0.6)
    dialog.max_new_tokens_spin.setValue(2048)
    dialog.samples_spin.setValue(12)
    dialog.seed_random_check.setChecked(False)
    dialog.seed_spin.setValue(12345)
    dialog.n_ctx_auto_check.setChecked(False)
    dialog.n_ctx_spin.setValue(8192)
    dialog.gpu_layers_combo.setCurrentIndex(dialog.gpu_layers_combo.findText("This many layers:"))
    dialog.gpu_layers_spin.setValue(20)
    dialog.n_threads_auto_check.setChecked(False)
    dialog.n_threads_spin.setValue(6)
    click(qtbot, dialog.fold_sections_check)
    dialog.theme_combo.setCurrentIndex(dialog.theme_combo.findText("Dark"))
    dialog.language_combo.setCurrentIndex(dialog.language_combo.findText("简体中文"))
    dialog._on_folder_dialog_file_selected("/data/models")  # the folder picker is tested below
    assert dialog.apply_button.isEnabled() and dialog.reload_note.isVisible()
    click(qtbot, dialog.ok_button)
    assert accepted == [(CHOSEN, True)]
    assert load_settings() == CHOSEN  # what the next start reads
    assert not dialog.isVisible()
    # Opened again from the file, it shows the same.
    again, _ = open_dialog(qtbot, parent, load_settings())
    assert again.current_settings() == CHOSEN
    again.reject()


def test_cancel_keeps_everything(qtbot: QtBot, parent: QMainWindow) -> None:
    save_settings(CHOSEN)
    before = settings_path().read_bytes()
    dialog, accepted = open_dialog(qtbot, parent, load_settings())
    dialog.settings_accepted.connect(lambda new, _reload: save_settings(new))
    dialog.temperature_spin.setValue(1.5)
    dialog.n_ctx_auto_check.setChecked(True)
    dialog.gpu_layers_combo.setCurrentIndex(dialog.gpu_layers_combo.findText("CPU only"))
    dialog.theme_combo.setCurrentIndex(dialog.theme_combo.findText("Light"))
    dialog._on_folder_dialog_file_selected("/elsewhere")
    click(qtbot, dialog.cancel_button)
    assert accepted == []
    assert settings_path().read_bytes() == before
    # Escape is Cancel too; and a dialog opened again shows the file's values, not the abandoned edits.
    again, accepted_again = open_dialog(qtbot, parent, load_settings())
    again.seed_random_check.setChecked(True)
    qtbot.keyClick(again, Qt.Key.Key_Escape)
    assert accepted_again == [] and again.result() == QDialog.DialogCode.Rejected
    third, _ = open_dialog(qtbot, parent, load_settings())
    assert third.current_settings() == CHOSEN
    third.reject()


def test_apply_sends_now_and_cancel_after_it_keeps_what_was_applied(
    qtbot: QtBot, parent: QMainWindow
) -> None:
    dialog, accepted = open_dialog(qtbot, parent, Settings())
    dialog.theme_combo.setCurrentIndex(dialog.theme_combo.findText("Dark"))
    click(qtbot, dialog.apply_button)
    assert accepted == [(Settings(theme="dark"), False)]
    assert dialog.isVisible() and not dialog.apply_button.isEnabled()  # nothing new to apply
    dialog.n_threads_auto_check.setChecked(False)
    dialog.n_threads_spin.setValue(3)
    click(qtbot, dialog.apply_button)
    assert accepted[-1] == (Settings(theme="dark", n_threads=3), True)
    dialog.max_new_tokens_spin.setValue(100)
    click(qtbot, dialog.cancel_button)
    assert len(accepted) == 2  # the unapplied edit is dropped, the applied ones stand
    # OK with nothing changed since the last Apply closes without sending anything again.
    dialog2, accepted2 = open_dialog(qtbot, parent, Settings())
    click(qtbot, dialog2.ok_button)
    assert accepted2 == [] and not dialog2.isVisible()


EDITS: list[tuple[str, Callable[[SettingsDialog], None], bool]] = [
    ("temperature", lambda d: d.temperature_spin.setValue(0.3), False),
    ("max new tokens", lambda d: d.max_new_tokens_spin.setValue(1000), False),
    ("seed", lambda d: d.seed_random_check.setChecked(False), False),
    ("context size auto", lambda d: d.n_ctx_auto_check.setChecked(True), True),
    ("context size number", lambda d: d.n_ctx_spin.setValue(2048), True),
    ("CPU only", lambda d: d.gpu_layers_combo.setCurrentIndex(1), True),
    ("GPU layers number", lambda d: d.gpu_layers_spin.setValue(10), True),
    ("GPU layers auto", lambda d: d.gpu_layers_combo.setCurrentIndex(0), True),
    ("CPU threads", lambda d: d.n_threads_auto_check.setChecked(True), True),
    ("fold sections", lambda d: d.fold_sections_check.setChecked(False), False),
    ("theme", lambda d: d.theme_combo.setCurrentIndex(2), False),
    ("language", lambda d: d.language_combo.setCurrentIndex(1), False),
    ("models folder", lambda d: d._on_folder_dialog_file_selected("/other"), False),
]


@pytest.mark.parametrize(("edit", "needs_reload"), [(e[1], e[2]) for e in EDITS], ids=[e[0] for e in EDITS])
def test_needs_reload_is_said_for_what_the_model_is_loaded_with(
    qtbot: QtBot, parent: QMainWindow, edit: Callable[[SettingsDialog], None], needs_reload: bool
) -> None:
    start = Settings(n_ctx=4096, gpu_layers=20, n_threads=4)
    dialog, accepted = open_dialog(qtbot, parent, start)
    edit(dialog)
    assert dialog.reload_note.isVisible() is needs_reload  # said before OK, too
    click(qtbot, dialog.ok_button)
    [(new, reload)] = accepted
    assert new != start and reload is needs_reload


def test_numbers_cannot_leave_their_limits(qtbot: QtBot, parent: QMainWindow) -> None:
    dialog, accepted = open_dialog(qtbot, parent, Settings())
    spins = {
        "temperature": dialog.temperature_spin,
        "max_new_tokens": dialog.max_new_tokens_spin,
        "samples": dialog.samples_spin,
        "seed": dialog.seed_spin,
        "n_ctx": dialog.n_ctx_spin,
        "n_threads": dialog.n_threads_spin,
    }
    for name, spin in spins.items():
        assert (spin.minimum(), spin.maximum()) == NUMBER_LIMITS[name], name
    # GPU layers: 0 is "CPU only" (a choice of its own), a number goes from 1 to the limit.
    assert (dialog.gpu_layers_spin.minimum(), dialog.gpu_layers_spin.maximum()) == (1, 1024)
    assert dialog.seed_spin.maximum() == MAX_SEED == 2**32 - 2  # beyond a 32-bit QSpinBox: exact all the same
    dialog.seed_random_check.setChecked(False)
    dialog.n_ctx_auto_check.setChecked(False)
    dialog.n_threads_auto_check.setChecked(False)

    def typed(spin: Any, text: str) -> Any:
        """Type `text` over the box's value as a user would, and return what the box holds then."""
        spin.selectAll()
        qtbot.keyClicks(spin, text)
        spin.interpretText()
        return spin.value()

    assert typed(dialog.seed_spin, "4294967294") == MAX_SEED
    # Out of range, the box refuses the key (the digit that overflows, the minus) or keeps its value.
    for spin, text in [
        (dialog.seed_spin, "99999999999"),
        (dialog.n_ctx_spin, "100"),
        (dialog.n_ctx_spin, "999999999"),
        (dialog.n_threads_spin, "0"),
        (dialog.n_threads_spin, "9999"),
        (dialog.temperature_spin, "-1"),
        (dialog.temperature_spin, "7"),
        (dialog.max_new_tokens_spin, "-5"),
    ]:
        value = typed(spin, text)
        assert spin.minimum() <= value <= spin.maximum(), f"{spin.objectName()} took {text}: {value}"
    for spin in (*spins.values(), dialog.gpu_layers_spin):
        huge = 1e12 if isinstance(spin, QDoubleSpinBox) else 2**31 - 1  # what each kind can be handed
        spin.setValue(huge)
        assert spin.value() == spin.maximum()
        spin.setValue(-huge)
        assert spin.value() == spin.minimum()
    click(qtbot, dialog.ok_button)
    [(new, _)] = accepted
    assert new.seed == 0 and new.n_ctx == 256 and new.n_threads == 1 and new.temperature == 0.0
    assert new.max_new_tokens == 1
    # Whatever was typed, what the dialog sends loads back unchanged: every value is inside the limits.
    save_settings(new)
    assert load_settings() == new


def test_a_temperature_with_more_decimals_than_shown_is_not_changed_by_opening(
    qtbot: QtBot, parent: QMainWindow
) -> None:
    dialog, accepted = open_dialog(qtbot, parent, Settings(temperature=0.125))
    assert dialog.current_settings().temperature == 0.125
    dialog.max_new_tokens_spin.setValue(10)
    click(qtbot, dialog.apply_button)
    assert accepted[0][0].temperature == 0.125
    # Once the user moves it, the box's value is the temperature, also back where it started.
    dialog.temperature_spin.setValue(0.5)
    click(qtbot, dialog.apply_button)
    dialog.temperature_spin.setValue(0.13)
    click(qtbot, dialog.ok_button)
    assert [new.temperature for new, _ in accepted] == [0.125, 0.5, 0.13]


def test_models_folder_change_and_open(
    qtbot: QtBot, parent: QMainWindow, tmp_path: Path, opened_folders: list[str]
) -> None:
    dialog, accepted = open_dialog(qtbot, parent, Settings())
    click(qtbot, dialog.models_dir_open_button)
    assert opened_folders == [str(paths.models_dir())]
    assert paths.models_dir().is_dir()  # made, so there is something to open before any download

    chosen = tmp_path / "my models"
    chosen.mkdir()
    click(qtbot, dialog.models_dir_change_button)
    picker = dialog.findChild(QFileDialog, "modelsDirDialog")
    qtbot.waitUntil(picker.isVisible, timeout=5000)
    assert picker.fileMode() == QFileDialog.FileMode.Directory and dialog.isVisible()  # not blocking
    picker.fileSelected.emit(str(chosen))
    picker.reject()
    assert dialog.models_dir_edit.text() == str(chosen)
    # Choosing the default folder again means "the default" (it follows the data folder if that moves).
    dialog._on_folder_dialog_file_selected(str(paths.models_dir()))
    assert dialog.current_settings().models_dir == ""
    dialog._on_folder_dialog_file_selected(str(chosen))
    click(qtbot, dialog.ok_button)
    assert accepted == [(Settings(models_dir=str(chosen.resolve())), False)]


def test_dark_theme_from_the_dialog_reaches_a_real_transcript_page(qtbot: QtBot, parent: QMainWindow) -> None:
    from satori_desktop.ui.transcript import TranscriptView
    from satori_desktop.ui.transcript.assets import missing_assets

    assert not missing_assets(), "run `python packaging/fetch_web_assets.py` first"
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    view = TranscriptView()
    qtbot.addWidget(view)
    with qtbot.waitSignal(view.page_ready, timeout=20000):
        view.show()
    background = "getComputedStyle(document.documentElement).backgroundColor"
    assert run_js(qtbot, view, background) == "rgb(255, 255, 255)"
    dialog, _ = open_dialog(qtbot, parent, Settings())

    def on_accepted(new: Settings, _reload: bool) -> None:  # as the window does
        apply_theme(app, new.theme)
        view.set_theme(new.theme)

    dialog.settings_accepted.connect(on_accepted)
    dialog.theme_combo.setCurrentIndex(dialog.theme_combo.findText("Dark"))
    try:
        click(qtbot, dialog.ok_button)
        qtbot.waitUntil(view.is_idle, timeout=20000)
        dark = PAGE_BACKGROUND["dark"]
        assert run_js(qtbot, view, background) == "rgb({}, {}, {})".format(
            *(int(dark[i : i + 2], 16) for i in (1, 3, 5))
        )
        assert run_js(qtbot, view, "getComputedStyle(document.body).color") == "rgb(228, 232, 237)"
    finally:
        apply_theme(app, "system")
        errors = list(view.app_page().console_errors)
        delete_now(view)
    assert errors == []


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_screenshot(qtbot: QtBot, parent: QMainWindow, theme: str, tmp_path: Path) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    apply_theme(app, theme)
    try:
        dialog, _ = open_dialog(qtbot, parent, CHOSEN.with_changes(theme=theme, language="system"))
        dialog.n_threads_auto_check.setChecked(True)  # a pending reload: its note shows
        qtbot.wait(100)
        target = Path(os.environ.get(SCREENSHOT_DIR_ENV) or tmp_path)
        target.mkdir(parents=True, exist_ok=True)
        image = dialog.grab()
        assert not image.isNull() and image.save(str(target / f"settings-{theme}.png"))
        dialog.reject()
    finally:
        apply_theme(app, "system")
