"""A new user's first start, in the real window: no model, the first-run page, and a model got through it.

Real parts throughout: the local hub on 127.0.0.1 (HF_ENDPOINT points the real huggingface_hub client
at it), the app's resumable downloader writing into the test's own models folder, and for the end-to-end
case the real llama.cpp engine loading the downloaded tiny GGUF and answering through the page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import shiboken6
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QFileDialog
from pytestqt.qtbot import QtBot

from satori_desktop.bench.local_hub import LocalHub
from satori_desktop.core.settings import Settings
from satori_desktop.engine.scripted import ScriptedEngine
from satori_desktop.engine.types import Engine, GenerationRequest
from satori_desktop.models.download import pending_downloads
from satori_desktop.models.store import ModelStore
from satori_desktop.ui.app import llama_engine_factory
from satori_desktop.ui.engine_worker import EngineWorker
from satori_desktop.ui.main_window import MainWindow
from satori_desktop.ui.settings_dialog import SettingsDialog
from tests.support.hub import block_the_hub
from tests.support.tiny_gguf import IM_END, script_grammar, write_tiny_gguf
from tests.ui_transcript.conftest import dom_state

REPO = "Triangle104/Satori-7B-Round2-Q4_K_M-GGUF"
FILE = "satori-7b-round2-q4_k_m.gguf"
SCRIPT = f"We add: $1+1=2$.<|reflect|>Check: $2-1=1$.<|continue|>So $\\boxed{{2}}$.{IM_END}"

MakeWindow = Callable[..., MainWindow]


@pytest.fixture(scope="module")
def small_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_gguf(tmp_path_factory.mktemp("served") / FILE)


@pytest.fixture(scope="module")
def larger_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """About 8 MB: a slow server takes seconds, long enough to pause and to close the app mid-way."""
    return write_tiny_gguf(tmp_path_factory.mktemp("served-large") / FILE, n_vocab=8192, n_embd=128)


@pytest.fixture
def make_window(qtbot: QtBot) -> Iterator[MakeWindow]:
    made: list[tuple[MainWindow, EngineWorker]] = []

    def make(factory: Callable[[], Engine] = ScriptedEngine, **options: object) -> MainWindow:
        worker = EngineWorker(factory)
        options.setdefault("model_path", None)
        window = MainWindow(worker, Settings(max_new_tokens=200), **options)  # type: ignore[arg-type]
        made.append((window, worker))
        qtbot.addWidget(window)
        window.resize(980, 720)
        window.show()
        return window

    yield make
    for window, worker in made:
        window.close()
        assert worker.shutdown(timeout_ms=30_000)
        shiboken6.delete(window)
    qtbot.wait(50)


def _recommended(qtbot: QtBot, window: MainWindow) -> None:
    qtbot.waitUntil(lambda: window.first_run.download_button.isEnabled(), timeout=30_000)


def test_from_no_model_to_a_solved_problem_with_the_real_engine(
    qtbot: QtBot, hub: LocalHub, small_model: Path, make_window: MakeWindow
) -> None:
    hub.add_file(REPO, FILE, small_model)
    window = make_window(
        llama_engine_factory, generation_defaults=GenerationRequest(prompt="", grammar=script_grammar(SCRIPT))
    )
    page = window.first_run
    assert window.pages.currentWidget() is page and window.model_label.text() == "No model"
    _recommended(qtbot, window)
    assert "This computer:" in page.machine.text() and not page.hub_note.isVisible()
    # What will be downloaded: the file, its size from the hub, where it goes, and that it runs offline.
    assert FILE in page.plan.text() and str(ModelStore().root) in page.plan.text()
    assert "runs offline" in page.plan.text() and "estimated" not in page.advice.text()
    qtbot.mouseClick(page.download_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.is_ready, timeout=60_000)
    # No restart: the conversation page is there with the model loaded, the problem box takes questions.
    assert window.pages.currentWidget() is window.chat_page
    assert window.model_label.text() == FILE
    installed = ModelStore().default_model()
    assert installed is not None and installed.sha256 == hub.file(REPO, FILE).sha256
    window.composer.set_text("What is 1+1?")
    with qtbot.waitSignal(window._worker.generation_finished, timeout=60_000) as finished:
        qtbot.keyClick(window.composer.editor, Qt.Key.Key_Return)
    assert finished.args[0].finish_reason == "stop"
    qtbot.waitUntil(window.transcript.is_idle, timeout=20_000)
    assert dom_state(qtbot, window.transcript)["answer_tex"] == "2"
    window.close()

    # After a restart the model is there (no first-run page) and the solved problem is in the sidebar.
    again = make_window(llama_engine_factory, model_path=installed.path)
    qtbot.waitUntil(lambda: again.is_ready and again.history_settled, timeout=60_000)
    assert again.pages.currentWidget() is again.chat_page
    [conversation_id] = again.sidebar.shown_ids()
    item = again.sidebar.item_for(conversation_id)
    assert item is not None and item.text(0) == "What is 1+1?"
    qtbot.mouseClick(
        again.sidebar.tree.viewport(),
        Qt.MouseButton.LeftButton,
        pos=again.sidebar.tree.visualItemRect(item).center(),
    )
    qtbot.waitUntil(lambda: again.history.conversation_id == conversation_id, timeout=5000)
    qtbot.waitUntil(again.transcript.is_idle, timeout=20_000)
    assert dom_state(qtbot, again.transcript)["answer_tex"] == "2"


def test_a_download_paused_and_left_resumes_after_a_restart_without_fetching_twice(
    qtbot: QtBot, hub: LocalHub, larger_model: Path, make_window: MakeWindow, shoot: Callable[..., Path]
) -> None:
    hosted = hub.add_file(REPO, FILE, larger_model)
    hosted.faults.bytes_per_second = 1_500_000
    first = make_window()
    _recommended(qtbot, first)
    qtbot.mouseClick(first.first_run.download_button, Qt.MouseButton.LeftButton)
    # Bytes, speed and time left, once the speed is known (after a fraction of a second).
    qtbot.waitUntil(lambda: "left" in first.first_run.progress_line.text(), timeout=30_000)
    line = first.first_run.progress_line.text()
    assert " of " in line and "/s" in line and first.first_run.progress_bar.value() > 0
    shoot(first, "first-run-downloading")
    qtbot.mouseClick(first.first_run.pause_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: first.first_run.pause_button.text() == "Resume", timeout=10_000)
    assert "Paused" in first.first_run.progress_line.text()
    first.close()  # the app is closed with the download paused
    [pending] = pending_downloads(ModelStore().root)
    assert 0 < pending.have_bytes < hosted.size

    hosted.faults.bytes_per_second = None
    second = make_window()
    page = second.first_run
    assert page.resume_note.isVisible() and "stopped at" in page.resume_note.text()
    assert page.download_button.text().startswith("Resume the download")
    shoot(second, "first-run-resume-offered")
    qtbot.mouseClick(page.download_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: second.is_ready, timeout=60_000)
    received = sum(r.body_bytes for r in hub.requests if r.method == "GET" and "/resolve/" in r.path)
    # What was on disk was not fetched again (the server may have had up to a chunk in flight at the pause).
    assert received <= hosted.size + 1024 * 1024
    installed = ModelStore().default_model()
    assert installed is not None and installed.sha256 == hosted.sha256
    assert pending_downloads(ModelStore().root) == []


def test_cancel_deletes_what_was_downloaded_and_offers_the_download_again(
    qtbot: QtBot, hub: LocalHub, larger_model: Path, make_window: MakeWindow
) -> None:
    hub.add_file(REPO, FILE, larger_model).faults.bytes_per_second = 1_500_000
    window = make_window()
    page = window.first_run
    _recommended(qtbot, window)
    qtbot.mouseClick(page.download_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.progress_bar.value() > 50, timeout=30_000)
    qtbot.mouseClick(page.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not page.progress_box.isVisible(), timeout=10_000)
    assert pending_downloads(ModelStore().root) == [] and list(ModelStore().root.glob("*.part")) == []
    assert page.download_button.isEnabled() and window.pages.currentWidget() is page


def test_a_hub_fault_is_one_sentence_and_resume_is_offered(
    qtbot: QtBot, hub: LocalHub, small_model: Path, make_window: MakeWindow
) -> None:
    hosted = hub.add_file(REPO, FILE, small_model)
    window = make_window()
    page = window.first_run
    _recommended(qtbot, window)
    hosted.faults.status = 404
    qtbot.mouseClick(page.download_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(page.error.isVisible, timeout=30_000)
    sentence = page.error.text()
    assert "404" in sentence and "\n" not in sentence and "Traceback" not in sentence
    hosted.faults.status = None
    qtbot.mouseClick(page.pause_button, Qt.MouseButton.LeftButton)  # it reads Resume now
    qtbot.waitUntil(lambda: window.is_ready, timeout=60_000)


def test_offline_the_page_still_recommends_from_estimates(
    qtbot: QtBot, make_window: MakeWindow, shoot: Callable[..., Path]
) -> None:
    window = make_window()  # the suite's HF_HUB_OFFLINE=1 holds here
    page = window.first_run
    qtbot.waitUntil(lambda: page.recommendation is not None, timeout=30_000)
    shoot(window, "first-run-offline")
    assert page.recommendation is not None and page.recommendation.recommendation.estimated
    assert page.hub_note.isVisible() and "estimates" in page.hub_note.text()
    assert "about 4.7 GB" in page.download_button.text()
    qtbot.mouseClick(page.download_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(page.error.isVisible, timeout=30_000)
    assert "offline" in page.error.text().lower()


def test_import_through_the_file_dialog(qtbot: QtBot, small_model: Path, make_window: MakeWindow) -> None:
    window = make_window()
    qtbot.mouseClick(window.first_run.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.findChild(QFileDialog, "importDialog") is not None, timeout=5000)
    dialog = window.findChild(QFileDialog, "importDialog")
    assert dialog is not None
    dialog.selectFile(str(small_model))
    dialog.accept()
    qtbot.waitUntil(lambda: window.is_ready, timeout=30_000)
    [model] = ModelStore().models()
    assert model.path == small_model and model.source == "import"  # imported where it is, not copied


def _drop(window: MainWindow, path: Path) -> bool:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    enter = QDragEnterEvent(
        QPoint(200, 200), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier(0)
    )
    QApplication.sendEvent(window, enter)
    if not enter.isAccepted():
        return False
    drop = QDropEvent(
        QPointF(200, 200), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier(0)
    )
    QApplication.sendEvent(window, drop)
    return drop.isAccepted()


def test_a_gguf_dropped_on_the_window_is_imported_and_other_files_are_not(
    qtbot: QtBot, small_model: Path, tmp_path: Path, make_window: MakeWindow
) -> None:
    window = make_window()
    text_file = tmp_path / "notes.txt"
    text_file.write_text("not a model", encoding="utf-8")
    assert not _drop(window, text_file)
    assert _drop(window, small_model)
    qtbot.waitUntil(lambda: window.is_ready, timeout=30_000)
    assert [m.path for m in ModelStore().models()] == [small_model]


def test_a_non_satori_model_is_allowed_with_its_warning(
    qtbot: QtBot, tmp_path: Path, make_window: MakeWindow
) -> None:
    other = write_tiny_gguf(tmp_path / "plain-llama.gguf", architecture="llama", coat_tokens=False)
    window = make_window()
    assert _drop(window, other)
    qtbot.waitUntil(lambda: window.is_ready, timeout=30_000)
    assert window.notice_bar.isVisible() and window.notice_bar.label.text()


def test_a_file_that_is_not_a_model_says_so_on_the_page(
    qtbot: QtBot, tmp_path: Path, make_window: MakeWindow
) -> None:
    fake = tmp_path / "broken.gguf"
    fake.write_bytes(b"this is not a GGUF file at all" * 10)
    window = make_window()
    assert _drop(window, fake)
    qtbot.waitUntil(window.first_run.error.isVisible, timeout=30_000)
    assert window.pages.currentWidget() is window.first_run
    assert "GGUF" in window.first_run.error.text() and ModelStore().models() == []


def test_where_the_hub_is_blocked_a_mirror_chosen_from_the_page_serves_the_download(
    qtbot: QtBot,
    hub: LocalHub,
    small_model: Path,
    make_window: MakeWindow,
    monkeypatch: pytest.MonkeyPatch,
    shoot: Callable[..., Path],
) -> None:
    # huggingface.co blocked: huggingface_hub's own address (and the file URLs it builds on it) is a port
    # nothing answers at, and no HF_ENDPOINT. The local hub plays the mirror.
    hub.add_file(REPO, FILE, small_model)
    block_the_hub(monkeypatch)
    window = make_window(llama_engine_factory)
    page = window.first_run
    qtbot.waitUntil(lambda: page.recommendation is not None, timeout=30_000)
    assert page.hub_note.isVisible() and "a mirror of it can serve the download" in page.hub_note.text()
    assert page.mirror_button.isVisible()
    qtbot.wait(100)
    shoot(window, "first-run-blocked")

    qtbot.mouseClick(page.mirror_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.findChild(SettingsDialog, "settingsDialog") is not None, timeout=5_000)
    dialog = window.findChild(SettingsDialog, "settingsDialog")
    assert dialog is not None and dialog.focusWidget() is dialog.hub_endpoint_edit
    dialog.hub_endpoint_edit.setText("ftp://mirror")  # not an address: said, and OK waits
    assert not dialog.hub_endpoint_error.isHidden() and not dialog.ok_button.isEnabled()
    assert "is not the address of a hub mirror" in dialog.hub_endpoint_error.text()
    qtbot.wait(100)
    shoot(dialog, "settings-mirror-invalid")
    dialog.hub_endpoint_edit.setText(hub.url + "/")
    assert dialog.hub_endpoint_error.isHidden() and dialog.ok_button.isEnabled()
    qtbot.wait(100)
    shoot(dialog, "settings-mirror")
    dialog.ok_button.click()
    assert window._settings.hub_endpoint == hub.url  # as the dialog writes it: no trailing slash

    # The page asks again, now through the mirror: real sizes, and the mirror named in the plan.
    qtbot.waitUntil(
        lambda: page.recommendation is not None and not page.recommendation.recommendation.estimated,
        timeout=30_000,
    )
    assert not page.hub_note.isVisible() and not page.mirror_button.isVisible()
    assert f"{REPO} (127.0.0.1:{hub.url.rsplit(':', 1)[1]})" in page.plan.text()
    qtbot.mouseClick(page.download_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.is_ready, timeout=60_000)
    assert window.model_label.text() == FILE
    assert hub.get_bytes_sent(FILE) == small_model.stat().st_size
