#!/usr/bin/env bash
# Fails when a binary in the app needs a newer macOS than its Info.plist promises (LSMinimumSystemVersion,
# from packaging/macos/info_plist.py): on the older system that library would not load and the app would
# stop at start, which no test on the build runner's own macOS can see. The usual causes: a wheel that pip
# chose for the runner's macOS (numpy publishes macOS 14-only builds), or a library compiled without
# MACOSX_DEPLOYMENT_TARGET.
#
#   bash packaging/macos/check-deployment-target.sh "build/bundle/Satori Desktop.app"
set -euo pipefail

[ "$#" -eq 1 ] || { echo "usage: packaging/macos/check-deployment-target.sh APP" >&2; exit 2; }
app="$1"
minimum="$(/usr/libexec/PlistBuddy -c 'Print :LSMinimumSystemVersion' "$app/Contents/Info.plist")"

# 13.4.1 -> 130401, so versions compare as numbers.
as_number() { awk -F. '{ printf "%d\n", $1 * 10000 + $2 * 100 + $3 }' <<< "$1"; }
limit="$(as_number "$minimum")"

checked=0
too_new=()
while IFS= read -r -d '' file; do
  file -b "$file" | grep -q 'Mach-O' || continue
  # The arm64 slice's minimum: "minos" of LC_BUILD_VERSION, or "version" of the older LC_VERSION_MIN_MACOSX.
  needed="$(otool -arch arm64 -l "$file" 2>/dev/null | awk '
    /cmd LC_BUILD_VERSION|cmd LC_VERSION_MIN_MACOSX/ { found = 1 }
    found && ($1 == "minos" || $1 == "version") { print $2; exit }')" || true
  [ -n "$needed" ] || continue
  checked=$((checked + 1))
  if [ "$(as_number "$needed")" -gt "$limit" ]; then
    too_new+=("${file#"$app/"} needs macOS $needed")
  fi
done < <(find "$app/Contents" -type f -print0)

if [ "${#too_new[@]}" -gt 0 ]; then
  echo "check-deployment-target: the app promises macOS $minimum, but:" >&2
  printf '  %s\n' "${too_new[@]}" >&2
  exit 1
fi
echo "check-deployment-target: all $checked binaries run on macOS $minimum" >&2
