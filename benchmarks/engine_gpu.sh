#!/usr/bin/env bash
# Engine benchmark on the GPU machine (the `device` tool), following ../shared/gpu-bench/README.md:
# first, here, `bash ../shared/gpu-bench/prepare.sh` (fills the git-ignored .gpu/), then ONE device call with
# carry [".gpu"] running `bash benchmarks/engine_gpu.sh`. It builds CUDA llama.cpp and a random-weight
# Q4_K_M GGUF of Satori's exact 7B shape (.gpu/device_build.sh), then runs `bench engine` twice:
# greedy sampling inside the graph (the default on a GPU) with llama-bench's tg2048 beside it, and
# host-side sampling (SATORI_BACKEND_SAMPLING=0) for comparison. JSON results land in $OUT (or /tmp).
set -euo pipefail
cd "$(dirname "$0")/.."
bash .gpu/device_build.sh
export PYTHONPATH="$PWD/.gpu/lcp:/tmp/site:$PWD:$PWD/.gpu/lcp/vendor/llama.cpp/gguf-py"
RESULTS="${OUT:-/tmp}"
MODEL=/tmp/r7b-q4km.gguf
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
SATORI_BACKEND_SAMPLING=1 python3 -m satori_desktop.bench.engine --model "$MODEL" --tokens 2048 --rounds 3 \
  --llama-bench /tmp/lcpbuild/bin/llama-bench --save "$RESULTS/engine_gpu.json" "$@"
SATORI_BACKEND_SAMPLING=0 python3 -m satori_desktop.bench.engine --model "$MODEL" --tokens 2048 --rounds 3 \
  --no-llama-bench --save "$RESULTS/engine_gpu_host_sampling.json" "$@"
