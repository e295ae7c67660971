#!/bin/sh
# Satori Desktop, portable Linux build. Runs from where it was unpacked (./satori-desktop/satori-desktop),
# or install it for yourself, without root, with this script:
#
#   ./install.sh                  # into ~/.local: the app, the command, the menu entry, the icons
#   ./install.sh --prefix DIR     # somewhere else (DIR/bin, DIR/lib, DIR/share)
#   ./install.sh --uninstall      # remove what it installed (your models, history and settings stay)
set -eu
here="$(cd "$(dirname "$0")" && pwd)"
prefix="${HOME}/.local"
action=install
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) prefix="$2"; shift 2 ;;
    --uninstall) action=uninstall; shift ;;
    *) echo "usage: ./install.sh [--prefix DIR] [--uninstall]" >&2; exit 2 ;;
  esac
done
app_id=io.github.satori_desktop.SatoriDesktop
app_dir="$prefix/lib/satori-desktop"

remove() {
  rm -rf "$app_dir"
  rm -f "$prefix/bin/satori-desktop" "$prefix/share/applications/$app_id.desktop" \
    "$prefix/share/metainfo/$app_id.metainfo.xml"
  find "$prefix/share/icons/hicolor" -name "$app_id.*" -delete 2>/dev/null || true
}

refresh_caches() {  # menus and docks notice the change sooner; harmless where the tools are missing
  command -v update-desktop-database >/dev/null 2>&1 \
    && update-desktop-database -q "$prefix/share/applications" 2>/dev/null || true
  command -v gtk-update-icon-cache >/dev/null 2>&1 \
    && gtk-update-icon-cache -q -t "$prefix/share/icons/hicolor" 2>/dev/null || true
}

if [ "$action" = uninstall ]; then
  remove
  refresh_caches
  echo "Satori Desktop was removed from $prefix. Your models, history and settings were kept."
  exit 0
fi

[ -x "$here/satori-desktop/satori-desktop" ] || {
  echo "install.sh: run it from the unpacked folder (satori-desktop/ is missing next to it)." >&2
  exit 1
}
remove
mkdir -p "$prefix/bin" "$prefix/lib" "$prefix/share/applications" "$prefix/share/metainfo"
cp -a "$here/satori-desktop" "$app_dir"
ln -s "$app_dir/satori-desktop" "$prefix/bin/satori-desktop"
# The menu entry names the program by its full path: ~/.local/bin is not on every desktop's PATH.
sed "s|^Exec=satori-desktop|Exec=$app_dir/satori-desktop|" "$here/share/applications/$app_id.desktop" \
  > "$prefix/share/applications/$app_id.desktop"
cp "$here/share/metainfo/$app_id.metainfo.xml" "$prefix/share/metainfo/"
cp -R "$here/share/icons" "$prefix/share/"
refresh_caches
echo "Satori Desktop is installed in $app_dir; start it from your applications menu or with $prefix/bin/satori-desktop."
