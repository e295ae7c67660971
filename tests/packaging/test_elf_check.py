"""packaging/linux/elf_check.py on small real bundles: shared libraries compiled here with the C compiler
that llama-cpp-python's build needs anyway, linked against libraries that exist, that are gone, and the
NVIDIA driver's libcuda (which may be missing by design)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from tests.support.scripts import load_script

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "packaging" / "linux" / "elf_check.py"

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="ELF and ldd are Linux's")


def _elf_check() -> ModuleType:
    return load_script(SCRIPT)


def _cc() -> str:
    compiler = shutil.which("cc") or shutil.which("gcc")
    assert compiler, "a C compiler is needed (Debian: g++, in packaging/apt-packages.txt)"
    return compiler


def _library(out: Path, *, needs: tuple[Path, ...] = (), soname: str | None = None) -> Path:
    """Compile a one-function shared library that links (no-as-needed) each library in `needs`."""
    source = out.with_suffix(".c")
    source.write_text("int satori_probe(void) { return 1; }\n")
    command = [_cc(), "-shared", "-fPIC", "-o", str(out), str(source)]
    if soname:
        command.append(f"-Wl,-soname,{soname}")
    command.append("-Wl,--no-as-needed")
    for library in needs:
        command += [str(library)]
    subprocess.run(command, check=True, capture_output=True)
    return out


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    root = tmp_path / "satori-desktop"
    (root / "_internal").mkdir(parents=True)
    return root


def test_a_bundle_whose_libraries_all_resolve_passes_and_names_the_system_packages(bundle: Path) -> None:
    elf_check = _elf_check()
    inside = _library(bundle / "_internal" / "libinside.so", soname="libinside.so")
    _library(bundle / "_internal" / "libuser.so", needs=(inside,))
    libm = Path(
        subprocess.run([_cc(), "-print-file-name=libm.so.6"], capture_output=True, text=True).stdout.strip()
    )
    _library(bundle / "_internal" / "libmath.so", needs=(libm,))

    assert elf_check.missing(bundle) == {}
    outside = elf_check.system_libraries(bundle)
    assert any(Path(path).name == "libm.so.6" for path in outside)
    assert not any(str(bundle) in path for path in outside)  # the bundle's own libraries are not "system"
    depends = elf_check.depends_line(bundle)
    assert depends.startswith("libc6 (>= 2.34)")  # libm belongs to libc6, which the floor names


def test_a_library_that_is_gone_is_reported_and_fails_the_command(bundle: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "build-machine-only"
    elsewhere.mkdir()
    gone = _library(elsewhere / "libgone.so", soname="libgone.so")
    _library(bundle / "_internal" / "libneedsgone.so", needs=(gone,))
    gone.unlink()  # there when the bundle was built, not where it runs

    assert _elf_check().missing(bundle) == {"_internal/libneedsgone.so": ["libgone.so"]}
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--missing", str(bundle)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 1
    assert "_internal/libneedsgone.so: libgone.so not found" in result.stdout
    assert "1 with missing libraries" in result.stdout


def test_the_nvidia_drivers_libcuda_may_be_missing(bundle: Path, tmp_path: Path) -> None:
    driver = tmp_path / "driver"
    driver.mkdir()
    libcuda = _library(driver / "libcuda.so.1", soname="libcuda.so.1")
    _library(bundle / "_internal" / "libggml-cuda.so", needs=(libcuda,))
    libcuda.unlink()  # a machine without the NVIDIA driver: the CUDA module is skipped at run time

    assert _elf_check().missing(bundle) == {}


def test_a_folder_that_is_no_bundle_is_refused_in_one_sentence(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--missing", str(tmp_path)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 2
    assert "is not a PyInstaller bundle" in result.stderr
    assert "Traceback" not in result.stderr
