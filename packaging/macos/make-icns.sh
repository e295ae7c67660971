#!/usr/bin/env bash
# Makes the macOS app icon (.icns) from the PNGs packaging/render_icons.py writes, with Apple's iconutil
# (macOS only; the release workflow runs it before packaging/freeze.py, whose spec takes the icon from
# build/icons/satori-desktop.icns).
#
#   bash packaging/macos/make-icns.sh PNG_DIR OUT.icns
#
# An .iconset names each image by its size in points, and the @2x images are the Retina ones: the 64 px
# PNG is icon_32x32@2x.png. render_icons.py stops at 512 px, so there is no 512pt@2x (1024 px) image;
# macOS scales the 512 px one in the rare places that want more.
set -euo pipefail

[ "$#" -eq 2 ] || { echo "usage: packaging/macos/make-icns.sh PNG_DIR OUT.icns" >&2; exit 2; }
png_dir="$1"
out="$2"

iconset="$(mktemp -d)/satori-desktop.iconset"
mkdir -p "$iconset"
# iconset name = the PNG size it takes
for entry in 16x16:16 16x16@2x:32 32x32:32 32x32@2x:64 128x128:128 128x128@2x:256 256x256:256 \
  256x256@2x:512 512x512:512; do
  name="${entry%%:*}"
  png="$png_dir/satori-desktop-${entry##*:}.png"
  [ -f "$png" ] || { echo "make-icns: $png is missing (run packaging/render_icons.py --out $png_dir)" >&2; exit 1; }
  cp "$png" "$iconset/icon_$name.png"
done
mkdir -p "$(dirname "$out")"
iconutil --convert icns --output "$out" "$iconset"
rm -rf "$(dirname "$iconset")"
echo "$out"
