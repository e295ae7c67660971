"""The real engine: Satori (or any GGUF) run by llama.cpp through llama-cpp-python's low-level API.

Why not `Llama.create_completion`: it detokenizes with special=False (the COAT tokens vanish), re-decodes the
whole completion on every token (O(n^2)), and `Llama.detokenize` cuts pieces longer than 32 bytes. So this
module runs its own loop on the C API: tokenize with special=True, one `llama_decode` per token on a batch
that is allocated once, llama.cpp's sampler chain, pieces with special=True through a buffer that grows,
and an incremental UTF-8 decoder so a character split across tokens is never broken.

The loop is the hot path (it must stay within a few percent of llama.cpp's own decode speed): every per-token
step is a direct ctypes call bound to a local name, pieces are cached per token id, and nothing in it copies
the logits. The abort callback (which llama.cpp's CPU backend calls once per graph node) is installed only
while the prompt is processed; between generated tokens a plain flag is checked instead.

Loading reports progress through llama.cpp's own progress callback (called per tensor on the loading
thread), and a load that fails says why in terms of what to try: a file llama.cpp cannot read, or memory
that runs out for the weights or for the context (the error lines llama.cpp logs during the load tell
which), after the offload fallback has already tried fewer GPU layers and the CPU only.

Threading: every method except `cancel()` must be called from the one thread that owns the engine (the
thread that loaded the model). Native memory is freed there only: `unload()` from another thread is a bug
and raises, and an engine that is garbage-collected elsewhere with a model still loaded leaves the memory
to the process's exit (with a warning in the log) rather than freeing it on the wrong thread.
"""

from __future__ import annotations

import codecs
import contextlib
import ctypes
import itertools
import logging
import os
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from satori_desktop.core.errors import UserFacingError
from satori_desktop.core.model_format import (
    FORMAT_NOTES,
    SATORI_PROMPTING,
    ModelPrompting,
    detect_reasoning_format,
    messages_of,
)
from satori_desktop.engine.backends import (
    cpu_fallback_sentence,
    ensure_backends_loaded,
    load_backend_modules,
    runtime_report,
)
from satori_desktop.engine.gguf_header import GgufHeader, read_gguf_header, shown_text
from satori_desktop.engine.types import (
    DEFAULT_MAX_NEW_TOKENS,
    WINDOW_TOKENS,
    Backend,
    BatchDoneCallback,
    BatchJob,
    BatchTextCallback,
    FinishReason,
    GenerationRequest,
    GenerationResult,
    LoadOptions,
    LoadProgressCallback,
    LoadReport,
    TextCallback,
    check_batch,
)

if TYPE_CHECKING:
    from satori_desktop.engine.batched import BatchContext

log = logging.getLogger(__name__)

COAT_TOKEN_TEXTS = ("<|continue|>", "<|reflect|>", "<|explore|>")
STOP_TOKEN_TEXTS = ("<|im_end|>", "<|endoftext|>")
SATORI_ARCHITECTURE = "qwen2"
# Prompt tokens per llama_decode call (and per micro-batch): also how often a cancel is noticed at the
# latest while a long prompt is processed on a GPU backend, which does not call the abort callback.
PROMPT_BATCH = 512
# Cap of the default context for models trained on very long contexts: memory for the KV cache grows with it.
DEFAULT_N_CTX_CAP = 8192
_PIECE_BUFFER_START = 64
# Share of a load's progress that reading the weights takes; creating the context and checking the
# vocabulary fill the rest.
WEIGHTS_SHARE = 0.95

_llama: Any = None  # the llama_cpp module, imported on first load (it loads a large native library)
_log_callback: Any = None  # kept alive: llama.cpp holds a raw pointer to it
# Error lines llama.cpp logs while a load runs (None when no load listens): they say why a load failed.
_native_errors: list[str] | None = None


def _llama_cpp() -> Any:
    """Import llama_cpp once and route llama.cpp's log lines into our log instead of stderr."""
    global _llama, _log_callback
    if _llama is None:
        native_log = logging.getLogger("llama.cpp")

        # ggml_log_level: 1 debug, 2 info, 3 warn, 4 error, 5 continues the previous line's level.
        levels = {1: logging.DEBUG, 2: logging.DEBUG, 3: logging.WARNING, 4: logging.ERROR}
        last_level = [logging.DEBUG]

        def forward(level: int, text: bytes, _user_data: ctypes.c_void_p) -> None:
            python_level = last_level[0] if level == 5 else levels.get(level, logging.DEBUG)
            last_level[0] = python_level
            errors = _native_errors
            if errors is not None and python_level >= logging.ERROR:
                errors.append(text.decode("utf-8", errors="replace").strip())
            if native_log.isEnabledFor(python_level):
                native_log.log(python_level, "%s", text.decode("utf-8", errors="replace").rstrip())

        # A release build's backends are loaded before llama_cpp is imported: loaded after it, a CUDA
        # backend crashed every model load (engine/backends.py says what was measured).
        load_backend_modules(forward)
        import llama_cpp

        _log_callback = llama_cpp.llama_log_callback(forward)
        llama_cpp.llama_log_set(_log_callback, ctypes.c_void_p(0))
        ensure_backends_loaded()  # a build whose modules load_backend_modules could not find beforehand
        llama_cpp.llama_backend_init()
        _llama = llama_cpp
    return _llama


def llama_cpp_module() -> Any:
    """The llama_cpp module, loaded the engine's way: its log routed into ours, its backends loaded."""
    return _llama_cpp()


@contextlib.contextmanager
def _native_errors_logged() -> Iterator[list[str]]:
    """Collect the error lines llama.cpp logs inside the block (one load at a time listens)."""
    global _native_errors
    collected: list[str] = []
    _native_errors = collected
    try:
        yield collected
    finally:
        _native_errors = None


class _LoadProgress:
    """Passes a load's progress on: never backwards (an offload retry starts over below what was shown),
    never twice the same value, and never raising into llama.cpp (an exception in a ctypes callback would
    abort the load): a failing callback is logged and not called again."""

    def __init__(self, on_progress: LoadProgressCallback | None) -> None:
        self._on_progress = on_progress
        self._shown = -1.0

    def report(self, fraction: float) -> None:
        if self._on_progress is None:
            return
        fraction = min(1.0, max(0.0, fraction))
        if fraction <= self._shown:
            return
        self._shown = fraction
        try:
            self._on_progress(fraction)
        except Exception:
            log.exception("the load progress callback failed; no more progress is reported for this load")
            self._on_progress = None


@dataclass(frozen=True)
class LoadFailure:
    """Why the last attempt of a load failed, for the sentence the user reads."""

    step: str  # "model" (reading the weights) or "context" (memory for the context and its KV cache)
    native_errors: tuple[str, ...] = ()

    @property
    def out_of_memory(self) -> bool:
        markers = ("alloc", "out of memory", "memory")
        return self.step == "context" or any(
            marker in line.lower() for line in self.native_errors for marker in markers
        )

    @property
    def reason(self) -> str:
        """What llama.cpp said went wrong with the file, one line without its function names."""
        for line in self.native_errors:
            _, found, reason = line.partition("error loading model:")
            if found:
                reason = reason.strip()
                # "check_tensor_dims: tensor 'x' has wrong shape; ..." -> "tensor 'x' has wrong shape; ..."
                head, colon, rest = reason.partition(": ")
                if colon and head.replace("_", "").isalnum() and " " not in head:
                    reason = rest
                return " ".join(reason.split())[:160]
        return ""


def load_failed_sentence(
    file_name: str,
    failure: LoadFailure,
    *,
    n_ctx: int,
    tried_gpu: bool,
    file_size: int | None = None,
    free_ram: int | None = None,
) -> str:
    """The one sentence a failed load shows: what happened and what to try, once the offload fallback has
    tried fewer GPU layers and the CPU only (`tried_gpu`) or the CPU only was asked for."""
    from satori_desktop.engine.hardware import format_bytes

    where = "not even with fewer GPU layers or on the CPU only" if tried_gpu else "on the CPU only"
    if failure.step == "context":
        return (
            f"{file_name} loaded, but there is not enough memory for a {n_ctx:,}-token context, {where}: "
            "choose a smaller context size in the settings or a smaller quantisation, or close other "
            "programs and try again."
        )
    if failure.out_of_memory:
        figures = []
        if file_size:
            figures.append(f"the file is {format_bytes(file_size)}")
        if free_ram is not None:
            figures.append(f"{format_bytes(free_ram)} of RAM is free")
        numbers = f" ({', '.join(figures)})" if figures else ""
        return (
            f"There is not enough memory to load {file_name}{numbers}, {where}: choose a smaller "
            "quantisation (such as Q4_K_S), or close other programs and try again."
        )
    said = f' (llama.cpp says: "{failure.reason}")' if failure.reason else ""
    return (
        f"llama.cpp could not load {file_name}{said}: the file may be damaged or made for another version "
        "of llama.cpp; download it again or choose another quantisation."
    )


TOP_K_BEFORE_TOP_P = 100


def default_n_threads() -> int:
    """Decode threads: one per physical core. Hyper-threads slow llama.cpp's decode, and Python cannot see
    the physical count portably, so assume two logical CPUs per core on machines with four or more."""
    logical = os.cpu_count() or 1
    return max(1, logical // 2 if logical >= 4 else logical)


def backend_name(gpu_layers: int) -> Backend:
    """The backend the weights run on: the build's GPU backend when any layer is offloaded, else CPU."""
    if gpu_layers <= 0:
        return "CPU"
    info = _llama_cpp().llama_print_system_info().decode("utf-8", errors="replace")
    for name, marker in (("CUDA", "CUDA"), ("Metal", "METAL"), ("Metal", "MTL"), ("Vulkan", "VULKAN")):
        if marker in info.upper():
            return name  # type: ignore[return-value]
    return "CPU"


def choose_gpu_layers(header: GgufHeader, n_ctx: int, requested: int | None) -> int:
    """llama.cpp's n_gpu_layers for this model: all layers when they fit, else what free VRAM allows.

    The switch point for the offload policy; the estimates live in `engine.memory` and the machine's
    figures in `engine.hardware`. Without offload support in the build the answer is always 0.
    """
    llama = _llama_cpp()
    if not llama.llama_supports_gpu_offload():
        return 0
    n_layers = header.arch_int("block_count")
    if requested is not None:
        return max(0, min(requested, n_layers + 1))
    from satori_desktop.engine.hardware import probe_hardware
    from satori_desktop.engine.memory import layers_that_fit

    free_vram = probe_hardware().usable_vram_bytes
    if free_vram is None:  # no figure (e.g. no NVML): try a full offload, the OOM fallback catches a miss
        return n_layers + 1
    return layers_that_fit(header.model_shape(), n_ctx, free_vram)


@dataclass
class _Loaded:
    model: Any  # llama_model_p
    ctx: Any  # llama_context_p
    vocab: Any  # llama_vocab_p
    n_ctx: int
    stop_ids: frozenset[int]
    # Greedy chain that runs inside the model's graph (argmax on the GPU): None when not used.
    backend_greedy: Any = None
    backend_greedy_attached: bool = False
    # Chains attached once and detached since: llama.cpp initialises a chain for the graph only once (a
    # second llama_set_sampler with it aborts), so a re-attach takes a fresh one; freed after the context.
    backend_greedy_used: list[Any] = field(default_factory=list)


class LlamaEngine:
    """Loads one GGUF model and generates from it with its own token loop (see the module docstring)."""

    def __init__(self) -> None:
        self._loaded: _Loaded | None = None
        self._progress_callback: Any = None  # kept alive while llama.cpp loads (it holds a raw pointer)
        self._report: LoadReport | None = None
        self._cancel = threading.Event()
        # Tokens whose K/V are in the context's memory, position i at index i (for prefix reuse).
        self._evaluated: list[int] = []
        self._pieces: dict[int, bytes] = {}
        self._piece_buf = ctypes.create_string_buffer(_PIECE_BUFFER_START)
        self._abort_callback: Any = None
        self._owner_thread: int | None = None  # the thread that loaded the model, which must free it
        self._batch_context: BatchContext | None = None  # generate_batch's context, kept for the next batch

    # -- loading ---------------------------------------------------------------------------------------

    @property
    def load_report(self) -> LoadReport | None:
        return self._report

    def load(self, options: LoadOptions) -> LoadReport:
        """Load a model (replacing the current one); bad files and out-of-memory raise UserFacingError.

        `options.on_progress` hears 0.0 first, then llama.cpp's progress through the weights, and 1.0 once
        the model is ready; a load that fails stops short of 1.0 and raises.
        """
        progress = _LoadProgress(options.on_progress)
        progress.report(0.0)
        path = Path(options.model_path).expanduser()
        header = read_gguf_header(path)
        self.unload()
        llama = _llama_cpp()
        n_ctx_train = header.arch_int("context_length")
        n_ctx = options.n_ctx or (
            min(n_ctx_train, DEFAULT_N_CTX_CAP) if n_ctx_train > 0 else DEFAULT_MAX_NEW_TOKENS
        )
        warnings: list[str] = []
        if n_ctx_train > 0 and n_ctx > n_ctx_train:
            warnings.append(
                f"The context ({n_ctx} tokens) is longer than the model was trained for ({n_ctx_train}); "
                "answers may degrade past that point."
            )
        wanted_layers = choose_gpu_layers(header, n_ctx, options.gpu_layers)
        n_threads = options.n_threads or default_n_threads()

        model = ctx = None
        failure: LoadFailure | None = None
        gpu_layers = wanted_layers
        for attempt in _offload_attempts(wanted_layers):
            gpu_layers = attempt
            model, ctx, failure = self._try_load(llama, path, n_ctx, gpu_layers, n_threads, progress)
            if failure is None:
                break
            log.warning("loading %s with %d GPU layers failed: %s", path.name, gpu_layers, failure)
        if model is None or ctx is None:
            if header.architecture not in _known_architectures():
                # Names from the file go through shown_text: a damaged header may hold a newline or 1 MiB.
                raise UserFacingError(
                    f"This version of llama.cpp cannot run {shown_text(path.name)} "
                    f"(architecture '{shown_text(header.architecture)}'); "
                    "choose a model of a supported architecture such as qwen2."
                )
            from satori_desktop.engine.hardware import probe_hardware

            raise UserFacingError(
                load_failed_sentence(
                    shown_text(path.name),
                    failure or LoadFailure("model"),
                    n_ctx=n_ctx,
                    tried_gpu=wanted_layers > 0,
                    file_size=path.stat().st_size,
                    free_ram=probe_hardware().free_ram_bytes or None,
                )
            )
        runtime = runtime_report()
        fallback = cpu_fallback_sentence(runtime) if gpu_layers == 0 else None
        if fallback is not None:
            warnings.append(fallback)
        if gpu_layers < wanted_layers:
            where = f"{gpu_layers} layers on the GPU" if gpu_layers > 0 else "the CPU only"
            warnings.append(
                f"The GPU ran out of memory for {wanted_layers} layers, so the model runs with {where}: "
                "generation will be slower; a smaller quantisation or a smaller context fits more of it on "
                "the GPU."
            )

        vocab = llama.llama_model_get_vocab(model)
        self._loaded = _Loaded(model=model, ctx=ctx, vocab=vocab, n_ctx=n_ctx, stop_ids=frozenset())
        self._owner_thread = threading.get_ident()
        if _use_backend_sampling(gpu_layers):
            chain = llama.llama_sampler_chain_init(llama.llama_sampler_chain_default_params())
            llama.llama_sampler_chain_add(chain, llama.llama_sampler_init_greedy())
            self._loaded.backend_greedy = chain
        stop_ids = {ids[0] for ids in map(self._tokenize, STOP_TOKEN_TEXTS) if len(ids) == 1}
        self._loaded.stop_ids = frozenset(stop_ids)
        is_satori = all(self._is_single_control_token(text) for text in COAT_TOKEN_TEXTS)
        architecture = header.architecture
        prompting = self._prompting(header, path, is_satori, warnings)
        if architecture != SATORI_ARCHITECTURE or not is_satori:
            warnings.append(
                f"This model ({shown_text(architecture)}"
                + ("" if is_satori else ", without the COAT tokens")
                + ") is not Satori: answers work, "
                + FORMAT_NOTES[prompting.reasoning_format]
            )
        total_layers = int(llama.llama_model_n_layer(model))
        self._report = LoadReport(
            model_path=path,
            backend=backend_name(gpu_layers),
            gpu_layers=min(gpu_layers, total_layers + 1),
            total_layers=total_layers,
            n_ctx=int(llama.llama_n_ctx(ctx)),
            n_ctx_train=int(llama.llama_model_n_ctx_train(model)),
            architecture=architecture,
            is_satori=is_satori,
            warnings=warnings,
            cpu_variant=runtime.cpu_variant,
            prompting=prompting,
        )
        log.info("loaded %s: %s", path, self._report.to_dict())
        progress.report(1.0)
        return self._report

    def _prompting(
        self, header: GgufHeader, path: Path, is_satori: bool, warnings: list[str]
    ) -> ModelPrompting:
        """How this model is prompted and read (core/model_format.py); notes for the load report."""
        template = header.metadata.get(CHAT_TEMPLATE_KEY)
        template = template if isinstance(template, str) else ""
        reasoning_format = detect_reasoning_format(
            is_satori=is_satori,
            name=header.name or path.stem,
            chat_template=template,
            has_token=self._is_single_control_token,  # any single token, in fact
        )
        if reasoning_format == "coat":
            return SATORI_PROMPTING
        from satori_desktop.core.chat_template import ChatTemplateError, render_chat_template

        bos = self._special_text(header, "tokenizer.ggml.bos_token_id")
        add_bos = header.metadata.get("tokenizer.ggml.add_bos_token") is True
        eos = self._special_text(header, "tokenizer.ggml.eos_token_id")
        if not template:
            warnings.append(
                "This model has no chat template, so the app asks it in plain text; its answers may be "
                "weaker than in its own chat format."
            )
        else:
            try:  # a template is untrusted input: one that is refused falls back to plain text
                render_chat_template(
                    template, messages_of([("1 + 1?", None)]), bos_token=bos if add_bos else "", eos_token=eos
                )
            except ChatTemplateError as exc:
                warnings.append(str(exc))
                template = ""
        return ModelPrompting(reasoning_format, template, bos if add_bos else "", eos)

    def _special_text(self, header: GgufHeader, key: str) -> str:
        token = header.metadata.get(key)
        if isinstance(token, bool) or not isinstance(token, int) or token < 0:
            return ""
        try:
            return self._piece(token).decode("utf-8", errors="replace")
        except Exception:  # an id outside the vocabulary: no such token
            return ""

    def _try_load(
        self, llama: Any, path: Path, n_ctx: int, gpu_layers: int, n_threads: int, progress: _LoadProgress
    ) -> tuple[Any, Any, LoadFailure | None]:
        """One attempt: the weights with `gpu_layers` offloaded, then the context; None or why it failed."""

        def on_weights(fraction: float, _user_data: ctypes.c_void_p) -> bool:
            progress.report(WEIGHTS_SHARE * fraction)  # never raises: an exception here aborts the load
            return True  # go on loading

        model_params = llama.llama_model_default_params()
        model_params.n_gpu_layers = gpu_layers
        self._progress_callback = llama.llama_progress_callback(on_weights)
        model_params.progress_callback = self._progress_callback
        try:
            with _native_errors_logged() as errors:
                model = llama.llama_model_load_from_file(str(path).encode("utf-8"), model_params)
        finally:
            self._progress_callback = None
        if not model:
            return None, None, LoadFailure("model", tuple(errors))
        ctx_params = llama.llama_context_default_params()
        ctx_params.n_ctx = n_ctx
        ctx_params.n_batch = PROMPT_BATCH
        ctx_params.n_ubatch = PROMPT_BATCH
        ctx_params.n_threads = n_threads
        ctx_params.n_threads_batch = max(n_threads, os.cpu_count() or 1)
        ctx_params.no_perf = True
        with _native_errors_logged() as errors:
            ctx = llama.llama_init_from_model(model, ctx_params)
        if not ctx:
            llama.llama_model_free(model)
            return None, None, LoadFailure("context", tuple(errors))
        return model, ctx, None

    def unload(self) -> None:
        if self._loaded is not None and threading.get_ident() != self._owner_thread:
            raise RuntimeError("LlamaEngine.unload() called from a thread that does not own the model")
        loaded, self._loaded = self._loaded, None
        self._report = None
        self._evaluated = []
        self._pieces = {}
        batch_context, self._batch_context = self._batch_context, None
        if batch_context is not None:
            batch_context.close()
        if loaded is not None:
            llama = _llama_cpp()
            llama.llama_free(loaded.ctx)
            if loaded.backend_greedy is not None:  # after the context, which points at it
                llama.llama_sampler_free(loaded.backend_greedy)
            for chain in loaded.backend_greedy_used:
                llama.llama_sampler_free(chain)
            llama.llama_model_free(loaded.model)

    def __del__(self) -> None:
        # Native memory must not outlive the engine when the owner forgets unload(), but only the owner
        # thread may free it: collected anywhere else, the memory is left to the process's exit.
        if self._loaded is None:
            return
        if threading.get_ident() != self._owner_thread:
            with contextlib.suppress(Exception):
                log.warning("an engine with a loaded model was dropped off its thread; its memory is kept")
            return
        with contextlib.suppress(Exception):  # at interpreter exit llama_cpp may already be gone
            self.unload()

    # -- tokens ----------------------------------------------------------------------------------------

    def _tokenize(self, text: str) -> list[int]:
        loaded = self._require_loaded()
        llama = _llama_cpp()
        data = text.encode("utf-8")
        capacity = len(data) + 8
        while True:
            buf = (llama.llama_token * capacity)()
            n = llama.llama_tokenize(loaded.vocab, data, len(data), buf, capacity, False, True)
            if n >= 0:
                return list(buf[:n])
            capacity = -n

    def tokenize(self, text: str) -> list[int]:
        """Token ids of `text`, special tokens written as text included (for callers that count tokens)."""
        return self._tokenize(text)

    def _is_single_control_token(self, text: str) -> bool:
        ids = self._tokenize(text)
        return len(ids) == 1 and self._piece(ids[0]) == text.encode("utf-8")

    def _piece(self, token: int) -> bytes:
        """The bytes of one token, special tokens spelt out; the buffer grows when a piece does not fit."""
        loaded = self._require_loaded()
        llama = _llama_cpp()
        buf = self._piece_buf
        n = llama.llama_token_to_piece(loaded.vocab, token, buf, len(buf), 0, True)
        if n < 0:
            self._piece_buf = buf = ctypes.create_string_buffer(-n)
            n = llama.llama_token_to_piece(loaded.vocab, token, buf, len(buf), 0, True)
        return buf.raw[: max(n, 0)]

    def _require_loaded(self) -> _Loaded:
        if self._loaded is None:
            raise UserFacingError("No model is loaded; load a GGUF model first.")
        return self._loaded

    # -- generation ------------------------------------------------------------------------------------

    def cancel(self) -> None:
        """Stop the running generation within one token (or during prompt processing). Any thread."""
        self._cancel.set()

    def generate(self, request: GenerationRequest, on_text: TextCallback | None = None) -> GenerationResult:
        loaded = self._require_loaded()
        llama = _llama_cpp()
        t_start = time.perf_counter()
        self._cancel.clear()
        prompt = self._tokenize(request.prompt)
        if not prompt:
            raise UserFacingError("The question is empty; type a question first.")
        if len(prompt) >= loaded.n_ctx:
            raise UserFacingError(
                f"The question is too long: it takes {len(prompt)} tokens and the model's context holds "
                f"{loaded.n_ctx}; shorten it or start a new conversation."
            )
        sampler = self._make_sampler(request)
        self._attach_backend_greedy(llama, loaded, request.grammar is None and request.temperature <= 0.0)
        try:
            return self._run(loaded, llama, sampler, prompt, request, on_text, t_start)
        finally:
            llama.llama_sampler_free(sampler)

    def generate_batch(
        self,
        jobs: Sequence[BatchJob],
        *,
        parallel: int,
        on_text: BatchTextCallback | None = None,
        on_done: BatchDoneCallback | None = None,
    ) -> dict[str, GenerationResult]:
        """Up to `parallel` jobs decoded together in a batch context of their own (engine/batched.py).

        The single-answer context and its KV-prefix reuse are not touched. A job that cannot run (its
        prompt does not fit, its grammar does not parse, a failed decode) ends alone with a sentence.
        """
        from satori_desktop.engine import batched

        check_batch(jobs, parallel)
        loaded = self._require_loaded()
        llama = _llama_cpp()
        self._cancel.clear()
        n_ctx_train = int(llama.llama_model_n_ctx_train(loaded.model))
        parts = batched.EngineParts(
            llama=llama,
            model=loaded.model,
            vocab=loaded.vocab,
            stop_ids=loaded.stop_ids,
            n_seq_tokens=n_ctx_train if n_ctx_train > 0 else loaded.n_ctx,
            n_threads=int(llama.llama_n_threads(loaded.ctx)),
            # Its steps hold several tokens, which llama.cpp runs on n_threads_batch: decode threads (one
            # per physical core), not the prompt's count of every logical CPU.
            n_threads_batch=int(llama.llama_n_threads(loaded.ctx)),
            backend_sampling=loaded.backend_greedy is not None,
            tokenize=self._tokenize,
            piece=self._cached_piece,
            make_sampler=self._make_sampler,
            cancel=self._cancel,
        )
        prepared = batched.prepare_jobs(parts, jobs)
        parallel = max(1, min(parallel, len(prepared)))
        on_gpu = self._report is not None and self._report.gpu_layers > 0
        unified = batched.kv_unified(on_gpu=on_gpu)
        n_seq, pad = batched.padded_shape(
            parallel, batched.pad_from(self._report.backend if self._report else "CPU", unified=unified)
        )
        n_ctx = batched.context_size(
            [batched.job_need(job, parts.n_seq_tokens) for job in prepared], n_seq, unified=unified
        )
        context = self._batch_context
        if context is not None and not context.fits(n_ctx, n_seq, unified=unified, pad_from=pad):
            self._batch_context = None
            context.close()
            context = None
        if context is None:
            try:
                with _native_errors_logged():
                    context = batched.BatchContext(
                        parts, n_ctx=n_ctx, n_seq_max=n_seq, unified=unified, pad_from=pad
                    )
            except MemoryError:
                log.exception("no batch context for %d sequences", parallel)
                sentence = batched.no_room_sentence(n_ctx, parallel)
                results: dict[str, GenerationResult] = {}
                for job in prepared:
                    results[job.job.key] = GenerationResult(
                        "", "error", len(job.tokens), 0, 0, None, None, error=job.error or sentence
                    )
                    if on_done is not None:
                        on_done(job.job.key, results[job.job.key])
                return results
            self._batch_context = context
        return batched.BatchRun(parts, context, prepared, parallel, on_text, on_done).run()

    def _cached_piece(self, token: int) -> bytes:
        piece = self._pieces.get(token)
        if piece is None:
            piece = self._pieces[token] = self._piece(token)
        return piece

    def _make_sampler(self, request: GenerationRequest) -> Any:
        llama = _llama_cpp()
        loaded = self._require_loaded()
        chain = llama.llama_sampler_chain_init(llama.llama_sampler_chain_default_params())
        if request.grammar is not None:
            grammar = llama.llama_sampler_init_grammar(loaded.vocab, request.grammar.encode("utf-8"), b"root")
            if not grammar:
                llama.llama_sampler_free(chain)
                raise ValueError("the grammar could not be parsed (see the llama.cpp log)")
            llama.llama_sampler_chain_add(chain, grammar)
        if request.temperature <= 0.0:
            llama.llama_sampler_chain_add(chain, llama.llama_sampler_init_greedy())
        else:
            if request.top_p < 1.0:
                # Top-p sorts every candidate: over Qwen's 152k-token vocabulary that cost more than a
                # decode step (self-consistency k=2 took 3.6x one greedy answer on the CPU, measured).
                # Keeping the TOP_K_BEFORE_TOP_P most likely first (a partial sort) leaves top-p the same
                # nucleus whenever it holds fewer tokens, which for a math model at p = 0.8 it does.
                llama.llama_sampler_chain_add(chain, llama.llama_sampler_init_top_k(TOP_K_BEFORE_TOP_P))
                llama.llama_sampler_chain_add(chain, llama.llama_sampler_init_top_p(request.top_p, 1))
            llama.llama_sampler_chain_add(chain, llama.llama_sampler_init_temp(request.temperature))
            seed = request.seed if request.seed is not None else llama.LLAMA_DEFAULT_SEED
            llama.llama_sampler_chain_add(chain, llama.llama_sampler_init_dist(seed & 0xFFFFFFFF))
        return chain

    @staticmethod
    def _attach_backend_greedy(llama: Any, loaded: _Loaded, wanted: bool) -> None:
        """Let the graph pick greedy tokens itself (no 600 KB logits scan per token on the host).

        `llama_sampler_sample` returns the token the graph chose and skips the host-side chain, so the
        chain a request built stays the single source of truth for everything else (grammar, sampling).
        """
        if loaded.backend_greedy is None or wanted == loaded.backend_greedy_attached:
            return
        if not wanted:
            llama.llama_set_sampler(loaded.ctx, 0, None)
            loaded.backend_greedy_attached = False
            loaded.backend_greedy_used.append(loaded.backend_greedy)
            chain = llama.llama_sampler_chain_init(llama.llama_sampler_chain_default_params())
            llama.llama_sampler_chain_add(chain, llama.llama_sampler_init_greedy())
            loaded.backend_greedy = chain  # fresh, for the next greedy request
            return
        attached = llama.llama_set_sampler(loaded.ctx, 0, loaded.backend_greedy if wanted else None)
        loaded.backend_greedy_attached = bool(wanted and attached)
        if wanted and not attached:
            log.info("backend sampling is not available here; sampling on the host")
            llama.llama_set_sampler(loaded.ctx, 0, None)
            llama.llama_sampler_free(loaded.backend_greedy)
            loaded.backend_greedy = None

    def _reuse_prefix(self, llama: Any, loaded: _Loaded, prompt: Sequence[int]) -> int:
        """Keep the K/V of the longest common prefix with what was evaluated last; drop the rest."""
        previous = self._evaluated
        limit = min(len(previous), len(prompt) - 1)  # the last prompt token is always evaluated (logits)
        common = 0
        while common < limit and previous[common] == prompt[common]:
            common += 1
        memory = llama.llama_get_memory(loaded.ctx)
        if not llama.llama_memory_seq_rm(memory, 0, common, -1):
            llama.llama_memory_clear(memory, True)  # memory that cannot drop a suffix (recurrent models)
            common = 0
        del self._evaluated[common:]
        return common

    def _forget_unevaluated(self, llama: Any, loaded: _Loaded) -> None:
        """After an abort or error, make the memory hold exactly `self._evaluated` again."""
        memory = llama.llama_get_memory(loaded.ctx)
        if not llama.llama_memory_seq_rm(memory, 0, len(self._evaluated), -1):
            llama.llama_memory_clear(memory, True)
            self._evaluated = []

    def _evaluate_prompt(self, llama: Any, loaded: _Loaded, tokens: Sequence[int]) -> int:
        """Decode prompt tokens in batches with the abort callback installed; llama_decode's status."""
        cancel_flag = self._cancel

        def should_abort(_data: ctypes.c_void_p) -> bool:
            return self._should_abort(cancel_flag)

        self._abort_callback = llama.ggml_abort_callback(should_abort)
        llama.llama_set_abort_callback(loaded.ctx, self._abort_callback, None)
        try:
            for start in range(0, len(tokens), PROMPT_BATCH):
                if cancel_flag.is_set():
                    return 2
                chunk = tokens[start : start + PROMPT_BATCH]
                array = (llama.llama_token * len(chunk))(*chunk)
                status = int(llama.llama_decode(loaded.ctx, llama.llama_batch_get_one(array, len(chunk))))
                if status != 0:
                    return status
                self._evaluated.extend(chunk)
            return 0
        finally:
            llama.llama_set_abort_callback(loaded.ctx, llama.ggml_abort_callback(), None)
            self._abort_callback = None

    def _should_abort(self, cancel_flag: threading.Event) -> bool:
        """Asked by llama.cpp (on its compute thread) while the prompt is processed."""
        return cancel_flag.is_set()

    def _run(
        self,
        loaded: _Loaded,
        llama: Any,
        sampler: Any,
        prompt: list[int],
        request: GenerationRequest,
        on_text: TextCallback | None,
        t_start: float,
    ) -> GenerationResult:
        reused = self._reuse_prefix(llama, loaded, prompt)
        status = self._evaluate_prompt(llama, loaded, prompt[reused:])
        if status != 0:
            self._forget_unevaluated(llama, loaded)
            if status == 2 or self._cancel.is_set():
                return GenerationResult("", "cancelled", len(prompt), reused, 0, None, None)
            return self._failed(prompt, reused, status)

        limit = min(request.max_tokens, loaded.n_ctx - len(prompt))
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        parts: list[str] = []
        finish: FinishReason = "length"
        error: str | None = None
        generated = 0
        t_first: float | None = None
        t_last = t_start

        # The hot loop: local names for everything it touches per token.
        ctx, vocab = loaded.ctx, loaded.vocab
        sample = llama.llama_sampler_sample
        decode = llama.llama_decode
        is_eog = llama.llama_vocab_is_eog
        stop_ids = loaded.stop_ids
        check_eog = not request.ignore_eog
        cancelled = self._cancel.is_set
        pieces = self._pieces
        piece_of = self._piece
        decode_text = decoder.decode
        append_text = parts.append
        evaluated = self._evaluated
        remember = evaluated.append
        token_buf = (llama.llama_token * 1)()
        batch = llama.llama_batch_get_one(token_buf, 1)
        clock = time.perf_counter
        marks: list[float] = []  # time of tokens 1, 1 + WINDOW_TOKENS, 1 + 2 * WINDOW_TOKENS, ...
        mark = marks.append
        window_mask = WINDOW_TOKENS - 1

        while generated < limit:
            if cancelled():
                finish = "cancelled"
                break
            token = sample(sampler, ctx, -1)
            if t_first is None:
                t_first = clock()
            if check_eog and (token in stop_ids or is_eog(vocab, token)):
                finish = "stop"
                break
            generated += 1
            if (generated & window_mask) == 1:
                mark(clock())
            piece = pieces.get(token)
            if piece is None:
                piece = pieces[token] = piece_of(token)
            text = decode_text(piece)
            if text:
                append_text(text)
                if on_text is not None:
                    on_text(text)
            if generated >= limit:
                break  # this token's K/V is not needed: no one reads the logits after it
            token_buf[0] = token
            status = decode(ctx, batch)
            if status != 0:
                finish, error = "error", _decode_failed_sentence(status)
                self._forget_unevaluated(llama, loaded)
                break
            remember(token)
        t_last = clock()
        tail = decoder.decode(b"", final=True)
        if tail:
            parts.append(tail)
            if on_text is not None:
                on_text(tail)
        if finish == "length" and self._cancel.is_set() and generated < limit:
            finish = "cancelled"
        decode_rate = None
        if t_first is not None and generated > 1 and t_last > t_first:
            decode_rate = (generated - 1) / (t_last - t_first)
        return GenerationResult(
            text="".join(parts),
            finish_reason=finish,
            prompt_tokens=len(prompt),
            reused_prompt_tokens=reused,
            generated_tokens=generated,
            ttft_s=None if t_first is None else t_first - t_start,
            decode_tok_s=decode_rate,
            error=error,
            window_tok_s=window_rates(marks, generated, t_last),
        )

    def _failed(self, prompt: list[int], reused: int, status: int) -> GenerationResult:
        message = (
            "The model's memory is full: there is no room in the context for this question; "
            "start a new conversation or choose a larger context size."
            if status == 1
            else f"llama.cpp could not read the question (llama_decode status {status}); try again, "
            "and if it repeats, load the model with fewer GPU layers or on the CPU only."
        )
        return GenerationResult("", "error", len(prompt), reused, 0, None, None, error=message)


def _decode_failed_sentence(status: int) -> str:
    if status == 1:
        return (
            "The model's memory is full, so the answer stopped here; start a new conversation or choose a "
            "larger context size."
        )
    return (
        f"llama.cpp stopped with an error while writing the answer (llama_decode status {status}); try "
        "again, and if it repeats, load the model with fewer GPU layers or on the CPU only."
    )


def window_rates(marks: list[float], generated: int, t_last: float) -> list[float]:
    """Decode rate per window of WINDOW_TOKENS tokens from the times of tokens 1, 1 + WINDOW_TOKENS, ...;
    a last, partial window counts when it holds at least half a window."""
    rates = [WINDOW_TOKENS / (b - a) for a, b in itertools.pairwise(marks) if b > a]
    if marks:
        rest = generated - 1 - WINDOW_TOKENS * (len(marks) - 1)
        if rest >= WINDOW_TOKENS // 2 and t_last > marks[-1]:
            rates.append(rest / (t_last - marks[-1]))
    return rates


def _use_backend_sampling(gpu_layers: int) -> bool:
    """Sampling inside the graph (greedy answers, and every batched sequence without a grammar): on by
    default with a GPU (where the host-side scan of the logits is a measurable share of each token);
    SATORI_BACKEND_SAMPLING=1 or 0 forces it on or off."""
    setting = os.environ.get("SATORI_BACKEND_SAMPLING", "auto").strip().lower()
    if setting in ("1", "on", "true"):
        return True
    if setting in ("0", "off", "false"):
        return False
    return gpu_layers > 0


def _offload_attempts(wanted: int) -> list[int]:
    """GPU layer counts to try in order: the choice, then half, then CPU only (out-of-memory fallback)."""
    attempts = [wanted]
    if wanted > 1:
        attempts.append(wanted // 2)
    if wanted > 0:
        attempts.append(0)
    return attempts


CHAT_TEMPLATE_KEY = "tokenizer.chat_template"


def _known_architectures() -> frozenset[str]:
    # A short list of what every recent llama.cpp runs; anything else may be the reason a load failed.
    return frozenset({"qwen2", "qwen3", "llama", "mistral", "gemma", "gemma2", "gemma3", "phi3", "qwen2moe"})
