#!/usr/bin/env bash
# Correctness on the GPU machine (the `device` tool), beside engine_gpu.sh's timings: runs the engine and
# `ask` tests on a CUDA build of llama.cpp, `ask` on the random-weight 7B, and the out-of-memory fallback
# (a K/V cache too big for all layers on the GPU). Same preparation as engine_gpu.sh: here,
# `bash ../shared/gpu-bench/prepare.sh` plus the wheels of platformdirs and gguf in .gpu/whl (the device image
# lacks them); then one device call with carry [".gpu"]: `bash benchmarks/engine_gpu_check.sh`.
set -uo pipefail
cd "$(dirname "$0")/.."
bash .gpu/device_build.sh > /tmp/build.out 2>&1 || { tail -20 /tmp/build.out; exit 1; }
export PYTHONPATH="$PWD/.gpu/lcp:/tmp/site:$PWD" SATORI_DESKTOP_HOME=/tmp/satori-gpu-check
RESULTS="${OUT:-/tmp}"
MODEL=/tmp/r7b-q4km.gguf
# The device image's numpy segfaults a later CUDA model load when it is imported first: load llama_cpp first.
python3 -c "import llama_cpp, sys, pytest; sys.exit(pytest.main(['-q', '-p', 'no:cacheprovider', '-o', 'addopts=',
  '-W', 'ignore::pytest.PytestConfigWarning', 'tests/engine', 'tests/cli/test_ask_command.py']))" \
  > "$RESULTS/gpu_tests.txt" 2>&1
echo "tests: $(tail -1 "$RESULTS/gpu_tests.txt")"
python3 -m satori_desktop ask --model "$MODEL" "1+1?" --max-tokens 64 --json > "$RESULTS/ask_7b.json"
echo "ask 7B: rc=$?"
python3 -m satori_desktop ask --model "$MODEL" "1+1?" --max-tokens 8 --n-ctx 3000000 --gpu-layers 29 --json \
  > "$RESULTS/ask_oom_fallback.json" 2> "$RESULTS/ask_oom_fallback.err"
echo "OOM fallback: rc=$?; $(grep -o 'The GPU ran out of memory.*' "$RESULTS/ask_oom_fallback.err")"
