"""The formula picture: a PNG of KaTeX's typesetting, offscreen, cropped to the formula, not blank."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from satori_desktop.core.errors import UserFacingError
from tests.support.qt_env import app_env

pytestmark = pytest.mark.slow


def load(png: bytes) -> Any:
    from PySide6.QtGui import QImage

    image = QImage.fromData(png, "PNG")
    assert not image.isNull()
    return image


def ink_fraction(image: Any, background: tuple[int, int, int]) -> float:
    """The share of pixels that differ clearly from the background (the glyphs)."""
    inked = 0
    total = 0
    for y in range(0, image.height(), 2):
        for x in range(0, image.width(), 2):
            color = image.pixelColor(x, y)
            total += 1
            rgb = (color.red(), color.green(), color.blue())
            if sum(abs(a - b) for a, b in zip(rgb, background, strict=True)) > 120:
                inked += 1
    return inked / total


def test_picture_of_the_quadratic_formula(qapp: Any, tmp_path_factory: pytest.TempPathFactory) -> None:
    from satori_desktop.ui.formula_picture import render_formula_png

    png = render_formula_png(r"x = \frac{-b \pm \sqrt{b^2-4ac}}{2a}", True)
    image = load(png)
    # At 2x the formula is some 350 x 110 pixels; cropped, not the 1200 x 400 view.
    assert 250 < image.width() < 600 and 80 < image.height() < 200, (image.width(), image.height())
    assert image.dotsPerMeterX() == round(96 / 0.0254 * 2)
    corner = image.pixelColor(0, 0)
    assert (corner.red(), corner.green(), corner.blue(), corner.alpha()) == (255, 255, 255, 255)
    assert 0.03 < ink_fraction(image, (255, 255, 255)) < 0.5
    target = Path(os.environ.get("SATORI_SCREENSHOT_DIR") or tmp_path_factory.mktemp("pictures"))
    target.mkdir(parents=True, exist_ok=True)
    (target / "formula-quadratic.png").write_bytes(png)


def test_scale_and_dark_theme(qapp: Any) -> None:
    from satori_desktop.ui.formula_picture import render_formula_png

    latex = r"\begin{pmatrix}1&2\\3&4\end{pmatrix} \int_0^1 x\,dx \text{ 中文}"
    small = load(render_formula_png(latex, False, scale=1.0))
    large = load(render_formula_png(latex, False, scale=2.0))
    assert abs(large.width() - 2 * small.width()) <= 4 and abs(large.height() - 2 * small.height()) <= 4
    dark = load(render_formula_png(latex, False, theme="dark"))
    corner = dark.pixelColor(0, 0)
    assert (corner.red(), corner.green(), corner.blue()) == (0x16, 0x19, 0x1D)
    assert ink_fraction(dark, (0x16, 0x19, 0x1D)) > 0.03


def test_bad_input_is_a_sentence(qapp: Any) -> None:
    from satori_desktop.ui.formula_picture import render_formula_png

    with pytest.raises(UserFacingError, match="not valid LaTeX"):
        render_formula_png(r"\frac{1}{", True)
    with pytest.raises(UserFacingError, match="scale"):
        render_formula_png("x", True, scale=10)
    with pytest.raises(UserFacingError, match="too large for a picture"):
        render_formula_png("+".join(f"x_{{{k}}}" for k in range(1700)), False)


def test_png_goes_to_stdout_when_redirected(satori_home: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "satori_desktop", "convert", r"\sqrt{2}", "--to", "png", "--theme", "dark"],
        capture_output=True,
        timeout=120,
        env=app_env(satori_home),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(b"\x89PNG\r\n\x1a\n")
    assert load(result.stdout).width() > 20
