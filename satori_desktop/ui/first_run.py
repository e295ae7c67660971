"""The first-run page: what Satori is, what will be downloaded and why, and the download itself.

Someone who installed the app by double-clicking has no terminal, so with no model installed the window
shows this page instead of the transcript. It says what the app is in two lines, what this computer has,
which quantisation fits it (`models.recommend`, asked off the GUI thread; from estimates, marked so, when
the hub cannot be reached), and what the download is: file, size, where it goes, and that everything runs
offline afterwards. The download runs in the window with its progress, Pause/Resume/Cancel and the sha256
check as a step; a download stopped earlier (paused, the app closed, a crash) is offered for resuming.
"I already have a GGUF file" opens a file dialog (the window also takes a dropped `.gguf`).

The page only installs: `model_installed(InstalledModel)` tells the window, which loads the model.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from satori_desktop.engine.hardware import format_bytes
from satori_desktop.models import catalog, hub
from satori_desktop.models.download import (
    DownloadProgress,
    PendingDownload,
    discard_partial,
    pending_downloads,
)
from satori_desktop.models.hub import RemoteFile
from satori_desktop.models.recommend import MachineRecommendation, recommend_for_this_machine
from satori_desktop.models.store import InstalledModel, ModelStore
from satori_desktop.ui.background import BackgroundJob
from satori_desktop.ui.download_panel import DownloadPanel
from satori_desktop.ui.download_task import DownloadTask
from satori_desktop.ui.i18n.sentences import machine_sentence, recommendation_sentence
from satori_desktop.ui.i18n.text import QT_TRANSLATE_NOOP, arg

log = logging.getLogger(__name__)


class FirstRunPage(QWidget):
    """Signals: `model_installed(InstalledModel)`; `import_requested(Path)` for a chosen GGUF file."""

    model_installed = Signal(object)
    import_requested = Signal(object)
    mirror_requested = Signal()  # the user wants to download from a mirror of the hub: the settings open

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        store_factory: Callable[[], ModelStore] = ModelStore,
        recommend: Callable[[], MachineRecommendation] = recommend_for_this_machine,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("firstRunPage")
        self._store_factory = store_factory
        self._recommend = recommend
        self._found: MachineRecommendation | None = None
        self._pending: PendingDownload | None = None
        self._target: Callable[[], RemoteFile] | None = None
        self._jobs: list[BackgroundJob] = []
        self._started = False

        self.title = QLabel(self.tr("Welcome to Satori Desktop"), self)
        self.title.setObjectName("firstRunTitle")
        self.title.setStyleSheet("font-size: 20px; font-weight: 600;")
        self.intro = self._text_label(
            "firstRunIntro",
            self.tr(
                "Satori is a math assistant that reasons step by step, checks its own work and tries another "
                "way when it finds a flaw. It runs entirely on this computer."
            ),
        )
        self.machine = self._text_label("firstRunMachine", self.tr("Looking at this computer…"))
        self.advice = self._text_label("firstRunAdvice", "")
        self.plan = self._text_label("firstRunPlan", "")
        self.hub_note = self._text_label("firstRunHubNote", "")
        self.hub_note.setStyleSheet("font-style: italic;")  # palette colours: readable in both themes
        self.hub_note.setVisible(False)
        self.resume_note = self._text_label("firstRunResumeNote", "")
        self.resume_note.setVisible(False)

        self.download_button = QPushButton(self.tr("Download"), self)
        self.download_button.setObjectName("downloadButton")
        self.download_button.setEnabled(False)
        self.download_button.setDefault(True)
        self.download_button.clicked.connect(self._on_download_button_clicked)
        self.discard_button = QPushButton(self.tr("Discard it"), self)
        self.discard_button.setObjectName("discardButton")
        self.discard_button.setVisible(False)
        self.discard_button.clicked.connect(self._on_discard_button_clicked)
        self.mirror_button = QPushButton(self.tr("Download from a mirror…"), self)
        self.mirror_button.setObjectName("firstRunMirrorButton")
        self.mirror_button.setVisible(False)
        self.mirror_button.clicked.connect(self.mirror_requested)
        self.import_button = QPushButton(self.tr("I already have a GGUF file…"), self)
        self.import_button.setObjectName("importButton")
        self.import_button.clicked.connect(self._on_import_button_clicked)

        self.progress_box = DownloadPanel(self)
        self.progress_bar, self.progress_line = self.progress_box.bar, self.progress_box.line
        self.pause_button, self.cancel_button = (
            self.progress_box.pause_button,
            self.progress_box.cancel_button,
        )
        self.pause_button.clicked.connect(self._on_pause_button_clicked)
        self.cancel_button.clicked.connect(self._on_cancel_button_clicked)
        self.error = self._text_label("firstRunError", "")
        self.error.setStyleSheet("color: #a1260d;")
        self.error.setVisible(False)

        self.download = DownloadTask(store_factory, self)
        self.download.progressed.connect(self._on_download_progressed)
        self.download.finished.connect(self._on_download_finished)
        self.download.paused.connect(self._on_download_paused)
        self.download.cancelled.connect(self._on_download_cancelled)
        self.download.failed.connect(self._on_download_failed)

        card = QFrame(self)
        card.setObjectName("firstRunCard")
        card.setMaximumWidth(720)
        card.setStyleSheet("QFrame#firstRunCard { border: 1px solid palette(mid); border-radius: 10px; }")
        inner = QVBoxLayout(card)
        inner.setContentsMargins(28, 24, 28, 24)
        inner.setSpacing(12)
        for widget in (
            self.title,
            self.intro,
            self.machine,
            self.advice,
            self.hub_note,
            self.plan,
            self.resume_note,
        ):
            inner.addWidget(widget)
        choices = QHBoxLayout()
        choices.addWidget(self.download_button)
        choices.addWidget(self.discard_button)
        choices.addWidget(self.mirror_button)
        choices.addStretch(1)
        choices.addWidget(self.import_button)
        inner.addLayout(choices)
        inner.addWidget(self.progress_box)
        inner.addWidget(self.error)
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(card, 10)
        row.addStretch(1)
        outer.addLayout(row)
        outer.addStretch(2)

    # -- public --------------------------------------------------------------------------------------------

    def start(self) -> None:
        """Offer an interrupted download if there is one, and ask for the recommendation (off this thread).
        Once: a second call (the page shown again after a failed load) keeps what it found."""
        if self._started:
            return
        self._started = True
        self._offer_pending()
        job = BackgroundJob(
            self._recommend, QT_TRANSLATE_NOOP("BackgroundJob", "looking at this computer"), self
        )
        job.succeeded.connect(self._on_recommend_job_succeeded)
        job.failed.connect(self._on_recommend_job_failed)
        self._jobs.append(job)
        job.start()

    def recheck(self) -> None:
        """Ask again what this machine should download and whether the hub answers (the hub's address
        changed in the settings); not while a download runs."""
        if self.download.is_running or not self._started:
            return
        self._started = False
        self._found = None  # what was found at the old address no longer holds, nor its download
        self.download_button.setEnabled(False)
        self.hub_note.setVisible(False)
        self.mirror_button.setVisible(False)
        self.start()

    def stop(self) -> None:
        """The window closes: a running download pauses (its `.part` stays for the next start)."""
        if self.download.is_running:
            self.download.pause()
            self.download.wait(10)
        for job in self._jobs:
            job.wait(10)

    @property
    def recommendation(self) -> MachineRecommendation | None:
        return self._found

    def show_importing(self) -> None:
        """A file is being checked (the status line says which): an earlier error no longer applies."""
        self.error.setVisible(False)

    def show_import_error(self, sentence: str) -> None:
        """A file that could not be imported or loaded: the sentence, and the page's choices stay open."""
        self._show_error(sentence)

    # -- slots ---------------------------------------------------------------------------------------------

    def _on_recommend_job_succeeded(self, found: MachineRecommendation) -> None:
        self._found = found
        self.machine.setText(machine_sentence(found.hardware))
        self._say(self.advice, recommendation_sentence(found))
        if found.hub_unreachable is not None:
            # The reason itself (it may name a command) is for the log; the page says what it means here.
            log.info("first run without the hub: %s", found.hub_unreachable)
            self.hub_note.setText(
                self.tr(
                    "The hub cannot be reached right now, so the sizes are estimates. The download needs an "
                    "internet connection; where huggingface.co is blocked, a mirror of it can serve the "
                    "download instead, and a GGUF file you already have works without either."
                )
            )
            self.hub_note.setVisible(True)
            self.mirror_button.setVisible(not hub.is_offline())  # offline mode: no address would help
        if self._pending is None:
            self._show_plan()

    def _on_recommend_job_failed(self, sentence: str) -> None:
        self.machine.setText(sentence)
        self._show_error(sentence)

    def _on_download_button_clicked(self) -> None:
        if self._target is None:
            return
        self.error.setVisible(False)
        self.download_button.setEnabled(False)
        self.discard_button.setVisible(False)
        self.import_button.setEnabled(False)
        self.progress_box.show_starting()
        self.download.start(self._target)

    def _on_pause_button_clicked(self) -> None:
        if self.download.is_running:
            self.progress_box.show_pausing()
            self.download.pause()
        else:  # paused: resume
            self._on_download_button_clicked()

    def _on_cancel_button_clicked(self) -> None:
        if self.download.is_running:
            self.progress_box.show_cancelling()
            self.download.cancel()
        elif self._pending is not None or self._paused_destination() is not None:
            self._discard_partial()
            self._on_download_cancelled()

    def _on_discard_button_clicked(self) -> None:
        self._discard_partial()
        self._pending = None
        self.resume_note.setVisible(False)
        self.discard_button.setVisible(False)
        self._show_plan()

    def _on_import_button_clicked(self) -> None:
        self.choose_file()

    def choose_file(self) -> None:
        """The file dialog for a GGUF the user already has (non-blocking; `import_requested` follows)."""
        dialog = QFileDialog(
            self, self.tr("Choose a GGUF model file"), str(Path.home()), self.tr("GGUF models (*.gguf)")
        )
        dialog.setObjectName("importDialog")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.fileSelected.connect(lambda name: self.import_requested.emit(Path(name)))
        dialog.open()  # window-modal, never blocks the event loop

    def _on_download_progressed(self, progress: DownloadProgress) -> None:
        self.progress_box.show_progress(progress)

    def _on_download_finished(self, model: InstalledModel) -> None:
        self.progress_box.show_finished(
            arg(self.tr("Downloaded and verified: %1. Loading it…"), model.path.name)
        )
        self.model_installed.emit(model)

    def _on_download_paused(self) -> None:
        self.progress_box.show_paused()

    def _on_download_cancelled(self) -> None:
        self.progress_box.setVisible(False)
        self._pending = None
        self.resume_note.setVisible(False)
        self.import_button.setEnabled(True)
        self._show_plan()

    def _on_download_failed(self, sentence: str) -> None:
        self.progress_box.show_failed()
        self.import_button.setEnabled(True)
        self._show_error(sentence)

    # -- helpers -------------------------------------------------------------------------------------------

    def _text_label(self, name: str, text: str) -> QLabel:
        label = QLabel(text, self)
        label.setObjectName(name)
        label.setWordWrap(True)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        label.setVisible(bool(text))
        return label

    @staticmethod
    def _say(label: QLabel, text: str) -> None:
        """Set a line of the page; an empty one takes no room."""
        label.setText(text)
        label.setVisible(bool(text))

    def _show_error(self, sentence: str) -> None:
        self.error.setText(sentence)
        self.error.setVisible(True)

    def _models_folder(self) -> Path:
        return self._store_factory().root

    def _offer_pending(self) -> None:
        pending = pending_downloads(self._models_folder())
        if not pending:
            return
        self._pending = pending[0]
        done, total = self._pending.have_bytes, self._pending.remote.size
        self.resume_note.setText(
            arg(
                self.tr(
                    "A download of %1 stopped at %2 (%3 of %4). Resume it, or discard what was downloaded?"
                ),
                self._pending.remote.filename,
                f"{self._pending.fraction:.0%}",
                format_bytes(done),
                format_bytes(total),
            )
        )
        self.resume_note.setVisible(True)
        self.discard_button.setVisible(True)
        remote = self._pending.remote
        self._set_target(
            lambda: remote, arg(self.tr("Resume the download (%1 to go)"), format_bytes(total - done))
        )

    def _show_plan(self) -> None:
        found = self._found
        if found is None:
            self.download_button.setEnabled(False)
            return
        choice = found.recommendation.choice
        if choice is None:
            self._say(self.plan, self.tr("You can still import a GGUF file you already have."))
            self.download_button.setEnabled(False)
            return
        entry = choice.entry
        size = format_bytes(entry.size)
        if found.recommendation.estimated:
            size = arg(self.tr("about %1"), size)
        name = entry.filename or arg(self.tr("the %1 file"), entry.quantization)
        mirror = hub.mirror()
        self._say(
            self.plan,
            arg(
                self.tr(
                    "Satori will download %1 (%2) from %3 into %4. After that it runs offline: no question "
                    "ever leaves this computer."
                ),
                name,
                size,
                # The repository, and the mirror it comes through when it is not the hub itself.
                f"{entry.repo_id} ({urlsplit(mirror).netloc})" if mirror else entry.repo_id,
                self._models_folder(),
            ),
        )
        known = entry.remote()
        spec = entry.quantization or entry.repo_id
        self._set_target(
            (lambda: known) if known is not None else (lambda: catalog.resolve_spec(spec)),
            arg(self.tr("Download %1 (%2)"), entry.quantization, size)
            if entry.quantization
            else arg(self.tr("Download it (%1)"), size),
        )

    def _set_target(self, resolve: Callable[[], RemoteFile], label: str) -> None:
        self._target = resolve
        self.download_button.setText(label)
        self.download_button.setEnabled(not self.download.is_running)

    def _paused_destination(self) -> Path | None:
        pending = pending_downloads(self._models_folder())
        return pending[0].destination if pending else None

    def _discard_partial(self) -> None:
        for pending in pending_downloads(self._models_folder()):
            discard_partial(pending.destination)
