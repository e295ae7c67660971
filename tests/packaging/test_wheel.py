"""A wheel or an sdist built from the tree carries the transcript page's web assets, so a plain
`pip install .` gives a working app (issue #9; the build step is setup.py's).

Everything is built from a copy of what a clean clone holds, never from the checkout itself (whose
git-ignored `satori_desktop/_assets` would hide a missing build step), with npm off PATH and pip offline:
the builds must do without the network. The copy borrows the checkout's `assets/node_modules` instead of
running `npm ci`; that is a faithful stand-in, because `npm ci` from the same lockfile installs exactly
these files, and the build step checks npm's own record of them (node_modules/.package-lock.json)
against the lockfile before it uses them. It is linked, not copied: with npm off PATH, nothing can
modify it through the link.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ASSETS = "satori_desktop/_assets"

pytestmark = pytest.mark.slow


def _run(cmd: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False)


def _check(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 0, f"{result.args} failed:\n{result.stdout}\n{result.stderr}"


@pytest.fixture(scope="module")
def build_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Where the builds run: PATH is one empty folder (no npm, no node), pip never looks at an index."""
    if importlib.util.find_spec("setuptools.command.bdist_wheel") is None:
        pytest.fail("this setuptools cannot build wheels without the network: `pip install -e '.[test]'`")
    empty_bin = tmp_path_factory.mktemp("no-npm-bin")
    return dict(os.environ, PATH=str(empty_bin), PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1")


def _clean_tree(dest: Path, *, with_node_modules: bool) -> Path:
    """The files of a clean clone (tracked, plus new files not yet committed), copied to `dest`."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for rel in filter(None, listed.split("\0")):
        source = REPO / rel
        if source.is_file():  # a tracked file deleted in the working tree is listed too
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / rel)
    assert not (dest / ASSETS).exists(), "the copy must start without the built assets"
    if with_node_modules:
        node_modules = REPO / "assets" / "node_modules"
        if not (node_modules / "katex" / "package.json").is_file():
            pytest.fail(
                "assets/node_modules is not installed: run `python packaging/fetch_web_assets.py` first"
            )
        (dest / "assets" / "node_modules").symlink_to(node_modules, target_is_directory=True)
    return dest


def _build_wheel(source: Path, out: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "pip", "wheel", ".", "--no-deps", "--no-build-isolation", "-w", str(out)]
    return _run(cmd, source, env)


def _wheel_names(out: Path) -> set[str]:
    (wheel,) = out.glob("satori_desktop-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def _assert_page_assets(names: set[str], tree: Path) -> None:
    for required in ("katex/katex.min.js", "katex/katex.min.css", "web/transcript.html", "web/transcript.js"):
        assert f"{ASSETS}/{required}" in names, required
    fonts = [n for n in names if n.startswith(f"{ASSETS}/katex/fonts/") and n.endswith(".woff2")]
    assert fonts, "no KaTeX font"
    page = {p.relative_to(tree / "assets" / "web").as_posix() for p in (tree / "assets/web").rglob("*")}
    assert {n.removeprefix(f"{ASSETS}/web/") for n in names if n.startswith(f"{ASSETS}/web/")} == page
    icons = {p.relative_to(tree).as_posix() for p in tree.glob("satori_desktop/ui/icons/*.svg")}
    assert icons <= names
    # The window's translations, compiled by the build (packaging/compile_translations.py); not the sources.
    for catalogue in ("satori_desktop_zh_CN.qm", "satori_desktop_en.qm"):
        assert f"{ASSETS}/i18n/{catalogue}" in names, catalogue
    assert not [n for n in names if n.endswith(".ts")]
    assert not [n for n in names if "node_modules" in n or "jsdom" in n]


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _clean_tree(tmp_path_factory.mktemp("tree"), with_node_modules=True)


@pytest.fixture(scope="module")
def tree_wheel(tree: Path, build_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("tree-wheel")
    _check(_build_wheel(tree, out, build_env))
    return out


@pytest.fixture(scope="module")
def sdist(
    tree: Path, tree_wheel: Path, build_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """The sdist, through the PEP 517 hook that `python -m build --sdist --no-isolation` calls."""
    out = tmp_path_factory.mktemp("sdist")
    hook = "import sys, setuptools.build_meta as backend; print(backend.build_sdist(sys.argv[1]))"
    _check(_run([sys.executable, "-c", hook, str(out)], tree, build_env))
    (archive,) = out.glob("satori_desktop-*.tar.gz")
    return archive


def test_a_wheel_built_from_the_tree_carries_the_page_and_katex(tree_wheel: Path, tree: Path) -> None:
    _assert_page_assets(_wheel_names(tree_wheel), tree)


def test_the_sdist_carries_the_built_assets_and_their_sources_but_no_node_modules(sdist: Path) -> None:
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    for required in (
        f"{ASSETS}/katex/katex.min.js",
        f"{ASSETS}/katex/.installed-from-lock",  # what lets a build from the sdist skip npm
        f"{ASSETS}/web/transcript.html",
        "assets/package.json",
        "assets/package-lock.json",
        "assets/web/transcript.js",
        "packaging/fetch_web_assets.py",
        f"{ASSETS}/i18n/satori_desktop_zh_CN.qm",
        f"{ASSETS}/i18n/.compiled-from.json",  # what lets a build from the sdist skip lrelease
        "satori_desktop/ui/i18n/satori_desktop_zh_CN.ts",
        "packaging/compile_translations.py",
        "setup.py",
        "pyproject.toml",
        "README.md",
    ):
        assert required in names, required
    assert any(n.startswith(f"{ASSETS}/katex/fonts/") and n.endswith(".woff2") for n in names)
    for unwanted in (
        "node_modules",
        ".venv/",
        "build/",
        "dist/",
        "__pycache__",
        "_cache/",
        ".hypothesis",
        "tests/",
    ):
        assert not [n for n in names if unwanted in n], unwanted


def test_a_wheel_built_from_the_sdist_needs_neither_npm_nor_the_tree(
    sdist: Path, tree: Path, build_env: dict[str, str], tmp_path: Path
) -> None:
    with tarfile.open(sdist) as archive:
        archive.extractall(tmp_path / "unpacked", filter="data")
    (source,) = (tmp_path / "unpacked").iterdir()
    assert not (source / "assets" / "node_modules").exists()
    _check(_build_wheel(source, tmp_path / "wheel", build_env))
    _assert_page_assets(_wheel_names(tmp_path / "wheel"), tree)


def test_the_installed_wheel_finds_its_page(
    tree_wheel: Path, build_env: dict[str, str], tmp_path: Path
) -> None:
    (wheel,) = tree_wheel.glob("*.whl")
    target = tmp_path / "site"
    install = [sys.executable, "-m", "pip", "install", "--no-deps", "--target", str(target), str(wheel)]
    _check(_run(install, tmp_path, build_env))
    # A child process with the install first on sys.path (the checkout's editable install comes after it),
    # asking the app's own lookup what it finds.
    probe = (
        "import json, sys; sys.path.insert(0, sys.argv[1]);"
        "import satori_desktop; from satori_desktop.ui.transcript import assets;"
        "from satori_desktop.ui.i18n import languages;"
        "print(json.dumps({'package': satori_desktop.__file__, 'missing': assets.missing_assets(),"
        " 'web': str(assets.web_root()), 'katex': str(assets.katex_root()),"
        " 'qm': sorted(p.name for p in languages.QM_DIR.glob('*.qm'))}))"
    )
    env = dict(build_env, QT_QPA_PLATFORM="offscreen")
    result = _run([sys.executable, "-c", probe, str(target)], tmp_path, env)
    _check(result)
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert Path(found["package"]).is_relative_to(target)
    assert found["missing"] == []
    assert Path(found["web"]) == target / ASSETS / "web"
    assert Path(found["katex"]) == target / ASSETS / "katex"
    assert found["qm"] == ["satori_desktop_en.qm", "satori_desktop_zh_CN.qm"]


def test_a_build_that_cannot_fetch_the_assets_says_what_to_do(
    build_env: dict[str, str], tmp_path: Path
) -> None:
    source = _clean_tree(tmp_path / "tree", with_node_modules=False)
    result = _build_wheel(source, tmp_path / "wheel", build_env)
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "web assets" in output and "npm was not found" in output, output
    assert "install Node.js" in output and "packaging/fetch_web_assets.py" in output, output
