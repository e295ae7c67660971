#!/usr/bin/env bash
# Installers (issue 9): builds the Linux packages (timed, sizes in dist/build-linux-cpu.json), smoke-tests
# them as installed, then compares the frozen app with this source install side by side: cold start to a
# ready window, and decode speed on a random-weight model with Satori's vocabulary (the bundle's llama.cpp
# picks a CPU variant at run time; the source install's is compiled for this CPU). Pass --json for one
# JSON object (for docs/benchmarks.md).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-.venv/bin/python}"
bash packaging/build-linux.sh
bash packaging/linux/smoke-test.sh
model="${MODEL:-/tmp/satori-bench-model.gguf}"
[ -f "$model" ] || "$PYTHON" -m tests.support.tiny_gguf "$model" --preset bench
cat dist/build-linux-cpu.json
exec "$PYTHON" -m satori_desktop bench bundle --executable build/bundle/cpu/satori-desktop/satori-desktop \
  --model "$model" "$@"
