#!/usr/bin/env bash
# Tests the Linux artefacts that packaging/build-linux.sh left in dist/, as a user would get them:
#
#   bash packaging/linux/smoke-test.sh [--cuda]
#
# The .deb is unpacked into a temporary root (what dpkg would install, without touching this machine) and
# the tarball is unpacked and installed with its install.sh into a temporary HOME. For each: the desktop
# entry and the AppStream metainfo validate, every bundled ELF file finds its libraries, and the installed
# program's `--self-test` passes in an empty environment (`env -i`: no PATH tweaks, no display, no Python,
# a HOME of its own); the .deb's window also opens (offscreen), and a second start hands over to it and
# exits. Writes dist/smoke-test-<variant>.json; exits non-zero on the first failure.
set -euo pipefail
cd "$(dirname "$0")/../.."

variant=cpu; package=satori-desktop; suffix=""
for arg in "$@"; do
  case "$arg" in
    --cuda) variant=cuda; package=satori-desktop-cuda; suffix="-cuda" ;;
    *) echo "usage: packaging/linux/smoke-test.sh [--cuda]" >&2; exit 2 ;;
  esac
done
app_id=io.github.satori_desktop.SatoriDesktop
version="$(sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml)"
deb="dist/${package}_${version}_amd64.deb"
tarball="dist/satori-desktop-$version-linux-x86_64$suffix.tar.xz"
for artefact in "$deb" "$tarball"; do
  [ -f "$artefact" ] || { echo "smoke-test: $artefact is missing: run packaging/build-linux.sh first" >&2; exit 1; }
done

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
fail() { echo "smoke-test: FAILED: $*" >&2; exit 1; }
step() { echo "smoke-test: $*"; }

self_test() {  # self_test NAME PROGRAM HOME: the installed program's self-test in an empty environment
  local name="$1" program="$2" home="$3" report="$tmp/$1-report.json"
  mkdir -p "$home"
  if ! env -i HOME="$home" PATH=/usr/bin:/bin "$program" --self-test --self-test-report "$report" \
      > "$tmp/$name-self-test.txt" 2>&1; then
    cat "$tmp/$name-self-test.txt" >&2
    fail "the $name's --self-test failed"
  fi
  python3 - "$report" <<'PY' || fail "the $name's self-test report is not what a release build gives"
import json, sys
report = json.load(open(sys.argv[1]))
runtime = report.get("runtime", {})
problems = []
if not report.get("ok"):
    problems.append("the report is not ok")
if not report.get("app", {}).get("frozen"):
    problems.append("the program is not the frozen bundle")
if not runtime.get("dynamic_backends"):
    problems.append("llama.cpp's backends were not loaded at run time (not a release build?)")
if runtime.get("cpu_variant") in (None, "", "unknown", "built in"):
    problems.append(f"no CPU variant was chosen ({runtime.get('cpu_variant')!r})")
worker = report.get("checker", {}).get("worker") or {}
if not worker:
    problems.append("the answer checker's worker never said it was ready (no check-answer step?)")
for problem in problems:
    print("smoke-test:", problem, file=sys.stderr)
print(f"smoke-test:   backends {runtime.get('backends')}, CPU variant {runtime.get('cpu_variant')}")
# Not a failure: PyInstaller's PySide6 runtime hook imports QtCore in every process of the bundle, the
# spawned worker too (packaging/README.md); the line says what the worker has loaded besides math-verify.
heavy = sorted({name.split(".")[0] for name in worker.get("heavy_modules") or []})
print(f"smoke-test:   answer checker's worker: math-verify imported in {worker.get('import_s', 0):.2f} s; "
      f"also loaded: {', '.join(heavy) or 'nothing heavy'}")
sys.exit(1 if problems else 0)
PY
  step "  $name: --self-test passed in an empty environment"
}

second_start() {  # second_start NAME PROGRAM HOME: the window opens; a second start hands over to it and exits
  local name="$1" program="$2" home="$3" first i
  local run=(env -i HOME="$home" PATH=/usr/bin:/bin QT_QPA_PLATFORM=offscreen QTWEBENGINE_CHROMIUM_FLAGS=--no-sandbox)
  "${run[@]}" "$program" --scripted-engine > "$tmp/$name-first.txt" 2>&1 &
  first=$!
  for i in $(seq 1 300); do  # up to 60 s for the window (its log says when it is ready)
    grep -rqs "the window is ready" "$home" --include='*.log' && break
    kill -0 "$first" 2>/dev/null || { cat "$tmp/$name-first.txt" >&2; fail "the $name's window did not open"; }
    sleep 0.2
  done
  grep -rqs "the window is ready" "$home" --include='*.log' || { kill "$first"; fail "the $name's window was not ready in 60 s"; }
  if ! timeout 60 "${run[@]}" "$program" --scripted-engine > "$tmp/$name-second.txt" 2>&1 \
      || ! grep -q "open already" "$tmp/$name-second.txt"; then
    cat "$tmp/$name-second.txt" >&2; kill "$first"; fail "a second start of the $name did not hand over to its window"
  fi
  kill -TERM "$first"
  wait "$first" || [ $? -eq 143 ] || fail "the $name's window did not close cleanly on SIGTERM"
  step "  $name: a second start brought the open window forward and exited"
}

validate_desktop_files() {  # validate_desktop_files SHARE_DIR
  desktop-file-validate "$1/applications/$app_id.desktop" || fail "desktop-file-validate: $1"
  appstreamcli validate --no-net --pedantic "$1/metainfo/$app_id.metainfo.xml" >/dev/null \
    || appstreamcli validate --no-net "$1/metainfo/$app_id.metainfo.xml" \
    || fail "appstreamcli validate: $1"
}

# 1. The .deb, unpacked as dpkg would install it.
step "$deb"
root="$tmp/deb-root"
dpkg-deb -x "$deb" "$root"
dpkg-deb -f "$deb" Package Version Depends | sed 's/^/smoke-test:   /'
[ "$(readlink "$root/usr/bin/satori-desktop")" = /opt/satori-desktop/satori-desktop ] \
  || fail "/usr/bin/satori-desktop does not point at /opt/satori-desktop/satori-desktop"
[ -x "$root/opt/satori-desktop/satori-desktop" ] || fail "/opt/satori-desktop/satori-desktop is missing"
[ -f "$root/usr/share/icons/hicolor/scalable/apps/$app_id.svg" ] || fail "the scalable icon is missing"
validate_desktop_files "$root/usr/share"
python3 packaging/linux/elf_check.py --missing "$root/opt/satori-desktop" | tail -n 20 \
  || fail "bundled ELF files miss libraries"
self_test deb "$root/opt/satori-desktop/satori-desktop" "$tmp/home-deb"
second_start deb "$root/opt/satori-desktop/satori-desktop" "$tmp/home-deb"

# 2. The tarball, installed with its install.sh for a user whose HOME is empty.
step "$tarball"
mkdir -p "$tmp/unpacked" "$tmp/home-tar"
tar -C "$tmp/unpacked" -xJf "$tarball"
unpacked="$tmp/unpacked/satori-desktop-$version-linux-x86_64$suffix"
env -i HOME="$tmp/home-tar" PATH=/usr/bin:/bin sh "$unpacked/install.sh" | sed 's/^/smoke-test:   /'
local_prefix="$tmp/home-tar/.local"
[ -L "$local_prefix/bin/satori-desktop" ] || fail "install.sh made no ~/.local/bin/satori-desktop"
grep -q "^Exec=$local_prefix/lib/satori-desktop/satori-desktop" \
  "$local_prefix/share/applications/$app_id.desktop" || fail "the installed menu entry's Exec is wrong"
validate_desktop_files "$local_prefix/share"
rm -rf "$unpacked"  # the installed copy must not need the unpacked folder
self_test tarball "$local_prefix/bin/satori-desktop" "$tmp/home-tar"
env -i HOME="$tmp/home-tar" PATH=/usr/bin:/bin "$local_prefix/bin/satori-desktop" --version >/dev/null \
  || fail "satori-desktop --version"
tar -C "$tmp/unpacked" -xJf "$tarball"
env -i HOME="$tmp/home-tar" PATH=/usr/bin:/bin sh "$unpacked/install.sh" --uninstall >/dev/null
[ ! -e "$local_prefix/bin/satori-desktop" ] && [ ! -e "$local_prefix/lib/satori-desktop" ] \
  || fail "install.sh --uninstall left files behind"
step "  tarball: install.sh --uninstall removed it"

installed=$(du -sb "$root" | cut -f1)
python3 - "$deb" "$tarball" "$installed" "$variant" > "dist/smoke-test-$variant.json" <<'PY'
import json, os, sys
deb, tarball, installed, variant = sys.argv[1:]
print(json.dumps({"variant": variant, "passed": True, "deb_bytes": os.path.getsize(deb),
                  "tarball_bytes": os.path.getsize(tarball), "installed_bytes": int(installed)}, indent=2))
PY
step "passed: .deb $(( $(stat -c %s "$deb") / 1000000 )) MB, tarball $(( $(stat -c %s "$tarball") / 1000000 )) MB, installed $(( installed / 1000000 )) MB"
