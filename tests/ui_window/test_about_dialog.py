"""The About box and "Copy diagnostics", offscreen: what they show, what lands on the clipboard, the folder.

The clipboard is Qt's own (QApplication.clipboard()); the file manager is stood in for by a URL handler
for `file:`. The screenshot is saved under SATORI_SCREENSHOT_DIR when set (else a temp dir);
docs/screenshots/about.png comes from here, looked at by a person.
"""

from __future__ import annotations

import platform
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import llama_cpp
import pytest
import shiboken6
from PySide6 import QtCore
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QLabel, QMessageBox, QPushButton, QWidget
from pytestqt.qtbot import QtBot

from satori_desktop import __version__
from satori_desktop.core import paths
from satori_desktop.core.errors import UserFacingError
from satori_desktop.engine.types import LoadReport
from satori_desktop.ui import about_dialog
from satori_desktop.ui.about_dialog import COPIED_SENTENCE, AboutDialog, copy_diagnostics, show_about

HF_TOKEN = "hf_TestTokenOfTheAboutBox0123456789abcdef"

SATORI_ON_CUDA = LoadReport(
    model_path=Path("/models/satori-7b-round2-q4_k_m.gguf"),
    backend="CUDA",
    gpu_layers=29,
    total_layers=29,
    n_ctx=4096,
    n_ctx_train=4096,
    architecture="qwen2",
    is_satori=True,
)


@pytest.fixture(autouse=True)
def home_and_token(satori_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The app's files under the user's home (so the report must write `~`), and a token in the env."""
    monkeypatch.setenv("HOME", str(satori_home.parent))
    monkeypatch.setenv("USERPROFILE", str(satori_home.parent))
    monkeypatch.setenv("HF_TOKEN", HF_TOKEN)
    return satori_home.parent


@pytest.fixture
def window(qtbot: QtBot) -> Iterator[QWidget]:
    """Stands in for the main window: what the dialog and the boxes open over."""
    host = QWidget()
    host.setObjectName("hostWindow")
    host.resize(900, 640)
    host.show()
    yield host
    host.close()
    shiboken6.delete(host)  # takes the dialog and the boxes with it
    qtbot.wait(10)


def _text(dialog: AboutDialog, name: str) -> str:
    label = dialog.findChild(QLabel, name)
    assert label is not None, name
    return label.text()


def _button(dialog: AboutDialog, name: str) -> QPushButton:
    button = dialog.findChild(QPushButton, name)
    assert button is not None, name
    return button


def _opened(qtbot: QtBot, window: QWidget, report: LoadReport | None) -> AboutDialog:
    dialog = show_about(window, report)
    qtbot.waitUntil(lambda: _text(dialog, "aboutLlamaCpp") != "reading…", timeout=20_000)
    return dialog


def test_the_about_box_names_the_builds_the_model_and_the_licences(
    qtbot: QtBot, window: QWidget, shots: Path
) -> None:
    import PySide6

    offloads = llama_cpp.llama_supports_gpu_offload()
    # The model as this build would run it (a CPU-only build shows it on the CPU).
    report = SATORI_ON_CUDA if offloads else replace(SATORI_ON_CUDA, backend="CPU", gpu_layers=0)
    dialog = _opened(qtbot, window, report)
    assert dialog.isVisible() and dialog.windowModality() == Qt.WindowModality.WindowModal
    assert dialog.parentWidget() is window
    assert _text(dialog, "aboutTitle") == f"Satori Desktop {__version__}"
    assert "offline math assistant" in _text(dialog, "aboutSummary")
    assert _text(dialog, "aboutLlamaCpp") == f"llama-cpp-python {llama_cpp.__version__}"
    backend = _text(dialog, "aboutBackend")
    if offloads:
        assert "GPU offload" in backend and not backend.startswith("CPU build")
    else:
        assert backend.startswith("CPU build, no GPU offload\nCPU: ")
    assert _text(dialog, "aboutQt") == f"Qt {QtCore.qVersion()}, PySide6 {PySide6.__version__}"
    assert _text(dialog, "aboutPython").startswith(platform.python_version())
    model = _text(dialog, "aboutModel")
    if offloads:
        assert model == "satori-7b-round2-q4_k_m.gguf on CUDA, 29/29 layers on the GPU, context 4096"
    else:
        assert model == "satori-7b-round2-q4_k_m.gguf on CPU, 29 layers on the CPU, context 4096"
    assert _text(dialog, "aboutLicence").startswith("Apache-2.0")
    model_licence = _text(dialog, "aboutModelLicence")
    assert "Qwen2.5-Math-7B" in model_licence and "the model's page on the Hugging Face hub" in model_licence

    qtbot.wait(50)
    for label in dialog.findChildren(QLabel):  # the box grew to the text that arrived: nothing cut off
        if label.wordWrap() and label.text():
            assert label.height() >= label.heightForWidth(label.width()), label.objectName()
    assert dialog.grab().save(str(shots / "about.png"))

    close = _button(dialog, "closeButton")
    with qtbot.waitSignal(dialog.finished, timeout=5000):
        qtbot.mouseClick(close, Qt.MouseButton.LeftButton)


def test_without_a_model_it_says_so(qtbot: QtBot, window: QWidget) -> None:
    dialog = _opened(qtbot, window, None)
    assert _text(dialog, "aboutModel") == "no model loaded"
    assert _text(_opened(qtbot, window, SATORI_ON_CUDA), "aboutModel") == (
        "satori-7b-round2-q4_k_m.gguf on CUDA, 29/29 layers on the GPU, context 4096"
    )
    cpu_only = LoadReport(Path("/m/x.gguf"), "CPU", 0, 28, 2048, 4096, "qwen2", True)
    dialog.close()
    assert (
        _text(_opened(qtbot, window, cpu_only), "aboutModel")
        == "x.gguf on CPU, 28 layers on the CPU, context 2048"
    )


def test_copy_diagnostics_puts_the_report_on_the_clipboard(
    qtbot: QtBot, window: QWidget, home_and_token: Path
) -> None:
    QGuiApplication.clipboard().setText("something else")
    dialog = _opened(qtbot, window, SATORI_ON_CUDA)
    copy = _button(dialog, "copyDiagnosticsButton")
    qtbot.mouseClick(copy, Qt.MouseButton.LeftButton)
    assert not copy.isEnabled()  # gathering, off the GUI thread
    qtbot.waitUntil(lambda: _text(dialog, "aboutStatus") == COPIED_SENTENCE, timeout=30_000)
    assert copy.isEnabled() and dialog.isVisible()

    text = QGuiApplication.clipboard().text()
    assert text.startswith(f"Satori Desktop {__version__} diagnostics\n")
    assert f"llama-cpp-python: {llama_cpp.__version__}" in text
    assert f"Qt: {QtCore.qVersion()}" in text
    assert "Name: satori-7b-round2-q4_k_m.gguf" in text and "29 of 29 layers offloaded" in text
    assert "Qt platform: offscreen" in text  # read from the running application
    assert HF_TOKEN not in text
    assert str(home_and_token) not in text
    assert "Logs: ~/" in text


def test_the_help_menus_copy_tells_the_user_in_a_box(qtbot: QtBot, window: QWidget) -> None:
    QGuiApplication.clipboard().setText("something else")
    copier = copy_diagnostics(window, None)
    with qtbot.waitSignal(copier.copied, timeout=30_000):
        pass
    box = window.findChild(QMessageBox, "diagnosticsCopiedBox")
    qtbot.waitUntil(lambda: box is not None and box.isVisible())
    assert box is not None and box.text() == COPIED_SENTENCE
    assert box.windowModality() == Qt.WindowModality.WindowModal
    assert QGuiApplication.clipboard().text().startswith("Satori Desktop ")
    assert "## Loaded model\nno model loaded\n" in QGuiApplication.clipboard().text()
    box.close()


def test_a_failed_gathering_is_one_sentence(
    qtbot: QtBot, window: QWidget, monkeypatch: pytest.MonkeyPatch
) -> None:
    def gone(_report: LoadReport | None) -> str:
        raise UserFacingError("The log folder is on a disk that is gone: plug it in and try again.")

    monkeypatch.setattr(about_dialog, "diagnostics_text", gone)
    dialog = _opened(qtbot, window, None)
    qtbot.mouseClick(_button(dialog, "copyDiagnosticsButton"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "disk that is gone" in _text(dialog, "aboutStatus"), timeout=10_000)

    copier = copy_diagnostics(window, None)
    with qtbot.waitSignal(copier.failed, timeout=10_000):
        pass
    qtbot.waitUntil(lambda: window.findChild(QMessageBox, "diagnosticsFailedBox") is not None)


def test_a_llama_cpp_that_will_not_load_is_shown_as_unavailable(
    qtbot: QtBot, window: QWidget, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken() -> None:
        raise OSError(2, "No such file or directory", "libllama.so")

    monkeypatch.setattr(about_dialog, "llama_cpp_build", broken)
    dialog = _opened(qtbot, window, None)
    assert _text(dialog, "aboutLlamaCpp") == "unavailable (No such file or directory: libllama.so)"
    assert _text(dialog, "aboutBackend") == "unknown"


def test_closing_the_box_while_it_gathers_still_copies(qtbot: QtBot, window: QWidget) -> None:
    QGuiApplication.clipboard().setText("something else")
    dialog = _opened(qtbot, window, None)
    qtbot.mouseClick(_button(dialog, "copyDiagnosticsButton"), Qt.MouseButton.LeftButton)
    copier = dialog.copier
    assert copier is not None
    with qtbot.waitSignal(copier.copied, timeout=30_000):
        dialog.close()  # deleted on close; the copy goes on without it
    qtbot.waitUntil(lambda: not shiboken6.isValid(dialog))
    assert QGuiApplication.clipboard().text().startswith("Satori Desktop ")


def test_open_log_folder_opens_it_in_the_file_manager(
    qtbot: QtBot, window: QWidget, opened_folders: list[str]
) -> None:
    dialog = _opened(qtbot, window, None)
    qtbot.mouseClick(_button(dialog, "openLogFolderButton"), Qt.MouseButton.LeftButton)
    assert opened_folders == [str(paths.log_dir())]
    assert paths.log_dir().is_dir()  # made first: a file manager cannot open a folder that is not there
    assert dialog.isVisible()  # the box stays open
