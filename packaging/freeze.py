"""Freeze Satori Desktop into one folder with PyInstaller: the app, Python, Qt WebEngine and llama.cpp.

    python packaging/freeze.py [--variant cpu|cuda|metal]     # the bundle's path is the last line printed

Steps, each skipped or quick when already done:
1. the web assets (KaTeX from the npm registry; packaging/fetch_web_assets.py);
2. the icons (packaging/render_icons.py, into build/icons/);
3. the release llama-cpp-python wheel for the variant (packaging/build-llama-wheel.sh, cached: its CPU
   backends are chosen at run time, never the build machine's features);
4. a clean build environment, build/freeze/<variant>/venv, with that wheel, PySide6 (whose lrelease
   compiles the translations first), the app from this tree (a real install, not editable: what users
   get) and PyInstaller (the `bundle` extra);
5. PyInstaller with packaging/pyinstaller/satori-desktop.spec, into build/bundle/<variant>/.

Output: build/bundle/<variant>/satori-desktop/ (the executable `satori-desktop` inside), and on macOS
build/bundle/<variant>/Satori Desktop.app. Stdlib only, so the machine's own Python can run it.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BUILD = REPO / "build"
VARIANTS = ("cpu", "cuda", "metal")


def project_version() -> str:
    match = re.search(r'^version\s*=\s*"([^"]+)"', (REPO / "pyproject.toml").read_text(), re.MULTILINE)
    if match is None:
        sys.exit("freeze: pyproject.toml has no version.")
    return match.group(1)


def pyside6_pin() -> str:
    match = re.search(r'"(PySide6==[^"]+)"', (REPO / "pyproject.toml").read_text())
    if match is None:
        sys.exit("freeze: pyproject.toml pins no PySide6 version.")
    return match.group(1)


def _run(command: list[str], **kwargs: object) -> None:
    print("freeze: $ " + " ".join(str(part) for part in command), flush=True)
    result = subprocess.run(command, check=False, **kwargs)  # type: ignore[call-overload]
    if result.returncode != 0:
        sys.exit(f"freeze: `{Path(command[0]).name} ...` failed (exit {result.returncode}); see above.")


def _venv_python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")


def llama_wheel(variant: str) -> Path:
    """The release llama-cpp-python wheel for the variant, built once and cached.

    SATORI_LLAMA_WHEEL names a wheel to use instead (one built elsewhere with the same flags).
    """
    given = os.environ.get("SATORI_LLAMA_WHEEL")
    if given:
        if not Path(given).is_file():
            sys.exit(f"freeze: SATORI_LLAMA_WHEEL names {given}, which does not exist.")
        return Path(given)
    bash = shutil.which("bash")
    if bash is None:
        sys.exit("freeze: bash is needed to build llama-cpp-python (on Windows, Git Bash has it).")
    result = subprocess.run(
        [bash, str(REPO / "packaging" / "build-llama-wheel.sh"), variant],
        check=False,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHON": sys.executable},
    )
    lines = result.stdout.strip().splitlines()
    if result.returncode != 0 or not lines or not Path(lines[-1]).is_file():
        sys.exit(f"freeze: building the llama-cpp-python wheel ({variant}) failed; see above.")
    return Path(lines[-1])


def build_environment(variant: str, wheel: Path) -> Path:
    """A fresh virtual environment with the release llama.cpp, the app from this tree and PyInstaller."""
    venv = BUILD / "freeze" / variant / "venv"
    if venv.exists():
        shutil.rmtree(venv)  # nothing of a previous build (an older app, a stray package) gets in
    _run([sys.executable, "-m", "venv", str(venv)])
    python = str(_venv_python(venv))
    pip = [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    _run([*pip, "--upgrade", "pip"])
    _run([*pip, str(wheel)])
    # The window's translations are compiled with the lrelease PySide6 ships, before the app's own build
    # step (which runs in pip's isolated environment, without Qt) collects them as package data.
    _run([*pip, pyside6_pin()])
    _run([python, str(REPO / "packaging" / "compile_translations.py")])
    # The app from the tree as users get it (not editable); pip keeps the release llama-cpp-python,
    # which satisfies the pin.
    _run([*pip, f"{REPO}[bundle]"])
    return venv


def freeze(variant: str) -> Path:
    started = time.monotonic()
    _run([sys.executable, str(REPO / "packaging" / "fetch_web_assets.py")])
    icons = BUILD / "icons"
    render_icons = REPO / "packaging" / "render_icons.py"
    wheel = llama_wheel(variant)
    venv = build_environment(variant, wheel)
    if render_icons.is_file():
        # Rendered with the build environment's Qt (the machine's Python may have no PySide6).
        _run([str(_venv_python(venv)), str(render_icons), "--out", str(icons)], env=_offscreen_env())
        if sys.platform == "darwin":  # the .icns the spec takes, from those PNGs, with Apple's iconutil
            _run(
                [
                    "bash",
                    str(REPO / "packaging" / "macos" / "make-icns.sh"),
                    str(icons),
                    str(icons / "satori-desktop.icns"),
                ]
            )
    dist = BUILD / "bundle" / variant
    work = BUILD / "freeze" / variant / "work"
    env = {**os.environ, "SATORI_ICON_DIR": str(icons), "SATORI_VERSION": project_version()}
    _run(
        [
            str(_venv_python(venv)),
            "-m",
            "PyInstaller",
            "--noconfirm",
            "--clean",
            "--log-level=WARN",
            "--distpath",
            str(dist),
            "--workpath",
            str(work),
            str(REPO / "packaging" / "pyinstaller" / "satori-desktop.spec"),
        ],
        env=env,
    )
    bundle = dist / ("Satori Desktop.app" if sys.platform == "darwin" else "satori-desktop")
    if sys.platform.startswith("linux"):
        strip_symbols(bundle, _venv_python(venv))
    print(f"freeze: {variant} bundle built in {time.monotonic() - started:.0f} s", flush=True)
    return bundle


def strip_symbols(bundle: Path, python: Path) -> None:
    """Symbol tables out of every library in the bundle that carries one: libpython (18 MB of them), the
    standard library's extension modules (6 MB), llama.cpp's, cryptography's Rust module (3 MB), PyYAML's
    (2 MB), Qt's ICU (1.4 MB).

    Left alone: what auditwheel patched (numpy's OpenBLAS in `numpy.libs/` and the modules whose rpath
    points there), whose ELF layout stripping breaks ("load command address/offset not page-aligned").
    Each library stripped is then opened by the bundle's own Python (`python`), and one that no longer
    opens gets its original back, so a wheel that patched its libraries some other way costs bytes, never
    a broken bundle. llama.cpp's libraries are not opened here: its CPU variants' initialisers may use
    instructions this machine lacks (they are the ones stripped since the first installer, and the
    self-test loads the right one).
    """
    strip, readelf = shutil.which("strip"), shutil.which("readelf")
    if strip is None or readelf is None:
        print("freeze: no `strip` here (binutils); the bundle keeps its symbols", flush=True)
        return
    internal = bundle / "_internal"
    targets = [path for path in sorted(internal.rglob("*.so*")) if _strippable(path, internal, readelf)]
    before = sum(path.stat().st_size for path in targets)
    kept = []
    for path in targets:
        original = path.with_name(path.name + ".unstripped")
        shutil.copy2(path, original)
        _run([strip, "--strip-unneeded", str(path)])
        if "llama_cpp" in path.relative_to(internal).parts or _opens(python, path):
            original.unlink()
        else:
            original.replace(path)
            kept.append(path.relative_to(internal))
    after = sum(path.stat().st_size for path in targets)
    saved = (before - after) / 1e6
    print(f"freeze: stripped {len(targets) - len(kept)} libraries, {saved:.1f} MB of symbols", flush=True)
    for path in kept:
        print(f"freeze: {path} does not open once stripped; kept whole", flush=True)


def _strippable(path: Path, internal: Path, readelf: str) -> bool:
    """A shared library (not a link) with a symbol table that auditwheel did not patch."""
    if path.is_symlink() or not path.is_file():
        return False
    with path.open("rb") as file:  # the magic only: Qt WebEngine's library alone is 200 MB
        if file.read(4) != b"\x7fELF":
            return False
    if any(part.endswith(".libs") for part in path.relative_to(internal).parts):
        return False
    sections = subprocess.run([readelf, "-S", "-W", str(path)], capture_output=True, text=True, check=False)
    if ".symtab" not in sections.stdout:
        return False
    dynamic = subprocess.run([readelf, "-d", str(path)], capture_output=True, text=True, check=False)
    return ".libs" not in "".join(line for line in dynamic.stdout.splitlines() if "PATH" in line)


def _opens(python: Path, library: Path) -> bool:
    """Whether `python` can dlopen `library` (lazily bound, in a process of its own)."""
    check = "import ctypes, os, sys; ctypes.CDLL(sys.argv[1], mode=os.RTLD_LAZY)"
    result = subprocess.run([str(python), "-c", check, str(library)], capture_output=True, check=False)
    return result.returncode == 0


def _offscreen_env() -> dict[str, str]:
    return {**os.environ, "QT_QPA_PLATFORM": "offscreen"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = "metal" if sys.platform == "darwin" else "cpu"
    parser.add_argument("--variant", choices=VARIANTS, default=default, help=f"default: {default}")
    args = parser.parse_args(argv)
    if args.variant == "metal" and sys.platform != "darwin":
        parser.error("the metal variant is built on macOS")
    if args.variant == "cuda" and sys.platform == "darwin":
        parser.error("there is no CUDA on macOS: use the metal variant")
    print(freeze(args.variant))
    return 0


if __name__ == "__main__":
    sys.exit(main())
