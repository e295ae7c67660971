#!/usr/bin/env bash
# Engine benchmark on this machine's CPU: writes a random-weight qwen2 model with Satori's vocabulary size
# (152064 tokens, 256 wide, 4 layers, F16, ~165 MB: `python -m tests.support.tiny_gguf OUT --preset bench`)
# and runs `bench engine` on it: the app's engine vs a bare Llama.generate loop (and llama-bench when it is on
# PATH), 2048 tokens per run, engine and bare loop alternating. One decode thread by default: on a shared
# 2-core machine a second thread mostly measures the neighbours. Extra arguments go to `bench engine`.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-.venv/bin/python}"
MODEL="${MODEL:-${TMPDIR:-/tmp}/satori-bench-qwen2-random.gguf}"
[ -f "$MODEL" ] || "$PYTHON" -m tests.support.tiny_gguf "$MODEL" --preset bench
exec "$PYTHON" -m satori_desktop.bench.engine --model "$MODEL" --tokens 2048 --rounds 3 --threads 1 "$@"
