"""The greedy sampler of engine/row_argmax.py outside a graph: on the host, and where ggml is missing.
(Its graph path is tested through batches in test_batched.py, against single answers.)"""

from __future__ import annotations

import ctypes
import logging
from pathlib import Path

import llama_cpp
import pytest

from satori_desktop.engine import row_argmax
from satori_desktop.engine.llama_engine import LlamaEngine
from satori_desktop.engine.types import BatchJob, GenerationRequest, LoadOptions


def test_on_the_host_it_picks_the_most_likely_candidate() -> None:
    sampler = row_argmax.RowArgmax(llama_cpp)
    chain = sampler.chain()
    logits = [0.5, -1.0, 3.25, 3.0, -7.0]
    data = (llama_cpp.llama_token_data * len(logits))(
        *[llama_cpp.llama_token_data(id=10 + i, logit=logit, p=0.0) for i, logit in enumerate(logits)]
    )
    candidates = llama_cpp.llama_token_data_array(data=data, size=len(logits), selected=-1, sorted=False)
    llama_cpp.llama_sampler_apply(chain, ctypes.byref(candidates))
    llama_cpp.llama_sampler_free(chain)
    assert candidates.selected == 2
    assert candidates.data[candidates.selected].id == 12


def test_without_the_ggml_library_batches_use_llamas_greedy_sampler(
    random_model: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("SATORI_BACKEND_SAMPLING", "1")

    def missing(_self: object) -> None:
        raise FileNotFoundError("no ggml-base library here")

    monkeypatch.setattr(row_argmax._Ggml, "__init__", missing)
    engine = LlamaEngine()
    engine.load(LoadOptions(random_model))
    prompts = [f"Question {i}: what is {i} + {i}?" for i in range(3)]
    singles = [engine.generate(GenerationRequest(prompt, max_tokens=16)).text for prompt in prompts]
    with caplog.at_level(logging.WARNING, logger="satori_desktop.engine.batched"):
        results = engine.generate_batch(
            [BatchJob(str(i), GenerationRequest(prompt, max_tokens=16)) for i, prompt in enumerate(prompts)],
            parallel=3,
        )
    context = engine._batch_context
    assert context is not None and context.backend_greedy and context.row_argmax is None
    assert context.attached == {0: "greedy", 1: "greedy", 2: "greedy"}  # llama.cpp's greedy chains
    engine.unload()
    assert "one per sequence instead" in caplog.text
    assert [results[str(i)].text for i in range(3)] == singles
