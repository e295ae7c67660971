#!/usr/bin/env bash
# Issue 12's three GPU goals in ONE device call with carry [".gpu"], after `bash ../shared/gpu-bench/prepare.sh`
# here: .gpu/device_build.sh (CUDA llama.cpp and the random-weight 7B Q4_K_M of Satori's shape, about 5.5
# minutes), then `bench batched` at B = 1, 4, 8, 16 against llama-batched-bench in the same run, 8 sampled
# solutions against one greedy answer, and 256 problems 16 at a time against one at a time (the first 16,
# scaled): about 3 minutes. --no-sequential leaves out the B answers one after another at each B (16 x 512
# tokens alone is 30 s), which the goals do not need. Results land in $OUT (or /tmp), nothing piped.
set -euo pipefail
cd "$(dirname "$0")/.."
RESULTS="${OUT:-/tmp}"
bash .gpu/device_build.sh > "$RESULTS/build.txt" 2>&1
export PYTHONPATH="$PWD/.gpu/lcp:/tmp/site:$PWD:$PWD/.gpu/lcp/vendor/llama.cpp/gguf-py"
SATORI_BACKEND_SAMPLING=1 python3 -m satori_desktop.bench.batched --model /tmp/r7b-q4km.gguf --batch-sizes 1,4,8,16 \
  --prompt-tokens 256 --tokens 512 --rounds 1 --gpu-layers 99 \
  --llama-batched-bench /tmp/lcpbuild/bin/llama-batched-bench --samples 8 --problem-set 256 \
  --sequential-subset 16 --no-sequential --save "$RESULTS/goals.json" > "$RESULTS/goals.txt" 2>&1
cat "$RESULTS/goals.txt"
