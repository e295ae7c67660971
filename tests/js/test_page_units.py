"""The transcript page's JavaScript unit tests (`tests/js/*.test.mjs`), run by Node's test runner on jsdom.

They test the page's modules (assets/web/) without QtWebEngine; this test runs them so that the one test
command runs them too, and shows Node's report when one fails. jsdom is a devDependency in
`assets/package-lock.json`, installed by `packaging/fetch_web_assets.py` (its `npm ci`); nothing is
fetched here.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]


def test_page_unit_tests_pass() -> None:
    node = shutil.which("node")
    if node is None:
        pytest.fail("Node.js is not installed; the page's unit tests need it (it also brings npm).")
    if not (REPO / "assets" / "node_modules" / "jsdom").is_dir():
        pytest.fail("jsdom is missing from assets/node_modules: run `python packaging/fetch_web_assets.py`.")
    files = sorted(HERE.glob("*.test.mjs"))
    assert files, "no page unit tests found"
    result = subprocess.run(
        [node, "--test", "--test-reporter=spec", *[str(path.relative_to(REPO)) for path in files]],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, f"node --test failed:\n{result.stdout}\n{result.stderr}"
