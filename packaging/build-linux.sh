#!/usr/bin/env bash
# Builds the Linux artefacts into dist/: a .deb and a portable .tar.xz.
#
#   bash packaging/build-linux.sh            # the CPU variant (runs on any x86-64 CPU)
#   bash packaging/build-linux.sh --cuda     # the CUDA variant (needs the CUDA toolkit to build)
#
# Both hold the same PyInstaller bundle (packaging/freeze.py): the .deb puts it under /opt/satori-desktop
# with /usr/bin/satori-desktop, a .desktop entry, icons and AppStream metainfo; the tarball unpacks
# anywhere and its install.sh puts the same pieces under ~/.local. `packaging/linux/smoke-test.sh` tests
# both. Writes dist/build-linux-<variant>.json with the build time and the sizes.
set -euo pipefail
cd "$(dirname "$0")/.."

variant=cpu
for arg in "$@"; do
  case "$arg" in
    --cuda) variant=cuda ;;
    *) echo "usage: packaging/build-linux.sh [--cuda]" >&2; exit 2 ;;
  esac
done

app_id=io.github.satori_desktop.SatoriDesktop
version="$(sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml)"
suffix=""; package=satori-desktop
if [ "$variant" = cuda ]; then suffix="-cuda"; package=satori-desktop-cuda; fi
started=$(date +%s)

# 1. The bundle.
bundle="$(python3 packaging/freeze.py --variant "$variant" | tail -n1)"
[ -x "$bundle/satori-desktop" ] || { echo "build-linux: no executable in $bundle" >&2; exit 1; }
build_python="build/freeze/$variant/venv/bin/python"

# 2. The files a desktop needs, laid out under a prefix (the .deb's /usr, the tarball's share/).
desktop_files() {  # desktop_files PREFIX EXEC
  local prefix="$1" exec="$2"
  mkdir -p "$prefix/share/applications" "$prefix/share/metainfo"
  sed "s|^Exec=satori-desktop|Exec=$exec|" "packaging/linux/$app_id.desktop" \
    > "$prefix/share/applications/$app_id.desktop"
  cp "packaging/linux/$app_id.metainfo.xml" "$prefix/share/metainfo/$app_id.metainfo.xml"
  QT_QPA_PLATFORM=offscreen "$build_python" packaging/render_icons.py --hicolor "$prefix" >/dev/null
}

# 3. The .deb.
root="build/deb/$variant/root"
rm -rf "build/deb/$variant" && mkdir -p "$root/opt" "$root/usr/bin" "$root/DEBIAN"
cp -a "$bundle" "$root/opt/satori-desktop"
ln -s /opt/satori-desktop/satori-desktop "$root/usr/bin/satori-desktop"
desktop_files "$root/usr" satori-desktop
mkdir -p "$root/usr/share/doc/$package"
cp README.md "$root/usr/share/doc/$package/README.md"

# Depends: the packages that own the system libraries the bundle links against but does not carry
# (libc, libGL, X11, ...), found by asking the dynamic linker about every ELF file in it. Recommends: a CJK
# font, for Chinese questions, answers and the Chinese interface (Qt finds the system's fonts).
depends="$(python3 packaging/linux/elf_check.py --depends "$root/opt/satori-desktop")"
installed_kib=$(du -sk --apparent-size "$root" | cut -f1)
conflicts=satori-desktop-cuda; [ "$variant" = cuda ] && conflicts=satori-desktop
cat > "$root/DEBIAN/control" <<CONTROL
Package: $package
Version: $version
Architecture: amd64
Maintainer: Satori Desktop developers <satori-desktop@users.noreply.github.com>
Installed-Size: $installed_kib
Depends: $depends
Recommends: fonts-noto-cjk | fonts-wqy-microhei
Conflicts: $conflicts
Replaces: $conflicts
Provides: satori-desktop
Section: education
Priority: optional
Homepage: https://github.com/satori-desktop/satori-desktop
Description: offline math assistant around the Satori-7B reasoning model
 Satori Desktop solves math problems offline with Satori-7B-Round2 through
 llama.cpp, streaming its step-by-step reasoning with collapsible self-checks
 and changes of approach, and a typeset final answer.
CONTROL
mkdir -p dist
deb="dist/${package}_${version}_amd64.deb"
# xz at its default level: -9 saves 2 % more and takes three times as long on 2 cores.
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null

# 4. The portable tarball: the bundle, the desktop files and an installer for ~/.local.
name="satori-desktop-$version-linux-x86_64$suffix"
stage="build/tar/$variant/$name"
rm -rf "build/tar/$variant" && mkdir -p "$stage"
cp -a "$bundle" "$stage/satori-desktop"
desktop_files "$stage" satori-desktop
install -m 0755 packaging/linux/install.sh "$stage/install.sh"
tarball="dist/$name.tar.xz"
XZ_OPT="-T0" tar -C "build/tar/$variant" --owner=0 --group=0 -cJf "$tarball" "$name"

seconds=$(( $(date +%s) - started ))
python3 - "$variant" "$seconds" "$deb" "$tarball" "$root" > "dist/build-linux-$variant.json" <<'PY'
import json, os, sys
variant, seconds, deb, tarball, root = sys.argv[1:]
def tree_bytes(top):
    return sum(os.lstat(os.path.join(d, f)).st_size for d, _, files in os.walk(top) for f in files)
print(json.dumps({
    "variant": variant,
    "build_seconds": int(seconds),
    "deb": deb, "deb_bytes": os.path.getsize(deb),
    "tarball": tarball, "tarball_bytes": os.path.getsize(tarball),
    "installed_bytes": tree_bytes(root) - tree_bytes(os.path.join(root, "DEBIAN")),
}, indent=2))
PY
echo "build-linux: $deb and $tarball in $seconds s"
