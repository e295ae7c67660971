#!/usr/bin/env bash
# The UI benchmark: streams a synthetic 8,000-token COAT trace into the real window (as fast as it keeps
# up, and at a fixed 500 tok/s) and starts the app cold beside a bare QWebEngineView. Figures and targets
# are printed; pass --json for one JSON object (for docs/benchmarks.md). Runs offscreen without a screen.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-.venv/bin/python}"
exec "$PYTHON" -m satori_desktop bench ui "$@"
