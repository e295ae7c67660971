"""One build step on top of pyproject.toml: every wheel and sdist carries the transcript page's web assets
and the window's compiled translations.

The metadata, the package data globs and the backend (the stock `setuptools.build_meta`) all stay in
pyproject.toml. This file only swaps in two commands through `cmdclass`, setuptools' documented way to run
code before a build collects its files, so `pip install .`, `pip wheel .` and an sdist build all go
through it unchanged. (An in-tree backend wrapping build_meta would work too, but it is more code, has
to wrap each hook, and is a pattern fewer readers know.)

- `build_py` (wheels): before the package data is collected, `packaging/fetch_web_assets.py`'s
  `install(app_only=True)` brings `satori_desktop/_assets/` up to date: KaTeX copied from
  `assets/node_modules` (`npm ci` only when node_modules does not hold what the lockfile pins) and the
  page mirrored from `assets/web`. In an unpacked sdist `_assets` is already there and matches the
  lockfile's stamp, so nothing is fetched: no npm, no network.
- Both also run `packaging/compile_translations.py`'s `compile_catalogs()`: the `.ts` sources in
  `satori_desktop/ui/i18n/` compiled into `satori_desktop/_assets/i18n/*.qm` with PySide6's lrelease, only
  when a source changed since the last compile (its stamp), so an unpacked sdist, which carries the `.qm`,
  needs no Qt tools either.
- `sdist`: the same step before the file list is made, so the sdist carries `_assets` (MANIFEST.in).
- Editable installs (`pip install -e .`, scripts/bootstrap.sh) skip the step, as before: the app reads the
  page from `assets/web` and KaTeX from `_assets`, which bootstrap.sh fills by running the script itself.

When the assets are missing and cannot be fetched, the build stops with one sentence saying what to do.
"""

from __future__ import annotations

import importlib.util
import logging
from pathlib import Path
from types import ModuleType

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.command.sdist import sdist
from setuptools.errors import SetupError

ROOT = Path(__file__).resolve().parent
FETCH_SCRIPT = ROOT / "packaging" / "fetch_web_assets.py"
TRANSLATIONS_SCRIPT = ROOT / "packaging" / "compile_translations.py"


def _load_script(path: Path) -> ModuleType:
    # A script, not a package module (packaging/ is no package, and the build must not import the app).
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def ensure_web_assets() -> str:
    """Make `satori_desktop/_assets` complete, or raise `SetupError` with one sentence; returns a summary."""
    if not FETCH_SCRIPT.is_file():
        reason = f"{FETCH_SCRIPT.relative_to(ROOT)} is not in {ROOT}"
    else:
        fetch = _load_script(FETCH_SCRIPT)
        try:
            return str(fetch.install(app_only=True))
        except fetch.FetchError as exc:
            reason = str(exc)
    raise SetupError(
        "The transcript page's web assets (KaTeX and the page, in satori_desktop/_assets) are missing and "
        f"could not be fetched ({reason}): install Node.js (which brings npm) and build again, or run "
        "`python packaging/fetch_web_assets.py` in the source tree first."
    )


def ensure_translations() -> str:
    """Make `satori_desktop/_assets/i18n` current, or raise `SetupError` with one sentence."""
    if not TRANSLATIONS_SCRIPT.is_file():
        reason = f"{TRANSLATIONS_SCRIPT.relative_to(ROOT)} is not in {ROOT}"
    else:
        translations = _load_script(TRANSLATIONS_SCRIPT)
        try:
            return str(translations.compile_catalogs())
        except translations.CompileError as exc:
            reason = str(exc)
    raise SetupError(
        "The window's translations (satori_desktop/_assets/i18n/*.qm) are missing or out of date and could "
        f"not be compiled ({reason}): run `python packaging/compile_translations.py` with a Python that has "
        "PySide6 (the app's .venv) in the source tree first, then build again."
    )


class BuildPyWithWebAssets(build_py):
    def run(self) -> None:
        if not self.editable_mode:
            self.announce(ensure_web_assets(), level=logging.INFO)
            self.announce(ensure_translations(), level=logging.INFO)
        super().run()


class SdistWithWebAssets(sdist):
    def run(self) -> None:
        self.announce(ensure_web_assets(), level=logging.INFO)
        self.announce(ensure_translations(), level=logging.INFO)
        super().run()


setup(
    cmdclass={"build_py": BuildPyWithWebAssets, "sdist": SdistWithWebAssets},
    # A wheel holds the modules and exactly pyproject.toml's package-data globs; MANIFEST.in only shapes the
    # sdist. Left on, include_package_data would copy the sdist's files under _assets into the wheel a
    # second way, with setuptools' "importable directory" warning for each folder.
    include_package_data=False,
)
