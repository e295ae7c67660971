"""Entry point of `satori-desktop` and `python -m satori_desktop`.

With no arguments it starts the GUI. Each subcommand lives in its own module under `cli/` and registers
itself through `register(subparsers)`, setting `handler=fn(args) -> int` as the parser default. Heavy
imports (llama.cpp, Qt) happen inside handlers so `--help` and `parse` stay instant.

Errors: a `UserFacingError` becomes its one sentence on stderr and a non-zero exit code; anything else is
a bug, whose traceback goes to the log file while the user gets one line pointing at it.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from satori_desktop import __version__
from satori_desktop.core.errors import UserFacingError
from satori_desktop.core.logging_setup import configure_logging, log_file_path

# Subcommand modules, in the order `--help` lists them.
_COMMAND_MODULES = ("ask", "parse", "models", "export", "bench")

log = logging.getLogger(__name__)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="satori-desktop",
        description="Offline math assistant around Satori-7B-Round2. With no command, starts the app.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log details to stderr too")
    # The app's own options, parsed again by run_gui; declared here so `satori-desktop --model X` is valid.
    parser.add_argument("--model", dest="gui_model", metavar="PATH", help="GGUF model the app opens")
    parser.add_argument("--scripted-engine", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--scripted-rate", type=float, help=argparse.SUPPRESS)
    parser.add_argument("--exit-when-ready", action="store_true", help=argparse.SUPPRESS)
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND")
    for name in _COMMAND_MODULES:
        module = importlib.import_module(f"satori_desktop.cli.{name}")
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    # Unknown options are Qt's own (-platform, -style ...), and only the app takes them.
    args, unknown = parser.parse_known_args(args_list)
    handler = getattr(args, "handler", None)
    if handler is not None and unknown:
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    configure_logging(verbose=args.verbose)
    try:
        if handler is None:
            from satori_desktop.ui.app import run_gui

            return run_gui(args_list)
        return int(handler(args))
    except UserFacingError as exc:
        print(f"satori-desktop: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("satori-desktop: interrupted.", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader of our output went away (e.g. `| head`); nothing useful left to say.
        return 1
    except Exception as exc:  # a bug: keep the traceback for the log, show one sentence
        log.exception("unexpected error")
        print(
            f"satori-desktop: unexpected error ({type(exc).__name__}: {exc}); "
            f"details are in {log_file_path()}.",
            file=sys.stderr,
        )
        return 1
