"""Help > About, and "Copy diagnostics": what this installation is, and a report to paste into a bug.

`AboutDialog` names the app and its version, says in one line what it is, and shows what a bug report asks
first: the llama.cpp build (llama-cpp-python's version, the backend it was built for and the CPU features
in its system info), Qt and PySide6, Python, and the model loaded now (or "no model loaded"), with the
app's licence and a note on the model's. Two buttons: "Copy diagnostics" puts `ui.diagnostics`' text
report on the clipboard, and "Open log folder" opens the folder in the platform's file manager. The
llama.cpp facts and the report are gathered off the GUI thread (loading llama.cpp's library, asking NVML
and reading the log take a moment).

`copy_diagnostics(parent, load_report)` is the same copy for the Help menu, without the dialog: a box
over `parent` says when the report is on the clipboard.

The jobs outlive the dialog that started them (`SelfOwnedJob`): closing the About box while the report
is being gathered still puts it on the clipboard.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, ClassVar

import shiboken6
from PySide6.QtCore import QCoreApplication, QObject, Qt, Signal
from PySide6.QtGui import QFont, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QLabel,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

from satori_desktop import __version__
from satori_desktop.core import paths
from satori_desktop.core.errors import UserFacingError
from satori_desktop.engine.types import LoadReport
from satori_desktop.ui.background import BackgroundJob
from satori_desktop.ui.diagnostics import (
    APP_LICENCE,
    APP_NAME,
    APP_SUMMARY,
    MODEL_LICENCE_NOTE,
    LlamaCppBuild,
    diagnostics_text,
    failure_reason,
    llama_cpp_build,
    python_version,
    qt_versions,
)
from satori_desktop.ui.file_manager import open_folder
from satori_desktop.ui.i18n.text import QT_TRANSLATE_NOOP, arg
from satori_desktop.ui.report_buttons import report_buttons

log = logging.getLogger(__name__)

COPIED_SENTENCE = QT_TRANSLATE_NOOP(
    "AboutDialog",
    "The diagnostics report is on the clipboard: paste it into your bug report. It holds no tokens or "
    "keys, and your home folder is written as ~.",
)


def _tr(text: str) -> str:
    return QCoreApplication.translate("AboutDialog", text)


def model_summary(report: LoadReport | None) -> str:
    """'satori-7b-round2-q4_k_m.gguf on CUDA, 29/29 layers on the GPU, context 4096' or 'no model loaded'."""
    if report is None:
        return QCoreApplication.translate("AboutDialog", "no model loaded")
    if report.gpu_layers > 0:
        template = QCoreApplication.translate("AboutDialog", "%1 on %2, %3/%4 layers on the GPU, context %5")
        layers: tuple[object, ...] = (min(report.gpu_layers, report.total_layers), report.total_layers)
    else:
        template = QCoreApplication.translate("AboutDialog", "%1 on %2, %3 layers on the CPU, context %4")
        layers = (report.total_layers,)
    return arg(template, report.name, report.backend, *layers, report.n_ctx)


class SelfOwnedJob(QObject):
    """A `BackgroundJob` that nobody has to keep: it holds itself until its outcome arrived.

    A dialog may close (and be deleted) while its job still runs; a job parented to it would go with it,
    and its thread would then signal through a deleted object. This one has no parent: it stays alive
    until `succeeded(result)` or `failed(sentence)` has been emitted (on the GUI thread), then deletes
    itself; connections to a receiver that is gone by then are simply dropped by Qt.
    """

    succeeded = Signal(object)
    failed = Signal(str)

    _running: ClassVar[set[SelfOwnedJob]] = set()

    def __init__(self, work: Callable[[], Any], action: str) -> None:
        super().__init__()
        self._job = BackgroundJob(work, action, self)
        self._job.succeeded.connect(self._on_job_succeeded)
        self._job.failed.connect(self._on_job_failed)

    def start(self) -> None:
        SelfOwnedJob._running.add(self)
        self._job.start()

    def wait(self, timeout_s: float | None = None) -> bool:
        """Join the thread (tests, closing the app); True when it ended."""
        return self._job.wait(timeout_s)

    def _on_job_succeeded(self, result: object) -> None:
        self._release()
        self.succeeded.emit(result)

    def _on_job_failed(self, sentence: str) -> None:
        self._release()
        self.failed.emit(sentence)

    def _release(self) -> None:
        SelfOwnedJob._running.discard(self)
        self.deleteLater()  # once the signals emitted now have been delivered


class DiagnosticsCopier(SelfOwnedJob):
    """Gathers the text report on a thread and puts it on the clipboard (on the GUI thread).

    `copied(text)` or `failed(sentence)` arrives once. Closing the dialog that started it does not cut the
    copy short.
    """

    copied = Signal(str)

    def __init__(self, load_report: LoadReport | None) -> None:
        super().__init__(
            lambda: diagnostics_text(load_report),
            QT_TRANSLATE_NOOP("BackgroundJob", "gathering the diagnostics"),
        )
        self.succeeded.connect(self._on_self_succeeded)

    def _on_self_succeeded(self, text: object) -> None:
        QGuiApplication.clipboard().setText(str(text))
        self.copied.emit(str(text))


def copy_diagnostics(parent: QWidget, load_report: LoadReport | None) -> DiagnosticsCopier:
    """Help > Copy diagnostics: copy the report, then say so in a box over `parent` (window-modal)."""
    copier = DiagnosticsCopier(load_report)

    def tell(name: str, icon: QMessageBox.Icon, sentence: str) -> None:
        if not shiboken6.isValid(parent):  # the window closed meanwhile: nobody to tell
            return
        box = QMessageBox(icon, APP_NAME, sentence, QMessageBox.StandardButton.Ok, parent)
        box.setObjectName(name)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    copier.copied.connect(
        lambda _text: tell("diagnosticsCopiedBox", QMessageBox.Icon.Information, _tr(COPIED_SENTENCE))
    )
    copier.failed.connect(lambda sentence: tell("diagnosticsFailedBox", QMessageBox.Icon.Warning, sentence))
    copier.start()
    return copier


class AboutDialog(QDialog):
    """Help > About: the app, the builds it runs on, the model, the licences; copy diagnostics."""

    def __init__(self, load_report: LoadReport | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("aboutDialog")
        self.setWindowTitle(arg(self.tr("About %1"), APP_NAME))
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self._load_report = load_report

        title = QLabel(f"{APP_NAME} {__version__}", self)
        title.setObjectName("aboutTitle")
        font = QFont(title.font())
        font.setPointSizeF(font.pointSizeF() * 1.5)
        font.setBold(True)
        title.setFont(font)
        summary = self._value_label("aboutSummary", _tr(APP_SUMMARY))

        qt = qt_versions()
        self.llama_cpp_label = self._value_label("aboutLlamaCpp", self.tr("reading…"))
        self.backend_label = self._value_label("aboutBackend", self.tr("reading…"))
        self.qt_label = self._value_label("aboutQt", f"Qt {qt['qt']}, PySide6 {qt['pyside6']}")
        self.python_label = self._value_label("aboutPython", python_version())
        self.model_label = self._value_label("aboutModel", model_summary(load_report))
        self.licence_label = self._value_label("aboutLicence", f"{APP_LICENCE} (Satori Desktop)")
        self.model_licence_label = self._value_label("aboutModelLicence", _tr(MODEL_LICENCE_NOTE))
        facts = QFormLayout()
        facts.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        for name, value in (
            ("llama.cpp:", self.llama_cpp_label),
            (self.tr("Backend:"), self.backend_label),
            ("Qt:", self.qt_label),
            ("Python:", self.python_label),
            (self.tr("Model:"), self.model_label),
            (self.tr("Licence:"), self.licence_label),
            (self.tr("Model licence:"), self.model_licence_label),
        ):
            label = QLabel(name, self)
            # Beside the first line of its value, also where the value wraps onto more lines.
            label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
            facts.addRow(label, value)

        self.status_label = QLabel("", self)
        self.status_label.setObjectName("aboutStatus")
        self.status_label.setWordWrap(True)

        row = report_buttons(
            self,
            copy_text=self.tr("&Copy diagnostics"),
            copy_name="copyDiagnosticsButton",
            open_folder_text=self.tr("&Open log folder"),
        )
        buttons, self.copy_button, self.open_folder_button = row.box, row.copy, row.open_folder
        self.copy_button.clicked.connect(self._on_copy_button_clicked)
        self.open_folder_button.clicked.connect(self._on_open_folder_button_clicked)

        self._layout = layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(summary)
        layout.addSpacing(8)
        layout.addLayout(facts)
        layout.addWidget(self.status_label)
        layout.addStretch(1)
        layout.addWidget(buttons)
        self.resize(640, 300)
        self._fit_height()

        self.copier: DiagnosticsCopier | None = None  # the latest "Copy diagnostics", once clicked
        self._build_job = SelfOwnedJob(
            _read_llama_cpp_build, QT_TRANSLATE_NOOP("BackgroundJob", "reading the llama.cpp build")
        )
        self._build_job.succeeded.connect(self._on_build_job_succeeded)
        self._build_job.failed.connect(self._on_build_job_failed)
        self._build_job.start()

    def _value_label(self, name: str, text: str) -> QLabel:
        label = QLabel(text, self)
        label.setObjectName(name)
        label.setWordWrap(True)
        label.setTextFormat(Qt.TextFormat.PlainText)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        return label

    def _fit_height(self) -> None:
        """Grow to the height the wrapped labels need at this width: a top-level widget does not follow its
        labels' height-for-width when one gets longer text, so ask the layout and resize."""
        self._layout.activate()  # lay out the new text now: until then the height-for-width is the old one
        needed = self._layout.totalHeightForWidth(self.width())
        if needed > self.height():
            self.resize(self.width(), needed)

    # -- slots ---------------------------------------------------------------------------------------------

    def _on_build_job_succeeded(self, build: object) -> None:
        if not isinstance(build, LlamaCppBuild):  # the reason the library would not load
            self._on_build_job_failed(str(build))
            return
        self.llama_cpp_label.setText(f"llama-cpp-python {build.version}")
        if build.gpu_offload_supported:
            lines = [arg(self.tr("%1 build, GPU offload"), build.backend)]
        else:
            lines = [arg(self.tr("%1 build, no GPU offload"), build.backend)]
        lines += [f"{name}: {', '.join(features)}" for name, features in build.features.items() if features]
        self.backend_label.setText("\n".join(lines))
        self._fit_height()

    def _on_build_job_failed(self, sentence: str) -> None:
        self.llama_cpp_label.setText(arg(self.tr("unavailable (%1)"), sentence))
        self.backend_label.setText(self.tr("unknown"))
        self._fit_height()

    def _on_copy_button_clicked(self) -> None:
        self.copy_button.setEnabled(False)
        self.copy_button.setText(self.tr("Gathering…"))
        self.status_label.setText("")
        self.copier = DiagnosticsCopier(self._load_report)
        self.copier.copied.connect(self._on_copier_copied)
        self.copier.failed.connect(self._on_copier_failed)
        self.copier.start()

    def _on_copier_copied(self, _text: str) -> None:
        self.copy_button.setEnabled(True)
        self.copy_button.setText(self.tr("&Copy diagnostics"))
        self.status_label.setText(_tr(COPIED_SENTENCE))
        self._fit_height()

    def _on_copier_failed(self, sentence: str) -> None:
        self.copy_button.setEnabled(True)
        self.copy_button.setText(self.tr("&Copy diagnostics"))
        self.status_label.setText(sentence)
        self._fit_height()

    def _on_open_folder_button_clicked(self) -> None:
        try:
            open_folder(paths.log_dir())
        except UserFacingError as exc:
            self.status_label.setText(str(exc))
            self._fit_height()


def _read_llama_cpp_build() -> LlamaCppBuild | str:
    """The build, or why llama.cpp's library will not load (a broken install is a fact to show here)."""
    try:
        return llama_cpp_build()
    except Exception as exc:
        log.info("the About box could not read the llama.cpp build", exc_info=True)
        return failure_reason(exc)


def show_about(parent: QWidget, load_report: LoadReport | None) -> AboutDialog:
    """Help > About: open the box over `parent`, window-modal, without waiting for it to close."""
    dialog = AboutDialog(load_report, parent)
    dialog.open()
    return dialog
