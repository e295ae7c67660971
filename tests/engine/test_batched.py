"""Batched generation on the real llama.cpp engine: the same tokens as one by one, no cross-talk, cancel,
failures that stay with their job, and an engine that works normally afterwards."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from satori_desktop.core.prompt import problem_prompt
from satori_desktop.engine import batched
from satori_desktop.engine.llama_engine import LlamaEngine
from satori_desktop.engine.row_argmax import RowArgmax
from satori_desktop.engine.types import BatchJob, GenerationRequest, GenerationResult, LoadOptions
from tests.support.tiny_gguf import (
    EXAMPLE_TRACE,
    IM_END,
    LONG_PIECE,
    SPLIT_CHARACTER,
    script_grammar,
    write_tiny_gguf,
)

PROMPTS = [problem_prompt(f"What is {i} + {3 * i + 1}?") for i in range(6)]
SCRIPTS = (
    EXAMPLE_TRACE,
    f"Step one.<|continue|>{SPLIT_CHARACTER}{SPLIT_CHARACTER} is a sum.<|reflect|>Wait, fine.{IM_END}",
    f"So{LONG_PIECE}\\boxed{{7}}{IM_END}",
)


@pytest.fixture
def random_engine(random_model: Path) -> Iterator[LlamaEngine]:
    engine = LlamaEngine()
    engine.load(LoadOptions(random_model))
    yield engine
    engine.unload()


def _keyed_text(streamed: list[tuple[str, str]], key: str) -> str:
    return "".join(text for k, text in streamed if k == key)


@pytest.mark.parametrize("parallel", [1, 2, 4])
def test_greedy_batched_sequences_equal_single_generates(random_engine: LlamaEngine, parallel: int) -> None:
    # Six different prompts (the random model's answer depends on its input), more jobs than slots.
    singles = [random_engine.generate(GenerationRequest(prompt, max_tokens=32)) for prompt in PROMPTS]
    streamed: list[tuple[str, str]] = []
    done: list[str] = []
    jobs = [BatchJob(f"p{i}", GenerationRequest(prompt, max_tokens=32)) for i, prompt in enumerate(PROMPTS)]

    results = random_engine.generate_batch(
        jobs,
        parallel=parallel,
        on_text=lambda k, t: streamed.append((k, t)),
        on_done=lambda k, r: done.append(k),
    )

    assert sorted(done) == sorted(results) == sorted(job.key for job in jobs)
    for i, single in enumerate(singles):
        result = results[f"p{i}"]
        assert result.text == single.text
        assert result.generated_tokens == single.generated_tokens
        assert result.finish_reason == single.finish_reason
        assert result.prompt_tokens == single.prompt_tokens
        assert _keyed_text(streamed, f"p{i}") == result.text
    assert len({single.text for single in singles}) > 1  # the prompts really lead to different answers
    # Later jobs share the instruction every prompt starts with instead of evaluating it again.
    assert any(result.reused_prompt_tokens > 0 for result in results.values()) == (len(PROMPTS) > parallel)


@pytest.mark.parametrize(("layout", "row_argmax"), [("1", "1"), ("0", "1"), ("1", "0"), ("0", "0")])
def test_greedy_equality_with_backend_sampling(
    random_model: Path, monkeypatch: pytest.MonkeyPatch, layout: str, row_argmax: str
) -> None:
    # The GPU's way (the graph picks greedy tokens), forced on the CPU, in both KV layouts: one argmax
    # over every output row of a step (engine/row_argmax.py), or llama.cpp's greedy sampler per sequence.
    monkeypatch.setenv("SATORI_BACKEND_SAMPLING", "1")
    monkeypatch.setenv("SATORI_BATCH_KV_UNIFIED", layout)
    monkeypatch.setenv("SATORI_BATCH_ROW_ARGMAX", row_argmax)
    # Per sampler asked in a graph build: the (matrix, argmax) its token came from, a new tuple per build.
    shared: list[tuple[int, int]] = []
    row_token = RowArgmax._row_token

    def watched(sampler: RowArgmax, ctx: Any, logits: int) -> int:
        token = row_token(sampler, ctx, logits)
        if sampler._all is not None:
            shared.append(sampler._all)
        return token

    monkeypatch.setattr(RowArgmax, "_row_token", watched)
    engine = LlamaEngine()
    engine.load(LoadOptions(random_model))
    singles = [engine.generate(GenerationRequest(prompt, max_tokens=24)) for prompt in PROMPTS[:5]]
    jobs = [
        BatchJob(str(i), GenerationRequest(prompt, max_tokens=24)) for i, prompt in enumerate(PROMPTS[:5])
    ]
    first = engine.generate_batch(jobs, parallel=3)
    again = engine.generate_batch(jobs, parallel=3)  # the same context and its sequences' chains again
    engine.unload()

    assert [first[str(i)].text for i in range(5)] == [single.text for single in singles]
    assert [again[str(i)].text for i in range(5)] == [single.text for single in singles]
    if row_argmax == "1":  # graphs were built where 3 sequences took their tokens from one argmax
        assert shared and max(sum(1 for other in shared if other is built) for built in shared) >= 3
    else:
        assert not shared


def test_same_prompt_is_evaluated_once_and_shared(
    random_engine: LlamaEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SATORI_BATCH_KV_UNIFIED", "1")  # one cache: the cells themselves are shared
    single = random_engine.generate(GenerationRequest(PROMPTS[0], max_tokens=20))
    jobs = [BatchJob(f"s{i}", GenerationRequest(PROMPTS[0], max_tokens=20)) for i in range(5)]
    results = random_engine.generate_batch(jobs, parallel=3)

    assert all(result.text == single.text for result in results.values())
    n_prompt = single.prompt_tokens
    assert results["s0"].reused_prompt_tokens == 0  # evaluated it for the three that started together
    assert results["s1"].reused_prompt_tokens == results["s2"].reused_prompt_tokens == n_prompt
    # Those that started later took the finished ones' prompt cells, all but the last token.
    assert results["s3"].reused_prompt_tokens >= n_prompt - 1
    assert results["s4"].reused_prompt_tokens >= n_prompt - 1


@pytest.mark.parametrize("parallel", [3, 2])
def test_scripted_traces_stream_side_by_side_without_cross_talk(engine: LlamaEngine, parallel: int) -> None:
    jobs = [
        BatchJob(f"t{i}", GenerationRequest(PROMPTS[0], grammar=script_grammar(SCRIPTS[i % 3])))
        for i in range(5)
    ]
    streamed: list[tuple[str, str]] = []
    results = engine.generate_batch(jobs, parallel=parallel, on_text=lambda k, t: streamed.append((k, t)))

    for i in range(5):
        result = results[f"t{i}"]
        assert result.finish_reason == "stop"
        assert result.text == SCRIPTS[i % 3].removesuffix(IM_END)
        assert _keyed_text(streamed, f"t{i}") == result.text
    # Side by side: the first pieces come from every started job before any job's second piece.
    assert {key for key, _ in streamed[:parallel]} == {f"t{i}" for i in range(parallel)}
    assert SPLIT_CHARACTER * 2 in results["t1"].text  # decoded per sequence: no character broken


def test_cancel_mid_batch_ends_every_job_and_the_engine_goes_on(engine: LlamaEngine) -> None:
    pieces = 0
    done: dict[str, GenerationResult] = {}

    def on_text(_key: str, _text: str) -> None:
        nonlocal pieces
        pieces += 1
        if pieces == 6:  # three steps of two slots
            canceller = threading.Thread(target=engine.cancel)
            canceller.start()
            canceller.join()

    # Without a grammar the scripted model never stops by itself.
    jobs = [BatchJob(f"c{i}", GenerationRequest(PROMPTS[0], max_tokens=1000)) for i in range(4)]
    results = engine.generate_batch(
        jobs, parallel=2, on_text=on_text, on_done=lambda k, r: done.update({k: r})
    )

    assert set(done) == set(results) == {"c0", "c1", "c2", "c3"}
    assert all(result.finish_reason == "cancelled" for result in results.values())
    assert results["c0"].text == LONG_PIECE * 3 and results["c1"].generated_tokens == 3
    assert results["c2"].generated_tokens == results["c3"].generated_tokens == 0

    again = engine.generate_batch(jobs[:2], parallel=2)
    assert [r.finish_reason for r in again.values()] == ["length", "length"]
    assert (
        engine.generate(GenerationRequest(PROMPTS[0], grammar=script_grammar(f"Step{IM_END}"))).text == "Step"
    )


def test_prompt_too_long_for_a_sequence_fails_alone(tmp_path: Path) -> None:
    model = write_tiny_gguf(tmp_path / "short-context.gguf", n_ctx_train=256)
    engine = LlamaEngine()
    engine.load(LoadOptions(model))
    long_prompt = problem_prompt("1 + 1 = ? " * 100)
    jobs = [
        BatchJob("ok", GenerationRequest(PROMPTS[0], grammar=script_grammar(f"Step{IM_END}"))),
        BatchJob("long", GenerationRequest(long_prompt)),
        BatchJob("capped", GenerationRequest(PROMPTS[1], max_tokens=4096)),
    ]
    results = engine.generate_batch(jobs, parallel=2)
    single = engine.generate(GenerationRequest(PROMPTS[1], max_tokens=4096))
    engine.unload()

    assert results["ok"].text == "Step" and results["ok"].finish_reason == "stop"
    assert results["long"].finish_reason == "error"
    assert results["long"].error is not None and "too long" in results["long"].error
    # Prompt plus max tokens past the trained context: cut where the context ends, as generate does.
    assert results["capped"].finish_reason == "length"
    assert results["capped"].generated_tokens == single.generated_tokens == 256 - single.prompt_tokens


def test_a_failed_decode_ends_the_jobs_it_hit_and_the_engine_stays_usable(
    engine: LlamaEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A context far too small for what the jobs need: the KV cache fills up (llama_decode returns 1).
    monkeypatch.setattr(batched, "context_size", lambda needs, parallel, unified: 256)
    jobs = [BatchJob(f"f{i}", GenerationRequest(PROMPTS[i], max_tokens=400)) for i in range(2)]
    results = engine.generate_batch(jobs, parallel=2)
    monkeypatch.undo()

    assert any(result.finish_reason == "error" for result in results.values())
    for result in results.values():
        if result.finish_reason == "error":
            assert result.error is not None and "memory" in result.error
            assert result.generated_tokens < 400
    # The next batch gets a context of the right size, and single answers are as before.
    again = engine.generate_batch(jobs, parallel=2)
    assert [r.generated_tokens for r in again.values()] == [400, 400]
    assert (
        engine.generate(GenerationRequest(PROMPTS[0], grammar=script_grammar(f"Step{IM_END}"))).text == "Step"
    )


def test_sampled_sequences_differ_by_seed_and_repeat_per_seed(random_engine: LlamaEngine) -> None:
    def sampled(seed: int) -> GenerationRequest:
        return GenerationRequest(
            PROMPTS[0], max_tokens=24, temperature=0.7, top_p=0.8, seed=seed, ignore_eog=True
        )

    jobs = [BatchJob(f"seed-{seed}", sampled(seed)) for seed in (1, 2, 3, 4)]
    first = random_engine.generate_batch(jobs, parallel=4)
    second = random_engine.generate_batch(jobs, parallel=2)
    single = random_engine.generate(sampled(3))

    assert len({result.text for result in first.values()}) > 1
    assert {k: r.text for k, r in first.items()} == {k: r.text for k, r in second.items()}
    assert first["seed-3"].text == single.text  # the same seed gives what one generate gives
    assert all(result.generated_tokens == 24 for result in first.values())


def test_batches_leave_the_single_answer_prefix_cache_alone(engine: LlamaEngine) -> None:
    request = GenerationRequest(PROMPTS[0], grammar=script_grammar(f"Step{IM_END}"))
    engine.generate(request)
    engine.generate_batch([BatchJob("other", GenerationRequest(PROMPTS[3], max_tokens=5))], parallel=1)
    again = engine.generate(request)

    assert again.text == "Step"
    assert again.reused_prompt_tokens == again.prompt_tokens - 1


def test_bad_batches_are_refused(engine: LlamaEngine) -> None:
    job = BatchJob("a", GenerationRequest(PROMPTS[0]))
    with pytest.raises(ValueError, match="parallel"):
        engine.generate_batch([job], parallel=0)
    with pytest.raises(ValueError, match="repeated: a"):
        engine.generate_batch([job, job], parallel=2)
    bad_grammar = BatchJob("g", GenerationRequest(PROMPTS[0], grammar="root ::= ("))
    results = engine.generate_batch(
        [bad_grammar, BatchJob("b", GenerationRequest(PROMPTS[0], max_tokens=2))], parallel=2
    )
    assert results["g"].finish_reason == "error" and results["g"].error is not None
    assert results["b"].generated_tokens == 2


def _sampled(prompt: str, seed: int) -> GenerationRequest:
    return GenerationRequest(prompt, max_tokens=24, temperature=0.7, top_p=0.8, seed=seed, ignore_eog=True)


def test_sampled_sequences_sample_in_the_graph_with_backend_sampling(
    random_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The GPU's way (each sequence's whole chain, top-k to dist, in the graph), forced on the CPU. The
    # graph's dist draws the same number from the same seeded generator as the host's, over the same
    # sorted candidates: the same tokens as one generate (host-sampled) with that seed.
    monkeypatch.setenv("SATORI_BACKEND_SAMPLING", "1")
    engine = LlamaEngine()
    engine.load(LoadOptions(random_model))
    jobs = [BatchJob(f"seed-{seed}", _sampled(PROMPTS[0], seed)) for seed in (1, 2, 3, 4)]
    first = engine.generate_batch(jobs, parallel=4)  # one shared prompt: each draws its own first token
    context = engine._batch_context
    assert context is not None and set(context.attached.values()) == {"sampled"}
    second = engine.generate_batch(jobs, parallel=2)  # later jobs take over sequences and their prompts
    singles = {f"seed-{seed}": engine.generate(_sampled(PROMPTS[0], seed)).text for seed in (1, 2, 3, 4)}
    engine.unload()

    assert len({result.text for result in first.values()}) == 4
    assert {k: r.text for k, r in first.items()} == {k: r.text for k, r in second.items()} == singles
    assert all(result.generated_tokens == 24 for result in first.values())


def test_greedy_sampled_and_grammar_jobs_of_one_prompt_with_backend_sampling(
    tiny_model: Path, random_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One prompt shared by a greedy job (graph argmax), a sampled one (its chain in the graph) and, on
    # the scripted model, a grammar one (the host): each takes its own first token.
    monkeypatch.setenv("SATORI_BACKEND_SAMPLING", "1")
    engine = LlamaEngine()
    engine.load(LoadOptions(random_model))
    greedy = GenerationRequest(PROMPTS[1], max_tokens=24)
    jobs = [
        BatchJob("greedy", greedy),
        BatchJob("sampled", _sampled(PROMPTS[1], 7)),
        BatchJob("again", greedy),
    ]
    results = engine.generate_batch(jobs, parallel=3)
    single_greedy = engine.generate(greedy).text
    single_sampled = engine.generate(_sampled(PROMPTS[1], 7)).text
    engine.unload()
    assert results["greedy"].text == results["again"].text == single_greedy
    assert results["sampled"].text == single_sampled != single_greedy

    engine.load(LoadOptions(tiny_model))
    script = script_grammar(SCRIPTS[0])
    jobs = [
        BatchJob("grammar", GenerationRequest(PROMPTS[0], grammar=script)),
        BatchJob("greedy", GenerationRequest(PROMPTS[0], max_tokens=3)),
        BatchJob("sampled", _sampled(PROMPTS[0], 1)),
    ]
    results = engine.generate_batch(jobs, parallel=3)
    engine.unload()
    assert results["grammar"].text == SCRIPTS[0].removesuffix(IM_END)
    assert results["greedy"].text == LONG_PIECE * 3
    assert results["sampled"].generated_tokens == 24


@pytest.mark.parametrize(("backend_sampling", "pad_from"), [("0", 0), ("1", 0), ("1", 2)])
def test_a_kv_cache_per_sequence_gives_the_same_tokens(
    random_model: Path, monkeypatch: pytest.MonkeyPatch, backend_sampling: str, pad_from: int
) -> None:
    # SATORI_BATCH_KV_UNIFIED=0: llama-batched-bench's layout. Answers of different lengths end at
    # different steps, so live sequences sit above free ones (filler rows) and later jobs take the gaps; a
    # sequence reuses only its own kept prompt. With and without the graph sampling, and with steps of two
    # or more rows padded to the rows of CUDA's matrix-matrix kernel (CUDA's default, forced here).
    monkeypatch.setenv("SATORI_BATCH_KV_UNIFIED", "0")
    monkeypatch.setenv("SATORI_BACKEND_SAMPLING", backend_sampling)
    monkeypatch.setenv("SATORI_BATCH_PAD_FROM", str(pad_from))
    engine = LlamaEngine()
    engine.load(LoadOptions(random_model))
    requests = [_sampled(PROMPTS[0], seed) for seed in (1, 2)]
    requests += [GenerationRequest(prompt, max_tokens=5 + 5 * i) for i, prompt in enumerate(PROMPTS)]
    singles = [engine.generate(request) for request in requests]
    jobs = [BatchJob(str(i), request) for i, request in enumerate(requests)]
    # Every step's rows: in sequence order, none missing below the highest (else llama.cpp would split the
    # step into several passes over the weights), some of them fillers.
    steps: list[list[int]] = []
    fillers = 0
    fill = batched.BatchRun._fill_batch_per_seq

    def watched(run: batched.BatchRun) -> tuple[list[Any], bool]:
        nonlocal fillers
        filled = fill(run)
        batch = run.context.batch
        steps.append([batch.seq_id[i][0] for i in range(batch.n_tokens)])
        fillers += len(run._fillers)
        return filled

    monkeypatch.setattr(batched.BatchRun, "_fill_batch_per_seq", watched)
    results = engine.generate_batch(jobs, parallel=3)
    context = engine._batch_context
    engine.unload()

    assert context is not None and not context.unified
    assert context.pad_from == pad_from
    assert context.n_seq_max == (batched.PADDED_ROWS if pad_from else 3)
    widths = set()
    for rows in steps:
        firsts = [seq for i, seq in enumerate(rows) if i == 0 or rows[i - 1] != seq]
        assert firsts == list(range(len(firsts))), rows
        widths.add(len(firsts))
    if pad_from:
        assert widths == {1, batched.PADDED_ROWS}  # one row alone (the last answer left), else padded
    else:
        assert max(widths) == 3
    assert fillers > 0
    assert [results[str(i)].text for i in range(len(requests))] == [single.text for single in singles]
    lengths = [single.generated_tokens for single in singles]
    assert [results[str(i)].generated_tokens for i in range(len(requests))] == lengths
    assert len(set(lengths)) > 3  # they did end at different steps


@pytest.mark.parametrize("backend_sampling", ["0", "1"])
def test_a_kv_cache_per_sequence_evaluates_a_shared_prompt_once(
    random_model: Path, monkeypatch: pytest.MonkeyPatch, backend_sampling: str
) -> None:
    # Jobs that start together with one prompt (self-consistency): the first evaluates all of it but the
    # last token, the others take a whole copy of its cache, and each decodes the last token itself.
    monkeypatch.setenv("SATORI_BATCH_KV_UNIFIED", "0")
    monkeypatch.setenv("SATORI_BACKEND_SAMPLING", backend_sampling)
    engine = LlamaEngine()
    engine.load(LoadOptions(random_model))
    requests = [GenerationRequest(PROMPTS[2], max_tokens=12), GenerationRequest(PROMPTS[2], max_tokens=20)]
    requests += [_sampled(PROMPTS[2], seed) for seed in (5, 6, 7)]
    singles = [engine.generate(request) for request in requests]
    jobs = [BatchJob(str(i), request) for i, request in enumerate(requests)]
    results = engine.generate_batch(jobs, parallel=len(jobs))
    again = engine.generate_batch(jobs, parallel=len(jobs))  # the same context, its caches reused
    engine.unload()

    n_prompt = singles[0].prompt_tokens
    for run in (results, again):
        assert [run[str(i)].text for i in range(len(jobs))] == [single.text for single in singles]
        assert [run[str(i)].reused_prompt_tokens for i in range(len(jobs))] == [0] + [n_prompt - 1] * 4


def test_only_cuda_steps_of_eight_rows_are_padded_unless_told(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SATORI_BATCH_PAD_FROM", raising=False)
    assert batched.pad_from("CUDA", unified=False) == batched.MMVQ_MAX_ROWS
    assert batched.pad_from("Metal", unified=False) == 0
    assert batched.pad_from("CPU", unified=False) == 0
    assert batched.pad_from("CUDA", unified=True) == 0  # one cache: the rows are laid out otherwise
    monkeypatch.setenv("SATORI_BATCH_PAD_FROM", "5")
    assert batched.pad_from("CPU", unified=False) == 5
    assert batched.pad_from("CUDA", unified=True) == 0
    monkeypatch.setenv("SATORI_BATCH_PAD_FROM", "many")
    assert batched.pad_from("CUDA", unified=False) == 0


@pytest.mark.parametrize(
    ("parallel", "pad", "expected"),
    [
        (8, 8, (batched.PADDED_ROWS, 8)),
        (7, 8, (7, 0)),  # no step has 8 rows: nothing to pad
        (16, 8, (16, 8)),
        (3, 2, (batched.PADDED_ROWS, 2)),
        (1, 2, (1, 0)),
        (8, 0, (8, 0)),
    ],
)
def test_padded_steps_get_the_sequences_their_fillers_need(
    parallel: int, pad: int, expected: tuple[int, int]
) -> None:
    assert batched.padded_shape(parallel, pad) == expected
