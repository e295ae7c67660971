"""The asset build step is idempotent: run again, it checks the lockfile stamp and does no npm work."""

from __future__ import annotations

import json
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
