"""Plain data that crosses the engine's boundary: what to load, what to generate, what came out.

These are the only things the engine hands to the CLI and the GUI (signals carry them as plain data), so
they hold no llama.cpp objects.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from satori_desktop.core.model_format import SATORI_PROMPTING, ModelPrompting

FinishReason = Literal["stop", "length", "cancelled", "error"]
Backend = Literal["CUDA", "Metal", "Vulkan", "CPU", "Server"]  # Server: a remote engine

DEFAULT_MAX_NEW_TOKENS = 4096
# Generated tokens per window of GenerationResult.window_tok_s (a power of two: checked with a bit mask).
WINDOW_TOKENS = 512


# Told how far a load got, from 0.0 to 1.0 and never backwards; called on the thread that loads.
LoadProgressCallback = Callable[[float], None]


@dataclass(frozen=True)
class LoadOptions:
    model_path: Path
    # None: enough for a prompt plus DEFAULT_MAX_NEW_TOKENS, capped at the model's trained context.
    n_ctx: int | None = None
    # None: all layers when the build offloads and the model fits, else what free VRAM allows.
    gpu_layers: int | None = None
    # None: one thread per physical core (a guess from the logical count) for decoding.
    n_threads: int | None = None
    # Progress of the load (0.0 first, 1.0 once the model is ready); an exception in it is logged, not raised.
    # Not compared: two loads of the same file with the same settings are the same load.
    on_progress: LoadProgressCallback | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class LoadReport:
    model_path: Path
    backend: Backend
    gpu_layers: int
    total_layers: int
    n_ctx: int
    n_ctx_train: int
    architecture: str
    is_satori: bool
    warnings: list[str] = field(default_factory=list)
    # How the status line names what is loaded; "" means the model file's name.
    display_name: str = ""
    # The CPU backend llama.cpp chose for this CPU in a release build ("haswell", "sapphirerapids"),
    # "built in" for a source install's single CPU backend, "" where unknown (engine/backends.py).
    cpu_variant: str = ""
    # How the model is prompted and its output read: Satori's official prompt and COAT steps, or another
    # reasoning model's own chat template and format (core/model_format.py).
    prompting: ModelPrompting = SATORI_PROMPTING

    @property
    def name(self) -> str:
        return self.display_name or self.model_path.name

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["model_path"] = str(self.model_path)
        return data


@dataclass(frozen=True)
class GenerationRequest:
    prompt: str  # full chat-formatted text; special tokens are written as text
    max_tokens: int = DEFAULT_MAX_NEW_TOKENS
    temperature: float = 0.0  # 0 means greedy, as the model card recommends
    top_p: float = 1.0
    seed: int | None = None
    # A GBNF grammar the output must follow (tests use it to script a trace through the real engine).
    grammar: str | None = None
    # Keep generating through end-of-generation tokens (benchmarks need exactly max_tokens tokens).
    ignore_eog: bool = False


@dataclass(frozen=True)
class GenerationResult:
    text: str
    finish_reason: FinishReason
    prompt_tokens: int
    reused_prompt_tokens: int
    generated_tokens: int
    ttft_s: float | None
    decode_tok_s: float | None
    error: str | None = None
    # Decode rate of each full window of WINDOW_TOKENS generated tokens: flat when nothing slows down.
    window_tok_s: list[float] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


TextCallback = Callable[[str], None]


@dataclass(frozen=True)
class BatchJob:
    """One sequence of a batched generation: the caller's id for it and what to generate."""

    key: str  # the caller's id for this sequence (a problem id, "sample-3", ...); unique within a batch
    request: GenerationRequest  # its own prompt, max_tokens, temperature, top_p, seed, grammar


# (job key, text piece) as the job's text streams; pieces of different jobs interleave.
BatchTextCallback = Callable[[str, str], None]
# A job finished (its slot is free again); called once per job, cancelled and failed ones included.
BatchDoneCallback = Callable[[str, GenerationResult], None]


class Engine(Protocol):
    """What the CLI and the GUI's engine worker need from an engine (real or scripted)."""

    @property
    def load_report(self) -> LoadReport | None: ...

    def load(self, options: LoadOptions) -> LoadReport:
        """Load a model (replacing the current one), telling `options.on_progress` how far it got."""
        ...

    def generate(
        self, request: GenerationRequest, on_text: TextCallback | None = None
    ) -> GenerationResult: ...

    def generate_batch(
        self,
        jobs: Sequence[BatchJob],
        *,
        parallel: int,
        on_text: BatchTextCallback | None = None,
        on_done: BatchDoneCallback | None = None,
    ) -> dict[str, GenerationResult]:
        """Generate every job, up to `parallel` sequences at a time (continuous batching).

        When a job ends (end of generation, its max tokens, its own error) `on_done` hears its result and
        the next waiting job takes its slot. `cancel()` ends every job within one step ("cancelled", jobs
        that had not started included). A job's result is what `generate` would give for its request
        alone (meta tokens as text); the return value holds every job's result by key.
        """
        ...

    def cancel(self) -> None: ...

    def unload(self) -> None: ...


def check_batch(jobs: Sequence[BatchJob], parallel: int) -> None:
    """Raise ValueError for a batch no engine can run: no slot, or two jobs under one key."""
    if parallel < 1:
        raise ValueError(f"parallel must be at least 1, not {parallel}")
    keys = [job.key for job in jobs]
    if len(set(keys)) != len(keys):
        duplicates = sorted({key for key in keys if keys.count(key) > 1})
        raise ValueError(f"every job of a batch needs its own key; repeated: {', '.join(duplicates)}")
