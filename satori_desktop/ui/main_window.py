"""The main window: transcript above, composer below, a status line, and the flow of one answer.

The window is the only place that knows the whole flow: a question from the composer becomes a turn of the
`Conversation` (so follow-ups continue it and the engine reuses its KV prefix), a `GenerationRequest` is
queued to the engine worker, event batches from the worker go to the transcript view, and the finished
result closes the turn. It never waits on the engine: every engine reply arrives as a queued signal.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QByteArray, QEvent, QMimeData, QObject, QSettings, Qt
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import QLabel, QMainWindow, QMessageBox, QStackedWidget, QVBoxLayout, QWidget

from satori_desktop.core import paths
from satori_desktop.core.errors import UserFacingError
from satori_desktop.core.prompt import Conversation
from satori_desktop.core.settings import Settings, save_settings
from satori_desktop.engine.streaming import StreamUpdate, TurnSummary
from satori_desktop.engine.types import GenerationRequest, LoadReport
from satori_desktop.models.store import InstalledModel, ModelStore
from satori_desktop.ui.background import BackgroundJob
from satori_desktop.ui.composer import Composer
from satori_desktop.ui.engine_worker import EngineWorker
from satori_desktop.ui.first_run import FirstRunPage
from satori_desktop.ui.notice_bar import NoticeBar
from satori_desktop.ui.status_line import StatusLine
from satori_desktop.ui.transcript import ProblemPreview, TranscriptView

log = logging.getLogger(__name__)


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
        store_factory: Callable[[], ModelStore] = ModelStore,
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
        self._store_factory = store_factory
        self._jobs: list[BackgroundJob] = []

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

        # With no model installed, the first-run page stands where the conversation will be.
        self.first_run = FirstRunPage(self, store_factory=store_factory)
        self.first_run.model_installed.connect(self._on_first_run_model_installed)
        self.first_run.import_requested.connect(self._on_first_run_import_requested)
        self.chat_page = QWidget(self)
        chat = QVBoxLayout(self.chat_page)
        chat.setContentsMargins(0, 0, 0, 0)
        chat.addWidget(self.notice)
        chat.addWidget(self.transcript, 1)
        chat.addWidget(self.composer)
        self.pages = QStackedWidget(self)
        self.pages.addWidget(self.chat_page)
        self.pages.addWidget(self.first_run)

        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(self.notice_bar)
        layout.addWidget(self.pages, 1)
        self.setCentralWidget(central)
        # A .gguf dropped anywhere on the window is imported; the transcript and the problem box would
        # otherwise take the drop as a link or as text.
        self.setAcceptDrops(True)
        self.transcript.setAcceptDrops(False)
        self.composer.editor.viewport().installEventFilter(self)

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

        if notice:
            self.notice_bar.add(notice)
        if model_path is None:
            self.status_line.show_no_model()
            self.pages.setCurrentWidget(self.first_run)
            self.first_run.start()
        else:
            self._load_model(model_path)
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
            # The model could not be loaded: back to the page that gets one, with what happened.
            self.status_line.show_no_model()
            self.pages.setCurrentWidget(self.first_run)
            self.first_run.start()
            self.first_run.show_import_error(message)
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

    def _on_first_run_model_installed(self, model: InstalledModel) -> None:
        self._use_installed_model(model)

    def _on_first_run_import_requested(self, path: Path) -> None:
        self.import_model(path)

    def _on_import_job_succeeded(self, model: InstalledModel) -> None:
        self._use_installed_model(model)

    def _on_import_job_failed(self, sentence: str) -> None:
        if not self._model_ready:
            self.status_line.show_no_model()
        if self.pages.currentWidget() is self.first_run:
            self.first_run.show_import_error(sentence)
        else:
            self.notice_bar.add(sentence)

    # -- models --------------------------------------------------------------------------------------------

    def import_model(self, path: Path) -> None:
        """Check and register a local GGUF (off the GUI thread: hashing a 4 GB file takes seconds), then
        load it. A non-Satori model is allowed; its warning is shown."""
        if self.is_busy:
            self.notice_bar.add("Wait for the answer to finish (or press Stop) before opening another model.")
            return
        store_factory = self._store_factory
        job = BackgroundJob(lambda: store_factory().import_file(path), "importing the model", self)
        job.succeeded.connect(self._on_import_job_succeeded)
        job.failed.connect(self._on_import_job_failed)
        self._jobs.append(job)
        self.status_line.show_checking(path.name)
        self.first_run.show_importing(path.name)
        job.start()

    def _use_installed_model(self, model: InstalledModel) -> None:
        try:
            self._store_factory().set_default(model.name)  # what the user just got is what they want
        except UserFacingError as exc:
            log.warning("could not make %s the default model: %s", model.name, exc)
        for warning in model.warnings:
            self.notice_bar.add(warning)
        self._load_model(model.path)

    def _load_model(self, path: Path) -> None:
        self._model_path = path
        self._model_ready = False
        self._update_accepting()
        self.notice.setVisible(False)
        self.status_line.show_loading(path.name)
        self.pages.setCurrentWidget(self.chat_page)
        self._worker.load(path)

    # -- dropping a model file on the window ---------------------------------------------------------------

    @staticmethod
    def _dropped_gguf(mime: QMimeData) -> Path | None:
        for url in mime.urls() if mime.hasUrls() else []:
            if url.isLocalFile() and url.toLocalFile().lower().endswith(".gguf"):
                return Path(url.toLocalFile())
        return None

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self._dropped_gguf(event.mimeData()) is not None:
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        path = self._dropped_gguf(event.mimeData())
        if path is None:
            event.ignore()
            return
        event.acceptProposedAction()
        self.import_model(path)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # The problem box takes text drops; a model file dropped on it is the window's.
        if event.type() in (QEvent.Type.DragEnter, QEvent.Type.DragMove, QEvent.Type.Drop):
            mime = event.mimeData()  # type: ignore[attr-defined]
            if self._dropped_gguf(mime) is not None:
                if event.type() == QEvent.Type.Drop:
                    self.dropEvent(event)  # type: ignore[arg-type]
                else:
                    event.acceptProposedAction()  # type: ignore[attr-defined]
                return True
        return super().eventFilter(watched, event)

    # -- helpers -------------------------------------------------------------------------------------------

    def _show_notice(self, text: str) -> None:
        self.notice.setText(text)
        self.notice.setVisible(True)

    def _update_accepting(self) -> None:
        self.composer.set_accepting(self.is_ready)

    def closeEvent(self, event: QCloseEvent) -> None:
        self._closing = True
        self.first_run.stop()  # a running download pauses: the next start offers to resume it
        for job in self._jobs:
            job.wait(30)
        window_settings().setValue("geometry", self.saveGeometry())
        self.hide()
        # Cancels a running answer and joins the engine thread; no terminate(), no hung process.
        if not self._worker.shutdown():
            log.error("closing while the engine thread is still busy")
        event.accept()
