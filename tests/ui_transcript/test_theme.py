"""Dark and light pages in a real QtWebEngine view: the colours the reader sees, and that they are readable.

Colours are read back from the page (`getComputedStyle`), and every kind of text on it (steps, section
heads and previews, KaTeX, the answer card, the footer, code) is checked for contrast against what is
behind it. The dark screenshot of a solved trace was looked at (docs/screenshots/transcript-dark.png).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from satori_desktop.engine.scripted import DEMO_TRACE
from satori_desktop.engine.streaming import TurnSummary
from satori_desktop.ui.theme import PAGE_BACKGROUND
from satori_desktop.ui.transcript import ProblemPreview, TranscriptView
from satori_desktop.ui.transcript.feed import TranscriptFeed
from tests.ui_transcript.conftest import delete_now, run_js
from tests.ui_transcript.test_view import show_trace

Shot = Callable[[Any, str], Path]

# For each kind of text: its colour, and the first opaque background behind it (walking up the tree).
COLOURS_JS = """
(() => {
  const opaque = (c) => c && c !== 'transparent' && !/rgba\\(.*,\\s*0\\)$/.test(c);
  const behind = (node) => {
    for (let e = node; e; e = e.parentElement) {
      const bg = getComputedStyle(e).backgroundColor;
      if (opaque(bg)) return bg;
    }
    return 'rgb(255, 255, 255)';  // a page with no background at all shows white
  };
  const sample = (selector) => {
    const node = document.querySelector(selector);
    return node ? {color: getComputedStyle(node).color, background: behind(node)} : null;
  };
  return {
    dark: document.documentElement.classList.contains('theme-dark'),
    page: getComputedStyle(document.documentElement).backgroundColor,
    texts: {
      step: sample('.step-start .markup p'),
      question: sample('.question'),
      summary: sample('.turn-summary'),
      summary_action: sample('.summary-action'),
      reflect_label: sample('.step-reflect .fold-label'),
      explore_label: sample('.step-explore .fold-label'),
      preview: sample('.step-reflect .fold-preview'),
      katex: sample('.step-start .katex'),
      open_section_katex: sample('.step-explore .step-body .katex'),
      answer_head: sample('.answer-head'),
      answer_math: sample('.answer-math .katex'),
      footer: sample('.footer-stats'),
      code: sample('.markup code'),
    },
  };
})()
"""


def rgb(css: str) -> tuple[float, float, float]:
    inside = css[css.index("(") + 1 : css.index(")")]
    red, green, blue = (float(part) for part in inside.split(",")[:3])
    return red, green, blue


def hex_rgb(colour: str) -> tuple[float, float, float]:
    return (int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16))


def luminance(colour: tuple[float, float, float]) -> float:
    def linear(channel: float) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    red, green, blue = (linear(c) for c in colour)
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast(one: str, other: str) -> float:
    """WCAG contrast ratio of two CSS `rgb(...)` colours, 1 to 21."""
    high, low = sorted((luminance(rgb(one)), luminance(rgb(other))), reverse=True)
    return (high + 0.05) / (low + 0.05)


def colours(qtbot: Any, view: Any) -> dict[str, Any]:
    result: dict[str, Any] = run_js(qtbot, view, COLOURS_JS)
    return result


QUESTION = "What is the sum of the roots of $x^2 - 5x + 6 = 0$? Use `vieta`."


def solved_demo(qtbot: Any, view: Any) -> None:
    show_trace(
        qtbot,
        view,
        DEMO_TRACE,
        question=QUESTION,
        summary=TurnSummary(1, "stop", generated_tokens=187, decode_tok_s=42.5, elapsed_s=4.4),
    )
    # One section open, as a reader who clicked it sees it: its math is checked too.
    run_js(qtbot, view, "document.querySelector('.step-explore .fold-head').click(), 0")


def test_dark_theme_colours_the_page_and_every_text_on_it_is_readable(
    qtbot: Any, transcript_view: Any, screenshot: Shot
) -> None:
    solved_demo(qtbot, transcript_view)
    light = colours(qtbot, transcript_view)
    assert light["dark"] is False and rgb(light["page"]) == hex_rgb(PAGE_BACKGROUND["light"])

    transcript_view.set_theme("dark")
    qtbot.waitUntil(transcript_view.is_idle, timeout=20000)
    dark = colours(qtbot, transcript_view)
    screenshot(transcript_view, "transcript-dark")
    assert dark["dark"] is True
    assert rgb(dark["page"]) == hex_rgb(PAGE_BACKGROUND["dark"])
    assert transcript_view.page().backgroundColor().name() == PAGE_BACKGROUND["dark"]
    for name, seen in dark["texts"].items():
        assert seen is not None, f"{name}: nothing on the page to check"
        ratio = contrast(seen["color"], seen["background"])
        # Body text, math and the answer at least 7:1 (WCAG AAA); quieter text at least 4.5:1 (AA).
        wanted = 7.0 if name in ("step", "question", "katex", "open_section_katex", "answer_math") else 4.5
        assert ratio >= wanted, f"{name}: {seen['color']} on {seen['background']} is only {ratio:.1f}:1"
        assert luminance(rgb(seen["background"])) < 0.05, f"{name} sits on a light background in dark mode"
    # Section heads keep their own colours (teal, amber, green), not all one.
    accents = {dark["texts"][name]["color"] for name in ("reflect_label", "explore_label", "answer_head")}
    assert len(accents) == 3

    transcript_view.set_theme("light")
    qtbot.waitUntil(transcript_view.is_idle, timeout=20000)
    assert colours(qtbot, transcript_view) == light


def test_a_theme_set_before_the_page_loads_is_shown_once_it_has(qtbot: Any, require_web_assets: None) -> None:
    view = TranscriptView()
    qtbot.addWidget(view)
    view.set_theme("dark")  # as the window does right after creating the view
    view.clear()  # a new conversation before the first frame keeps the theme
    assert view.page().backgroundColor().name() == PAGE_BACKGROUND["dark"]  # no white flash meanwhile
    with qtbot.waitSignal(view.page_ready, timeout=20000):
        view.show()
    qtbot.waitUntil(view.is_idle, timeout=20000)
    assert "theme-dark" in run_js(qtbot, view, "document.documentElement.className").split()
    errors = list(view.app_page().console_errors)
    delete_now(view)
    assert errors == []


def test_system_follows_the_applications_colours(
    qtbot: Any, transcript_view: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The offscreen platform has no colour scheme of its own, so the application's palette decides.
    from satori_desktop.ui import theme

    monkeypatch.setattr(theme, "palette_is_dark", lambda _palette: True)
    transcript_view.set_theme("system")
    qtbot.waitUntil(transcript_view.is_idle, timeout=20000)
    assert run_js(qtbot, transcript_view, "document.documentElement.classList.contains('theme-dark')")
    monkeypatch.setattr(theme, "palette_is_dark", lambda _palette: False)
    transcript_view.set_theme("system")
    qtbot.waitUntil(transcript_view.is_idle, timeout=20000)
    assert not run_js(qtbot, transcript_view, "document.documentElement.classList.contains('theme-dark')")


def test_an_unknown_theme_is_refused_before_it_reaches_the_page(transcript_view: Any) -> None:
    with pytest.raises(ValueError, match="theme must be one of light, dark, system"):
        transcript_view.set_theme("sepia")
    with pytest.raises(ValueError, match="'light' or 'dark'"):
        TranscriptFeed().set_theme("system")  # the page itself only knows the two looks


def test_the_feed_keeps_a_theme_not_yet_sent_when_it_clears() -> None:
    feed = TranscriptFeed()
    feed.set_theme("light")
    feed.begin_turn("q")
    feed.set_theme("dark")
    feed.clear()
    assert feed.take_ops() == [{"op": "theme", "value": "dark"}, {"op": "clear"}]


def test_problem_preview_goes_dark_too(qtbot: Any, require_web_assets: None, screenshot: Shot) -> None:
    preview = ProblemPreview()
    qtbot.addWidget(preview)
    preview.resize(600, 120)
    preview.set_theme("dark")
    with qtbot.waitSignal(preview.page_ready, timeout=20000):
        preview.show()
    with qtbot.waitSignal(preview.content_height_changed, timeout=20000):
        preview.set_text("Find $x$ if $\\frac{x}{2} = 3$ and `x` is whole.")
    qtbot.waitUntil(preview.is_idle, timeout=20000)
    qtbot.waitUntil(lambda: run_js(qtbot, preview, "document.documentElement.className") == "theme-dark")
    seen = run_js(
        qtbot,
        preview,
        "[getComputedStyle(document.documentElement).backgroundColor,"
        " getComputedStyle(document.querySelector('#preview .katex')).color]",
    )
    assert rgb(seen[0]) == hex_rgb(PAGE_BACKGROUND["dark"])
    assert contrast(seen[1], seen[0]) >= 7.0
    screenshot(preview, "preview-dark")
    preview.set_theme("light")
    qtbot.waitUntil(lambda: run_js(qtbot, preview, "document.documentElement.className") == "")
    errors = list(preview.app_page().console_errors)
    delete_now(preview)
    assert errors == []


# -- the widgets: apply_theme --------------------------------------------------------------------------------


@pytest.fixture
def app_theme(qapp: Any) -> Any:
    """The application, given back with the platform's own look after the test."""
    from satori_desktop.ui.theme import apply_theme

    yield qapp
    apply_theme(qapp, "system")


def test_apply_theme_gives_the_widgets_a_dark_palette_where_the_platform_does_not(app_theme: Any) -> None:
    from PySide6.QtGui import QPalette
    from PySide6.QtWidgets import QLabel

    from satori_desktop.ui.theme import apply_theme, palette_is_dark

    label = QLabel("text")
    system = app_theme.palette().color(QPalette.ColorRole.Window).name()
    assert apply_theme(app_theme, "dark") == "dark"
    app_theme.processEvents()  # widgets hear of the application's palette through an event
    # Offscreen, Qt cannot switch the platform's colour scheme, so the app's own palette stands in.
    assert palette_is_dark(app_theme.palette()) and palette_is_dark(label.palette())
    assert app_theme.palette().color(QPalette.ColorRole.Base).lightness() < 64  # text fields too
    disabled = app_theme.palette().color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.WindowText)
    assert disabled.lightness() < app_theme.palette().color(QPalette.ColorRole.WindowText).lightness()
    assert apply_theme(app_theme, "light") == "light"
    assert not palette_is_dark(app_theme.palette())
    assert apply_theme(app_theme, "system") == "light"  # this platform's own look is light
    assert app_theme.palette().color(QPalette.ColorRole.Window).name() == system
    assert app_theme.palette().resolveMask() == 0  # nothing of ours is left
    label.deleteLater()


def test_apply_theme_follows_a_platform_that_switches_by_itself(
    app_theme: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from satori_desktop.ui import theme

    # A platform that honours the request: the palette is already dark, so none of ours is set.
    monkeypatch.setattr(theme, "palette_is_dark", lambda _palette: True)
    assert theme.apply_theme(app_theme, "dark") == "dark"
    assert app_theme.palette().resolveMask() == 0
    with pytest.raises(ValueError, match="not 'Dark'"):
        theme.apply_theme(app_theme, "Dark")
