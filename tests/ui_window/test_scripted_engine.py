"""The scripted engine behaves like the real one where the GUI can tell: pieces, pace, cancel, counts."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from satori_desktop.core.coat import parse_trace
from satori_desktop.engine.scripted import DEMO_TRACE, ScriptedEngine, split_into_pieces, synthetic_trace
from satori_desktop.engine.types import Engine, GenerationRequest, LoadOptions


def _loaded(*args: object, **kwargs: object) -> ScriptedEngine:
    engine = ScriptedEngine(*args, **kwargs)  # type: ignore[arg-type]
    engine.load(LoadOptions(Path("demo.gguf"), n_ctx=16384))
    return engine


def test_it_satisfies_the_engine_protocol_and_reports_a_cpu_satori_load() -> None:
    engine: Engine = ScriptedEngine()
    assert engine.load_report is None
    report = engine.load(LoadOptions(Path("x.gguf")))
    assert (report.backend, report.is_satori, report.gpu_layers, report.architecture) == (
        "CPU",
        True,
        0,
        "scripted",
    )
    assert engine.load_report == report
    engine.unload()
    assert engine.load_report is None


def test_streamed_pieces_rebuild_the_trace_and_counts_are_real() -> None:
    engine = _loaded()
    pieces: list[str] = []
    result = engine.generate(GenerationRequest("question"), on_text=pieces.append)
    assert "".join(pieces) == DEMO_TRACE == result.text
    assert result.finish_reason == "stop"
    assert result.generated_tokens == len(pieces) == len(split_into_pieces(DEMO_TRACE))
    assert "<|reflect|>" in pieces and "<|explore|>" in pieces  # meta tokens come whole, like real tokens
    assert result.ttft_s is not None and result.decode_tok_s is not None and result.decode_tok_s > 0


def test_generation_without_a_loaded_model_is_an_error_result() -> None:
    result = ScriptedEngine().generate(GenerationRequest("q"))
    assert result.finish_reason == "error" and result.error


def test_max_tokens_stops_with_length() -> None:
    result = _loaded().generate(GenerationRequest("q", max_tokens=10))
    assert (result.finish_reason, result.generated_tokens) == ("length", 10)


def test_cancel_from_another_thread_stops_within_one_piece() -> None:
    engine = _loaded([synthetic_trace(2000)], tokens_per_second=2000)
    seen: list[str] = []
    cancelled_after: list[int] = []

    def on_text(piece: str) -> None:
        seen.append(piece)
        if len(seen) == 50:
            canceller = threading.Thread(target=engine.cancel)
            canceller.start()
            canceller.join()
            cancelled_after.append(len(seen))

    result = engine.generate(GenerationRequest("q"), on_text=on_text)
    assert result.finish_reason == "cancelled"
    assert result.generated_tokens == len(seen) <= cancelled_after[0] + 1


def test_cancel_interrupts_a_slow_pace_at_once() -> None:
    engine = _loaded(tokens_per_second=0.5)  # two seconds per piece
    timer = threading.Timer(0.1, engine.cancel)
    timer.start()
    started = time.perf_counter()
    result = engine.generate(GenerationRequest("q"))
    timer.join()
    assert result.finish_reason == "cancelled"
    assert result.generated_tokens <= 1
    # Not a performance figure: a cancel that did not cut the wait would take two seconds per piece.
    assert time.perf_counter() - started < 1.9


def test_a_cancel_before_generate_belongs_to_the_previous_generation() -> None:
    engine = _loaded()
    engine.cancel()
    assert engine.generate(GenerationRequest("q")).finish_reason == "stop"


def test_follow_up_prompt_reuses_the_evaluated_prefix_and_takes_the_next_trace() -> None:
    engine = _loaded(["First answer.", "Second answer."])
    first = engine.generate(GenerationRequest("<|im_start|>user\nQ1<|im_end|>\n<|im_start|>assistant\n"))
    follow_up = (
        "<|im_start|>user\nQ1<|im_end|>\n<|im_start|>assistant\nFirst answer.<|im_end|>\n<|im_start|>user\nQ2"
    )
    second = engine.generate(GenerationRequest(follow_up))
    assert (first.text, second.text) == ("First answer.", "Second answer.")
    assert first.reused_prompt_tokens == 0
    assert second.reused_prompt_tokens == first.prompt_tokens + first.generated_tokens
    assert second.reused_prompt_tokens < second.prompt_tokens


@pytest.mark.parametrize("target", [300, 1000, 8000])
def test_synthetic_trace_has_the_exact_length_steps_math_and_a_boxed_answer(target: int) -> None:
    trace = synthetic_trace(target)
    assert len(split_into_pieces(trace)) == target
    parsed = parse_trace(trace)
    assert parsed.answer == "\\frac{7}{2}"
    if target >= 1000:
        assert parsed.reflections > 0 and parsed.explorations > 0
    assert trace.count("$$") % 2 == 0 and trace.count("\\(") == trace.count("\\)")


def test_pace_must_be_positive() -> None:
    with pytest.raises(ValueError):
        ScriptedEngine(tokens_per_second=0)
