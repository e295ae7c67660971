#!/usr/bin/env bash
# Issue 12's GPU goals with the batch's KV layout chosen for the GPU (a cache per sequence), and the same
# engine with one unified cache beside it, in ONE device call with carry [".gpu"] after
# `bash ../shared/gpu-bench/prepare.sh` here:
#   1. benchmarks/batched_gpu.sh: B = 1, 4, 8, 16 against llama-batched-bench, 8 sampled solutions against
#      one greedy answer, 256 problems 16 at a time against one at a time (the first 16, scaled);
#   2. the same engine at B = 4, 8, 16 and 8 sampled solutions with SATORI_BATCH_KV_UNIFIED=1, so the two
#      layouts compare within one machine state (llama-batched-bench's figures are those of step 1);
#   3. benchmarks/batched_step_profile.py at B = 16: where the engine's step goes now.
# Results land in $OUT (or /tmp) as JSON and text, nothing piped.
set -euo pipefail
cd "$(dirname "$0")/.."
RESULTS="${OUT:-/tmp}"
MODEL=/tmp/r7b-q4km.gguf
bash benchmarks/batched_gpu.sh --batch-sizes 1,4,8,16 --rounds 1 --samples 8 --problem-set 256 \
  --sequential-subset 16 > "$RESULTS/goals.txt" 2>&1
export PYTHONPATH="$PWD/.gpu/lcp:/tmp/site:$PWD:$PWD/.gpu/lcp/vendor/llama.cpp/gguf-py"
SATORI_BACKEND_SAMPLING=1 SATORI_BATCH_KV_UNIFIED=1 python3 -m satori_desktop.bench.batched --model "$MODEL" \
  --batch-sizes 4,8,16 --prompt-tokens 256 --tokens 512 --rounds 1 --gpu-layers 99 --samples 8 \
  --no-llama-batched-bench --save "$RESULTS/unified.json" > "$RESULTS/unified.txt" 2>&1
SATORI_BACKEND_SAMPLING=1 python3 benchmarks/batched_step_profile.py "$MODEL" 16 512 \
  > "$RESULTS/profile-16.json" 2> /tmp/profile-16.log
cat "$RESULTS/goals.txt" "$RESULTS/unified.txt" "$RESULTS/profile-16.json"
