"""Dialogs with word-wrapped labels that come and go (a sentence under a field).

Qt fits a top-level window to its size hint when its layout changes, and a size hint does not allow for
the height a word-wrapped label needs at the window's width, so the labels end up squeezed, their lines
overlapping. `fit_height` grows the window to that height.
"""

from __future__ import annotations

from PySide6.QtWidgets import QWidget


def fit_height(window: QWidget) -> None:
    """Grow `window` (shown, with a layout) to the height its layout needs at its present width."""
    layout = window.layout()
    if layout is None or not window.isVisible():
        return
    layout.activate()
    needed = layout.totalHeightForWidth(window.width())
    if needed > window.height():
        window.resize(window.width(), needed)
