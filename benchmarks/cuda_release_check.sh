#!/usr/bin/env bash
# ON THE GPU MACHINE (the device tool), from the project root, with .gpu carried (../shared/gpu-bench/
# prepare.sh fills it): builds llama.cpp the way a release's CUDA variant is built (packaging/
# build-llama-wheel.sh cuda: GGML_BACKEND_DL, every CPU variant, CUDA as a loadable module, no OpenMP), puts
# the libraries where llama_cpp loads them, and checks through the app's engine that
#   1. with the GPU visible, ggml loads the CUDA module and the best CPU variant, and a model runs on CUDA;
#   2. with no usable GPU (CUDA_VISIBLE_DEVICES=""), the same build runs on the CPU and says why.
# Not a timing: a check of the release build's backend loading on real CUDA hardware.
set -euo pipefail
G=$(pwd)/.gpu; B=/tmp/lcp-release-cuda
if [ ! -f "$B/bin/libggml-cuda.so" ]; then
  cmake -S "$G/lcp/vendor/llama.cpp" -B "$B" -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=ON \
    -DGGML_NATIVE=OFF -DGGML_BACKEND_DL=ON -DGGML_CPU_ALL_VARIANTS=ON -DGGML_OPENMP=OFF -DGGML_CUDA=ON \
    -DCMAKE_CUDA_ARCHITECTURES=90 -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TOOLS=OFF \
    -DLLAMA_BUILD_SERVER=OFF -DLLAMA_CURL=OFF -DLLAMA_OPENSSL=OFF > /tmp/cmake-release.log 2>&1 \
    || { tail -30 /tmp/cmake-release.log; exit 1; }
  cmake --build "$B" --target llama -j16 > /tmp/build-release.log 2>&1 || { tail -40 /tmp/build-release.log; exit 1; }
fi
lib="$G/lcp/llama_cpp/lib"
rm -rf "$lib" && mkdir -p "$lib" && cp -a "$B"/bin/*.so* "$lib"/
ls "$lib"
python3 -m pip install -q --no-index --no-deps --upgrade --target /tmp/site "$G"/whl/*.whl
export PYTHONPATH="$G/lcp:/tmp/site:$(pwd):$G/lcp/vendor/llama.cpp/gguf-py"
# The tiny model is written in a process of its own: numpy (which gguf needs) stays out of the processes
# that load CUDA llama.cpp (see docs/benchmarks.md: numpy before a CUDA model load was seen to crash).
model=/tmp/cuda-check-tiny.gguf
python3 -c "
from pathlib import Path
from satori_desktop.selftest.tiny_model import write_tiny_gguf
write_tiny_gguf(Path('$model'))"
check='
import json, sys
from pathlib import Path
from satori_desktop.engine.backends import cpu_fallback_sentence, describe, runtime_report
report = runtime_report()
print("runtime:", describe(report), json.dumps(report.to_dict()), flush=True)
print("fallback sentence:", cpu_fallback_sentence(report), flush=True)
from satori_desktop.engine.llama_engine import LlamaEngine
from satori_desktop.engine.types import GenerationRequest, LoadOptions
layers = None if sys.argv[1] == "auto" else int(sys.argv[1])
engine = LlamaEngine()
loaded = engine.load(LoadOptions(Path(sys.argv[2]), n_ctx=512, gpu_layers=layers))
print("loaded:", loaded.backend, loaded.gpu_layers, "layers;", "variant", loaded.cpu_variant, "warnings:", loaded.warnings, flush=True)
result = engine.generate(GenerationRequest("<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n", max_tokens=16))
print("generated:", result.generated_tokens, result.finish_reason, flush=True)
engine.unload()
'
echo "== GPU visible, all layers offloaded"; python3 -X faulthandler -c "$check" auto "$model" || echo "exit $?"
echo "== GPU visible, CPU only (0 layers)"; python3 -X faulthandler -c "$check" 0 "$model" || echo "exit $?"
echo "== no usable GPU (CUDA_VISIBLE_DEVICES empty)"
CUDA_VISIBLE_DEVICES="" python3 -X faulthandler -c "$check" auto "$model" || echo "exit $?"
