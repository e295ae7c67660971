#!/usr/bin/env bash
# Sets up a working copy of Satori Desktop on a fresh machine: system libraries Qt WebEngine needs (Debian/
# Ubuntu, when run as root or with sudo), a virtual environment in .venv with the app installed in editable
# mode (plus the test tools with --test), the web assets (KaTeX) from the npm registry, and the window's
# translations compiled with the PySide6 it installed.
#
# Safe to run again: each step skips what is already done. llama-cpp-python compiles from source (about 9
# minutes on 2 cores); it is built with every core and pip's wheel cache keeps the result, so a second
# environment on the same machine installs it in seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

extras=""
for arg in "$@"; do
  case "$arg" in
    --test) extras="[test]" ;;
    *) echo "usage: scripts/bootstrap.sh [--test]" >&2; exit 2 ;;
  esac
done

# 1. System packages (the Qt WebEngine runtime libraries, fonts, curl for the download benchmark).
if command -v apt-get >/dev/null 2>&1 && [ -f packaging/apt-packages.txt ]; then
  missing=()
  while read -r pkg; do
    [ -z "$pkg" ] || [ "${pkg:0:1}" = "#" ] && continue
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done < packaging/apt-packages.txt
  if [ "${#missing[@]}" -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "Installing system packages: ${missing[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
fi

# 2. Python environment.
python3 -c 'import sys; sys.exit(sys.version_info < (3, 10))' \
  || { echo "Satori Desktop needs Python 3.10 or newer." >&2; exit 1; }
[ -x .venv/bin/python ] || python3 -m venv .venv
export CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc 2>/dev/null || echo 2)}"
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".${extras}"

# 3. Web assets (KaTeX), pinned in assets/package-lock.json.
.venv/bin/python packaging/fetch_web_assets.py

# 4. The window's translations: satori_desktop/ui/i18n/*.ts compiled into satori_desktop/_assets/i18n/.
.venv/bin/python packaging/compile_translations.py

# 5. With --test: llama.cpp's llama-server, built once from the llama.cpp source in the pinned
#    llama-cpp-python sdist and cached (the remote-engine tests run the app against it on 127.0.0.1).
if [ -n "$extras" ]; then
  bash scripts/build-llama-server.sh >/dev/null
fi
