#!/usr/bin/env bash
# One argmax for every greedy row of a step (engine/row_argmax.py) against llama.cpp's greedy sampler per
# sequence, at B = 16 on the GPU, in ONE device call with carry [".gpu"] after
# `bash ../shared/gpu-bench/prepare.sh` here. Built lean to fit a short lease: only the libraries,
# llama-quantize (for the random-weight 7B Q4_K_M of Satori's shape) and llama-batched-bench, no
# llama-bench. Then `bench batched --no-sequential` at B = 16 with SATORI_BATCH_ROW_ARGMAX=1, then =0,
# then llama-batched-bench at B = 16 (each result is on disk before the next starts). Results in $OUT.
set -euo pipefail
cd "$(dirname "$0")/.."
RESULTS="${OUT:-/tmp}"
G=$PWD/.gpu
B=/tmp/lcpbuild
if [ ! -x $B/bin/llama-batched-bench ]; then
  cmake -S $G/lcp/vendor/llama.cpp -B $B -G Ninja -DCMAKE_BUILD_TYPE=Release -DGGML_CUDA=ON \
    -DCMAKE_CUDA_ARCHITECTURES=90 -DBUILD_SHARED_LIBS=ON -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF \
    -DLLAMA_BUILD_SERVER=OFF -DLLAMA_CURL=OFF -DLLAMA_OPENSSL=OFF > "$RESULTS/build.txt" 2>&1
  cmake --build $B --target llama-batched-bench llama-quantize llama -j16 >> "$RESULTS/build.txt" 2>&1
fi
mkdir -p $G/lcp/llama_cpp/lib && cp -a $B/bin/*.so* $G/lcp/llama_cpp/lib/
python3 -m pip install -q --no-index --no-deps --upgrade --target /tmp/site $G/whl/*.whl
if [ ! -f /tmp/r7b-q4km.gguf ]; then
  GGUF_PY=$G/lcp/vendor/llama.cpp/gguf-py python3 $G/make_random_qwen2.py /tmp/r7b-f16.gguf
  $B/bin/llama-quantize /tmp/r7b-f16.gguf /tmp/r7b-q4km.gguf Q4_K_M 16 > /tmp/quant.log 2>&1 && rm -f /tmp/r7b-f16.gguf
fi
date -u >> "$RESULTS/build.txt"
source benchmarks/batched_gpu_common.sh
SATORI_BATCH_ROW_ARGMAX=1 bench_batched row-argmax --batch-sizes 16 --rounds 1 --no-llama-batched-bench
SATORI_BATCH_ROW_ARGMAX=0 bench_batched per-sequence --batch-sizes 16 --rounds 1 --no-llama-batched-bench
$B/bin/llama-batched-bench -m /tmp/r7b-q4km.gguf -c 20000 -b 2048 -ub 512 -npp 256 -ntg 512 -npl 16 -ngl 99 \
  -fa on --output-format jsonl > "$RESULTS/llama-batched-bench.jsonl" 2> /tmp/lbb.log
cat "$RESULTS/llama-batched-bench.jsonl"
