"""Which of Qt's own command-line options the app accepts, and picking them out of the command line.

QApplication reads options of its own from argv and silently ignores what it does not know, so the app
used to start on any typo (`satori-desktop --modle x`). Now everything is refused except the options Qt
documents for QGuiApplication and QApplication that do something in this app:

- `-session ID`: the one a user never types. X11 session managers restart programs with it, so
  refusing it would make a restored desktop session fail to reopen the app.
- `-platform NAME[:OPTIONS]`, `-platformpluginpath PATH`, `-platformtheme NAME`, `-plugin NAME`: the way
  out when the default windowing plugin does not work (`-platform xcb` under a broken Wayland session,
  `-platform offscreen` for a smoke test, `-platform windows:fontengine=freetype`), and packagers' hooks.
- `-style NAME`, `-stylesheet PATH`, `-reverse`, `-widgetcount`: look and layout checks (right-to-left,
  leaked widgets) a developer or bug reporter may be asked to run.
- `-qwindowgeometry GEOMETRY`, `-qwindowtitle TITLE`, `-qwindowicon PATH`, and X11's `-display NAME` and
  `-geometry GEOMETRY`: what launchers and window-manager scripts pass.

Left out: `-qmljsdebugger=` (the app has no QML, and Qt honours it only in builds made for debugging),
and `-dialogs=`/`-fontengine=` (Windows plugin settings, written `-platform windows:dialogs=none` in Qt
6). Qt also reads each of them with two dashes (`--platform`), and `-style`/`-stylesheet` as
`-style=NAME`; those spellings are accepted as well, since Qt treats them the same.

Qt options belong to the window, so they count only before a command; after it they are unknown
arguments like any other.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

QT_FLAGS = frozenset({"-reverse", "-widgetcount"})
QT_OPTIONS_WITH_VALUE = frozenset(
    {
        "-platform",
        "-platformpluginpath",
        "-platformtheme",
        "-plugin",
        "-qwindowgeometry",
        "-qwindowicon",
        "-qwindowtitle",
        "-session",
        "-style",
        "-stylesheet",
        "-display",
        "-geometry",
    }
)
# The options Qt also reads as `-name=value`.
QT_OPTIONS_WITH_EQUALS = frozenset({"-style", "-stylesheet"})


@dataclass
class QtSplit:
    """A command line taken apart: Qt's options, the rest for our parser, or why it cannot be."""

    qt: list[str] = field(default_factory=list)
    rest: list[str] = field(default_factory=list)
    # rest[:command_at] is what came before the command word (our own options, or unknown ones).
    command_at: int = 0
    error: str | None = None

    @property
    def qt_option_names(self) -> list[str]:
        return [arg for arg in self.qt if arg.startswith("-")]


def _qt_name(arg: str) -> str:
    # Qt drops one dash of `--name`, so both spellings are the same option.
    return arg[1:] if arg.startswith("--") else arg


def split_qt_options(argv: Sequence[str], *, options_with_value: Sequence[str] = ()) -> QtSplit:
    """Take Qt's options (with their values) out of `argv`, up to the first command word or `--`.

    `options_with_value` are our own options before the command that take a value (`--model PATH`), so
    their values are stepped over rather than mistaken for the command. Order is kept in both lists.
    """
    split = QtSplit()
    index = 0
    while index < len(argv):
        arg = argv[index]
        name = _qt_name(arg)
        if arg == "--" or not arg.startswith("-"):
            break  # a command word (or the end of options): nothing after it is the window's
        if name in QT_FLAGS:
            split.qt.append(arg)
        elif name in QT_OPTIONS_WITH_VALUE:
            if index + 1 >= len(argv):
                split.error = f"the Qt option {arg} needs a value after it."
                return split
            split.qt.extend(argv[index : index + 2])
            index += 1
        elif name.partition("=")[0] in QT_OPTIONS_WITH_EQUALS and "=" in name:
            split.qt.append(arg)
        elif arg in options_with_value:
            split.rest.extend(argv[index : index + 2])
            index += 1
        else:
            split.rest.append(arg)  # ours, or unknown: our parser decides
        index += 1
    split.command_at = len(split.rest)
    split.rest.extend(argv[index:])
    return split
