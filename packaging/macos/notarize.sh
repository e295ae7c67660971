#!/usr/bin/env bash
# Sends a signed disk image to Apple's notary service, waits for the verdict and staples the ticket to it,
# so Gatekeeper accepts the app without asking Apple online. The app inside was signed by sign-app.sh; the
# image itself must be signed too (the workflow does it before calling this).
#
#   APPLE_API_KEY_P8=<base64 .p8> APPLE_API_KEY_ID=... APPLE_API_ISSUER_ID=... \
#     bash packaging/macos/notarize.sh dist/satori-desktop-X.Y.Z-macos-arm64.dmg
#
# With an App Store Connect API key (Users and Access > Integrations), not an Apple ID and password: the key
# can be limited to the Developer role and revoked on its own.
set -euo pipefail

[ "$#" -eq 1 ] || { echo "usage: packaging/macos/notarize.sh FILE.dmg" >&2; exit 2; }
dmg="$1"
: "${APPLE_API_KEY_P8:?the base64 of the App Store Connect API key (.p8)}"
: "${APPLE_API_KEY_ID:?the API key id}"
: "${APPLE_API_ISSUER_ID:?the API issuer id}"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
key="$tmp/AuthKey_$APPLE_API_KEY_ID.p8"
printf '%s' "$APPLE_API_KEY_P8" | base64 --decode > "$key"
auth=(--key "$key" --key-id "$APPLE_API_KEY_ID" --issuer "$APPLE_API_ISSUER_ID")

# The verdict is read from the JSON answer, not the exit status: a rejected upload is still a finished one.
xcrun notarytool submit "$dmg" "${auth[@]}" --wait --timeout 1h --output-format json > "$tmp/submit.json" || true
cat "$tmp/submit.json"
field() { python3 -c 'import json, sys; print(json.load(open(sys.argv[1])).get(sys.argv[2], ""))' "$tmp/submit.json" "$1"; }
status="$(field status)"
id="$(field id)"
if [ "$status" != "Accepted" ]; then
  # The log says which file was rejected and why (an unsigned library, a missing timestamp, ...).
  xcrun notarytool log "$id" "${auth[@]}" || true
  echo "notarize: Apple answered '$status' for $dmg (submission $id)" >&2
  exit 1
fi

xcrun stapler staple "$dmg"
xcrun stapler validate "$dmg"
spctl --assess --type open --context context:primary-signature --verbose=2 "$dmg"
echo "notarize: $dmg notarised and stapled" >&2
