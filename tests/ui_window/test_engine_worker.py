"""The engine worker: one thread owns the engine, typed frozen data comes back, cancel and shutdown are
clean."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from satori_desktop.core.coat import (
    AnswerFound,
    StepFinished,
    StepStarted,
    TextAppended,
    TranscriptEvent,
    parse_trace,
)
from satori_desktop.core.errors import UserFacingError
from satori_desktop.core.logging_setup import log_file_path
from satori_desktop.engine.scripted import DEMO_TRACE, ScriptedEngine, synthetic_trace
from satori_desktop.engine.streaming import StreamUpdate, TurnSummary
from satori_desktop.engine.types import (
    BatchJob,
    GenerationRequest,
    GenerationResult,
    LoadOptions,
    LoadReport,
    TextCallback,
)
from satori_desktop.ui.engine_worker import NO_MODEL_YET, EngineWorker


class ThreadRecordingEngine(ScriptedEngine):
    """The scripted engine, noting which thread each call runs on."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.threads: set[int] = set()

    def load(self, options: LoadOptions) -> LoadReport:
        self.threads.add(threading.get_ident())
        return super().load(options)

    def generate(self, request: GenerationRequest, on_text: TextCallback | None = None) -> GenerationResult:
        self.threads.add(threading.get_ident())
        return super().generate(request, on_text)


@pytest.fixture
def make_worker(qtbot: QtBot) -> Any:
    workers: list[EngineWorker] = []

    def make(engine: ScriptedEngine) -> EngineWorker:
        worker = EngineWorker(lambda: engine)
        workers.append(worker)
        with qtbot.waitSignal(worker.model_loaded, timeout=5000):
            worker.load(Path("demo.gguf"), n_ctx=16384)
        return worker

    yield make
    for worker in workers:
        assert worker.shutdown(timeout_ms=10_000)


def _collect(worker: EngineWorker) -> list[TranscriptEvent]:
    events: list[TranscriptEvent] = []
    worker.generation_streamed.connect(lambda update: events.extend(update.events))
    return events


def test_generation_runs_on_the_worker_thread_and_streams_typed_events(
    qtbot: QtBot, make_worker: Any
) -> None:
    engine = ThreadRecordingEngine()
    worker = make_worker(engine)
    events = _collect(worker)
    with qtbot.waitSignal(worker.generation_finished, timeout=10_000) as finished:
        request_id = worker.generate(GenerationRequest("question"))
    summary = finished.args[0]
    assert isinstance(summary, TurnSummary)
    assert summary.request_id == request_id
    assert summary.finish_reason == "stop" and summary.text == DEMO_TRACE and summary.error is None
    assert summary.elapsed_s is not None and summary.elapsed_s > 0 and summary.n_ctx == 16384
    assert threading.get_ident() not in engine.threads and len(engine.threads) == 1
    # The events are the parser's own: replaying them gives the same steps and answer.
    expected = parse_trace(DEMO_TRACE)
    started = [e for e in events if isinstance(e, StepStarted)]
    assert len(started) == len(expected.steps) == sum(isinstance(e, StepFinished) for e in events)
    assert [e.action for e in started] == [s.action for s in expected.steps]
    assert [e.latex for e in events if isinstance(e, AnswerFound)][-1] == expected.answer == "5"
    text = "".join(e.text for e in events if isinstance(e, TextAppended))
    assert text == "".join(step.text for step in expected.steps)


def test_fast_streams_arrive_in_batches_not_one_signal_per_token(qtbot: QtBot, make_worker: Any) -> None:
    worker = make_worker(ScriptedEngine([synthetic_trace(4000)]))  # as fast as possible
    updates: list[StreamUpdate] = []
    worker.generation_streamed.connect(updates.append)
    with qtbot.waitSignal(worker.generation_finished, timeout=20_000) as finished:
        worker.generate(GenerationRequest("q"))
    assert finished.args[0].generated_tokens == 4000
    assert len(updates) < 4000 / 4
    assert updates[-1].progress.generated_tokens == 4000


def test_stop_mid_stream_cancels_and_keeps_the_partial_text(qtbot: QtBot, make_worker: Any) -> None:
    worker = make_worker(ScriptedEngine([synthetic_trace(3000)], tokens_per_second=300))
    with qtbot.waitSignal(worker.generation_streamed, timeout=5000):
        worker.generate(GenerationRequest("q"))
    with qtbot.waitSignal(worker.generation_finished, timeout=5000) as finished:
        worker.cancel()
    summary = finished.args[0]
    assert summary.finish_reason == "cancelled" and summary.error is None
    assert 0 < summary.generated_tokens < 3000
    assert synthetic_trace(3000).startswith(summary.text)


def test_stop_before_the_request_starts_cancels_it_too(qtbot: QtBot, make_worker: Any) -> None:
    worker = make_worker(ScriptedEngine([synthetic_trace(3000)], tokens_per_second=300))
    results: list[TurnSummary] = []
    worker.generation_finished.connect(results.append)
    first = worker.generate(GenerationRequest("q1"))
    second = worker.generate(GenerationRequest("q2"))  # queued behind the first
    worker.cancel()
    qtbot.waitUntil(lambda: len(results) == 2, timeout=5000)
    assert [r.request_id for r in results] == [first, second]
    assert [r.finish_reason for r in results] == ["cancelled", "cancelled"]
    assert results[1].generated_tokens == 0
    # A later request is not affected by the earlier Stop.
    with qtbot.waitSignal(worker.generation_finished, timeout=10_000) as finished:
        worker.generate(GenerationRequest("q3", max_tokens=20))
    assert finished.args[0].finish_reason == "length"


def test_shutdown_mid_generation_cancels_and_joins(qtbot: QtBot) -> None:
    engine = ScriptedEngine([synthetic_trace(8000)], tokens_per_second=100)
    worker = EngineWorker(lambda: engine)
    with qtbot.waitSignal(worker.model_loaded, timeout=5000):
        worker.load(Path("demo.gguf"), n_ctx=16384)
    with qtbot.waitSignal(worker.generation_streamed, timeout=5000):
        worker.generate(GenerationRequest("q"))
    assert worker.shutdown(timeout_ms=5000)
    assert not worker.is_running
    assert engine.load_report is None  # unloaded, on the worker thread, before it stopped
    assert worker.shutdown()  # a second call is harmless


def test_a_user_facing_load_error_arrives_as_its_sentence(qtbot: QtBot) -> None:
    class MissingFileEngine(ScriptedEngine):
        def load(self, options: LoadOptions) -> LoadReport:
            raise UserFacingError(f"The model file {options.model_path} does not exist.")

    worker = EngineWorker(MissingFileEngine)
    with qtbot.waitSignal(worker.errored, timeout=5000) as errored:
        worker.load(Path("/nowhere/model.gguf"))
    assert errored.args[0] == "The model file /nowhere/model.gguf does not exist."
    assert worker.shutdown(timeout_ms=5000)


def test_a_bug_in_the_engine_becomes_a_sentence_pointing_at_the_log(qtbot: QtBot, make_worker: Any) -> None:
    class BuggyEngine(ScriptedEngine):
        def generate(
            self, request: GenerationRequest, on_text: TextCallback | None = None
        ) -> GenerationResult:
            if on_text is not None:
                on_text("Partial <|reflect|> text")
            raise RuntimeError("a bug")

    worker = make_worker(BuggyEngine())
    events = _collect(worker)
    with qtbot.waitSignal(worker.generation_finished, timeout=5000) as finished:
        worker.generate(GenerationRequest("q"))
    summary = finished.args[0]
    assert summary.finish_reason == "error" and summary.error is not None
    assert "log file" in summary.error and "RuntimeError" not in summary.error
    assert str(log_file_path()) in summary.error
    assert isinstance(events[-1], StepFinished)  # the open step was closed
    assert summary.elapsed_s is not None


def test_a_user_facing_generation_error_ends_the_turn_with_its_sentence(
    qtbot: QtBot, make_worker: Any
) -> None:
    class RefusingEngine(ScriptedEngine):
        def generate(
            self, request: GenerationRequest, on_text: TextCallback | None = None
        ) -> GenerationResult:
            raise UserFacingError("The question is empty; type a question first.")

    worker = make_worker(RefusingEngine())
    messages: list[str] = []
    worker.errored.connect(messages.append)  # for loads only: the turn carries its own sentence
    with qtbot.waitSignal(worker.generation_finished, timeout=5000) as finished:
        worker.generate(GenerationRequest(""))
    assert finished.args[0].error == "The question is empty; type a question first."
    assert messages == []


def test_generating_before_a_model_is_loaded_says_so(qtbot: QtBot) -> None:
    worker = EngineWorker(ScriptedEngine)
    with qtbot.waitSignal(worker.generation_finished, timeout=5000) as finished:
        worker.generate(GenerationRequest("q"))
    assert finished.args[0].finish_reason == "error" and finished.args[0].error == NO_MODEL_YET
    assert worker.shutdown(timeout_ms=5000)


SAMPLES = (GenerationRequest("q", max_tokens=20), GenerationRequest("q", max_tokens=20))
JOBS = (
    BatchJob("a", GenerationRequest("a", max_tokens=20)),
    BatchJob("b", GenerationRequest("b", max_tokens=20)),
)


def _batches(qtbot: QtBot, worker: EngineWorker) -> tuple[Any, Any, list[Any]]:
    """Several solutions, then a problem set, on `worker`: their outcomes, and the problems handed over."""
    done: list[Any] = []
    worker.batch_job_done.connect(done.append)
    with qtbot.waitSignal(worker.samples_finished, timeout=10_000) as samples:
        worker.generate_samples(SAMPLES)
    with qtbot.waitSignal(worker.batch_finished, timeout=10_000) as batch:
        worker.solve_batch(JOBS, 2)
    return samples.args[0], batch.args[0], done


def test_batches_run_and_say_why_when_they_cannot(qtbot: QtBot, make_worker: Any) -> None:
    samples, batch, done = _batches(qtbot, make_worker(ScriptedEngine(tokens_per_second=None)))
    assert [r.finish_reason for r in samples.results] == ["length", "length"] and samples.error is None
    assert batch.error is None and sorted(d.key for d in done) == ["a", "b"]

    unloaded = EngineWorker(ScriptedEngine)
    samples, batch, done = _batches(qtbot, unloaded)
    assert samples.error == NO_MODEL_YET and samples.results == (None, None)
    assert batch.error == NO_MODEL_YET and done == []
    assert unloaded.shutdown(timeout_ms=5000)

    class FailingEngine(ScriptedEngine):
        failure: Exception = RuntimeError("a bug")

        def generate_batch(self, *args: Any, **kwargs: Any) -> dict[str, GenerationResult]:
            raise self.failure

    engine = FailingEngine()
    worker = make_worker(engine)
    samples, batch, done = _batches(qtbot, worker)
    for error in (samples.error, batch.error):
        assert error is not None and str(log_file_path()) in error and "RuntimeError" not in error
    assert samples.results == (None, None) and done == []
    engine.failure = UserFacingError("The model ran out of memory.")
    samples, batch, done = _batches(qtbot, worker)
    assert samples.error == batch.error == "The model ran out of memory."


def test_stop_before_a_batch_starts_cancels_it_too(qtbot: QtBot, make_worker: Any) -> None:
    worker = make_worker(ScriptedEngine([synthetic_trace(3000)], tokens_per_second=300))
    outcomes: list[Any] = []
    done: list[Any] = []
    worker.samples_finished.connect(outcomes.append)
    worker.batch_finished.connect(outcomes.append)
    worker.batch_job_done.connect(done.append)
    with qtbot.waitSignal(worker.generation_streamed, timeout=5000):
        worker.generate(GenerationRequest("q1"))
    worker.generate_samples(SAMPLES)  # queued behind the first
    worker.solve_batch(JOBS, 2)
    worker.cancel()
    qtbot.waitUntil(lambda: len(outcomes) == 2, timeout=5000)
    samples, batch = outcomes
    assert samples.error is None and samples.results == (None, None)  # never started
    assert batch.error is None and done == []


def test_the_pinned_pyside6_keeps_references_to_true_and_none() -> None:
    # PySide6 6.12.0 on Python 3.11 dropped a reference to True on every emit and to None on every call
    # of a method returning nothing; the interpreter aborted after a few hundred of either (a few seconds
    # of streaming). pyproject pins a release without the bug; this guards the pin.
    import sys

    from PySide6.QtCore import QObject, QTimer, Signal

    class Probe(QObject):
        probed = Signal()

    probe = Probe()
    timer = QTimer()
    true_before, none_before = sys.getrefcount(True), sys.getrefcount(None)
    for _ in range(5000):
        probe.probed.emit()
        timer.setInterval(5)
    # The bug lowers the counts by one per call (5000 here); other objects may take a few new references.
    assert sys.getrefcount(True) >= true_before - 2
    assert sys.getrefcount(None) >= none_before - 2
