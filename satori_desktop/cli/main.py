"""Entry point of `satori-desktop` and `python -m satori_desktop`.

With no arguments it starts the GUI; `--self-test` checks the install end to end instead
(`satori_desktop.selftest`). Each subcommand lives in its own module under `cli/` and registers
itself through `register(subparsers)`, setting `handler=fn(args) -> int` as the parser default. Heavy
imports (llama.cpp, Qt) happen inside handlers so `--help`, `parse` and every usage error stay instant.

Anything the parser does not know is an error: the usage line, one sentence, exit code 2, before Qt or
llama.cpp is imported (`cli.qt_options` says which of Qt's own options the app still takes, and why).

Errors: a `UserFacingError` becomes its one sentence on stderr and a non-zero exit code; anything else is
a bug, whose traceback goes to the log file while the user gets one line pointing at it.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from satori_desktop import __version__
from satori_desktop.cli.qt_options import split_qt_options
from satori_desktop.core import arguments
from satori_desktop.core.errors import UserFacingError
from satori_desktop.core.logging_setup import configure_logging, log_file_path

# Subcommand modules, in the order `--help` lists them.
_COMMAND_MODULES = (
    "ask",
    "solve",
    "serve",
    "parse",
    "models",
    "export",
    "convert",
    "check",
    "history",
    "diagnostics",
    "bench",
)

log = logging.getLogger(__name__)


class CommandLineParser(argparse.ArgumentParser):
    """argparse's parser, refusing unknown arguments at every level.

    Plain `parse_known_args` lets a subcommand's parser hand what it does not know back to the top level,
    which then reports it under the top-level usage line; refusing it where it was met shows the usage of
    the command that was actually mistyped (`usage: satori-desktop ask ...`).
    """

    def parse_known_args(  # type: ignore[override]  # one signature for typeshed's overloads
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        parsed, unknown = super().parse_known_args(args, namespace)
        if unknown:
            self.error(
                f"unrecognized arguments: {' '.join(unknown)}; `{self.prog} --help` lists the options."
            )
        return parsed, unknown


# The app's options that take a value: split_qt_options must step over their values.
_GUI_OPTIONS_WITH_VALUE = ("--model", "--scripted-rate", "--self-test-report")


def build_parser() -> argparse.ArgumentParser:
    parser = CommandLineParser(
        prog="satori-desktop",
        description="Offline math assistant around Satori-7B-Round2. With no command, starts the app "
        "(which also takes Qt's options such as -platform NAME and -style NAME).",
        # An abbreviation (`--mod`) would hide which tokens are option values from split_qt_options.
        allow_abbrev=False,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log details to stderr too")
    # The app's own options, parsed again by run_gui; declared here so `satori-desktop --model X` is valid.
    parser.add_argument("--model", dest="gui_model", metavar="PATH", help="GGUF model the app opens")
    parser.add_argument("--scripted-engine", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--scripted-rate", type=arguments.rate_or_unpaced, help=argparse.SUPPRESS)
    parser.add_argument("--exit-when-ready", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument(
        "--new-instance",
        action="store_true",
        help="open a window of its own even when Satori Desktop is open already (which a start otherwise "
        "brings to the front)",
    )
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="check this install end to end with a tiny built-in model, then exit (0: all passed)",
    )
    parser.add_argument(
        "--self-test-report", metavar="PATH", type=Path, help="with --self-test: also write a JSON report"
    )
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND")
    for name in _COMMAND_MODULES:
        module = importlib.import_module(f"satori_desktop.cli.{name}")
        module.register(subparsers)
    return parser


def parse_arguments(parser: argparse.ArgumentParser, args_list: list[str]) -> argparse.Namespace:
    """Parse the command line, exiting with the usage line and code 2 on anything unknown."""
    split = split_qt_options(args_list, options_with_value=_GUI_OPTIONS_WITH_VALUE)
    if split.error:
        parser.error(split.error)
    # The options before the command first, alone: a misspelt one (`--modle x.gguf`) is then named as
    # unknown, rather than its value being taken for a command that does not exist.
    args = parser.parse_args(split.rest[: split.command_at])
    if split.command_at < len(split.rest):
        args = parser.parse_args(split.rest)
    if split.qt and getattr(args, "handler", None) is not None:
        parser.error(f"{split.qt_option_names[0]} is an option of the app's window, not of a command.")
    if args.self_test_report is not None and not args.self_test:
        parser.error("--self-test-report goes with --self-test.")
    if args.self_test and getattr(args, "handler", None) is not None:
        parser.error("--self-test runs on its own, without a command.")
    if args.self_test and args.gui_model is not None:
        parser.error("--model is an option of the app's window; --self-test brings its own tiny model.")
    if args.self_test and split.qt:
        parser.error(f"{split.qt_option_names[0]} is an option of the app's window, not of --self-test.")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    args = parse_arguments(build_parser(), args_list)
    handler: Any = getattr(args, "handler", None)
    configure_logging(verbose=args.verbose)
    try:
        if args.self_test:
            from satori_desktop.selftest.run import run_self_test

            return run_self_test(args.self_test_report)
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
