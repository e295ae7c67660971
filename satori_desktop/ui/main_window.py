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

from PySide6.QtCore import QByteArray, QSettings, Qt
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import QLabel, QMainWindow, QMessageBox, QVBoxLayout, QWidget

from satori_desktop.core import paths
from satori_desktop.core.errors import UserFacingError
from satori_desktop.core.prompt import Conversation
from satori_desktop.core.settings import Settings, save_settings
from satori_desktop.engine.streaming import StreamUpdate, TurnSummary
from satori_desktop.engine.types import GenerationRequest, LoadReport
from satori_desktop.models.store import no_model_message
from satori_desktop.ui.composer import Composer
from satori_desktop.ui.engine_worker import EngineWorker
from satori_desktop.ui.notice_bar import NoticeBar
from satori_desktop.ui.status_line import StatusLine
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
        settings_notice: str | None = None,
        settings_read_only: bool = False,
        generation_defaults: GenerationRequest | None = None,
    ) -> None:
        super().__init__()
        self.setWindowTitle("Satori Desktop")
        self.setObjectName("mainWindow")
        self._worker = worker
        self._settings = settings
        # A newer version's settings file (or one that cannot be written): changes apply, unsaved.
        self._settings_read_only = settings_read_only
        self._model_path = model_path
        # Decoding options for every question (the prompt and token limit are filled in per turn).
        self._generation_defaults = generation_defaults or GenerationRequest(prompt="")
        self._conversation = Conversation()
        self._page_ready = False
        self._model_ready = False
        self._running_request: int | None = None  # the answer being generated, if any
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
        self.notice_bar = NoticeBar(self)
        if settings_notice:
            self.notice_bar.add(settings_notice)

        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(self.notice_bar)
        layout.addWidget(self.notice)
        layout.addWidget(self.transcript, 1)
        layout.addWidget(self.composer)
        self.setCentralWidget(central)

        self.status_line = StatusLine(self.statusBar(), self)
        self.model_label = self.status_line.model_label
        self.backend_label = self.status_line.backend_label
        self.speed_label = self.status_line.speed_label
        self.context_label = self.status_line.context_label
        self._build_menus()

        self.transcript.page_ready.connect(self._on_transcript_page_ready)
        self.composer.question_submitted.connect(self._on_composer_question_submitted)
        self.composer.stop_requested.connect(self._on_composer_stop_requested)
        worker.model_loaded.connect(self._on_worker_model_loaded)
        worker.generation_streamed.connect(self._on_worker_generation_streamed)
        worker.generation_finished.connect(self._on_worker_generation_finished)
        worker.errored.connect(self._on_worker_errored)

        self.resize(980, 760)
        geometry = window_settings().value("geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)

        if model_path is None:
            self._show_notice(notice or NO_MODEL_MESSAGE)
            self.status_line.show_no_model()
        else:
            self.status_line.show_loading(model_path.name)
            if notice:
                self._show_notice(notice)
            worker.load(model_path)
        # The problem box has the keyboard from the start (Qt gives it the focus when the window shows).
        self.composer.setFocus(Qt.FocusReason.OtherFocusReason)

    # -- public state, for tests and the benchmark --------------------------------------------------------

    @property
    def is_busy(self) -> bool:
        return self._running_request is not None

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

    def _on_worker_model_loaded(self, report: LoadReport) -> None:
        self._model_ready = True
        self.status_line.show_loaded(report)
        self.notice.setVisible(False)
        for warning in report.warnings:
            log.info("model warning: %s", warning)
        self._update_accepting()

    def _on_composer_question_submitted(self, question: str) -> None:
        if self.is_busy or not self.is_ready:
            return
        prompt = self._conversation.ask(question)
        self.composer.set_busy(True)
        self.new_action.setEnabled(False)
        self.transcript.begin_turn(question)
        self.status_line.show_started()
        self._running_request = self._worker.generate(
            replace(self._generation_defaults, prompt=prompt, max_tokens=self._settings.max_new_tokens)
        )

    def _on_composer_stop_requested(self) -> None:
        if self.is_busy:
            self.status_line.show_stopping()
            self._worker.cancel()

    def _on_worker_generation_streamed(self, update: StreamUpdate) -> None:
        if update.progress.request_id != self._running_request or self._closing:
            return
        if update.events:
            self.transcript.apply_events(update.events)
        self.status_line.show_progress(update.progress)

    def _on_worker_generation_finished(self, summary: TurnSummary) -> None:
        if summary.request_id != self._running_request:
            return
        self._running_request = None
        self.composer.set_busy(False)
        self.new_action.setEnabled(True)
        if summary.finish_reason == "error":
            # A failed turn leaves nothing worth continuing from: drop it so a retry starts clean. Its
            # sentence is in the transcript, under the question it belongs to.
            self._conversation.turns.pop()
        else:
            self._conversation.record_answer(summary.text)
        self.status_line.show_finished(summary)
        if not self._closing:
            self.transcript.end_turn(summary)
            # Ready for the next question or a follow-up: the keyboard goes back to the problem box (from
            # Stop, now disabled, or the transcript). Only this window's focus: another app keeps its own.
            self.composer.setFocus(Qt.FocusReason.OtherFocusReason)

    def _on_worker_errored(self, message: str) -> None:
        if self._closing:
            return
        if not self._model_ready:
            self.status_line.show_no_model()
            self._show_notice(message)
            return
        box = QMessageBox(
            QMessageBox.Icon.Warning, "Satori Desktop", message, QMessageBox.StandardButton.Ok, self
        )
        box.setObjectName("errorBox")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()  # window-modal, never blocks the event loop

    def _on_new_action_triggered(self) -> None:
        if self.is_busy:
            return
        self._conversation = Conversation()
        self.transcript.clear()
        self.status_line.reset_context()

    def _on_keep_open_action_toggled(self, checked: bool) -> None:
        self._settings = self._settings.with_changes(keep_sections_open=checked)
        self.transcript.set_keep_sections_open(checked)
        self._save_settings()

    def _save_settings(self) -> None:
        """Keep the settings on disk; a file this version must not write was named at start-up."""
        if self._settings_read_only:
            return
        try:
            save_settings(self._settings)
        except UserFacingError as exc:  # a newer version wrote the file meanwhile
            self._settings_read_only = True
            self.notice_bar.add(str(exc))
        except OSError as exc:
            log.warning("could not save settings: %s", exc)
            self.notice_bar.add(
                f"Your settings could not be saved ({exc.strerror or exc}); they apply until Satori Desktop "
                "closes."
            )

    # -- helpers -------------------------------------------------------------------------------------------

    def _show_notice(self, text: str) -> None:
        self.notice.setText(text)
        self.notice.setVisible(True)

    def _update_accepting(self) -> None:
        self.composer.set_accepting(self.is_ready)

    def closeEvent(self, event: QCloseEvent) -> None:
        self._closing = True
        window_settings().setValue("geometry", self.saveGeometry())
        self.hide()
        # Cancels a running answer and joins the engine thread; no terminate(), no hung process.
        if not self._worker.shutdown():
            log.error("closing while the engine thread is still busy")
        event.accept()
