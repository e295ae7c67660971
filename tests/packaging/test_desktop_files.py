"""The Linux desktop entry, the AppStream metainfo and the app icon, checked the way distributions check them.

`desktop-file-validate` (Debian package desktop-file-utils) and `appstreamcli validate --no-net` (appstream)
run on the files in packaging/linux/, and each is shown to fail on a broken copy, so a pass means
something. The icons are made by packaging/render_icons.py exactly as the .deb build calls it, and then
read back: every size, not blank, transparent outside the rounded tile, an .ico that parses, the icon
theme layout. One test starts the real app (scripted engine, offscreen) to see that the window icon and
the desktop file name are set, and that they agree with the .desktop entry.
"""

from __future__ import annotations

import configparser
import json
import shutil
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from types import ModuleType

import pytest
from PySide6.QtGui import QImage, QImageReader

from satori_desktop import __version__
from satori_desktop.ui.app import APP_ICON_PATH, DESKTOP_FILE_NAME, READY_LINE
from tests.support.qt_env import app_env
from tests.support.scripts import load_script

REPO = Path(__file__).resolve().parents[2]
APP_ID = "io.github.satori_desktop.SatoriDesktop"
DESKTOP_FILE = REPO / "packaging" / "linux" / f"{APP_ID}.desktop"
METAINFO_FILE = REPO / "packaging" / "linux" / f"{APP_ID}.metainfo.xml"
RENDER_ICONS = REPO / "packaging" / "render_icons.py"
PNG_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _tool(name: str, package: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed: install the Debian package {package} (apt-packages.txt).")
    return path


def _run(*command: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(part) for part in command], capture_output=True, text=True, timeout=120, check=False
    )


def _desktop_entry(path: Path = DESKTOP_FILE) -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None, delimiters=("=",))
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read(path, encoding="utf-8")
    return parser["Desktop Entry"]


def _appstream_problems(output: str) -> list[str]:
    """The errors and warnings in appstreamcli's report (infos and pedantic notes are fine)."""
    return [line for line in output.splitlines() if line.startswith(("E:", "W:", "  E:", "  W:"))]


def _rgba(path: Path) -> tuple[QImage, bytes]:
    image = QImage(str(path))
    assert not image.isNull(), f"Qt cannot read {path}"
    image = image.convertToFormat(QImage.Format.Format_RGBA8888)
    return image, bytes(image.constBits())[: image.sizeInBytes()]


def _assert_looks_like_the_icon(path: Path, size: int) -> None:
    image, pixels = _rgba(path)
    assert (image.width(), image.height()) == (size, size), path
    alpha = pixels[3::4]
    # Transparent in the corners, outside the rounded tile; opaque in the middle of it.
    for x, y in ((0, 0), (size - 1, 0), (0, size - 1), (size - 1, size - 1)):
        assert alpha[y * size + x] == 0, f"{path}: corner ({x}, {y}) is not transparent"
    assert alpha[(size // 2) * size + size // 2] == 255, f"{path}: the middle is not opaque"
    opaque = sum(1 for a in alpha if a == 255)
    assert opaque > 0.6 * size * size, f"{path}: only {opaque} opaque pixels"
    # Not one flat colour: the tile, the white radical and the amber box are all there.
    colours = {pixels[i : i + 3] for i in range(0, len(pixels), 4) if pixels[i + 3] == 255}
    assert any(min(c) >= 0xF0 for c in colours), f"{path}: no white mark"
    amber = [c for c in colours if c[0] >= 0xE0 and 0x80 <= c[1] <= 0xE0 and c[2] <= 0x60]
    assert amber, f"{path}: no amber box"
    assert any(c[2] > c[0] + 0x30 for c in colours), f"{path}: no blue tile"


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """packaging/render_icons.py run as the build runs it: (the --out folder, the --hicolor root)."""
    out = tmp_path_factory.mktemp("icons")
    root = tmp_path_factory.mktemp("prefix")
    result = _run(sys.executable, RENDER_ICONS, "--out", out, "--hicolor", root)
    assert result.returncode == 0, result.stderr
    assert result.stderr == "", result.stderr  # no Qt warnings either
    return out, root


def _render_icons_module() -> ModuleType:
    return load_script(RENDER_ICONS)


# The desktop entry


def test_the_desktop_entry_passes_desktop_file_validate_without_a_hint() -> None:
    result = _run(_tool("desktop-file-validate", "desktop-file-utils"), DESKTOP_FILE)
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_desktop_file_validate_fails_a_desktop_entry_without_a_type(tmp_path: Path) -> None:
    broken = tmp_path / f"{APP_ID}.desktop"
    lines = DESKTOP_FILE.read_text(encoding="utf-8").splitlines(keepends=True)
    broken.write_text("".join(line for line in lines if not line.startswith("Type=")), encoding="utf-8")
    result = _run(_tool("desktop-file-validate", "desktop-file-utils"), broken)
    assert result.returncode != 0
    assert 'required key "Type"' in result.stdout + result.stderr


def test_the_desktop_entry_names_the_app_the_icon_and_the_command() -> None:
    entry = _desktop_entry()
    assert DESKTOP_FILE.name == f"{DESKTOP_FILE_NAME}.desktop"  # what the app tells the window system
    assert entry["Type"] == "Application"
    assert entry["Name"] == "Satori Desktop" and entry["Name[zh_CN]"]
    assert entry["Comment"] and entry["Comment[zh_CN]"]
    assert entry["Icon"] == APP_ID  # the name render_icons.py installs the icon under
    assert entry["Exec"] == "satori-desktop"  # the [project.scripts] command, on PATH after installing
    assert entry["Terminal"] == "false"
    assert entry["Categories"].split(";")[:2] == ["Education", "Math"]
    # StartupWMClass is the class half of WM_CLASS, which Qt's X11 backend takes from the application
    # name; test_the_app_sets_its_window_icon_and_desktop_file_name checks it against the real app.
    assert entry["StartupWMClass"] == "Satori Desktop"


# The AppStream metainfo


def test_the_metainfo_passes_appstreamcli_validate_without_errors_or_warnings() -> None:
    result = _run(_tool("appstreamcli", "appstream"), "validate", "--no-net", METAINFO_FILE)
    report = result.stdout + result.stderr
    assert result.returncode == 0, report
    assert _appstream_problems(report) == [], report


def test_appstreamcli_fails_a_metainfo_with_a_bad_component_id(tmp_path: Path) -> None:
    broken = tmp_path / f"{APP_ID}.metainfo.xml"
    text = METAINFO_FILE.read_text(encoding="utf-8")
    broken.write_text(text.replace(f"<id>{APP_ID}</id>", "<id>not an id!</id>"), encoding="utf-8")
    result = _run(_tool("appstreamcli", "appstream"), "validate", "--no-net", broken)
    assert result.returncode != 0
    assert "cid-invalid-character" in result.stdout + result.stderr


def test_the_installed_tree_validates_the_metainfo_with_its_desktop_entry_and_icons(
    rendered: tuple[Path, Path], tmp_path: Path
) -> None:
    """As the .deb lays them out under /usr: validate-tree also finds the .desktop file the metainfo
    launches (a warning when it is missing)."""
    usr = tmp_path / "usr"
    shutil.copytree(rendered[1] / "share", usr / "share")
    (usr / "share" / "applications").mkdir()
    shutil.copy(DESKTOP_FILE, usr / "share" / "applications")
    (usr / "share" / "metainfo").mkdir()
    shutil.copy(METAINFO_FILE, usr / "share" / "metainfo")
    appstreamcli = _tool("appstreamcli", "appstream")

    result = _run(appstreamcli, "validate-tree", "--no-net", tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert _appstream_problems(result.stdout + result.stderr) == []

    (usr / "share" / "applications" / DESKTOP_FILE.name).unlink()
    missing = _run(appstreamcli, "validate-tree", "--no-net", tmp_path)
    assert missing.returncode != 0 and "desktop-file-not-found" in missing.stdout + missing.stderr


def test_the_metainfo_agrees_with_the_desktop_entry_and_the_project() -> None:
    component = ET.parse(METAINFO_FILE).getroot()
    assert component.get("type") == "desktop-application"
    assert component.findtext("id") == APP_ID
    launchable = component.find("launchable")
    assert launchable is not None and launchable.get("type") == "desktop-id"
    assert launchable.text == DESKTOP_FILE.name
    assert component.findtext("provides/binary") == _desktop_entry()["Exec"]
    assert component.findtext("project_license") == "Apache-2.0"  # as pyproject.toml says
    assert component.findtext("metadata_license") == "CC0-1.0"
    rating = component.find("content_rating")
    assert rating is not None and rating.get("type") == "oars-1.1"
    newest = component.find("releases/release")
    assert newest is not None and newest.get("version") == __version__  # a release needs its entry
    image = component.findtext("screenshots/screenshot/image") or ""
    shown = image.rsplit("/main/", 1)[-1]
    assert image.startswith("https://raw.githubusercontent.com/") and (REPO / shown).is_file(), image


# The icons


def test_the_app_icon_is_an_svg_qt_renders_without_a_word() -> None:
    """SVG Tiny as QtSvg renders it: no text, no filters, no style sheets (each would render wrong or
    not at all), and the square canvas the icon theme expects."""
    svg = ET.parse(APP_ICON_PATH).getroot()
    assert svg.get("viewBox") == "0 0 256 256"
    tags = {element.tag.rsplit("}", 1)[-1] for element in svg.iter()}
    assert not tags & {"text", "filter", "style", "image", "foreignObject", "clipPath", "mask"}, tags
    assert APP_ICON_PATH.parent.name == "icons"  # shipped as package data: ui/icons/*.svg


def test_render_icons_writes_every_png_size(rendered: tuple[Path, Path]) -> None:
    out, _ = rendered
    assert sorted(path.name for path in out.iterdir()) == sorted(
        [*(f"satori-desktop-{size}.png" for size in PNG_SIZES), "satori-desktop.ico"]
    )
    for size in PNG_SIZES:
        _assert_looks_like_the_icon(out / f"satori-desktop-{size}.png", size)


def test_the_windows_icon_holds_every_size_as_png(rendered: tuple[Path, Path]) -> None:
    data = (rendered[0] / "satori-desktop.ico").read_bytes()
    reserved, kind, count = struct.unpack_from("<HHH", data, 0)
    assert (reserved, kind, count) == (0, 1, len(ICO_SIZES))
    for index, size in enumerate(ICO_SIZES):
        width, height, colours, _, planes, bpp, length, offset = struct.unpack_from(
            "<BBBBHHII", data, 6 + 16 * index
        )
        assert (width, height) == (size % 256, size % 256)  # 0 means 256
        assert (colours, planes, bpp) == (0, 1, 32)
        payload = data[offset : offset + length]
        assert len(payload) == length and payload.startswith(PNG_SIGNATURE)
        assert struct.unpack(">II", payload[16:24]) == (size, size)  # the PNG's own IHDR

    # And Qt's own ICO reader, a second opinion, reads every image back.
    reader = QImageReader(str(rendered[0] / "satori-desktop.ico"))
    assert reader.imageCount() == len(ICO_SIZES)
    sizes = []
    for index in range(reader.imageCount()):
        assert reader.jumpToImage(index)
        image = reader.read()
        assert not image.isNull(), reader.errorString()
        sizes.append(image.width())
    assert sizes == list(ICO_SIZES)


def test_render_icons_lays_out_the_hicolor_theme(rendered: tuple[Path, Path]) -> None:
    _, root = rendered
    theme = root / "share" / "icons" / "hicolor"
    expected = {f"{size}x{size}/apps/{APP_ID}.png" for size in PNG_SIZES} | {f"scalable/apps/{APP_ID}.svg"}
    assert {str(path.relative_to(theme)) for path in theme.rglob("*") if path.is_file()} == expected
    assert {path.name for path in root.iterdir()} == {"share"}
    for size in PNG_SIZES:
        _assert_looks_like_the_icon(theme / f"{size}x{size}" / "apps" / f"{APP_ID}.png", size)
    assert (theme / "scalable" / "apps" / f"{APP_ID}.svg").read_bytes() == APP_ICON_PATH.read_bytes()


def test_render_icons_is_callable_as_functions(rendered: tuple[Path, Path], tmp_path: Path) -> None:
    render_icons = _render_icons_module()
    written = render_icons.render_pngs(tmp_path, sizes=(16, 48))
    assert [path.name for path in written] == ["satori-desktop-16.png", "satori-desktop-48.png"]
    # The same picture as the command line made. Not byte for byte: the rasteriser's antialiasing may
    # differ by a step between this process's Qt setup and the child's, so each channel within 2/255.
    (_, ours), (_, theirs) = _rgba(written[1]), _rgba(rendered[0] / "satori-desktop-48.png")
    assert len(ours) == len(theirs) and max(abs(a - b) for a, b in zip(ours, theirs, strict=True)) <= 2
    # Twice the same way, byte for byte: a build is reproducible.
    again = render_icons.render_pngs(tmp_path / "again", sizes=(48,))
    assert again[0].read_bytes() == written[1].read_bytes()
    ico = render_icons.write_ico(tmp_path / "small.ico", sizes=(32, 16))
    assert struct.unpack_from("<HHH", ico.read_bytes(), 0) == (0, 1, 2)
    with pytest.raises(ValueError, match="1 to 256 px"):
        render_icons.ico_bytes([(512, b"")])


# The running app

# The real app (run_gui, the scripted engine) in a child; once run_gui returns, what it set on the
# QApplication.
APP_THAT_REPORTS_ITS_IDENTITY = r"""
import json
import sys

import satori_desktop.ui.transcript  # the satori: scheme, registered before the QApplication exists
from PySide6.QtWebEngineWidgets import QWebEngineView  # imported before the QApplication exists
from PySide6.QtWidgets import QApplication

from satori_desktop.ui.app import run_gui

app = QApplication([sys.argv[0]])  # run_gui takes it over
code = run_gui(sys.argv[1:])
icon = app.windowIcon()
image = icon.pixmap(64, 64).toImage()
print(json.dumps({
    "code": code,
    "icon_is_null": icon.isNull(),
    "size": [image.width(), image.height()],
    "corner_alpha": image.pixelColor(0, 0).alpha(),
    "middle_alpha": image.pixelColor(32, 32).alpha(),
    "desktop_file_name": app.desktopFileName(),
    "application_name": app.applicationName(),
}), flush=True)
"""


@pytest.mark.slow
def test_the_app_sets_its_window_icon_and_desktop_file_name(satori_home: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", APP_THAT_REPORTS_ITS_IDENTITY, "--scripted-engine", "--exit-when-ready"],
        cwd=REPO,
        env=app_env(satori_home),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    lines = result.stdout.strip().splitlines()
    assert READY_LINE in lines, result.stderr[-3000:]
    seen = json.loads(lines[-1])
    assert seen["code"] == 0
    assert not seen["icon_is_null"] and seen["size"] == [64, 64]
    assert (seen["corner_alpha"], seen["middle_alpha"]) == (0, 255)  # the rounded tile, really drawn
    assert seen["desktop_file_name"] == DESKTOP_FILE.name.removesuffix(".desktop")
    assert seen["application_name"] == _desktop_entry()["StartupWMClass"]
