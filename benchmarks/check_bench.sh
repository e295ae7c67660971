#!/usr/bin/env bash
# The answer-checking benchmark (issue 11): the first check of a fresh AnswerChecker, which pays for the
# worker process's start (spawn, import math_verify, warm-up), median of 5 fresh checkers; then 200 checks
# with the worker warm over every kind of answer (fractions to words), p50/p95/max. Goals: first check
# < 2 s, warm p95 < 300 ms. Extra arguments go to `bench check` (e.g. --json). Run it on a quiet machine:
# SymPy is pure Python and a busy core stretches every figure.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-.venv/bin/python}"
exec "$PYTHON" -m satori_desktop bench check --cold-runs 5 --pairs 200 "$@"
