"""Loading a model reports its progress (llama.cpp's progress callback), through the engine worker too, and a
load that fails says what happened and what to try."""

from __future__ import annotations

import itertools
import logging
import struct
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from satori_desktop.core.errors import UserFacingError
from satori_desktop.engine.llama_engine import LlamaEngine, LoadFailure, load_failed_sentence
from satori_desktop.engine.scripted import ScriptedEngine
from satori_desktop.engine.types import LoadOptions
from tests.support.qt_env import prepare_qt_environment
from tests.support.tiny_gguf import write_tiny_gguf

prepare_qt_environment()  # the worker test below needs Qt, offscreen; set before the QApplication exists


def _assert_zero_to_one(seen: list[float]) -> None:
    assert seen[0] == 0.0 and seen[-1] == 1.0
    assert all(a < b for a, b in itertools.pairwise(seen)), seen


def test_the_real_engine_reports_progress_from_zero_to_one(tiny_model: Path) -> None:
    seen: list[float] = []
    engine = LlamaEngine()
    try:
        report = engine.load(LoadOptions(tiny_model, on_progress=seen.append))
    finally:
        engine.unload()
    assert report.model_path == tiny_model
    _assert_zero_to_one(seen)
    # llama.cpp reports tensor by tensor: the tiny model has a few dozen, so there are steps in between.
    assert len([f for f in seen if 0.0 < f < 1.0]) >= 5


def test_a_second_load_reports_its_own_progress(tiny_model: Path, random_model: Path) -> None:
    first: list[float] = []
    second: list[float] = []
    engine = LlamaEngine()
    try:
        engine.load(LoadOptions(tiny_model, on_progress=first.append))
        engine.load(LoadOptions(random_model, on_progress=second.append))
    finally:
        engine.unload()
    _assert_zero_to_one(first)
    _assert_zero_to_one(second)


def test_a_failing_progress_callback_is_logged_and_the_model_still_loads(
    tiny_model: Path, caplog: pytest.LogCaptureFixture
) -> None:
    calls: list[float] = []

    def broken(fraction: float) -> None:
        calls.append(fraction)
        raise ValueError("a bug in the listener")

    engine = LlamaEngine()
    try:
        with caplog.at_level(logging.ERROR, logger="satori_desktop.engine.llama_engine"):
            report = engine.load(LoadOptions(tiny_model, on_progress=broken))
    finally:
        engine.unload()
    assert report.total_layers == 2
    assert calls == [0.0]  # not called again once it failed
    assert "progress callback failed" in caplog.text


def _with_wrong_ffn_length(source: Path, target: Path) -> Path:
    """A GGUF whose header promises a wider feed-forward block than its tensors have: our header reader
    takes it, llama.cpp refuses it (a real load failure, like a file made for another llama.cpp)."""
    data = bytearray(source.read_bytes())
    key = b"qwen2.feed_forward_length"
    at = data.index(key) + len(key)
    value_type, value = struct.unpack_from("<II", data, at)
    assert value_type == 4  # uint32
    struct.pack_into("<I", data, at + 4, value * 2)
    target.write_bytes(bytes(data))
    return target


def test_a_file_llama_cpp_refuses_says_so_with_its_reason_and_what_to_try(
    tiny_model: Path, tmp_path: Path
) -> None:
    bad = _with_wrong_ffn_length(tiny_model, tmp_path / "wrong-shape.gguf")
    seen: list[float] = []
    with pytest.raises(UserFacingError) as failed:
        LlamaEngine().load(LoadOptions(bad, on_progress=seen.append))
    sentence = str(failed.value)
    assert sentence.startswith("llama.cpp could not load wrong-shape.gguf")
    assert "has wrong shape" in sentence and "llama_model_load" not in sentence
    assert "download it again or choose another quantisation" in sentence
    assert seen and seen[-1] < 1.0  # a failed load never reports that it finished


@pytest.mark.parametrize(
    ("failure", "tried_gpu", "expected"),
    [
        # Out of memory for the weights after the offload fallback tried fewer GPU layers and the CPU.
        (
            LoadFailure("model", ("ggml_backend_cpu_buffer_type_alloc_buffer: failed to allocate buffer",)),
            True,
            "There is not enough memory to load satori.gguf (the file is 4.7 GB, 3.0 GB of RAM is free), "
            "not even with fewer GPU layers or on the CPU only: choose a smaller quantisation (such as "
            "Q4_K_S), or close other programs and try again.",
        ),
        (
            LoadFailure("model", ("cudaMalloc failed: out of memory",)),
            False,
            "There is not enough memory to load satori.gguf (the file is 4.7 GB, 3.0 GB of RAM is free), "
            "on the CPU only: choose a smaller quantisation (such as Q4_K_S), or close other programs and "
            "try again.",
        ),
        # The weights loaded but the context (KV cache) did not fit.
        (
            LoadFailure(
                "context", ("llama_init_from_model: failed to initialize the context: std::bad_alloc",)
            ),
            True,
            "satori.gguf loaded, but there is not enough memory for a 32,768-token context, not even with "
            "fewer GPU layers or on the CPU only: choose a smaller context size in the settings or a smaller "
            "quantisation, or close other programs and try again.",
        ),
        # Nothing llama.cpp said: the file is the likely cause.
        (
            LoadFailure("model"),
            False,
            "llama.cpp could not load satori.gguf: the file may be damaged or made for another version of "
            "llama.cpp; download it again or choose another quantisation.",
        ),
    ],
)
def test_each_load_failure_says_what_to_try(failure: LoadFailure, tried_gpu: bool, expected: str) -> None:
    sentence = load_failed_sentence(
        "satori.gguf",
        failure,
        n_ctx=32768,
        tried_gpu=tried_gpu,
        file_size=4_683_073_504,
        free_ram=3_000_000_000,
    )
    assert sentence == expected


def test_the_scripted_engine_reports_a_few_steps() -> None:
    seen: list[float] = []
    ScriptedEngine(load_seconds=0.02).load(LoadOptions(Path("demo.gguf"), on_progress=seen.append))
    assert seen == [0.0, 0.25, 0.5, 0.75, 1.0]


def test_progress_arrives_through_the_worker_signal_before_the_model_is_loaded(
    qtbot: QtBot, tmp_path: Path
) -> None:
    from satori_desktop.ui.engine_worker import EngineWorker

    model = write_tiny_gguf(tmp_path / "tiny-wide.gguf", n_vocab=8192, n_embd=128)
    worker = EngineWorker(LlamaEngine)
    events: list[object] = []
    worker.load_progressed.connect(events.append)
    worker.model_loaded.connect(lambda report: events.append(report))
    try:
        with qtbot.waitSignal(worker.model_loaded, timeout=60_000):
            worker.load(model)
    finally:
        assert worker.shutdown(timeout_ms=30_000)
    *fractions, report = events
    assert getattr(report, "model_path", None) == model
    assert all(isinstance(f, float) for f in fractions)
    _assert_zero_to_one(fractions)  # type: ignore[arg-type]


def test_the_worker_passes_on_at_most_about_twenty_reports_a_second(qtbot: QtBot) -> None:
    from satori_desktop.ui.engine_worker import EngineWorker

    class ChattyEngine(ScriptedEngine):
        """A thousand reports in about half a second, as llama.cpp sends for a big model on a fast disk."""

        def load(self, options: LoadOptions) -> object:  # type: ignore[override]
            import time

            on_progress = options.on_progress
            assert on_progress is not None
            for step in range(1001):
                on_progress(step / 1000)
                time.sleep(0.0005)
            return super().load(LoadOptions(options.model_path))

    worker = EngineWorker(ChattyEngine)
    fractions: list[float] = []
    worker.load_progressed.connect(fractions.append)
    try:
        with qtbot.waitSignal(worker.model_loaded, timeout=10_000):
            worker.load(Path("demo.gguf"))
    finally:
        assert worker.shutdown(timeout_ms=10_000)
    _assert_zero_to_one(fractions)
    # About 0.5-1 s of reports at one per 50 ms, plus the first and the last.
    assert 3 <= len(fractions) <= 30, fractions


def test_the_status_line_shows_the_load_progress(qtbot: QtBot) -> None:
    from PySide6.QtWidgets import QStatusBar, QWidget

    from satori_desktop.ui.status_line import StatusLine

    parent = QWidget()
    qtbot.addWidget(parent)
    status = StatusLine(QStatusBar(parent), parent)
    status.show_load_progress("satori-7b-round2-q4_k_m.gguf", 0.456)
    assert status.model_label.text() == "Loading satori-7b-round2-q4_k_m.gguf… 46%"
    status.show_load_progress("satori-7b-round2-q4_k_m.gguf", 1.0)
    assert status.model_label.text().endswith("… 100%")
