"""One-shot jobs off the GUI thread whose result comes back as a signal (like Anki's `run_in_background`).

For the model manager's slow calls (asking the hub, hashing a 4 GB file, probing the GPU): the GUI thread
never waits on them. The job runs on a Python thread of its own; its outcome is delivered on the GUI
thread through a queued signal. A job's failure arrives as one sentence (a `UserFacingError`'s own, or a
pointer to the log for a bug), never as an exception in the GUI.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, Signal

from satori_desktop.core.errors import UserFacingError
from satori_desktop.core.logging_setup import log_file_path
from satori_desktop.ui.i18n.text import arg

log = logging.getLogger(__name__)


def bug_sentence(action: str) -> str:
    """The sentence for a bug while doing `action`, which is marked for translation where it is named
    (`QT_TRANSLATE_NOOP("BackgroundJob", "asking the hub")`): the log names it in English."""
    return arg(
        QCoreApplication.translate(
            "BackgroundJob", "Something went wrong while %1; the details are in the log file %2."
        ),
        QCoreApplication.translate("BackgroundJob", action),
        log_file_path(),
    )


class BackgroundJob(QObject):
    """Runs `work()` on a thread; `succeeded(result)` or `failed(sentence)` arrive on the GUI thread.

    Keep a reference (or give it a parent) until one of them arrived; `action` names the job in the
    sentence of an unexpected failure ("asking the hub"), marked with `QT_TRANSLATE_NOOP("BackgroundJob",
    ...)` where the job is made.
    """

    succeeded = Signal(object)
    failed = Signal(str)

    def __init__(self, work: Callable[[], Any], action: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._work = work
        self._action = action
        self._thread = threading.Thread(target=self._run, name=f"satori-job-{action}", daemon=True)

    def start(self) -> BackgroundJob:
        self._thread.start()
        return self

    def wait(self, timeout_s: float | None = None) -> bool:
        """Join the thread (closing the app, tests); True when it ended."""
        self._thread.join(timeout_s)
        return not self._thread.is_alive()

    def _run(self) -> None:
        try:
            result = self._work()
        except UserFacingError as exc:
            self.failed.emit(str(exc))
        except Exception:
            log.exception("a background job failed: %s", self._action)
            self.failed.emit(bug_sentence(self._action))
        else:
            self.succeeded.emit(result)
