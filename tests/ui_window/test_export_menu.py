"""File > Export… in the window: the conversation on screen to the file and format chosen in the save
dialog (the dialog itself stands in: it would wait for a person), the name proposed from the title, the
format remembered, and problems as one sentence in the notice bar."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import shiboken6
from PySide6.QtWidgets import QFileDialog
from pytestqt.qtbot import QtBot

from satori_desktop.core.settings import Settings
from satori_desktop.engine.scripted import ScriptedEngine
from satori_desktop.ui.engine_worker import EngineWorker
from satori_desktop.ui.export_dialog import file_name_for
from satori_desktop.ui.main_window import MainWindow
from tests.documents.programs import pdf_text


class SaveDialog:
    """Answers QFileDialog.getSaveFileName with the next of `answers`, and keeps what it was asked."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.answers: list[tuple[str, str]] = []
        self.asked: list[tuple[Any, ...]] = []
        monkeypatch.setattr(QFileDialog, "getSaveFileName", self._answer)

    def _answer(self, *args: Any) -> tuple[str, str]:
        self.asked.append(args)
        return self.answers.pop(0)


@pytest.fixture
def window(qtbot: QtBot) -> Iterator[MainWindow]:
    worker = EngineWorker(lambda: ScriptedEngine(tokens_per_second=None))
    made = MainWindow(worker, Settings(), model_path=Path("demo.gguf"))
    qtbot.addWidget(made)
    made.resize(1000, 700)
    made.show()
    qtbot.waitUntil(lambda: made.is_ready and made.history.store is not None, timeout=30_000)
    yield made
    made.close()
    assert worker.shutdown(timeout_ms=20_000)
    shiboken6.delete(made)
    qtbot.wait(50)


def _answer(qtbot: QtBot, window: MainWindow, question: str) -> None:
    with qtbot.waitSignal(window._worker.generation_finished, timeout=20_000):
        window.ask(question)
    qtbot.waitUntil(window.transcript.is_idle, timeout=20_000)
    store, conversation_id = window.history.store, window.history.conversation_id
    assert store is not None and conversation_id is not None

    def saved() -> bool:
        stored = store.get_conversation(conversation_id)
        return stored is not None and bool(stored.turns) and stored.turns[-1].finish_reason == "stop"

    qtbot.waitUntil(saved, timeout=20_000)


def test_export_writes_the_conversation_in_the_chosen_format(
    qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    dialog = SaveDialog(monkeypatch)
    _answer(qtbot, window, "What is the sum of the roots of $x^2 - 5x + 6 = 0$?")
    # A name typed without a suffix: the chosen filter gives the format.
    dialog.answers.append((str(tmp_path / "roots"), "Word document (*.docx)"))
    window.export_action.trigger()
    _, caption, suggested, filters, selected = dialog.asked[0]
    assert caption == "Export the conversation" and selected.startswith("Word document")
    assert (
        Path(suggested).name == file_name_for("What is the sum of the roots of $x^2 - 5x + 6 = 0$?") + ".docx"
    )
    assert filters.split(";;")[0] == "Word document (*.docx)" and "PDF (*.pdf)" in filters
    with zipfile.ZipFile(tmp_path / "roots.docx") as docx:
        document = docx.read("word/document.xml").decode("utf-8")
    assert document.count("<m:oMath>") >= 8 and "Checking the work" in document
    # The folder and the format are remembered; a PDF is the page printed.
    dialog.answers.append((str(tmp_path / "roots.pdf"), "PDF (*.pdf)"))
    window.export_action.trigger()
    assert Path(dialog.asked[1][2]).parent == tmp_path and Path(dialog.asked[1][2]).suffix == ".docx"
    assert "sum of the roots" in pdf_text(tmp_path / "roots.pdf")
    assert not window.notice_bar.isVisible()


def test_problems_are_one_sentence_in_the_notice_bar(
    qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    dialog = SaveDialog(monkeypatch)
    window.export_action.trigger()  # nothing asked yet
    assert dialog.asked == [] and "nothing to export yet" in window.notice_bar.label.text()
    _answer(qtbot, window, "Solve $2x = 4$")
    blocker = tmp_path / "a-file"
    blocker.write_text("", encoding="utf-8")
    dialog.answers.append((str(blocker / "x.md"), "Markdown (*.md)"))
    window.export_action.trigger()
    last = window.notice_bar.label.text().splitlines()[-1]
    assert window.notice_bar.isVisible() and last.startswith("Could not write") and "is a file" in last
    dialog.answers.append(("", ""))  # cancelled: nothing happens
    window.export_action.trigger()
    assert len(dialog.asked) == 2


@pytest.mark.parametrize(
    ("title", "name"),
    [
        ("Solve $x/2 = 3$: why?", "Solve $x 2 = 3$ why"),
        ("解方程 x² = 4", "解方程 x² = 4"),
        ("...", "Satori solution"),
        ("a" * 200, "a" * 80),
    ],
)
def test_file_names_from_titles(title: str, name: str) -> None:
    assert file_name_for(title) == name
