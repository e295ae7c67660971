"""The one thread that owns the engine: every load and generate runs there, never on the GUI thread.

Like Anki's task manager, a single worker owns the non-thread-safe resource (the `Llama` object) and
hands results back through signals with queued connections; like superqt's `GeneratorWorker`, it streams
results as they come and reports failures through `errored` instead of dying silently. The worker never
touches a widget: its signals carry plain data only (dicts, lists, strings).

The GUI calls `EngineWorker`'s public methods from its own thread; they enqueue requests to the worker
thread through private signals. Only `cancel()` reaches into the engine directly, because
`Engine.cancel()` is the one thread-safe call. A cancel that arrives before its generation has started
is remembered by request number, so Stop works at any moment. `shutdown()` cancels, lets the worker
unload the engine on its own thread, and joins the thread: closing the window mid-generation never
crashes and never leaves the process hanging. There is no `QThread.terminate()` anywhere.

While streaming, the COAT parser runs here too, and text events are batched so the GUI gets at most one
`events_received` per page update however fast tokens come.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal, Slot

from satori_desktop.core.coat import CoatParser, event_to_dict
from satori_desktop.core.errors import UserFacingError
from satori_desktop.core.logging_setup import log_file_path
from satori_desktop.engine.types import Engine, GenerationRequest, LoadOptions

log = logging.getLogger(__name__)

# One batch per page update (transcript.view.FRAME_MS, 30 a second): a batch the page cannot show yet would
# only cost the GUI thread a signal and a status-line repaint.
BATCH_INTERVAL_S = 1 / 30

EngineFactory = Callable[[], Engine]


def merge_text_events(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Join consecutive `text_appended` events of the same step: fewer, bigger appends for the page."""
    merged: list[dict[str, Any]] = []
    for event in events:
        last = merged[-1] if merged else None
        if (
            last is not None
            and event["type"] == "text_appended"
            and last["type"] == "text_appended"
            and last["index"] == event["index"]
        ):
            merged[-1] = {**last, "text": last["text"] + event["text"]}
        else:
            merged.append(event)
    return merged


def _bug_sentence(action: str) -> str:
    return f"Something went wrong while {action}; the details are in the log file {log_file_path()}."


class _Worker(QObject):
    """Lives on the worker thread; its slots run there, one request at a time, in the order queued."""

    model_loaded = Signal(dict)
    events_received = Signal(object)  # list[dict]; `object` skips a QVariant copy
    generation_progressed = Signal(dict)
    generation_finished = Signal(dict)
    errored = Signal(str)
    unloaded = Signal()

    def __init__(self, engine_factory: EngineFactory, cancel_state: _CancelState) -> None:
        super().__init__()
        self._engine_factory = engine_factory
        self._engine: Engine | None = None
        self._cancel_state = cancel_state

    def engine(self) -> Engine | None:
        return self._engine

    @Slot(dict)
    def load(self, request: dict[str, Any]) -> None:
        try:
            if self._engine is None:
                self._engine = self._engine_factory()
                self._cancel_state.set_engine(self._engine)
            else:
                self._engine.unload()
            report = self._engine.load(
                LoadOptions(
                    model_path=Path(request["model_path"]),
                    n_ctx=request.get("n_ctx"),
                    gpu_layers=request.get("gpu_layers"),
                )
            )
        except UserFacingError as exc:
            self.errored.emit(str(exc))
            return
        except Exception:
            log.exception("loading the model failed")
            self.errored.emit(_bug_sentence("loading the model"))
            return
        self.model_loaded.emit(report.to_dict())

    @Slot(int, object)
    def generate(self, request_id: int, request: GenerationRequest) -> None:
        engine = self._engine
        summary_base = {"request_id": request_id}
        if self._cancel_state.is_cancelled(request_id):
            # Stop was pressed before this request got its turn: it never starts.
            self.events_received.emit([])
            self.generation_finished.emit(
                {
                    **summary_base,
                    "text": "",
                    "finish_reason": "cancelled",
                    "prompt_tokens": 0,
                    "reused_prompt_tokens": 0,
                    "generated_tokens": 0,
                    "ttft_s": None,
                    "decode_tok_s": None,
                    "error": None,
                },
            )
            return
        if engine is None or engine.load_report is None:
            self.errored.emit("No model is loaded yet: wait for it to finish loading, or choose a model.")
            self.generation_finished.emit({**summary_base, "finish_reason": "error", "text": ""})
            return
        active: Engine = engine  # the closure below needs the narrowed type
        n_ctx = engine.load_report.n_ctx
        parser = CoatParser()
        pending: list[dict[str, Any]] = []
        started = time.perf_counter()
        last_emit = 0.0
        first_piece_at: float | None = None
        pieces = 0

        def flush(now: float) -> None:
            nonlocal last_emit
            last_emit = now
            if pending:
                self.events_received.emit(merge_text_events(pending))
                pending.clear()
            speed = None
            if first_piece_at is not None and pieces > 1 and now > first_piece_at:
                speed = (pieces - 1) / (now - first_piece_at)
            self.generation_progressed.emit(
                {
                    "request_id": request_id,
                    "generated_tokens": pieces,
                    "tok_s": speed,
                    "n_ctx": n_ctx,
                },
            )

        def on_text(text: str) -> None:
            nonlocal pieces, first_piece_at
            now = time.perf_counter()
            if first_piece_at is None:
                first_piece_at = now
            pieces += 1
            # Re-issue a cancel that raced with the start of generate() (which clears the engine's flag).
            if self._cancel_state.is_cancelled(request_id):
                active.cancel()
            pending.extend(event_to_dict(event) for event in parser.feed(text))
            if now - last_emit >= BATCH_INTERVAL_S:
                flush(now)

        self._cancel_state.begin(request_id)
        try:
            result = engine.generate(request, on_text=on_text)
        except UserFacingError as exc:
            pending.extend(event_to_dict(event) for event in parser.finish())
            flush(time.perf_counter())
            self.errored.emit(str(exc))
            self.generation_finished.emit({**summary_base, "finish_reason": "error", "text": ""})
            return
        except Exception:
            log.exception("generation failed")
            pending.extend(event_to_dict(event) for event in parser.finish())
            flush(time.perf_counter())
            self.errored.emit(_bug_sentence("generating the answer"))
            self.generation_finished.emit({**summary_base, "finish_reason": "error", "text": ""})
            return
        finally:
            self._cancel_state.end(request_id)
        pending.extend(event_to_dict(event) for event in parser.finish())
        flush(time.perf_counter())
        ended = time.perf_counter()
        # `finished_at` is on the perf_counter clock, which all threads share: the UI benchmark uses it.
        summary = {
            **summary_base,
            **result.to_dict(),
            "n_ctx": n_ctx,
            "elapsed_s": ended - started,
            "finished_at": ended,
        }
        if result.finish_reason == "error":
            log.error("generation ended with an error: %s", result.error)
        self.generation_finished.emit(summary)

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
        self.unloaded.emit()
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

    Signals (queued from the worker thread, plain data only):
    - `model_loaded(dict)`: `LoadReport.to_dict()`.
    - `events_received(list)`: transcript event dicts (`core.coat.event_to_dict`), at most one batch a frame.
    - `generation_progressed(dict)`: `generated_tokens`, `tok_s`, `n_ctx` while streaming.
    - `generation_finished(dict)`: `GenerationResult.to_dict()` plus `request_id`, `n_ctx`, `elapsed_s`.
    - `errored(str)`: one sentence for the user (the traceback, if any, is in the log).
    """

    model_loaded = Signal(dict)
    events_received = Signal(object)  # list[dict]; `object` skips a QVariant copy
    generation_progressed = Signal(dict)
    generation_finished = Signal(dict)
    errored = Signal(str)

    _load_requested = Signal(dict)
    _generate_requested = Signal(int, object)  # a frozen GenerationRequest: plain, immutable data
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
        self._generate_requested.connect(self._worker.generate)
        self._shutdown_requested.connect(self._worker.shutdown)
        self._worker.model_loaded.connect(self.model_loaded)
        self._worker.events_received.connect(self.events_received)
        self._worker.generation_progressed.connect(self.generation_progressed)
        self._worker.generation_finished.connect(self.generation_finished)
        self._worker.errored.connect(self.errored)
        self._next_request_id = 0
        self._stopped = False
        self._thread.start()

    @property
    def is_running(self) -> bool:
        return self._thread.isRunning()

    def load(self, model_path: Path, *, n_ctx: int | None = None, gpu_layers: int | None = None) -> None:
        if self._stopped:
            return
        self._load_requested.emit({"model_path": str(model_path), "n_ctx": n_ctx, "gpu_layers": gpu_layers})

    def generate(self, request: GenerationRequest) -> int:
        """Queue a generation; returns its request id (`generation_finished` carries it back)."""
        self._next_request_id += 1
        if not self._stopped:
            self._generate_requested.emit(self._next_request_id, request)
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
