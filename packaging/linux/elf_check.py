"""Ask the dynamic linker about every ELF file of a bundle: what is missing, and which packages it needs.

    python3 packaging/linux/elf_check.py --missing BUNDLE    # exit 1 and list each library not found
    python3 packaging/linux/elf_check.py --depends BUNDLE    # the .deb's Depends line

BUNDLE is the PyInstaller folder (the one holding `satori-desktop` and `_internal/`). Its bootloader puts
`_internal/` on the library path of the app it starts, so every file is asked with that folder (and its
own, for the `$ORIGIN` of libraries that have no RPATH) on LD_LIBRARY_PATH: what ldd then cannot find
would be missing at run time too. Whatever resolves outside the bundle is the system's to provide; `dpkg
-S` names the package that owns it. Stdlib only; Linux only.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

# "libfoo.so.1 => /usr/lib/x86_64-linux-gnu/libfoo.so.1 (0x...)" or "libbar.so.2 => not found"
_LDD_LINE = re.compile(r"^\s*(\S+)\s+=>\s+(not found|\S+)")
# The PySide6 wheel is built against glibc 2.34 (manylinux_2_34), the floor of the whole bundle.
GLIBC_FLOOR = "2.34"
# Libraries that may be missing by design: the NVIDIA driver's libcuda, which the CUDA variant's backend
# module links. Without a driver ggml cannot load that module and runs on the CPU variants (and says so),
# so a missing libcuda is the expected state of a machine without an NVIDIA GPU, not a packaging bug.
PROVIDED_BY_THE_DRIVER = frozenset({"libcuda.so.1"})


def elf_files(top: Path) -> Iterator[Path]:
    for directory, _dirs, files in os.walk(top):
        for name in sorted(files):
            path = Path(directory, name)
            if path.is_symlink() or not path.is_file():
                continue
            with path.open("rb") as handle:
                if handle.read(4) == b"\x7fELF":
                    yield path


def _library_path(bundle: Path, path: Path) -> str:
    parts = [str(bundle / "_internal"), str(path.parent)]
    return os.pathsep.join(parts)


def resolve(bundle: Path, path: Path) -> dict[str, str]:
    """What the dynamic linker makes of one file's NEEDED entries: name -> resolved path or 'not found'."""
    result = subprocess.run(
        ["ldd", str(path)],
        capture_output=True,
        text=True,
        check=False,
        env={"LD_LIBRARY_PATH": _library_path(bundle, path), "PATH": os.environ.get("PATH", "/usr/bin")},
    )
    found: dict[str, str] = {}
    for line in result.stdout.splitlines():
        match = _LDD_LINE.match(line)
        if match:
            found[match.group(1)] = match.group(2)
    return found


def missing(bundle: Path) -> dict[str, list[str]]:
    """File (relative to the bundle) -> the libraries it needs that nothing provides."""
    problems: dict[str, list[str]] = {}
    for path in elf_files(bundle):
        lost = [
            name
            for name, where in resolve(bundle, path).items()
            if where == "not found" and name not in PROVIDED_BY_THE_DRIVER
        ]
        if lost:
            problems[str(path.relative_to(bundle))] = lost
    return problems


def system_libraries(bundle: Path) -> set[str]:
    """The libraries outside the bundle that its files resolve to."""
    inside = str(bundle.resolve())
    outside: set[str] = set()
    for path in elf_files(bundle):
        for where in resolve(bundle, path).values():
            if where != "not found" and not os.path.realpath(where).startswith(inside):
                outside.add(where)
    return outside


def owning_packages(libraries: set[str]) -> set[str]:
    """The Debian packages that own these files (merged /usr: a file may be registered under /lib)."""
    packages: set[str] = set()
    for library in sorted(libraries):
        candidates = {library, os.path.realpath(library)}
        candidates |= {c.removeprefix("/usr") for c in list(candidates) if c.startswith("/usr/lib")}
        candidates |= {"/usr" + c for c in list(candidates) if c.startswith("/lib")}
        for candidate in sorted(candidates):
            result = subprocess.run(["dpkg", "-S", candidate], capture_output=True, text=True, check=False)
            if result.returncode == 0:
                # "libc6:amd64: /lib/x86_64-linux-gnu/libc.so.6"
                packages.add(result.stdout.split(":", 1)[0].strip())
                break
        else:
            print(f"elf_check: no package owns {library}", file=sys.stderr)
    return packages


def depends_line(bundle: Path) -> str:
    packages = owning_packages(system_libraries(bundle)) - {"libc6"}
    return ", ".join([f"libc6 (>= {GLIBC_FLOOR})", *sorted(packages)])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--missing", action="store_true", help="list libraries nothing provides; exit 1 if any")
    mode.add_argument("--depends", action="store_true", help="print the Depends line for a .deb")
    parser.add_argument("bundle", type=Path)
    args = parser.parse_args(argv)
    if not (args.bundle / "_internal").is_dir():
        parser.error(f"{args.bundle} is not a PyInstaller bundle (it has no _internal folder)")
    if args.depends:
        print(depends_line(args.bundle))
        return 0
    problems = missing(args.bundle)
    checked = sum(1 for _ in elf_files(args.bundle))
    for name, lost in sorted(problems.items()):
        print(f"{name}: {', '.join(lost)} not found")
    print(f"elf_check: {checked} ELF files, {len(problems)} with missing libraries")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
