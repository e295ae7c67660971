#!/usr/bin/env bash
# Builds the llama-cpp-python wheel that goes into a release bundle, and caches it.
#
#   bash packaging/build-llama-wheel.sh cpu|cuda|metal     # prints the wheel's path on the last line
#
# Why not the wheel pip builds for a source install: that one is compiled for the build machine's CPU
# (GGML_NATIVE) and needs OpenMP's runtime. A release must run on any x86-64 CPU, so it is built with
#   - GGML_BACKEND_DL + GGML_CPU_ALL_VARIANTS: one libggml-cpu-<variant> per CPU generation (x64, sse42,
#     sandybridge, haswell, skylakex, icelake, alderlake, zen4, sapphirerapids, ...), the best one chosen at
#     run time by ggml's own feature scoring; the app loads them from its lib folder
#     (satori_desktop/engine/backends.py), since the bindings never do;
#   - GGML_OPENMP=OFF: ggml's own thread pool, so no libgomp/vcomp140 has to travel with the bundle;
#   - LLAVA_BUILD=OFF: no multimodal library (the app never loads it, llama_cpp imports it lazily);
#   - CMAKE_INSTALL_{BIN,LIB}DIR=llama_cpp/lib: llama.cpp's own install rule puts the loadable backends
#     next to libllama instead of a stray site-packages/bin.
# The cuda variant adds GGML_CUDA (needs the CUDA toolkit) as one more loadable backend; without a usable
# GPU or driver ggml skips it and the CPU variants run. The metal variant (macOS, Apple Silicon) adds Metal
# with its shaders embedded in the library, and the ARM CPU variants.
#
# pip's wheel cache cannot be used here: it keys a built wheel by the sdist alone, not by CMAKE_ARGS, so it
# would hand back the source install's native build. The wheel is cached instead under
# ${SATORI_BUILD_CACHE:-~/.cache/satori-desktop-build}/llama-wheels/<hash of version and flags>/.
set -euo pipefail
cd "$(dirname "$0")/.."

variant="${1:-cpu}"
version="$(sed -n 's/.*"llama-cpp-python==\([0-9.]*\)".*/\1/p' pyproject.toml)"
[ -n "$version" ] || { echo "build-llama-wheel: no llama-cpp-python==X pin in pyproject.toml" >&2; exit 1; }

flags="-DGGML_NATIVE=OFF -DGGML_BACKEND_DL=ON -DGGML_CPU_ALL_VARIANTS=ON -DGGML_OPENMP=OFF -DLLAVA_BUILD=OFF"
flags+=" -DCMAKE_INSTALL_BINDIR=llama_cpp/lib -DCMAKE_INSTALL_LIBDIR=llama_cpp/lib"
case "$variant" in
  cpu) ;;
  cuda) flags+=" -DGGML_CUDA=ON" ;;
  metal) flags+=" -DGGML_METAL=ON -DGGML_METAL_EMBED_LIBRARY=ON" ;;
  *) echo "usage: packaging/build-llama-wheel.sh cpu|cuda|metal" >&2; exit 2 ;;
esac

python="${PYTHON:-python3}"
key="$(printf '%s\n%s\n%s\n' "$version" "$flags" "$("$python" -c 'import sys; print(sys.version_info[:2])')" \
  | sha256sum | cut -c1-16)"
cache="${SATORI_BUILD_CACHE:-$HOME/.cache/satori-desktop-build}/llama-wheels/$variant-$key"
wheel="$(ls "$cache"/llama_cpp_python-"$version"-*.whl 2>/dev/null | head -n1 || true)"
if [ -n "$wheel" ]; then
  echo "build-llama-wheel: cached ($variant, llama-cpp-python $version)" >&2
  echo "$wheel"
  exit 0
fi

mkdir -p "$cache"
echo "build-llama-wheel: compiling llama-cpp-python $version ($variant: $flags); this takes a while" >&2
start=$(date +%s)
CMAKE_ARGS="$flags" CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}" \
  "$python" -m pip wheel --quiet --no-cache-dir --no-deps --no-binary llama-cpp-python \
  "llama-cpp-python==$version" -w "$cache.partial" >&2
mv "$cache.partial"/llama_cpp_python-*.whl "$cache"/ && rmdir "$cache.partial"
echo "build-llama-wheel: built in $(( $(date +%s) - start )) s" >&2
ls "$cache"/llama_cpp_python-"$version"-*.whl | head -n1
