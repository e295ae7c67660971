"""A stand-in engine that streams a canned COAT trace, with the same interface as the llama.cpp engine.

The GUI tests and `satori-desktop bench ui` need a producer of model output that is fast, deterministic
and needs no model file, yet behaves like the real engine where the GUI can tell: text arrives piece by
piece (roughly one token each, the COAT meta tokens whole), at a chosen rate or as fast as possible,
`cancel()` from another thread stops it within one piece, a follow-up prompt reuses the prompt prefix it
saw last, and the `GenerationResult` carries real counts and timings of what it streamed. Its
`generate_batch` streams several traces side by side, one piece per live job per step, with the real
engine's continuous batching (a finished job's slot goes to the next waiting one).

It never pretends to be a model: `LoadReport.architecture` is "scripted", and the window says so.
"""

from __future__ import annotations

import logging
import random
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from satori_desktop.engine.types import (
    BatchDoneCallback,
    BatchJob,
    BatchTextCallback,
    FinishReason,
    GenerationRequest,
    GenerationResult,
    LoadOptions,
    LoadReport,
    TextCallback,
    check_batch,
)

log = logging.getLogger(__name__)

SCRIPTED_ARCHITECTURE = "scripted"
SCRIPTED_TOTAL_LAYERS = 28  # Satori-7B's depth, so the status line reads like the real thing
SCRIPTED_N_CTX_TRAIN = 4096
LOAD_STEPS = 4  # progress reports of a load after the first (0.0): 0.25, 0.5, 0.75, 1.0

# A short solution in the shape Satori writes: steps separated by meta tokens, one reflection, one
# exploration after a flaw is found, and a boxed answer at the end.
DEMO_TRACE = (
    "We need the sum of the roots of $x^2 - 5x + 6 = 0$. "
    "By Vieta's formulas, for $ax^2 + bx + c = 0$ the sum of the roots is $-\\frac{b}{a}$."
    "<|continue|>\n"
    "Here $a = 1$ and $b = -5$, so the sum is\n\n$$-\\frac{-5}{1} = 5.$$"
    "<|reflect|>\n"
    "Let me check this by factoring: \\(x^2 - 5x + 6 = (x - 2)(x - 3)\\), so the roots are "
    "$2$ and $3$, and $2 + 3 = 5$. The answer is consistent, but the product of the roots "
    "would be \\(\\frac{c}{a} = 6\\), which is a different quantity."
    "<|explore|>\n"
    "Instead of Vieta, complete the square:\n\n"
    "\\[\n\\begin{aligned}\nx^2 - 5x + 6 &= \\left(x - \\tfrac{5}{2}\\right)^2 - \\tfrac{1}{4}\\\\\n"
    "x &= \\tfrac{5}{2} \\pm \\tfrac{1}{2}\n\\end{aligned}\n\\]\n\n"
    "which gives **2** and **3** again."
    "<|continue|>\n"
    "Therefore, the final answer is: $\\boxed{5}$."
)

# Token-sized pieces: a meta token whole, else a word with its leading space, a single digit (Qwen's
# tokenizer splits numbers digit by digit), a run of punctuation, or whitespace.
_PIECE_RE = re.compile(r"<\|[a-z_]+\|>| ?[A-Za-z]+| ?[0-9]| ?[^\sA-Za-z0-9<]+|<|\s+")


def split_into_pieces(text: str) -> list[str]:
    """Cut text into token-like pieces whose concatenation is exactly `text`."""
    pieces = _PIECE_RE.findall(text)
    assert "".join(pieces) == text, "piece pattern must cover every character"
    return pieces


class ScriptedEngine:
    """Streams canned traces through the `Engine` protocol; thread-safe `cancel()` like the real one.

    `traces` are used in turn, one per `generate` call (a follow-up question gets the next one).
    `tokens_per_second=None` streams as fast as possible; otherwise pieces are paced on an absolute
    schedule so the rate does not drift. `load_seconds` simulates the time a model takes to load.
    """

    def __init__(
        self,
        traces: Sequence[str] | None = None,
        *,
        tokens_per_second: float | None = None,
        load_seconds: float = 0.0,
        n_ctx: int = SCRIPTED_N_CTX_TRAIN,
        splitter: Callable[[str], list[str]] = split_into_pieces,
    ) -> None:
        if tokens_per_second is not None and tokens_per_second <= 0:
            raise ValueError("tokens_per_second must be positive, or None for as fast as possible")
        self._traces = list(traces) if traces else [DEMO_TRACE]
        self._piece_lists = [splitter(trace) for trace in self._traces]
        self._splitter = splitter
        self._tokens_per_second = tokens_per_second
        self._load_seconds = load_seconds
        self._n_ctx = n_ctx
        self._cancel = threading.Event()
        self._load_report: LoadReport | None = None
        self._turn = 0
        self._evaluated: list[str] = []  # the "KV cache": pieces of the last prompt plus its output

    @property
    def load_report(self) -> LoadReport | None:
        return self._load_report

    def set_tokens_per_second(self, tokens_per_second: float | None) -> None:
        """Change the pace between runs (the UI benchmark streams fast, then at a fixed rate)."""
        self._tokens_per_second = tokens_per_second

    def load(self, options: LoadOptions) -> LoadReport:
        # Progress in a few even steps over `load_seconds`, as the real engine reports its tensors.
        on_progress = options.on_progress
        for step in range(LOAD_STEPS + 1):
            if step > 0 and self._load_seconds > 0:
                self._cancel.wait(self._load_seconds / LOAD_STEPS)
            if on_progress is not None:
                try:
                    on_progress(step / LOAD_STEPS)
                except Exception:
                    log.exception("the load progress callback failed; no more progress for this load")
                    on_progress = None
        self._load_report = LoadReport(
            model_path=Path(options.model_path),
            backend="CPU",
            gpu_layers=0,
            total_layers=SCRIPTED_TOTAL_LAYERS,
            n_ctx=options.n_ctx or self._n_ctx,
            n_ctx_train=SCRIPTED_N_CTX_TRAIN,
            architecture=SCRIPTED_ARCHITECTURE,
            is_satori=True,
            warnings=["This is the scripted demo engine: it replays a canned solution, it does not think."],
            display_name="Scripted demo engine (canned answer, no model)",
        )
        self._evaluated = []
        return self._load_report

    def cancel(self) -> None:
        self._cancel.set()

    def unload(self) -> None:
        self._load_report = None
        self._evaluated = []

    def generate(self, request: GenerationRequest, on_text: TextCallback | None = None) -> GenerationResult:
        # A cancel that arrived before this call belongs to an earlier generation, as in the real engine.
        self._cancel.clear()
        if self._load_report is None:
            return _no_model_result()
        started = time.perf_counter()
        prompt_pieces = self._splitter(request.prompt)
        reused = _common_prefix_length(prompt_pieces, self._evaluated)
        pieces = self._piece_lists[self._turn % len(self._piece_lists)]
        self._turn += 1
        room = max(0, self._load_report.n_ctx - len(prompt_pieces))
        limit = min(request.max_tokens, room)

        out: list[str] = []
        finish_reason: str = "stop"
        first_piece_at: float | None = None
        rate = self._tokens_per_second
        for i, piece in enumerate(pieces):
            if self._cancel.is_set():
                finish_reason = "cancelled"
                break
            if i >= limit:
                finish_reason = "length"
                break
            if rate is not None:
                due = started + i / rate
                delay = due - time.perf_counter()
                # Waiting on the event (not sleeping) lets cancel() cut a slow pace short at once.
                if delay > 0 and self._cancel.wait(delay):
                    finish_reason = "cancelled"
                    break
            if first_piece_at is None:
                first_piece_at = time.perf_counter()
            out.append(piece)
            if on_text is not None:
                on_text(piece)
        ended = time.perf_counter()
        self._evaluated = prompt_pieces + out
        decode_tok_s = None
        if first_piece_at is not None and len(out) > 1 and ended > first_piece_at:
            decode_tok_s = (len(out) - 1) / (ended - first_piece_at)
        return GenerationResult(
            text="".join(out),
            finish_reason=finish_reason,  # type: ignore[arg-type]
            prompt_tokens=len(prompt_pieces),
            reused_prompt_tokens=reused,
            generated_tokens=len(out),
            ttft_s=None if first_piece_at is None else first_piece_at - started,
            decode_tok_s=decode_tok_s,
        )

    def generate_batch(
        self,
        jobs: Sequence[BatchJob],
        *,
        parallel: int,
        on_text: BatchTextCallback | None = None,
        on_done: BatchDoneCallback | None = None,
    ) -> dict[str, GenerationResult]:
        """The traces, one per job in order (cycling as `generate` does), streamed side by side.

        Each step gives every live job (at most `parallel`) its next piece; a job that ends hands its slot
        to the next waiting job. `tokens_per_second` paces the steps, so each job streams at that rate.
        Jobs that start together with the same prompt share its evaluation, as in the real engine: the
        first counts it, the others report it reused. The single-answer prefix cache is left as it was.
        """
        check_batch(jobs, parallel)
        self._cancel.clear()
        results: dict[str, GenerationResult] = {}

        def finish(key: str, result: GenerationResult) -> None:
            results[key] = result
            if on_done is not None:
                on_done(key, result)

        if self._load_report is None:
            for job in jobs:
                finish(job.key, _no_model_result())
            return results
        n_ctx = self._load_report.n_ctx
        waiting = deque(jobs)
        live: list[_ScriptedSlot] = []
        started = time.perf_counter()
        rate = self._tokens_per_second
        step = 0
        while waiting or live:
            admitted: dict[str, int] = {}  # prompts started this step -> pieces, for sharing
            while waiting and len(live) < parallel:
                job = waiting.popleft()
                prompt_pieces = self._splitter(job.request.prompt)
                pieces = self._piece_lists[self._turn % len(self._piece_lists)]
                self._turn += 1
                reused = len(prompt_pieces) if job.request.prompt in admitted else 0
                admitted[job.request.prompt] = len(prompt_pieces)
                room = max(0, n_ctx - len(prompt_pieces))
                live.append(
                    _ScriptedSlot(
                        job.key,
                        pieces,
                        min(job.request.max_tokens, room),
                        len(prompt_pieces),
                        reused,
                        time.perf_counter(),
                    )
                )
            if self._cancel.is_set():
                break
            if rate is not None:
                delay = started + step / rate - time.perf_counter()
                if delay > 0 and self._cancel.wait(delay):
                    break
            step += 1
            still_live: list[_ScriptedSlot] = []
            for slot in live:
                if slot.position == len(slot.pieces):
                    finish(slot.key, slot.result("stop"))
                elif slot.position >= slot.limit:
                    finish(slot.key, slot.result("length"))
                else:
                    piece = slot.pieces[slot.position]
                    slot.position += 1
                    if slot.first_piece_at is None:
                        slot.first_piece_at = time.perf_counter()
                    slot.out.append(piece)
                    if on_text is not None:
                        on_text(slot.key, piece)
                    still_live.append(slot)
            live = still_live
        # Cancelled: the live jobs keep what they streamed, the waiting ones end without a piece.
        for slot in live:
            finish(slot.key, slot.result("cancelled"))
        for job in waiting:
            finish(
                job.key,
                GenerationResult("", "cancelled", len(self._splitter(job.request.prompt)), 0, 0, None, None),
            )
        return results


@dataclass
class _ScriptedSlot:
    """A live job of `ScriptedEngine.generate_batch`: its trace and how far it got."""

    key: str
    pieces: list[str]
    limit: int
    prompt_tokens: int
    reused_prompt_tokens: int
    started_at: float
    position: int = 0
    first_piece_at: float | None = None
    out: list[str] = field(default_factory=list)

    def result(self, finish_reason: FinishReason) -> GenerationResult:
        ended = time.perf_counter()
        decode_tok_s = None
        if self.first_piece_at is not None and len(self.out) > 1 and ended > self.first_piece_at:
            decode_tok_s = (len(self.out) - 1) / (ended - self.first_piece_at)
        return GenerationResult(
            text="".join(self.out),
            finish_reason=finish_reason,
            prompt_tokens=self.prompt_tokens,
            reused_prompt_tokens=self.reused_prompt_tokens,
            generated_tokens=len(self.out),
            ttft_s=None if self.first_piece_at is None else self.first_piece_at - self.started_at,
            decode_tok_s=decode_tok_s,
        )


def _no_model_result() -> GenerationResult:
    return GenerationResult(
        text="",
        finish_reason="error",
        prompt_tokens=0,
        reused_prompt_tokens=0,
        generated_tokens=0,
        ttft_s=None,
        decode_tok_s=None,
        error="No model is loaded.",
    )


def _common_prefix_length(a: Sequence[str], b: Sequence[str]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


_SYNTHETIC_SENTENCES = (
    "Let $a_{{{n}}} = {k}n + {m}$ denote the ${n}$-th term, so the difference is ${k}$.",
    "Substituting gives \\( {k}x^2 + {m}x - {n} = 0 \\), a quadratic in $x$.",
    "By the quadratic formula, "
    "$$x = \\frac{{-{m} \\pm \\sqrt{{{m}^2 + 4 \\cdot {k} \\cdot {n}}}}}{{2 \\cdot {k}}}.$$",
    "We also know that **the sum** is $\\sum_{{i=1}}^{{{n}}} i = \\frac{{{n}({n}+1)}}{{2}}$.",
    "A ticket costs $5 and a book $10, which is money, not math.",
    "Consider the system\n\n\\[\n\\begin{{cases}} x + y = {k} \\\\ x - y = {m} \\end{{cases}}\n\\]\n\n"
    "and add the equations.",
    "\n\n- the first case gives $x = {k}$\n- the second gives $y = {m}$\n\n",
    "Thus \\(\\int_0^{{{k}}} t\\,dt = \\frac{{{k}^2}}{{2}}\\), as expected.",
)


def synthetic_trace(target_tokens: int, *, seed: int = 7) -> str:
    """A long COAT trace full of inline/display math, lists and bold text, for benchmarks.

    Steps of a few sentences each, cycling continue/reflect/explore, ending in a boxed answer; exactly
    `target_tokens` pieces long (as `split_into_pieces` counts them). Deterministic for a given seed.
    """
    rng = random.Random(seed)
    actions = ("<|continue|>", "<|continue|>", "<|reflect|>", "<|continue|>", "<|explore|>")
    ending = "<|continue|>\nTherefore, the final answer is: $\\boxed{\\frac{7}{2}}$."
    # The longest sentence is well under this many pieces, so the body never overshoots the target.
    margin = 80
    body: list[str] = []
    count = 0
    step = 0
    while count < target_tokens - margin:
        if step > 0:
            body.append(actions[step % len(actions)] + "\n")
        for _ in range(rng.randint(2, 4)):
            template = rng.choice(_SYNTHETIC_SENTENCES)
            body.append(template.format(n=rng.randint(2, 99), k=rng.randint(2, 9), m=rng.randint(1, 9)) + " ")
        step += 1
        count = len(split_into_pieces("".join(body) + ending))
    # Pad with plain words (one piece each) to land exactly on the target.
    filler = ("we", "now", "combine", "the", "results", "above", "and", "simplify")
    text = "".join(body) + "So"
    i = 0
    while len(split_into_pieces(text + ending)) < target_tokens:
        text += " " + filler[i % len(filler)]
        i += 1
    return text + ending
