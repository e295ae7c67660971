"""Render the app icon into the files the installers need, from the one SVG the app itself uses.

The icon is drawn once, by hand, as `satori_desktop/ui/icons/satori-desktop.svg`; everything else is made
from it here with Qt's own SVG renderer (QSvgRenderer into a QImage, antialiased; no window, no display):

    python packaging/render_icons.py --out DIR        # DIR/satori-desktop-<N>.png and DIR/satori-desktop.ico
    python packaging/render_icons.py --hicolor ROOT   # ROOT/share/icons/hicolor/... for the .deb

- PNGs of 16, 24, 32, 48, 64, 128, 256 and 512 px, `satori-desktop-<N>.png` (macOS's .icns is made from
  these in CI);
- a Windows `satori-desktop.ico` holding 16 to 256 px. Qt's ICO writer stores one image per file, so the
  container is written here: a 6-byte header, one 16-byte entry per size, and each image as a PNG, which
  Windows reads since Vista;
- the freedesktop icon theme layout, `share/icons/hicolor/<N>x<N>/apps/<app id>.png` for every size and
  `share/icons/hicolor/scalable/apps/<app id>.svg`, named after the app id the .desktop file and the
  AppStream metainfo use.

Importable too: `render_pngs(out_dir)`, `write_ico(path)`, `install_hicolor(root)`.
"""

from __future__ import annotations

import argparse
import shutil
import struct
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
from PySide6.QtGui import QImage, QImageWriter, QPainter
from PySide6.QtSvg import QSvgRenderer

REPO = Path(__file__).resolve().parent.parent
ICON_SVG = REPO / "satori_desktop" / "ui" / "icons" / "satori-desktop.svg"
APP_ID = "io.github.satori_desktop.SatoriDesktop"
PNG_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)  # 256 is the largest size an ICO entry can say

_ICO_HEADER = struct.Struct("<HHH")  # reserved (0), type (1 = icon), number of images
# width, height (0 means 256), colours, reserved, planes, bits per pixel, data size, data offset
_ICO_ENTRY = struct.Struct("<BBBBHHII")


def render_image(size: int, svg: Path = ICON_SVG) -> QImage:
    """The icon at `size` x `size` pixels, transparent outside the tile."""
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise ValueError(f"{svg} is not an SVG that Qt can render")
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter)
    painter.end()
    return image.convertToFormat(QImage.Format.Format_ARGB32)


def png_bytes(image: QImage) -> bytes:
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QImageWriter(buffer, QByteArray(b"png"))
    if not writer.write(image):
        raise RuntimeError(f"Qt could not encode a PNG: {writer.errorString()}")
    buffer.close()
    return bytes(data.data())


def ico_bytes(pngs: Iterable[tuple[int, bytes]]) -> bytes:
    """An ICO file holding each (size, PNG data) pair as one PNG-compressed 32-bit entry."""
    images = list(pngs)
    for size, _ in images:
        if not 1 <= size <= 256:
            raise ValueError(f"an ICO entry is 1 to 256 px, not {size}")
    offset = _ICO_HEADER.size + _ICO_ENTRY.size * len(images)
    entries = []
    for size, data in images:
        side = size % 256  # 0 means 256
        entries.append(_ICO_ENTRY.pack(side, side, 0, 0, 1, 32, len(data), offset))
        offset += len(data)
    return b"".join([_ICO_HEADER.pack(0, 1, len(images)), *entries, *(data for _, data in images)])


def render_pngs(out_dir: Path, sizes: Sequence[int] = PNG_SIZES, svg: Path = ICON_SVG) -> list[Path]:
    """`out_dir/satori-desktop-<N>.png` for each size; returns the paths written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for size in sizes:
        path = out_dir / f"satori-desktop-{size}.png"
        path.write_bytes(png_bytes(render_image(size, svg)))
        written.append(path)
    return written


def write_ico(path: Path, sizes: Sequence[int] = ICO_SIZES, svg: Path = ICON_SVG) -> Path:
    """The Windows icon with every size in `sizes`, smallest first."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(ico_bytes((size, png_bytes(render_image(size, svg))) for size in sorted(sizes)))
    return path


def install_hicolor(root: Path, sizes: Sequence[int] = PNG_SIZES, svg: Path = ICON_SVG) -> list[Path]:
    """The icon theme layout under `root/share/icons/hicolor`; returns the paths written."""
    theme = root / "share" / "icons" / "hicolor"
    written = []
    for size in sizes:
        path = theme / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(png_bytes(render_image(size, svg)))
        written.append(path)
    scalable = theme / "scalable" / "apps" / f"{APP_ID}.svg"
    scalable.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(svg, scalable)
    written.append(scalable)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, help="write the PNGs and the .ico into this folder")
    parser.add_argument("--hicolor", type=Path, metavar="ROOT", help="lay out ROOT/share/icons/hicolor")
    args = parser.parse_args(argv)
    if args.out is None and args.hicolor is None:
        parser.error("say where: --out DIR, --hicolor ROOT, or both")
    written: list[Path] = []
    if args.out is not None:
        written += render_pngs(args.out)
        written.append(write_ico(args.out / "satori-desktop.ico"))
    if args.hicolor is not None:
        written += install_hicolor(args.hicolor)
    print(f"render_icons: wrote {len(written)} files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
