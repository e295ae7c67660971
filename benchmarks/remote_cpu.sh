#!/usr/bin/env bash
# The remote engine (issue 13) on this machine's CPU: builds (or finds cached) the pinned llama-server
# (scripts/build-llama-server.sh), writes the random-weight qwen2 bench model of engine_cpu.sh (Satori's
# vocabulary size, 152064 tokens, 256 wide, 4 layers, F16: `python -m tests.support.tiny_gguf OUT --preset
# bench`) and runs `bench remote`: 1. a 1024-token streamed answer through the remote engine vs a bare
# httpx2 client reading the same stream from the same llama-server, alternating, best of 5; 2. 16 distinct
# problems x 128 tokens through generate_batch on one llama-server vs two (each -np 4 -t 1: one core per
# server), alternating, best of 5. Extra arguments go to `bench remote` (e.g. --json, --save FILE).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-.venv/bin/python}"
MODEL="${MODEL:-${TMPDIR:-/tmp}/satori-bench-qwen2-random.gguf}"
SERVER="$(bash scripts/build-llama-server.sh | tail -n 1)"
[ -f "$MODEL" ] || "$PYTHON" -m tests.support.tiny_gguf "$MODEL" --preset bench
exec "$PYTHON" -m satori_desktop bench remote --model "$MODEL" --llama-server "$SERVER" --tokens 1024 \
  --rounds 5 --problems 16 --problem-tokens 128 --slots 4 --threads 1 "$@"
