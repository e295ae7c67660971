"""The real llama.cpp engine driven by tiny GGUF models: streaming, stops, cancel, prefix reuse, bad input."""

from __future__ import annotations

import threading
from pathlib import Path

import llama_cpp
import pytest

from satori_desktop.core.errors import UserFacingError
from satori_desktop.core.prompt import problem_prompt
from satori_desktop.engine.llama_engine import LlamaEngine
from satori_desktop.engine.types import GenerationRequest, LoadOptions
from tests.support.tiny_gguf import (
    CONTINUE,
    EXAMPLE_TRACE,
    EXPLORE,
    IM_END,
    IM_START,
    LONG_PIECE,
    REFLECT,
    SPLIT_CHARACTER,
    script_grammar,
    write_tiny_gguf,
    write_truncated_copy,
)

PROMPT = problem_prompt("What is 1 + 1?")


def scripted(script: str, **kwargs: object) -> GenerationRequest:
    return GenerationRequest(PROMPT, grammar=script_grammar(script), **kwargs)  # type: ignore[arg-type]


def test_load_report_describes_the_tiny_model(engine: LlamaEngine, tiny_model: Path) -> None:
    report = engine.load_report
    assert report is not None
    assert report.model_path == tiny_model
    assert report.architecture == "qwen2"
    assert report.is_satori
    assert report.n_ctx == 4096  # the trained context, since no n_ctx was asked for
    assert report.n_ctx_train == 4096
    assert report.total_layers == 2
    # A CPU build runs it on the CPU; a CUDA/Metal build offloads every layer plus the output (it fits).
    if llama_cpp.llama_supports_gpu_offload():
        assert report.backend != "CPU" and report.gpu_layers == report.total_layers + 1
    else:
        assert report.backend == "CPU" and report.gpu_layers == 0
    assert report.warnings == []


def test_scripted_coat_trace_streams_intact(engine: LlamaEngine) -> None:
    chunks: list[str] = []
    result = engine.generate(scripted(EXAMPLE_TRACE), on_text=chunks.append)

    expected = EXAMPLE_TRACE.removesuffix(IM_END)
    assert result.finish_reason == "stop"
    assert result.text == expected
    assert "".join(chunks) == expected
    for meta in (CONTINUE, REFLECT, EXPLORE):
        assert meta in result.text
    assert result.prompt_tokens == len(engine.tokenize(PROMPT))
    assert result.reused_prompt_tokens == 0
    assert result.ttft_s is not None and result.ttft_s > 0
    assert result.decode_tok_s is not None and result.decode_tok_s > 0
    assert result.error is None


def test_multibyte_character_split_across_tokens_is_never_broken(engine: LlamaEngine) -> None:
    # The vocabulary has no token for this character: it can only come out one byte-token at a time.
    assert len(engine.tokenize(SPLIT_CHARACTER)) == len(SPLIT_CHARACTER.encode("utf-8")) == 3
    chunks: list[str] = []
    script = f"a{SPLIT_CHARACTER}{SPLIT_CHARACTER}b{IM_END}"
    result = engine.generate(scripted(script), on_text=chunks.append)

    assert result.text == f"a{SPLIT_CHARACTER}{SPLIT_CHARACTER}b"
    assert result.generated_tokens == 8
    assert chunks == ["a", SPLIT_CHARACTER, SPLIT_CHARACTER, "b"]  # no replacement characters, no halves


def test_piece_longer_than_32_bytes_is_not_truncated(engine: LlamaEngine) -> None:
    assert len(LONG_PIECE.encode("utf-8")) > 32
    result = engine.generate(scripted(LONG_PIECE + IM_END))

    assert result.generated_tokens == 1  # one token carries the whole piece
    assert result.text == LONG_PIECE


def test_generation_stops_at_im_end_before_max_tokens(engine: LlamaEngine) -> None:
    result = engine.generate(scripted(f"Step{IM_END}", max_tokens=50))

    assert result.finish_reason == "stop"
    assert result.text == "Step"
    assert IM_END not in result.text
    assert result.generated_tokens == 1


def test_max_tokens_ends_an_endless_generation(engine: LlamaEngine) -> None:
    # Without a grammar the scripted model repeats its favourite token and never ends by itself.
    result = engine.generate(GenerationRequest(PROMPT, max_tokens=7))

    assert result.finish_reason == "length"
    assert result.generated_tokens == 7
    assert result.text == LONG_PIECE * 7


def test_seeded_sampling_is_reproducible(random_model: Path) -> None:
    engine = LlamaEngine()
    engine.load(LoadOptions(random_model))
    request = GenerationRequest(PROMPT, max_tokens=24, temperature=1.0, top_p=0.9, seed=1234, ignore_eog=True)
    first = engine.generate(request)
    second = engine.generate(request)
    other_seed = engine.generate(
        GenerationRequest(PROMPT, max_tokens=24, temperature=1.0, seed=99, ignore_eog=True)
    )
    engine.unload()

    assert first.generated_tokens == 24
    assert first.text == second.text
    assert other_seed.text != first.text


def test_cancel_from_another_thread_stops_within_one_token(engine: LlamaEngine) -> None:
    cancelled = threading.Event()
    chunks: list[str] = []

    def canceller() -> None:
        engine.cancel()
        cancelled.set()

    def on_text(text: str) -> None:
        chunks.append(text)
        if len(chunks) == 5:
            threading.Thread(target=canceller).start()
            assert cancelled.wait(10)

    result = engine.generate(GenerationRequest(PROMPT, max_tokens=1000), on_text=on_text)

    assert result.finish_reason == "cancelled"
    assert result.generated_tokens == 5
    assert result.text == LONG_PIECE * 5

    # The engine is usable again, and the next answer is complete.
    again = engine.generate(scripted(EXAMPLE_TRACE))
    assert again.finish_reason == "stop"
    assert again.text == EXAMPLE_TRACE.removesuffix(IM_END)


class _PausingEngine(LlamaEngine):
    """The real engine, whose abort callback (called by llama.cpp inside llama_decode) signals the test and
    waits until the test's other thread has cancelled: a deterministic cancel during prompt processing."""

    def __init__(self) -> None:
        super().__init__()
        self.prompt_processing = threading.Event()
        self.cancel_sent = threading.Event()
        self.pause_once = False

    def _should_abort(self, cancel_flag: threading.Event) -> bool:
        if self.pause_once:
            self.pause_once = False
            self.prompt_processing.set()
            assert self.cancel_sent.wait(10)
        return super()._should_abort(cancel_flag)


def test_cancel_during_prompt_processing_then_engine_still_works(tiny_model: Path) -> None:
    engine = _PausingEngine()
    engine.load(LoadOptions(tiny_model))
    long_prompt = problem_prompt("1 + 1 = ? " * 300)
    engine.pause_once = True

    def canceller() -> None:
        assert engine.prompt_processing.wait(10)
        engine.cancel()
        engine.cancel_sent.set()

    thread = threading.Thread(target=canceller)
    thread.start()
    chunks: list[str] = []
    result = engine.generate(GenerationRequest(long_prompt, max_tokens=10), on_text=chunks.append)
    thread.join()

    assert engine.prompt_processing.is_set()  # the cancel really arrived inside llama_decode
    assert result.finish_reason == "cancelled"
    assert result.generated_tokens == 0
    assert result.text == "" and chunks == []
    assert result.prompt_tokens > 1000

    again = engine.generate(GenerationRequest(long_prompt, max_tokens=3))
    assert again.finish_reason == "length"
    assert again.text == LONG_PIECE * 3
    engine.unload()


def test_follow_up_turn_reuses_the_cached_prefix(engine: LlamaEngine) -> None:
    first = engine.generate(scripted(EXAMPLE_TRACE))
    follow_up = PROMPT + first.text + f"{IM_END}\n{IM_START}user\nAnd 2 + 2?{IM_END}\n{IM_START}assistant\n"
    second = engine.generate(GenerationRequest(follow_up, grammar=script_grammar(f"So 4.{IM_END}")))

    first_prompt_tokens = len(engine.tokenize(PROMPT))
    assert second.finish_reason == "stop"
    assert second.text == "So 4."
    assert second.reused_prompt_tokens >= first_prompt_tokens  # the whole first prompt, at least
    assert second.reused_prompt_tokens < second.prompt_tokens
    assert second.prompt_tokens == len(engine.tokenize(follow_up))

    # Asking the very same thing again reuses all but the last prompt token (its logits are needed).
    third = engine.generate(GenerationRequest(follow_up, grammar=script_grammar(f"So 4.{IM_END}")))
    assert third.reused_prompt_tokens == third.prompt_tokens - 1
    assert third.text == "So 4."


def test_question_longer_than_the_context_is_refused_before_decoding(tiny_model: Path) -> None:
    engine = LlamaEngine()
    engine.load(LoadOptions(tiny_model, n_ctx=256))
    with pytest.raises(UserFacingError, match="too long"):
        engine.generate(GenerationRequest(problem_prompt("1 + 1 = ? " * 200)))
    # Nothing broke: a short question still works.
    result = engine.generate(scripted(f"Step{IM_END}"))
    assert result.text == "Step"
    engine.unload()


def test_generation_is_cut_where_the_context_ends(tiny_model: Path) -> None:
    engine = LlamaEngine()
    engine.load(LoadOptions(tiny_model, n_ctx=256))
    prompt_tokens = len(engine.tokenize(PROMPT))
    result = engine.generate(GenerationRequest(PROMPT, max_tokens=4096))
    engine.unload()

    assert result.finish_reason == "length"
    assert result.generated_tokens == 256 - prompt_tokens


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(UserFacingError, match="does not exist"):
        LlamaEngine().load(LoadOptions(tmp_path / "nowhere.gguf"))


def test_file_that_is_not_gguf_is_a_clear_error(tmp_path: Path) -> None:
    not_gguf = tmp_path / "notes.gguf"
    not_gguf.write_text("These are my notes, not a model.\n")
    with pytest.raises(UserFacingError, match="not a GGUF model file"):
        LlamaEngine().load(LoadOptions(not_gguf))


@pytest.mark.parametrize("keep_fraction", [0.5, 0.002])  # tensor data cut off; header itself cut off
def test_truncated_gguf_is_a_clear_error(tiny_model: Path, tmp_path: Path, keep_fraction: float) -> None:
    truncated = write_truncated_copy(tiny_model, tmp_path / "half.gguf", keep_fraction)
    with pytest.raises(UserFacingError, match="incomplete"):
        LlamaEngine().load(LoadOptions(truncated))


def test_failed_load_keeps_the_engine_usable(engine: LlamaEngine, tmp_path: Path, tiny_model: Path) -> None:
    with pytest.raises(UserFacingError):
        engine.load(LoadOptions(tmp_path / "nowhere.gguf"))
    engine.load(LoadOptions(tiny_model))
    assert engine.generate(scripted(f"Step{IM_END}")).text == "Step"


def test_generate_without_a_model_is_a_clear_error() -> None:
    with pytest.raises(UserFacingError, match="No model is loaded"):
        LlamaEngine().generate(GenerationRequest(PROMPT))


def test_non_qwen2_model_loads_with_a_warning(tmp_path: Path) -> None:
    path = write_tiny_gguf(tmp_path / "tiny-llama.gguf", architecture="llama")
    engine = LlamaEngine()
    report = engine.load(LoadOptions(path))
    result = engine.generate(scripted(f"Step{IM_END}"))
    engine.unload()

    assert report.architecture == "llama"
    assert any("Satori" in warning for warning in report.warnings)
    assert result.text == "Step"


def test_model_without_coat_tokens_is_not_satori(tmp_path: Path) -> None:
    path = write_tiny_gguf(tmp_path / "no-coat.gguf", coat_tokens=False)
    engine = LlamaEngine()
    report = engine.load(LoadOptions(path))
    engine.unload()

    assert not report.is_satori
    assert any("COAT" in warning for warning in report.warnings)


def test_backend_greedy_survives_greedy_then_grammar_then_greedy(
    tiny_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The GPU's default, forced on the CPU: a chain attached, detached and attached again used to abort
    # inside llama.cpp ("llama_sampler_chain_backend_init() called twice").
    monkeypatch.setenv("SATORI_BACKEND_SAMPLING", "1")
    engine = LlamaEngine()
    engine.load(LoadOptions(tiny_model))
    first = engine.generate(GenerationRequest(PROMPT, max_tokens=3))
    scripted_text = engine.generate(scripted(f"Step{IM_END}")).text
    again = engine.generate(GenerationRequest(PROMPT, max_tokens=3))
    engine.unload()

    assert first.text == again.text == LONG_PIECE * 3
    assert scripted_text == "Step"
