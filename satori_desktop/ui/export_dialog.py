"""File > Export…: the conversation on screen to a file, in any of the export formats.

A save dialog offers one filter per format (Word first: what most people want to hand in), proposes a
file name made from the conversation's title in the folder last exported to, and remembers the format
chosen last. The export itself is `ui.transcript.export.export_solution`, the same as the command line's.
The conversation is the stored one when the history has it (its title, its turns as recorded), else the
turns of the window's conversation as they are now. Problems come back as one sentence for the window's
notice bar; nothing here raises.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, cast

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QSettings, QStandardPaths, Qt
from PySide6.QtWidgets import QApplication, QFileDialog, QWidget

from satori_desktop.core.errors import UserFacingError
from satori_desktop.core.prompt import Conversation as WindowConversation
from satori_desktop.documents.formats import (
    FORMAT_SUFFIXES,
    ExportFormat,
    ExportResult,
    default_suffix,
    format_of_path,
)
from satori_desktop.documents.solution import (
    DEFAULT_TITLE,
    Solution,
    solution_from_conversation,
    solved_question,
)
from satori_desktop.history.records import default_title

if TYPE_CHECKING:
    from satori_desktop.history import HistoryStore

log = logging.getLogger(__name__)

# The formats in the order the dialog lists them.
DIALOG_FORMATS: tuple[ExportFormat, ...] = ("docx", "pdf", "html", "tex", "md", "png")
DEFAULT_FORMAT: ExportFormat = "docx"
_FORMAT_NAMES: dict[ExportFormat, object] = {  # PySide6 types QT_TRANSLATE_NOOP as object
    "docx": QT_TRANSLATE_NOOP("ExportDialog", "Word document"),
    "pdf": QT_TRANSLATE_NOOP("ExportDialog", "PDF"),
    "html": QT_TRANSLATE_NOOP("ExportDialog", "Web page"),
    "tex": QT_TRANSLATE_NOOP("ExportDialog", "LaTeX"),
    "md": QT_TRANSLATE_NOOP("ExportDialog", "Markdown"),
    "png": QT_TRANSLATE_NOOP("ExportDialog", "Picture (PNG)"),
}

# The export under way, if any: one at a time.
_exporting: list[Path] = []
_NOT_IN_A_FILE_NAME = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]+')
MAX_NAME_CHARS = 80


def file_name_for(title: str) -> str:
    """A file name (without suffix) from a conversation's title, valid on Windows, macOS and Linux."""
    name = _NOT_IN_A_FILE_NAME.sub(" ", title)
    name = re.sub(r"\s+", " ", name).strip(" .")
    return name[:MAX_NAME_CHARS].rstrip(" .") or DEFAULT_TITLE


def filter_for(fmt: ExportFormat) -> str:
    patterns = " ".join(f"*{suffix}" for suffix in FORMAT_SUFFIXES[fmt])
    name = QCoreApplication.translate("ExportDialog", str(_FORMAT_NAMES[fmt]))
    return f"{name} ({patterns})"


def window_solution(
    store: HistoryStore | None, conversation_id: int | None, conversation: WindowConversation
) -> Solution | None:
    """What the window shows, as a solution: the stored conversation, else the window's own turns (the
    history may be off, or the first answer not saved yet). None when there is nothing to export."""
    if store is not None and conversation_id is not None:
        try:
            stored = store.get_conversation(conversation_id)
        except UserFacingError as exc:  # the file went away meanwhile: what the window shows still counts
            log.warning("exporting the window's turns: %s", exc)
            stored = None
        if stored is not None and stored.turns:
            return solution_from_conversation(stored)
    turns = conversation.turns
    if not turns:
        return None
    questions = tuple(
        solved_question(turn.question, turn.answer or "", "stop" if turn.answer is not None else None)
        for turn in turns
    )
    return Solution(default_title(turns[0].question), time.time(), questions)


def ask_export_path(parent: QWidget, title: str, settings: QSettings) -> tuple[Path, ExportFormat] | None:
    """The file and format the user chose in a save dialog, or None when they cancelled."""
    last = str(settings.value("export/format", DEFAULT_FORMAT))
    chosen_format = cast(ExportFormat, last) if last in DIALOG_FORMATS else DEFAULT_FORMAT
    folder = str(settings.value("export/folder", "")) or QStandardPaths.writableLocation(
        QStandardPaths.StandardLocation.DocumentsLocation
    )
    suggested = Path(folder) / (file_name_for(title) + default_suffix(chosen_format))
    filters = [filter_for(fmt) for fmt in DIALOG_FORMATS]
    name, selected = QFileDialog.getSaveFileName(
        parent,
        QCoreApplication.translate("ExportDialog", "Export the conversation"),
        str(suggested),
        ";;".join(filters),
        filter_for(chosen_format),
    )
    if not name:
        return None
    path = Path(name)
    fmt = format_of_path(path)
    if fmt is None:  # no suffix (or an unknown one) typed: the chosen filter says, and gives the suffix
        fmt = DIALOG_FORMATS[filters.index(selected)] if selected in filters else chosen_format
        path = path.with_name(path.name + default_suffix(fmt))
    settings.setValue("export/format", fmt)
    settings.setValue("export/folder", str(path.parent))
    return path, fmt


def export_window_conversation(
    parent: QWidget,
    solution: Solution | None,
    settings: QSettings,
    report: Callable[[str], None],
) -> ExportResult | None:
    """Ask where, then export; a problem (nothing to export, a folder that cannot be written) goes to
    `report` as one sentence, and so does a formula that had to be written as its source."""
    if _exporting:  # the page export waits in an event loop, where the menu still answers
        return None
    if solution is None:
        report(
            QCoreApplication.translate(
                "ExportDialog", "There is nothing to export yet: ask a question first."
            )
        )
        return None
    chosen = ask_export_path(parent, solution.title, settings)
    if chosen is None:
        return None
    path, fmt = chosen
    from satori_desktop.ui.i18n.documents import document_labels
    from satori_desktop.ui.transcript.export import export_solution  # the web engine: only now

    _exporting.append(path)
    QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
    try:
        result = export_solution(solution, path, fmt, labels=document_labels())
    except UserFacingError as exc:
        report(str(exc))
        return None
    except Exception:  # a bug: the log has the traceback, the window one sentence
        log.exception("export to %s failed", path)
        failed = QCoreApplication.translate("ExportDialog", "The export to %1 failed; the log file says why.")
        report(failed.replace("%1", str(path)))
        return None
    finally:
        QApplication.restoreOverrideCursor()
        _exporting.clear()
    if result.fallbacks:
        written_as_source = QCoreApplication.translate(
            "ExportDialog",
            "Exported to %1. %2 formulas are not valid LaTeX and are written as their source there.",
        )
        # %2 first: a path holding "%2" must stay as it is.
        report(written_as_source.replace("%2", str(result.fallbacks)).replace("%1", str(path)))
    return result


__all__ = [
    "DIALOG_FORMATS",
    "ask_export_path",
    "export_window_conversation",
    "file_name_for",
    "filter_for",
    "window_solution",
]
