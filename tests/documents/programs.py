"""The programs the document tests run (pdflatex, LibreOffice, poppler): found, or the test fails naming
the Debian package that provides it (CI installs them: packaging/apt-packages.txt). Never skipped."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

SCREENSHOT_DIR_ENV = "SATORI_SCREENSHOT_DIR"
PACKAGES = {
    "pdflatex": "texlive-latex-base texlive-latex-recommended texlive-fonts-recommended "
    "latex-cjk-chinese latex-cjk-chinese-arphic-gbsn00lp",
    "soffice": "libreoffice-writer-nogui libreoffice-math-nogui",
    "pdftoppm": "poppler-utils",
    "pdftotext": "poppler-utils",
    "pdfinfo": "poppler-utils",
}


def require(program: str) -> str:
    path = shutil.which(program)
    if path is None:
        pytest.fail(
            f"{program} is not installed: `apt-get install --no-install-recommends {PACKAGES[program]}`"
        )
    return path


def run(args: list[str], cwd: Path, timeout: float = 180, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        [require(args[0]), *args[1:]],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        check=False,
    )
    assert result.returncode == 0, (
        f"{args[0]} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
    )
    return result.stdout


def pdf_text(pdf: Path) -> str:
    return run(["pdftotext", "-layout", str(pdf), "-"], pdf.parent)


def pdf_page_size(pdf: Path) -> tuple[float, float]:
    """Width and height of the first page, in points."""
    for line in run(["pdfinfo", str(pdf)], pdf.parent).splitlines():
        if line.startswith("Page size:"):
            width, _, height = line.split(":", 1)[1].split()[:3]
            return float(width), float(height)
    raise AssertionError("pdfinfo printed no page size")


def pdf_pictures(pdf: Path, name: str) -> list[Path]:
    """The PDF's pages as PNGs (pdftoppm), kept in SATORI_SCREENSHOT_DIR when it is set, to look at."""
    target = Path(os.environ.get(SCREENSHOT_DIR_ENV) or pdf.parent)
    target.mkdir(parents=True, exist_ok=True)
    run(["pdftoppm", "-png", "-r", "80", str(pdf), str(target / name)], pdf.parent)
    pictures = sorted(target.glob(f"{name}-*.png"))
    assert pictures, "pdftoppm wrote no picture"
    return pictures
