#!/usr/bin/env bash
# One argmax for every greedy row of a step (engine/row_argmax.py) against llama.cpp's greedy sampler per
# sequence, at B = 16 on the GPU, in ONE device call with carry [".gpu"] after
# `bash ../shared/gpu-bench/prepare.sh` here: .gpu/device_build.sh (about 5.5 minutes), then
# `bench batched --no-sequential` with SATORI_BATCH_ROW_ARGMAX=1 (and llama-batched-bench at B = 16 in
# the same run), then with SATORI_BATCH_ROW_ARGMAX=0: about a minute. Results land in $OUT (or /tmp).
set -euo pipefail
cd "$(dirname "$0")/.."
RESULTS="${OUT:-/tmp}"
bash .gpu/device_build.sh > "$RESULTS/build.txt" 2>&1
export PYTHONPATH="$PWD/.gpu/lcp:/tmp/site:$PWD:$PWD/.gpu/lcp/vendor/llama.cpp/gguf-py"
export SATORI_BACKEND_SAMPLING=1
bench() {
  local name=$1
  shift
  python3 -m satori_desktop.bench.batched --model /tmp/r7b-q4km.gguf --prompt-tokens 256 --tokens 512 \
    --gpu-layers 99 --batch-sizes "${SIZES:-16}" --rounds 1 --no-sequential --save "$RESULTS/$name.json" "$@" \
    > "$RESULTS/$name.txt" 2>&1
  cat "$RESULTS/$name.txt"
}
SATORI_BATCH_ROW_ARGMAX=1 bench row-argmax --llama-batched-bench /tmp/lcpbuild/bin/llama-batched-bench
SATORI_BATCH_ROW_ARGMAX=0 bench per-sequence --no-llama-batched-bench
