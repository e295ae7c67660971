"""The main window: the history sidebar, transcript above composer, a status line, the flow of one answer.

The window is the only place that knows the whole flow: a question from the composer becomes a turn of the
`Conversation` (so follow-ups continue it and the engine reuses its KV prefix), a `GenerationRequest` is
queued to the engine worker, event batches from the worker go to the transcript view and the history
recorder, and the finished result closes the turn. It never waits on the engine: every engine reply
arrives as a queued signal. With no model it shows the first-run page in the conversation's place.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import shiboken6
from PySide6.QtCore import QByteArray, QCoreApplication, QEvent, QMimeData, QObject, QSettings, Qt
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDragEnterEvent,
    QDropEvent,
    QGuiApplication,
    QKeySequence,
)
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from satori_desktop.core import paths
from satori_desktop.core.coat import parse_trace
from satori_desktop.core.errors import UserFacingError
from satori_desktop.core.model_format import ModelPrompting, parser_for_output, with_format
from satori_desktop.core.prompt import Conversation, Turn, problem_prompt_for
from satori_desktop.core.settings import Settings, reasoning_choice, save_settings, server_url_list
from satori_desktop.engine.streaming import StreamUpdate, TurnSummary
from satori_desktop.engine.types import BatchJob, FinishReason, GenerationRequest, LoadReport
from satori_desktop.models import hub
from satori_desktop.models.store import InstalledModel, ModelStore, set_models_root
from satori_desktop.ui.background import BackgroundJob
from satori_desktop.ui.composer import Composer
from satori_desktop.ui.engine_worker import EngineWorker
from satori_desktop.ui.file_manager import open_folder
from satori_desktop.ui.history_link import HistoryFactory, HistoryLink, open_history
from satori_desktop.ui.history_sidebar import HistorySidebar
from satori_desktop.ui.i18n.text import QT_TRANSLATE_NOOP, arg
from satori_desktop.ui.notice_bar import NoticeBar
from satori_desktop.ui.samples_controller import SamplesController, SettledSamples
from satori_desktop.ui.sampling import (
    MAX_SAMPLES,
    MIN_SAMPLES,
    SAMPLE_TEMPERATURE,
    SAMPLE_TOP_P,
    BatchFinished,
    BatchJobDone,
    SamplesOutcome,
    SamplesUpdate,
)
from satori_desktop.ui.status_line import StatusLine
from satori_desktop.ui.theme import apply_theme
from satori_desktop.ui.transcript import ProblemPreview, TranscriptView
from satori_desktop.ui.tutor import TutorBar, TutorController

if TYPE_CHECKING:  # made on first use, so a start with a model does not pay for them
    from satori_desktop.checking import AnswerChecker
    from satori_desktop.history import HistoryStore
    from satori_desktop.history import Turn as StoredTurn
    from satori_desktop.ui.first_run import FirstRunPage
    from satori_desktop.ui.models_window import ModelsWindow
    from satori_desktop.ui.problem_set_window import ProblemSetWindow
    from satori_desktop.ui.server_dialog import ServerChoice
    from satori_desktop.ui.settings_dialog import SettingsDialog

log = logging.getLogger(__name__)

WAIT_FOR_THE_ANSWER = QT_TRANSLATE_NOOP(
    "MainWindow", "Wait for the answer to finish (or press Stop) before opening another model."
)


def window_settings() -> QSettings:
    """Window geometry: an INI file beside the app's settings (under SATORI_DESKTOP_HOME in tests)."""
    return QSettings(str(paths.config_dir() / "window.ini"), QSettings.Format.IniFormat)


def _can_ask_weakly(window: MainWindow) -> Callable[[], bool]:
    """Whether `window` can take a question now, without a reference that keeps it alive."""
    ref = weakref.ref(window)

    def can_ask() -> bool:
        target = ref()
        return target is not None and target.is_ready and not target.is_busy

    return can_ask


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
        history_factory: HistoryFactory | None = open_history,
        checker_factory: Callable[[], AnswerChecker] | None = None,
    ) -> None:
        super().__init__()
        self.setWindowTitle("Satori Desktop")
        self.setObjectName("mainWindow")
        self._worker = worker
        self._settings = settings
        hub.use_endpoint(settings.hub_endpoint)  # downloads come from the settings' mirror, if any
        # A newer version's settings file (or one that cannot be written): changes apply, unsaved.
        self._settings_read_only = settings_read_only
        self._model_path = model_path
        self._model_sha256: str | None = None  # recorded with each answer when the model's is known
        self._load_report: LoadReport | None = None
        self._reload_after_answer = False
        # Decoding options for every question (the prompt and token limit are filled in per turn).
        self._generation_defaults = generation_defaults or GenerationRequest(prompt="")
        # How the loaded model is prompted and read (its load report, with the settings' override).
        self._prompting = ModelPrompting()
        self._conversation = Conversation(prompting=self._prompting)
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
        application = QApplication.instance()
        if isinstance(application, QApplication):
            apply_theme(application, settings.theme)
        self.transcript.set_theme(settings.theme)
        self.preview.set_theme(settings.theme)

        self.notice_bar = NoticeBar(self)
        if settings_notice:
            self.notice_bar.add(settings_notice)

        # With no model installed, the first-run page stands where the conversation will be.
        self._first_run: FirstRunPage | None = None
        self.chat_page = QWidget(self)
        chat = QVBoxLayout(self.chat_page)
        chat.setContentsMargins(0, 0, 0, 0)
        chat.addWidget(self.transcript, 1)
        self.tutor_bar = TutorBar(self.chat_page)
        self.tutor_bar.setObjectName("tutorBar")
        chat.addWidget(self.tutor_bar)
        chat.addWidget(self.composer)
        self.pages = QStackedWidget(self)
        self.pages.addWidget(self.chat_page)

        # The history: the sidebar lists it, the link records into it (both once it is open).
        self.sidebar = HistorySidebar(self)
        self.sidebar.conversation_opened.connect(self._on_sidebar_conversation_opened)
        self.sidebar.new_conversation_requested.connect(self._on_sidebar_new_conversation_requested)
        self.sidebar.conversation_deleted.connect(self._on_sidebar_conversation_deleted)
        self.sidebar.failed.connect(self.notice_bar.add)
        self.history = HistoryLink(history_factory, self)
        self.history.opened.connect(self._on_history_opened)
        self.history.failed.connect(self._on_history_failed)
        self._history_settled = history_factory is None  # opened, or known it cannot be
        self.history.save_state_changed.connect(self._on_history_save_state_changed)
        self._save_problem: str | None = None
        # Tutor mode and "Check my answer" (ui/tutor): what each turn reveals, checks, "Explain this step".
        self.tutor = TutorController(
            self.transcript,
            self.tutor_bar,
            self.history,
            # Weakly: a closure over the window, kept by its child, would keep its wrapper alive.
            can_ask=_can_ask_weakly(self),
            checker_factory=checker_factory,
            parent=self,
        )
        self.tutor.explain_requested.connect(self._on_tutor_explain_requested)
        # Solve several times (ui/samples_controller.py): the samples card, the grouping, each solution.
        self.samples = SamplesController(self.transcript, self.tutor.checker, parent=self)
        self.samples.settled.connect(self._on_samples_settled)
        self.tutor_bar.answer_edit.textEdited.connect(self._on_tutor_bar_answer_edited)
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.setObjectName("mainSplitter")
        self.splitter.addWidget(self.sidebar)
        self.splitter.addWidget(self.pages)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([240, 740])

        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(self.notice_bar)
        layout.addWidget(self.splitter, 1)
        self.setCentralWidget(central)
        # A .gguf dropped anywhere on the window is imported; the transcript and the problem box would
        # otherwise take the drop as a link or as text.
        self.setAcceptDrops(True)
        self.transcript.setAcceptDrops(False)
        self.composer.editor.viewport().installEventFilter(self)

        self._models_window: ModelsWindow | None = None

        self.status_line = StatusLine(self.statusBar(), self)
        self.model_label = self.status_line.model_label
        self.backend_label = self.status_line.backend_label
        self.speed_label = self.status_line.speed_label
        self.context_label = self.status_line.context_label
        self._build_menus()

        self.transcript.page_ready.connect(self._on_transcript_page_ready)
        self.composer.question_submitted.connect(self._on_composer_question_submitted)
        self.composer.stop_requested.connect(self._on_composer_stop_requested)
        self.composer.samples_submitted.connect(self._on_composer_samples_submitted)
        self.composer.set_samples(settings.samples)
        worker.model_loaded.connect(self._on_worker_model_loaded)
        worker.generation_streamed.connect(self._on_worker_generation_streamed)
        worker.generation_finished.connect(self._on_worker_generation_finished)
        worker.samples_streamed.connect(self._on_worker_samples_streamed)
        worker.samples_finished.connect(self._on_worker_samples_finished)
        worker.batch_job_done.connect(self._on_worker_batch_job_done)
        worker.batch_finished.connect(self._on_worker_batch_finished)
        self._problem_set_window: ProblemSetWindow | None = None  # the one whose batch is running
        worker.errored.connect(self._on_worker_errored)
        worker.load_progressed.connect(self._on_worker_load_progressed)

        self.resize(980, 760)
        geometry = window_settings().value("geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        splitter_state = window_settings().value("splitter")
        if isinstance(splitter_state, QByteArray):
            self.splitter.restoreState(splitter_state)
        self.history.open()

        if notice:
            self.notice_bar.add(notice)
        if settings.engine == "server" and server_url_list(settings.server_urls):
            self._connect_server()
        elif model_path is None:
            self.status_line.show_no_model()
            self.pages.setCurrentWidget(self.first_run)
            self.first_run.start()
        else:
            self._load_model(model_path)
        self._update_busy_actions()
        # The problem box has the keyboard from the start (Qt gives it the focus when the window shows).
        self.composer.setFocus(Qt.FocusReason.OtherFocusReason)

    # -- pages and windows made on first use ---------------------------------------------------------------

    @property
    def first_run(self) -> FirstRunPage:
        """The page shown with no model (made the first time it is needed)."""
        if self._first_run is None:
            from satori_desktop.ui.first_run import FirstRunPage

            page = FirstRunPage(self, store_factory=self._store_factory)
            page.model_installed.connect(self._on_first_run_model_installed)
            page.import_requested.connect(self._on_first_run_import_requested)
            page.mirror_requested.connect(self._on_first_run_mirror_requested)
            self.pages.addWidget(page)
            self._first_run = page
        return self._first_run

    @property
    def models_window(self) -> ModelsWindow:
        """File > Models… (made the first time it opens)."""
        if self._models_window is None:
            from satori_desktop.ui.models_window import ModelsWindow

            window = ModelsWindow(self, store_factory=self._store_factory)
            window.model_chosen.connect(self._on_models_window_model_chosen)
            window.models_folder_moved.connect(self._on_models_window_models_folder_moved)
            if self._load_report is not None:
                window.set_loaded_model(self._load_report.model_path)
            self._models_window = window
        return self._models_window

    def _showing_first_run(self) -> bool:
        return self._first_run is not None and self.pages.currentWidget() is self._first_run

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

    def _action(
        self, text: str, slot: Callable[[], object], shortcut: QKeySequence | QKeySequence.StandardKey | None
    ) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(shortcut)
        action.triggered.connect(slot)
        return action

    def _build_menus(self) -> None:
        keys = QKeySequence.StandardKey
        file_menu = self.menuBar().addMenu(self.tr("&File"))
        self.new_action = self._action(self.tr("&New conversation"), self._on_new_action_triggered, keys.New)
        self.import_action = self._action(
            self.tr("&Open a model file…"), self._on_import_action_triggered, keys.Open
        )
        self.models_action = self._action(
            self.tr("&Models…"), self._on_models_action_triggered, QKeySequence("Ctrl+Shift+M")
        )
        self.settings_action = self._action(
            self.tr("&Settings…"), self._on_settings_action_triggered, keys.Preferences
        )
        self.settings_action.setMenuRole(QAction.MenuRole.PreferencesRole)
        self.server_action = self._action(self.tr("S&hared server…"), self._on_server_action_triggered, None)
        file_menu.addActions([self.new_action, self.import_action, self.models_action, self.server_action])
        file_menu.addSeparator()
        self.problem_set_action = self._action(
            self.tr("Solve a &problem set…"),
            self._on_problem_set_action_triggered,
            QKeySequence("Ctrl+Shift+P"),
        )
        file_menu.addAction(self.problem_set_action)
        self.export_action = self._action(
            self.tr("&Export…"), self._on_export_action_triggered, QKeySequence("Ctrl+Shift+E")
        )
        file_menu.addAction(self.export_action)
        file_menu.addSeparator()
        file_menu.addAction(self.settings_action)
        file_menu.addSeparator()
        file_menu.addAction(self._action(self.tr("&Quit"), self.close, keys.Quit))

        edit_menu = self.menuBar().addMenu(self.tr("&Edit"))
        self.copy_answer_action = self._action(
            self.tr("Copy the &answer (LaTeX)"),
            self._on_copy_answer_action_triggered,
            QKeySequence("Ctrl+Shift+C"),
        )
        self.stop_action = self._action(
            self.tr("&Stop"), self._on_composer_stop_requested, QKeySequence("Ctrl+.")
        )
        self.focus_composer_action = self._action(
            self.tr("&Type a problem"), self._on_focus_composer_action_triggered, QKeySequence("Ctrl+L")
        )
        self.search_action = self._action(
            self.tr("Searc&h the history"), self.sidebar.focus_search, keys.Find
        )
        # The last solution on the page; the page says what was copied (transcript/copy_menu.py).
        self.copy_solution_markdown_action = self._action(
            self.tr("Copy solution as &Markdown"), lambda: self.transcript.copy_solution(markdown=True), None
        )
        self.copy_solution_word_action = self._action(
            self.tr("Copy solution for &Word"), lambda: self.transcript.copy_solution(markdown=False), None
        )
        edit_menu.addActions(
            [
                self.copy_answer_action,
                self.copy_solution_markdown_action,
                self.copy_solution_word_action,
                self.stop_action,
                self.focus_composer_action,
                self.search_action,
            ]
        )

        view_menu = self.menuBar().addMenu(self.tr("&View"))
        self.keep_open_action = QAction(self.tr("&Keep checking/exploring sections open"), self)
        self.keep_open_action.setCheckable(True)
        self.keep_open_action.setChecked(self._settings.keep_sections_open)
        self.keep_open_action.toggled.connect(self._on_keep_open_action_toggled)
        self.sidebar_action = QAction(self.tr("&History sidebar"), self)
        self.sidebar_action.setCheckable(True)
        self.sidebar_action.setChecked(True)
        self.sidebar_action.setShortcut(QKeySequence("Ctrl+Shift+H"))
        self.sidebar_action.toggled.connect(self.sidebar.setVisible)
        view_menu.addActions([self.keep_open_action, self.sidebar_action])

        tutor_menu = self.menuBar().addMenu(self.tr("&Tutor"))
        self.tutor_action = QAction(self.tr("&Tutor mode"), self)
        self.tutor_action.setCheckable(True)
        self.tutor_action.setShortcut(QKeySequence("Ctrl+Shift+T"))
        self.tutor_action.toggled.connect(self._on_tutor_action_toggled)
        self.tutor.tutoring_changed.connect(self.tutor_action.setChecked)
        self.next_step_action = self._action(self.tr("&Next step"), self.tutor.next_step, None)
        self.next_step_action.setToolTip(self.tr("Space or → in the transcript"))
        self.show_answer_action = self._action(
            self.tr("Show the &answer"), self.tutor_bar.answer_button.click, None
        )
        self.check_answer_action = self._action(
            self.tr("&Check my answer"), self._on_check_answer_action_triggered, QKeySequence("Ctrl+K")
        )
        tutor_menu.addActions(
            [self.tutor_action, self.next_step_action, self.show_answer_action, self.check_answer_action]
        )

        help_menu = self.menuBar().addMenu(self.tr("&Help"))
        self.about_action = self._action(
            self.tr("&About Satori Desktop"), self._on_about_action_triggered, None
        )
        self.diagnostics_action = self._action(
            self.tr("&Copy diagnostics"), self._on_diagnostics_action_triggered, None
        )
        self.log_folder_action = self._action(
            self.tr("Open the &log folder"), self._on_log_folder_action_triggered, None
        )
        help_menu.addActions([self.about_action, self.diagnostics_action, self.log_folder_action])

    # -- slots ---------------------------------------------------------------------------------------------

    def _on_transcript_page_ready(self) -> None:
        self._page_ready = True
        self._update_accepting()

    def _on_worker_load_progressed(self, fraction: float) -> None:
        if self._model_path is not None and not self._model_ready:
            self.status_line.show_load_progress(self._model_path.name, fraction)

    def _on_worker_model_loaded(self, report: LoadReport) -> None:
        self._model_ready = True
        self._load_report = report
        self._prompting = with_format(
            report.prompting, reasoning_choice(self._settings, report.model_path.name)
        )
        self._conversation.prompting = self._prompting  # the next question is asked the new model's way
        if self._models_window is not None:
            self._models_window.set_loaded_model(report.model_path)
        self.status_line.show_loaded(report)
        for warning in report.warnings:
            log.info("model warning: %s", warning)
        self._update_accepting()

    def _on_composer_question_submitted(self, question: str) -> None:
        if self.is_busy or not self.is_ready:
            return
        self._start_answer(question)

    def _start_answer(
        self, question: str, *, replacing_turn_id: int | None = None, tutored: bool | None = None
    ) -> None:
        """`tutored`: hide the answer for the tutor to reveal (by default: when tutor mode is on)."""
        tutored = self.tutor.tutoring if tutored is None else tutored
        prompt = self._begin_turn(question, tutored=tutored, replacing_turn_id=replacing_turn_id)
        self._running_request = self._worker.generate(self._request_for(prompt))
        self._update_busy_actions()

    def solve_several_times(self, question: str, count: int | None = None) -> None:
        """Solve `question` `count` times at once (the settings' number by default) and show the answer
        most solutions agree on; the benchmark and tests call it as the composer's button does."""
        if self.is_busy or not self.is_ready:
            return
        count = max(MIN_SAMPLES, min(MAX_SAMPLES, count or self._settings.samples))
        prompt = self._begin_turn(question, tutored=False, samples=count)
        base = self._request_for(prompt)
        # Sampled, as self-consistency needs (ui/sampling.py says why these values); a set seed makes
        # each solution repeatable (seed, seed + 1, ...).
        seed = self._settings.seed
        requests = tuple(
            replace(
                base,
                temperature=SAMPLE_TEMPERATURE,
                top_p=SAMPLE_TOP_P,
                seed=None if seed is None else seed + index,
            )
            for index in range(count)
        )
        self._running_request = self._worker.generate_samples(requests)
        self.samples.start(len(self.transcript.texts) - 1, count, question, self._running_request)
        self._update_busy_actions()

    def _begin_turn(
        self,
        question: str,
        *,
        tutored: bool,
        replacing_turn_id: int | None = None,
        samples: int | None = None,
    ) -> str:
        """A new turn on the page, in the history and the conversation; returns the prompt to answer."""
        prompt = self._conversation.ask(question)
        self.composer.set_busy(True)
        self.new_action.setEnabled(False)
        self.sidebar.setEnabled(False)  # the conversation being answered stays the one shown
        self.transcript.begin_turn(question, tutored=tutored)
        self.status_line.show_started()
        settings = {
            "max_new_tokens": self._settings.max_new_tokens,
            "temperature": self._settings.temperature,
            "top_p": self._generation_defaults.top_p,
            "seed": self._settings.seed,
            "n_ctx": self._settings.n_ctx,
            "gpu_layers": self._settings.gpu_layers,
        }
        if samples is not None:
            settings.update(samples=samples, temperature=SAMPLE_TEMPERATURE, top_p=SAMPLE_TOP_P)
        self.history.begin_turn(
            question,
            model_file=None if self._model_path is None else str(self._model_path),
            model_sha256=self._model_sha256,
            settings=settings,
            replacing_turn_id=replacing_turn_id,
        )
        self.tutor.turn_begun(tutored=tutored)
        if self.history.conversation_id is not None:
            self.sidebar.set_current(self.history.conversation_id)
        return prompt

    def _request_for(self, prompt: str) -> GenerationRequest:
        """The decoding options the settings give (the model card's greedy by default)."""
        return replace(
            self._generation_defaults,
            prompt=prompt,
            max_tokens=self._settings.max_new_tokens,
            temperature=self._settings.temperature,
            seed=self._settings.seed,
        )

    def _update_busy_actions(self) -> None:
        self.stop_action.setEnabled(self.is_busy)
        self.import_action.setEnabled(not self.is_busy)

    # -- problem sets ----------------------------------------------------------------------------------------

    def open_problem_set(self, path: Path) -> ProblemSetWindow | None:
        """Open a JSONL or CSV problem set in a window of its own; None (and a notice) when unreadable."""
        from satori_desktop.core.problem_sets import read_problem_set
        from satori_desktop.ui.problem_set_window import ProblemSetWindow

        try:
            problem_set = read_problem_set(path)
        except UserFacingError as exc:
            self.notice_bar.add(str(exc))
            return None
        window = ProblemSetWindow(
            problem_set,
            # Each problem asked the loaded model's way (Satori's prompt, or its own template).
            request_for=lambda text: self._request_for(problem_prompt_for(self._prompting, text)),
            checker=self.tutor.checker,
            parent=self,
        )
        window.run_requested.connect(self._on_problem_set_run_requested)
        window.stop_requested.connect(self._on_composer_stop_requested)
        window.show()
        return window

    def _on_problem_set_action_triggered(self) -> None:
        dialog = QFileDialog(self, self.tr("Solve a problem set"))
        dialog.setObjectName("problemSetDialog")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.setNameFilters([self.tr("Problem sets (*.jsonl *.json *.csv)"), self.tr("All files (*)")])
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.fileSelected.connect(self._on_problem_set_file_selected)
        dialog.open()

    def _on_problem_set_file_selected(self, name: str) -> None:
        self.open_problem_set(Path(name))

    def _on_problem_set_run_requested(
        self, window: ProblemSetWindow, jobs: tuple[BatchJob, ...], parallel: int
    ) -> None:
        if self.is_busy or not self.is_ready:
            window.refused(
                self.tr("Satori is busy with another answer, or the model is still loading; try again then.")
            )
            return
        self.composer.set_busy(True)
        self.new_action.setEnabled(False)
        self.sidebar.setEnabled(False)
        self.status_line.show_started()
        self._problem_set_window = window
        self._running_request = self._worker.solve_batch(jobs, parallel)
        self._update_busy_actions()
        window.started()

    def _on_worker_batch_job_done(self, done: BatchJobDone) -> None:
        window = self._problem_set_window
        if done.request_id == self._running_request and window is not None and shiboken6.isValid(window):
            window.job_done(done)

    def _on_worker_batch_finished(self, ended: BatchFinished) -> None:
        if ended.request_id != self._running_request:
            return
        self._running_request = None
        window, self._problem_set_window = self._problem_set_window, None
        self.composer.set_busy(False)
        self.new_action.setEnabled(True)
        self.sidebar.setEnabled(True)
        self.status_line.reset_context()
        self._update_busy_actions()
        if window is not None and shiboken6.isValid(window):
            window.finished(ended)

    def _on_composer_samples_submitted(self, question: str) -> None:
        self.solve_several_times(question)

    def _on_composer_stop_requested(self) -> None:
        if self.is_busy:
            self.status_line.show_stopping()
            self._worker.cancel()

    def _on_worker_generation_streamed(self, update: StreamUpdate) -> None:
        if update.progress.request_id != self._running_request or self._closing:
            return
        if update.events:
            self.transcript.apply_events(update.events)
            self.tutor.add_events(update.events)
        self.history.append(update.text)
        self.status_line.show_progress(update.progress)

    def _on_worker_generation_finished(self, summary: TurnSummary) -> None:
        if summary.request_id != self._running_request:
            return
        self._finish_turn(summary)

    def _on_worker_samples_streamed(self, update: SamplesUpdate) -> None:
        if update.request_id == self._running_request and not self._closing:
            self.samples.show_progress(update)
            self.status_line.show_batch_progress(update.tokens, update.tok_s)

    def _on_worker_samples_finished(self, outcome: SamplesOutcome) -> None:
        if outcome.request_id != self._running_request:
            return
        if self._closing or not self.samples.settle(outcome):
            # Nothing came out: the turn ends as the single-answer path would end it.
            reason: FinishReason = "error" if outcome.error is not None else "cancelled"
            self._finish_turn(TurnSummary(outcome.request_id, reason, error=outcome.error))
        # Otherwise the answers are being grouped; `_on_samples_settled` ends the turn.

    def _on_samples_settled(self, settled: SettledSamples) -> None:
        # Closing waited for the grouping, but its result arrives after the history has closed.
        if settled.summary.request_id != self._running_request or self._closing:
            return
        chosen = settled.record.samples[settled.record.chosen].text
        parser = parser_for_output(chosen)
        events = parser.feed(chosen) + parser.finish()
        if not self._closing:
            self.transcript.apply_events(events)
            self.tutor.add_events(events)
        self.history.append(chosen)
        self.history.save_samples(settled.record)
        self._finish_turn(settled.summary)

    def _finish_turn(self, summary: TurnSummary) -> None:
        self._running_request = None
        self._update_busy_actions()
        self.composer.set_busy(False)
        self.new_action.setEnabled(True)
        self.sidebar.setEnabled(True)
        if not self._closing:  # closing ends the recording itself (history.close)
            self.history.finish(summary)
            self.sidebar.refresh()
            if self._reload_after_answer:
                self._reload_model()
        if summary.finish_reason == "error":
            # A failed turn leaves nothing worth continuing from: drop it so a retry starts clean. Its
            # sentence is in the transcript, under the question it belongs to.
            failed = self._conversation.turns.pop()
            if self._on_server() and not self._closing and summary.error:
                # A network fault mid-answer (the text that arrived is shown above): offer to ask again.
                self._offer_retry_question(failed.question, summary.error)
        else:
            self._conversation.record_answer(summary.text)
        self.status_line.show_finished(summary)
        if not self._closing:
            self.transcript.end_turn(summary)
            self.tutor.turn_ended(failed=summary.finish_reason == "error")
            # Ready for the next question or a follow-up: the keyboard goes back to the problem box (from
            # Stop, now disabled, or the transcript). Only this window's focus: another app keeps its own.
            self.composer.setFocus(Qt.FocusReason.OtherFocusReason)

    def _on_worker_errored(self, message: str) -> None:
        if self._closing:
            return
        if not self._model_ready and self._settings.engine == "server":
            # The server could not be reached or refused: say so, and offer its settings.
            self.status_line.show_not_connected()
            self.notice_bar.offer(message, self.tr("Server settings…"), self._on_server_action_triggered)
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
        self.new_conversation()

    def _on_import_action_triggered(self) -> None:
        self.first_run.choose_file()

    def _on_models_action_triggered(self) -> None:
        self.models_window.present()

    def _on_export_action_triggered(self) -> None:
        from satori_desktop.ui.export_dialog import export_window_conversation, window_solution

        solution = window_solution(self.history.store, self.history.conversation_id, self._conversation)
        export_window_conversation(self, solution, window_settings(), self.notice_bar.add)

    def _on_first_run_mirror_requested(self) -> None:
        dialog = self._on_settings_action_triggered()
        dialog.focus_hub_endpoint()

    def _on_settings_action_triggered(self) -> SettingsDialog:
        from satori_desktop.ui.settings_dialog import open_settings_dialog

        # The loaded model's reasoning format is edited there, a server's model's too (by its file's name).
        model_name = self._load_report.model_path.name if self._load_report is not None else None
        dialog = open_settings_dialog(self._settings, self, model_name=model_name)
        dialog.settings_accepted.connect(self._on_settings_dialog_settings_accepted)
        return dialog

    def _on_settings_dialog_settings_accepted(self, settings: Settings, needs_reload: bool) -> None:
        old = self._settings
        if settings.models_dir != old.models_dir and settings.models_dir:
            try:
                set_models_root(Path(settings.models_dir))  # carries the registry over
            except (UserFacingError, OSError) as exc:
                self.notice_bar.add(arg(self.tr("The models folder could not be changed: %1"), exc))
                settings = settings.with_changes(models_dir=old.models_dir)
        self.apply_settings(settings)
        if needs_reload and self._model_path is not None and self._model_ready:
            self._ask_to_reload()

    def apply_settings(self, settings: Settings) -> None:
        """Use `settings` from now on and keep them; what needs a reload waits for one."""
        mirror_changed = settings.hub_endpoint != self._settings.hub_endpoint
        self._settings = settings
        hub.use_endpoint(settings.hub_endpoint)
        if mirror_changed and self._first_run is not None and self.pages.currentWidget() is self._first_run:
            self._first_run.recheck()  # the page says what it found at the new address
        if mirror_changed and self._models_window is not None:
            self._models_window.hub_changed()
        if self._load_report is not None:  # the reasoning format applies from the next answer
            choice = reasoning_choice(settings, self._load_report.model_path.name)
            self._prompting = with_format(self._load_report.prompting, choice)
            self._conversation.prompting = self._prompting
        self.keep_open_action.setChecked(settings.keep_sections_open)
        self.transcript.set_keep_sections_open(settings.keep_sections_open)
        self.composer.set_samples(settings.samples)
        application = QApplication.instance()
        if isinstance(application, QApplication):
            apply_theme(application, settings.theme)
        self.transcript.set_theme(settings.theme)
        self.preview.set_theme(settings.theme)
        self._save_settings()

    def _ask_to_reload(self) -> None:
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Satori Desktop",
            self.tr(
                "The context size, GPU layers and CPU threads apply when the model is loaded again. "
                "Reload it now?"
            ),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            self,
        )
        box.setObjectName("reloadQuestion")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.buttonClicked.connect(
            lambda button: (
                self._on_reload_question_accepted()
                if box.standardButton(button) == QMessageBox.StandardButton.Yes
                else None
            )
        )
        box.open()

    def _on_reload_question_accepted(self) -> None:
        if self.is_busy:
            self._reload_after_answer = True  # never under a running answer: right after it
            return
        self._reload_model()

    def _reload_model(self) -> None:
        self._reload_after_answer = False
        if self._model_path is not None:
            self._load_model(self._model_path, self._model_sha256)

    def _on_copy_answer_action_triggered(self) -> None:
        if self.tutor.hides_latest_answer():
            self.statusBar().showMessage(self.tr("Show the answer first: tutor mode still hides it."), 4000)
            return
        answers = [parse_trace(turn.answer).answer for turn in self._conversation.turns if turn.answer]
        latex = next((answer for answer in reversed(answers) if answer), None)
        if latex is None:
            self.statusBar().showMessage(self.tr("There is no boxed answer to copy yet."), 4000)
            return
        clipboard = QGuiApplication.clipboard()
        clipboard.setText(latex)
        self.statusBar().showMessage(arg(self.tr("Copied the answer: %1"), latex), 4000)

    def _on_tutor_action_toggled(self, checked: bool) -> None:
        self.tutor.set_tutoring(checked)
        if checked:
            self.tutor.warm_up()

    def _on_check_answer_action_triggered(self) -> None:
        self.tutor_bar.answer_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.tutor_bar.answer_edit.selectAll()

    def _on_tutor_bar_answer_edited(self, _text: str) -> None:
        # The student is typing an answer: the checker's worker starts meanwhile (about a second).
        self.tutor.warm_up()

    def _on_tutor_explain_requested(self, question: str) -> None:
        if self.is_busy or not self.is_ready:
            return
        self._start_answer(question, tutored=False)  # an explanation asked for is never hidden

    def _on_focus_composer_action_triggered(self) -> None:
        self.composer.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def _on_about_action_triggered(self) -> None:
        from satori_desktop.ui.about_dialog import show_about

        show_about(self, self._load_report)

    def _on_diagnostics_action_triggered(self) -> None:
        from satori_desktop.ui.about_dialog import copy_diagnostics

        copy_diagnostics(self, self._load_report)

    def _on_log_folder_action_triggered(self) -> None:
        try:
            open_folder(paths.log_dir())
        except UserFacingError as exc:
            self.notice_bar.add(str(exc))

    def new_conversation(self) -> None:
        """An empty transcript; the next question starts a new stored conversation."""
        if self.is_busy:
            return
        self.samples.clear()
        self._conversation = Conversation(prompting=self._prompting)
        self.history.conversation_id = None
        self.sidebar.set_current(None)
        self.transcript.clear()
        self.tutor.show_conversation(self.tutor.tutoring)  # a student tutoring goes on doing so
        self.status_line.reset_context()
        self.composer.setFocus(Qt.FocusReason.OtherFocusReason)

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
                arg(
                    self.tr("Your settings could not be saved (%1); they apply until Satori Desktop closes."),
                    exc.strerror or exc,
                )
            )

    @property
    def history_settled(self) -> bool:
        """The history is open and listed in the sidebar (or known not to open): start-up is over."""
        return self._history_settled

    def _on_history_failed(self, sentence: str) -> None:
        self._history_settled = True
        self.notice_bar.add(sentence)

    def _on_history_opened(self, store: HistoryStore) -> None:
        self.sidebar.set_store(store)
        self._history_settled = True
        recovered = [store.get_turn(turn_id) for turn_id in store.recovered_turn_ids]
        interrupted = [turn for turn in recovered if turn is not None]
        if interrupted and not self._conversation.turns and not self.is_busy:
            # The app was killed (or the power went) while an answer streamed: show it as it was kept.
            self.open_conversation(max(interrupted, key=lambda turn: turn.updated_at).conversation_id)

    def _on_history_save_state_changed(self, problem: str | None) -> None:
        if problem is not None and problem != self._save_problem:
            self.notice_bar.add(problem)
        self._save_problem = problem

    def _on_sidebar_conversation_opened(self, conversation_id: int) -> None:
        self.open_conversation(conversation_id)

    def _on_sidebar_new_conversation_requested(self) -> None:
        self.new_conversation()

    def _on_sidebar_conversation_deleted(self, conversation_id: int, title: str) -> None:
        if conversation_id == self.history.conversation_id:
            self.new_conversation()
        store = self.history.store

        def undo() -> None:
            if store is not None and store.restore(conversation_id):
                self.sidebar.refresh()

        self.notice_bar.offer(arg(self.tr("Deleted “%1”."), title), self.tr("Undo"), undo)

    def _on_models_window_model_chosen(self, model: InstalledModel) -> None:
        if self.is_busy:
            self.notice_bar.add(QCoreApplication.translate("MainWindow", WAIT_FOR_THE_ANSWER))
            return
        self._use_installed_model(model)

    def _on_models_window_models_folder_moved(self, folder: Path) -> None:
        # The store saved the new folder; this window's copy of the settings must not write the old one back.
        self._settings = self._settings.with_changes(models_dir=str(folder))

    def _on_first_run_model_installed(self, model: InstalledModel) -> None:
        self._use_installed_model(model)

    def _on_first_run_import_requested(self, path: Path) -> None:
        self.import_model(path)

    def _on_import_job_succeeded(self, model: InstalledModel) -> None:
        self._use_installed_model(model)

    def _on_import_job_failed(self, sentence: str) -> None:
        if not self._model_ready:
            self.status_line.show_no_model()
        if self._showing_first_run():
            self.first_run.show_import_error(sentence)
        else:
            self.notice_bar.add(sentence)

    # -- conversations from the history ---------------------------------------------------------------------

    def open_conversation(self, conversation_id: int) -> None:
        """Show a stored conversation exactly as it was (its raw outputs through the same renderer) and
        continue it: the next question follows its turns (the engine re-evaluates the prefix, or reuses
        its KV cache when it is the conversation it just answered)."""
        store = self.history.store
        if store is None or self.is_busy:
            return
        try:
            stored = store.get_conversation(conversation_id)
        except UserFacingError as exc:
            self.notice_bar.add(str(exc))
            return
        if stored is None:
            self.sidebar.refresh()
            return
        self.transcript.clear()
        self.tutor.show_conversation(stored.tutor_mode)
        self.samples.clear()
        conversation = Conversation(prompting=self._prompting)
        for position, turn in enumerate(stored.turns):
            self.transcript.show_stored_turn(turn, tutored=bool(turn.tutoring and turn.tutoring.tutored))
            self.tutor.stored_turn_shown(turn)
            if turn.samples is not None:
                self.samples.show_stored(position, turn.question, turn.samples)
            if turn.finish_reason != "error":  # a failed turn left nothing to continue from
                conversation.turns.append(Turn(turn.question, turn.output))
        self._conversation = conversation
        self.history.conversation_id = stored.id
        self.sidebar.set_current(stored.id)
        self.status_line.reset_context()
        last = stored.turns[-1] if stored.turns else None
        if last is not None and last.interrupted:
            self._offer_retry(last)

    def _offer_retry_question(self, question: str, sentence: str) -> None:
        conversation_id = self.history.conversation_id

        def retry() -> None:
            if self.is_busy or self.history.conversation_id != conversation_id or not self.is_ready:
                return
            self._start_answer(question)

        self.notice_bar.offer(sentence, self.tr("Retry"), retry)

    def _offer_retry(self, turn: StoredTurn) -> None:
        def retry() -> None:
            if self.is_busy or self.history.conversation_id != turn.conversation_id or not self.is_ready:
                return
            if self._conversation.turns and self._conversation.turns[-1].question == turn.question:
                self._conversation.turns.pop()  # asked again, in its place
            self._start_answer(turn.question, replacing_turn_id=turn.id)

        self.notice_bar.offer(
            self.tr(
                "The last answer was interrupted when Satori Desktop closed; what was written is kept above."
            ),
            self.tr("Retry"),
            retry,
        )

    # -- models --------------------------------------------------------------------------------------------

    def import_model(self, path: Path) -> None:
        """Check and register a local GGUF (off the GUI thread: hashing a 4 GB file takes seconds), then
        load it. A non-Satori model is allowed; its warning is shown."""
        if self.is_busy:
            self.notice_bar.add(QCoreApplication.translate("MainWindow", WAIT_FOR_THE_ANSWER))
            return
        store_factory = self._store_factory
        job = BackgroundJob(
            lambda: store_factory().import_file(path),
            QT_TRANSLATE_NOOP("BackgroundJob", "importing the model"),
            self,
        )
        job.succeeded.connect(self._on_import_job_succeeded)
        job.failed.connect(self._on_import_job_failed)
        self._jobs.append(job)
        self.status_line.show_checking(path.name)
        if self._showing_first_run():
            self.first_run.show_importing()
        job.start()

    # -- a shared server ----------------------------------------------------------------------------------

    def _on_server(self) -> bool:
        return self._load_report is not None and self._load_report.backend == "Server"

    def _on_server_action_triggered(self) -> None:
        from satori_desktop.core import keychain
        from satori_desktop.ui.server_dialog import open_server_dialog

        dialog = open_server_dialog(self._settings, keychain.load(environment=False), self)
        dialog.server_chosen.connect(self._on_server_dialog_server_chosen)

    def _on_server_dialog_server_chosen(self, choice: ServerChoice) -> None:
        from satori_desktop.core import keychain

        if self.is_busy:
            self.notice_bar.add(QCoreApplication.translate("MainWindow", WAIT_FOR_THE_ANSWER))
            return
        saved = keychain.save(choice.api_key)
        if not saved.stored and saved.sentence:
            self.notice_bar.add(saved.sentence)
        self.apply_settings(
            self._settings.with_changes(
                engine=choice.mode,
                server_urls=", ".join(choice.urls) if choice.urls else self._settings.server_urls,
                server_model=choice.model,
                server_ca_file=choice.ca_file,
            )
        )
        if choice.mode == "server":
            self._connect_server()
        elif self._on_server() or not self._model_ready:
            self._load_report = None
            model_path = self._model_path or self._default_model_path()
            if model_path is not None:
                self._load_model(model_path)
            else:
                self._model_ready = False
                self._update_accepting()
                self.status_line.show_no_model()
                self.pages.setCurrentWidget(self.first_run)
                self.first_run.start()

    def _default_model_path(self) -> Path | None:
        try:
            installed = self._store_factory().default_model()
        except UserFacingError as exc:
            log.warning("the model store could not be read: %s", exc)
            return None
        return None if installed is None else Path(installed.path)

    def _connect_server(self) -> None:
        """Answers from Satori on the settings' server(s) from now on (engine/remote.py)."""
        from satori_desktop.core import keychain
        from satori_desktop.engine.remote import ServerConfig, display_host, normalize_url

        try:
            urls = tuple(normalize_url(text) for text in server_url_list(self._settings.server_urls))
        except ValueError as exc:
            self.notice_bar.offer(str(exc), self.tr("Server settings…"), self._on_server_action_triggered)
            return
        self._model_ready = False
        self._load_report = None
        self._update_accepting()
        self.pages.setCurrentWidget(self.chat_page)
        self.status_line.show_connecting(", ".join(display_host(url) for url in urls))
        self._worker.connect_server(
            ServerConfig(
                urls=urls,
                model=self._settings.server_model,
                api_key=keychain.load(),
                ca_file=self._settings.server_ca_file,
            )
        )

    def _use_installed_model(self, model: InstalledModel) -> None:
        try:
            self._store_factory().set_default(model.name)  # what the user just got is what they want
        except UserFacingError as exc:
            log.warning("could not make %s the default model: %s", model.name, exc)
        for warning in model.warnings:
            self.notice_bar.add(warning)
        self._load_model(model.path, model.sha256)

    def _load_model(self, path: Path, sha256: str | None = None) -> None:
        self._model_path = path
        self._model_sha256 = sha256 if sha256 is not None else self._installed_sha256(path)
        self._model_ready = False
        self._update_accepting()
        self.status_line.show_loading(path.name)
        self.pages.setCurrentWidget(self.chat_page)
        settings = self._settings
        self._worker.load(
            path, n_ctx=settings.n_ctx, gpu_layers=settings.gpu_layers, n_threads=settings.n_threads
        )

    def _installed_sha256(self, path: Path) -> str | None:
        """The recorded sha256 of an installed model's file (for the history), without hashing it."""
        try:
            return next((m.sha256 for m in self._store_factory().models() if m.path == path), None)
        except UserFacingError:
            return None

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

    def _update_accepting(self) -> None:
        self.composer.set_accepting(self.is_ready)

    def closeEvent(self, event: QCloseEvent) -> None:
        self._closing = True
        if self._first_run is not None:
            self._first_run.stop()  # a running download pauses: the next start offers to resume it
        if self._models_window is not None:
            self._models_window.stop()
        for job in self._jobs:
            job.wait(30)
        window_settings().setValue("geometry", self.saveGeometry())
        window_settings().setValue("splitter", self.splitter.saveState())
        self.hide()
        # Cancels a running answer and joins the engine thread; no terminate(), no hung process.
        if not self._worker.shutdown():
            log.error("closing while the engine thread is still busy")
        self.samples.wait()
        self.tutor.close()  # its answer checker's worker process
        self.sidebar.set_store(None)
        self.history.close()  # after the engine: what the last answer wrote is saved
        event.accept()
