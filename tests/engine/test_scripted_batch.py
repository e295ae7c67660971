"""The scripted engine's batched generate: traces side by side, continuous batching, cancel, counts."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from satori_desktop.engine.scripted import ScriptedEngine, split_into_pieces
from satori_desktop.engine.types import BatchJob, GenerationRequest, GenerationResult, LoadOptions

TRACES = ("Alpha one.<|continue|>\nAlpha two.", "Beta is longer: one two three four five six.", "Gamma 3.")


def _engine(**kwargs: object) -> ScriptedEngine:
    engine = ScriptedEngine(TRACES, **kwargs)  # type: ignore[arg-type]
    engine.load(LoadOptions(Path("demo.gguf")))
    return engine


def _jobs(n: int, prompt: str = "Solve it.", **kwargs: object) -> list[BatchJob]:
    return [BatchJob(f"job-{i}", GenerationRequest(prompt, **kwargs)) for i in range(n)]  # type: ignore[arg-type]


def test_every_job_gets_its_trace_in_order_and_streams_side_by_side() -> None:
    engine = _engine()
    streamed: list[tuple[str, str]] = []
    done: list[str] = []

    results = engine.generate_batch(
        _jobs(3),
        parallel=3,
        on_text=lambda key, text: streamed.append((key, text)),
        on_done=lambda k, r: done.append(k),
    )

    assert [results[f"job-{i}"].text for i in range(3)] == list(TRACES)
    for key, result in results.items():
        assert "".join(text for k, text in streamed if k == key) == result.text
        assert result.finish_reason == "stop"
        assert result.generated_tokens == len(split_into_pieces(result.text))
    # Side by side: the first three pieces are one of each job, in slot order.
    assert [key for key, _ in streamed[:3]] == ["job-0", "job-1", "job-2"]
    # The shortest trace ends first, the longest last.
    assert done == ["job-2", "job-0", "job-1"]


def test_more_jobs_than_slots_take_the_freed_slots_and_traces_cycle() -> None:
    engine = _engine()
    live: set[str] = set()
    most_live = 0

    def on_text(key: str, _text: str) -> None:
        nonlocal most_live
        live.add(key)
        most_live = max(most_live, len(live))

    def on_done(key: str, _result: GenerationResult) -> None:
        live.discard(key)

    results = engine.generate_batch(_jobs(7), parallel=2, on_text=on_text, on_done=on_done)

    assert most_live == 2
    assert [results[f"job-{i}"].text for i in range(7)] == [TRACES[i % 3] for i in range(7)]


def test_max_tokens_and_shared_prompts_are_counted_per_job() -> None:
    engine = _engine()
    jobs = [*_jobs(2, max_tokens=2), BatchJob("other", GenerationRequest("Another question."))]
    results = engine.generate_batch(jobs, parallel=3)

    assert results["job-0"].finish_reason == "length" and results["job-0"].generated_tokens == 2
    assert results["job-0"].text == "".join(split_into_pieces(TRACES[0])[:2])
    prompt_pieces = len(split_into_pieces("Solve it."))
    assert results["job-0"].prompt_tokens == results["job-1"].prompt_tokens == prompt_pieces
    assert results["job-0"].reused_prompt_tokens == 0  # the first evaluates the shared prompt
    assert results["job-1"].reused_prompt_tokens == prompt_pieces  # the second shares it
    assert results["other"].reused_prompt_tokens == 0
    assert results["other"].ttft_s is not None and results["other"].decode_tok_s is not None


def test_cancel_ends_live_and_waiting_jobs_within_one_step() -> None:
    engine = _engine(tokens_per_second=200.0)
    pieces_seen = 0
    done: dict[str, GenerationResult] = {}

    def on_text(_key: str, _text: str) -> None:
        nonlocal pieces_seen
        pieces_seen += 1
        if pieces_seen == 4:  # the second step of two live jobs
            threading.Thread(target=engine.cancel).start()

    started = time.perf_counter()
    results = engine.generate_batch(
        _jobs(5), parallel=2, on_text=on_text, on_done=lambda key, result: done.update({key: result})
    )

    assert time.perf_counter() - started < 5
    assert set(results) == set(done) == {f"job-{i}" for i in range(5)}
    assert all(result.finish_reason == "cancelled" for result in results.values())
    assert 2 <= results["job-0"].generated_tokens <= 3
    assert results["job-4"].generated_tokens == 0 and results["job-4"].text == ""
    # The next generation runs to its end: the cancel belonged to the batch.
    assert engine.generate(GenerationRequest("q")).finish_reason == "stop"


def test_paced_batch_streams_each_job_at_the_rate() -> None:
    engine = _engine(tokens_per_second=400.0)
    started = time.perf_counter()
    results = engine.generate_batch(_jobs(3), parallel=3)
    elapsed = time.perf_counter() - started

    longest = max(len(split_into_pieces(trace)) for trace in TRACES)
    assert elapsed >= (longest - 1) / 400.0  # paced per step, not per piece of all jobs together
    assert all(result.finish_reason == "stop" for result in results.values())


def test_bad_batches_and_no_model() -> None:
    engine = _engine()
    with pytest.raises(ValueError, match="parallel"):
        engine.generate_batch(_jobs(1), parallel=0)
    with pytest.raises(ValueError, match="job-0"):
        engine.generate_batch([*_jobs(1), *_jobs(1)], parallel=2)
    engine.unload()
    results = engine.generate_batch(_jobs(2), parallel=2)
    assert [r.error for r in results.values()] == ["No model is loaded."] * 2
