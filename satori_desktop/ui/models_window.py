"""The models window: the models on this computer, which one is the default, whether each file is intact,
and getting another one.

A student who installed the app by double-clicking manages models here, never in a terminal: the installed
list (`models.store.ModelStore`), making one the default, re-checking a file's sha256 with progress,
removing one (a file imported from elsewhere is only forgotten, never deleted; the question says which),
downloading another from the catalog and the hub's search with a "fits this machine" mark
(`models.recommend`), and the models folder: open it, or choose another one for new downloads.

Every slow thing runs off the GUI thread: asking the hub and probing the machine (`BackgroundJob`), hashing
(`BackgroundJob`, with progress relayed through a signal), downloading (`DownloadTask`). Every failure is
one sentence on the window. The window only manages files: the main window loads the model it is given
through `model_chosen`, and hears about a new default through `default_changed`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from satori_desktop.core.errors import UserFacingError
from satori_desktop.engine.hardware import format_bytes
from satori_desktop.models import catalog
from satori_desktop.models.download import DownloadProgress
from satori_desktop.models.hub import RemoteFile
from satori_desktop.models.recommend import Candidate, MachineRecommendation, recommend_for_this_machine
from satori_desktop.models.store import InstalledModel, ModelStore, VerifyResult, set_models_root
from satori_desktop.ui.background import BackgroundJob
from satori_desktop.ui.download_panel import DownloadPanel
from satori_desktop.ui.download_task import DownloadTask
from satori_desktop.ui.file_manager import open_folder
from satori_desktop.ui.i18n.sentences import machine_sentence, recommendation_sentence
from satori_desktop.ui.i18n.text import QT_TRANSLATE_NOOP, arg

log = logging.getLogger(__name__)

INSTALLED_COLUMNS = (
    QT_TRANSLATE_NOOP("ModelsWindow", "Name"),
    QT_TRANSLATE_NOOP("ModelsWindow", "Quantisation"),
    QT_TRANSLATE_NOOP("ModelsWindow", "Size"),
    QT_TRANSLATE_NOOP("ModelsWindow", "Source"),
    QT_TRANSLATE_NOOP("ModelsWindow", "Verified"),
    QT_TRANSLATE_NOOP("ModelsWindow", "Default"),
)
AVAILABLE_COLUMNS = (
    QT_TRANSLATE_NOOP("ModelsWindow", "File"),
    QT_TRANSLATE_NOOP("ModelsWindow", "Quantisation"),
    QT_TRANSLATE_NOOP("ModelsWindow", "Size"),
    QT_TRANSLATE_NOOP("ModelsWindow", "Repository"),
    QT_TRANSLATE_NOOP("ModelsWindow", "This machine"),
)
_MODEL_ROLE = Qt.ItemDataRole.UserRole
VERIFY_PROGRESS_INTERVAL_S = 0.1
_GOOD = QColor("#1d6b2f")
_BAD = QColor("#a1260d")


class _VerifyStopped(Exception):
    """The window is closing: the hash stops within one read."""


# -- what each cell says (pure, so the wording is tested without a window) ---------------------------------


def _tr(text: str) -> str:
    return QCoreApplication.translate("ModelsWindow", text)


def source_text(model: InstalledModel) -> str:
    if model.source == "import":
        return QCoreApplication.translate("ModelsWindow", "imported")
    if model.source == "hf-cache":
        return arg(
            QCoreApplication.translate("ModelsWindow", "%1 (from the Hugging Face cache)"), model.repo_id
        )
    return model.repo_id or QCoreApplication.translate("ModelsWindow", "the hub")


def verified_state(model: InstalledModel) -> str:
    """Whether the file is known to be intact: "missing", "damaged", "checked", "downloaded" (its sha256
    checked as it was downloaded) or "unchecked"."""
    if not model.path.is_file():
        return "missing"
    if model.verified_ok is False:
        return "damaged"
    if model.verified_ok and model.verified_at:
        return "checked"
    if model.source in ("hub", "hf-cache") and model.sha256:
        return "downloaded"
    return "unchecked"


def verified_text(model: InstalledModel) -> str:
    """Whether the file is known to be intact, and since when."""
    state = verified_state(model)
    if state == "missing":
        return QCoreApplication.translate("ModelsWindow", "File missing")
    if state == "damaged":
        return QCoreApplication.translate("ModelsWindow", "Damaged")
    if state == "checked":
        return arg(
            QCoreApplication.translate("ModelsWindow", "Yes, checked %1"), (model.verified_at or "")[:10]
        )
    if state == "downloaded":
        return QCoreApplication.translate("ModelsWindow", "Yes, when downloaded")
    return QCoreApplication.translate("ModelsWindow", "Not checked yet")


def installed_row(model: InstalledModel, *, is_default: bool) -> tuple[str, ...]:
    return (
        model.name,
        model.quantization or QCoreApplication.translate("ModelsWindow", "unknown"),
        format_bytes(model.size),
        source_text(model),
        verified_text(model),
        _tr(INSTALLED_COLUMNS[5]) if is_default else "",
    )


def fit_text(candidate: Candidate, *, recommended: bool) -> str:
    """The "fits this machine" mark: whether it runs here, and where its layers go."""
    fit = candidate.fit
    if not fit.runs:
        return QCoreApplication.translate("ModelsWindow", "Too big for this machine")
    if fit.full_offload:
        text = QCoreApplication.translate("ModelsWindow", "Fits: all on the GPU")
    elif fit.gpu_layers > 0:
        text = arg(
            QCoreApplication.translate("ModelsWindow", "Fits: %1 of %2 layers on the GPU"),
            fit.gpu_layers,
            fit.total_layers,
        )
    else:
        text = QCoreApplication.translate("ModelsWindow", "Fits: runs on the CPU")
    return arg(QCoreApplication.translate("ModelsWindow", "%1 · recommended"), text) if recommended else text


def verdict_sentence(result: VerifyResult) -> str:
    if result.ok:
        return arg(
            QCoreApplication.translate("ModelsWindow", "%1 is verified: %2."), result.name, result.message
        )
    return result.message


def entry_name(candidate: Candidate) -> str:
    """A catalogue file's name, or what it is when the hub has not named it yet."""
    entry = candidate.entry
    return entry.filename or arg(
        QCoreApplication.translate("ModelsWindow", "the %1 file"), entry.quantization
    )


class ModelsWindow(QDialog):
    """A window of its own (not modal) over the main window; see the module docstring.

    Signals: `model_chosen(InstalledModel)` ("Use this model" or a double-click: load it),
    `default_changed(InstalledModel)` (the default model is now this one), `models_folder_moved(Path)` (new
    downloads go there; settings held elsewhere should take the new `models_dir`).
    Call `stop()` before the app quits: a running download pauses (its `.part` is kept) and a running check
    stops.
    """

    model_chosen = Signal(object)
    default_changed = Signal(object)
    models_folder_moved = Signal(object)

    _verify_progressed = Signal(float)  # from the hashing thread; queued to this window's thread

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        store_factory: Callable[[], ModelStore] = ModelStore,
        recommend: Callable[[], MachineRecommendation] = recommend_for_this_machine,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("modelsWindow")
        self.setWindowTitle(self.tr("Models"))
        self.setModal(False)
        self.resize(900, 640)
        self._store_factory = store_factory
        self._recommend = recommend
        self._jobs: list[BackgroundJob] = []
        self._verifying: str | None = None
        self._stopping = threading.Event()
        self._loaded_path: Path | None = None
        self._discovered = False
        self._downloading: str | None = None  # file name of the running or paused download
        self._resume: Callable[[], RemoteFile] | None = None  # what Resume downloads

        # The models folder.
        self.folder_label = QLabel(self)
        self.folder_label.setObjectName("modelsFolderLabel")
        self.folder_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.folder_label.setWordWrap(True)
        self.open_folder_button = self._button(
            "openFolderButton", self.tr("Open folder"), self._on_open_folder_clicked
        )
        self.move_folder_button = self._button(
            "moveFolderButton", self.tr("Move…"), self._on_move_folder_clicked
        )

        # What is installed.
        self.installed = self._tree("installedModels", INSTALLED_COLUMNS)
        self.installed.itemSelectionChanged.connect(self._on_installed_selection_changed)
        self.installed.itemDoubleClicked.connect(self._on_installed_item_double_clicked)
        self.use_button = self._button("useModelButton", self.tr("Use this model"), self._on_use_clicked)
        self.default_button = self._button(
            "setDefaultButton", self.tr("Make default"), self._on_default_clicked
        )
        self.verify_button = self._button("verifyButton", self.tr("Verify"), self._on_verify_clicked)
        self.remove_button = self._button("removeButton", self.tr("Remove…"), self._on_remove_clicked)
        self.verify_progress = QProgressBar(self)
        self.verify_progress.setObjectName("verifyProgress")
        self.verify_progress.setRange(0, 1000)
        self.verify_progress.setVisible(False)
        self.message = QLabel(self)
        self.message.setObjectName("modelsMessage")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message.setVisible(False)

        # Another model.
        self.machine_label = QLabel("", self)
        self.machine_label.setObjectName("machineLabel")
        self.machine_label.setWordWrap(True)
        self.hub_note = QLabel("", self)
        self.hub_note.setObjectName("hubNote")
        self.hub_note.setWordWrap(True)
        self.hub_note.setStyleSheet("font-style: italic;")  # palette colours: readable in both themes
        self.hub_note.setVisible(False)
        self.available = self._tree("availableModels", AVAILABLE_COLUMNS)
        self.available.itemSelectionChanged.connect(self._on_available_selection_changed)
        self.refresh_button = self._button("refreshButton", self.tr("Refresh"), self._on_refresh_clicked)
        self.download_button = self._button("downloadButton", self.tr("Download"), self._on_download_clicked)
        self.download_box = DownloadPanel(self)
        self.download_progress, self.download_line = self.download_box.bar, self.download_box.line
        self.pause_button, self.cancel_button = (
            self.download_box.pause_button,
            self.download_box.cancel_button,
        )
        self.pause_button.clicked.connect(self._on_pause_clicked)
        self.cancel_button.clicked.connect(self._on_cancel_clicked)

        self.download = DownloadTask(store_factory, self)
        self.download.progressed.connect(self._on_download_progressed)
        self.download.finished.connect(self._on_download_finished)
        self.download.paused.connect(self._on_download_paused)
        self.download.cancelled.connect(self._on_download_cancelled)
        self.download.failed.connect(self._on_download_failed)
        self._verify_progressed.connect(self._on_verify_progressed)

        self._lay_out()
        self.refresh()

    # -- public --------------------------------------------------------------------------------------------

    def present(self) -> None:
        """Show the window, or bring it to the front when it is open already; the first time it shows, it
        also asks the hub what else there is."""
        if self.isVisible():
            self.raise_()
            self.activateWindow()
        else:
            self.show()  # a window that appears comes to the front by itself

    def refresh(self) -> None:
        """Read the installed models and the models folder again (the selection is kept)."""
        store = self._store_factory()
        self.folder_label.setText(arg(self.tr("Models folder: %1"), store.root))
        selected = self.selected_model()
        self.installed.clear()
        try:
            models = store.models()
            default = store.default_model()
        except UserFacingError as exc:
            self._say(str(exc), error=True)
            models, default = [], None
        else:
            if not models and not self.message_text:
                self._say(self.tr("No model is installed yet: choose one below and press Download."))
        for model in models:
            is_default = default is not None and model.name == default.name
            item = QTreeWidgetItem(list(installed_row(model, is_default=is_default)))
            item.setData(0, _MODEL_ROLE, model)
            item.setToolTip(0, str(model.path))
            verified = verified_state(model)
            if verified in ("damaged", "missing"):
                item.setForeground(4, QBrush(_BAD))
            elif verified in ("checked", "downloaded"):
                item.setForeground(4, QBrush(_GOOD))
            if self._is_loaded(model):
                font = QFont(item.font(0))
                font.setBold(True)
                item.setFont(0, font)
                item.setToolTip(0, arg(self.tr("%1 (in use)"), model.path))
            self.installed.addTopLevelItem(item)
            if selected is not None and model.name == selected.name:
                item.setSelected(True)
                self.installed.setCurrentItem(item)
        rows = _rows(self.installed)
        if self.installed.currentItem() is None and rows:
            rows[0].setSelected(True)
            self.installed.setCurrentItem(rows[0])
        self._mark_installed_in_available()
        self._update_buttons()

    def set_loaded_model(self, path: Path | None) -> None:
        """The model the main window has loaded (shown in bold; it cannot be removed while in use)."""
        self._loaded_path = path
        self.refresh()

    def selected_model(self) -> InstalledModel | None:
        item = self.installed.currentItem()
        if item is None or not item.isSelected():
            return None
        model = item.data(0, _MODEL_ROLE)
        return model if isinstance(model, InstalledModel) else None

    def selected_candidate(self) -> Candidate | None:
        item = self.available.currentItem()
        if item is None or not item.isSelected():
            return None
        candidate = item.data(0, _MODEL_ROLE)
        return candidate if isinstance(candidate, Candidate) else None

    @property
    def message_text(self) -> str:
        """The sentence the window shows now ("" when none)."""
        return "" if self.message.isHidden() else self.message.text()

    def stop(self) -> None:
        """The app closes: pause a running download (kept for the next start), stop a running check, and
        wait for the background jobs, so none of them outlives the window."""
        self._stopping.set()
        if self.download.is_running:
            self.download.pause()
            self.download.wait(10)
        for job in self._jobs:
            job.wait(30)

    # -- installed models ----------------------------------------------------------------------------------

    def _on_installed_selection_changed(self) -> None:
        self._update_buttons()

    def _on_installed_item_double_clicked(self, item: QTreeWidgetItem, _column: int) -> None:
        model = item.data(0, _MODEL_ROLE)
        if isinstance(model, InstalledModel):
            self._use(model)

    def _on_use_clicked(self) -> None:
        model = self.selected_model()
        if model is not None:
            self._use(model)

    def _use(self, model: InstalledModel) -> None:
        if not model.path.is_file():
            self._say(
                arg(
                    self.tr("The file of %1 is missing (%2): download or import it again."),
                    model.name,
                    model.path,
                ),
                True,
            )
            return
        self._say(arg(self.tr("Loading %1: the main window shows how far it got."), model.name))
        self.model_chosen.emit(model)

    def _on_default_clicked(self) -> None:
        model = self.selected_model()
        if model is None:
            return
        try:
            chosen = self._store_factory().set_default(model.name)
        except (UserFacingError, OSError) as exc:
            self._say(
                _failure_sentence(
                    exc,
                    self.tr(
                        "Could not make it the default (%1): check the folder's permissions and free space, "
                        "then try again."
                    ),
                ),
                error=True,
            )
            return
        self.refresh()
        self._say(
            arg(
                self.tr("%1 is now the default model: it is the one loaded when Satori Desktop starts."),
                chosen.name,
            )
        )
        self.default_changed.emit(chosen)

    def _on_verify_clicked(self) -> None:
        model = self.selected_model()
        if model is None or self._verifying is not None:
            return
        self._verifying = model.name
        self._stopping.clear()
        self.verify_progress.setValue(0)
        self.verify_progress.setVisible(True)
        self._say(arg(self.tr("Checking the sha256 of %1 (%2)…"), model.path.name, format_bytes(model.size)))
        self._update_buttons()
        store_factory, name, total = self._store_factory, model.name, max(1, model.size)
        stopping, relay = self._stopping, self._verify_progressed
        last = [0.0]

        def on_bytes(done: int) -> None:  # on the hashing thread
            if stopping.is_set():
                raise _VerifyStopped()
            now = time.monotonic()
            if done >= total or now - last[0] >= VERIFY_PROGRESS_INTERVAL_S:  # the end always goes
                last[0] = now
                relay.emit(min(1.0, done / total))

        def work() -> VerifyResult | None:
            try:
                return store_factory().verify(name, on_bytes=on_bytes)
            except _VerifyStopped:
                return None

        self._start_job(
            work,
            QT_TRANSLATE_NOOP("BackgroundJob", "checking the model file"),
            self._on_verify_job_succeeded,
            self._on_verify_job_failed,
        )

    def _on_verify_progressed(self, fraction: float) -> None:
        if self._verifying is not None:
            self.verify_progress.setValue(int(fraction * 1000))

    def _on_verify_job_succeeded(self, result: VerifyResult | None) -> None:
        self._verifying = None
        self.verify_progress.setVisible(False)
        self.refresh()
        if result is not None:
            self._say(verdict_sentence(result), error=not result.ok)

    def _on_verify_job_failed(self, sentence: str) -> None:
        self._verifying = None
        self.verify_progress.setVisible(False)
        self._update_buttons()
        self._say(sentence, error=True)

    def _on_remove_clicked(self) -> None:
        model = self.selected_model()
        if model is None:
            return
        if self._is_loaded(model):
            self._say(
                arg(self.tr("%1 is the model in use: load another model first, then remove it."), model.name),
                True,
            )
            return
        store = self._store_factory()
        box = QMessageBox(self)
        box.setObjectName("removeQuestion")
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle(self.tr("Remove a model"))
        if not model.path.is_file():
            box.setText(arg(self.tr("Remove %1 from the list? Its file is missing already."), model.name))
            label = self.tr("Remove")
        elif store.owns(model.path):
            box.setText(
                arg(
                    self.tr("Remove %1? Its file %2 (%3) will be deleted from the models folder."),
                    model.name,
                    model.path.name,
                    format_bytes(model.size),
                )
            )
            box.setInformativeText(self.tr("You can download it again later."))
            label = self.tr("Delete the file")
        else:
            box.setText(
                arg(
                    self.tr(
                        "Remove %1 from the list? Its file is not in the models folder, so it is only "
                        "forgotten: it stays where it is (%2)."
                    ),
                    model.name,
                    model.path,
                )
            )
            label = self.tr("Forget it")
        remove = box.addButton(label, QMessageBox.ButtonRole.DestructiveRole)
        remove.setObjectName("confirmRemoveButton")
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        remove.clicked.connect(lambda: self._remove(model))
        box.open()  # window-modal, never a nested event loop

    def _remove(self, model: InstalledModel) -> None:
        store = self._store_factory()
        try:
            before = store.default_model()
            deleted = model.path.is_file() and store.owns(model.path)
            store.remove(model.name)
            after = store.default_model()
        except (UserFacingError, OSError) as exc:
            self._say(
                _failure_sentence(
                    exc,
                    self.tr(
                        "Could not remove %1 (%2): check the folder's permissions and free space, then try "
                        "again."
                    ),
                    model.name,
                ),
                error=True,
            )
            self.refresh()
            return
        self.refresh()
        if deleted:
            self._say(arg(self.tr("Removed %1; its file was deleted."), model.name))
        else:
            self._say(
                arg(self.tr("Removed %1 from the list; its file stays in %2."), model.name, model.path.parent)
            )
        if after is not None and (before is None or before.name != after.name):
            self.default_changed.emit(after)

    # -- the models folder ---------------------------------------------------------------------------------

    def _on_open_folder_clicked(self) -> None:
        try:
            open_folder(self._store_factory().root)
        except UserFacingError as exc:
            self._say(str(exc), error=True)

    def _on_move_folder_clicked(self) -> None:
        if self.download.is_running:
            self._say(
                self.tr("Wait for the download to finish (or cancel it) before moving the models folder."),
                True,
            )
            return
        root = self._store_factory().root
        dialog = QFileDialog(
            self, self.tr("Choose the new models folder"), str(root if root.is_dir() else Path.home())
        )
        dialog.setObjectName("moveFolderDialog")
        dialog.setFileMode(QFileDialog.FileMode.Directory)
        dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.fileSelected.connect(self._on_move_dialog_file_selected)
        dialog.open()

    def _on_move_dialog_file_selected(self, name: str) -> None:
        old = self._store_factory().root
        target = Path(name)
        try:
            set_models_root(target)
        except (UserFacingError, OSError) as exc:
            self._say(
                _failure_sentence(
                    exc,
                    self.tr(
                        "Could not make %1 the models folder (%2): check the folder's permissions and free "
                        "space, then try again."
                    ),
                    target,
                ),
                error=True,
            )
            return
        new = self._store_factory().root
        self.refresh()
        if new == old:
            self._say(arg(self.tr("%1 is the models folder already."), new))
            return
        self._say(
            arg(
                self.tr(
                    "New downloads go to %1. The models already installed stay where they are (in %2 or "
                    "wherever they were imported from) and are still listed."
                ),
                new,
                old,
            )
        )
        self.models_folder_moved.emit(new)

    # -- another model -------------------------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._discovered:
            self._discovered = True
            self._discover()

    def _on_refresh_clicked(self) -> None:
        self._discover()

    def hub_changed(self) -> None:
        """The hub's address changed (a mirror chosen in the settings): ask it again, if it was asked."""
        if self._discovered and self.refresh_button.isEnabled():
            self._discover()

    def _discover(self) -> None:
        self.refresh_button.setEnabled(False)
        self.machine_label.setText(self.tr("Looking at this computer and asking the hub what there is…"))
        self._start_job(
            self._recommend,
            QT_TRANSLATE_NOOP("BackgroundJob", "asking the hub for models"),
            self._on_discover_job_succeeded,
            self._on_discover_job_failed,
        )

    def _on_discover_job_succeeded(self, found: MachineRecommendation) -> None:
        self.refresh_button.setEnabled(True)
        self.machine_label.setText(machine_sentence(found.hardware))
        if found.hub_unreachable is not None:
            log.info("models window without the hub: %s", found.hub_unreachable)
            self.hub_note.setText(
                self.tr(
                    "The hub cannot be reached right now, so this is the built-in list with estimated sizes; "
                    "downloading needs an internet connection. Where huggingface.co is blocked, a mirror of "
                    "it can be chosen in Settings > Files."
                )
            )
        self.hub_note.setVisible(found.hub_unreachable is not None)
        recommendation = found.recommendation
        chosen = recommendation.choice
        self.available.clear()
        for candidate in recommendation.candidates:
            entry = candidate.entry
            size = format_bytes(entry.size)
            recommended = chosen is not None and candidate.entry == chosen.entry
            item = QTreeWidgetItem(
                [
                    entry_name(candidate),
                    entry.quantization or self.tr("unknown"),
                    arg(self.tr("about %1"), size) if recommendation.estimated else size,
                    entry.repo_id,
                    fit_text(candidate, recommended=recommended),
                ]
            )
            item.setData(0, _MODEL_ROLE, candidate)
            item.setForeground(4, QBrush(_GOOD if candidate.fit.runs else _BAD))
            self.available.addTopLevelItem(item)
            if recommended:
                item.setSelected(True)
                self.available.setCurrentItem(item)
        if not recommendation.candidates:
            self._say(recommendation_sentence(found), error=True)
        self._mark_installed_in_available()
        self._update_buttons()

    def _on_discover_job_failed(self, sentence: str) -> None:
        self.refresh_button.setEnabled(True)
        self.machine_label.setText("")
        self._say(sentence, error=True)

    def _installed_files(self) -> set[tuple[str | None, str | None]]:
        """(repo, file) of each installed model whose file is there."""
        try:
            return {(m.repo_id, m.filename) for m in self._store_factory().models() if m.path.is_file()}
        except UserFacingError:
            return set()

    def _mark_installed_in_available(self) -> None:
        installed = self._installed_files()
        for item in _rows(self.available):
            candidate = item.data(0, _MODEL_ROLE)
            if not isinstance(candidate, Candidate):
                continue
            entry = candidate.entry
            name = entry_name(candidate)
            there = (entry.repo_id, entry.filename) in installed
            item.setText(0, arg(self.tr("%1 (installed)"), name) if there else name)

    def _on_available_selection_changed(self) -> None:
        self._update_buttons()

    def _on_download_clicked(self) -> None:
        candidate = self.selected_candidate()
        if candidate is None or self.download.is_running:
            return
        entry = candidate.entry
        if entry.filename is not None and (entry.repo_id, entry.filename) in self._installed_files():
            self._say(arg(self.tr("%1 is installed already: it is in the list above."), entry.filename))
            return
        known = entry.remote()
        spec = (
            f"{entry.repo_id}:{entry.filename}" if entry.filename else (entry.quantization or entry.repo_id)
        )
        resolve: Callable[[], RemoteFile] = (
            (lambda: known) if known is not None else (lambda: catalog.resolve_spec(spec))
        )
        self._downloading = entry.filename or spec
        self._start_download(resolve)

    def _start_download(self, resolve: Callable[[], RemoteFile]) -> None:
        self._resume = resolve
        self.message.setVisible(False)
        self.download_box.show_starting()
        self.move_folder_button.setEnabled(False)  # the file is on its way into the folder
        self.download.start(resolve)
        self._update_buttons()

    def _on_pause_clicked(self) -> None:
        if self.download.is_running:
            self.download_box.show_pausing()
            self.download.pause()
        elif self._resume is not None:  # paused or failed: go on from what was downloaded
            self._start_download(self._resume)

    def _on_cancel_clicked(self) -> None:
        if self.download.is_running:
            self.download_box.show_cancelling()
            self.download.cancel()
        else:  # paused or failed: what was downloaded goes too
            self._discard_partial()
            self._on_download_cancelled()

    def _on_download_progressed(self, progress: DownloadProgress) -> None:
        self.download_box.show_progress(progress)

    def _on_download_finished(self, model: InstalledModel) -> None:
        self._downloading = None
        self.download_box.show_finished(arg(self.tr("Downloaded and verified: %1."), model.path.name))
        self._download_ended()
        self.refresh()
        for item in _rows(self.installed):
            if item.text(0) == model.name:
                self.installed.setCurrentItem(item)
                item.setSelected(True)
        self._say(
            arg(
                self.tr("Downloaded and verified %1: it is in the list above as %2."),
                model.path.name,
                model.name,
            )
        )

    def _on_download_paused(self) -> None:
        self.download_box.show_paused()
        self.move_folder_button.setEnabled(True)
        self._update_buttons()

    def _on_download_cancelled(self) -> None:
        self._downloading = None
        self.download_line.setText("")
        self._download_ended()
        self._update_buttons()

    def _on_download_failed(self, sentence: str) -> None:
        self.download_box.show_failed()
        self.move_folder_button.setEnabled(True)
        self._say(sentence, error=True)
        self._update_buttons()

    def _discard_partial(self) -> None:
        from satori_desktop.models.download import discard_partial, pending_downloads

        for pending in pending_downloads(self._store_factory().root):
            if pending.remote.filename == self._downloading or pending.destination.name == self._downloading:
                discard_partial(pending.destination)

    # -- helpers -------------------------------------------------------------------------------------------

    def _is_loaded(self, model: InstalledModel) -> bool:
        if self._loaded_path is None:
            return False
        try:
            return model.path.resolve() == self._loaded_path.resolve()
        except OSError:
            return model.path == self._loaded_path

    def _start_job(
        self,
        work: Callable[[], object],
        action: str,
        on_success: Callable[..., None],
        on_failure: Callable[[str], None],
    ) -> None:
        self._jobs = [job for job in self._jobs if not job.wait(0)]
        job = BackgroundJob(work, action, self)
        job.succeeded.connect(on_success)
        job.failed.connect(on_failure)
        self._jobs.append(job)
        job.start()

    def _download_ended(self) -> None:
        """Finished or cancelled: nothing left to pause, resume or cancel."""
        self.download_box.setVisible(False)
        self.move_folder_button.setEnabled(True)

    def _update_buttons(self) -> None:
        model = self.selected_model()
        busy = self._verifying is not None
        self.use_button.setEnabled(model is not None)
        self.default_button.setEnabled(model is not None)
        self.verify_button.setEnabled(model is not None and not busy)
        self.remove_button.setEnabled(model is not None and not busy)
        self.download_button.setEnabled(
            self.selected_candidate() is not None
            and not self.download.is_running
            and self._downloading is None
        )

    def _say(self, sentence: str, error: bool = False) -> None:
        self.message.setText(sentence)
        self.message.setStyleSheet(f"color: {_BAD.name()};" if error else "")
        self.message.setVisible(bool(sentence))

    def _button(self, name: str, text: str, slot: Callable[[], None]) -> QPushButton:
        button = QPushButton(text, self)
        button.setObjectName(name)
        button.setAutoDefault(False)
        button.clicked.connect(slot)
        return button

    def _tree(self, name: str, columns: tuple[str, ...]) -> QTreeWidget:
        tree = QTreeWidget(self)
        tree.setObjectName(name)
        tree.setColumnCount(len(columns))
        tree.setHeaderLabels([_tr(column) for column in columns])
        tree.setRootIsDecorated(False)
        tree.setUniformRowHeights(True)
        tree.setAlternatingRowColors(True)
        tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        tree.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        header = tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        return tree

    def _lay_out(self) -> None:
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder_label, 1)
        folder_row.addWidget(self.open_folder_button)
        folder_row.addWidget(self.move_folder_button)

        installed_box = QGroupBox(self.tr("Installed models"), self)
        installed_layout = QVBoxLayout(installed_box)
        installed_layout.addWidget(self.installed)
        actions = QHBoxLayout()
        actions.addWidget(self.use_button)
        actions.addWidget(self.default_button)
        actions.addWidget(self.verify_button)
        actions.addStretch(1)
        actions.addWidget(self.remove_button)
        installed_layout.addLayout(actions)
        installed_layout.addWidget(self.verify_progress)

        another_box = QGroupBox(self.tr("Download another model"), self)
        another_layout = QVBoxLayout(another_box)
        another_layout.addWidget(self.machine_label)
        another_layout.addWidget(self.hub_note)
        another_layout.addWidget(self.available)
        choose = QHBoxLayout()
        choose.addWidget(self.refresh_button)
        choose.addStretch(1)
        choose.addWidget(self.download_button)
        another_layout.addLayout(choose)
        another_layout.addWidget(self.download_box)

        layout = QVBoxLayout(self)
        layout.addLayout(folder_row)
        layout.addWidget(installed_box, 1)
        layout.addWidget(self.message)
        layout.addWidget(another_box, 1)


def _rows(tree: QTreeWidget) -> list[QTreeWidgetItem]:
    items = (tree.topLevelItem(index) for index in range(tree.topLevelItemCount()))
    return [item for item in items if item is not None]


def _failure_sentence(exc: Exception, template: str, *values: object) -> str:
    """A UserFacingError's own sentence; for a file-system error, `template` (what could not be done, in
    the window's language) with `values` and, as its last placeholder, the reason."""
    if isinstance(exc, UserFacingError):
        return str(exc)
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    return arg(template, *values, reason)
