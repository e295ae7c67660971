#!/usr/bin/env bash
# The download benchmark: a 1 GiB file served by the fake hub (its own process, 127.0.0.1) fetched by the
# app's verified, resumable downloader and by `curl -o`, alternating, median of the rounds; then a download
# killed with SIGKILL and resumed, counting the bytes fetched twice. Needs curl. Extra arguments go to
# `bench download` (e.g. --size-mb 256 --rounds 3 --json). Run it on a quiet machine: with both cores busy
# the wall-clock ratio follows the CPU ratio (sha256 is work curl does not do).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-.venv/bin/python}"
exec "$PYTHON" -m satori_desktop bench download --size-mb 1024 --rounds 7 "$@"
