"""The window's status line: what is loaded, on which backend, what the engine is doing, context used.

Each item is its own label (as qutebrowser gives each status item its own widget), and the wording lives
here, so the window only tells the status line what happened: a model loaded, progress, a turn ended.
"""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QStatusBar, QWidget

from satori_desktop.engine.streaming import GenerationProgress, TurnSummary
from satori_desktop.engine.types import LoadReport

FINISH_WORDS = {
    "stop": "Done",
    "length": "Stopped at the token limit",
    "cancelled": "Stopped",
    "error": "Failed",
}


class StatusLine:
    """Owns the labels it adds to `status_bar`; object names let tests find each one."""

    def __init__(self, status_bar: QStatusBar, parent: QWidget) -> None:
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
        self.model_label.setText("No model")

    def show_loading(self, file_name: str) -> None:
        self.model_label.setText(f"Loading {file_name}…")

    def show_load_progress(self, file_name: str, fraction: float) -> None:
        """`EngineWorker.load_progressed`: how far the load got (the backend follows with `show_loaded`)."""
        self.model_label.setText(f"Loading {file_name}… {min(1.0, max(0.0, fraction)):.0%}")

    def show_checking(self, file_name: str) -> None:
        self.model_label.setText(f"Checking {file_name}…")

    def show_loaded(self, report: LoadReport) -> None:
        self._n_ctx = report.n_ctx
        self.model_label.setText(report.name)
        backend: str = report.backend
        if backend == "CPU" and report.cpu_variant not in ("", "built in", "unknown"):
            backend += f" ({report.cpu_variant})"  # a release build: which CPU variant llama.cpp chose
        if report.backend != "CPU" or report.gpu_layers > 0:
            backend += f" · {report.gpu_layers}/{report.total_layers} layers offloaded"
        self.backend_label.setText(backend)
        self._show_context(0)

    def show_idle(self) -> None:
        self.speed_label.setText("Idle")

    def show_started(self) -> None:
        self.speed_label.setText("Generating · 0 tokens · starting…")

    def show_stopping(self) -> None:
        self.speed_label.setText("Stopping…")

    def show_progress(self, progress: GenerationProgress) -> None:
        speed = "starting…" if progress.tok_s is None else f"{progress.tok_s:.1f} tok/s"
        self.speed_label.setText(f"Generating · {progress.generated_tokens} tokens · {speed}")
        self._show_context(progress.generated_tokens)

    def show_finished(self, summary: TurnSummary) -> None:
        if summary.finish_reason != "error" and (summary.prompt_tokens or summary.generated_tokens):
            self._context_used = summary.prompt_tokens + summary.generated_tokens
        speed = "" if summary.decode_tok_s is None else f" · {summary.decode_tok_s:.1f} tok/s"
        words = FINISH_WORDS.get(summary.finish_reason, summary.finish_reason)
        self.speed_label.setText(f"{words} · {summary.generated_tokens} tokens{speed}")
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
        self.context_label.setText(f"Context {used:,} / {self._n_ctx:,} tokens")
