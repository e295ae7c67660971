#!/usr/bin/env bash
# Builds llama.cpp's llama-server from the llama.cpp source that the pinned llama-cpp-python sdist carries
# (vendor/llama.cpp), once per machine, and caches it. The remote-engine tests run the app against it on
# 127.0.0.1 with a tiny model (issue 13): the same llama.cpp the local engine uses, so one pin moves both.
#
#   bash scripts/build-llama-server.sh        # prints the binary's path on the last line
#
# CPU only, statically linked against llama.cpp (BUILD_SHARED_LIBS=OFF), no OpenSSL (the tests speak plain
# http on the loopback). Cached under ${SATORI_BUILD_CACHE:-~/.cache/satori-desktop-build}/llama-server/
# keyed by the version and the flags; the sdist comes through pip, so pip's cache keeps it too.
set -euo pipefail
cd "$(dirname "$0")/.."

version="$(sed -n 's/.*"llama-cpp-python==\([0-9.]*\)".*/\1/p' pyproject.toml)"
[ -n "$version" ] || { echo "build-llama-server: no llama-cpp-python==X pin in pyproject.toml" >&2; exit 1; }

flags="-DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=OFF -DLLAMA_BUILD_SERVER=ON -DLLAMA_BUILD_TOOLS=ON"
flags+=" -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_OPENSSL=OFF -DGGML_OPENMP=OFF"
key="$(printf '%s\n%s\n' "$version" "$flags" | sha256sum | cut -c1-16)"
cache="${SATORI_BUILD_CACHE:-$HOME/.cache/satori-desktop-build}/llama-server/$key"
if [ -x "$cache/llama-server" ]; then
  echo "build-llama-server: cached (llama-cpp-python $version)" >&2
  echo "$cache/llama-server"
  exit 0
fi
command -v cmake >/dev/null 2>&1 || { echo "build-llama-server: cmake is missing (apt-get install cmake)" >&2; exit 1; }

python="${PYTHON:-python3}"
[ -x .venv/bin/python ] && python=.venv/bin/python
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo "build-llama-server: compiling llama-server from llama-cpp-python $version's llama.cpp; this takes a while" >&2
start=$(date +%s)
"$python" -m pip download --quiet --no-deps --no-binary :all: "llama-cpp-python==$version" -d "$work" >&2
tar -xzf "$work"/llama_cpp_python-"$version".tar.gz -C "$work"
src="$work/llama_cpp_python-$version/vendor/llama.cpp"
# shellcheck disable=SC2086  # $flags is a list of words
cmake -S "$src" -B "$work/build" $flags >"$work/cmake.log" 2>&1 \
  || { tail -n 30 "$work/cmake.log" >&2; exit 1; }
cmake --build "$work/build" --target llama-server -j "${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}" \
  >"$work/build.log" 2>&1 || { tail -n 40 "$work/build.log" >&2; exit 1; }
mkdir -p "$cache"
cp "$work/build/bin/llama-server" "$cache/llama-server.partial"
mv "$cache/llama-server.partial" "$cache/llama-server"
echo "build-llama-server: built in $(( $(date +%s) - start )) s" >&2
echo "$cache/llama-server"
