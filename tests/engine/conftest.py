"""Fixtures of the engine tests: tiny GGUF models written once per session, and a loaded real engine."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from satori_desktop.engine.llama_engine import LlamaEngine
from satori_desktop.engine.types import LoadOptions
from tests.support.tiny_gguf import write_tiny_gguf


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The scripted qwen2 model with the COAT tokens (see tests.support.tiny_gguf)."""
    return write_tiny_gguf(tmp_path_factory.mktemp("models") / "tiny-satori.gguf")


@pytest.fixture(scope="session")
def random_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny qwen2 model with random weights: its output depends on the input, unlike the scripted one."""
    return write_tiny_gguf(tmp_path_factory.mktemp("models") / "tiny-random.gguf", random_weights=True)


@pytest.fixture
def engine(tiny_model: Path) -> Iterator[LlamaEngine]:
    engine = LlamaEngine()
    engine.load(LoadOptions(tiny_model))
    yield engine
    engine.unload()
