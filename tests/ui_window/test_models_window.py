"""The models window with real parts: a real store in the test's home, tiny GGUFs downloaded from the local
hub on 127.0.0.1 or imported, the real downloader, hashing and hardware probe, the window offscreen."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox, QPushButton, QTreeWidget, QTreeWidgetItem
from pytestqt.qtbot import QtBot

from satori_desktop.bench.local_hub import LocalHub
from satori_desktop.engine.hardware import HardwareInfo, format_bytes
from satori_desktop.models import catalog
from satori_desktop.models.install import install_remote
from satori_desktop.models.recommend import MachineRecommendation, recommend
from satori_desktop.models.store import InstalledModel, ModelStore
from satori_desktop.ui.models_window import INSTALLED_COLUMNS, ModelsWindow
from tests.support.hub import block_the_hub
from tests.support.tiny_gguf import write_tiny_gguf

REPO = "Triangle104/Satori-7B-Round2-Q4_K_M-GGUF"
FILE = "satori-7b-round2-q4_k_m.gguf"
# A repository the hub's search finds (not in the built-in list).
FOUND_REPO = "someone/Satori-7B-Round2-Q3_K_M-GGUF"
FOUND_FILE = "satori-7b-round2-q3_k_m.gguf"

MakeWindow = Callable[..., ModelsWindow]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("served")
    return {
        FILE: write_tiny_gguf(folder / FILE),
        FOUND_FILE: write_tiny_gguf(folder / FOUND_FILE, random_weights=True),
        # About 8 MB: a slow server takes seconds, long enough to see the download move.
        "larger": write_tiny_gguf(tmp_path_factory.mktemp("served-large") / FILE, n_vocab=8192, n_embd=128),
    }


@pytest.fixture
def hub(hub: LocalHub, served: dict[str, Path]) -> LocalHub:
    """The suite's local hub (tests/ui_window/conftest.py) with the two served models."""
    hub.add_file(REPO, FILE, served[FILE])
    hub.add_file(FOUND_REPO, FOUND_FILE, served[FOUND_FILE])
    return hub


@pytest.fixture
def make_window(qtbot: QtBot) -> Iterator[MakeWindow]:
    made: list[ModelsWindow] = []

    def make(**options: object) -> ModelsWindow:
        window = ModelsWindow(**options)  # type: ignore[arg-type]
        made.append(window)
        qtbot.addWidget(window)
        window.resize(980, 700)
        window.present()
        return window

    yield make
    for window in made:
        window.stop()
        window.close()


def _rows(tree: QTreeWidget) -> list[QTreeWidgetItem]:
    items = [tree.topLevelItem(i) for i in range(tree.topLevelItemCount())]
    return [item for item in items if item is not None]


def _texts(tree: QTreeWidget) -> list[list[str]]:
    return [[item.text(c) for c in range(tree.columnCount())] for item in _rows(tree)]


def _select(tree: QTreeWidget, first_column: str) -> None:
    for item in _rows(tree):
        if item.text(0) == first_column:
            tree.setCurrentItem(item)
            item.setSelected(True)
            return
    raise AssertionError(f"no row {first_column!r} in {[i.text(0) for i in _rows(tree)]}")


def _click(button: QPushButton) -> None:
    assert button.isEnabled(), button.objectName()
    button.click()


def _discovered(qtbot: QtBot, window: ModelsWindow) -> None:
    qtbot.waitUntil(lambda: window.available.topLevelItemCount() > 0, timeout=30_000)


def _installed(hub: LocalHub, served: dict[str, Path], tmp_path: Path) -> dict[str, InstalledModel]:
    """Three models as a student has them: one downloaded from the hub (into the models folder), one
    imported where it lies, one imported as a copy (so inside the models folder)."""
    store = ModelStore()
    downloaded, _ = install_remote(store, catalog.resolve_spec(f"{REPO}:{FILE}"))
    elsewhere = write_tiny_gguf(tmp_path / "my-files" / "own-satori.gguf", random_weights=True)
    imported = store.import_file(elsewhere)
    copied = store.import_file(write_tiny_gguf(tmp_path / "usb" / "copied-satori.gguf"), copy=True)
    return {"downloaded": downloaded, "imported": imported, "copied": copied}


def test_the_list_shows_each_installed_model_as_it_is(
    qtbot: QtBot,
    hub: LocalHub,
    served: dict[str, Path],
    tmp_path: Path,
    make_window: MakeWindow,
    shoot: Callable[..., Path],
) -> None:
    models = _installed(hub, served, tmp_path)
    window = make_window()
    assert window.isVisible() and not window.isModal()
    assert tuple(window.installed.headerItem().text(c) for c in range(6)) == INSTALLED_COLUMNS
    downloaded, imported, copied = models["downloaded"], models["imported"], models["copied"]
    assert _texts(window.installed) == [
        # A download's quantisation is read from its hub file name; an import's from the file's header.
        [downloaded.name, "Q4_K_M", format_bytes(downloaded.size), REPO, "Yes, when downloaded", "Default"],
        [imported.name, "F16", format_bytes(imported.size), "imported", "Not checked yet", ""],
        [copied.name, "F32", format_bytes(copied.size), "imported", "Not checked yet", ""],
    ]
    assert str(ModelStore().root) in window.folder_label.text()
    _discovered(qtbot, window)
    _select(window.installed, imported.name)
    qtbot.wait(100)
    shoot(window, "models-window")


def test_set_default_persists_and_is_signalled(
    qtbot: QtBot, hub: LocalHub, served: dict[str, Path], tmp_path: Path, make_window: MakeWindow
) -> None:
    models = _installed(hub, served, tmp_path)
    window = make_window()
    _select(window.installed, models["imported"].name)
    with qtbot.waitSignal(window.default_changed, timeout=5000) as changed:
        _click(window.default_button)
    assert changed.args[0].name == models["imported"].name
    assert ModelStore().default_model() == models["imported"]  # a new store reads it from the registry
    defaults = [row[0] for row in _texts(window.installed) if row[5] == "Default"]
    assert defaults == [models["imported"].name]
    assert "is now the default model" in window.message_text


def test_verify_shows_progress_and_the_verdict_and_finds_a_flipped_byte(
    qtbot: QtBot, served: dict[str, Path], tmp_path: Path, make_window: MakeWindow
) -> None:
    good = ModelStore().import_file(shutil.copy(served["larger"], tmp_path / "intact.gguf"))
    bad_path = Path(shutil.copy(served[FILE], tmp_path / "flipped.gguf"))
    bad = ModelStore().import_file(bad_path)
    window = make_window()
    fractions: list[float] = []
    window._verify_progressed.connect(fractions.append)

    _select(window.installed, good.name)
    _click(window.verify_button)
    assert window.verify_progress.isVisible() and not window.verify_button.isEnabled()
    qtbot.waitUntil(lambda: "verified" in window.message_text, timeout=30_000)
    assert window.message_text == f"{good.name} is verified: sha256 matches."
    assert fractions and fractions == sorted(fractions) and fractions[-1] == 1.0
    assert not window.verify_progress.isVisible()
    row = next(r for r in _texts(window.installed) if r[0] == good.name)
    assert row[4].startswith("Yes, checked ")

    data = bytearray(bad_path.read_bytes())
    data[len(data) // 2] ^= 0x01
    bad_path.write_bytes(bytes(data))
    _select(window.installed, bad.name)
    _click(window.verify_button)
    qtbot.waitUntil(lambda: "is damaged" in window.message_text, timeout=30_000)
    assert window.message_text.startswith("flipped.gguf is damaged (sha256 ")
    assert window.message_text.endswith("remove it and download it again.")
    assert next(r for r in _texts(window.installed) if r[0] == bad.name)[4] == "Damaged"


def _remove_question(qtbot: QtBot, window: ModelsWindow) -> QMessageBox:
    _click(window.remove_button)
    qtbot.waitUntil(lambda: window.findChild(QMessageBox, "removeQuestion") is not None, timeout=5000)
    box = window.findChild(QMessageBox, "removeQuestion")
    assert box is not None and box.isVisible() and box.windowModality() == Qt.WindowModality.WindowModal
    return box


def test_remove_asks_and_deletes_only_files_in_the_models_folder(
    qtbot: QtBot, hub: LocalHub, served: dict[str, Path], tmp_path: Path, make_window: MakeWindow
) -> None:
    models = _installed(hub, served, tmp_path)
    window = make_window()
    downloaded, imported = models["downloaded"], models["imported"]

    # Cancel leaves everything as it was.
    _select(window.installed, downloaded.name)
    box = _remove_question(qtbot, window)
    assert "will be deleted from the models folder" in box.text()
    box.button(QMessageBox.StandardButton.Cancel).click()
    qtbot.waitUntil(lambda: window.findChild(QMessageBox, "removeQuestion") is None, timeout=5000)
    assert downloaded.path.is_file() and len(ModelStore().models()) == 3

    # A download in the models folder: the question says the file goes, and it does.
    box = _remove_question(qtbot, window)
    with qtbot.waitSignal(window.default_changed, timeout=5000) as changed:  # it was the default
        box.findChild(QPushButton, "confirmRemoveButton").click()
    assert not downloaded.path.exists()
    assert window.message_text == f"Removed {downloaded.name}; its file was deleted."
    assert changed.args[0] == ModelStore().default_model() == imported

    # A file imported from elsewhere: only forgotten, and it stays on disk.
    qtbot.waitUntil(lambda: window.findChild(QMessageBox, "removeQuestion") is None, timeout=5000)
    _select(window.installed, imported.name)
    box = _remove_question(qtbot, window)
    assert "only forgotten" in box.text() and str(imported.path) in box.text()
    assert "deleted" not in box.text()
    box.findChild(QPushButton, "confirmRemoveButton").click()
    assert imported.path.is_file()
    assert "its file stays in" in window.message_text
    assert [m.name for m in ModelStore().models()] == [models["copied"].name]


def test_the_model_in_use_is_not_removed(
    qtbot: QtBot, served: dict[str, Path], tmp_path: Path, make_window: MakeWindow
) -> None:
    model = ModelStore().import_file(shutil.copy(served[FILE], tmp_path / "in-use.gguf"))
    window = make_window()
    window.set_loaded_model(model.path)
    _select(window.installed, model.name)
    _click(window.remove_button)
    assert window.findChild(QMessageBox, "removeQuestion") is None
    assert (
        window.message_text == f"{model.name} is the model in use: load another model first, then remove it."
    )
    # Choosing a model hands it to the main window, by button or double-click.
    with qtbot.waitSignal(window.model_chosen, timeout=5000) as chosen:
        _click(window.use_button)
    assert chosen.args == [model]
    with qtbot.waitSignal(window.model_chosen, timeout=5000):
        window.installed.itemDoubleClicked.emit(window.installed.currentItem(), 0)


def test_download_another_from_the_hub_with_the_fits_mark(
    qtbot: QtBot,
    hub: LocalHub,
    served: dict[str, Path],
    tmp_path: Path,
    make_window: MakeWindow,
    shoot: Callable[..., Path],
) -> None:
    installed = _installed(hub, served, tmp_path)
    hosted = hub.add_file(FOUND_REPO, FOUND_FILE, served["larger"])  # the found repo serves 8 MB
    hosted.faults.bytes_per_second = 1_500_000
    window = make_window()
    _discovered(qtbot, window)
    assert "This computer:" in window.machine_label.text() and not window.hub_note.isVisible()
    rows = {row[1]: row for row in _texts(window.available)}
    # The built-in repository and the one the hub's search found, with the hub's sizes and a fits mark;
    # the file already downloaded says so.
    assert rows["Q4_K_M"][:4] == [
        f"{FILE} (installed)",
        "Q4_K_M",
        format_bytes(served[FILE].stat().st_size),
        REPO,
    ]
    assert rows["Q3_K_M"][:4] == [FOUND_FILE, "Q3_K_M", format_bytes(hosted.size), FOUND_REPO]
    assert set(rows) == {"Q4_K_M", "Q3_K_M"}
    assert all(row[4].startswith("Fits: ") for row in rows.values())
    assert rows["Q4_K_M"][4].endswith("· recommended")  # the balanced Q4_K_M, which fits here

    _select(window.available, f"{FILE} (installed)")
    _click(window.download_button)
    assert window.message_text == f"{FILE} is installed already: it is in the list above."
    assert not window.download_box.isVisible()

    _select(window.available, FOUND_FILE)
    _click(window.download_button)
    qtbot.waitUntil(lambda: "left" in window.download_line.text(), timeout=30_000)
    assert " of " in window.download_line.text() and window.download_progress.value() > 0
    assert not window.download_button.isEnabled() and not window.move_folder_button.isEnabled()
    shoot(window, "models-window-downloading")

    # Pause keeps what arrived; Resume goes on from there (at full speed now) and the model is listed.
    _click(window.pause_button)
    qtbot.waitUntil(lambda: window.pause_button.text() == "Resume", timeout=10_000)
    hosted.faults.bytes_per_second = None
    _click(window.pause_button)
    qtbot.waitUntil(lambda: "Downloaded and verified" in window.message_text, timeout=60_000)
    model = ModelStore().get(FOUND_FILE)
    assert model.repo_id == FOUND_REPO and model.sha256 == hosted.sha256
    assert len(ModelStore().models()) == len(installed) + 1
    assert window.selected_model() == model
    assert window.installed.currentItem().text(3) == FOUND_REPO
    assert window.installed.currentItem().text(4) == "Yes, when downloaded"
    assert f"{FOUND_FILE} (installed)" in [row[0] for row in _texts(window.available)]
    assert not window.download_box.isVisible()


def test_a_machine_too_small_marks_every_file_so(
    qtbot: QtBot, hub: LocalHub, make_window: MakeWindow
) -> None:
    small = HardwareInfo(total_ram_bytes=64_000_000, free_ram_bytes=32_000_000, gpu_offload_supported=False)

    def small_machine() -> MachineRecommendation:
        entries, unreachable = catalog.discover_or_offline()
        return MachineRecommendation(small, recommend(small, entries), unreachable)

    window = make_window(recommend=small_machine)
    _discovered(qtbot, window)
    assert {row[4] for row in _texts(window.available)} == {"Too big for this machine"}
    assert "64.0 MB RAM" in window.machine_label.text()


def test_without_the_hub_the_built_in_list_has_estimated_sizes(qtbot: QtBot, make_window: MakeWindow) -> None:
    window = make_window()  # the suite keeps HF_HUB_OFFLINE=1
    _discovered(qtbot, window)
    assert window.hub_note.isVisible() and "cannot be reached" in window.hub_note.text()
    rows = _texts(window.available)
    assert {row[1] for row in rows} == {"Q4_K_S", "Q4_K_M", "Q6_K"}
    assert all(row[2].startswith("about ") for row in rows)


def test_a_download_that_fails_says_so_in_one_sentence(
    qtbot: QtBot, hub: LocalHub, make_window: MakeWindow
) -> None:
    window = make_window()
    _discovered(qtbot, window)
    hub.file(REPO, FILE).faults.status = 404  # the file went away after the list was shown
    _select(window.available, FILE)
    _click(window.download_button)
    qtbot.waitUntil(lambda: window.message_text != "", timeout=30_000)
    sentence = window.message_text
    assert "Traceback" not in sentence and sentence.count("\n") == 0 and sentence.endswith(".")
    assert window.pause_button.text() == "Resume" and ModelStore().models() == []


def test_open_and_move_the_models_folder(
    qtbot: QtBot, served: dict[str, Path], tmp_path: Path, make_window: MakeWindow, opened_folders: list[str]
) -> None:
    model = ModelStore().import_file(shutil.copy(served[FILE], tmp_path / "kept.gguf"), copy=True)
    old_root = ModelStore().root
    window = make_window()
    _click(window.open_folder_button)
    assert opened_folders == [str(old_root)]

    new_root = tmp_path / "bigger-disk" / "models"
    new_root.mkdir(parents=True)
    _click(window.move_folder_button)
    qtbot.waitUntil(lambda: window.findChild(QFileDialog, "moveFolderDialog") is not None, timeout=5000)
    dialog = window.findChild(QFileDialog, "moveFolderDialog")
    assert dialog is not None and dialog.fileMode() == QFileDialog.FileMode.Directory
    with qtbot.waitSignal(window.models_folder_moved, timeout=5000) as moved:
        dialog.selectFile(str(new_root))
        dialog.accept()
    assert moved.args == [new_root.resolve()] and ModelStore().root == new_root.resolve()
    assert f"Models folder: {new_root.resolve()}" == window.folder_label.text()
    assert "stay where they are" in window.message_text
    # The model already installed stays where it was, and stays listed.
    assert model.path.parent == old_root and model.path.is_file()
    assert [row[0] for row in _texts(window.installed)] == [model.name]


def test_a_mirror_chosen_while_the_window_is_open_is_asked_at_once(
    qtbot: QtBot,
    hub: LocalHub,
    served: dict[str, Path],
    make_window: MakeWindow,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # huggingface.co blocked (huggingface_hub's own address a port nothing answers at, no HF_ENDPOINT); the
    # local hub plays the mirror the settings then name.
    hub.add_file(REPO, FILE, served[FILE])
    block_the_hub(monkeypatch)
    window = make_window()
    _discovered(qtbot, window)
    assert (
        window.hub_note.isVisible()
        and "a mirror of it can be chosen in Settings > Files" in window.hub_note.text()
    )

    from satori_desktop.models import hub as hub_module

    hub_module.use_endpoint(hub.url)  # what the main window does with the new settings, then:
    window.hub_changed()
    qtbot.waitUntil(
        lambda: not window.hub_note.isVisible() and window.refresh_button.isEnabled(), timeout=30_000
    )
    rows = {row[1]: row for row in _texts(window.available)}
    assert not rows["Q4_K_M"][2].startswith("about ")  # the mirror's real size
