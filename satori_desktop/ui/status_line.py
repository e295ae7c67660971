"""The window's status line: what is loaded, on which backend, what the engine is doing, context used.

Each item is its own label (as qutebrowser gives each status item its own widget), and the wording lives
here, so the window only tells the status line what happened: a model loaded, progress, a turn ended.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QObject
from PySide6.QtWidgets import QLabel, QStatusBar, QWidget

from satori_desktop.engine.streaming import GenerationProgress, TurnSummary
from satori_desktop.engine.types import LoadReport
from satori_desktop.ui.i18n.text import QT_TRANSLATE_NOOP, arg

FINISH_WORDS = {
    "stop": QT_TRANSLATE_NOOP("StatusLine", "Done"),
    "length": QT_TRANSLATE_NOOP("StatusLine", "Stopped at the token limit"),
    "cancelled": QT_TRANSLATE_NOOP("StatusLine", "Stopped"),
    "error": QT_TRANSLATE_NOOP("StatusLine", "Failed"),
}


def _tr(text: str) -> str:
    return QCoreApplication.translate("StatusLine", text)


# How a model that is not Satori has its output read (core/model_format.py), in the status line.
FORMAT_LABELS = {
    "think": QT_TRANSLATE_NOOP("StatusLine", "<think> reasoning"),
    "marco": QT_TRANSLATE_NOOP("StatusLine", "Marco-o1 thought and output"),
    "plain": QT_TRANSLATE_NOOP("StatusLine", "plain answers"),
}


def _translated_format(reasoning_format: str) -> str:
    label = FORMAT_LABELS.get(reasoning_format, reasoning_format)
    return QCoreApplication.translate("StatusLine", label)


class StatusLine(QObject):
    """Owns the labels it adds to `status_bar`; object names let tests find each one. (A QObject for
    `self.tr`, which pyside6-lupdate reads counts from.)"""

    def __init__(self, status_bar: QStatusBar, parent: QWidget) -> None:
        super().__init__(parent)
        self.model_label = QLabel(parent)
        self.model_label.setObjectName("modelLabel")
        self.backend_label = QLabel(parent)
        self.backend_label.setObjectName("backendLabel")
        self.speed_label = QLabel(parent)
        self.speed_label.setObjectName("speedLabel")
        self.context_label = QLabel(parent)
        self.context_label.setObjectName("contextLabel")
        status_bar.setStyleSheet(
            # Palette roles, not colours: the line reads the same in the light and the dark theme.
            "QStatusBar QLabel { padding: 0 10px; color: palette(window-text); }"
            " QStatusBar QLabel#backendLabel, QStatusBar QLabel#speedLabel, QStatusBar QLabel#contextLabel"
            " { border-left: 1px solid palette(mid); }"
        )
        status_bar.addWidget(self.model_label)
        status_bar.addWidget(self.backend_label)
        status_bar.addWidget(self.speed_label, 1)
        status_bar.addPermanentWidget(self.context_label)
        self._n_ctx: int | None = None
        self._context_used = 0  # tokens of the conversation so far, after the last finished turn
        self.show_idle()

    def show_no_model(self) -> None:
        self.model_label.setText(self.tr("No model"))

    def show_loading(self, file_name: str) -> None:
        self.model_label.setText(arg(self.tr("Loading %1…"), file_name))

    def show_load_progress(self, file_name: str, fraction: float) -> None:
        """`EngineWorker.load_progressed`: how far the load got (the backend follows with `show_loaded`)."""
        percent = f"{min(1.0, max(0.0, fraction)):.0%}"
        self.model_label.setText(arg(self.tr("Loading %1… %2"), file_name, percent))

    def show_checking(self, file_name: str) -> None:
        self.model_label.setText(arg(self.tr("Checking %1…"), file_name))

    def show_connecting(self, hosts: str) -> None:
        self.model_label.setText(arg(self.tr("Connecting to %1…"), hosts))
        self.backend_label.setText("")
        self.context_label.setText("")

    def show_not_connected(self) -> None:
        self.model_label.setText(self.tr("Not connected to a server"))
        self.backend_label.setText("")
        self.context_label.setText("")

    def show_loaded(self, report: LoadReport) -> None:
        reasoning = report.prompting.reasoning_format
        if reasoning == "coat":
            self.model_label.setText(report.name)
        else:  # another reasoning model: say how its output is read
            self.model_label.setText(arg(self.tr("%1 · %2"), report.name, _translated_format(reasoning)))
        if report.backend == "Server":  # the server's context is its own business: no context line
            self._n_ctx = None
            self.backend_label.setText(self.tr("Shared server"))
            self._show_context(0)
            return
        self._n_ctx = report.n_ctx
        backend: str = report.backend
        if backend == "CPU" and report.cpu_variant not in ("", "built in", "unknown"):
            backend += f" ({report.cpu_variant})"  # a release build: which CPU variant llama.cpp chose
        if report.backend != "CPU" or report.gpu_layers > 0:
            backend = arg(
                self.tr("%1 · %2/%3 layers offloaded"),
                backend,
                report.gpu_layers,
                report.total_layers,
            )
        self.backend_label.setText(backend)
        self._show_context(0)

    def show_idle(self) -> None:
        self.speed_label.setText(self.tr("Idle"))

    def show_started(self) -> None:
        self._show_generating(0, self.tr("starting…"))

    def show_stopping(self) -> None:
        self.speed_label.setText(self.tr("Stopping…"))

    def show_progress(self, progress: GenerationProgress) -> None:
        if progress.tok_s is None:
            speed = self.tr("starting…")
        else:
            speed = arg(self.tr("%1 tok/s"), f"{progress.tok_s:.1f}")
        self._show_generating(progress.generated_tokens, speed)
        self._show_context(progress.generated_tokens)

    def show_batch_progress(self, tokens: int, tok_s: float | None) -> None:
        """Several solutions streaming together: their tokens and aggregate rate (the context line stays:
        each solution has its own)."""
        speed = self.tr("starting…") if tok_s is None else arg(self.tr("%1 tok/s"), f"{tok_s:.1f}")
        self._show_generating(tokens, speed)

    def _show_generating(self, tokens: int, speed: str) -> None:
        self.speed_label.setText(arg(self.tr("Generating · %n tokens · %1", "", tokens), speed))

    def show_finished(self, summary: TurnSummary) -> None:
        if summary.finish_reason != "error" and (summary.prompt_tokens or summary.generated_tokens):
            self._context_used = summary.prompt_tokens + summary.generated_tokens
        reason = summary.finish_reason
        words = _tr(FINISH_WORDS[reason]) if reason in FINISH_WORDS else reason
        tokens = summary.generated_tokens
        if summary.decode_tok_s is None:
            line = arg(self.tr("%1 · %n tokens", "", tokens), words)
        else:
            line = arg(
                self.tr("%1 · %n tokens · %2 tok/s", "", tokens),
                words,
                f"{summary.decode_tok_s:.1f}",
            )
        self.speed_label.setText(line)
        self._show_context(0)

    def reset_context(self) -> None:
        """A new conversation: nothing of the context is used."""
        self._context_used = 0
        self._show_context(0)

    def _show_context(self, generating: int) -> None:
        if self._n_ctx is None:
            self.context_label.setText("")
            return
        used = self._context_used + generating
        self.context_label.setText(
            arg(
                self.tr("Context %1 / %2 tokens"),
                f"{used:,}",
                f"{self._n_ctx:,}",
            )
        )
