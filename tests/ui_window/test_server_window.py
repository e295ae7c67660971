"""The window on a shared server: real llama-server processes on 127.0.0.1, the real remote engine.

File > Shared server… connects; the steps stream as from the local model; a connection dropped
mid-answer keeps the text and offers Retry; an unreachable server says so; a key for plain http to
another machine needs a confirmation; and the key never lands in a file the app writes.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import pytest
import shiboken6
from PySide6.QtWidgets import QFileDialog, QMessageBox
from pytestqt.qtbot import QtBot

from satori_desktop.core import keychain
from satori_desktop.core.settings import Settings, reasoning_choice
from satori_desktop.engine.scripted import ScriptedEngine
from satori_desktop.engine.types import GenerationRequest
from satori_desktop.ui.engine_worker import EngineWorker
from satori_desktop.ui.main_window import MainWindow
from satori_desktop.ui.server_dialog import ServerChoice, ServerDialog
from tests.support.other_models import write_think_model
from tests.support.servers import (
    FaultProxy,
    LlamaServer,
    free_port,
    https_url,
    self_made_certificate,
    tls_recorder,
)
from tests.support.tiny_gguf import EXAMPLE_TRACE, IM_END, LONG_PIECE, script_grammar, write_tiny_gguf
from tests.ui_transcript.conftest import dom_state, run_js
from tests.ui_window.conftest import SharedChecker, choose_reasoning_format
from tests.ui_window.test_samples_window import CARD_JS

if TYPE_CHECKING:
    from satori_desktop.checking import AnswerChecker

SECRET = "sk-satori-unit-test-6f1c2d9e"


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_gguf(tmp_path_factory.mktemp("models") / "tiny-satori.gguf")


@pytest.fixture(scope="module")
def server(tiny_model: Path) -> Iterator[LlamaServer]:
    with LlamaServer(tiny_model, parallel=2) as running:
        yield running


@pytest.fixture(autouse=True)
def no_saved_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(keychain.ENVIRONMENT, raising=False)
    monkeypatch.setattr(keychain, "_session_key", None)


@pytest.fixture
def make_window(qtbot: QtBot, answer_checker: Any) -> Iterator[Callable[..., MainWindow]]:
    """`make(settings, grammar=None)`: a shown window (local answers would come from the scripted engine)."""
    made: list[tuple[MainWindow, EngineWorker]] = []

    def make(settings: Settings, grammar: str | None = None) -> MainWindow:
        worker = EngineWorker(lambda: ScriptedEngine())
        window = MainWindow(
            worker,
            settings,
            model_path=Path("demo.gguf"),
            generation_defaults=GenerationRequest(prompt="", grammar=grammar),
            checker_factory=lambda: cast("AnswerChecker", SharedChecker(answer_checker)),
        )
        made.append((window, worker))
        qtbot.addWidget(window)
        window.resize(1100, 760)
        window.show()
        return window

    yield make
    for window, worker in made:
        window.close()
        assert worker.shutdown(timeout_ms=20_000)
        shiboken6.delete(window)
    qtbot.wait(50)


def connect_through_dialog(
    qtbot: QtBot, window: MainWindow, url: str, key: str = "", model: str = ""
) -> None:
    window.server_action.trigger()
    dialog = window.findChild(ServerDialog, "serverDialog")
    assert dialog is not None
    dialog.server_radio.setChecked(True)
    dialog.urls_edit.setText(url)
    dialog.model_edit.setText(model)
    dialog.key_edit.setText(key)
    dialog.ok_button.click()
    qtbot.waitUntil(
        lambda: window.is_ready and window.backend_label.text() == "Shared server", timeout=30_000
    )


def test_answers_stream_from_a_shared_server(
    qtbot: QtBot, server: LlamaServer, make_window: Callable[..., MainWindow], shoot: Callable[..., Path]
) -> None:
    window = make_window(Settings(max_new_tokens=400), grammar=script_grammar(EXAMPLE_TRACE))
    qtbot.waitUntil(lambda: window.is_ready, timeout=30_000)  # the scripted local engine first
    window.server_action.trigger()
    dialog = window.findChild(ServerDialog, "serverDialog")
    assert dialog is not None
    dialog.server_radio.setChecked(True)
    dialog.urls_edit.setText(server.url)
    shoot(dialog, "server-dialog")
    dialog.ok_button.click()
    qtbot.waitUntil(
        lambda: window.is_ready and window.backend_label.text() == "Shared server", timeout=30_000
    )

    assert window.model_label.text() == f"satori-tiny on 127.0.0.1:{server.port}"
    assert window.context_label.text() == ""
    assert window._settings.engine == "server" and window._settings.server_urls == server.url
    window.ask("What is 1 + 1?")
    with qtbot.waitSignal(window._worker.generation_finished, timeout=60_000) as finished:
        pass
    result = finished.args[0]
    assert result.finish_reason == "stop", result
    assert result.text == EXAMPLE_TRACE.removesuffix(IM_END)
    qtbot.waitUntil(window.transcript.is_idle, timeout=10_000)
    state = dom_state(qtbot, window.transcript)
    assert [s["action"] for s in state["steps"]] == ["start", "continue", "reflect", "explore", "continue"]
    assert state["answer_tex"] == "2"
    qtbot.wait(300)  # the view shows the page's last ops from its next frames
    shoot(window, "remote-answer")

    # Back to this computer: the local engine answers again.
    window.server_action.trigger()
    dialog = window.findChild(ServerDialog, "serverDialog")
    assert dialog is not None and dialog.server_radio.isChecked()
    dialog.local_radio.setChecked(True)
    dialog.ok_button.click()
    qtbot.waitUntil(
        lambda: window.is_ready and window.backend_label.text() != "Shared server", timeout=30_000
    )
    assert window._settings.engine == "local"
    assert window.model_label.text().startswith("Scripted demo engine")


def test_solve_several_times_on_the_server(
    qtbot: QtBot, server: LlamaServer, make_window: Callable[..., MainWindow]
) -> None:
    window = make_window(
        Settings(engine="server", server_urls=server.url, max_new_tokens=400),
        grammar=script_grammar(EXAMPLE_TRACE),
    )
    qtbot.waitUntil(lambda: window.is_ready, timeout=30_000)
    window.solve_several_times("What is 1 + 1?", 4)
    qtbot.waitUntil(lambda: not window.is_busy, timeout=60_000)
    qtbot.waitUntil(window.transcript.is_idle, timeout=10_000)
    [card] = run_js(qtbot, window.transcript, CARD_JS)
    assert len(card["rows"]) == 4
    assert all(row["answer"] == "2" and row["agree"] for row in card["rows"])
    assert card["consensus"] == "2"


def test_a_dropped_connection_keeps_the_text_and_offers_retry(
    qtbot: QtBot, server: LlamaServer, make_window: Callable[..., MainWindow], shoot: Callable[..., Path]
) -> None:
    with FaultProxy(server.port) as proxy:
        window = make_window(Settings(engine="server", server_urls=proxy.url, max_new_tokens=300))
        qtbot.waitUntil(lambda: window.is_ready, timeout=30_000)
        proxy.faults.drop_after = 2500
        window.ask("What is 1 + 1?")
        with qtbot.waitSignal(window._worker.generation_finished, timeout=60_000) as finished:
            pass
        result = finished.args[0]
        assert result.finish_reason == "error"
        assert result.text and (LONG_PIECE * 300).startswith(result.text)
        qtbot.waitUntil(window.transcript.is_idle, timeout=10_000)
        state = dom_state(qtbot, window.transcript)
        assert "lost mid-answer" in state["text"]
        assert "long piece" in state["text"]  # what arrived is shown
        assert window.notice_bar.action_button.isVisible()
        assert window.notice_bar.action_button.text() == "Retry"
        qtbot.wait(300)
        shoot(window, "remote-dropped")

        proxy.faults.drop_after = None
        window.notice_bar.action_button.click()
        with qtbot.waitSignal(window._worker.generation_finished, timeout=60_000) as again:
            pass
        assert again.args[0].finish_reason == "length"
        assert again.args[0].text == LONG_PIECE * 300


def test_an_unreachable_server_is_one_sentence_with_the_way_back(
    qtbot: QtBot, make_window: Callable[..., MainWindow]
) -> None:
    window = make_window(Settings(engine="server", server_urls=f"http://127.0.0.1:{free_port()}"))
    qtbot.waitUntil(lambda: window.notice_bar.action_button.isVisible(), timeout=30_000)
    assert not window.is_ready
    assert window.model_label.text() == "Not connected to a server"
    assert window.notice_bar.action_button.text() == "Server settings…"
    assert "Could not reach the Satori server at 127.0.0.1:" in window.notice_bar.label.text()
    window.notice_bar.action_button.click()
    qtbot.waitUntil(lambda: window.findChild(ServerDialog, "serverDialog") is not None, timeout=5_000)


def test_a_server_with_a_certificate_of_its_own_connects_once_its_file_is_chosen(
    qtbot: QtBot,
    make_window: Callable[..., MainWindow],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    shoot: Callable[..., Path],
) -> None:
    # A real https server whose self-made certificate the system does not trust.
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    key, cert = self_made_certificate(tmp_path)
    with tls_recorder(key, cert, ("Hello", " from", " TLS")) as recorder:
        window = make_window(Settings())
        qtbot.waitUntil(lambda: window.is_ready, timeout=30_000)
        window.server_action.trigger()
        dialog = window.findChild(ServerDialog, "serverDialog")
        assert dialog is not None
        dialog.server_radio.setChecked(True)
        dialog.urls_edit.setText(https_url(recorder))
        dialog.ok_button.click()
        qtbot.waitUntil(lambda: window.notice_bar.action_button.isVisible(), timeout=30_000)
        notice = window.notice_bar.label.text()
        assert "certificate verify failed" in notice
        assert "choose its certificate file in the shared server settings" in notice
        assert window.model_label.text() == "Not connected to a server"

        window.notice_bar.action_button.click()
        qtbot.waitUntil(lambda: window.findChild(ServerDialog, "serverDialog") is not None, timeout=5_000)
        dialog = window.findChild(ServerDialog, "serverDialog")
        assert dialog is not None and dialog.urls_edit.text() == https_url(recorder)
        nowhere = tmp_path / "nowhere.pem"
        dialog.ca_edit.setText(str(nowhere))  # a file that is not there: said in the dialog
        dialog.ok_button.click()
        assert not dialog.error_label.isHidden()
        assert dialog.error_label.text().startswith(f"There is no certificate file at {nowhere}")
        assert dialog.isVisible() and window._settings.server_ca_file == ""
        shoot(dialog, "server-certificate-missing")
        # Choose… opens a file dialog for certificates; then the file goes in the field.
        dialog.ca_button.click()
        files = dialog.findChild(QFileDialog, "serverCaFileDialog")
        assert files is not None and "Certificates (*.pem *.crt *.cer)" in files.nameFilters()
        files.reject()
        dialog.ca_edit.clear()
        qtbot.keyClicks(dialog.ca_edit, str(cert))  # typed: the sentence goes
        assert dialog.error_label.isHidden()
        shoot(dialog, "server-certificate")
        dialog.ok_button.click()
        qtbot.waitUntil(
            lambda: window.is_ready and window.backend_label.text() == "Shared server", timeout=30_000
        )
        assert window._settings.server_ca_file == str(cert)
        window.ask("Say hello.")
        with qtbot.waitSignal(window._worker.generation_finished, timeout=60_000) as finished:
            pass
        assert finished.args[0].text == "Hello from TLS"


def test_a_think_model_on_the_server_is_asked_its_way_and_its_thought_folds(
    qtbot: QtBot, tmp_path: Path, make_window: Callable[..., MainWindow], shoot: Callable[..., Path]
) -> None:
    # A class server running a QwQ-like model (named by its file, as llama-server does without --alias).
    script = f"Add the two: $1+1=2$.\n\nThat is right.</think>So the sum is $\\boxed{{2}}$.{IM_END}"
    model = write_think_model(tmp_path / "tiny-qwq.gguf")
    with LlamaServer(model, parallel=1, alias=None) as server:
        window = make_window(Settings(max_new_tokens=400), grammar=script_grammar(script))
        qtbot.waitUntil(lambda: window.is_ready, timeout=30_000)
        connect_through_dialog(qtbot, window, server.url)
        # The server names the model by its path: the status line by its file's name.
        assert window.model_label.text() == f"tiny-qwq.gguf on 127.0.0.1:{server.port} · <think> reasoning"
        window.ask("What is 1 + 1?")
        with qtbot.waitSignal(window._worker.generation_finished, timeout=60_000) as finished:
            pass
        assert finished.args[0].finish_reason == "stop", finished.args[0]
        qtbot.waitUntil(window.transcript.is_idle, timeout=10_000)
        state = dom_state(qtbot, window.transcript)
        steps = state["steps"]
        assert [(step["action"], step["fold"]) for step in steps] == [("think", True), ("continue", False)]
        assert state["answer_tex"] == "2" and "</think>" not in str(state["text"])
        qtbot.wait(300)  # the view shows the page's last ops from its next frames
        shoot(window, "remote-think")
        # The server's model keeps its own reasoning format in the settings, as a local model does.
        choose_reasoning_format(window, "plain")
        assert window._prompting.reasoning_format == "plain"
        assert reasoning_choice(window._settings, "tiny-qwq.gguf") == "plain"


def test_a_key_over_plain_http_to_another_machine_needs_a_yes(qtbot: QtBot) -> None:
    dialog = ServerDialog(Settings(), "")
    qtbot.addWidget(dialog)
    chosen: list[ServerChoice] = []
    dialog.server_chosen.connect(chosen.append)
    dialog.server_radio.setChecked(True)
    dialog.urls_edit.setText("192.0.2.7:8080")
    dialog.key_edit.setText(SECRET)
    dialog.ok_button.click()
    question = dialog.findChild(QMessageBox, "plainHttpQuestion")
    assert question is not None
    assert "192.0.2.7:8080 is reached over plain http" in question.text()
    question.button(QMessageBox.StandardButton.No).click()
    assert chosen == []
    dialog.ok_button.click()
    question = dialog.findChild(QMessageBox, "plainHttpQuestion")
    assert question is not None
    question.button(QMessageBox.StandardButton.Yes).click()
    assert [(c.mode, c.urls, c.api_key) for c in chosen] == [("server", ("http://192.0.2.7:8080",), SECRET)]

    # Not an address: the sentence shows in the dialog, nothing is chosen.
    dialog = ServerDialog(Settings(), "")
    qtbot.addWidget(dialog)
    dialog.server_chosen.connect(chosen.append)
    dialog.server_radio.setChecked(True)
    dialog.urls_edit.setText("ftp://box")
    dialog.ok_button.click()
    assert not dialog.error_label.isHidden() and "http:// or https://" in dialog.error_label.text()
    assert len(chosen) == 1


def test_the_api_key_never_reaches_a_file(
    qtbot: QtBot,
    tiny_model: Path,
    make_window: Callable[..., MainWindow],
    satori_home: Path,
    tmp_path: Path,
) -> None:
    from satori_desktop.ui.diagnostics import gather_diagnostics

    # Everything the app logs, at every level, also goes to a file of this test's.
    log_file = tmp_path / "everything.log"
    handler = logging.FileHandler(log_file, encoding="utf-8")
    handler.setLevel(logging.DEBUG)
    root = logging.getLogger()
    old_level = root.level
    root.setLevel(logging.DEBUG)
    root.addHandler(handler)
    try:
        with LlamaServer(tiny_model, api_key=SECRET, parallel=1) as keyed:
            window = make_window(Settings(max_new_tokens=20))
            qtbot.waitUntil(lambda: window.is_ready, timeout=30_000)
            connect_through_dialog(qtbot, window, keyed.url, key=SECRET)
            # No keychain on this machine: the window said the key is kept for this session only.
            assert "kept only until the app closes" in window.notice_bar.label.text()
            window.ask("What is 1 + 1?")
            with qtbot.waitSignal(window._worker.generation_finished, timeout=60_000) as finished:
                pass
            assert finished.args[0].finish_reason == "length"
            report = gather_diagnostics(window._load_report)
            (satori_home / "diagnostics.json").write_text(json.dumps(report, default=str), encoding="utf-8")
            window.close()
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
        handler.close()

    written = [path for path in [*satori_home.rglob("*"), log_file] if path.is_file()]
    names = {path.name for path in written}
    assert "settings.json" in names and any(name.startswith("history") for name in names)
    assert log_file.stat().st_size > 0
    leaks = [path for path in written if SECRET.encode() in path.read_bytes()]
    assert leaks == []
    settings = json.loads((next(p for p in written if p.name == "settings.json")).read_text(encoding="utf-8"))
    assert settings["engine"] == "server" and settings["server_urls"] == keyed.url
