"""The page cannot reach the network or navigate away, and says so when its assets are missing."""

from __future__ import annotations

import http.server
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest

from satori_desktop.core.errors import UserFacingError
from satori_desktop.ui.transcript import assets
from tests.ui_transcript.conftest import delete_now, run_js


class CountingHandler(http.server.BaseHTTPRequestHandler):
    hits: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        CountingHandler.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(b"leak")

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def local_server() -> Iterator[str]:
    CountingHandler.hits = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), CountingHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_requests_to_anything_but_the_app_are_refused(
    qtbot: Any, transcript_view: Any, local_server: str
) -> None:
    from satori_desktop.ui.transcript.web import request_guard

    script = f"""(
      fetch('{local_server}/fetch').catch(() => 0),
      (new Image()).src = '{local_server}/image.png',
      document.body.appendChild(Object.assign(document.createElement('iframe'),
        {{src: '{local_server}/frame'}})),
      document.head.appendChild(Object.assign(document.createElement('link'),
        {{rel: 'stylesheet', href: '{local_server}/style.css'}})),
      0)"""
    run_js(qtbot, transcript_view, script)
    guard = request_guard()
    # The CSP of the page stops most of these before they are even requested; whatever got as far as the
    # network stack was blocked there. Either way the server must see nothing.
    run_js(qtbot, transcript_view, "(fetch('file:///etc/hostname').catch(() => 0), 0)")
    qtbot.waitUntil(lambda: len(transcript_view.app_page().console_errors) >= 2, timeout=10000)
    # A navigation of the page itself is refused before any request is made.
    transcript_view.app_page().runJavaScript(f"location.href = '{local_server}/navigate'", 0)
    qtbot.wait(300)  # give a leaked request time to arrive (absence cannot be waited for otherwise)
    assert CountingHandler.hits == []
    assert transcript_view.url().toString() == "satori://app/web/transcript.html"
    refusals = transcript_view.app_page().console_errors
    assert any("Content Security Policy" in message for message in refusals)
    # What did reach the network stack was blocked there (an image or frame, depending on the timing).
    assert all(url.startswith(("http://127.0.0.1", "file:")) for url in guard.blocked_urls())
    refusals.clear()  # expected errors: the fixture checks that nothing else went wrong


def test_links_do_not_navigate(qtbot: Any, transcript_view: Any, local_server: str) -> None:
    script = f"""(() => {{
      const a = document.createElement('a');
      a.href = '{local_server}/clicked'; a.id = 'probe'; a.textContent = 'x';
      document.body.appendChild(a); a.click(); return 0; }})()"""
    run_js(qtbot, transcript_view, script)
    qtbot.wait(300)
    assert CountingHandler.hits == []
    assert transcript_view.url().toString() == "satori://app/web/transcript.html"
    assert run_js(qtbot, transcript_view, "typeof window.satori") == "object"


def test_asset_paths_stay_inside_their_roots() -> None:
    assert assets.asset_path("web/transcript.html") is not None
    assert assets.asset_path("katex/katex.min.js") is not None
    for bad in ("web/../../pyproject.toml", "katex/../web/transcript.js", "web", "other/x.js", "web/.hidden"):
        assert assets.asset_path(bad) is None, bad


@pytest.fixture
def assets_without_katex(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    web = tmp_path / "src" / "web"
    shutil.copytree(Path(assets.web_root()), web)
    monkeypatch.setattr(assets, "_SOURCE_WEB", web)
    monkeypatch.setattr(assets, "_INSTALLED", tmp_path / "installed")  # no katex/ there
    return tmp_path


def test_missing_katex_is_said_in_words(qtbot: Any, assets_without_katex: Path) -> None:
    from satori_desktop.ui.transcript import TranscriptView

    assert "katex/katex.min.js" in assets.missing_assets()
    with pytest.raises(UserFacingError, match=r"fetch_web_assets\.py"):
        assets.require_assets()
    view = TranscriptView()
    try:
        with qtbot.waitSignal(view.page_ready, timeout=20000):
            view.show()
        notice = run_js(qtbot, view, "document.getElementById('notice').hidden ? '' : notice.textContent")
        view.begin_turn("Is $x$ shown?")
        qtbot.waitUntil(view.is_idle, timeout=20000)
        question = run_js(qtbot, view, "document.querySelector('.question').textContent.trim()")
        katex_available = view.katex_available
    finally:
        delete_now(view)
    assert "web assets are missing" in notice and "fetch_web_assets.py" in notice
    assert katex_available is False
    assert question == "Is $x$ shown?"  # the formula's source, readable, instead of nothing


def test_missing_page_is_said_in_words(qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from satori_desktop.ui.transcript import TranscriptView

    monkeypatch.setattr(assets, "_SOURCE_WEB", tmp_path / "nothing")
    monkeypatch.setattr(assets, "_INSTALLED", tmp_path / "nothing-either")
    view = TranscriptView()
    try:
        with qtbot.waitSignal(view.page_ready, timeout=20000):
            view.show()
        text = run_js(qtbot, view, "document.body.innerText")
        ready = view.is_page_ready
    finally:
        delete_now(view)
    assert "web assets (KaTeX) are missing" in text and "fetch_web_assets.py" in text
    assert not ready  # nothing to update on an error page
