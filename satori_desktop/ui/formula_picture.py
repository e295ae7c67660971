"""One formula as a PNG picture, typeset by KaTeX, for what takes no equation on paste (Google Docs, slides,
chat apps).

The formula is drawn by the same KaTeX, stylesheet and fonts as the transcript, in an offscreen web view
of the app's own profile (`web.AppPage`: nothing but the app's files can load) showing
`assets/web/formula.html`, a page with KaTeX and nothing else. The view is zoomed by `scale` (2: twice
the pixels of the screen size, sharp on a high-density screen or when printed), sized to the formula's
box, and grabbed: the picture is the formula with a small margin, on the theme's opaque background (white
by default: a transparent picture pasted into a dark slide or chat loses its black glyphs). The PNG's
resolution field says 96 dpi times `scale`, so a word processor inserts it at the size it has on screen.

The waits are the transcript export's (`transcript.export`): fonts loaded, then two painted frames.
"""

from __future__ import annotations

import json
import math
from typing import Literal

from PySide6.QtCore import QBuffer, QCoreApplication, QEvent, QIODevice, QRect, QUrl
from PySide6.QtGui import QColor
from PySide6.QtWebEngineWidgets import QWebEngineView

from satori_desktop.core.errors import UserFacingError
from satori_desktop.ui.katex_mathml import MAX_FORMULA_CHARS, shared_katex
from satori_desktop.ui.theme import PAGE_BACKGROUND
from satori_desktop.ui.transcript.assets import MISSING_ASSETS_MESSAGE, asset_path, require_assets
from satori_desktop.ui.transcript.export import (
    _run_js,
    _wait_for_painted_frames,
    _wait_until,
    ensure_application,
)
from satori_desktop.ui.transcript.web import HOST, SCHEME, AppPage

FORMULA_PAGE = "web/formula.html"
FORMULA_URL = f"{SCHEME}://{HOST}/{FORMULA_PAGE}"
MIN_SCALE, MAX_SCALE = 0.5, 4.0
# Past this a picture is no use in a document (and some GPUs refuse the texture).
MAX_PICTURE_PIXELS = 8000
_DOTS_PER_METER_AT_96_DPI = 96 / 0.0254

PictureTheme = Literal["light", "dark"]

# Render into #formula and say how big it is (CSS pixels); the LaTeX has already passed KaTeX in Python.
_RENDER_JS = """
(() => {
  const box = document.getElementById("formula");
  document.documentElement.classList.toggle("dark", %(dark)s);
  katex.render(%(tex)s, box, {displayMode: %(display)s, throwOnError: false, strict: "ignore",
                              trust: false, maxSize: 50, maxExpand: 1000});
  const r = box.getBoundingClientRect();
  return JSON.stringify([r.width, r.height]);
})()
"""
_SIZE_JS = (
    '(() => { const r = document.getElementById("formula").getBoundingClientRect(); '
    "return JSON.stringify([r.width, r.height]); })()"
)


def render_formula_png(latex: str, display: bool, scale: float = 2.0, theme: PictureTheme = "light") -> bytes:
    """A PNG of `latex` typeset by KaTeX at `scale` times the screen size, on the theme's background.

    Raises `UserFacingError` for LaTeX KaTeX cannot parse, a scale outside 0.5-4, a formula too large
    for a picture, or missing web assets. Needs no screen (an offscreen QApplication is made if none
    exists); call it on the GUI thread."""
    if not MIN_SCALE <= scale <= MAX_SCALE:
        raise UserFacingError(f"The scale must be between {MIN_SCALE:g} and {MAX_SCALE:g} (got {scale:g}).")
    if theme not in PAGE_BACKGROUND:
        raise UserFacingError(f'The picture theme must be "light" or "dark" (got "{theme}").')
    if len(latex) > MAX_FORMULA_CHARS:
        shared_katex().render(latex, display)  # raises the length sentence
    require_assets()
    if asset_path(FORMULA_PAGE) is None:
        raise UserFacingError(MISSING_ASSETS_MESSAGE)
    ensure_application()
    shared_katex().render(latex, display)  # a parse error becomes its sentence here, not a red picture

    view = QWebEngineView()
    try:
        page = AppPage(view)
        view.setPage(page)
        page.setBackgroundColor(QColor(PAGE_BACKGROUND[theme]))
        loaded: list[bool] = []
        page.loadFinished.connect(loaded.append)
        view.resize(1200, 400)
        view.setZoomFactor(scale)
        view.setUrl(QUrl(FORMULA_URL))
        view.show()
        _wait_until(lambda: bool(loaded), "loading the formula page")
        if not loaded[0]:
            raise UserFacingError("The formula page did not load: reinstall the app.")
        script = _RENDER_JS % {
            "tex": json.dumps(latex, ensure_ascii=True),
            "display": "true" if display else "false",
            "dark": "true" if theme == "dark" else "false",
        }
        _run_js(view, script)
        # A formula's box is final only once its fonts are in (reading its size above started the load).
        _wait_until(lambda: _run_js(view, "document.fonts.status") == "loaded", "loading the fonts")
        width, height = _css_size(_run_js(view, _SIZE_JS))
        pixels_w, pixels_h = math.ceil(width * scale), math.ceil(height * scale)
        if max(pixels_w, pixels_h) > MAX_PICTURE_PIXELS:
            raise UserFacingError(
                f"The formula is too large for a picture ({pixels_w} x {pixels_h} pixels at scale "
                f"{scale:g}): copy it as an equation or LaTeX instead."
            )
        view.resize(pixels_w, pixels_h)
        _wait_until(
            lambda: _fits(
                _run_js(view, "JSON.stringify([window.innerWidth, window.innerHeight])"),
                pixels_w,
                pixels_h,
                scale,
            ),
            "sizing the picture",
            timeout_s=10,
        )
        _wait_for_painted_frames(view)
        image = view.grab().toImage().copy(QRect(0, 0, pixels_w, pixels_h))
        if image.isNull():
            raise UserFacingError("The formula could not be drawn: try again, or copy it as LaTeX.")
        dots = round(_DOTS_PER_METER_AT_96_DPI * scale)
        image.setDotsPerMeterX(dots)
        image.setDotsPerMeterY(dots)
        buffer = QBuffer()
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        # PySide6 takes the format as str, whatever its stubs say (they ask for bytes, which it refuses).
        if not image.save(buffer, "PNG"):  # type: ignore[call-overload]
            raise UserFacingError("The picture could not be encoded as PNG: try again.")
        return bytes(buffer.data().data())
    finally:
        view.close()
        view.deleteLater()
        # Delete it now: a page still alive when the application ends makes Qt complain.
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def _css_size(reply: object) -> tuple[float, float]:
    """[width, height] from the page's JSON (runJavaScript hands arrays back as nothing)."""
    try:
        value = json.loads(reply) if isinstance(reply, str) else None
    except ValueError:
        value = None
    if isinstance(value, list) and len(value) == 2 and all(isinstance(v, (int, float)) for v in value):
        return max(float(value[0]), 1.0), max(float(value[1]), 1.0)
    raise UserFacingError("The formula page did not say the formula's size: try again.")


def _fits(value: object, pixels_w: int, pixels_h: int, scale: float) -> bool:
    """The page's viewport (CSS pixels) is the view's new size."""
    width, height = _css_size(value)
    return abs(width * scale - pixels_w) <= scale + 1 and abs(height * scale - pixels_h) <= scale + 1
