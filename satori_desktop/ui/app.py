"""Starting the GUI: the QApplication, error handling that never shows a traceback, and the main window.

As qutebrowser does:
- uncaught exceptions (Qt calls `sys.excepthook` for one raised in a slot, and the event loop goes on) go
  to the log with their traceback, and the user gets one sentence in a box (`ui.crash_dialog`: one box at
  a time, each sentence once, so a slot failing on every frame is not a storm of boxes);
- `faulthandler` writes native crashes (llama.cpp, Qt) to `crash.log` in the log folder, and the next start
  says that the app closed unexpectedly, offers the report, and keeps it in the log (`core.crash_report`);
- Qt's own messages are routed into `logging` (`qInstallMessageHandler`) so they land in the log file
  instead of a terminal nobody sees;
- SIGINT (Ctrl+C in the terminal) and SIGTERM close the window as its close button does, which cancels the
  answer being written and joins the engine thread, and the process exits with 128 + the signal's number
  (130, 143), as the CLI does for Ctrl+C and as shells report a process ended by a signal (`SignalCloser`).

The model comes from `--model PATH`, else the default installed model of the model store; with neither,
the window opens with a notice that says how to get one. The hidden option `--scripted-engine` replaces
the model with `engine.scripted.ScriptedEngine`, which replays a canned solution (demos, the UI benchmark,
smoke tests); the status line then reads "Scripted demo engine", so it never passes for the real thing.
`--exit-when-ready` (hidden) quits as soon as the window is shown with its page loaded, printing
`SATORI_READY`: the cold-start benchmark and smoke tests use it.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any

from satori_desktop.core import paths
from satori_desktop.core.crash_report import enable_native_crash_log, take_previous_crash
from satori_desktop.core.errors import UserFacingError
from satori_desktop.core.logging_setup import configure_logging, log_file_path
from satori_desktop.core.settings import load_settings_report
from satori_desktop.engine.types import Engine
from satori_desktop.ui.i18n.text import arg

log = logging.getLogger(__name__)

SCRIPTED_MODEL_PATH = Path("scripted-demo.gguf")
READY_LINE = "SATORI_READY"
APP_ICON_PATH = Path(__file__).resolve().parent / "icons" / "satori-desktop.svg"
# The app id: packaging/linux/<this>.desktop and .metainfo.xml, and the installed icon's name. Docks
# match the window to the .desktop entry by it (the Wayland app id).
DESKTOP_FILE_NAME = "io.github.satori_desktop.SatoriDesktop"


def parse_gui_args(argv: list[str]) -> tuple[argparse.Namespace, list[str]]:
    """Our options; anything else (Qt's own, like -platform) is left for QApplication."""
    parser = argparse.ArgumentParser(prog="satori-desktop", add_help=False)
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("-v", "--verbose", action="store_true")
    parser.add_argument("--scripted-engine", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--scripted-rate", type=float, default=40.0, help=argparse.SUPPRESS)
    parser.add_argument("--exit-when-ready", action="store_true", help=argparse.SUPPRESS)
    # A window of its own even when one is open (ui/single_instance.py); --exit-when-ready implies it.
    parser.add_argument("--new-instance", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_known_args(argv)


def crash_sentence(exc: BaseException) -> str:
    from PySide6.QtCore import QCoreApplication

    if isinstance(exc, UserFacingError):
        return str(exc)
    return arg(
        QCoreApplication.translate(
            "App",
            "Satori Desktop ran into a bug and may not work properly until it is restarted; the details are "
            "in the log file %1.",
        ),
        log_file_path(),
    )


# What QtWebEngine says when it falls back to software rendering (no GPU, a VM, a remote desktop). It
# renders fine that way, so these are notes, not warnings.
GPU_FALLBACK_NOTICES = (
    "QRhiGles2: Failed to create",
    "Failed to create RHI",
    "This plugin does not support createPlatformVulkanInstance",
    "QVulkanInstance: Failed",
    "GBM is not supported",
    "This plugin does not support propagateSizeHints",
    "GPUInfo not initialized",
    "Unable to detect GPU vendor",
)


def install_error_handling(report_sentence: Callable[[str], None]) -> None:
    """Route uncaught exceptions, native crashes and Qt messages to the log; show users a sentence.

    `report_sentence` may be called from any thread. Call this after `take_previous_crash()`.
    """
    enable_native_crash_log()
    install_excepthook(report_sentence)
    route_qt_messages_to_log()


def install_excepthook(report_sentence: Callable[[str], None]) -> None:
    """Uncaught exceptions on any thread: the traceback to the log, a sentence to the user."""

    def excepthook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, exc, tb)
            return
        if isinstance(exc, UserFacingError):
            log.warning("uncaught: %s", exc)
        else:
            log.critical("uncaught exception", exc_info=(kind, exc, tb))
        try:
            report_sentence(crash_sentence(exc))
        except Exception:
            log.exception("the crash dialog itself failed")

    def thread_excepthook(args: threading.ExceptHookArgs) -> None:
        if args.exc_value is not None and not issubclass(args.exc_type, SystemExit):
            excepthook(args.exc_type, args.exc_value, args.exc_traceback)

    sys.excepthook = excepthook
    threading.excepthook = thread_excepthook


def route_qt_messages_to_log() -> None:
    from PySide6.QtCore import QMessageLogContext, QtMsgType, qInstallMessageHandler

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
        if level == logging.WARNING and message.startswith(GPU_FALLBACK_NOTICES):
            level = logging.INFO  # expected on machines without a usable GPU: for the log, not the terminal
        qt_log.log(level, "%s%s", message, where)

    qInstallMessageHandler(qt_message_handler)


# The signals that mean "please quit": Ctrl+C and `kill`; Ctrl+Break on Windows, which has no SIGTERM.
_QUIT_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGBREAK") if hasattr(signal, name)
)


def exit_code_for_signal(signum: int) -> int:
    """128 + the signal's number (130 for SIGINT, 143 for SIGTERM): what a shell reports for it."""
    return 128 + signum


def _leave_to_the_event_loop(signum: int, frame: FrameType | None) -> None:
    """The Python-level handler does nothing: the wake-up socket carries the signal to `SignalCloser`."""


class SignalCloser:
    """Turns SIGINT/SIGTERM (SIGBREAK on Windows) into a call on the GUI thread, from Qt's event loop.

    Python runs a signal handler only when the interpreter next gets control, and while Qt's event loop
    waits in C++ it does not, so without help a Ctrl+C waits for the next mouse move. With
    `signal.set_wakeup_fd`, Python's C-level handler also writes the signal's number to a socket; a
    `QSocketNotifier` on the other end of the socket pair wakes the event loop at once, and its slot runs
    `on_signal(signum)` on the GUI thread between two events, never in the middle of another slot. (A
    QTimer ticking every 100 ms would also let Python in, but would wake an idle app ten times a second
    forever and still be up to 100 ms late.)

    After the first signal the default action comes back, so a second Ctrl+C or SIGTERM ends a shutdown
    that hangs at once, without cleanup.
    """

    def __init__(self, on_signal: Callable[[int], None]) -> None:
        from PySide6.QtCore import QSocketNotifier

        self._on_signal = on_signal
        self._handled = False
        self._reader, self._writer = socket.socketpair()
        self._reader.setblocking(False)
        self._writer.setblocking(False)
        self._previous_fd = signal.set_wakeup_fd(self._writer.fileno(), warn_on_full_buffer=False)
        self._previous_handlers = {
            signum: signal.signal(signum, _leave_to_the_event_loop) for signum in _QUIT_SIGNALS
        }
        self._notifier = QSocketNotifier(self._reader.fileno(), QSocketNotifier.Type.Read)
        self._notifier.activated.connect(self._on_notifier_activated)

    def uninstall(self) -> None:
        """Give the signals back to whoever had them (Python's defaults in the app)."""
        self._notifier.setEnabled(False)
        signal.set_wakeup_fd(self._previous_fd)
        for signum, handler in self._previous_handlers.items():
            signal.signal(signum, handler if handler is not None else signal.SIG_DFL)
        self._reader.close()
        self._writer.close()

    def _on_notifier_activated(self, *_: Any) -> None:
        try:
            received = self._reader.recv(256)
        except (BlockingIOError, InterruptedError):
            return
        ours = [signum for signum in received if signum in _QUIT_SIGNALS]
        if not ours or self._handled:
            return
        self._handled = True
        for signum in _QUIT_SIGNALS:
            signal.signal(signum, signal.SIG_DFL)
        self._on_signal(ours[0])


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


def missing_model_sentence(path: Path) -> str:
    """What the window says of a --model file that is not there (at start, or handed over later)."""
    from PySide6.QtCore import QCoreApplication

    return arg(
        QCoreApplication.translate(
            "App",
            "The model file %1 does not exist: check the path, or start without --model to use the "
            "default installed model.",
        ),
        path,
    )


def present_for_another_start(window: Any, message: dict[str, Any]) -> None:
    """A later start handed over (ui/single_instance.py): the window to the front, and the model file it
    was given imported and loaded, as a file dropped on the window is."""
    from satori_desktop.ui.single_instance import ACTIVATION_TOKEN, activation_token_of, model_of

    if window.isMinimized():
        window.showNormal()
    window.show()
    window.raise_()
    token = activation_token_of(message)
    if token:  # Wayland: the focus with the token the launcher gave the later start (used once)
        os.environ[ACTIVATION_TOKEN] = token
    window.activateWindow()
    os.environ.pop(ACTIVATION_TOKEN, None)
    model = model_of(message)
    if model is None:
        return
    if model.is_file():
        window.import_model(model)
    else:
        window.notice_bar.add(missing_model_sentence(model))


def run_gui(argv: list[str]) -> int:
    """Start the app and run it until the window closes; returns the process exit code."""
    started = time.perf_counter()
    args, qt_args = parse_gui_args(argv)
    configure_logging(verbose=args.verbose)
    # Before faulthandler opens crash.log again: a stat and, only after a crash, a small read.
    previous_crash = take_previous_crash()

    # QtWebEngineWidgets must be imported before the QApplication exists.
    from PySide6.QtCore import QTimer
    from PySide6.QtGui import QIcon
    from PySide6.QtWebEngineWidgets import QWebEngineView  # noqa: F401
    from PySide6.QtWidgets import QApplication

    from satori_desktop.ui.crash_dialog import UncaughtErrorBoxes, show_crash_report
    from satori_desktop.ui.engine_worker import EngineWorker
    from satori_desktop.ui.i18n.languages import install_translations
    from satori_desktop.ui.main_window import MainWindow

    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication([sys.argv[0], *qt_args])
    app.setApplicationName("Satori Desktop")
    app.setOrganizationName("SatoriDesktop")
    app.setDesktopFileName(DESKTOP_FILE_NAME)
    app.setWindowIcon(QIcon(str(APP_ICON_PATH)))

    instance = None
    if not (args.new_instance or args.exit_when_ready):  # a cold start measured stays a cold start
        from satori_desktop.ui.single_instance import InstanceServer, deciding_lock, hand_over, start_message

        message = start_message(args.model)
        instance = InstanceServer(app)
        # An open copy takes the message; else this copy listens. Starts in the same instant decide one
        # after another (deciding_lock): the first listens, the next finds it and hands over. Should two
        # decide at once all the same (no lock), one gets the name and the other, finding it held, hands
        # over to that one after all. Held with no one answering there: the socket a crashed copy left
        # behind, taken over.
        lock = deciding_lock()
        try:
            if hand_over(message) or (not instance.listen() and hand_over(message)):
                log.info("another Satori Desktop is open: handed over to its window")
                print(
                    "satori-desktop: Satori Desktop is open already; its window comes to the front.",
                    file=sys.stderr,
                )
                return 0
            if not instance.is_listening:
                instance.listen(take_over=True)
        finally:
            if lock is not None:
                lock.unlock()

    error_boxes = UncaughtErrorBoxes()
    install_error_handling(error_boxes.report)
    # The language before any widget exists: each translates its strings when it is built.
    settings = load_settings_report()
    install_translations(app, settings.settings.language)

    # Installed before the window exists, so a signal during start-up is not lost: it waits in the socket
    # until the event loop runs, and then closes the window like any other.
    closed_by_signal: int | None = None
    made: list[MainWindow] = []  # the window, once it exists

    def close_on_signal(signum: int) -> None:
        nonlocal closed_by_signal
        if not made:  # only if something ran the event loop before the window was made
            QTimer.singleShot(0, lambda: close_on_signal(signum))
            return
        closed_by_signal = signum
        log.info("%s received: closing the window", signal.Signals(signum).name)
        made[0].close()  # its closeEvent cancels the answer and joins the engine thread
        app.quit()  # even with a dialog still open over it

    on_main_thread = threading.current_thread() is threading.main_thread()  # where signals can be caught
    signal_closer = SignalCloser(close_on_signal) if on_main_thread else None

    notice: str | None = None
    if args.scripted_engine:
        factory = scripted_engine_factory(args.scripted_rate if args.scripted_rate > 0 else None)
        model_path: Path | None = SCRIPTED_MODEL_PATH
    else:
        factory = llama_engine_factory
        model_path = args.model if args.model is not None else default_model_path()
        if model_path is not None and not model_path.is_file():
            notice = missing_model_sentence(model_path)
            model_path = None

    worker = EngineWorker(factory)
    window = MainWindow(
        worker,
        settings.settings,
        model_path=model_path,
        notice=notice,
        settings_notice=settings.notice,
        settings_read_only=settings.read_only,
    )
    made.append(window)
    error_boxes.set_window(window)
    if instance is not None:
        instance.handed_over.connect(lambda message: present_for_another_start(window, message))
    window.show()
    if previous_crash is not None:
        show_crash_report(previous_crash, paths.log_dir(), window)

    reported = False

    def check_ready(*_: Any) -> None:
        nonlocal reported
        # Ready: shown, its page loaded, and the history open and listed (it opens off the GUI thread).
        if reported or not (window.transcript_page_ready and window.isVisible() and window.history_settled):
            return
        reported = True
        log.info("the window is ready, %.2f s after run_gui started", time.perf_counter() - started)
        if args.exit_when_ready:
            QTimer.singleShot(0, report_ready)

    def report_ready() -> None:
        print(READY_LINE, flush=True)
        window.close()
        app.quit()  # even with a dialog still open over it

    window.transcript.page_ready.connect(check_ready)
    window.history.opened.connect(check_ready)
    window.history.failed.connect(check_ready)
    check_ready()

    code = int(app.exec())
    if instance is not None:
        instance.close()  # a start from now on opens a window of its own
    if signal_closer is not None:
        signal_closer.uninstall()
    joined = worker.shutdown()
    if closed_by_signal is not None:
        code = exit_code_for_signal(closed_by_signal)
        log.info(
            "closed on %s, exit code %d; the engine thread %s",
            signal.Signals(closed_by_signal).name,
            code,
            "has stopped" if joined else "did not stop",
        )
    return code


if __name__ == "__main__":
    raise SystemExit(run_gui(sys.argv[1:]))
