#!/usr/bin/env bash
# Where the batched engine's GPU step loses to llama-batched-bench (issue 12), in ONE device call with carry
# [".gpu"] after `bash ../shared/gpu-bench/prepare.sh` here: builds CUDA llama.cpp and the random-weight 7B
# Q4_K_M of Satori's shape (.gpu/device_build.sh), then in the same machine state
#   1. llama-batched-bench at B = 4, 8, 16 in its default layout and in the engine's (-kvu -pps),
#   2. benchmarks/batched_step_anatomy.py: the same steps driven from Python, bare, with backend greedy
#      chains, with a host argmax, with a cache per sequence, with sampled chains in the graph and on the host,
#   3. benchmarks/batched_step_profile.py: the engine itself at B = 16.
# It takes about 9.5 of a call's 10 minutes (a second engine profile did not fit). LBB_SIZES, ANATOMY_SIZES and
# ANATOMY_VARIANTS choose other runs; the one issue 12 asks next (does a step of 9 rows beat one of 5-8?):
#   LBB_SIZES=4,5,6,7,8,9,16 ANATOMY_SIZES=5,6,7,8 \
#   ANATOMY_VARIANTS=non-unified-greedy,padded-greedy,non-unified-sampled,padded-sampled \
#   bash benchmarks/batched_anatomy_gpu.sh
# Everything lands in $OUT (or /tmp) as JSON and text; nothing is piped (a pipe's buffer once cost a call).
set -euo pipefail
trap 'tail -n 30 /tmp/*.log' ERR  # the logs stay in /tmp: $OUT brings back 8 files at most
cd "$(dirname "$0")/.."
bash .gpu/device_build.sh
export PYTHONPATH="$PWD/.gpu/lcp:/tmp/site:$PWD:$PWD/.gpu/lcp/vendor/llama.cpp/gguf-py"
RESULTS="${OUT:-/tmp}"
MODEL=/tmp/r7b-q4km.gguf
LBB=/tmp/lcpbuild/bin/llama-batched-bench
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader > "$RESULTS/gpu.txt" || true
for layout in default kvu; do
  extra=()
  [ "$layout" = kvu ] && extra=(-kvu -pps)
  "$LBB" -m "$MODEL" -c 20000 -b 2048 -ub 512 -npp 256 -ntg 512 -npl "${LBB_SIZES:-4,8,16}" -ngl 99 -fa on \
    --output-format jsonl "${extra[@]}" > "$RESULTS/llama-batched-bench-$layout.jsonl" 2> "/tmp/llama-batched-bench-$layout.log"
done
python3 benchmarks/batched_step_anatomy.py "$MODEL" --batch-sizes "${ANATOMY_SIZES:-4,8,16}" --tokens 512 \
  ${ANATOMY_VARIANTS:+--variants "$ANATOMY_VARIANTS"} --out "$RESULTS/anatomy.json" > "$RESULTS/anatomy.txt" 2>&1
SATORI_BACKEND_SAMPLING=1 python3 benchmarks/batched_step_profile.py "$MODEL" 16 512 \
  > "$RESULTS/profile-16.json" 2> /tmp/profile-16.log
cat "$RESULTS"/llama-batched-bench-*.jsonl "$RESULTS/anatomy.txt" "$RESULTS"/profile-16*.json
