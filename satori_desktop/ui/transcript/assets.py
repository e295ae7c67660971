"""Where the transcript page's files are, and a clear sentence when they are missing.

Two kinds of files make the page: our own html/css/js (`assets/web/` in the source tree) and KaTeX, which
comes from the npm registry at build time (`packaging/fetch_web_assets.py` copies both into
`satori_desktop/_assets/`, git-ignored, shipped as package data). In a source checkout the page is served
straight from `assets/web/`, so an edit shows up without re-running the build step; KaTeX always comes
from `_assets/katex/`. Qt-free.
"""

from __future__ import annotations

from pathlib import Path

from satori_desktop.core.errors import UserFacingError

_PACKAGE_DIR = Path(__file__).resolve().parent.parent.parent
_INSTALLED = _PACKAGE_DIR / "_assets"
_SOURCE_WEB = _PACKAGE_DIR.parent / "assets" / "web"

MISSING_ASSETS_MESSAGE = (
    "The app's web assets (KaTeX) are missing: run `python packaging/fetch_web_assets.py` in the "
    "source folder (it needs npm), or reinstall the app."
)

# What the page cannot work without, relative to the asset root. The page's script is transcript.js and
# the modules it imports: one missing file and none of them runs.
REQUIRED_FILES = (
    "web/transcript.html",
    "web/preview.html",
    "web/transcript.css",
    "web/transcript.js",
    "web/context-menu.js",
    "web/copy-export.js",
    "web/dom.js",
    "web/fold-preview.js",
    "web/follow.js",
    "web/i18n.js",
    "web/katex-cache.js",
    "web/reconcile.js",
    "web/summary.js",
    "web/turns.js",
    "web/tutor.js",
    "web/samples.js",
    "katex/katex.min.js",
    "katex/katex.min.css",
    "katex/fonts/KaTeX_Main-Regular.woff2",
)


def web_root() -> Path:
    """Folder of our own page files."""
    return _SOURCE_WEB if (_SOURCE_WEB / "transcript.html").is_file() else _INSTALLED / "web"


def katex_root() -> Path:
    return _INSTALLED / "katex"


def asset_path(relative: str) -> Path | None:
    """The file behind an app URL path like `web/transcript.js` or `katex/fonts/X.woff2`, or None.

    Only files inside the two roots are ever returned (no `..`, no absolute paths, no hidden files).
    """
    parts = [part for part in relative.split("/") if part]
    if len(parts) < 2 or any(part in (".", "..") or part.startswith(".") or "\\" in part for part in parts):
        return None
    roots = {"web": web_root(), "katex": katex_root()}
    root = roots.get(parts[0])
    if root is None:
        return None
    candidate = root.joinpath(*parts[1:])
    try:
        candidate.resolve().relative_to(root.resolve())
    except ValueError:
        return None
    return candidate if candidate.is_file() else None


def missing_assets() -> list[str]:
    """The required files that are not there (empty when the page can run)."""
    return [name for name in REQUIRED_FILES if asset_path(name) is None]


def require_assets() -> None:
    """Raise `UserFacingError` with `MISSING_ASSETS_MESSAGE` unless every required file is there."""
    if missing_assets():
        raise UserFacingError(MISSING_ASSETS_MESSAGE)
