"""Processes the history tests start, to kill or to run side by side: `python -m tests.history.child ...`.

`stream`: records one scripted solution through a `TurnRecorder` at a chosen rate, printing after each
piece how many characters it has handed to the recorder (`handed <monotonic time> <characters>`), so the
test that kills it knows what was handed over when.

`busy`: creates conversations and streams short answers into them as fast as it can, for the test of
two app instances writing at once; prints the ids it wrote as JSON at the end.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from satori_desktop.engine.scripted import ScriptedEngine, synthetic_trace
from satori_desktop.engine.types import GenerationRequest, LoadOptions
from satori_desktop.history import HistoryStore

STREAM_QUESTION = "Sum the series and check it twice"


def stream(args: argparse.Namespace) -> int:
    store = HistoryStore(args.file, checkpoint_interval_s=args.interval)
    conversation_id = store.create_conversation()
    engine = ScriptedEngine([synthetic_trace(args.tokens)], tokens_per_second=args.rate)
    engine.load(LoadOptions(Path("scripted.gguf")))
    recorder = store.begin_turn(conversation_id, STREAM_QUESTION, model_file="scripted.gguf")
    handed = 0

    def on_text(text: str) -> None:
        nonlocal handed
        recorder.append(text)
        handed += len(text)
        # Written after the append: a line never claims more than the recorder has been given.
        sys.stdout.write(f"handed {time.monotonic():.6f} {handed}\n")
        sys.stdout.flush()

    print(f"conversation {conversation_id}", flush=True)
    result = engine.generate(GenerationRequest("p", max_tokens=args.tokens + 10), on_text=on_text)
    recorder.finish_from(result)
    store.close()
    print("done", flush=True)
    return 0


def busy(args: argparse.Namespace) -> int:
    store = HistoryStore(args.file, checkpoint_interval_s=args.interval)
    began = time.monotonic()
    written = []
    for i in range(args.conversations):
        conversation_id = store.create_conversation()
        with store.begin_turn(conversation_id, f"{args.name} question {i}") as recorder:
            for piece in range(40):
                recorder.append(f"{args.name} piece {piece} of {i}. ")
                time.sleep(0.001)
            recorder.finish("stop")
        store.rename(conversation_id, f"{args.name} {i}")
        written.append(conversation_id)
    ok = store.flush(30)
    errors = store.last_error
    store.close()
    ended = time.monotonic()
    print(json.dumps({"ids": written, "flushed": ok, "error": errors, "began": began, "ended": ended}))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=("stream", "busy"))
    parser.add_argument("--file", type=Path, required=True)
    parser.add_argument("--interval", type=float, default=1.0)
    parser.add_argument("--rate", type=float, default=300.0)
    parser.add_argument("--tokens", type=int, default=4000)
    parser.add_argument("--conversations", type=int, default=20)
    parser.add_argument("--name", default="child")
    args = parser.parse_args()
    return stream(args) if args.command == "stream" else busy(args)


if __name__ == "__main__":
    sys.exit(main())
