"""`satori-desktop bench NAME`: the benchmarks (engine, ui, download, history, app, bundle, batched,
check, remote), side by side."""

from __future__ import annotations

import importlib
from typing import Any

_BENCHMARKS = {
    "engine": "decode speed of the app's engine vs a bare llama-cpp-python loop and llama-bench",
    "ui": "how fast the window takes streamed tokens, event-loop stalls, cold start",
    "download": "download throughput with verification vs curl, and resume overhead",
    "history": "CPU of history checkpointing while streaming, search over 10,000 conversations, reopening",
    "app": "the history through the window: recording CPU on/off, cold start with 10,000 conversations",
    "bundle": "the frozen app against this source install: cold start and decode speed",
    "batched": "batched decoding (generate_batch) at several B vs B single answers and llama-batched-bench",
    "check": "answer checking: the first check with the worker's start, then p50/p95 of 100 warm checks",
    "remote": "the remote engine's stream vs a bare HTTP client; a problem set on two llama-servers vs one",
}


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("bench", help="run a benchmark", description="Run a benchmark.")
    benches = parser.add_subparsers(title="benchmarks", metavar="BENCHMARK", required=True)
    for name, help_text in _BENCHMARKS.items():
        bench_parser = benches.add_parser(name, help=help_text, description=help_text)
        module = importlib.import_module(f"satori_desktop.bench.{name}")
        module.register(bench_parser)
