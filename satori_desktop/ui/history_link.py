"""The window's tie to the history store: opening it off the GUI thread, recording each answer as it
streams, and which stored conversation the window is continuing.

The store (`history.HistoryStore`, Qt-free) checkpoints on its own writer thread, so recording costs the
GUI thread a list append per frame (`StreamUpdate.text`). Its writer reports save failures from that
thread; they are passed on here as a queued signal, so the window shows them in its notice bar and the
stream goes on (the store keeps the text and saves it when it can). Without a store (it could not be
opened) everything here does nothing and the app works as before, unrecorded.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from satori_desktop.core.errors import UserFacingError
from satori_desktop.core.samples import SamplesRecord
from satori_desktop.core.tutor import TutorRecord
from satori_desktop.engine.streaming import TurnSummary
from satori_desktop.ui.background import BackgroundJob
from satori_desktop.ui.i18n.text import QT_TRANSLATE_NOOP

if TYPE_CHECKING:  # the history's modules are imported where the store is opened, off the GUI thread
    from satori_desktop.history import HistoryStore, TurnRecorder

log = logging.getLogger(__name__)

HistoryFactory = Callable[..., "HistoryStore"]


def open_history(**options: Any) -> HistoryStore:
    """The app's history store (imported here, on the thread that opens it: not on the GUI thread's
    start-up path)."""
    from satori_desktop.history import HistoryStore

    return HistoryStore(**options)


class HistoryLink(QObject):
    """Signals: `opened(HistoryStore)`, `failed(str)` (a sentence: the store or a write failed),
    `save_state_changed(object)` (a sentence while saving fails, None once it works again)."""

    opened = Signal(object)
    failed = Signal(str)
    save_state_changed = Signal(object)

    def __init__(self, factory: HistoryFactory | None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._factory = factory
        self._store: HistoryStore | None = None
        self._job: BackgroundJob | None = None
        self._recorder: TurnRecorder | None = None
        self.conversation_id: int | None = None
        # The tutor mode of the conversation shown: a conversation made for its first turn gets it.
        self.tutor_mode = False

    @property
    def store(self) -> HistoryStore | None:
        return self._store

    @property
    def recorder(self) -> TurnRecorder | None:
        """The recorder of the answer being recorded (None between answers, or without a store)."""
        return self._recorder

    def open(self) -> None:
        """Open the store on a thread (its integrity check takes ~0.1 s per 10,000 conversations)."""
        if self._factory is None or self._job is not None:
            return
        factory = self._factory
        self._job = BackgroundJob(
            lambda: factory(on_error=self.save_state_changed.emit),
            QT_TRANSLATE_NOOP("BackgroundJob", "opening the history"),
        )
        self._job.succeeded.connect(self._on_open_job_succeeded)
        self._job.failed.connect(self.failed)
        self._job.start()

    def close(self) -> None:
        """The window closes: an answer still being recorded ends as interrupted, the rest is saved."""
        if self._job is not None:
            self._job.wait(30)
        if self._recorder is not None and not self._recorder.finished:
            self._recorder.finish("interrupted")
        self._recorder = None
        if self._store is not None:
            self._store.close()

    # -- recording -----------------------------------------------------------------------------------------

    def begin_turn(
        self,
        question: str,
        *,
        model_file: str | None,
        model_sha256: str | None,
        settings: dict[str, Any],
        replacing_turn_id: int | None = None,
    ) -> None:
        store = self._store
        if store is None:
            return
        try:
            if self.conversation_id is None:
                from satori_desktop.history.records import default_title  # loaded with the store

                # Titled now, not when the writer inserts the turn: the sidebar lists it at once.
                self.conversation_id = store.create_conversation(
                    default_title(question), tutor_mode=self.tutor_mode
                )
            self._recorder = store.begin_turn(
                self.conversation_id,
                question,
                model_file=model_file,
                model_sha256=model_sha256,
                settings=settings,
                replacing_turn_id=replacing_turn_id,
            )
        except UserFacingError as exc:
            self._recorder = None
            self.failed.emit(str(exc))

    def append(self, text: str) -> None:
        if self._recorder is not None and text:
            self._recorder.append(text)

    def finish(self, summary: TurnSummary) -> None:
        if self._recorder is not None:
            self._recorder.finish_from(summary)
            self._recorder = None

    # -- tutoring -----------------------------------------------------------------------------------------

    def set_tutor_mode(self, on: bool) -> None:
        """Tutor mode of the conversation shown, kept with it (or with the one its next answer makes)."""
        self.tutor_mode = on
        store = self._store
        if store is None or self.conversation_id is None:
            return
        try:
            store.set_tutor_mode(self.conversation_id, on)
        except UserFacingError as exc:
            self.failed.emit(str(exc))

    def save_tutoring(self, turn: int | TurnRecorder, record: TutorRecord) -> None:
        """Keep what was revealed of a turn (its id, or the recorder recording it) and its checks."""
        store = self._store
        if store is None:
            return
        try:
            store.save_tutoring(turn, record)
        except UserFacingError as exc:
            self.failed.emit(str(exc))

    def save_samples(self, record: SamplesRecord) -> None:
        """Keep every solution of the "solve several times" turn being recorded."""
        store, recorder = self._store, self._recorder
        if store is None or recorder is None:
            return
        try:
            store.save_samples(recorder, record)
        except UserFacingError as exc:
            self.failed.emit(str(exc))

    # -- slots ---------------------------------------------------------------------------------------------

    def _on_open_job_succeeded(self, store: HistoryStore) -> None:
        self._store = store
        if store.notice:
            self.failed.emit(store.notice)
        self.opened.emit(store)
