"""`satori-desktop models ...`: list, search, recommend, download, import, verify and remove models.

The same Qt-free functions the GUI will call (`satori_desktop.models`); this module only parses
arguments, draws the download progress bar on a terminal and prints results as text or `--json`.
Ctrl+C during a download pauses it: the `.part` file stays and running the same command resumes.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any, TextIO

from satori_desktop.core import arguments
from satori_desktop.core.errors import UserFacingError


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "models",
        help="find, download, import and check models",
        description="Find, download (resumable, verified), import, verify and remove GGUF models. Downloads "
        "come from the Hugging Face hub, or from the mirror of it chosen in the app's settings (Settings > "
        "Files); HF_ENDPOINT, where it is set, wins.",
    )
    parser.add_argument("--models-dir", type=Path, help="use this models folder for this command")
    commands = parser.add_subparsers(title="subcommands", metavar="SUBCOMMAND", required=True)

    def add(name: str, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.add_argument("--json", action="store_true", help="print the result as JSON")
        return sub

    add("list", "list installed models").set_defaults(handler=_list)
    folder = add("dir", "show the models folder, or make PATH the models folder from now on")
    folder.add_argument("path", nargs="?", type=Path, default=None)
    folder.set_defaults(handler=_dir)
    search = add("search", "list Satori GGUF files on the hub with sizes")
    search.add_argument("query", nargs="?", default=None, help="search text (default: Satori-7B-Round2)")
    search.set_defaults(handler=_search)
    recommend = add("recommend", "say which quantisation fits this machine")
    recommend.add_argument(
        "--ctx", type=arguments.context_tokens, default=4096, help="context length to plan for (default 4096)"
    )
    recommend.set_defaults(handler=_recommend)
    download = add("download", "download a model (resumes after Ctrl+C or a crash)")
    download.add_argument("spec", metavar="QUANT_OR_REPO[:FILE]", help="e.g. Q4_K_M, or owner/repo:file.gguf")
    download.add_argument("--no-progress", action="store_true", help="no progress bar")
    download.set_defaults(handler=_download)
    import_ = add("import", "register a GGUF file you already have")
    import_.add_argument("path", type=Path)
    import_.add_argument("--copy", action="store_true", help="copy it into the models folder")
    import_.set_defaults(handler=_import)
    verify = add("verify", "re-check installed models' sha256")
    verify.add_argument("name", nargs="?", default=None, help="one model (default: all)")
    verify.set_defaults(handler=_verify)
    remove = add("remove", "remove an installed model")
    remove.add_argument("name")
    remove.set_defaults(handler=_remove)


def _store(args: argparse.Namespace) -> Any:
    from satori_desktop.models.store import ModelStore

    return ModelStore(args.models_dir) if getattr(args, "models_dir", None) else ModelStore()


def _use_saved_mirror() -> None:
    """Download from the mirror of the hub chosen in the app's settings, if any (HF_ENDPOINT still wins)."""
    from satori_desktop.core.settings import load_settings
    from satori_desktop.models import hub

    hub.use_endpoint(load_settings().hub_endpoint)


def _print_json(data: Any) -> None:
    print(json.dumps(data, indent=2))


def _dir(args: argparse.Namespace) -> int:
    from satori_desktop.models.store import ModelStore, set_models_root

    if args.path is not None:
        target = args.path.expanduser()
        try:
            target.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UserFacingError(
                f"The folder {target} cannot be created ({exc.strerror}): choose a folder you can write to."
            ) from None
        set_models_root(target)
    root = ModelStore().root
    if args.json:
        _print_json({"models_dir": str(root)})
    else:
        print(root)
        if args.path is not None:
            print("New downloads go here; models installed before stay where they are.", file=sys.stderr)
    return 0


def _list(args: argparse.Namespace) -> int:
    from satori_desktop.engine.hardware import format_bytes

    store = _store(args)
    models = store.models()
    default = store.default_model()
    if args.json:
        _print_json(
            {
                "models_dir": str(store.root),
                "default": default.name if default else None,
                "models": [m.to_dict() | {"present": m.path.is_file()} for m in models],
            }
        )
        return 0
    print(f"Models folder: {store.root}")
    if not models:
        from satori_desktop.models.store import no_model_message

        print(no_model_message())
        return 0
    for model in models:
        mark = "*" if default is not None and model.name == default.name else " "
        missing = "" if model.path.is_file() else "  [file missing]"
        size = format_bytes(model.size)
        print(f"{mark} {model.name:40} {model.quantization or '?':8} {size:>9}  {model.path}{missing}")
    return 0


def _search(args: argparse.Namespace) -> int:
    from satori_desktop.engine.hardware import format_bytes
    from satori_desktop.models import catalog

    _use_saved_mirror()
    entries = catalog.discover(args.query or catalog.SEARCH_QUERY)
    if args.json:
        _print_json([e.to_dict() for e in entries])
        return 0
    if not entries:
        print("The hub lists no GGUF file for that search.")
        return 0
    for entry in entries:
        print(
            f"{entry.quantization or '?':8} {format_bytes(entry.size):>9}  {entry.repo_id}:{entry.filename}"
        )
    return 0


def _recommend(args: argparse.Namespace) -> int:
    from satori_desktop.models.recommend import machine_sentence, recommend_for_this_machine

    _use_saved_mirror()
    found = recommend_for_this_machine(args.ctx)
    hardware, result, hub_unreachable = found.hardware, found.recommendation, found.hub_unreachable
    if args.json:
        _print_json({"hardware": hardware.to_dict(), "hub_unreachable": hub_unreachable, **result.to_dict()})
        return 0
    if hub_unreachable is not None:
        print(f"{hub_unreachable} The figures below are estimates.")
    print(machine_sentence(hardware))
    print(result.explanation)
    if result.choice is not None:
        entry = result.choice.entry
        spec = f"{entry.repo_id}:{entry.filename}" if entry.filename else entry.quantization
        print(f"Get it with: satori-desktop models download {spec}")
    return 0 if result.choice is not None else 3


class ProgressBar:
    """One redrawn line on a terminal; a line every 10% elsewhere (logs, pipes)."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.tty = out.isatty()
        self._last_draw = 0.0
        self._last_decile = -1

    def __call__(self, progress: Any) -> None:
        from satori_desktop.engine.hardware import format_bytes

        now = time.monotonic()
        final = progress.phase in ("verifying", "done")
        if self.tty and not final and now - self._last_draw < 0.1:
            return
        self._last_draw = now
        if progress.phase == "hashing-part":
            text = f"Checking the part already downloaded: {format_bytes(progress.done_bytes)}"
        elif progress.phase == "verifying":
            text = "Verifying sha256..."
        elif progress.phase == "done":
            text = f"Downloaded and verified {format_bytes(progress.total_bytes)}."
        else:
            width = 30
            filled = int(width * progress.fraction)
            speed = f"{format_bytes(int(progress.bytes_per_second))}/s" if progress.bytes_per_second else "--"
            eta = _eta(progress.eta_seconds)
            text = (
                f"[{'#' * filled}{'-' * (width - filled)}] {progress.fraction * 100:5.1f}% "
                f"{format_bytes(progress.done_bytes)} / {format_bytes(progress.total_bytes)}"
                f"  {speed}  ETA {eta}"
            )
        if self.tty:
            self.out.write("\r\033[K" + text + ("\n" if final else ""))
            self.out.flush()
        else:
            decile = int(progress.fraction * 10)
            if final or progress.phase == "hashing-part" or decile != self._last_decile:
                if progress.phase == "downloading":
                    self._last_decile = decile
                if progress.phase != "hashing-part" or progress.done_bytes == progress.total_bytes:
                    self.out.write(text + "\n")
                    self.out.flush()


def _eta(seconds: float | None) -> str:
    if seconds is None:
        return "--"
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s"


def _download(args: argparse.Namespace) -> int:
    from satori_desktop.engine.hardware import format_bytes
    from satori_desktop.models import catalog, hub, install
    from satori_desktop.models.download import DownloadPaused, part_paths

    store = _store(args)
    _use_saved_mirror()
    if hub.is_offline():
        repo_id, filename = _offline_target(args.spec)
        model = install.install_offline(store, repo_id, filename)
        return _report_installed(args, model, None, from_cache=True)
    remote = catalog.resolve_spec(args.spec)
    bar = None if (args.json or args.no_progress) else ProgressBar(sys.stderr)
    if bar is not None:
        print(
            f"Downloading {remote.repo_id}:{remote.filename} ({format_bytes(remote.size)})", file=sys.stderr
        )
    try:
        model, result = install.install_remote(store, remote, progress=bar)
    except (KeyboardInterrupt, DownloadPaused):
        part, _ = part_paths(store.root / Path(remote.filename).name)
        have = part.stat().st_size if part.exists() else 0
        print(
            f"\nPaused with {format_bytes(have)} of {format_bytes(remote.size)} downloaded; "
            "run the same command again to resume.",
            file=sys.stderr,
        )
        return 130
    return _report_installed(args, model, result, from_cache=result is None)


def _offline_target(spec: str) -> tuple[str, str]:
    """Offline, only the Hugging Face cache can answer: find the file there without asking the hub."""
    from satori_desktop.models import catalog
    from satori_desktop.models.install import cached_gguf_files

    if ":" in spec:
        repo_id, _, filename = spec.partition(":")
        return repo_id, filename
    repos = [spec] if "/" in spec else [repo for repo, quant in catalog.KNOWN_REPOS if quant == spec.upper()]
    for repo in repos:
        for filename in cached_gguf_files(repo):
            if "/" in spec or catalog.quantization_of(filename) == spec.upper():
                return repo, filename
    from satori_desktop.models.hub import OFFLINE_MESSAGE

    raise UserFacingError(OFFLINE_MESSAGE)


def _report_installed(args: argparse.Namespace, model: Any, result: Any, *, from_cache: bool) -> int:
    if args.json:
        _print_json(
            {
                "model": model.to_dict(),
                "from_cache": from_cache,
                "resumed_from": result.resumed_from if result else None,
                "downloaded_bytes": result.downloaded_bytes if result else 0,
            }
        )
    else:
        how = (
            "taken from the Hugging Face cache" if from_cache and model.source == "hf-cache" else "installed"
        )
        print(f"{model.name} {how}, sha256 verified: {model.path}")
        for warning in model.warnings:
            print(f"Warning: {warning}")
    return 0


def _import(args: argparse.Namespace) -> int:
    store = _store(args)
    model = store.import_file(args.path, copy=args.copy)
    if args.json:
        _print_json(model.to_dict())
        return 0
    print(f"Imported {model.name}: {model.path}")
    for warning in model.warnings:
        print(f"Warning: {warning}", file=sys.stderr)
    return 0


def _verify(args: argparse.Namespace) -> int:
    store = _store(args)
    names = [args.name] if args.name else [m.name for m in store.models()]
    results = [store.verify(name) for name in names]
    if args.json:
        _print_json([r.to_dict() for r in results])
    else:
        if not results:
            print("No model is installed.")
        for r in results:
            print(f"{'ok    ' if r.ok else 'FAILED'} {r.name}: {r.message}")
    return 0 if all(r.ok for r in results) else 4


def _remove(args: argparse.Namespace) -> int:
    store = _store(args)
    model = store.remove(args.name)
    if args.json:
        _print_json({"removed": model.to_dict()})
    else:
        print(f"Removed {model.name}.")
    return 0
