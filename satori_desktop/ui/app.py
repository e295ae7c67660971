"""Starting the GUI: the QApplication, error handling that never shows a traceback, and the main window.

As qutebrowser does, uncaught exceptions go through `sys.excepthook` to the log and a crash dialog with one
sentence; `faulthandler` writes native crashes to a file in the log folder; Qt's own messages are routed
into `logging` (`qInstallMessageHandler`) so they land in the log file instead of a terminal nobody sees.

The model comes from `--model PATH`, else the default installed model of the model store; with neither,
the window opens with a notice that says how to get one. The hidden option `--scripted-engine` replaces
the model with `engine.scripted.ScriptedEngine`, which replays a canned solution (demos, the UI benchmark,
smoke tests); the status line then reads "Scripted demo engine", so it never passes for the real thing.
`--exit-when-ready` (hidden) quits as soon as the window is shown with its page loaded, printing
`SATORI_READY`: the cold-start benchmark and smoke tests use it.
"""

from __future__ import annotations

import argparse
import faulthandler
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from satori_desktop.core.errors import UserFacingError
from satori_desktop.core.logging_setup import configure_logging, log_file_path
from satori_desktop.core.settings import load_settings
from satori_desktop.engine.types import Engine

log = logging.getLogger(__name__)

SCRIPTED_MODEL_PATH = Path("scripted-demo.gguf")
READY_LINE = "SATORI_READY"

_fault_file: IO[str] | None = None  # kept open for the life of the process: faulthandler writes to it


def parse_gui_args(argv: list[str]) -> tuple[argparse.Namespace, list[str]]:
    """Our options; anything else (Qt's own, like -platform) is left for QApplication."""
    parser = argparse.ArgumentParser(prog="satori-desktop", add_help=False)
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("-v", "--verbose", action="store_true")
    parser.add_argument("--scripted-engine", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--scripted-rate", type=float, default=40.0, help=argparse.SUPPRESS)
    parser.add_argument("--exit-when-ready", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_known_args(argv)


def crash_sentence(exc: BaseException) -> str:
    if isinstance(exc, UserFacingError):
        return str(exc)
    return (
        "Satori Desktop ran into a bug and may not work properly until it is restarted; "
        f"the details are in the log file {log_file_path()}."
    )


# What QtWebEngine says when it falls back to software rendering (no GPU, a VM, a remote desktop). It
# renders fine that way, so these are notes, not warnings.
_GPU_FALLBACK_NOTICES = (
    "QRhiGles2: Failed to create",
    "Failed to create RHI",
    "This plugin does not support createPlatformVulkanInstance",
    "QVulkanInstance: Failed",
    "GBM is not supported",
    "This plugin does not support propagateSizeHints",
    "GPUInfo not initialized",
    "Unable to detect GPU vendor",
)


def install_error_handling(show_dialog: Callable[[str], None]) -> None:
    """Route uncaught exceptions, native crashes and Qt messages to the log; show users a sentence."""
    global _fault_file
    from PySide6.QtCore import QMessageLogContext, QtMsgType, qInstallMessageHandler

    try:
        log_file_path().parent.mkdir(parents=True, exist_ok=True)
        _fault_file = open(log_file_path().with_name("crash.log"), "a", encoding="utf-8")  # noqa: SIM115
        faulthandler.enable(file=_fault_file)
    except OSError:
        faulthandler.enable()

    def excepthook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, exc, tb)
            return
        if not isinstance(exc, UserFacingError):
            log.critical("uncaught exception", exc_info=(kind, exc, tb))
        try:
            show_dialog(crash_sentence(exc))
        except Exception:
            log.exception("the crash dialog itself failed")

    sys.excepthook = excepthook

    qt_log = logging.getLogger("qt")
    levels = {
        QtMsgType.QtDebugMsg: logging.DEBUG,
        QtMsgType.QtInfoMsg: logging.INFO,
        QtMsgType.QtWarningMsg: logging.WARNING,
        QtMsgType.QtCriticalMsg: logging.ERROR,
        QtMsgType.QtFatalMsg: logging.CRITICAL,
    }

    def qt_message_handler(kind: QtMsgType, context: QMessageLogContext, message: str) -> None:
        where = f" ({context.category})" if context.category and context.category != "default" else ""
        level = levels.get(kind, logging.WARNING)
        if level == logging.WARNING and message.startswith(_GPU_FALLBACK_NOTICES):
            level = logging.INFO  # expected on machines without a usable GPU: for the log, not the terminal
        qt_log.log(level, "%s%s", message, where)

    qInstallMessageHandler(qt_message_handler)


def default_model_path() -> Path | None:
    """The default installed model, or None when there is none or the store cannot be read."""
    from satori_desktop.models.store import ModelStore

    try:
        installed = ModelStore().default_model()
    except UserFacingError as exc:
        log.warning("the model store could not be read: %s", exc)
        return None
    return None if installed is None else Path(installed.path)


def llama_engine_factory() -> Engine:
    # Imported here, on the engine thread, so loading llama.cpp never delays the window.
    from satori_desktop.engine.llama_engine import LlamaEngine

    engine: Engine = LlamaEngine()
    return engine


def scripted_engine_factory(tokens_per_second: float | None) -> Callable[[], Engine]:
    def factory() -> Engine:
        from satori_desktop.engine.scripted import ScriptedEngine

        return ScriptedEngine(tokens_per_second=tokens_per_second)

    return factory


def run_gui(argv: list[str]) -> int:
    """Start the app and run it until the window closes; returns the process exit code."""
    args, qt_args = parse_gui_args(argv)
    configure_logging(verbose=args.verbose)

    # QtWebEngineWidgets must be imported before the QApplication exists.
    from PySide6.QtCore import QTimer
    from PySide6.QtWebEngineWidgets import QWebEngineView  # noqa: F401
    from PySide6.QtWidgets import QApplication, QMessageBox

    from satori_desktop.ui.engine_worker import EngineWorker
    from satori_desktop.ui.main_window import MainWindow

    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication([sys.argv[0], *qt_args])
    app.setApplicationName("Satori Desktop")
    app.setOrganizationName("SatoriDesktop")

    def show_crash_dialog(sentence: str) -> None:
        QMessageBox.critical(None, "Satori Desktop", sentence)

    install_error_handling(show_crash_dialog)

    notice: str | None = None
    if args.scripted_engine:
        factory = scripted_engine_factory(args.scripted_rate if args.scripted_rate > 0 else None)
        model_path: Path | None = SCRIPTED_MODEL_PATH
    else:
        factory = llama_engine_factory
        model_path = args.model if args.model is not None else default_model_path()
        if model_path is not None and not model_path.is_file():
            notice = (
                f"The model file {model_path} does not exist: check the path, or start without --model "
                "to use the default installed model."
            )
            model_path = None

    worker = EngineWorker(factory)
    window = MainWindow(worker, load_settings(), model_path=model_path, notice=notice)
    window.show()

    if args.exit_when_ready:

        def report_ready() -> None:
            print(READY_LINE, flush=True)
            window.close()

        reported = False

        def check_ready(*_: Any) -> None:
            nonlocal reported
            if not reported and window.transcript_page_ready and window.isVisible():
                reported = True
                QTimer.singleShot(0, report_ready)

        window.transcript.page_ready.connect(check_ready)
        check_ready()

    code = app.exec()
    worker.shutdown()
    return int(code)


if __name__ == "__main__":
    raise SystemExit(run_gui(sys.argv[1:]))
