#!/usr/bin/env bash
# Batched decoding on the GPU machine (the `device` tool), following ../shared/gpu-bench/README.md: first,
# here, `bash ../shared/gpu-bench/prepare.sh` (fills the git-ignored .gpu/), then ONE device call with
# carry [".gpu"] running `bash benchmarks/batched_gpu.sh`. It builds CUDA llama.cpp with
# llama-batched-bench and a random-weight Q4_K_M GGUF of Satori's exact 7B shape (.gpu/device_build.sh),
# then runs `bench batched` at B = 1, 4, 8, 16 (prompt 256, 512 new tokens per sequence, greedy in the
# graph, all layers offloaded, flash attention on as the engine resolves it), which runs
# `llama-batched-bench -m MODEL -c 20000 -b 2048 -ub 512 -npp 256 -ntg 512 -npl 1,4,8,16 -ngl 99 -fa on`
# in the same run and gives engine / llama-batched-bench per B. JSON lands in $OUT (or /tmp).
set -euo pipefail
cd "$(dirname "$0")/.."
bash .gpu/device_build.sh
export PYTHONPATH="$PWD/.gpu/lcp:/tmp/site:$PWD:$PWD/.gpu/lcp/vendor/llama.cpp/gguf-py"
RESULTS="${OUT:-/tmp}"
MODEL=/tmp/r7b-q4km.gguf
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
SATORI_BACKEND_SAMPLING=1 python3 -m satori_desktop.bench.batched --model "$MODEL" --batch-sizes 1,4,8,16 \
  --prompt-tokens 256 --tokens 512 --rounds 2 --gpu-layers 99 \
  --llama-batched-bench /tmp/lcpbuild/bin/llama-batched-bench --save "$RESULTS/batched_gpu.json" "$@"
