"""Reading the text files named on the command line (traces, grammars), with errors a person can act on."""

from __future__ import annotations

import sys
from pathlib import Path

from satori_desktop.core.errors import UserFacingError


def read_text_input(source: str) -> str:
    """The text of a file named on the command line ('-' is stdin), or a sentence saying what is wrong."""
    if source == "-":
        return sys.stdin.read()
    path = Path(source)
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserFacingError(f"There is no file {path}: check the path.") from None
    except IsADirectoryError:
        raise UserFacingError(f"{path} is a folder, not a file: give the path of a text file.") from None
    except UnicodeDecodeError:
        raise UserFacingError(f"{path} is not UTF-8 text: save it as UTF-8 and try again.") from None
    except OSError as exc:
        raise UserFacingError(f"{path} could not be read ({exc.strerror}).") from None
