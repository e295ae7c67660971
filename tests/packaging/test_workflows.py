"""The GitHub workflows and the installer files around them, checked offline.

None of these run here: there is no GitHub runner, no iscc and no macOS on the build machine, and the
real test of each file is its job in .github/workflows/release.yml. What can be caught here are the
mistakes that would otherwise surface only there, an hour into a release build: a workflow GitHub refuses,
a secret read in an `if:` (not allowed, so the signing step never runs), an action that can change under
us, a job without a time limit, a platform or variant missing from the matrix, a command naming a script
that is not in the repository, an installer script without its sections, a plist that does not parse, an
AppImage whose AppRun does not start the app.

The workflows are validated against the GitHub workflow schema that check-jsonschema ships
(`--builtin-schema vendor.github-workflows`), with every proxy pointed at a closed port so that a network
access would fail the test rather than pass unnoticed.
"""

from __future__ import annotations

import itertools
import os
import plistlib
import re
import runpy
import stat
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW_DIR = ROOT / ".github" / "workflows"
WORKFLOWS = sorted(WORKFLOW_DIR.glob("*.yml"))
RELEASE = WORKFLOW_DIR / "release.yml"
ISS = ROOT / "packaging" / "windows" / "satori-desktop.iss"
BUILD_APPIMAGE = ROOT / "packaging" / "linux" / "build-appimage.sh"
APP_ID = "io.github.satori_desktop.SatoriDesktop"

# The shell scripts this part of the packaging owns (the Linux .deb/.tar.xz scripts have their own tests).
SHELL_SCRIPTS = sorted([BUILD_APPIMAGE, *ROOT.glob("packaging/macos/*.sh")])

Tree = dict[str, Any]


def _load(path: Path) -> Tree:
    workflow = yaml.safe_load(path.read_text())
    assert isinstance(workflow, dict), f"{path.name} is not a YAML mapping"
    # YAML 1.1 (PyYAML) reads the key `on` as the boolean True.
    if True in workflow:
        workflow["on"] = workflow.pop(True)
    return workflow


def _walk(node: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every (path, value) in a parsed workflow, mappings and lists included."""
    yield path, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _walk(value, (*path, str(key)))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk(value, (*path, str(index)))


def _jobs(path: Path) -> dict[str, Tree]:
    return _load(path)["jobs"]


def _all_jobs() -> Iterator[tuple[str, str, Tree]]:
    for path in WORKFLOWS:
        for name, job in _jobs(path).items():
            yield path.name, name, job


def _run_blocks(path: Path) -> list[str]:
    return [
        value for keys, value in _walk(_load(path)) if keys and keys[-1] == "run" and isinstance(value, str)
    ]


def _check_jsonschema(*files: Path) -> subprocess.CompletedProcess[str]:
    try:
        import check_jsonschema  # noqa: F401
    except ImportError:
        pytest.fail("check-jsonschema is not installed: install the test extras (pip install -e '.[test]')")
    dead_proxy = "http://127.0.0.1:9"
    env = {**os.environ, "HTTP_PROXY": dead_proxy, "HTTPS_PROXY": dead_proxy, "ALL_PROXY": dead_proxy}
    env.update({"http_proxy": dead_proxy, "https_proxy": dead_proxy, "NO_PROXY": "", "no_proxy": ""})
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "check_jsonschema",
            "--builtin-schema",
            "vendor.github-workflows",
            *map(str, files),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_the_release_and_ci_workflows_exist() -> None:
    assert {path.name for path in WORKFLOWS} >= {"release.yml", "ci.yml"}


# --- GitHub's schema ------------------------------------------------------------------------------------


def test_github_workflow_schema_accepts_every_workflow() -> None:
    result = _check_jsonschema(*WORKFLOWS)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("job", "complaint"),
    [
        ({"steps": [{"run": "echo hi"}]}, "'runs-on' is a required property"),
        (
            {"runs-on": "ubuntu-22.04", "timeout-minute": 5, "steps": [{"run": "echo hi"}]},
            "'timeout-minute' was unexpected",
        ),
    ],
    ids=["runs-on missing", "unknown key"],
)
def test_github_workflow_schema_rejects_a_broken_workflow(tmp_path: Path, job: Tree, complaint: str) -> None:
    """The validation above can fail: a job without a runner, or with a misspelt key, is refused."""
    broken = tmp_path / "broken.yml"
    broken.write_text(yaml.safe_dump({"name": "broken", "on": "push", "jobs": {"build": job}}))
    result = _check_jsonschema(broken)
    assert result.returncode != 0
    assert complaint in result.stdout + result.stderr


# --- Our own rules -------------------------------------------------------------------------------------


def test_no_if_expression_reads_a_secret() -> None:
    """GitHub refuses `secrets` in `if:`: a job maps them to an env flag and the steps test that."""
    offenders = [
        f"{path.name}: {'.'.join(keys)}: {value}"
        for path in WORKFLOWS
        for keys, value in _walk(_load(path))
        if keys and keys[-1] == "if" and re.search(r"\bsecrets\s*[.\[]", str(value))
    ]
    assert not offenders, offenders


def test_secrets_reach_only_environment_variables() -> None:
    """A secret is handed to a step as an environment variable, never pasted into a command or an input."""
    offenders = [
        f"{path.name}: {'.'.join(keys)}"
        for path in WORKFLOWS
        for keys, value in _walk(_load(path))
        if isinstance(value, str) and "secrets." in value and "env" not in keys[:-1]
    ]
    assert not offenders, offenders


def test_run_blocks_interpolate_no_text_from_outside() -> None:
    """`${{ }}` in a command is pasted in before the shell reads it: only values the workflow itself makes."""
    allowed = re.compile(r"\$\{\{\s*(matrix|env|steps|needs|runner)\.")
    offenders = [
        f"{path.name}: {block.strip().splitlines()[0]}"
        for path in WORKFLOWS
        for block in _run_blocks(path)
        for expression in re.findall(r"\$\{\{[^}]*\}\}", block)
        if not allowed.match(expression)
    ]
    assert not offenders, offenders


def test_every_action_is_pinned_to_a_release_tag_or_a_commit() -> None:
    pinned = re.compile(r"[\w.-]+/[\w./-]+@(v\d+(\.\d+){0,2}|[0-9a-f]{40})")
    offenders = [
        f"{path.name}: {value}"
        for path in WORKFLOWS
        for keys, value in _walk(_load(path))
        if keys
        and keys[-1] == "uses"
        and not str(value).startswith("./")
        and not pinned.fullmatch(str(value))
    ]
    assert not offenders, offenders


def test_every_job_has_a_time_limit() -> None:
    missing = [f"{workflow}: {name}" for workflow, name, job in _all_jobs() if "timeout-minutes" not in job]
    assert not missing, missing


def test_permissions_are_read_only_except_for_the_release_job() -> None:
    for path in WORKFLOWS:
        assert _load(path)["permissions"] == {"contents": "read"}, path.name
        for name, job in _jobs(path).items():
            if "permissions" in job:
                assert (path.name, name, job["permissions"]) == (
                    "release.yml",
                    "release",
                    {"contents": "write"},
                )


def _matrix_combinations(job: Tree) -> list[dict[str, Any]]:
    """The matrix's combinations (its axes multiplied out, each `include` entry as one more)."""
    matrix = job.get("strategy", {}).get("matrix", {})
    axes = {key: values for key, values in matrix.items() if key not in ("include", "exclude")}
    combinations = [dict(zip(axes, values, strict=True)) for values in itertools.product(*axes.values())]
    return combinations + list(matrix.get("include", []))


def _substitute_matrix(text: str, combination: dict[str, Any]) -> str:
    return re.sub(r"\$\{\{\s*matrix\.(\w+)\s*\}\}", lambda match: str(combination[match.group(1)]), text)


def _os_family(runner: str) -> str:
    for prefix, family in (("ubuntu", "linux"), ("windows", "windows"), ("macos", "macos")):
        if runner.startswith(prefix):
            return family
    raise AssertionError(f"unknown runner {runner}")


def test_the_release_matrix_builds_every_platform_and_variant() -> None:
    builds: dict[tuple[str, str], str] = {}
    for job in _jobs(RELEASE).values():
        for combination in _matrix_combinations(job):
            if "variant" not in combination:
                continue
            runner = _substitute_matrix(job["runs-on"], combination)
            builds[(_os_family(runner), combination["variant"])] = runner
    expected = {
        ("linux", "cpu"),
        ("linux", "cuda"),
        ("windows", "cpu"),
        ("windows", "cuda"),
        ("macos", "metal"),
    }
    assert set(builds) == expected
    # Linux: the oldest runner with glibc >= 2.34 (PySide6), so the bundle's glibc floor stays low.
    assert builds[("linux", "cpu")] == builds[("linux", "cuda")] == "ubuntu-22.04"
    # Metal needs Apple Silicon: macos-13 and the -large runners are Intel.
    assert re.fullmatch(r"macos-(1[4-9]|[2-9]\d)(-xlarge)?", builds[("macos", "metal")])


_REPO_PATH = re.compile(r"(?<![\w./\\-])(?:\./)?((?:packaging|scripts|\.ci)(?:[/\\][\w.-]+)+)")


def test_commands_name_files_that_exist() -> None:
    """Every packaging/..., scripts/... or .ci/... path a `run:` block names is in the repository."""
    named = {
        match.replace("\\", "/").rstrip(".")
        for path in WORKFLOWS
        for block in _run_blocks(path)
        for match in _REPO_PATH.findall(block)
    }
    assert {
        "packaging/freeze.py",
        "packaging/build-linux.sh",
        "packaging/windows/satori-desktop.iss",
    } <= named
    missing = sorted(name for name in named if not (ROOT / name).exists())
    assert not missing, f"named by a workflow but not in the repository: {missing}"


def test_every_signing_and_installer_script_is_used() -> None:
    """A script that no workflow or other script calls is dead weight that still looks maintained."""
    scripts = [*SHELL_SCRIPTS, *ROOT.glob("packaging/windows/*.ps1")]
    workflow = RELEASE.read_text()
    unused = [
        script.name
        for script in scripts
        if script.name not in workflow
        and not any(script.name in other.read_text() for other in scripts if other != script)
    ]
    assert not unused, unused


def _steps(job: Tree) -> list[Tree]:
    return list(job.get("steps", []))


def _build_jobs() -> dict[str, Tree]:
    return {name: job for name, job in _jobs(RELEASE).items() if name in ("linux", "windows", "macos")}


def test_every_build_self_tests_its_bundle_offscreen_before_uploading_it() -> None:
    for name, job in _build_jobs().items():
        steps = _steps(job)
        self_tests = [
            i
            for i, step in enumerate(steps)
            if re.search(r"--self-test\b|self-test\.ps1", step.get("run", ""))
        ]
        uploads = [
            i
            for i, step in enumerate(steps)
            if str(step.get("uses", "")).startswith("actions/upload-artifact")
            and str(step["with"]["name"]).startswith("release-")
        ]
        assert self_tests and uploads, name
        assert self_tests[0] < uploads[0], f"{name}: the upload comes before the self-test"
        assert job["env"].get("QT_QPA_PLATFORM") == "offscreen", name


def test_signing_runs_only_when_wanted_and_its_secrets_are_set() -> None:
    """Each job derives a 'true'/'false' flag from its secrets; each step given a secret is gated on it."""
    for name, job in _build_jobs().items():
        flags = [key for key, value in job.get("env", {}).items() if "secrets." in str(value)]
        for flag in flags:
            expression = job["env"][flag]
            assert "secrets." in expression and "!= ''" in expression, (name, flag)
            assert "github.event_name == 'push' || inputs.sign" in expression, (name, flag)
        for step in _steps(job):
            if any("secrets." in str(value) for value in step.get("env", {}).values()):
                gate = str(step.get("if", "")) + str(step.get("run", ""))
                assert any(flag in gate for flag in flags), f"{name}: {step.get('name')} is not gated"
    assert {"windows", "macos"} <= {
        name for name, job in _build_jobs().items() if any("SIGNING" in key for key in job.get("env", {}))
    }


def test_the_macos_keychain_is_deleted_whatever_happened() -> None:
    steps = _steps(_jobs(RELEASE)["macos"])
    created = [i for i, step in enumerate(steps) if "setup-keychain.sh" in step.get("run", "")]
    deleted = [i for i, step in enumerate(steps) if "security delete-keychain" in step.get("run", "")]
    assert created and deleted and deleted[0] == len(steps) - 1
    assert str(steps[deleted[0]]["if"]).startswith("always()")


def test_the_macos_build_targets_the_system_its_info_plist_promises() -> None:
    module = runpy.run_path(str(ROOT / "packaging" / "macos" / "info_plist.py"))
    info = module["info_plist"]
    assert info["CFBundleIdentifier"] == module["BUNDLE_IDENTIFIER"] == APP_ID
    assert info["NSHighResolutionCapable"] is True
    assert info["LSMinimumSystemVersion"] == module["MINIMUM_MACOS"]
    assert _jobs(RELEASE)["macos"]["env"]["MACOSX_DEPLOYMENT_TARGET"] == module["MINIMUM_MACOS"]
    plistlib.loads(plistlib.dumps(info))  # every value is one a plist can hold


def test_the_entitlements_allow_what_qtwebengine_needs() -> None:
    entitlements = plistlib.loads((ROOT / "packaging" / "macos" / "entitlements.plist").read_bytes())
    assert entitlements == {
        "com.apple.security.cs.allow-jit": True,
        "com.apple.security.cs.allow-unsigned-executable-memory": True,
        "com.apple.security.cs.disable-library-validation": True,
    }


# --- The Inno Setup script (compiled by iscc in the release workflow only) --------------------------------


def _iss() -> tuple[dict[str, str], dict[str, list[dict[str, str]]], str]:
    """([Setup] directives, the other sections' entries, the preprocessor lines), #defines expanded."""
    text = ISS.read_text()
    defines = dict(re.findall(r'^#define (\w+) "([^"]*)"$', text, flags=re.MULTILINE))
    setup: dict[str, str] = {}
    sections: dict[str, list[dict[str, str]]] = {}
    preprocessor = []
    section = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(";"):
            continue
        if line.startswith("#"):
            preprocessor.append(line)
            continue
        for name, value in defines.items():
            line = line.replace("{#" + name + "}", value)
        if re.fullmatch(r"\[\w+\]", line):
            section = line[1:-1]
            sections.setdefault(section, [])
        elif section == "Setup":
            key, _, value = line.partition("=")
            setup[key.strip()] = value.strip()
        else:
            entry = re.findall(r'(\w+):\s*("(?:[^"]|"")*"|[^;]*)', line)
            sections[section].append({key: value.strip().strip('"') for key, value in entry})
    return setup, sections, "\n".join(preprocessor)


def test_the_installer_script_has_its_setup_directives() -> None:
    setup, _, preprocessor = _iss()
    assert re.fullmatch(r"\{\{[0-9A-F]{8}(-[0-9A-F]{4}){3}-[0-9A-F]{12}\}", setup["AppId"])
    assert setup["AppVersion"] == "{#AppVersion}"
    assert setup["DefaultDirName"].startswith("{autopf}\\")
    assert setup["PrivilegesRequired"] == "lowest"
    assert "dialog" in setup["PrivilegesRequiredOverridesAllowed"].split()
    assert setup["ArchitecturesInstallIn64BitMode"]
    assert setup["SetupIconFile"] == "{#IconFile}"
    # Without the version or the bundle the compile stops with a sentence instead of packing nothing.
    for required in ("AppVersion", "BundleDir"):
        assert re.search(rf"#ifndef {required}\n#error ", preprocessor), required


def test_the_installer_copies_the_bundle_and_makes_its_shortcuts() -> None:
    _, sections, _ = _iss()
    (files,) = sections["Files"]
    assert files["Source"] == "{#BundleDir}\\*" and files["DestDir"] == "{app}"
    assert {"recursesubdirs", "createallsubdirs"} <= set(files["Flags"].split())
    icons = {entry["Name"]: entry for entry in sections["Icons"]}
    start_menu = icons["{autoprograms}\\Satori Desktop"]
    desktop = icons["{autodesktop}\\Satori Desktop"]
    assert start_menu["Filename"] == desktop["Filename"] == "{app}\\satori-desktop.exe"
    assert desktop["Tasks"] == "desktopicon"
    (task,) = (entry for entry in sections["Tasks"] if entry["Name"] == "desktopicon")
    assert task["Flags"] == "unchecked"  # optional, and off unless the user ticks it
    (launch,) = sections["Run"]
    assert launch["Filename"] == "{app}\\satori-desktop.exe"
    assert {"postinstall", "skipifsilent"} <= set(launch["Flags"].split())


def test_the_workflow_passes_every_define_the_installer_script_requires() -> None:
    required = re.findall(r"^#ifndef (\w+)\n\s*#error", ISS.read_text(), flags=re.MULTILINE)
    workflow = RELEASE.read_text()
    assert required and all(f'"/D{name}=' in workflow for name in required), required


# --- Shell scripts --------------------------------------------------------------------------------------


@pytest.mark.parametrize("script", SHELL_SCRIPTS, ids=lambda path: path.name)
def test_shell_script_parses(script: Path) -> None:
    result = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert script.stat().st_mode & stat.S_IXUSR, f"{script.name} is not executable"


def _executable(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text))
    path.chmod(0o755)
    return path


def test_build_appimage_lays_out_an_appdir_whose_apprun_starts_the_app(tmp_path: Path) -> None:
    """build-appimage.sh with a stand-in appimagetool (the real one is on GitHub only) and a fake bundle."""
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    _executable(bundle / "satori-desktop", '#!/bin/sh\nprintf "%s\\n" "started" "$@"\n')
    (bundle / "_internal").mkdir()
    (bundle / "_internal" / "libQt6Core.so.6").write_text("a library")
    (bundle / "_internal" / "libQt6Core.so").symlink_to("libQt6Core.so.6")
    icons = tmp_path / "icons"
    icons.mkdir()
    for size in (16, 256, 512):
        (icons / f"satori-desktop-{size}.png").write_bytes(b"\x89PNG " + str(size).encode())
    desktop = tmp_path / f"{APP_ID}.desktop"
    desktop.write_text(
        f"[Desktop Entry]\nType=Application\nName=Satori Desktop\nExec=satori-desktop\nIcon={APP_ID}\n"
    )
    metainfo = tmp_path / f"{APP_ID}.metainfo.xml"
    metainfo.write_text(
        f'<?xml version="1.0"?>\n<component type="desktop-application"><id>{APP_ID}</id></component>\n'
    )
    runtime = tmp_path / "runtime-x86_64"
    runtime.write_bytes(b"runtime")
    seen = tmp_path / "seen"
    # The stand-in keeps a copy of the AppDir it was given (the script deletes its own afterwards).
    tool = _executable(
        tmp_path / "appimagetool",
        f"""\
        #!/usr/bin/env bash
        set -euo pipefail
        mkdir -p {seen}
        printf '%s\\n' "$@" > {seen}/args
        echo "$ARCH $APPIMAGE_EXTRACT_AND_RUN" > {seen}/env
        appdir="${{@: -2:1}}"
        cp -a "$appdir" {seen}/AppDir
        echo image > "${{@: -1}}"
        """,
    )
    out = tmp_path / "dist" / "satori-desktop-0.1.0-x86_64.AppImage"
    arguments = [
        "--out",
        out,
        "--bundle",
        bundle,
        "--icons",
        icons,
        "--desktop",
        desktop,
        "--metainfo",
        metainfo,
    ]
    result = subprocess.run(
        ["bash", str(BUILD_APPIMAGE), *map(str, arguments)],
        capture_output=True,
        text=True,
        env={**os.environ, "APPIMAGETOOL": str(tool), "APPIMAGE_RUNTIME": str(runtime)},
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == str(out) and out.read_text() == "image\n"

    args = (seen / "args").read_text().splitlines()
    assert args[:3] == ["--no-appstream", "--runtime-file", str(runtime)]
    assert (seen / "env").read_text().split() == ["x86_64", "1"]
    appdir = seen / "AppDir"
    assert args[-2].endswith(f"/{APP_ID}.AppDir")
    assert (appdir / f"{APP_ID}.desktop").read_text() == desktop.read_text()
    assert (appdir / f"{APP_ID}.png").read_bytes() == b"\x89PNG 256"
    assert os.readlink(appdir / ".DirIcon") == f"{APP_ID}.png"
    assert (appdir / "usr" / "share" / "metainfo" / f"{APP_ID}.metainfo.xml").is_file()
    assert (appdir / "usr" / "share" / "icons" / "hicolor" / "512x512" / "apps" / f"{APP_ID}.png").is_file()
    assert (appdir / "usr" / "lib" / "satori-desktop" / "_internal" / "libQt6Core.so").is_symlink()

    # AppRun starts the bundled executable with the arguments untouched, also through a symlink.
    (tmp_path / "link").symlink_to(appdir / "AppRun")
    started = subprocess.run(
        [str(tmp_path / "link"), "--self-test", "a b"], capture_output=True, text=True, timeout=30
    )
    assert started.returncode == 0, started.stderr
    assert started.stdout.splitlines() == ["started", "--self-test", "a b"]


def test_build_appimage_says_what_is_missing(tmp_path: Path) -> None:
    arguments = ["--out", tmp_path / "x.AppImage", "--bundle", tmp_path / "no-bundle"]
    result = subprocess.run(
        ["bash", str(BUILD_APPIMAGE), *map(str, arguments)], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 1
    assert "no executable at" in result.stderr and "packaging/freeze.py" in result.stderr
