"""The window's Edit menu copies the last solution on the page, as Markdown or for Word (the formats:
tests/ui_transcript/test_clipboard_formats.py; the page's own menus: test_clipboard_page.py)."""

from __future__ import annotations

from PySide6.QtGui import QGuiApplication
from pytestqt.qtbot import QtBot

from satori_desktop.engine.scripted import ScriptedEngine
from tests.ui_window.test_window import MakeWindow, _finish, make_window

__all__ = ["make_window"]  # the fixture, used by name below


def test_edit_menu_copies_the_solution(qtbot: QtBot, make_window: MakeWindow) -> None:
    window = make_window(ScriptedEngine(tokens_per_second=None))
    copier = window.transcript.copier
    window.copy_solution_markdown_action.trigger()
    assert copier.last_outcome is not None and not copier.last_outcome.ok  # nothing on the page yet
    window.ask("Sum of the roots?")
    _finish(qtbot, window)
    qtbot.waitUntil(window.transcript.is_idle, timeout=20_000)
    window.copy_solution_markdown_action.trigger()
    assert copier.last_outcome is not None and copier.last_outcome.ok
    text = QGuiApplication.clipboard().text()
    assert text.startswith("**Problem**\n\nSum of the roots?\n\n") and text.endswith("**Answer**\n\n$$5$$\n")
    assert not QGuiApplication.clipboard().mimeData().hasHtml()
    window.copy_solution_word_action.trigger()
    mime = QGuiApplication.clipboard().mimeData()
    assert (
        mime.hasHtml() and '<math xmlns="http://www.w3.org/1998/Math/MathML" display="block">' in mime.html()
    )
    assert mime.text() == text
