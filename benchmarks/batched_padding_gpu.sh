#!/usr/bin/env bash
# Issue 12 on the GPU in ONE device call with carry [".gpu"], after `bash ../shared/gpu-bench/prepare.sh`
# here: .gpu/device_build.sh (CUDA llama.cpp and the random-weight 7B Q4_K_M of Satori's shape, about 5
# minutes), then `bench batched` without the answers one after another (--no-sequential):
#   1. steps of 6-8 rows padded to 9 (SATORI_BATCH_PAD_FROM=6, the default when this first ran; it is 8
#      now) at B = 1, 4, 8, 16 and 8 sampled solutions against one greedy answer, with llama-batched-bench
#      at the same B in the same run;
#   2. B = 5-9 and k = 8 with padding off (SATORI_BATCH_PAD_FROM=0), llama-batched-bench at B = 5-9;
#   3. B = 5-8 and k = 8 with every step of 5 rows or more padded (SATORI_BATCH_PAD_FROM=5).
# About 2.5 minutes after the build. Results land in $OUT (or /tmp), nothing piped.
set -euo pipefail
cd "$(dirname "$0")/.."
RESULTS="${OUT:-/tmp}"
bash .gpu/device_build.sh > "$RESULTS/build.txt" 2>&1
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader > "$RESULTS/gpu.txt" || true
source benchmarks/batched_gpu_common.sh
LBB=(--llama-batched-bench /tmp/lcpbuild/bin/llama-batched-bench --samples 8)
SATORI_BATCH_PAD_FROM=6 bench_batched shipped "${LBB[@]}" --batch-sizes 1,4,8,16 --rounds 2
SATORI_BATCH_PAD_FROM=0 bench_batched unpadded "${LBB[@]}" --batch-sizes 5,6,7,8,9 --rounds 1
SATORI_BATCH_PAD_FROM=5 bench_batched padded "${LBB[@]}" --batch-sizes 5,6,7,8 --rounds 1 --no-llama-batched-bench
