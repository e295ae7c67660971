"""Compile the window's translations (`.ts` sources in satori_desktop/ui/i18n/) into the `.qm` files it loads.

The `.ts` files are the sources, in git; the `.qm` files are built from them with Qt's `lrelease` (the one
PySide6 ships as `pyside6-lrelease`) into `satori_desktop/_assets/i18n/` (git-ignored, shipped as package
data with the page's assets). A stamp records each source's hash, so a second run is quick and needs no
lrelease at all when nothing changed: an unpacked sdist, which carries the `.qm`, builds a wheel without
Qt's tools. Stdlib only, so any Python can run it:

    python packaging/compile_translations.py            # compile (or check and skip)
    python packaging/compile_translations.py --force    # compile again
    python packaging/compile_translations.py --update   # first refresh the .ts from the code (lupdate)

`--update` runs `pyside6-lupdate` over satori_desktop/ui: new strings arrive in the `.ts` as unfinished
(translate them there, in Qt Linguist or any editor), strings gone from the code are dropped, and no
source locations are written, so the diff shows only what changed. `satori_desktop_en.ts` takes the plural
forms only (`-pluralonly`: "%n answers" becomes "1 answer" and "2 answers"); English needs nothing else.

scripts/bootstrap.sh runs it after the web assets, and setup.py's build (wheels, sdists) calls
`compile_catalogs()`. lrelease is looked for next to this Python (a virtual environment with PySide6),
inside the PySide6 package it can import, then on PATH.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SOURCES = REPO / "satori_desktop" / "ui" / "i18n"
CODE = REPO / "satori_desktop" / "ui"
DEST = REPO / "satori_desktop" / "_assets" / "i18n"
STAMP = DEST / ".compiled-from.json"
# The catalogues and how lupdate fills each: every string, or only the ones with plural forms.
CATALOGS = {"satori_desktop_zh_CN.ts": [], "satori_desktop_en.ts": ["-pluralonly"]}


class CompileError(Exception):
    """Why the translations could not be compiled, as a clause ("pyside6-lrelease was not found")."""


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _qm_name(ts_name: str) -> str:
    return ts_name.removesuffix(".ts") + ".qm"


def _stamped() -> dict[str, str]:
    try:
        stamp = json.loads(STAMP.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return stamp if isinstance(stamp, dict) else {}


def is_current() -> bool:
    """Whether every `.qm` is there and was compiled from the `.ts` as it is now. Without the `.ts` (an
    installed tree), the `.qm` being there is enough."""
    stamp = _stamped()
    for ts_name in CATALOGS:
        if not (DEST / _qm_name(ts_name)).is_file():
            return False
        source = SOURCES / ts_name
        if source.is_file() and stamp.get(ts_name) != _digest(source):
            return False
    return True


def find_tool(name: str) -> Path | None:
    """`pyside6-<name>` (lrelease, lupdate): beside this Python, in the importable PySide6, or on PATH."""
    suffix = ".exe" if sys.platform == "win32" else ""
    here = Path(sys.executable).parent
    candidates = [here / f"pyside6-{name}{suffix}", here / "Scripts" / f"pyside6-{name}{suffix}"]
    spec = importlib.util.find_spec("PySide6")
    if spec is not None and spec.origin is not None:
        package = Path(spec.origin).parent
        candidates += [package / f"{name}{suffix}", package / "Qt" / "libexec" / f"{name}{suffix}"]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    found = shutil.which(f"pyside6-{name}")
    return Path(found) if found else None


def _run(cmd: list[str]) -> None:
    result = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()
        raise CompileError(
            f"`{Path(cmd[0]).name} {' '.join(cmd[1:])}` failed (exit {result.returncode}"
            + (f": {detail[-1]}" if detail else "")
            + ")"
        )


def update() -> str:
    """Refresh the `.ts` sources from the code with lupdate; returns a one-line summary."""
    lupdate = find_tool("lupdate")
    if lupdate is None:
        raise CompileError("pyside6-lupdate was not found (install PySide6 in this Python)")
    # The files themselves: lupdate's directory scan does not hand .py files to its Python parser.
    code = [str(path.relative_to(REPO)) for path in sorted(CODE.rglob("*.py"))]
    for ts_name, options in CATALOGS.items():
        _run(
            [
                str(lupdate),
                *code,
                "-no-obsolete",
                "-locations",
                "none",
                "-source-language",
                "en",
                *options,
                "-ts",
                str((SOURCES / ts_name).relative_to(REPO)),
            ]
        )
    return f"compile_translations: updated {', '.join(CATALOGS)} from {CODE.relative_to(REPO)}"


def compile_catalogs(*, force: bool = False) -> str:
    """Bring the `.qm` files up to date, running lrelease only when a source changed; returns a one-line
    summary. Raises `CompileError`."""
    if not force and is_current():
        return f"compile_translations: {len(CATALOGS)} catalogues already up to date in {DEST}"
    missing = [name for name in CATALOGS if not (SOURCES / name).is_file()]
    if missing:
        raise CompileError(f"{', '.join(missing)} not in {SOURCES}")
    lrelease = find_tool("lrelease")
    if lrelease is None:
        raise CompileError("pyside6-lrelease was not found (install PySide6 in this Python)")
    DEST.mkdir(parents=True, exist_ok=True)
    stamp: dict[str, str] = {}
    for ts_name in CATALOGS:
        source = SOURCES / ts_name
        _run([str(lrelease), "-silent", str(source), "-qm", str(DEST / _qm_name(ts_name))])
        stamp[ts_name] = _digest(source)
    STAMP.write_text(json.dumps(stamp, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return f"compile_translations: compiled {', '.join(map(_qm_name, CATALOGS))} into {DEST}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="compile again even if up to date")
    parser.add_argument("--update", action="store_true", help="refresh the .ts from the code first")
    args = parser.parse_args(argv)
    try:
        if args.update:
            print(update())
        print(compile_catalogs(force=args.force or args.update))
    except CompileError as exc:
        sys.exit(f"compile_translations: {exc}; run it with the Python of a PySide6 environment (.venv).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
