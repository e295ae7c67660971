"""The answer card's "Copy LaTeX" button: the answer's source reaches the system clipboard as plain text.

Clicked through the page (a DOM click, as a mouse or the keyboard would), read back from Qt's clipboard.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QApplication

from tests.ui_transcript import traces
from tests.ui_transcript.conftest import run_js
from tests.ui_transcript.test_view import show_trace

Shot = Callable[[Any, str], Path]

COPY_BUTTON = "document.querySelector('.turn:last-of-type .answer-copy')"


def _bridge_connected(qtbot: Any, view: Any) -> None:
    qtbot.waitUntil(
        lambda: run_js(qtbot, view, "document.documentElement.classList.contains('can-copy')") is True,
        timeout=10000,
    )


def _click_copy(qtbot: Any, view: Any) -> None:
    run_js(qtbot, view, f"{COPY_BUTTON}.click(), 0")
    qtbot.waitUntil(lambda: run_js(qtbot, view, f"{COPY_BUTTON}.textContent") == "Copied", timeout=10000)


def test_copy_latex_puts_the_answer_source_on_the_clipboard(
    qtbot: Any, transcript_view: Any, screenshot: Shot
) -> None:
    clipboard = QApplication.clipboard()
    clipboard.setText("something else")
    raw = "<|continue|>So the answer is $\\boxed{\\frac{5 \\pm \\sqrt{1}}{2}}$."
    show_trace(qtbot, transcript_view, raw, question="Roots of $x^2 - 5x + 6$?")
    _bridge_connected(qtbot, transcript_view)
    button = run_js(
        qtbot,
        transcript_view,
        f"(b => [b.tagName, b.type, getComputedStyle(b).display, b.textContent])({COPY_BUTTON})",
    )
    assert button == ["BUTTON", "button", "flex", "Copy LaTeX"]  # shown (a flex item of the card head)
    _click_copy(qtbot, transcript_view)
    screenshot(transcript_view, "answer_copied")
    assert clipboard.text() == "\\frac{5 \\pm \\sqrt{1}}{2}"
    assert not clipboard.mimeData().hasHtml()
    # The confirmation goes away again by itself.
    qtbot.waitUntil(
        lambda: run_js(qtbot, transcript_view, f"{COPY_BUTTON}.textContent") == "Copy LaTeX", timeout=10000
    )


def test_copy_is_reachable_from_the_keyboard(qtbot: Any, transcript_view: Any) -> None:
    show_trace(qtbot, transcript_view, "<|continue|>$\\boxed{x = 3}$")
    _bridge_connected(qtbot, transcript_view)
    focused = run_js(qtbot, transcript_view, f"({COPY_BUTTON}.focus(), document.activeElement.className)")
    assert focused == "answer-copy"  # a real button: in the tab order, Enter/Space press it


def test_each_turn_copies_its_own_answer(qtbot: Any, transcript_view: Any) -> None:
    show_trace(qtbot, transcript_view, traces.NO_META, question="First")
    show_trace(qtbot, transcript_view, traces.SOLUTION, question="Second")
    _bridge_connected(qtbot, transcript_view)
    run_js(qtbot, transcript_view, "document.querySelector('.turn .answer-copy').click(), 0")
    qtbot.waitUntil(lambda: QApplication.clipboard().text() == "25", timeout=10000)
    _click_copy(qtbot, transcript_view)
    assert QApplication.clipboard().text() == "2"


def test_an_answer_with_markup_copies_as_text_and_runs_nothing(qtbot: Any, transcript_view: Any) -> None:
    show_trace(qtbot, transcript_view, traces.INJECTION)
    _bridge_connected(qtbot, transcript_view)
    _click_copy(qtbot, transcript_view)
    clipboard = QApplication.clipboard()
    assert clipboard.text() == "<script>window.pwned=7</script>"
    assert not clipboard.mimeData().hasHtml()
    assert run_js(qtbot, transcript_view, "typeof window.pwned") == "undefined"
    assert run_js(qtbot, transcript_view, "document.querySelectorAll('script').length") == 2


def test_the_bridge_offers_the_page_only_copying_and_the_copy_menu(qtbot: Any, transcript_view: Any) -> None:
    from PySide6.QtCore import QMetaMethod

    from satori_desktop.ui.transcript.bridge import ClipboardBridge

    _bridge_connected(qtbot, transcript_view)
    bridge = transcript_view.findChild(ClipboardBridge)
    # What a web channel publishes of an object: its public methods (signals are only notifications).
    meta = bridge.metaObject()
    callable_from_page = {
        bytes(meta.method(i).name().data()).decode()
        for i in range(meta.methodCount())
        if meta.method(i).access() == QMetaMethod.Access.Public
        and meta.method(i).methodType() != QMetaMethod.MethodType.Signal
    }
    # open_sample: a click on a row of a "solve several times" card (the view opens that solution).
    assert callable_from_page == {"copy_text", "show_menu", "open_sample", "deleteLater"}
    opened: list[tuple[int, int]] = []
    transcript_view.sample_requested.connect(lambda turn, index: opened.append((turn, index)))
    bridge.open_sample(0, 3)
    bridge.open_sample(-1, 3)  # out of range: refused
    bridge.open_sample(0, 5000)
    assert opened == [(0, 3)]
    # No signals either: the page is told nothing but through the page's own `satori` calls.
    assert not any(
        meta.method(i).methodType() == QMetaMethod.MethodType.Signal
        for i in range(meta.methodOffset(), meta.methodCount())
    )
    # QObject's own deleteLater cannot be left out of a published object, so the bridge ignores it.
    bridge.deleteLater()
    qtbot.wait(100)  # a deferred delete happens within the next turns of the event loop
    show_trace(qtbot, transcript_view, "<|continue|>$\\boxed{42}$")
    _click_copy(qtbot, transcript_view)
    assert QApplication.clipboard().text() == "42"


def test_exports_carry_no_copy_button(qtbot: Any, transcript_view: Any, tmp_path: Path) -> None:
    from satori_desktop.ui.transcript.export import export_trace

    out = tmp_path / "solution.html"
    export_trace(traces.SOLUTION, out, "html")
    body = out.read_text(encoding="utf-8").split("<body", 1)[1]  # the stylesheet names the class, fine
    assert "answer-copy" not in body and "Copy LaTeX" not in body
    assert 'class="answer-card"' in body
    # A picture of the page (export --format png lays every step out with renderAll) shows no controls.
    show_trace(qtbot, transcript_view, traces.SOLUTION)
    _bridge_connected(qtbot, transcript_view)
    shown = f"getComputedStyle({COPY_BUTTON}).display"
    assert run_js(qtbot, transcript_view, shown) == "flex"
    assert run_js(qtbot, transcript_view, f"(satori.renderAll(), {shown})") == "none"
