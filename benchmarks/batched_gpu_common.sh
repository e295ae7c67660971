# Sourced by the batched_*_gpu.sh device scripts after the build: the import path of the CUDA llama_cpp
# that .gpu/device_build.sh leaves, and `bench_batched NAME ARGS...`, one `bench batched` run on the
# random-weight 7B (prompt 256, 512 new tokens, every layer on the GPU, no answers one after another)
# written to $RESULTS/NAME.json and NAME.txt before it is printed.
export PYTHONPATH="$PWD/.gpu/lcp:/tmp/site:$PWD:$PWD/.gpu/lcp/vendor/llama.cpp/gguf-py"
export SATORI_BACKEND_SAMPLING=1
bench_batched() {
  local name=$1
  shift
  python3 -m satori_desktop.bench.batched --model /tmp/r7b-q4km.gguf --prompt-tokens 256 --tokens 512 \
    --gpu-layers 99 --no-sequential --save "$RESULTS/$name.json" "$@" > "$RESULTS/$name.txt" 2>&1
  cat "$RESULTS/$name.txt"
}
