"""A model download in the window: `models.install.install_remote` on a thread, with pause and cancel.

The download itself is the CLI's (resumable `.part`, sha256 streamed, atomic rename; `models/download.py`);
this is only its GUI handle. Progress is passed on at most ten times a second (a fast disk reports every
MiB), and every outcome is a signal on the GUI thread: `finished(InstalledModel)`, `paused()`,
`cancelled()` or `failed(sentence)`. Nothing here blocks the GUI thread, not even `pause()`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

from satori_desktop.core.errors import UserFacingError
from satori_desktop.models.download import (
    DownloadCancelled,
    DownloadControl,
    DownloadPaused,
    DownloadProgress,
)
from satori_desktop.models.hub import RemoteFile
from satori_desktop.models.store import ModelStore
from satori_desktop.ui.background import bug_sentence
from satori_desktop.ui.i18n.text import QT_TRANSLATE_NOOP

log = logging.getLogger(__name__)

PROGRESS_INTERVAL_S = 0.1

RemoteResolver = Callable[[], RemoteFile]


class DownloadTask(QObject):
    progressed = Signal(object)  # DownloadProgress
    finished = Signal(object)  # InstalledModel
    paused = Signal()
    cancelled = Signal()
    failed = Signal(str)

    def __init__(self, store_factory: Callable[[], ModelStore] = ModelStore, parent: QObject | None = None):
        super().__init__(parent)
        self._store_factory = store_factory
        self._control = DownloadControl()
        self._thread: threading.Thread | None = None
        self._last_progress = 0.0

    @property
    def is_running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self, resolve: RemoteResolver) -> None:
        """Download what `resolve()` names (called on the download thread: it may ask the hub)."""
        if self.is_running:
            return
        self._control = DownloadControl()
        self._last_progress = 0.0
        self._thread = threading.Thread(
            target=self._run, args=(resolve, self._control), name="satori-download", daemon=True
        )
        self._thread.start()

    def pause(self) -> None:
        """Stop within one chunk and keep the `.part`; `start` again resumes it."""
        self._control.pause()

    def cancel(self) -> None:
        """Stop within one chunk and delete the `.part`."""
        self._control.cancel()

    def wait(self, timeout_s: float | None = None) -> bool:
        if self._thread is not None:
            self._thread.join(timeout_s)
        return not self.is_running

    def _on_progress(self, progress: DownloadProgress) -> None:
        now = time.monotonic()
        # Phase changes and the end always go out; the bytes in between at most every interval.
        if progress.phase == "downloading" and now - self._last_progress < PROGRESS_INTERVAL_S:
            return
        self._last_progress = now
        self.progressed.emit(progress)

    def _run(self, resolve: RemoteResolver, control: DownloadControl) -> None:
        from satori_desktop.models.install import install_remote

        try:
            remote = resolve()
            self.progressed.emit(DownloadProgress("checking", 0, remote.size, None, None, 0))
            model, _ = install_remote(
                self._store_factory(), remote, progress=self._on_progress, control=control
            )
        except DownloadPaused:
            self.paused.emit()
        except DownloadCancelled:
            self.cancelled.emit()
        except UserFacingError as exc:
            self.failed.emit(str(exc))
        except Exception:
            log.exception("the download failed")
            self.failed.emit(bug_sentence(QT_TRANSLATE_NOOP("BackgroundJob", "downloading the model")))
        else:
            self.finished.emit(model)
