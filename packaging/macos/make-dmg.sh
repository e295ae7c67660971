#!/usr/bin/env bash
# Makes the disk image users download: Satori Desktop.app next to a link to /Applications, so installing
# is one drag. Compressed with LZFSE (ULFO; every macOS the app runs on reads it).
#
#   bash packaging/macos/make-dmg.sh "build/bundle/Satori Desktop.app" dist/satori-desktop-X.Y.Z-macos-arm64.dmg
#
# hdiutil, not dmgbuild: nothing to install, and the window layout dmgbuild adds is not worth a dependency.
set -euo pipefail

[ "$#" -eq 2 ] || { echo "usage: packaging/macos/make-dmg.sh APP OUT.dmg" >&2; exit 2; }
app="$1"
out="$2"
[ -d "$app/Contents" ] || { echo "make-dmg: $app is not an app bundle" >&2; exit 1; }

staging="$(mktemp -d)"
trap 'rm -rf "$staging"' EXIT
# ditto keeps what cp can lose: the frameworks' symlinks, extended attributes, the signatures.
ditto "$app" "$staging/$(basename "$app")"
ln -s /Applications "$staging/Applications"

mkdir -p "$(dirname "$out")"
rm -f "$out"
# hdiutil on CI runners now and then fails with "Resource busy" (a race with Spotlight): try again.
for attempt in 1 2 3; do
  if hdiutil create -volname "Satori Desktop" -srcfolder "$staging" -fs HFS+ -format ULFO -ov "$out"; then
    echo "$out"
    exit 0
  fi
  echo "make-dmg: hdiutil failed (attempt $attempt), retrying" >&2
  sleep $((attempt * 10))
done
exit 1
