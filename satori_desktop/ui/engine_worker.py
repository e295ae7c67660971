"""The one thread that owns the engine: every load and generate runs there, never on the GUI thread.

Like Anki's task manager, a single worker owns the non-thread-safe resource (the `Llama` object) and
hands results back through signals with queued connections; like superqt's `GeneratorWorker`, it streams
results as they come and reports failures instead of dying silently. The worker never touches a widget:
its signals carry the engine's frozen dataclasses (`LoadReport`, `engine.streaming.StreamUpdate`,
`TurnSummary`) and sentences, nothing mutable and nothing Qt.

The GUI calls `EngineWorker`'s public methods from its own thread; they enqueue requests to the worker
thread through private signals. Only `cancel()` reaches into the engine directly, because
`Engine.cancel()` is the one thread-safe call. A cancel that arrives before its generation has started
is remembered by request number, so Stop works at any moment. `shutdown()` cancels, lets the worker
unload the engine on its own thread, and joins the thread: closing the window mid-generation never
crashes and never leaves the process hanging. There is no `QThread.terminate()` anywhere.

While streaming, `engine.streaming.StreamBatcher` (Qt-free, tested on its own) parses the COAT steps here
and batches them, so the GUI gets at most one `generation_streamed` per page update however fast tokens
come; this module is the glue between it, the engine and the signals.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QObject, QThread, Signal, Slot

from satori_desktop.core.errors import UserFacingError
from satori_desktop.core.logging_setup import log_file_path
from satori_desktop.core.model_format import parser_for
from satori_desktop.engine.streaming import StreamBatcher, TurnSummary
from satori_desktop.engine.types import (
    BatchDoneCallback,
    BatchJob,
    BatchTextCallback,
    Engine,
    GenerationRequest,
    GenerationResult,
    LoadOptions,
)
from satori_desktop.ui.i18n.text import QT_TRANSLATE_NOOP, arg
from satori_desktop.ui.sampling import BatchFinished, BatchJobDone, SamplesTracker

if TYPE_CHECKING:  # the remote engine (and its HTTP client) is imported only once it is used
    from satori_desktop.engine.remote import ServerConfig

log = logging.getLogger(__name__)

EngineFactory = Callable[[], Engine]

NO_MODEL_YET = QT_TRANSLATE_NOOP(
    "EngineWorker", "No model is loaded yet: wait for it to finish loading, or choose a model."
)
# Load progress goes to the GUI at most this often (its first and last report always go).
LOAD_PROGRESS_INTERVAL_S = 0.05


def _bug_sentence(action: str) -> str:
    """`action` is marked for translation where it is named ("loading the model")."""
    return arg(
        QCoreApplication.translate(
            "EngineWorker", "Something went wrong while %1; the details are in the log file %2."
        ),
        QCoreApplication.translate("EngineWorker", action),
        log_file_path(),
    )


class _Worker(QObject):
    """Lives on the worker thread; its slots run there, one request at a time, in the order queued."""

    model_loaded = Signal(object)  # LoadReport
    load_progressed = Signal(float)  # 0.0 .. 1.0
    generation_streamed = Signal(object)  # StreamUpdate; `object` skips a QVariant copy
    generation_finished = Signal(object)  # TurnSummary
    samples_streamed = Signal(object)  # SamplesUpdate
    samples_finished = Signal(object)  # SamplesOutcome
    batch_job_done = Signal(object)  # BatchJobDone
    batch_finished = Signal(object)  # BatchFinished
    errored = Signal(str)

    def __init__(self, engine_factory: EngineFactory, cancel_state: _CancelState) -> None:
        super().__init__()
        self._engine_factory = engine_factory
        self._engine: Engine | None = None
        self._remote = False  # the engine is a RemoteEngine (connect_server), not the factory's
        self._cancel_state = cancel_state

    @Slot(object)
    def load(self, options: LoadOptions) -> None:
        last_sent = [float("-inf")]

        def on_progress(fraction: float) -> None:
            # Called on this thread by the engine, per tensor: pass on at most one per interval.
            now = time.monotonic()
            if 0.0 < fraction < 1.0 and now - last_sent[0] < LOAD_PROGRESS_INTERVAL_S:
                return
            last_sent[0] = now
            self.load_progressed.emit(fraction)

        try:
            if self._engine is None or self._remote:
                # The first load, or back from a shared server to a local model.
                self._replace_engine(self._engine_factory)
            else:
                self._engine.unload()
            assert self._engine is not None
            report = self._engine.load(dataclasses.replace(options, on_progress=on_progress))
        except UserFacingError as exc:
            self.errored.emit(str(exc))
            return
        except Exception:
            log.exception("loading the model failed")
            self.errored.emit(_bug_sentence(QT_TRANSLATE_NOOP("EngineWorker", "loading the model")))
            return
        self.model_loaded.emit(report)

    @Slot(object)
    def connect_server(self, config: ServerConfig) -> None:
        """Use Satori on a shared server from now on (engine/remote.py); a later `load` goes back local."""
        from satori_desktop.engine.remote import RemoteEngine

        try:
            self._replace_engine(lambda: RemoteEngine(config))
            self._remote = True
            assert self._engine is not None
            report = self._engine.load(LoadOptions(Path(config.model or "server")))
        except UserFacingError as exc:
            self.errored.emit(str(exc))
            return
        except Exception:
            log.exception("connecting to the server failed")
            self.errored.emit(_bug_sentence(QT_TRANSLATE_NOOP("EngineWorker", "connecting to the server")))
            return
        self.model_loaded.emit(report)

    def _replace_engine(self, factory: EngineFactory) -> None:
        """Unload the engine there is (on this thread, which owns it) and make a new one."""
        if self._engine is not None:
            self._engine.unload()
        self._engine = None
        self._remote = False
        self._engine = factory()
        self._cancel_state.set_engine(self._engine)

    @Slot(int, object)
    def generate(self, request_id: int, request: GenerationRequest) -> None:
        engine = self._engine
        if self._cancel_state.is_cancelled(request_id):
            # Stop was pressed before this request got its turn: it never starts.
            self.generation_finished.emit(TurnSummary.not_started(request_id, "cancelled"))
            return
        if engine is None or engine.load_report is None:
            self.generation_finished.emit(
                TurnSummary.not_started(
                    request_id, "error", QCoreApplication.translate("EngineWorker", NO_MODEL_YET)
                )
            )
            return
        active: Engine = engine  # the closure below needs the narrowed type
        report = engine.load_report
        batcher = StreamBatcher(request_id, report.n_ctx, parser=parser_for(report.prompting, request.prompt))

        def on_text(text: str) -> None:
            # Re-issue a cancel that raced with the start of generate() (which clears the engine's flag).
            if self._cancel_state.is_cancelled(request_id):
                active.cancel()
            update = batcher.feed(text)
            if update is not None:
                self.generation_streamed.emit(update)

        self._cancel_state.begin(request_id)
        try:
            result = engine.generate(request, on_text=on_text)
        except UserFacingError as exc:
            summary = batcher.failed(str(exc))
        except Exception:
            log.exception("generation failed")
            summary = batcher.failed(
                _bug_sentence(QT_TRANSLATE_NOOP("EngineWorker", "generating the answer"))
            )
        else:
            summary = batcher.summary(result)
        finally:
            self._cancel_state.end(request_id)
        self.generation_streamed.emit(batcher.finish())
        if summary.finish_reason == "error":
            log.error("generation ended with an error: %s", summary.error)
        self.generation_finished.emit(summary)

    @Slot(int, object)
    def generate_samples(self, request_id: int, requests: tuple[GenerationRequest, ...]) -> None:
        """Several solutions of one problem decoded together (`Engine.generate_batch`, one slot each)."""
        tracker = SamplesTracker(request_id, len(requests))
        jobs = [BatchJob(str(index), request) for index, request in enumerate(requests)]

        def on_text(key: str, text: str) -> None:
            update = tracker.feed(int(key), text)
            if update is not None:
                self.samples_streamed.emit(update)

        def on_done(key: str, result: GenerationResult) -> None:
            self.samples_streamed.emit(tracker.done(int(key), result))

        results, error = self._generate_batch(
            request_id,
            jobs,
            len(jobs),
            on_text,
            on_done,
            QT_TRANSLATE_NOOP("EngineWorker", "generating the solutions"),
        )
        for key, result in results.items():
            tracker.done(int(key), result)  # any the engine did not report as done
        self.samples_finished.emit(tracker.outcome(error))

    @Slot(int, object, int)
    def solve_batch(self, request_id: int, jobs: tuple[BatchJob, ...], parallel: int) -> None:
        """A problem set: every job through `Engine.generate_batch`, `parallel` at a time; each result is
        handed over as its job ends (its slot goes to the next problem)."""

        def on_done(key: str, result: GenerationResult) -> None:
            self.batch_job_done.emit(BatchJobDone(request_id, key, result))

        _results, error = self._generate_batch(
            request_id,
            jobs,
            parallel,
            None,
            on_done,
            QT_TRANSLATE_NOOP("EngineWorker", "solving the problem set"),
        )
        self.batch_finished.emit(BatchFinished(request_id, error))

    def _generate_batch(
        self,
        request_id: int,
        jobs: Sequence[BatchJob],
        parallel: int,
        on_text: BatchTextCallback | None,
        on_done: BatchDoneCallback,
        action: str,
    ) -> tuple[dict[str, GenerationResult], str | None]:
        """`Engine.generate_batch` for request `request_id`: its results, and the user's sentence when it
        did not run or failed (no results then). Cancelled before it started: no results and no sentence.
        `action` names it in the sentence of a bug ("solving the problem set")."""
        engine = self._engine
        if self._cancel_state.is_cancelled(request_id):
            return {}, None
        if engine is None or engine.load_report is None:
            return {}, QCoreApplication.translate("EngineWorker", NO_MODEL_YET)
        active: Engine = engine  # the closure below needs the narrowed type

        def on_any_text(key: str, text: str) -> None:
            # Re-issue a cancel that raced with the start of the batch (which clears the engine's flag).
            if self._cancel_state.is_cancelled(request_id):
                active.cancel()
            if on_text is not None:
                on_text(key, text)

        self._cancel_state.begin(request_id)
        try:
            return engine.generate_batch(jobs, parallel=parallel, on_text=on_any_text, on_done=on_done), None
        except UserFacingError as exc:
            return {}, str(exc)
        except Exception:
            log.exception("%s failed", action)
            return {}, _bug_sentence(action)
        finally:
            self._cancel_state.end(request_id)

    @Slot()
    def shutdown(self) -> None:
        """Last request on the thread: release the model here, where it was loaded, then stop the loop."""
        try:
            if self._engine is not None:
                self._engine.unload()
        except Exception:
            log.exception("unloading the model failed")
        self._engine = None
        self._cancel_state.set_engine(None)
        thread = self.thread()
        if thread is not None:
            thread.quit()


class _CancelState:
    """Which requests are cancelled, shared by the GUI thread (writer) and the worker (reader)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cancelled_through = 0  # every request id <= this is cancelled
        self._running: int | None = None
        self._engine: Engine | None = None

    def set_engine(self, engine: Engine | None) -> None:
        with self._lock:
            self._engine = engine

    def cancel_through(self, request_id: int) -> None:
        with self._lock:
            self._cancelled_through = max(self._cancelled_through, request_id)
            engine = self._engine if self._running is not None else None
        if engine is not None:
            engine.cancel()  # the engine's one thread-safe call

    def is_cancelled(self, request_id: int) -> bool:
        with self._lock:
            return request_id <= self._cancelled_through

    def begin(self, request_id: int) -> None:
        with self._lock:
            self._running = request_id

    def end(self, request_id: int) -> None:
        with self._lock:
            if self._running == request_id:
                self._running = None


class EngineWorker(QObject):
    """The GUI's handle on the engine thread. Create it on the GUI thread; call its methods from there.

    Signals (queued from the worker thread; frozen dataclasses, never dicts):
    - `load_progressed(float)`: how far a load got: 0.0 first, never backwards within one load, at most about
      20 a second, and 1.0 just before `model_loaded` (a failed load stops short of it; `errored` follows).
    - `model_loaded(LoadReport)`.
    - `generation_streamed(StreamUpdate)`: the COAT events and the progress of one frame, at most one a frame.
    - `generation_finished(TurnSummary)`: once per `generate()`, also when it was cancelled before it started
      or failed (`finish_reason == "error"`, with the user's sentence in `error`).
    - `samples_streamed(SamplesUpdate)` / `samples_finished(SamplesOutcome)`: the same for
      `generate_samples()` (ui/sampling.py), once per call.
    - `batch_job_done(BatchJobDone)` per problem and `batch_finished(BatchFinished)` once, for
      `solve_batch()` (a problem set).
    - `errored(str)`: a load that failed, as one sentence for the user (the traceback, if any, is in the log).
    """

    model_loaded = Signal(object)
    load_progressed = Signal(float)
    generation_streamed = Signal(object)
    generation_finished = Signal(object)
    samples_streamed = Signal(object)
    samples_finished = Signal(object)
    batch_job_done = Signal(object)
    batch_finished = Signal(object)
    errored = Signal(str)

    _load_requested = Signal(object)  # a frozen LoadOptions
    _connect_requested = Signal(object)  # a frozen ServerConfig
    _generate_requested = Signal(int, object)  # a frozen GenerationRequest: plain, immutable data
    _samples_requested = Signal(int, object)  # a tuple of frozen GenerationRequests
    _batch_requested = Signal(int, object, int)  # a tuple of frozen BatchJobs, and how many at a time
    _shutdown_requested = Signal()

    def __init__(self, engine_factory: EngineFactory, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._cancel_state = _CancelState()
        self._thread = QThread()
        self._thread.setObjectName("satori-engine")
        self._worker = _Worker(engine_factory, self._cancel_state)
        self._worker.moveToThread(self._thread)
        # The worker lives on the other thread, so these connections are queued: requests run there, in order.
        self._load_requested.connect(self._worker.load)
        self._connect_requested.connect(self._worker.connect_server)
        self._generate_requested.connect(self._worker.generate)
        self._samples_requested.connect(self._worker.generate_samples)
        self._batch_requested.connect(self._worker.solve_batch)
        self._shutdown_requested.connect(self._worker.shutdown)
        self._worker.model_loaded.connect(self.model_loaded)
        self._worker.load_progressed.connect(self.load_progressed)
        self._worker.generation_streamed.connect(self.generation_streamed)
        self._worker.generation_finished.connect(self.generation_finished)
        self._worker.samples_streamed.connect(self.samples_streamed)
        self._worker.samples_finished.connect(self.samples_finished)
        self._worker.batch_job_done.connect(self.batch_job_done)
        self._worker.batch_finished.connect(self.batch_finished)
        self._worker.errored.connect(self.errored)
        self._next_request_id = 0
        self._stopped = False
        self._thread.start()

    @property
    def is_running(self) -> bool:
        return self._thread.isRunning()

    def load(
        self,
        model_path: Path,
        *,
        n_ctx: int | None = None,
        gpu_layers: int | None = None,
        n_threads: int | None = None,
    ) -> None:
        if self._stopped:
            return
        self._load_requested.emit(
            LoadOptions(model_path=model_path, n_ctx=n_ctx, gpu_layers=gpu_layers, n_threads=n_threads)
        )

    def connect_server(self, config: ServerConfig) -> None:
        """Queue a switch to Satori on a shared server: `model_loaded` (backend "Server") or `errored`."""
        if not self._stopped:
            self._connect_requested.emit(config)

    def generate(self, request: GenerationRequest) -> int:
        """Queue a generation; returns its request id (`generation_finished` carries it back)."""
        self._next_request_id += 1
        if not self._stopped:
            self._generate_requested.emit(self._next_request_id, request)
        return self._next_request_id

    def generate_samples(self, requests: tuple[GenerationRequest, ...]) -> int:
        """Queue several solutions of one problem, decoded together; `samples_finished` carries the id."""
        self._next_request_id += 1
        if not self._stopped:
            self._samples_requested.emit(self._next_request_id, tuple(requests))
        return self._next_request_id

    def solve_batch(self, jobs: tuple[BatchJob, ...], parallel: int) -> int:
        """Queue a problem set (`batch_job_done` per problem, then `batch_finished`, carrying the id)."""
        self._next_request_id += 1
        if not self._stopped:
            self._batch_requested.emit(self._next_request_id, tuple(jobs), parallel)
        return self._next_request_id

    def cancel(self) -> None:
        """Stop the running generation and any queued one; safe at any moment, returns at once."""
        self._cancel_state.cancel_through(self._next_request_id)

    def shutdown(self, timeout_ms: int = 60_000) -> bool:
        """Cancel, unload on the worker thread, and join it. Returns False if the thread did not stop."""
        if self._stopped:
            return not self._thread.isRunning()
        self._stopped = True
        self.cancel()
        self._shutdown_requested.emit()
        # The real engine stops within one token (or aborts prompt processing); a model still loading
        # has to finish loading first, which is why the wait is long.
        finished = self._thread.wait(timeout_ms)
        if not finished:
            log.error("the engine thread did not stop within %d ms", timeout_ms)
        return bool(finished)
