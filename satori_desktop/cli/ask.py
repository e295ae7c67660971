"""`satori-desktop ask`: solve one problem in the terminal, streaming the steps as the model writes them.

Ctrl+C cancels the generation cooperatively (the engine stops within a token, or aborts prompt
processing) and the partial solution is still shown; a second Ctrl+C exits at once.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
from pathlib import Path
from types import FrameType
from typing import Any

from satori_desktop.cli.terminal import TerminalTranscript
from satori_desktop.core import arguments
from satori_desktop.core.coat import CoatParser, TraceBuilder, TranscriptEvent
from satori_desktop.core.errors import UserFacingError
from satori_desktop.core.prompt import problem_prompt
from satori_desktop.engine.types import DEFAULT_MAX_NEW_TOKENS, GenerationRequest, LoadOptions


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
    parser.add_argument(
        "--temperature", type=arguments.temperature, default=0.0, help="0 (the default) is greedy"
    )
    parser.add_argument(
        "--top-p", type=arguments.top_p, default=1.0, help="in (0, 1]; 1 (the default) is off"
    )
    parser.add_argument("--seed", type=arguments.seed, default=None, help="for a repeatable sampled answer")
    parser.add_argument("--n-ctx", type=arguments.context_tokens, default=None, help="context size in tokens")
    parser.add_argument(
        "--gpu-layers",
        type=arguments.gpu_layers,
        default=None,
        help="layers to offload: auto (the default), all, or a number (0: CPU only)",
    )
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


class _CancelOnInterrupt:
    """While active, the first Ctrl+C cancels the engine; the second one interrupts for real."""

    def __init__(self, cancel: Any) -> None:
        self._cancel = cancel
        self._previous: Any = None
        self.interrupted = False

    def __enter__(self) -> _CancelOnInterrupt:
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
    model_path = resolve_model_path(args.model)
    grammar = None
    if args.grammar_file is not None:
        from satori_desktop.cli.files import read_text_input

        grammar = read_text_input(str(args.grammar_file))

    from satori_desktop.engine.llama_engine import LlamaEngine

    engine = LlamaEngine()
    report = engine.load(LoadOptions(model_path, n_ctx=args.n_ctx, gpu_layers=args.gpu_layers))
    for warning in report.warnings:
        print(f"satori-desktop: note: {warning}", file=sys.stderr)

    parser = CoatParser()
    builder = TraceBuilder()
    terminal = None if args.json else TerminalTranscript()

    def show(events: list[TranscriptEvent]) -> None:
        builder.apply(events)
        if terminal is not None:
            terminal.write_events(events)

    request = GenerationRequest(
        prompt=problem_prompt(args.question),
        max_tokens=args.max_tokens,
        temperature=args.temperature,
        top_p=args.top_p,
        seed=args.seed,
        grammar=grammar,
    )
    recording = _Recording(not args.no_history)

    def on_text(text: str) -> None:
        show(parser.feed(text))
        recording.append(text)

    try:
        recording.begin(
            args.question,
            model_path,
            {
                "temperature": args.temperature,
                "top_p": args.top_p,
                "seed": args.seed,
                "max_tokens": args.max_tokens,
                "n_ctx": report.n_ctx,
                "gpu_layers": report.gpu_layers,
                "backend": report.backend,
            },
        )
        with _CancelOnInterrupt(engine.cancel):
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
        payload = {
            "question": args.question,
            **trace.to_dict(),
            "finish_reason": result.finish_reason,
            "tokens": {"prompt": result.prompt_tokens, "generated": result.generated_tokens},
            "timing": {"ttft_s": result.ttft_s, "decode_tok_s": result.decode_tok_s},
            "backend": {"name": report.backend, "gpu_layers": report.gpu_layers},
        }
        print(json.dumps(payload, ensure_ascii=False, indent=2))
        return 0
    assert terminal is not None
    terminal.write_answer()
    notes = {"length": "stopped at the token limit (--max-tokens)", "cancelled": "cancelled"}
    speed = f"{result.decode_tok_s:.1f} tok/s" if result.decode_tok_s else "n/a"
    print(
        f"[{result.generated_tokens} tokens, {speed}, {report.backend}"
        f"{f' {report.gpu_layers} layers' if report.gpu_layers else ''}"
        f"{'; ' + notes[result.finish_reason] if result.finish_reason in notes else ''}]",
        file=sys.stderr,
    )
    return 130 if result.finish_reason == "cancelled" else 0
