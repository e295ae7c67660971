"""Fetch the transcript page's npm dependencies and install them where the app loads them from.

KaTeX is a build-time dependency taken from the npm registry, pinned by `assets/package.json` and by the
integrity hash in `assets/package-lock.json`; it is never committed. This script runs `npm ci` in
`assets/` (which checks that hash) and copies what the page needs from `node_modules/katex/dist` (the
script, the stylesheet and every font), together with our own page from `assets/web/`, into
`satori_desktop/_assets/` (git-ignored, shipped as package data). The same `npm ci` installs the
devDependencies, jsdom for the page's unit tests (tests/js); they stay in `assets/node_modules/`.

It is idempotent and quick when already done: a stamp records the lockfile's hash, so KaTeX is only copied
again when the lockfile changed or a file is missing, and `npm ci` only runs when `node_modules` does not
hold what the lockfile pins. Stdlib only, so any Python can run it:

    python packaging/fetch_web_assets.py            # install (or check and skip)
    python packaging/fetch_web_assets.py --force    # run npm ci again and recopy everything

setup.py runs `install(app_only=True)` before a wheel or an sdist collects its files: what the app ships,
without requiring the tests' jsdom, and no npm at all when `_assets` is already current (an unpacked sdist).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ASSETS_SRC = REPO / "assets"
WEB_SRC = ASSETS_SRC / "web"
DEST = REPO / "satori_desktop" / "_assets"
KATEX_DIST = ASSETS_SRC / "node_modules" / "katex" / "dist"
STAMP = DEST / "katex" / ".installed-from-lock"

# What the page loads from KaTeX's dist folder; fonts/ is copied whole.
KATEX_FILES = ("katex.min.js", "katex.min.css")


def _lock_digest() -> str:
    return hashlib.sha256((ASSETS_SRC / "package-lock.json").read_bytes()).hexdigest()


def _katex_installed() -> bool:
    if not STAMP.is_file() or STAMP.read_text().strip() != _lock_digest():
        return False
    return all((DEST / "katex" / name).is_file() for name in KATEX_FILES) and any(
        (DEST / "katex" / "fonts").glob("*.woff2")
    )


class FetchError(Exception):
    """Why the assets could not be installed, as a clause ("npm was not found")."""


def _node_modules_installed(*, include_dev: bool) -> bool:
    """Whether `node_modules` holds every package the lockfile pins (for the app, or for its tests too).

    `npm ci` leaves a copy of the lock in `node_modules/.package-lock.json` (npm's "hidden lockfile"); when
    it pins the same versions and each package is on disk, another `npm ci` would change nothing.
    """
    hidden = ASSETS_SRC / "node_modules" / ".package-lock.json"
    if not hidden.is_file():
        return False
    locked = json.loads((ASSETS_SRC / "package-lock.json").read_text())["packages"]
    installed = json.loads(hidden.read_text()).get("packages", {})
    return all(
        installed.get(path, {}).get("version") == entry.get("version")
        and (ASSETS_SRC / path / "package.json").is_file()
        for path, entry in locked.items()
        if path and (include_dev or not entry.get("dev"))
    )


def _npm_ci() -> None:
    npm = shutil.which("npm")
    if npm is None:
        raise FetchError("npm was not found")
    # --ignore-scripts: no package here needs an install step, and none should run code on our machine.
    # --include=dev: the tests' jsdom too, even where NODE_ENV=production would leave it out.
    cmd = [npm, "ci", "--include=dev", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"]
    result = subprocess.run(cmd, cwd=ASSETS_SRC, check=False)
    if result.returncode != 0:
        raise FetchError(f"`npm {' '.join(cmd[1:])}` failed in {ASSETS_SRC} (exit {result.returncode})")


def _copy_katex() -> None:
    target = DEST / "katex"
    if target.exists():
        shutil.rmtree(target)
    (target / "fonts").mkdir(parents=True)
    for name in KATEX_FILES:
        shutil.copy2(KATEX_DIST / name, target / name)
    for font in (KATEX_DIST / "fonts").iterdir():
        shutil.copy2(font, target / "fonts" / font.name)
    version = json.loads((ASSETS_SRC / "node_modules" / "katex" / "package.json").read_text())["version"]
    (target / "VERSION").write_text(version + "\n")
    STAMP.write_text(_lock_digest() + "\n")


def _sync_web() -> int:
    """Mirror assets/web into _assets/web, rewriting only files that changed; returns how many did."""
    target = DEST / "web"
    target.mkdir(parents=True, exist_ok=True)
    wanted = {p.relative_to(WEB_SRC) for p in WEB_SRC.rglob("*") if p.is_file()}
    for stale in [p for p in target.rglob("*") if p.is_file() and p.relative_to(target) not in wanted]:
        stale.unlink()
    changed = 0
    for rel in sorted(wanted):
        src, dst = WEB_SRC / rel, target / rel
        if dst.is_file() and dst.read_bytes() == src.read_bytes():
            continue
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dst)
        changed += 1
    return changed


def install(*, force: bool = False, app_only: bool = False) -> str:
    """Bring `_assets` up to date, running `npm ci` only when needed; returns a one-line summary.

    app_only: what a package build needs, KaTeX and the page. The tests' devDependencies are not required,
    and no npm runs while the KaTeX in `_assets` matches the lockfile. Raises `FetchError`.
    """
    katex_current = not force and _katex_installed()
    if app_only and katex_current:
        npm_needed = False
    else:
        npm_needed = force or not _node_modules_installed(include_dev=not app_only)
    if npm_needed:
        _npm_ci()
    if npm_needed or not katex_current:
        _copy_katex()
    changed = _sync_web()
    version = (DEST / "katex" / "VERSION").read_text().strip()
    katex_state = "already up to date" if katex_current else "installed"
    return f"fetch_web_assets: KaTeX {version} {katex_state}; page files updated: {changed}; in {DEST}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="run npm ci and copy again even if up to date")
    args = parser.parse_args(argv)
    try:
        print(install(force=args.force))
    except FetchError as exc:
        sys.exit(
            f"fetch_web_assets: {exc}; check that Node.js (which brings npm) is installed and the npm "
            "registry can be reached, and run this again."
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
