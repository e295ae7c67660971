"""Batched multi-sequence generation: many answers decoded together in one llama.cpp context.

On a GPU one answer leaves most of the hardware idle; decoding k sequences in one `llama_decode` per step
costs little more than one. This module runs `LlamaEngine.generate_batch` on its own `llama_context`, made
from the loaded model with `n_seq_max` slots and the KV layout chosen for the hardware (the high-level
`Llama` can set neither), so the single-answer context, its KV-prefix reuse and its hot loop stay exactly
as they were. On the CPU the sequences share one unified KV cache; on a GPU each has its own (`kv_unified`
says why), and the batch is laid out as `BatchRun._fill_batch_per_seq` says. What follows is the unified
layout; the per-sequence one differs where its docstrings say.

How a batch runs (continuous batching with chunked prefill, as llama-server does):

* Up to `parallel` jobs hold a slot (a sequence id). Each step is one `llama_batch`: the next token of
  every decoding slot (with logits), then as many prompt tokens of newly started slots as fit in
  `PROMPT_BATCH` (logits only on a prompt's last token), then one `llama_decode`.
* Prompt sharing: jobs that start together with the same prompt form one prefill unit whose tokens go
  into the batch once with every member's sequence id (llama.cpp's examples/batched); all members then
  sample from that one set of logits with their own samplers. A job that starts later copies the longest
  prompt prefix it has in common with a live slot or with a finished job's kept prompt
  (`llama_memory_seq_cp`: in a unified cache the cells are shared, not duplicated) and evaluates only
  the rest, so the k-th solution of a question, or the instruction every problem of a set starts with,
  is evaluated once.
* Each slot has its own sampler chain (the engine's `_make_sampler`: grammar, temperature, top-p, its
  own seed), its own incremental UTF-8 decoder and its own end-of-generation check. A slot that ends
  drops its answer's cells (`llama_memory_seq_rm`; its prompt's cells stay until the sequence is
  reused, as a donor) and its slot goes to the next waiting job at once.
* Where the single-answer path samples greedy tokens in the graph (GPU), every slot without a grammar
  does: a greedy slot gets a backend greedy chain for its sequence (all of them share one argmax over the
  step's logits: engine/row_argmax.py), a sampled slot its own whole chain
  (top-k, top-p, temperature, dist with its seed; `llama_set_sampler`), so the host neither copies nor
  scans any sequence's logits. Grammar slots sample on the host. A shared prompt's last token then goes
  into the batch once per member (the graph samples an output row with its first sequence's chain only),
  so every member draws its first token with its own chain.

Sizing: a job needs its prompt plus its max tokens, cut to the model's trained context (`n_ctx_train`,
or the loaded context where the model does not say): a job whose prompt alone does not fit fails alone
with a sentence, and one whose prompt plus max tokens does not fit stops at the end of its context with
finish reason "length", exactly as `generate` does. The context holds the `parallel` largest needs at
once, so a live slot can never run out of cells; if memory for that context cannot be found, every job
fails with a sentence that says to solve fewer at a time or to allow fewer tokens.
"""

from __future__ import annotations

import array
import codecs
import ctypes
import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from satori_desktop.engine.row_argmax import RowArgmax
from satori_desktop.engine.types import (
    WINDOW_TOKENS,
    BatchDoneCallback,
    BatchJob,
    BatchTextCallback,
    FinishReason,
    GenerationRequest,
    GenerationResult,
)

log = logging.getLogger(__name__)

# Tokens per step (and per llama_decode micro-batch): the decoding slots' next tokens first, prompt
# tokens of starting slots in the rest. The single-answer path's prompt batch, for the same reason.
PROMPT_BATCH = 512
# Cells rounded up to this multiple (llama.cpp pads the KV cache to 256 anyway).
CONTEXT_ROUNDING = 256
# llama.cpp's CUDA backend multiplies a step of up to this many rows by the quantised weights with its
# matrix-vector kernel (mmvq, MMVQ_MAX_BATCH_SIZE in ggml-cuda), and a larger step with its matrix-matrix
# kernel (mmq), whose cost hardly grows with the rows: on an H200 llama-batched-bench's step of 8
# sequences took longer than one of 16. See `pad_from`.
MMVQ_MAX_ROWS = 8
PADDED_ROWS = MMVQ_MAX_ROWS + 1
DEFAULT_PAD_FROM = 8  # CUDA's; see pad_from


@dataclass(frozen=True)
class EngineParts:
    """What a batch needs of the loaded engine, handed over by `LlamaEngine.generate_batch`."""

    llama: Any  # the llama_cpp module
    model: Any  # llama_model_p
    vocab: Any  # llama_vocab_p
    stop_ids: frozenset[int]
    n_seq_tokens: int  # the most tokens one sequence may hold (prompt plus answer)
    n_threads: int
    n_threads_batch: int
    backend_sampling: bool  # slots sample in the graph (as the single-answer path's greedy ones do on a GPU)
    tokenize: Callable[[str], list[int]]
    piece: Callable[[int], bytes]  # the bytes of a token, special tokens spelt out (cached)
    make_sampler: Callable[[GenerationRequest], Any]  # a llama_sampler chain the caller frees
    cancel: threading.Event


class BatchContext:
    """A llama_context with `n_seq_max` sequences in one unified KV cache, and the batch it decodes.

    Kept by the engine between batches of the same shape (creating a large KV cache costs time) and
    freed on unload, on the engine's thread.
    """

    def __init__(
        self, parts: EngineParts, *, n_ctx: int, n_seq_max: int, unified: bool, pad_from: int = 0
    ) -> None:
        llama = parts.llama
        self.llama = llama
        self.n_ctx = n_ctx
        self.n_seq_max = n_seq_max
        self.unified = unified
        # Decode steps of pad_from..MMVQ_MAX_ROWS rows get filler rows up to PADDED_ROWS (0: none do);
        # `padded_shape` gave n_seq_max the sequences those rows need.
        self.pad_from = pad_from
        # With a cache per sequence every sequence below the highest decoding one has a row each step (see
        # BatchRun._fill_batch_per_seq), so prompt tokens get PROMPT_BATCH on top of those rows.
        self.capacity = max(PROMPT_BATCH, n_seq_max) if self.unified else PROMPT_BATCH + n_seq_max
        params = llama.llama_context_default_params()
        params.n_ctx = n_ctx
        params.n_batch = self.capacity
        params.n_ubatch = self.capacity
        params.n_seq_max = n_seq_max
        params.kv_unified = self.unified
        params.n_threads = parts.n_threads
        params.n_threads_batch = parts.n_threads_batch
        params.no_perf = True
        self.ctx = llama.llama_init_from_model(parts.model, params)
        if not self.ctx:
            raise MemoryError(f"llama.cpp could not create a {n_ctx}-token context for {n_seq_max} sequences")
        self.memory = llama.llama_get_memory(self.ctx)
        # What the graph samples for each sequence (by seq id): "greedy" (a backend greedy chain, kept
        # from one greedy job to the next: each change makes llama.cpp re-plan the graph) or "sampled" (the
        # job's own chain). llama.cpp initialises a chain for the graph once (attaching one a second time
        # aborts), and a graph it keeps may still point at a chain detached since, so every chain ever
        # attached is kept here and freed after the context.
        self.backend_greedy = parts.backend_sampling
        self.backend_sampled = parts.backend_sampling
        # Greedy sequences share one argmax over the step's logits (engine/row_argmax.py), or each has
        # llama.cpp's own greedy sampler.
        self.row_argmax: RowArgmax | None = None
        if self.backend_greedy and one_argmax_for_rows():
            try:
                self.row_argmax = RowArgmax(llama)
            except (OSError, RuntimeError, AttributeError):
                log.warning("no ggml library to build one argmax for every row; one per sequence instead")
        self.attached: dict[int, str] = {}
        self.chains: list[Any] = []
        self.tokens: dict[int, tuple[bytes, bool]] = {}  # a token's bytes and whether it ends generation
        self.batch = llama.llama_batch_init(self.capacity, 0, n_seq_max)

    def fits(self, n_ctx: int, n_seq_max: int, *, unified: bool, pad_from: int = 0) -> bool:
        return (
            self.n_seq_max == n_seq_max
            and n_ctx <= self.n_ctx
            and self.unified == unified
            and self.pad_from == pad_from
        )

    def attach(self, seq: int, request: GenerationRequest, sampler: Any) -> bool:
        """Let the graph sample `seq`'s tokens for `request` where it can; True when the context took
        `sampler` (a sampled job's chain, which then samples in the graph and must not be freed)."""
        if request.grammar is not None:
            self._detach(seq)
        elif request.temperature <= 0.0:
            self._attach_greedy(seq)
        elif self.backend_sampled:
            if self.llama.llama_set_sampler(self.ctx, seq, sampler):
                self.chains.append(sampler)
                self.attached[seq] = "sampled"
                return True
            log.info("sampled batched sequences cannot sample in the graph here; sampling them on the host")
            self.backend_sampled = False
            self.attached.pop(seq, None)
            self.llama.llama_set_sampler(self.ctx, seq, None)
        else:
            self._detach(seq)
        return False

    def _detach(self, seq: int) -> None:
        if self.attached.pop(seq, None) is not None:
            self.llama.llama_set_sampler(self.ctx, seq, None)

    def _attach_greedy(self, seq: int) -> None:
        if not self.backend_greedy:
            self._detach(seq)
            return
        if self.attached.get(seq) == "greedy":
            return
        llama = self.llama
        if self.row_argmax is not None:
            chain = self.row_argmax.chain()
        else:
            chain = llama.llama_sampler_chain_init(llama.llama_sampler_chain_default_params())
            llama.llama_sampler_chain_add(chain, llama.llama_sampler_init_greedy())
        self.chains.append(chain)
        if llama.llama_set_sampler(self.ctx, seq, chain):
            self.attached[seq] = "greedy"
        else:
            log.info("backend sampling is not available for batched sequences; sampling on the host")
            self.attached.pop(seq, None)
            llama.llama_set_sampler(self.ctx, seq, None)
            self.backend_greedy = False

    def close(self) -> None:
        llama = self.llama
        llama.llama_batch_free(self.batch)
        llama.llama_free(self.ctx)
        for chain in self.chains:  # after the context, which points at them
            llama.llama_sampler_free(chain)
        self.chains = []
        self.row_argmax = None  # after the chains, whose samplers call into it


@dataclass
class _Job:
    job: BatchJob
    tokens: list[int]
    error: str | None = None


@dataclass(slots=True)
class _Slot:
    """A job holding a sequence id: its sampler, decoder and what it produced so far."""

    key: str
    seq: int
    prompt: list[int]
    limit: int
    sampler: Any
    check_eog: bool
    t_start: float
    owns_sampler: bool = True  # False: the context took it (it samples in the graph), the context frees it
    reused: int = 0
    undecoded: bytes = b""  # the start of a character whose other bytes are still to come
    parts: list[str] = field(default_factory=list)
    generated: int = 0
    position: int = 0  # where the next token of this sequence goes
    pending: int = -1  # the sampled token to decode in the next step
    sample_index: int = -1  # the index of this step's logits for this slot, -1 for none
    decoding: bool = False  # its prompt is in, it samples every step
    t_first: float | None = None
    marks: list[float] = field(default_factory=list)


@dataclass
class _Prefill:
    """Prompt tokens still to go into the batch, shared by every slot in `slots` (same prompt)."""

    tokens: list[int]
    cursor: int  # tokens already in the sequences' cells (copied from a donor, or decoded)
    slots: list[_Slot]
    started: bool = False  # tokens of it have gone into a batch: no one joins any more
    # With a cache per sequence, slots after the first take a whole copy of the first's cache once it holds
    # all but the prompt's last token, which each then decodes in its own row.
    whole_copy: bool = False


def context_size(needs: Sequence[int], parallel: int, *, unified: bool) -> int:
    """Cells for the `parallel` largest needs at once, rounded up as llama.cpp pads the cache (with a
    cache per sequence, `parallel` times the largest need)."""
    if not unified:
        largest = max(needs, default=0) or 1
        return parallel * (-(-largest // CONTEXT_ROUNDING) * CONTEXT_ROUNDING)
    total = sum(sorted(needs, reverse=True)[:parallel]) or 1
    return -(-total // CONTEXT_ROUNDING) * CONTEXT_ROUNDING


def kv_unified(on_gpu: bool) -> bool:
    """Whether a batch keeps one KV cache for all its sequences, or a cache per sequence.

    A cache per sequence (llama-batched-bench's default layout) on a GPU: each token attends only to its
    own sequence's cells and llama.cpp builds a mask that small, so on an H200 a step of 16 greedy
    sequences took 8.3 ms instead of 9.2 (benchmarks/batched_step_anatomy.py, docs/benchmarks.md). Prompts
    are still shared where it counts: jobs that start together with one prompt take a whole copy of the
    first one's cache, and a job reuses the prompt its sequence kept from the job before. One cache on
    the CPU, where a step costs the same either way (benchmarks/batched_cpu.sh) and where evaluating a
    prompt is dear, so any live or finished sequence can lend its prompt's cells to another.
    SATORI_BATCH_KV_UNIFIED=1 or 0 forces one cache or a cache per sequence."""
    setting = os.environ.get("SATORI_BATCH_KV_UNIFIED", "auto").strip().lower()
    if setting in ("1", "on", "true"):
        return True
    if setting in ("0", "off", "false"):
        return False
    return not on_gpu


def one_argmax_for_rows() -> bool:
    """Whether greedy sequences sampled in the graph share one argmax kernel (engine/row_argmax.py).
    SATORI_BATCH_ROW_ARGMAX=0 gives each llama.cpp's own greedy sampler."""
    return os.environ.get("SATORI_BATCH_ROW_ARGMAX", "1").strip().lower() not in ("0", "off", "false")


def pad_from(backend: str, *, unified: bool) -> int:
    """The fewest rows of a decode step that are padded with filler rows to PADDED_ROWS (0: never).

    With a cache per sequence on CUDA a step of up to MMVQ_MAX_ROWS rows runs the matrix-vector kernel,
    whose cost grows with every row, and one of PADDED_ROWS the matrix-matrix kernel. On an H200
    (docs/benchmarks.md, "padding") 8 sequences padded to 9 rows decoded 1,013 tok/s against 925 unpadded,
    and 8 sampled solutions took 4.57 s instead of 4.99; at 7 rows padding only broke even (881 against
    874) and at 5 and 6 it lost (660 against 752, 773 against 827), so only steps of 8 rows are padded.
    Filler rows cost a cell each, in sequences of their own. Other GPUs choose their kernels otherwise,
    Metal among them: no padding there until it is measured. SATORI_BATCH_PAD_FROM=N pads steps of N to
    MMVQ_MAX_ROWS rows (any backend, a cache per sequence), 0 never."""
    setting = os.environ.get("SATORI_BATCH_PAD_FROM", "").strip()
    if unified:
        return 0
    if setting:
        try:
            return max(0, int(setting))
        except ValueError:
            log.warning("SATORI_BATCH_PAD_FROM=%r is not a whole number; not padding", setting)
            return 0
    return DEFAULT_PAD_FROM if backend == "CUDA" else 0


def padded_shape(parallel: int, pad: int) -> tuple[int, int]:
    """The sequences a batch context needs for `parallel` slots, and the padding it can do (`pad_from`'s
    `pad`, or 0 where no step can have `pad` rows): padded steps need PADDED_ROWS sequences."""
    if 0 < pad <= min(parallel, MMVQ_MAX_ROWS):
        return max(parallel, PADDED_ROWS), pad
    return parallel, 0


def no_room_sentence(n_ctx: int, parallel: int) -> str:
    return (
        f"There is not enough memory for {parallel} answers at once (a {n_ctx:,}-token context): solve "
        "fewer at a time or allow fewer tokens per answer, then try again."
    )


class BatchRun:
    """One `generate_batch` call on a `BatchContext` (see the module docstring)."""

    def __init__(
        self,
        parts: EngineParts,
        context: BatchContext,
        jobs: Sequence[_Job],
        parallel: int,
        on_text: BatchTextCallback | None,
        on_done: BatchDoneCallback | None,
    ) -> None:
        self.parts = parts
        self.context = context
        self.waiting = deque(jobs)
        self.parallel = parallel
        self.on_text = on_text
        self.on_done = on_done
        self.results: dict[str, GenerationResult] = {}
        self.slots: list[_Slot] = []  # live slots in the order they started
        self.prefills: list[_Prefill] = []
        self.free_seqs = list(range(parallel - 1, -1, -1))  # clean ones taken from the end: 0 first
        # Free sequences that still hold the prompt of the job that finished there (its cells, positions
        # 0..len-1): a donor for the jobs that start next, which may share all or part of it.
        self.retired: dict[int, list[int]] = {}
        self._abort_callback: Any = None
        self._rows: list[int] = []  # the sequences whose next tokens the batch's first rows were set for
        self._fillers: list[tuple[int, int]] = []  # (sequence, position) of this step's filler rows

    # -- the loop --------------------------------------------------------------------------------------

    def run(self) -> dict[str, GenerationResult]:
        llama = self.parts.llama
        ctx = self.context.ctx
        cancel = self.parts.cancel
        llama.llama_memory_clear(self.context.memory, True)
        try:
            while self.waiting or self.slots:
                self._admit()
                if not self.slots:
                    continue  # every admitted job failed before it started; admit the next ones
                if cancel.is_set():
                    break
                if self.context.unified:
                    in_batch, has_prompt = self._fill_batch()
                else:
                    in_batch, has_prompt = self._fill_batch_per_seq()
                status = self._decode(ctx, has_prompt)
                if status != 0:
                    if status == 2 or cancel.is_set():
                        break
                    sentence = decode_failed_sentence(status)
                    for slot in in_batch:
                        self._finish(slot, "error", sentence)
                    continue
                self._sample()
            for slot in list(self.slots):
                self._finish(slot, "cancelled")
            while self.waiting:
                job = self.waiting.popleft()
                self._done(job.job.key, GenerationResult("", "cancelled", len(job.tokens), 0, 0, None, None))
        finally:
            for slot in self.slots:  # only after an exception (a callback that raised)
                if slot.owns_sampler:
                    llama.llama_sampler_free(slot.sampler)
            self.slots = []
            llama.llama_memory_clear(self.context.memory, True)
        return self.results

    def _admit(self) -> None:
        """Give free slots to waiting jobs, sharing prompt evaluation where prompts agree."""
        parts = self.parts
        while self.waiting and self.free_seqs:
            job = self.waiting.popleft()
            key, request = job.job.key, job.job.request
            if job.error is not None:
                self._done(key, _failed(len(job.tokens), job.error))
                continue
            try:
                sampler = parts.make_sampler(request)
            except ValueError:
                self._done(key, _failed(len(job.tokens), "The grammar of this request could not be parsed."))
                continue
            prompt = job.tokens
            seq = self._pick_seq(prompt)
            in_graph = self.context.attach(seq, request, sampler)
            slot = _Slot(
                key=key,
                seq=seq,
                prompt=prompt,
                limit=min(request.max_tokens, parts.n_seq_tokens - len(prompt)),
                sampler=sampler,
                check_eog=not request.ignore_eog,
                t_start=time.perf_counter(),
                owns_sampler=not in_graph,
            )
            self.slots.append(slot)
            self._share_prompt(slot)

    def _pick_seq(self, prompt: Sequence[int]) -> int:
        """A free sequence id: the one whose kept prompt shares most with `prompt`, else a clean one."""
        best, chosen = 0, -1
        for seq in self.free_seqs:
            kept = self.retired.get(seq)
            if kept is not None:
                common = _common_prefix(kept, prompt, min(len(kept), len(prompt) - 1))
                if common > best:
                    best, chosen = common, seq
        if chosen < 0:
            clean = [seq for seq in self.free_seqs if seq not in self.retired]
            if not self.context.unified:  # the lowest: every free sequence below a decoding one costs a row
                chosen = min(clean or self.free_seqs)
            else:
                chosen = clean[-1] if clean else self.free_seqs[-1]
        self.free_seqs.remove(chosen)
        return chosen

    def _share_prompt(self, slot: _Slot) -> None:
        """Put into `slot`'s sequence the longest prompt prefix already evaluated, and plan the rest."""
        llama, memory = self.parts.llama, self.context.memory
        prompt, seq = slot.prompt, slot.seq
        kept = self.retired.pop(seq, None)
        unified = self.context.unified
        for prefill in self.prefills:  # the same prompt started together: evaluated once
            if not prefill.started and prefill.tokens == prompt:
                if kept is not None:
                    llama.llama_memory_seq_rm(memory, seq, -1, -1)
                if not unified:  # its cache becomes a whole copy of the first slot's (_copy_whole)
                    prefill.whole_copy = True
                    prefill.slots.append(slot)
                    slot.reused = len(prompt) - 1
                    return
                if prefill.cursor > 0:  # the cells its first slot already holds
                    llama.llama_memory_seq_cp(memory, prefill.slots[0].seq, seq, 0, prefill.cursor)
                prefill.slots.append(slot)
                slot.reused = len(prompt)
                return
        # Else the longest prefix of a prompt whose cells are there: a live slot's (as far as it is
        # evaluated), a finished job's kept prompt, this sequence's own included. The last prompt token
        # is always evaluated here: its logits are needed.
        limit = len(prompt) - 1
        donors: list[tuple[int, Sequence[int], int]] = []
        if unified:
            donors += [
                (
                    other.seq,
                    other.prompt,
                    len(other.prompt) if other.decoding else self._evaluated_prompt(other),
                )
                for other in self.slots
                if other is not slot
            ]
            donors += [(other_seq, tokens, len(tokens)) for other_seq, tokens in self.retired.items()]
        if kept is not None:
            donors.append((seq, kept, len(kept)))
        best, donor = 0, -1
        for other_seq, tokens, evaluated in donors:
            common = _common_prefix(tokens, prompt, min(evaluated, limit))
            if common > best:
                best, donor = common, other_seq
        if donor == seq:
            llama.llama_memory_seq_rm(memory, seq, best, -1)  # keep its own prefix, drop the rest
        else:
            if kept is not None:
                llama.llama_memory_seq_rm(memory, seq, -1, -1)
            if best > 0:
                llama.llama_memory_seq_cp(memory, donor, seq, 0, best)
        slot.reused = best
        self.prefills.append(_Prefill(tokens=prompt, cursor=best, slots=[slot]))

    def _evaluated_prompt(self, slot: _Slot) -> int:
        for prefill in self.prefills:
            if slot in prefill.slots:
                return prefill.cursor
        return 0

    def _fill_batch(self) -> tuple[list[_Slot], bool]:
        """This step's batch: every decoding slot's next token, then prompt tokens as room allows."""
        batch = self.context.batch
        token, pos, n_seq_id, seq_id, logits = _arrays(batch)
        decoding: list[_Slot] = []
        for slot in self.slots:
            slot.sample_index = -1
            if slot.decoding:
                decoding.append(slot)
        n = len(decoding)
        # Rows 0..n-1 hold the decoding slots' next tokens. Their sequence ids, counts and logits flags
        # stay as the last step wrote them while the same sequences decode in the same order (prompt
        # tokens only ever go in after them): then only tokens and positions are written, in bulk.
        seqs = [slot.seq for slot in decoding]
        if seqs != self._rows:
            for i, seq in enumerate(seqs):
                n_seq_id[i] = 1
                seq_id[i][0] = seq
                logits[i] = 1
            self._rows = seqs
        if n:
            tokens = array.array("i", [slot.pending for slot in decoding])
            positions = array.array("i", [slot.position for slot in decoding])
            ctypes.memmove(token, tokens.buffer_info()[0], 4 * n)
            ctypes.memmove(pos, positions.buffer_info()[0], 4 * n)
            for i, slot in enumerate(decoding):
                slot.sample_index = i
                slot.position += 1
        in_batch = decoding
        has_prompt = False
        room = self.context.capacity - n
        for prefill in list(self.prefills):
            if room <= 0:
                break
            members = prefill.slots
            remaining = len(prefill.tokens) - prefill.cursor
            # Each member's own copy of the last token, when the graph would sample a shared one with
            # the first member's chain only.
            extra = len(members) - 1 if len(members) > 1 and self._split_last(members) else 0
            if remaining + extra <= room:
                take, completes = remaining, True
            else:
                take, completes = min(room, remaining - 1 if extra else remaining), False
                if take <= 0:
                    break
            shared = take - 1 if completes and extra else take
            seqs = [slot.seq for slot in members]
            for i in range(prefill.cursor, prefill.cursor + shared):
                token[n] = prefill.tokens[i]
                pos[n] = i
                n_seq_id[n] = len(seqs)
                ids = seq_id[n]
                for j, seq in enumerate(seqs):
                    ids[j] = seq
                logits[n] = 0
                n += 1
            prefill.cursor += take
            prefill.started = True
            room -= take + (extra if completes else 0)
            has_prompt = True
            in_batch.extend(members)
            if completes:
                if extra:
                    last = len(prefill.tokens) - 1
                    for slot in members:
                        token[n] = prefill.tokens[last]
                        pos[n] = last
                        n_seq_id[n] = 1
                        seq_id[n][0] = slot.seq
                        logits[n] = 1
                        slot.sample_index = n
                        n += 1
                else:
                    logits[n - 1] = 1
                    for slot in members:
                        slot.sample_index = n - 1
                for slot in members:
                    slot.position = len(prefill.tokens)
                    slot.decoding = True
                self.prefills.remove(prefill)
        batch.n_tokens = n
        return in_batch, has_prompt

    def _fill_batch_per_seq(self) -> tuple[list[_Slot], bool]:
        """This step's batch with a cache per sequence: rows in sequence order with no id missing.

        llama.cpp splits such a batch (llama_batch_allocr::split_equal, "sequential") into micro-batches of
        consecutive sequence ids, one token each, and each micro-batch is a pass over all the weights. So
        the rows go in sequence order, and every sequence below the highest one with a token has a row: a
        free or waiting sequence gets a filler token (no logits) after its own cells, taken out again at
        the next step. Prompt tokens beyond a sequence's first go into micro-batches of their own."""
        llama, memory = self.parts.llama, self.context.memory
        for seq, position in self._fillers:
            llama.llama_memory_seq_rm(memory, seq, position, -1)
        self._fillers = []
        for prefill in [p for p in self.prefills if p.whole_copy and p.cursor >= len(p.tokens) - 1]:
            self._copy_whole(prefill)
        decoding: dict[int, _Slot] = {}
        for live in self.slots:
            live.sample_index = -1
            if live.decoding:
                decoding[live.seq] = live
        room = self.context.capacity - self.context.n_seq_max  # a row for every sequence: decoding, filler
        chunks: dict[int, tuple[_Prefill, int, bool]] = {}  # seq: (prefill, tokens to take, completes)
        for prefill in sorted(self.prefills, key=lambda p: p.slots[0].seq):
            # A prefill whose slots take a whole copy evaluates all but the last token, on its first slot.
            end = len(prefill.tokens) - 1 if prefill.whole_copy else len(prefill.tokens)
            take = min(room, end - prefill.cursor)
            if take > 0:
                chunks[prefill.slots[0].seq] = (
                    prefill,
                    take,
                    not prefill.whole_copy and take == end - prefill.cursor,
                )
                room -= take
        top = max([*decoding, *chunks], default=-1)
        pad = self.context.pad_from
        if pad and pad <= top + 1 <= MMVQ_MAX_ROWS:
            top = PADDED_ROWS - 1  # fillers up to the rows of the matrix-matrix kernel (see pad_from)
        batch = self.context.batch
        token, pos, n_seq_id, seq_id, logits = _arrays(batch)
        in_batch: list[_Slot] = []
        n = 0
        for seq in range(top + 1):
            slot = decoding.get(seq)
            if slot is not None:
                token[n], pos[n], n_seq_id[n], logits[n] = slot.pending, slot.position, 1, 1
                seq_id[n][0] = seq
                slot.sample_index = n
                slot.position += 1
                in_batch.append(slot)
                n += 1
                continue
            chunk = chunks.get(seq)
            if chunk is None:  # free, or waiting for room or for a copy: a filler after its own cells
                position = int(llama.llama_memory_seq_pos_max(memory, seq)) + 1
                token[n], pos[n], n_seq_id[n], logits[n] = 0, position, 1, 0
                seq_id[n][0] = seq
                self._fillers.append((seq, position))
                n += 1
                continue
            prefill, take, completes = chunk
            for i in range(prefill.cursor, prefill.cursor + take):
                token[n], pos[n], n_seq_id[n], logits[n] = prefill.tokens[i], i, 1, 0
                seq_id[n][0] = seq
                n += 1
            prefill.cursor += take
            prefill.started = True
            in_batch.extend(prefill.slots)
            if completes:
                logits[n - 1] = 1
                (starting,) = prefill.slots
                starting.sample_index = n - 1
                starting.position = len(prefill.tokens)
                starting.decoding = True
                self.prefills.remove(prefill)
        batch.n_tokens = n
        return in_batch, bool(chunks)

    def _copy_whole(self, prefill: _Prefill) -> None:
        """Give every slot after the first a copy of the first's cache, which holds all of the prompt but its
        last token (llama.cpp copies between caches only whole, when the next decode begins); each slot
        then decodes that last token on its own, with its own sampler."""
        llama, memory = self.parts.llama, self.context.memory
        first, *others = prefill.slots
        for slot in others:
            llama.llama_memory_seq_rm(memory, slot.seq, -1, -1)
            llama.llama_memory_seq_cp(memory, first.seq, slot.seq, -1, -1)
        self.prefills.remove(prefill)
        for slot in prefill.slots:
            self.prefills.append(
                _Prefill(tokens=prefill.tokens, cursor=prefill.cursor, slots=[slot], started=True)
            )

    def _split_last(self, members: Sequence[_Slot]) -> bool:
        """Whether members of one prompt need their own last token: unless none samples in the graph or
        all do greedily (one argmax serves them all), the graph's pick for a shared row is not theirs."""
        attached = self.context.attached
        kinds = {attached.get(slot.seq) for slot in members}
        return kinds != {None} and kinds != {"greedy"}

    def _decode(self, ctx: Any, has_prompt: bool) -> int:
        """One llama_decode; with prompt tokens in it, the abort callback hears a cancel inside it."""
        llama = self.parts.llama
        if not has_prompt:
            return int(llama.llama_decode(ctx, self.context.batch))
        cancel = self.parts.cancel

        def should_abort(_data: ctypes.c_void_p) -> bool:
            return cancel.is_set()

        self._abort_callback = llama.ggml_abort_callback(should_abort)
        llama.llama_set_abort_callback(ctx, self._abort_callback, None)
        try:
            return int(llama.llama_decode(ctx, self.context.batch))
        finally:
            llama.llama_set_abort_callback(ctx, llama.ggml_abort_callback(), None)
            self._abort_callback = None

    def _sample(self) -> None:
        """Every slot with logits in this step takes its next token; slots that end free their cells."""
        parts = self.parts
        sample = parts.llama.llama_sampler_sample
        # A token the graph sampled is read directly: llama_sampler_sample would also ask for the row's
        # probabilities, logits and candidates and then accept the token into chains (greedy; top-k, top-p,
        # temperature, dist) that keep no state from accepted tokens.
        sampled_in_graph = parts.llama.llama_get_sampled_token_ith
        attached = self.context.attached
        ctx = self.context.ctx
        known = self.context.tokens
        on_text = self.on_text
        clock = time.perf_counter
        utf_8_decode = codecs.utf_8_decode
        window_mask = WINDOW_TOKENS - 1
        for slot in [slot for slot in self.slots if slot.sample_index >= 0]:
            if slot.limit <= 0:  # the prompt fills its whole context: nothing to write (as in generate)
                self._finish(slot, "length")
                continue
            token = sampled_in_graph(ctx, slot.sample_index) if slot.seq in attached else -1
            if token < 0:
                token = sample(slot.sampler, ctx, slot.sample_index)
            if slot.t_first is None:
                slot.t_first = clock()
            info = known.get(token)
            if info is None:
                info = known[token] = self._token_info(token)
            if info[1] and slot.check_eog:
                self._finish(slot, "stop")
                continue
            generated = slot.generated = slot.generated + 1
            if (generated & window_mask) == 1:
                slot.marks.append(clock())
            # What codecs' incremental UTF-8 decoder does, without its Python frame per token.
            data = slot.undecoded + info[0]
            text, used = utf_8_decode(data, "replace", False)
            slot.undecoded = data[used:]
            if text:
                slot.parts.append(text)
                if on_text is not None:
                    on_text(slot.key, text)
            if generated >= slot.limit:
                self._finish(slot, "length")
            else:
                slot.pending = token

    def _token_info(self, token: int) -> tuple[bytes, bool]:
        """A token's bytes and whether it ends generation (kept per context: the model's vocabulary)."""
        parts = self.parts
        stop = token in parts.stop_ids or bool(parts.llama.llama_vocab_is_eog(parts.vocab, token))
        return parts.piece(token), stop

    # -- the end of a job ------------------------------------------------------------------------------

    def _finish(self, slot: _Slot, finish: FinishReason, error: str | None = None) -> None:
        from satori_desktop.engine.llama_engine import window_rates

        llama = self.parts.llama
        t_last = time.perf_counter()
        tail = codecs.utf_8_decode(slot.undecoded, "replace", True)[0]
        if tail:
            slot.parts.append(tail)
            if self.on_text is not None:
                self.on_text(slot.key, tail)
        if slot.decoding and finish in ("stop", "length") and self.waiting:
            # Its answer goes, its prompt stays for the next jobs to share (sized in: one job per sequence).
            llama.llama_memory_seq_rm(self.context.memory, slot.seq, len(slot.prompt), -1)
            self.retired[slot.seq] = slot.prompt
        else:
            llama.llama_memory_seq_rm(self.context.memory, slot.seq, -1, -1)
        if slot.owns_sampler:
            llama.llama_sampler_free(slot.sampler)
        self.slots.remove(slot)
        for prefill in list(self.prefills):
            if slot in prefill.slots:
                if prefill.whole_copy and prefill.slots[0] is slot:
                    # What it evaluated was in its own cache; the others' are empty: they start again.
                    prefill.cursor = 0
                    prefill.whole_copy = len(prefill.slots) > 2
                    for other in prefill.slots:
                        other.reused = 0
                prefill.slots.remove(slot)
                if not prefill.slots:
                    self.prefills.remove(prefill)
        self.free_seqs.append(slot.seq)
        rate = None
        if slot.t_first is not None and slot.generated > 1 and t_last > slot.t_first:
            rate = (slot.generated - 1) / (t_last - slot.t_first)
        self._done(
            slot.key,
            GenerationResult(
                text="".join(slot.parts),
                finish_reason=finish,
                prompt_tokens=len(slot.prompt),
                reused_prompt_tokens=slot.reused,
                generated_tokens=slot.generated,
                ttft_s=None if slot.t_first is None else slot.t_first - slot.t_start,
                decode_tok_s=rate,
                error=error,
                window_tok_s=window_rates(slot.marks, slot.generated, t_last),
            ),
        )

    def _done(self, key: str, result: GenerationResult) -> None:
        self.results[key] = result
        if self.on_done is not None:
            self.on_done(key, result)


def prepare_jobs(parts: EngineParts, jobs: Sequence[BatchJob]) -> list[_Job]:
    """Tokenize every prompt; a prompt that is empty or too long for one sequence fails alone."""
    prepared: list[_Job] = []
    for job in jobs:
        tokens = parts.tokenize(job.request.prompt)
        error = None
        if not tokens:
            error = "The question is empty; type a question first."
        elif len(tokens) >= parts.n_seq_tokens:
            error = (
                f"The question is too long: it takes {len(tokens)} tokens and one answer's context holds "
                f"{parts.n_seq_tokens}; shorten it."
            )
        prepared.append(_Job(job, tokens, error))
    return prepared


def job_need(job: _Job, n_seq_tokens: int) -> int:
    """Cells a job can take at most: its prompt and its max tokens, within one sequence's context."""
    if job.error is not None:
        return 0
    return min(len(job.tokens) + job.job.request.max_tokens, n_seq_tokens)


def decode_failed_sentence(status: int) -> str:
    if status == 1:
        return (
            "The model's memory for answers solved together is full, so this answer stopped here; solve "
            "fewer at a time or allow fewer tokens per answer."
        )
    return (
        f"llama.cpp stopped with an error while writing this answer (llama_decode status {status}); try "
        "again, and if it repeats, solve fewer at a time or load the model on the CPU only."
    )


def _arrays(batch: Any) -> tuple[Any, Any, Any, Any, Any]:
    """A llama_batch's arrays, read once per step: each ctypes field access makes a new pointer object."""
    return batch.token, batch.pos, batch.n_seq_id, batch.seq_id, batch.logits


def _failed(prompt_tokens: int, sentence: str) -> GenerationResult:
    return GenerationResult("", "error", prompt_tokens, 0, 0, None, None, error=sentence)


def _common_prefix(a: Sequence[int], b: Sequence[int], limit: int) -> int:
    n = 0
    while n < limit and a[n] == b[n]:
        n += 1
    return n
