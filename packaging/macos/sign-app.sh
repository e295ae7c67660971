#!/usr/bin/env bash
# Signs Satori Desktop.app with the hardened runtime, as notarisation requires, and checks the result.
#
#   bash packaging/macos/sign-app.sh IDENTITY "build/bundle/Satori Desktop.app"
#
# IDENTITY: what codesign --sign takes (packaging/macos/setup-keychain.sh provides the certificate's hash).
# Inside out: first every Mach-O file in the bundle (the Python extension modules, llama.cpp's libraries,
# Qt's frameworks and the QtWebEngineProcess helper; PyInstaller gave them ad-hoc signatures, which
# notarisation rejects), then the app with --deep, which seals the nested bundles and the app itself. Every
# signature carries a secure timestamp and the entitlements in packaging/macos/entitlements.plist (the
# helper needs the same JIT exceptions as the app; on a library they are ignored).
set -euo pipefail

[ "$#" -eq 2 ] || { echo "usage: packaging/macos/sign-app.sh IDENTITY APP" >&2; exit 2; }
identity="$1"
app="$2"
entitlements="$(cd "$(dirname "$0")" && pwd)/entitlements.plist"
[ -d "$app/Contents" ] || { echo "sign-app: $app is not an app bundle" >&2; exit 1; }

sign() {
  codesign --force --options runtime --timestamp --entitlements "$entitlements" --sign "$identity" "$@"
}

machos=()
while IFS= read -r -d '' file; do
  if file -b "$file" | grep -q 'Mach-O'; then
    machos+=("$file")
  fi
done < <(find "$app/Contents" -type f ! -path "$app/Contents/MacOS/*" -print0)
echo "sign-app: signing ${#machos[@]} nested binaries" >&2
# Fifty files a call: fewer processes, and a command line well inside ARG_MAX.
for (( i = 0; i < ${#machos[@]}; i += 50 )); do
  sign "${machos[@]:i:50}"
done

sign --deep "$app"
codesign --verify --deep --strict --verbose=2 "$app"
codesign --display --entitlements - "$app"
echo "sign-app: signed $app" >&2
