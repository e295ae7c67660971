#!/usr/bin/env bash
# Puts the Developer ID certificate into a temporary keychain that codesign can use without a prompt, for
# one CI job. The release workflow runs this only when the secrets are set and deletes the keychain in an
# always() step at the end of the job.
#
#   MACOS_CERTIFICATE_P12=<base64 .p12> MACOS_CERTIFICATE_PASSWORD=... bash packaging/macos/setup-keychain.sh
#
# Writes to $GITHUB_ENV (or prints, outside Actions): MACOS_KEYCHAIN (the keychain's path) and
# MACOS_SIGNING_IDENTITY (the SHA-1 of the first "Developer ID Application" identity in it: a hash, so
# two certificates with the same name cannot make codesign pick the wrong one).
set -euo pipefail

: "${MACOS_CERTIFICATE_P12:?the base64 of the .p12 certificate}"
: "${MACOS_CERTIFICATE_PASSWORD:?the .p12 password}"

tmp="${RUNNER_TEMP:-$(mktemp -d)}"
keychain="$tmp/satori-signing.keychain-db"
# The keychain lives only as long as the job, so its password is random and never stored.
keychain_password="$(openssl rand -base64 24)"
p12="$tmp/satori-signing.p12"

security create-keychain -p "$keychain_password" "$keychain"
# Stay unlocked for 6 hours (the job's longest life), not the default 5 minutes of inactivity.
security set-keychain-settings -lut 21600 "$keychain"
security unlock-keychain -p "$keychain_password" "$keychain"

printf '%s' "$MACOS_CERTIFICATE_P12" | base64 --decode > "$p12"
security import "$p12" -k "$keychain" -P "$MACOS_CERTIFICATE_PASSWORD" -f pkcs12 -T /usr/bin/codesign
rm -f "$p12"
# Lets codesign use the private key without the "allow access" dialog no one can click in CI.
security set-key-partition-list -S apple-tool:,apple:,codesign: -s -k "$keychain_password" "$keychain" >/dev/null

# Search the new keychain first, keeping the others (the system roots that complete the chain).
existing=()
while IFS= read -r line; do
  line="${line#"${line%%[![:space:]]*}"}"
  existing+=("${line//\"/}")
done < <(security list-keychains -d user)
security list-keychains -d user -s "$keychain" "${existing[@]}"

identity="$(security find-identity -v -p codesigning "$keychain" \
  | awk '/Developer ID Application/ { print $2; exit }')"
[ -n "$identity" ] || { echo "setup-keychain: no 'Developer ID Application' identity in the .p12" >&2; exit 1; }

out="${GITHUB_ENV:-/dev/stdout}"
{
  echo "MACOS_KEYCHAIN=$keychain"
  echo "MACOS_SIGNING_IDENTITY=$identity"
} >> "$out"
echo "setup-keychain: signing identity $identity ready in $keychain" >&2
