#!/usr/bin/env bash
# Issue 12's three GPU goals in ONE device call with carry [".gpu"], after `bash ../shared/gpu-bench/prepare.sh`
# here: .gpu/device_build.sh (CUDA llama.cpp and the random-weight 7B Q4_K_M of Satori's shape, about 5
# minutes), then `bench batched` at B = 16 against llama-batched-bench in the same run, 8 sampled solutions
# against one greedy answer, and 256 problems 16 at a time against one at a time (the first 16, scaled):
# about 160 s. B = 1, 4 and 8 as well do not fit in the call's 10 minutes: each B also times B answers one
# after another (16 x 512 tokens alone is 30 s). Results land in $OUT (or /tmp), nothing piped.
set -euo pipefail
cd "$(dirname "$0")/.."
RESULTS="${OUT:-/tmp}"
bash .gpu/device_build.sh > "$RESULTS/build.txt" 2>&1
export PYTHONPATH="$PWD/.gpu/lcp:/tmp/site:$PWD:$PWD/.gpu/lcp/vendor/llama.cpp/gguf-py"
SATORI_BACKEND_SAMPLING=1 python3 -m satori_desktop.bench.batched --model /tmp/r7b-q4km.gguf --batch-sizes 16 \
  --prompt-tokens 256 --tokens 512 --rounds 1 --gpu-layers 99 \
  --llama-batched-bench /tmp/lcpbuild/bin/llama-batched-bench --samples 8 --problem-set 256 \
  --sequential-subset 16 --save "$RESULTS/goals16.json" > "$RESULTS/goals16.txt" 2>&1
cat "$RESULTS/goals16.txt"
