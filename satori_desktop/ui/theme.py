"""Light, dark, or the system's look, for the Qt widgets (`apply_theme`) and the web pages (`page_theme`).

The widgets: Qt 6.8+ can ask the platform for a colour scheme (`QStyleHints.setColorScheme`), which on
Windows 11, macOS and GNOME gives the native dark look, title bars included. Not every platform does it
(Qt's offscreen platform ignores it, as do some Linux desktops), and where it does, the palette may
follow only later (the platform's theme-change event is queued). So after asking, if the palette is not
yet the one wanted, the app sets its own (the Fusion style's colours, light or dark); a palette set that
way stays right when the platform's event arrives. "system" drops both requests: the platform's palette,
live.

The pages (transcript, problem preview) cannot see Qt's palette: `TranscriptView.set_theme` and
`ProblemPreview.set_theme` send them "light" or "dark" (the page's `theme` op, transcript.css
`html.theme-dark`); `page_theme` turns "system" into one of them from what the application looks like now.
"""

from __future__ import annotations

import logging
from typing import Literal

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

from satori_desktop.core.settings import THEMES

log = logging.getLogger(__name__)

PageTheme = Literal["light", "dark"]

# The pages' background (transcript.css `--bg`), for the web view to paint before the page has loaded,
# so a dark window does not flash white.
PAGE_BACKGROUND: dict[PageTheme, str] = {"light": "#ffffff", "dark": "#16191d"}

_REQUESTED_SCHEME = {
    "light": Qt.ColorScheme.Light,
    "dark": Qt.ColorScheme.Dark,
    "system": Qt.ColorScheme.Unknown,  # "no preference of the app's": the platform's own
}

_Role = QPalette.ColorRole
_Group = QPalette.ColorGroup

# Dark colours in the transcript page's family. Fields (Base) and buttons are lighter than the window: the
# Fusion style draws their frames darker than the window, which on a dark window hardly shows, so the fill
# is what sets a field or a check box apart.
_DARK_COLOURS = {
    _Role.Window: "#202327",
    _Role.WindowText: "#e4e8ed",
    _Role.Base: "#2a2f36",
    _Role.AlternateBase: "#30363d",
    _Role.ToolTipBase: "#2b3036",
    _Role.ToolTipText: "#e4e8ed",
    _Role.PlaceholderText: "#8b949e",
    _Role.Text: "#e4e8ed",
    _Role.Button: "#343a42",
    _Role.ButtonText: "#e4e8ed",
    _Role.BrightText: "#ff8a80",
    _Role.Light: "#4a525c",
    _Role.Midlight: "#3d444d",
    _Role.Mid: "#262b31",
    _Role.Dark: "#111316",
    _Role.Shadow: "#000000",
    _Role.Highlight: "#2f6fb0",
    _Role.HighlightedText: "#ffffff",
    _Role.Link: "#6cb6ff",
    _Role.LinkVisited: "#b89af0",
    _Role.Accent: "#2f6fb0",
}
_DARK_DISABLED = {
    _Role.WindowText: "#6e7681",
    _Role.Text: "#6e7681",
    _Role.ButtonText: "#6e7681",
    _Role.PlaceholderText: "#555c64",
    _Role.Highlight: "#3d444d",
    _Role.HighlightedText: "#a3acb7",
}


def dark_palette() -> QPalette:
    """The app's own dark palette, for platforms that do not switch theirs."""
    palette = QPalette()
    for role, colour in _DARK_COLOURS.items():
        palette.setColor(role, QColor(colour))
    for role, colour in _DARK_DISABLED.items():
        palette.setColor(_Group.Disabled, role, QColor(colour))
    return palette


def light_palette() -> QPalette:
    """The Fusion style's light palette (every colour derived from its window grey)."""
    return QPalette(QColor("#efefef"))


def palette_is_dark(palette: QPalette) -> bool:
    """Whether text is lighter than the window behind it: what a reader sees as dark mode."""
    window = palette.color(_Role.Window).lightness()
    text = palette.color(_Role.WindowText).lightness()
    return text > window


def check_theme(theme: str) -> str:
    if theme not in THEMES:
        raise ValueError(f"theme must be one of {', '.join(THEMES)}, not {theme!r}")
    return theme


def apply_theme(app: QApplication, theme: str) -> PageTheme:
    """Give the application's widgets the look of `theme` ("light", "dark" or "system") and return what
    the pages should show ("light" or "dark"; see `page_theme`). Call it again whenever the setting
    changes; the web views need their own `set_theme` call."""
    check_theme(theme)
    app.styleHints().setColorScheme(_REQUESTED_SCHEME[theme])
    app.setPalette(QPalette())  # drop a palette of ours from an earlier call: the platform's own
    if theme != "system":
        wanted_dark = theme == "dark"
        if palette_is_dark(app.palette()) != wanted_dark:
            log.info("the platform did not switch to the %s colour scheme; using the app's palette", theme)
            app.setPalette(dark_palette() if wanted_dark else light_palette())
    return page_theme(theme)


def page_theme(theme: str) -> PageTheme:
    """What a web page shows, "light" or "dark": the setting itself, or for "system" what the
    application looks like now (the platform's colour scheme where it says one, else its palette)."""
    check_theme(theme)
    if theme == "light":
        return "light"
    if theme == "dark":
        return "dark"
    hints = QGuiApplication.styleHints()
    scheme = hints.colorScheme() if hints is not None else Qt.ColorScheme.Unknown
    if scheme == Qt.ColorScheme.Dark:
        return "dark"
    if scheme == Qt.ColorScheme.Light:
        return "light"
    return "dark" if palette_is_dark(QGuiApplication.palette()) else "light"
