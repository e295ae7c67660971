"""The copy menus through the real transcript page: a right-click on a formula, a step or a turn (real
mouse events, or the page's own `contextmenu` event), the answer card's split button from the keyboard,
the window's "Copy solution"; each choice read back from Qt's clipboard, the page's notice read from the
page. Pictures of the open menus, light and dark, go to SATORI_SCREENSHOT_DIR.
"""

from __future__ import annotations

import json
import os
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QGuiApplication, QPainter
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMenu

from satori_desktop.ui.clipboard import HTML_MIME, MATHML_MIME, PLAIN_MIME
from tests.support.qt_env import startup_noise
from tests.ui_transcript import traces
from tests.ui_transcript.conftest import SCREENSHOT_DIR_ENV, run_js
from tests.ui_transcript.test_clipboard_formats import check_mathml_xml, check_word_html
from tests.ui_transcript.test_view import show_trace

Shot = Callable[[Any, str], Path]

# A popup menu on Qt's offscreen platform: it has no window stacking and no keyboard grab to give, and
# says so. Facts of the test machine, like the GPU notes (startup_noise); a test-level mark replaces the
# conftest's, so it names both.
MENU_NOISE = pytest.mark.qt_log_ignore(
    *startup_noise(),
    "^This plugin does not support raise\\(\\)$",
    "^This plugin does not support grabbing the keyboard$",
)

QUESTION = "Find $x$ if $2x + 3 = 7$ (写出步骤)."
TRACE = r"""Subtract 3 from both sides: $2x = 4$, so
\[
x = \frac{4}{2}
\]

<|reflect|>
Check: $2 \cdot 2 + 3 = 7$. **Correct.**

<|continue|>
The answer is $\boxed{2}$."""

FORMULA_WORD = ["formula-word", "formula-latex", "formula-markdown", "formula-unicode", "formula-picture"]
STEP_AND_SOLUTION = ["step-markdown", "step-word", "solution-markdown", "solution-word"]


def bridge_connected(qtbot: Any, view: Any) -> None:
    qtbot.waitUntil(
        lambda: run_js(qtbot, view, "document.documentElement.classList.contains('can-copy')") is True,
        timeout=10000,
    )


def show(qtbot: Any, view: Any, raw: str = TRACE, question: str = QUESTION) -> None:
    show_trace(qtbot, view, raw, question=question)
    bridge_connected(qtbot, view)


def open_menu(qtbot: Any) -> QMenu:
    """The copy menu (or the view's own small menu) once it is on screen."""

    def shown() -> QMenu | None:
        menu = QApplication.activePopupWidget()
        return menu if isinstance(menu, QMenu) and menu.isVisible() else None

    qtbot.waitUntil(lambda: shown() is not None, timeout=10000)
    menu = shown()
    assert menu is not None
    return menu


def entries(menu: QMenu) -> list[str]:
    return [action.objectName() or action.text() for action in menu.actions() if not action.isSeparator()]


def center_of(qtbot: Any, view: Any, selector: str) -> QPoint:
    x, y = run_js(
        qtbot,
        view,
        f"(r => [r.left + r.width / 2, r.top + r.height / 2])"
        f"(document.querySelector({json.dumps(selector)}).getBoundingClientRect())",
    )
    return QPoint(round(x), round(y))


def right_click(qtbot: Any, view: Any, selector: str) -> QMenu:
    """A real right-click (mouse events to the web view's input widget) on the element's middle."""
    run_js(
        qtbot, view, f"document.querySelector({json.dumps(selector)}).scrollIntoView({{block: 'center'}}), 0"
    )
    point = center_of(qtbot, view, selector)
    target = view.focusProxy()
    QTest.mouseMove(target, point)
    QTest.mousePress(target, Qt.MouseButton.RightButton, Qt.KeyboardModifier.NoModifier, point)
    QTest.mouseRelease(target, Qt.MouseButton.RightButton, Qt.KeyboardModifier.NoModifier, point)
    return open_menu(qtbot)


def context_event(qtbot: Any, view: Any, selector: str) -> QMenu:
    """The page's `contextmenu` event on the element, as the context-menu key or a click would send."""
    run_js(
        qtbot,
        view,
        f"document.querySelector({json.dumps(selector)}).dispatchEvent(new MouseEvent('contextmenu', "
        "{bubbles: true, cancelable: true, clientX: 30, clientY: 40})), 0",
    )
    return open_menu(qtbot)


def choose(qtbot: Any, menu: QMenu, name: str) -> Any:
    """Pick a choice of the menu, as a click would (the menu closes, the copy runs right after)."""
    view = menu.parent()
    view.copier.last_outcome = None
    action = next(a for a in menu.actions() if a.objectName() == name)
    menu.close()
    action.trigger()
    qtbot.waitUntil(lambda: view.copier.last_outcome is not None, timeout=20000)
    return view.copier.last_outcome


def notice(qtbot: Any, view: Any, contains: str) -> dict[str, Any]:
    js = "(b => b && {text: b.textContent, problem: b.classList.contains('is-problem')})" + (
        "(document.getElementById('copy-notice'))"
    )
    qtbot.waitUntil(lambda: contains in ((run_js(qtbot, view, js) or {}).get("text") or ""), timeout=10000)
    shown: dict[str, Any] = run_js(qtbot, view, js)
    return shown


def clipboard() -> Any:
    mime = QGuiApplication.clipboard().mimeData()
    assert mime is not None
    return mime


def picture_with_menu(qtbot: Any, view: Any, menu: QMenu, screenshot: Shot, name: str) -> Path:
    """The view and the menu over it, as the reader sees them (the menu is a window of its own)."""
    path = screenshot(view, name)
    image = view.grab().toImage()
    painter = QPainter(image)
    offset = menu.mapToGlobal(QPoint(0, 0)) - view.mapToGlobal(QPoint(0, 0))
    painter.drawPixmap(offset, menu.grab())
    painter.end()
    assert image.save(str(path))
    return path


@pytest.fixture
def themed(qapp: Any) -> Any:
    """`themed(view, theme)`: the window's look and the page's, as the app applies them (the menu is a
    widget, so it takes the application's palette); the platform's own look comes back after the test."""
    from satori_desktop.ui.theme import apply_theme

    def apply(view: Any, theme: str) -> None:
        view.set_theme(apply_theme(qapp, theme))

    yield apply
    apply_theme(qapp, "system")


@pytest.fixture(autouse=True)
def _screens_somewhere(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    if not os.environ.get(SCREENSHOT_DIR_ENV):
        monkeypatch.setenv(SCREENSHOT_DIR_ENV, str(tmp_path / "screens"))


@MENU_NOISE
@pytest.mark.parametrize("theme", ["light", "dark"])
def test_right_click_on_a_formula_and_copy_it_for_word(
    qtbot: Any, transcript_view: Any, screenshot: Shot, themed: Any, theme: str
) -> None:
    themed(transcript_view, theme)
    show(qtbot, transcript_view)
    menu = right_click(qtbot, transcript_view, ".step-start .katex-display")
    assert entries(menu) == [*FORMULA_WORD, *STEP_AND_SOLUTION, "Copy", "Select all"]
    # Where the click was (the page's viewport pixels, mapped to the screen).
    clicked = transcript_view.mapToGlobal(center_of(qtbot, transcript_view, ".step-start .katex-display"))
    assert (menu.pos() - clicked).manhattanLength() <= 2
    picture_with_menu(qtbot, transcript_view, menu, screenshot, f"copy_menu_formula_{theme}")
    choose(qtbot, menu, "formula-word")
    mime = clipboard()
    check_word_html(mime.html(), allow_text=False)
    assert 'display="block"' in mime.html()
    assert mime.text() == "$$x = \\frac{4}{2}$$"
    if sys.platform.startswith("linux"):
        root = check_mathml_xml(bytes(mime.data(MATHML_MIME).data()), True)
        assert root.find(".//{http://www.w3.org/1998/Math/MathML}mfrac") is not None
    shown = notice(qtbot, transcript_view, "Copied for Word")
    assert shown["problem"] is False
    screenshot(transcript_view, f"copy_notice_{theme}")


@MENU_NOISE
def test_every_formula_choice(qtbot: Any, transcript_view: Any) -> None:
    show(qtbot, transcript_view)
    inline = ".step-reflect .math-inline"
    run_js(qtbot, transcript_view, "document.querySelector('.step-reflect').classList.add('is-open'), 0")
    expected = {
        "formula-latex": "2 \\cdot 2 + 3 = 7",
        "formula-markdown": "$2 \\cdot 2 + 3 = 7$",
        "formula-unicode": "2 ⋅ 2 + 3 = 7",
    }
    for name, text in expected.items():
        menu = context_event(qtbot, transcript_view, inline)
        choose(qtbot, menu, name)
        assert clipboard().formats() == [PLAIN_MIME]
        assert clipboard().text() == text, name
    menu = context_event(qtbot, transcript_view, inline)
    choose(qtbot, menu, "formula-word")
    assert 'display="block"' not in clipboard().html()  # an inline formula stays inline
    # The question's formulas have the formula choices and the solution's, no step.
    menu = context_event(qtbot, transcript_view, ".question .math-inline")
    assert entries(menu) == [*FORMULA_WORD, "solution-markdown", "solution-word", "Copy", "Select all"]
    menu.close()


@MENU_NOISE
def test_copy_as_picture(qtbot: Any, transcript_view: Any) -> None:
    show(qtbot, transcript_view)
    # The formula's ink box on the page: its KaTeX lines (the display block itself is as wide as the page).
    width, height = run_js(
        qtbot,
        transcript_view,
        "(rs => [Math.max(...rs.map(r => r.right)) - Math.min(...rs.map(r => r.left)),"
        " Math.max(...rs.map(r => r.bottom)) - Math.min(...rs.map(r => r.top))])"
        "([...document.querySelectorAll('.step-start .katex-display .katex-html > *')]"
        ".map(b => b.getBoundingClientRect()))",
    )
    outcome = choose(
        qtbot, context_event(qtbot, transcript_view, ".step-start .katex-display"), "formula-picture"
    )
    assert outcome.ok, outcome.notice
    mime = clipboard()
    assert mime.hasImage() and not mime.hasText()
    image = mime.imageData()
    # Twice the formula's size on screen (plus a small margin), and marked as 192 dpi so a word processor
    # inserts it at its on-screen size.
    assert 1.6 * width <= image.width() <= 2 * width + 64, (image.width(), width)
    assert 1.6 * height <= image.height() <= 2 * height + 64, (image.height(), height)
    assert abs(image.dotsPerMeterX() - 192 / 0.0254) < 2
    # Not blank: ink on an opaque white background.
    pixels = [image.pixelColor(x, y) for x in range(0, image.width(), 2) for y in range(0, image.height(), 2)]
    dark = sum(1 for c in pixels if c.lightness() < 100)
    assert image.pixelColor(0, 0).name() == "#ffffff" and image.pixelColor(0, 0).alpha() == 255
    assert 0.01 * len(pixels) < dark < 0.5 * len(pixels)
    screens = Path(os.environ[SCREENSHOT_DIR_ENV])
    screens.mkdir(parents=True, exist_ok=True)
    assert image.save(str(screens / "copied_picture.png"))
    notice(qtbot, transcript_view, "Copied as a picture.")


@MENU_NOISE
def test_a_formula_without_a_plain_text_form_copies_its_latex_and_says_so(
    qtbot: Any, transcript_view: Any
) -> None:
    show(qtbot, transcript_view, "<|continue|>$$\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}$$")
    choose(qtbot, context_event(qtbot, transcript_view, ".step .katex"), "formula-unicode")
    assert clipboard().text() == "\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}"
    assert notice(qtbot, transcript_view, "Its LaTeX was copied instead.")["problem"] is True


@MENU_NOISE
def test_a_step_and_the_solution(qtbot: Any, transcript_view: Any) -> None:
    show(qtbot, transcript_view)
    menu = context_event(qtbot, transcript_view, ".step-start p")
    assert entries(menu) == [*STEP_AND_SOLUTION, "Copy", "Select all"]
    choose(qtbot, menu, "step-markdown")
    assert clipboard().formats() == [PLAIN_MIME]
    assert clipboard().text() == "Subtract 3 from both sides: $2x = 4$, so\n$$x = \\frac{4}{2}$$"
    choose(qtbot, context_event(qtbot, transcript_view, ".step-start p"), "step-word")
    mime = clipboard()
    assert set(mime.formats()) >= {HTML_MIME, PLAIN_MIME}
    parsed = check_word_html(mime.html(), allow_text=True)
    assert [tag for tag, _ in parsed.tags].count("math") == 2
    assert mime.text().startswith("Subtract 3 from both sides: $2x = 4$")
    notice(qtbot, transcript_view, "Copied the step for Word.")

    # The summary line (not in a step) offers the whole solution only.
    menu = context_event(qtbot, transcript_view, ".turn-summary")
    assert entries(menu) == ["solution-markdown", "solution-word", "Copy", "Select all"]
    choose(qtbot, menu, "solution-markdown")
    text = clipboard().text()
    assert text.startswith("**Problem**\n\nFind $x$ if $2x + 3 = 7$ (写出步骤).\n\n")
    assert "*Checking the work*\n\nCheck: $2 \\cdot 2 + 3 = 7$. **Correct.**" in text
    assert text.endswith("**Answer**\n\n$$2$$\n")


@MENU_NOISE
def test_the_window_copies_the_last_solution(qtbot: Any, transcript_view: Any) -> None:
    outcome = transcript_view.copy_solution(markdown=True)
    assert (outcome.ok, outcome.notice) == (False, "There is no solution to copy yet.")
    show(qtbot, transcript_view, traces.NO_META, question="First")
    show(qtbot, transcript_view)
    assert transcript_view.copy_solution(markdown=False).ok
    mime = clipboard()
    parsed = check_word_html(mime.html(), allow_text=True)
    assert "写出步骤" in "".join(parsed.text) and "odd numbers" not in mime.html()
    assert mime.text().startswith("**Problem**\n\nFind $x$ if $2x + 3 = 7$ (写出步骤).")
    notice(qtbot, transcript_view, "Copied the solution")


@MENU_NOISE
@pytest.mark.parametrize("theme", ["light", "dark"])
def test_the_answer_cards_split_button_from_the_keyboard(
    qtbot: Any, transcript_view: Any, screenshot: Shot, themed: Any, theme: str
) -> None:
    themed(transcript_view, theme)
    transcript_view.resize(760, 560)  # inside the offscreen screen (800 x 600), so the menu is not moved
    show(qtbot, transcript_view)
    run_js(qtbot, transcript_view, "document.querySelector('.answer-card').scrollIntoView(), 0")
    popup = run_js(qtbot, transcript_view, "document.querySelector('.answer-copy-more').ariaHasPopup")
    assert popup == "menu"
    # Tab to "Copy LaTeX" (focus it, as Tab would), then Down opens the menu under the arrow.
    transcript_view.setFocus()
    run_js(qtbot, transcript_view, "document.querySelector('.answer-copy').focus(), 0")
    QTest.keyClick(transcript_view.focusProxy(), Qt.Key.Key_Down)
    menu = open_menu(qtbot)
    assert entries(menu) == [*FORMULA_WORD, "solution-markdown", "solution-word", "Copy", "Select all"]
    right, bottom = run_js(
        qtbot,
        transcript_view,
        "(r => [r.right, r.bottom])(document.querySelector('.answer-copy-more').getBoundingClientRect())",
    )
    below = transcript_view.mapToGlobal(QPoint(round(right), round(bottom)))
    assert (menu.geometry().topRight() - below).manhattanLength() <= 3  # right-aligned under the arrow
    picture_with_menu(qtbot, transcript_view, menu, screenshot, f"copy_menu_answer_{theme}")
    # Escape closes it; Down + Enter on it copies its first choice, for Word.
    QTest.keyClick(menu, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not menu.isVisible(), timeout=5000)
    run_js(qtbot, transcript_view, "document.querySelector('.answer-copy-more').click(), 0")
    menu = open_menu(qtbot)
    transcript_view.copier.last_outcome = None
    QTest.keyClick(menu, Qt.Key.Key_Down)
    QTest.keyClick(menu, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: transcript_view.copier.last_outcome is not None, timeout=5000)
    assert not menu.isVisible()
    assert clipboard().text() == "$$2$$"
    check_word_html(clipboard().html(), allow_text=False)


@MENU_NOISE
def test_a_formula_katex_cannot_read_copies_its_latex_and_says_so(
    qtbot: Any, transcript_view: Any, screenshot: Shot
) -> None:
    show(qtbot, transcript_view, traces.UNBALANCED)
    menu = context_event(qtbot, transcript_view, ".math-error")
    latex = run_js(qtbot, transcript_view, "document.querySelector('.math-error').getAttribute('data-tex')")
    choose(qtbot, menu, "formula-word")
    assert clipboard().formats() == [PLAIN_MIME]
    assert clipboard().text() == latex
    shown = notice(qtbot, transcript_view, "Its LaTeX was copied instead.")
    assert shown["problem"] is True and "not valid LaTeX" in shown["text"]
    screenshot(transcript_view, "copy_notice_fallback")
    # A step full of them still copies for Word, the broken ones as their source, and says so.
    choose(qtbot, context_event(qtbot, transcript_view, ".step p"), "step-word")
    check_word_html(clipboard().html(), allow_text=True)
    assert "$\\frac{1}{2$" in clipboard().html()
    assert "could not be converted" in notice(qtbot, transcript_view, "could not be converted")["text"]


@MENU_NOISE
def test_injection_copies_as_text_and_runs_nothing(qtbot: Any, transcript_view: Any) -> None:
    show(qtbot, transcript_view, traces.INJECTION)
    menu = context_event(qtbot, transcript_view, ".answer-card")
    choose(qtbot, menu, "formula-word")
    mime = clipboard()
    if mime.hasHtml():
        check_word_html(mime.html(), allow_text=False)
        assert "<script" not in mime.html()
    choose(qtbot, context_event(qtbot, transcript_view, ".turn-summary"), "solution-word")
    parsed = check_word_html(clipboard().html(), allow_text=True)
    assert "<script>window.pwned = 1</script>" in "".join(parsed.text)
    assert run_js(qtbot, transcript_view, "typeof window.pwned") == "undefined"
    assert run_js(qtbot, transcript_view, "document.querySelectorAll('script').length") == 2


@MENU_NOISE
def test_a_ten_thousand_character_formula(qtbot: Any, transcript_view: Any) -> None:
    show(qtbot, transcript_view, traces.long_formula())
    choose(qtbot, context_event(qtbot, transcript_view, ".step .katex-display"), "formula-word")
    text = clipboard().text()
    assert len(text) > 10_000 and text.startswith("$$\\frac{1}{2} + ")
    if sys.platform.startswith("linux"):
        ET.fromstring(bytes(clipboard().data(MATHML_MIME).data()))
    notice(qtbot, transcript_view, "Copied for Word")


@MENU_NOISE
def test_outside_every_turn_the_views_own_menu_shows(qtbot: Any, transcript_view: Any) -> None:
    bridge_connected(qtbot, transcript_view)
    menu = right_click(qtbot, transcript_view, "#transcript")
    assert menu.objectName() != "copy-menu"
    assert [a.text() for a in menu.actions()] == ["Copy", "Select all"]
    menu.close()


@MENU_NOISE
def test_malformed_menu_requests_are_refused(qtbot: Any, transcript_view: Any) -> None:
    from satori_desktop.ui.transcript.bridge import ClipboardBridge

    show(qtbot, transcript_view)
    bridge = transcript_view.findChild(ClipboardBridge)
    for payload in [
        "",
        "not json",
        "[1, 2]",
        json.dumps({"kind": "format-disk"}),
        json.dumps({"kind": "formula", "latex": ""}),
        json.dumps({"kind": "formula", "latex": 5}),
        json.dumps({"kind": "step", "turn": 0}),
        json.dumps({"kind": "step", "turn": True, "step": 0}),
        json.dumps({"kind": "formula", "latex": "x" * 300_000}),
    ]:
        bridge.show_menu(payload)
    # From the page too: the channel delivers, Python refuses.
    run_js(
        qtbot,
        transcript_view,
        "new QWebChannel(qt.webChannelTransport, c => c.objects.clipboard.show_menu('{\"kind\": 1}')), 0",
    )
    qtbot.wait(200)
    assert QApplication.activePopupWidget() is None
    # Odd but harmless values are clamped: a position far off, a turn that is not on the page.
    bridge.show_menu(json.dumps({"kind": "solution", "turn": 99, "x": -5, "y": 1e308}))
    menu = open_menu(qtbot)
    assert entries(menu) == ["Copy", "Select all"]
    menu.close()


@MENU_NOISE
def test_the_copy_menu_in_chinese(qtbot: Any, qapp: Any, screenshot: Shot, require_web_assets: None) -> None:
    from satori_desktop.ui.i18n.languages import install_translations, uninstall_translations
    from satori_desktop.ui.transcript import TranscriptView
    from tests.ui_transcript.conftest import delete_now

    assert install_translations(qapp, "zh_CN") == "zh_CN"
    try:
        view = TranscriptView()  # the page's words are sent as the view starts
        qtbot.addWidget(view)
        view.resize(900, 700)
        with qtbot.waitSignal(view.page_ready, timeout=20000):
            view.show()
        show(qtbot, view)
        menu = right_click(qtbot, view, ".step-start .katex-display")
        labels = [a.text() for a in menu.actions() if not a.isSeparator()]
        assert labels[:2] == ["复制到 Word / PowerPoint / Pages(&W)", "复制 LaTeX(&L)"]
        picture_with_menu(qtbot, view, menu, screenshot, "copy_menu_formula_chinese")
        choose(qtbot, menu, "solution-markdown")
        assert clipboard().text().startswith("**题目**\n\n")
        assert "*自我检查*" in clipboard().text()
        assert notice(qtbot, view, "已将解答复制为 Markdown。")["problem"] is False
        more = "document.querySelector('.answer-copy-more')"
        assert run_js(qtbot, view, f"{more}.getAttribute('aria-label')") == "更多复制答案的方式"
        assert view.app_page().console_errors == []
        delete_now(view)
    finally:
        uninstall_translations(qapp)
