#!/usr/bin/env bash
# Makes the AppImage from the frozen app: an AppDir (the onedir bundle, AppRun, the .desktop file, the
# icon and the AppStream metainfo), packed by appimagetool into one executable file.
#
#   bash packaging/linux/build-appimage.sh --out dist/satori-desktop-X.Y.Z-x86_64.AppImage \
#       [--bundle build/bundle/satori-desktop] [--icons build/icons] [--desktop FILE] [--metainfo FILE]
#
# Built ONLY in the release workflow (.github/workflows/release.yml): appimagetool and the AppImage
# runtime it puts in front of the image are published on GitHub only, which our offline build machine
# cannot reach (packaging notes, section 4), so the .deb and the .tar.xz are the Linux packages tested
# there. Both downloads are pinned to a release and checked against their SHA-256. Set APPIMAGETOOL
# and APPIMAGE_RUNTIME to files already on disk to skip them (the tests do, with a stand-in tool).
#
# --icons is the folder `packaging/render_icons.py --out` wrote (satori-desktop-<N>.png).
set -euo pipefail
cd "$(dirname "$0")/../.."

APP_ID="io.github.satori_desktop.SatoriDesktop"
APPIMAGETOOL_URL="https://github.com/AppImage/appimagetool/releases/download/1.9.1/appimagetool-x86_64.AppImage"
APPIMAGETOOL_SHA256="ed4ce84f0d9caff66f50bcca6ff6f35aae54ce8135408b3fa33abfc3cb384eb0"
RUNTIME_URL="https://github.com/AppImage/type2-runtime/releases/download/20251108/runtime-x86_64"
RUNTIME_SHA256="2fca8b443c92510f1483a883f60061ad09b46b978b2631c807cd873a47ec260d"

bundle="build/bundle/satori-desktop"
icons="build/icons"
desktop="packaging/linux/$APP_ID.desktop"
metainfo="packaging/linux/$APP_ID.metainfo.xml"
out=""
usage="usage: packaging/linux/build-appimage.sh --out FILE.AppImage [--bundle DIR] [--icons DIR] [--desktop FILE] [--metainfo FILE]"
while [ "$#" -gt 0 ]; do
  case "$1" in
    --out) out="$2"; shift 2 ;;
    --bundle) bundle="$2"; shift 2 ;;
    --icons) icons="$2"; shift 2 ;;
    --desktop) desktop="$2"; shift 2 ;;
    --metainfo) metainfo="$2"; shift 2 ;;
    *) echo "$usage" >&2; exit 2 ;;
  esac
done
[ -n "$out" ] || { echo "$usage" >&2; exit 2; }

fail() { echo "build-appimage: $*" >&2; exit 1; }
[ -x "$bundle/satori-desktop" ] || fail "no executable at $bundle/satori-desktop (run packaging/freeze.py first)"
[ -f "$desktop" ] || fail "no desktop file at $desktop"
[ -f "$metainfo" ] || fail "no AppStream metainfo at $metainfo"
[ -f "$icons/satori-desktop-256.png" ] || fail "no $icons/satori-desktop-256.png (run packaging/render_icons.py --out $icons)"

# fetch URL SHA256 NAME: prints the path of the verified download, kept in the build cache.
fetch() {
  local cache="${SATORI_BUILD_CACHE:-$HOME/.cache/satori-desktop-build}/appimage"
  local file="$cache/$3"
  if [ ! -f "$file" ] || ! echo "$2  $file" | sha256sum --check --status; then
    mkdir -p "$cache"
    echo "build-appimage: downloading $1" >&2
    curl --fail --location --silent --show-error --retry 3 --output "$file.partial" "$1"
    echo "$2  $file.partial" | sha256sum --check --status || fail "$1 does not have SHA-256 $2"
    mv "$file.partial" "$file"
  fi
  chmod +x "$file"
  echo "$file"
}
tool="${APPIMAGETOOL:-$(fetch "$APPIMAGETOOL_URL" "$APPIMAGETOOL_SHA256" appimagetool-1.9.1-x86_64.AppImage)}"
runtime="${APPIMAGE_RUNTIME:-$(fetch "$RUNTIME_URL" "$RUNTIME_SHA256" runtime-20251108-x86_64)}"

# The icon's name is what the desktop file says; appimagetool wants that file at the AppDir's top.
icon_name="$(sed -n 's/^Icon=//p' "$desktop" | head -n1)"
[ -n "$icon_name" ] || fail "$desktop has no Icon= line"

work="$(mktemp -d "${TMPDIR:-/tmp}/satori-appimage.XXXXXX")"
trap 'rm -rf "$work"' EXIT
appdir="$work/$APP_ID.AppDir"
mkdir -p "$appdir/usr/lib" "$appdir/usr/share/applications" "$appdir/usr/share/metainfo"
# -a keeps the bundle's symlinks (Qt's libraries) as links.
cp -a "$bundle" "$appdir/usr/lib/satori-desktop"
cp "$desktop" "$appdir/$APP_ID.desktop"
cp "$desktop" "$appdir/usr/share/applications/$APP_ID.desktop"
cp "$metainfo" "$appdir/usr/share/metainfo/$APP_ID.metainfo.xml"
for png in "$icons"/satori-desktop-*.png; do
  size="${png##*-}"
  size="${size%.png}"
  mkdir -p "$appdir/usr/share/icons/hicolor/${size}x${size}/apps"
  cp "$png" "$appdir/usr/share/icons/hicolor/${size}x${size}/apps/$icon_name.png"
done
cp "$icons/satori-desktop-256.png" "$appdir/$icon_name.png"
ln -s "$icon_name.png" "$appdir/.DirIcon"

# AppRun is what the runtime executes once the image is mounted; it may be started through a symlink
# (AppImageLauncher, a desktop entry), hence readlink.
cat > "$appdir/AppRun" <<'APPRUN'
#!/bin/sh
here="$(dirname "$(readlink -f "$0")")"
exec "$here/usr/lib/satori-desktop/satori-desktop" "$@"
APPRUN
chmod +x "$appdir/AppRun"

mkdir -p "$(dirname "$out")"
rm -f "$out"
# APPIMAGE_EXTRACT_AND_RUN: appimagetool is itself an AppImage, and CI runners have no FUSE to mount it.
# --no-appstream: the same metainfo is validated by packaging/linux/smoke-test.sh (appstreamcli, offline);
# appimagetool's own check would make the build depend on the runner's appstreamcli and its network checks.
ARCH=x86_64 APPIMAGE_EXTRACT_AND_RUN=1 "$tool" --no-appstream --runtime-file "$runtime" "$appdir" "$out"
[ -s "$out" ] || fail "appimagetool wrote nothing at $out"
echo "$out"
