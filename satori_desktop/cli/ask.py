"""`satori-desktop ask`: solve one problem in the terminal, streaming the steps as the model writes them.

Ctrl+C cancels the generation cooperatively (the engine stops within a token, or aborts prompt
processing) and the partial solution is still shown; a second Ctrl+C exits at once.

`--samples K` solves the problem K times with sampling (self-consistency, issue 12): the K solutions are
decoded together (`Engine.generate_batch`, one shared prompt), a compact line per solution shows its
progress and answer, and the answers are grouped by equivalence (`checking.grouping`) for the majority.

The hidden option `--scripted-traces FILE` replaces the model with the scripted engine (tests, demos):
FILE is JSON, a list of COAT traces or `{"traces": [...], "tokens_per_second": N}`; `solve` takes it too.
"""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import sys
import time
from pathlib import Path
from types import FrameType
from typing import Any, TextIO

from satori_desktop.cli.terminal import TerminalTranscript
from satori_desktop.core import arguments, keychain
from satori_desktop.core.coat import AnswerFound, StepStarted, TraceBuilder, TranscriptEvent
from satori_desktop.core.errors import UserFacingError
from satori_desktop.core.model_format import parser_for
from satori_desktop.core.prompt import problem_prompt_for
from satori_desktop.core.reasoning import TranscriptParser
from satori_desktop.engine.types import (
    DEFAULT_MAX_NEW_TOKENS,
    BatchJob,
    Engine,
    GenerationRequest,
    GenerationResult,
    LoadOptions,
    LoadReport,
)

MIN_SAMPLES, MAX_SAMPLES = 2, 16
# Qwen2.5-Math's maj@8 settings, the defaults of `--samples` (greedy decoding would give K equal solutions).
SAMPLING_TEMPERATURE = 0.7
SAMPLING_TOP_P = 0.8


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "ask",
        help="solve a math problem in the terminal",
        description="Solve a math problem with Satori, streaming its reasoning steps.",
    )
    parser.add_argument("question", help="the problem, in plain text or LaTeX")
    parser.add_argument("--model", type=Path, help="a GGUF file (default: the default installed model)")
    parser.add_argument(
        "--max-tokens",
        type=arguments.max_tokens,
        default=DEFAULT_MAX_NEW_TOKENS,
        help=f"most tokens to generate (default {DEFAULT_MAX_NEW_TOKENS})",
    )
    add_sampling_options(parser)
    parser.add_argument(
        "--samples",
        type=arguments.whole_number_between(MIN_SAMPLES, MAX_SAMPLES),
        default=None,
        metavar="K",
        help=f"solve it K times ({MIN_SAMPLES} to {MAX_SAMPLES}) and give the answer most solutions agree on "
        f"(sampling at temperature {SAMPLING_TEMPERATURE:g}, top-p {SAMPLING_TOP_P:g} unless given)",
    )
    add_engine_options(parser)
    parser.add_argument(
        "--grammar-file",
        type=Path,
        help="constrain the output with a llama.cpp GBNF grammar (advanced; e.g. a fixed answer format)",
    )
    parser.add_argument(
        "--no-history", action="store_true", help="do not record this answer in the app's history"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object at the end")
    parser.set_defaults(handler=run)


def add_sampling_options(parser: Any) -> None:
    """--temperature, --top-p and --seed, shared with `solve`; None means the command's default."""
    parser.add_argument(
        "--temperature",
        type=arguments.temperature,
        default=None,
        help=f"0 (the default) is greedy; {SAMPLING_TEMPERATURE:g} with --samples",
    )
    parser.add_argument(
        "--top-p",
        type=arguments.top_p,
        default=None,
        help=f"in (0, 1]; 1 (the default) is off; {SAMPLING_TOP_P:g} with --samples",
    )
    parser.add_argument(
        "--seed",
        type=arguments.seed,
        default=None,
        help="for a repeatable sampled answer (with --samples: S, S+1, ... for the solutions)",
    )


def add_engine_options(parser: Any) -> None:
    """--n-ctx, --gpu-layers and the hidden --scripted-traces, shared with `solve`."""
    parser.add_argument("--n-ctx", type=arguments.context_tokens, default=None, help="context size in tokens")
    parser.add_argument(
        "--gpu-layers",
        type=arguments.gpu_layers,
        default=None,
        help="layers to offload: auto (the default), all, or a number (0: CPU only)",
    )
    parser.add_argument(
        "--server",
        dest="servers",
        action="append",
        type=server_url,
        default=None,
        metavar="URL",
        help="use Satori on a shared llama-server or vLLM instead of a local model (repeat the option to "
        "spread the work over several servers); the API key comes from the keychain entry the app saved, "
        f"or from {keychain.ENVIRONMENT}",
    )
    parser.add_argument(
        "--server-model",
        default="",
        metavar="NAME",
        help="the server's name for the model (default: the one model the server offers)",
    )
    parser.add_argument(
        "--server-ca",
        default="",
        metavar="FILE",
        help="for an https server with a certificate of its own: that certificate, or the authority that "
        "signed it, as a PEM file (default: the certificates this system trusts)",
    )
    parser.add_argument("--scripted-traces", type=Path, default=None, help=argparse.SUPPRESS)


def server_url(text: str) -> str:
    """argparse type of --server: a normalised base URL, or the sentence why it is not one."""
    from satori_desktop.engine.remote import normalize_url

    try:
        return normalize_url(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def sampling_settings(args: argparse.Namespace, *, sampled: bool) -> tuple[float, float]:
    """The temperature and top-p to use: what was given, else greedy, else (for several samples of one
    problem) the self-consistency defaults."""
    temperature = args.temperature
    top_p = args.top_p
    if temperature is None:
        temperature = SAMPLING_TEMPERATURE if sampled else 0.0
    if top_p is None:
        top_p = SAMPLING_TOP_P if sampled else 1.0
    return float(temperature), float(top_p)


def sample_seed(seed: int | None, index: int) -> int | None:
    """The seed of the `index`-th solution: S, S+1, ... (wrapping inside the seeds llama.cpp takes)."""
    return None if seed is None else (seed + index) % (arguments.MAX_SEED + 1)


def open_engine(args: argparse.Namespace) -> tuple[Engine, LoadReport, Path]:
    """Load the model the options name (or the scripted engine of --scripted-traces): the engine, its
    load report and the model's path; load warnings go to stderr."""
    engine: Engine
    if args.servers:
        return _open_remote(args)
    if args.scripted_traces is not None:
        from satori_desktop.engine.scripted import ScriptedEngine

        traces, rate = _read_scripted_traces(args.scripted_traces)
        engine = ScriptedEngine(traces, tokens_per_second=rate)
        model_path = args.model or Path("scripted-demo.gguf")
    else:
        model_path = resolve_model_path(args.model)
        from satori_desktop.engine.llama_engine import LlamaEngine

        engine = LlamaEngine()
    report = engine.load(LoadOptions(model_path, n_ctx=args.n_ctx, gpu_layers=args.gpu_layers))
    for warning in report.warnings:
        print(f"satori-desktop: note: {warning}", file=sys.stderr)
    return engine, report, model_path


def _open_remote(args: argparse.Namespace) -> tuple[Engine, LoadReport, Path]:
    """Connect to the servers of --server; a key over plain http to another host is refused here (the
    window asks first; a command line has no one to ask)."""
    from satori_desktop.engine.remote import RemoteEngine, ServerConfig, display_host, sends_key_in_clear

    api_key = keychain.load()
    for url in args.servers:
        if sends_key_in_clear(url, api_key):
            raise UserFacingError(
                f"The API key would travel unencrypted to {display_host(url)} (plain http): use https://, "
                "or connect to it once from the app's server settings and confirm there."
            )
    config = ServerConfig(
        urls=tuple(args.servers), model=args.server_model, api_key=api_key, ca_file=args.server_ca
    )
    engine = RemoteEngine(config)
    report = engine.load(LoadOptions(Path(args.server_model or "server")))
    for warning in report.warnings:
        print(f"satori-desktop: note: {warning}", file=sys.stderr)
    return engine, report, report.model_path


def _read_scripted_traces(path: Path) -> tuple[list[str], float | None]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UserFacingError(f"Could not read the scripted traces {path}: {exc}.") from None
    rate = None
    if isinstance(data, dict):
        rate = data.get("tokens_per_second")
        data = data.get("traces")
    if not isinstance(data, list) or not data or not all(isinstance(t, str) for t in data):
        raise UserFacingError(f"{path} must hold a JSON list of traces (text), or an object with `traces`.")
    if rate is not None and not (isinstance(rate, int | float) and rate > 0):
        raise UserFacingError(f"{path}: `tokens_per_second` must be a positive number.")
    return list(data), None if rate is None else float(rate)


def resolve_model_path(explicit: Path | None) -> Path:
    """The model to use: the one given, else the default installed one, else say how to get one."""
    if explicit is not None:
        return explicit
    from satori_desktop.models.store import ModelStore, no_model_message

    installed = ModelStore().default_model()
    if installed is None:
        raise UserFacingError(f"{no_model_message()[:-1]}, or pass --model PATH.")
    return Path(installed.path)


def _installed_sha256(model_path: Path) -> str | None:
    from satori_desktop.models.store import ModelStore

    try:
        resolved = model_path.expanduser().resolve()
        return next((m.sha256 for m in ModelStore().models() if m.path.resolve() == resolved), None)
    except (UserFacingError, OSError):
        return None


class _Recording:
    """The answer goes into the same history as the app's (a new conversation), unless --no-history. The
    history never stops an answer: a store that cannot be opened or written is a note on stderr."""

    def __init__(self, enabled: bool) -> None:
        self.store: Any = None
        self.recorder: Any = None
        if not enabled:
            return
        from satori_desktop.history import HistoryStore

        try:
            self.store = HistoryStore()
        except UserFacingError as exc:
            print(f"satori-desktop: note: {exc} This answer is not recorded.", file=sys.stderr)
            return
        if self.store.notice:
            print(f"satori-desktop: note: {self.store.notice}", file=sys.stderr)

    def begin(self, question: str, model_path: Path, settings: dict[str, Any]) -> None:
        if self.store is None:
            return
        try:
            conversation = self.store.create_conversation()
            self.recorder = self.store.begin_turn(
                conversation,
                question,
                model_file=str(model_path),
                model_sha256=_installed_sha256(model_path),
                settings=settings,
            )
        except UserFacingError as exc:
            print(f"satori-desktop: note: {exc}", file=sys.stderr)

    def append(self, text: str) -> None:
        if self.recorder is not None:
            self.recorder.append(text)

    def finish(self, result: Any) -> None:
        if self.recorder is not None:
            self.recorder.finish_from(result)

    def close(self) -> None:
        if self.store is None:
            return
        if self.recorder is not None and not self.recorder.finished:
            self.recorder.finish("interrupted")
        self.store.close()  # waits for the last save
        if self.store.last_error:
            print(f"satori-desktop: note: {self.store.last_error}", file=sys.stderr)


class CancelOnInterrupt:
    """While active, the first Ctrl+C cancels the engine; the second one interrupts for real."""

    def __init__(self, cancel: Any) -> None:
        self._cancel = cancel
        self._previous: Any = None
        self.interrupted = False

    def __enter__(self) -> CancelOnInterrupt:
        self._previous = signal.signal(signal.SIGINT, self._on_sigint)
        return self

    def __exit__(self, *exc: object) -> None:
        signal.signal(signal.SIGINT, self._previous)

    def _on_sigint(self, signum: int, frame: FrameType | None) -> None:
        if self.interrupted:
            raise KeyboardInterrupt
        self.interrupted = True
        self._cancel()


def run(args: argparse.Namespace) -> int:
    if not args.question.strip():
        raise UserFacingError("The question is empty: write the problem after `ask`.")
    if args.scripted_traces is None and not args.servers:
        resolve_model_path(args.model)  # no model: say so before reading anything else
    grammar = None
    if args.grammar_file is not None:
        from satori_desktop.cli.files import read_text_input

        grammar = read_text_input(str(args.grammar_file))

    engine, report, model_path = open_engine(args)
    if args.samples is not None:
        return _run_samples(args, engine, report, model_path, grammar)
    temperature, top_p = sampling_settings(args, sampled=False)

    # Satori's prompt and steps, or another reasoning model's own template and format.
    prompt = problem_prompt_for(report.prompting, args.question)
    parser = parser_for(report.prompting, prompt)
    builder = TraceBuilder()
    terminal = None if args.json else TerminalTranscript()

    def show(events: list[TranscriptEvent]) -> None:
        builder.apply(events)
        if terminal is not None:
            terminal.write_events(events)

    request = GenerationRequest(
        prompt=prompt,
        max_tokens=args.max_tokens,
        temperature=temperature,
        top_p=top_p,
        seed=args.seed,
        grammar=grammar,
    )
    recording = _Recording(not args.no_history)

    def on_text(text: str) -> None:
        show(parser.feed(text))
        recording.append(text)

    try:
        recording.begin(args.question, model_path, _settings(args, report, temperature, top_p))
        with CancelOnInterrupt(engine.cancel):
            result = engine.generate(request, on_text=on_text)
        recording.finish(result)
    finally:
        recording.close()
    show(parser.finish())
    trace = builder.result()
    engine.unload()

    if result.finish_reason == "error":
        raise UserFacingError(f"The model stopped with an error: {result.error}")
    if args.json:
        payload = {"question": args.question, **_answer_fields(trace.to_dict(), result, report)}
        print(json.dumps(payload, ensure_ascii=False, indent=2))
        return 0
    assert terminal is not None
    terminal.write_answer()
    speed = f"{result.decode_tok_s:.1f} tok/s" if result.decode_tok_s else "n/a"
    print(
        f"[{result.generated_tokens} tokens, {speed}, {_backend_text(report)}"
        f"{'; ' + _FINISH_NOTES[result.finish_reason] if result.finish_reason in _FINISH_NOTES else ''}]",
        file=sys.stderr,
    )
    return 130 if result.finish_reason == "cancelled" else 0


_FINISH_NOTES = {"length": "stopped at the token limit (--max-tokens)", "cancelled": "cancelled"}


def _settings(
    args: argparse.Namespace, report: LoadReport, temperature: float, top_p: float
) -> dict[str, Any]:
    """The settings a history turn keeps."""
    return {
        "temperature": temperature,
        "top_p": top_p,
        "seed": args.seed,
        "max_tokens": args.max_tokens,
        "n_ctx": report.n_ctx,
        "gpu_layers": report.gpu_layers,
        "backend": report.backend,
    }


def _backend_text(report: LoadReport) -> str:
    return f"{report.backend}{f' {report.gpu_layers} layers' if report.gpu_layers else ''}"


def _answer_fields(trace: dict[str, Any], result: GenerationResult, report: LoadReport) -> dict[str, Any]:
    """The single-answer object of `ask --json` after its question: steps, answer, finish_reason,
    tokens, timing, backend."""
    return {
        **trace,
        "finish_reason": result.finish_reason,
        "tokens": {"prompt": result.prompt_tokens, "generated": result.generated_tokens},
        "timing": {"ttft_s": result.ttft_s, "decode_tok_s": result.decode_tok_s},
        "backend": {"name": report.backend, "gpu_layers": report.gpu_layers},
    }


# -- several solutions (--samples) ------------------------------------------------------------------


class _SampleProgress:
    """One solution as it streams: its own parser, and what its progress line shows."""

    def __init__(self, parser: TranscriptParser) -> None:
        self.parser = parser
        self.builder = TraceBuilder()
        self.steps = 0
        self.pieces = 0
        self.answer: str | None = None
        self.result: GenerationResult | None = None

    def feed(self, text: str) -> None:
        self.pieces += 1
        events = self.parser.feed(text)
        self.builder.apply(events)
        self._count(events)

    def finish(self, result: GenerationResult) -> None:
        events = self.parser.finish()
        self.builder.apply(events)
        self._count(events)
        self.result = result

    def _count(self, events: list[TranscriptEvent]) -> None:
        for event in events:
            if isinstance(event, StepStarted):
                self.steps += 1
            elif isinstance(event, AnswerFound):
                self.answer = event.latex

    def summary(self) -> str:
        """`5 steps, 812 tokens, answer 5`, and why it stopped when that was not its end."""
        tokens = self.result.generated_tokens if self.result is not None else self.pieces
        parts = [f"{self.steps} step{'s' if self.steps != 1 else ''}", f"{tokens} tokens"]
        parts.append(f"answer {self.answer}" if self.answer is not None else "no answer yet")
        if self.result is not None and self.answer is None:
            parts[-1] = "no answer"
        if self.result is not None and self.result.finish_reason in _SAMPLE_ENDINGS:
            parts.append(_SAMPLE_ENDINGS[self.result.finish_reason])
        return ", ".join(parts)

    def line(self, number: int, width: int) -> str:
        """The progress line in a terminal: number, a mark (… writing, ✓ done), the summary."""
        mark = "…" if self.result is None else "✓" if self.result.finish_reason == "stop" else "✗"
        text = f"{number:>3} {mark} {self.summary()}"
        return text if len(text) <= width else text[: max(1, width - 1)] + "…"


_SAMPLE_ENDINGS = {"length": "stopped at the token limit", "cancelled": "cancelled", "error": "failed"}


class _SampleBoard:
    """The solutions' progress lines: redrawn in place in a terminal (at most 10 times a second), one
    plain line per finished solution otherwise."""

    REDRAW_INTERVAL_S = 0.1

    def __init__(self, progress: list[_SampleProgress], out: TextIO) -> None:
        self._progress = progress
        self._out = out
        self._live = out.isatty()
        self._drawn = False
        self._last_draw = 0.0
        self._width = max(20, shutil.get_terminal_size().columns - 1)

    def changed(self) -> None:
        if self._live and time.monotonic() - self._last_draw >= self.REDRAW_INTERVAL_S:
            self.draw()

    def finished(self, index: int) -> None:
        if self._live:
            self.draw()
        else:
            total = len(self._progress)
            self._out.write(f"solution {index + 1} of {total}: {self._progress[index].summary()}\n")
            self._out.flush()

    def draw(self) -> None:
        if not self._live:
            return
        lines = [p.line(i + 1, self._width) for i, p in enumerate(self._progress)]
        up = f"\x1b[{len(lines)}F" if self._drawn else ""
        self._out.write(up + "".join(f"\x1b[2K{line}\n" for line in lines))
        self._out.flush()
        self._drawn = True
        self._last_draw = time.monotonic()


def _run_samples(
    args: argparse.Namespace, engine: Engine, report: LoadReport, model_path: Path, grammar: str | None
) -> int:
    from satori_desktop.checking import AnswerChecker, group_answers, majority

    count = args.samples
    temperature, top_p = sampling_settings(args, sampled=True)
    prompt = problem_prompt_for(report.prompting, args.question)
    jobs = [
        BatchJob(
            f"sample-{index + 1}",
            GenerationRequest(
                prompt=prompt,
                max_tokens=args.max_tokens,
                temperature=temperature,
                top_p=top_p,
                seed=sample_seed(args.seed, index),
                grammar=grammar,
            ),
        )
        for index in range(count)
    ]
    progress = [_SampleProgress(parser_for(report.prompting, prompt)) for _ in jobs]
    index_of = {job.key: index for index, job in enumerate(jobs)}
    board = None if args.json else _SampleBoard(progress, sys.stdout)

    def on_text(key: str, text: str) -> None:
        progress[index_of[key]].feed(text)
        if board is not None:
            board.changed()

    def on_done(key: str, result: GenerationResult) -> None:
        progress[index_of[key]].finish(result)
        if board is not None:
            board.finished(index_of[key])

    with AnswerChecker() as checker:
        checker.start()  # the worker gets ready while the model writes
        started = time.perf_counter()
        if board is not None:
            board.draw()
        with CancelOnInterrupt(engine.cancel):
            results = engine.generate_batch(jobs, parallel=count, on_text=on_text, on_done=on_done)
        elapsed = time.perf_counter() - started
        for job, sample in zip(jobs, progress, strict=True):
            if sample.result is None:  # an engine that skipped on_done: its return value still counts
                sample.finish(results[job.key])
        engine.unload()
        traces = [sample.builder.result() for sample in progress]
        groups = group_answers([trace.answer for trace in traces], checker)
    consensus = majority(groups, count)
    sample_results = [sample.result for sample in progress if sample.result is not None]
    if all(result.finish_reason == "error" for result in sample_results):
        raise UserFacingError(f"The model stopped with an error: {sample_results[0].error}")
    chosen = groups[0].members[0] if groups else 0
    if not args.no_history:
        _record_samples(args, report, model_path, temperature, top_p, progress, groups, chosen)

    cancelled = any(result.finish_reason == "cancelled" for result in sample_results)
    generated = sum(result.generated_tokens for result in sample_results)
    if args.json:
        payload = {
            "question": args.question,
            "answer": consensus.answer,
            "agreeing": consensus.agreeing,
            "total": consensus.total,
            "groups": [group.to_dict() for group in groups],
            "samples": [
                {"question": args.question, **_answer_fields(trace.to_dict(), sample_result, report)}
                for trace, sample_result in zip(traces, sample_results, strict=True)
            ],
            "settings": {
                "temperature": temperature,
                "top_p": top_p,
                "seeds": [job.request.seed for job in jobs],
                "max_tokens": args.max_tokens,
            },
            "timing": {"elapsed_s": elapsed, "aggregate_tok_s": generated / elapsed if elapsed > 0 else None},
        }
        print(json.dumps(payload, ensure_ascii=False, indent=2))
        return 130 if cancelled else 0
    assert board is not None
    board.draw()
    if consensus.answer is None:
        print(f"\nNo final answer: {consensus.sentence()} (no \\boxed{{}} in the output).")
    else:
        print(f"\nAnswer: {consensus.answer}  ({consensus.sentence()})")
        others = [f"{group.answer} ({group.size})" for group in groups[1:]]
        if others:
            print(f"Other answers: {', '.join(others)}")
    speed = f"{generated / elapsed:.1f} tok/s together" if elapsed > 0 and generated else "n/a"
    print(
        f"[{count} solutions, {generated} tokens, {speed}, {_backend_text(report)}"
        f"{'; cancelled' if cancelled else ''}]",
        file=sys.stderr,
    )
    return 130 if cancelled else 0


def _record_samples(
    args: argparse.Namespace,
    report: LoadReport,
    model_path: Path,
    temperature: float,
    top_p: float,
    progress: list[_SampleProgress],
    groups: list[Any],
    chosen: int,
) -> None:
    """One turn, as the window's "solve several times" keeps it: the chosen solution (the first of the
    majority) as the turn's answer, every solution and the groups beside it."""
    from satori_desktop.core.samples import SampleRecord, SamplesRecord

    recording = _Recording(True)
    try:
        settings = {**_settings(args, report, temperature, top_p), "samples": len(progress)}
        recording.begin(args.question, model_path, settings)
        result = progress[chosen].result
        if recording.recorder is None or result is None:
            return
        recording.append(result.text)
        recording.finish(result)
        record = SamplesRecord(
            samples=tuple(
                SampleRecord(
                    text=sample.result.text,
                    answer=sample.builder.trace.answer,
                    finish_reason=sample.result.finish_reason,
                    generated_tokens=sample.result.generated_tokens,
                )
                for sample in progress
                if sample.result is not None
            ),
            chosen=chosen,
            groups=tuple(group.members for group in groups),
        )
        try:
            recording.store.save_samples(recording.recorder, record)
        except UserFacingError as exc:
            print(f"satori-desktop: note: {exc}", file=sys.stderr)
    finally:
        recording.close()
