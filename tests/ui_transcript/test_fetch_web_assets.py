"""The asset build step: quick when done (it checks the lockfile stamp and does no npm work), and what it
copies into the app: every page file and KaTeX, nothing of the page's tests."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_fetch_web_assets_is_quick_when_done(require_web_assets: None) -> None:
    result = subprocess.run(
        [sys.executable, str(REPO / "packaging" / "fetch_web_assets.py")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    pinned = json.loads((REPO / "assets" / "package.json").read_text())["dependencies"]["katex"]
    assert f"KaTeX {pinned} already up to date" in result.stdout
    lock = json.loads((REPO / "assets" / "package-lock.json").read_text())
    entry = lock["packages"]["node_modules/katex"]
    assert entry["version"] == pinned and entry["integrity"].startswith("sha512-")
    installed = REPO / "satori_desktop" / "_assets" / "katex"
    assert (installed / "VERSION").read_text().strip() == pinned
    assert len(list((installed / "fonts").glob("*.woff2"))) >= 19


def test_the_tests_dom_library_is_pinned_for_development_only() -> None:
    manifest = json.loads((REPO / "assets" / "package.json").read_text())
    assert "jsdom" in manifest["devDependencies"] and "jsdom" not in manifest["dependencies"]
    entry = json.loads((REPO / "assets" / "package-lock.json").read_text())["packages"]["node_modules/jsdom"]
    assert entry["dev"] is True and entry["integrity"].startswith("sha512-")
    assert entry["version"] == manifest["devDependencies"]["jsdom"]


def test_the_app_gets_every_page_file_and_nothing_of_the_tests(require_web_assets: None) -> None:
    source = REPO / "assets" / "web"
    installed = REPO / "satori_desktop" / "_assets"
    page_files = sorted(p.relative_to(source) for p in source.rglob("*") if p.is_file())
    copied = sorted(p.relative_to(installed / "web") for p in (installed / "web").rglob("*") if p.is_file())
    assert copied == page_files
    for rel in page_files:
        assert (installed / "web" / rel).read_bytes() == (source / rel).read_bytes(), rel
    # i18n/ is packaging/compile_translations.py's (the window's .qm files), not this script's.
    assert sorted(p.name for p in installed.iterdir()) in (["katex", "web"], ["i18n", "katex", "web"])
    assert not [p for p in installed.rglob("*") if "jsdom" in p.name or p.name == "node_modules"]


def test_every_module_of_the_page_is_required() -> None:
    """transcript.js and what it imports, module by module: each is a file the page cannot run without."""
    from satori_desktop.ui.transcript.assets import REQUIRED_FILES

    web = REPO / "assets" / "web"
    seen: set[str] = set()
    todo = ["transcript.js"]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        text = (web / name).read_text(encoding="utf-8")
        todo += re.findall(r'^(?:import|export)\b[^;]*?["\']\./([\w.-]+\.js)["\'];', text, flags=re.M | re.S)
    assert len(seen) > 1
    assert {f"web/{name}" for name in seen} <= set(REQUIRED_FILES)
    assert {p.name for p in web.glob("*.js")} == seen, "a page module that nothing imports"
