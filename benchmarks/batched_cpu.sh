#!/usr/bin/env bash
# Batched decoding on this machine's CPU: the same random-weight qwen2 bench model as engine_cpu.sh
# (Satori's vocabulary size, 152064 tokens, 256 wide, 4 layers, F16: `python -m tests.support.tiny_gguf OUT
# --preset bench`), `bench batched` at B = 1, 2, 4: generate_batch of B sequences (same 256-token prompt,
# ignore_eog, 64 new tokens each) vs B single generates one after another, alternating per round, as
# ratios of aggregate decode rates. One decode thread by default, as engine_cpu.sh: on a shared 2-core
# machine a second thread mostly measures the neighbours. Extra arguments go to `bench batched`.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-.venv/bin/python}"
MODEL="${MODEL:-${TMPDIR:-/tmp}/satori-bench-qwen2-random.gguf}"
[ -f "$MODEL" ] || "$PYTHON" -m tests.support.tiny_gguf "$MODEL" --preset bench
exec "$PYTHON" -m satori_desktop.bench.batched --model "$MODEL" --batch-sizes 1,2,4 --prompt-tokens 256 \
  --tokens 64 --rounds 3 --threads 1 --no-llama-batched-bench "$@"
