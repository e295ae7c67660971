"""engine/backends.py against the llama.cpp this environment has (a source build: backends linked in).

The other kind, a release build whose backends are modules loaded at run time, is checked end to end by
the bundle's smoke test (packaging/linux/smoke-test.sh asserts the self-test's report).
"""

from __future__ import annotations

from pathlib import Path

from satori_desktop.engine.backends import (
    Device,
    RuntimeReport,
    backend_modules,
    cpu_fallback_sentence,
    describe,
    runtime_report,
)


def test_a_source_build_reports_its_linked_in_cpu_backend_and_the_features_it_was_compiled_with() -> None:
    report = runtime_report()
    assert "CPU" in report.backends
    assert report.dynamic_backends is False
    assert report.cpu_variant == "built in"
    assert any(device.kind == "CPU" for device in report.devices)
    # Every x86-64 build of ggml has at least SSE3; an ARM one NEON or DOTPROD.
    assert report.cpu_features, report
    assert Path(report.lib_dir, "libllama.so").exists() or any(Path(report.lib_dir).glob("*llama*"))
    assert cpu_fallback_sentence(report) is None  # a CPU build has no GPU to fall back from


def test_backend_modules_are_the_loadable_backends_not_ggml_base_or_versioned_links(tmp_path: Path) -> None:
    names = [
        "libggml.so",
        "libggml-base.so",
        "libggml-cpu-haswell.so",
        "libggml-cpu-x64.so",
        "libggml-cuda.so",
        "libggml-cpu.so.0",
        "libggml-cpu.so.0.25.3",
        "ggml-cpu-skylakex.dll",
        "libllama.so",
    ]
    for name in names:
        (tmp_path / name).write_bytes(b"")
    found = [path.name for path in backend_modules(tmp_path)]
    assert found == [
        "ggml-cpu-skylakex.dll",
        "libggml-cpu-haswell.so",
        "libggml-cpu-x64.so",
        "libggml-cuda.so",
    ]


def _report(**changes: object) -> RuntimeReport:
    base: dict[str, object] = dict(
        backends=["CPU"],
        devices=[Device("CPU", "Some CPU", "CPU")],
        cpu_variant="haswell",
        cpu_features=["AVX2"],
        dynamic_backends=True,
        lib_dir="/opt/satori-desktop/_internal/llama_cpp/lib",
    )
    base.update(changes)
    return RuntimeReport(**base)  # type: ignore[arg-type]


def test_a_cuda_build_without_a_driver_says_it_runs_on_the_cpu_and_why() -> None:
    sentence = cpu_fallback_sentence(_report(unusable_gpu_modules={"CUDA": "libggml-cuda.so"}))
    assert sentence is not None
    assert (
        "CUDA build" in sentence
        and "NVIDIA GPU with its driver" in sentence
        and "runs on the CPU" in sentence
    )
    assert ". " not in sentence and sentence.endswith(".")  # one sentence


def test_a_gpu_backend_without_a_device_says_so_and_a_working_gpu_says_nothing() -> None:
    no_device = _report(backends=["CUDA", "CPU"])
    assert "found no GPU device" in (cpu_fallback_sentence(no_device) or "")
    working = _report(backends=["CUDA", "CPU"], devices=[Device("CUDA0", "NVIDIA H200", "GPU")])
    assert cpu_fallback_sentence(working) is None


def test_describe_names_the_gpu_backend_and_the_cpu_variant() -> None:
    assert describe(_report()) == "CPU (haswell)"
    assert describe(_report(backends=["CUDA", "CPU"])) == "CUDA + CPU (haswell)"
    assert describe(_report(cpu_variant="built in")) == "CPU"
