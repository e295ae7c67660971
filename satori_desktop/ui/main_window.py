"""The main window: transcript above, composer below, a status line, and the flow of one answer.

The window is the only place that knows the whole flow: a question from the composer becomes a turn of the
`Conversation` (so follow-ups continue it and the engine reuses its KV prefix), a `GenerationRequest` is
queued to the engine worker, event batches from the worker go to the transcript view, and the finished
result closes the turn. It never waits on the engine: every engine reply arrives as a queued signal.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QSettings, Qt
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import QLabel, QMainWindow, QMessageBox, QVBoxLayout, QWidget

from satori_desktop.core import paths
from satori_desktop.core.prompt import Conversation
from satori_desktop.core.settings import Settings, save_settings
from satori_desktop.engine.scripted import SCRIPTED_ARCHITECTURE
from satori_desktop.engine.types import GenerationRequest
from satori_desktop.models.store import no_model_message
from satori_desktop.ui.composer import Composer
from satori_desktop.ui.engine_worker import EngineWorker
from satori_desktop.ui.transcript import ProblemPreview, TranscriptView

log = logging.getLogger(__name__)

# The store's sentence (the same in the CLI), plus what only the app can do.
NO_MODEL_MESSAGE = (
    f"{no_model_message()[:-1]}; or start the app with `--model path/to/model.gguf`. "
    "Then restart Satori Desktop."
)


def window_settings() -> QSettings:
    """Window geometry: an INI file beside the app's settings (under SATORI_DESKTOP_HOME in tests)."""
    return QSettings(str(paths.config_dir() / "window.ini"), QSettings.Format.IniFormat)


class MainWindow(QMainWindow):
    def __init__(
        self,
        worker: EngineWorker,
        settings: Settings,
        *,
        model_path: Path | None,
        notice: str | None = None,
        generation_defaults: GenerationRequest | None = None,
    ) -> None:
        super().__init__()
        self.setWindowTitle("Satori Desktop")
        self.setObjectName("mainWindow")
        self._worker = worker
        self._settings = settings
        self._model_path = model_path
        # Decoding options for every question (the prompt and token limit are filled in per turn).
        self._generation_defaults = generation_defaults or GenerationRequest(prompt="")
        self._conversation = Conversation()
        self._page_ready = False
        self._model_ready = False
        self._busy = False
        self._running_request: int | None = None
        self._n_ctx: int | None = None
        self._context_used = 0  # tokens of the conversation so far, after the last finished turn
        self._closing = False

        self.transcript = TranscriptView(self)
        self.transcript.setObjectName("transcript")
        self.transcript.set_keep_sections_open(settings.keep_sections_open)
        self.preview = ProblemPreview(self)
        self.preview.setObjectName("problemPreview")
        self.composer = Composer(self.preview, self)
        self.composer.setObjectName("composer")
        self.composer.set_accepting(False)

        # A banner for "no model", "loading" and load failures: the window is usable to read, never blank.
        self.notice = QLabel(self)
        self.notice.setObjectName("notice")
        self.notice.setWordWrap(True)
        self.notice.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.notice.setStyleSheet(
            "QLabel#notice { background: #fff6d6; color: #4a3b00; border: 1px solid #e6d28a;"
            " border-radius: 6px; padding: 10px; }"
        )
        self.notice.setVisible(False)

        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(self.notice)
        layout.addWidget(self.transcript, 1)
        layout.addWidget(self.composer)
        self.setCentralWidget(central)

        self.model_label = QLabel(self)
        self.model_label.setObjectName("modelLabel")
        self.backend_label = QLabel(self)
        self.backend_label.setObjectName("backendLabel")
        self.speed_label = QLabel(self)
        self.speed_label.setObjectName("speedLabel")
        self.context_label = QLabel(self)
        self.context_label.setObjectName("contextLabel")
        status = self.statusBar()
        status.setStyleSheet(
            "QStatusBar QLabel { padding: 0 10px; color: #444; }"
            " QStatusBar QLabel#backendLabel, QStatusBar QLabel#speedLabel, QStatusBar QLabel#contextLabel"
            " { border-left: 1px solid #ccc; }"
        )
        status.addWidget(self.model_label)
        status.addWidget(self.backend_label)
        status.addWidget(self.speed_label, 1)
        status.addPermanentWidget(self.context_label)
        self._build_menus()

        self.transcript.page_ready.connect(self._on_transcript_page_ready)
        self.composer.question_submitted.connect(self._on_composer_question_submitted)
        self.composer.stop_requested.connect(self._on_composer_stop_requested)
        worker.model_loaded.connect(self._on_worker_model_loaded)
        worker.events_received.connect(self._on_worker_events_received)
        worker.generation_progressed.connect(self._on_worker_generation_progressed)
        worker.generation_finished.connect(self._on_worker_generation_finished)
        worker.errored.connect(self._on_worker_errored)

        self.resize(980, 760)
        geometry = window_settings().value("geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)

        if model_path is None:
            self._show_notice(notice or NO_MODEL_MESSAGE)
            self.model_label.setText("No model")
        else:
            self.model_label.setText(f"Loading {model_path.name}…")
            if notice:
                self._show_notice(notice)
            worker.load(model_path)
        self._update_status_speed(None)
        # The problem box has the keyboard from the start (Qt gives it the focus when the window shows).
        self.composer.setFocus(Qt.FocusReason.OtherFocusReason)

    # -- public state, for tests and the benchmark --------------------------------------------------------

    @property
    def is_busy(self) -> bool:
        return self._busy

    @property
    def transcript_page_ready(self) -> bool:
        return self._page_ready

    @property
    def is_ready(self) -> bool:
        return self._page_ready and self._model_ready

    @property
    def conversation(self) -> Conversation:
        return self._conversation

    def ask(self, question: str) -> None:
        """Send a question as if typed in the composer (the benchmark and tests use it)."""
        self._on_composer_question_submitted(question)

    # -- menus ---------------------------------------------------------------------------------------------

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self.new_action = QAction("&New conversation", self)
        self.new_action.setShortcut(QKeySequence.StandardKey.New)
        self.new_action.triggered.connect(self._on_new_action_triggered)
        file_menu.addAction(self.new_action)
        quit_action = QAction("&Quit", self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)

        view_menu = self.menuBar().addMenu("&View")
        self.keep_open_action = QAction("&Keep checking/exploring sections open", self)
        self.keep_open_action.setCheckable(True)
        self.keep_open_action.setChecked(self._settings.keep_sections_open)
        self.keep_open_action.toggled.connect(self._on_keep_open_action_toggled)
        view_menu.addAction(self.keep_open_action)

    # -- slots ---------------------------------------------------------------------------------------------

    def _on_transcript_page_ready(self) -> None:
        self._page_ready = True
        self._update_accepting()

    def _on_worker_model_loaded(self, report: dict[str, Any]) -> None:
        self._model_ready = True
        self._n_ctx = int(report["n_ctx"])
        name = Path(report["model_path"]).name
        if report.get("architecture") == SCRIPTED_ARCHITECTURE:
            name = "Scripted demo engine (canned answer, no model)"
        self.model_label.setText(name)
        backend = str(report["backend"])
        if backend != "CPU" or int(report.get("gpu_layers", 0)) > 0:
            backend += f" · {report['gpu_layers']}/{report['total_layers']} layers offloaded"
        self.backend_label.setText(backend)
        self.notice.setVisible(False)
        for warning in report.get("warnings", []):
            log.info("model warning: %s", warning)
        self._update_status_context(0)
        self._update_accepting()

    def _on_composer_question_submitted(self, question: str) -> None:
        if self._busy or not self.is_ready:
            return
        prompt = self._conversation.ask(question)
        self._busy = True
        self.composer.set_busy(True)
        self.new_action.setEnabled(False)
        self.transcript.begin_turn(question)
        self._update_status_speed({"generated_tokens": 0, "tok_s": None})
        self._running_request = self._worker.generate(
            replace(self._generation_defaults, prompt=prompt, max_tokens=self._settings.max_new_tokens)
        )

    def _on_composer_stop_requested(self) -> None:
        if self._busy:
            self.speed_label.setText("Stopping…")
            self._worker.cancel()

    def _on_worker_events_received(self, events: list[dict[str, Any]]) -> None:
        if events and not self._closing:
            self.transcript.apply_events(events)

    def _on_worker_generation_progressed(self, progress: dict[str, Any]) -> None:
        if progress.get("request_id") != self._running_request:
            return
        self._update_status_speed(progress)
        self._update_status_context(int(progress.get("generated_tokens", 0)))

    def _on_worker_generation_finished(self, result: dict[str, Any]) -> None:
        if result.get("request_id") != self._running_request:
            return
        self._running_request = None
        self._busy = False
        self.composer.set_busy(False)
        self.new_action.setEnabled(True)
        if not self._closing:
            # Ready for the next question or a follow-up: the keyboard goes back to the problem box (from
            # Stop, now disabled, or the transcript). Only this window's focus: another app keeps its own.
            self.composer.setFocus(Qt.FocusReason.OtherFocusReason)
        reason = result.get("finish_reason", "error")
        if reason == "error":
            # A failed turn leaves nothing worth continuing from: drop it so a retry starts clean.
            self._conversation.turns.pop()
        else:
            self._conversation.record_answer(str(result.get("text", "")))
            prompt_tokens = int(result.get("prompt_tokens", 0))
            generated = int(result.get("generated_tokens", 0))
            if prompt_tokens or generated:
                self._context_used = prompt_tokens + generated
        self._update_status_context(0)
        words = {
            "stop": "Done",
            "length": "Stopped at the token limit",
            "cancelled": "Stopped",
            "error": "Failed",
        }
        tok_s = result.get("decode_tok_s")
        speed = f" · {tok_s:.1f} tok/s" if isinstance(tok_s, (int, float)) else ""
        self.speed_label.setText(
            f"{words.get(reason, reason)} · {result.get('generated_tokens', 0)} tokens{speed}"
        )
        if not self._closing:
            self.transcript.end_turn(
                {
                    "finish_reason": reason,
                    "generated_tokens": result.get("generated_tokens", 0),
                    "decode_tok_s": tok_s,
                    "ttft_s": result.get("ttft_s"),
                }
            )

    def _on_worker_errored(self, message: str) -> None:
        if self._closing:
            return
        if not self._model_ready:
            self.model_label.setText("No model")
            self._show_notice(message)
            return
        box = QMessageBox(
            QMessageBox.Icon.Warning, "Satori Desktop", message, QMessageBox.StandardButton.Ok, self
        )
        box.setObjectName("errorBox")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()  # window-modal, never blocks the event loop

    def _on_new_action_triggered(self) -> None:
        if self._busy:
            return
        self._conversation = Conversation()
        self._context_used = 0
        self.transcript.clear()
        self._update_status_context(0)

    def _on_keep_open_action_toggled(self, checked: bool) -> None:
        self._settings = self._settings.with_changes(keep_sections_open=checked)
        self.transcript.set_keep_sections_open(checked)
        try:
            save_settings(self._settings)
        except OSError as exc:
            log.warning("could not save settings: %s", exc)

    # -- helpers -------------------------------------------------------------------------------------------

    def _show_notice(self, text: str) -> None:
        self.notice.setText(text)
        self.notice.setVisible(True)

    def _update_accepting(self) -> None:
        self.composer.set_accepting(self.is_ready)

    def _update_status_speed(self, progress: dict[str, Any] | None) -> None:
        if progress is None:
            self.speed_label.setText("Idle")
            return
        tok_s = progress.get("tok_s")
        speed = f"{tok_s:.1f} tok/s" if isinstance(tok_s, (int, float)) else "starting…"
        self.speed_label.setText(f"Generating · {progress.get('generated_tokens', 0)} tokens · {speed}")

    def _update_status_context(self, generating: int) -> None:
        if self._n_ctx is None:
            self.context_label.setText("")
            return
        used = self._context_used + generating
        self.context_label.setText(f"Context {used:,} / {self._n_ctx:,} tokens")

    def closeEvent(self, event: QCloseEvent) -> None:
        self._closing = True
        window_settings().setValue("geometry", self.saveGeometry())
        self.hide()
        # Cancels a running answer and joins the engine thread; no terminate(), no hung process.
        if not self._worker.shutdown():
            log.error("closing while the engine thread is still busy")
        event.accept()
