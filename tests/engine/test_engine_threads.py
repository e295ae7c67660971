"""The real engine frees llama.cpp's memory on the thread that owns it, and nowhere else."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from satori_desktop.engine.llama_engine import LlamaEngine
from satori_desktop.engine.types import GenerationRequest, LoadOptions


@pytest.fixture
def owner() -> Iterator[ThreadPoolExecutor]:
    """One thread that owns the engine, as the GUI's engine worker does."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="engine-owner") as pool:
        yield pool


def test_unload_from_another_thread_is_refused_and_the_model_stays_usable(
    tiny_model: Path, owner: ThreadPoolExecutor
) -> None:
    engine = LlamaEngine()
    owner.submit(engine.load, LoadOptions(tiny_model)).result()
    with pytest.raises(RuntimeError, match="does not own"):
        engine.unload()
    assert engine.load_report is not None
    result = owner.submit(engine.generate, GenerationRequest("<|im_start|>user\nhi", max_tokens=4)).result()
    assert result.generated_tokens > 0
    owner.submit(engine.unload).result()  # the owner frees it
    assert engine.load_report is None
    engine.unload()  # nothing loaded: harmless anywhere


def test_an_engine_collected_off_its_thread_keeps_the_memory_and_says_so(
    tiny_model: Path, owner: ThreadPoolExecutor, caplog: pytest.LogCaptureFixture
) -> None:
    engine = LlamaEngine()
    owner.submit(engine.load, LoadOptions(tiny_model)).result()
    with caplog.at_level(logging.WARNING, logger="satori_desktop.engine.llama_engine"):
        engine.__del__()  # what garbage collection on this (the wrong) thread runs
    assert engine.load_report is not None  # nothing was freed here
    assert any("dropped off its thread" in record.getMessage() for record in caplog.records)
    owner.submit(engine.unload).result()


def test_an_engine_collected_on_its_own_thread_frees_the_memory(
    tiny_model: Path, owner: ThreadPoolExecutor
) -> None:
    engine = LlamaEngine()
    owner.submit(engine.load, LoadOptions(tiny_model)).result()
    owner.submit(engine.__del__).result()
    assert engine.load_report is None
