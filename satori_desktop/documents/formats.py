"""The export formats, what a file name's suffix says about them, and writing the result to disk.

Shared by `satori-desktop export` and the window's File > Export: both offer the same six formats under
the same names, read the format from the file name the same way, and report the same figures.
Markdown, LaTeX and Word are written by this package (Qt-free); HTML, PDF and PNG are the transcript page
itself (`ui.transcript.export`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args

from satori_desktop.core.coat import StepAction
from satori_desktop.core.errors import UserFacingError
from satori_desktop.documents.solution import Solution

ExportFormat = Literal["md", "tex", "html", "pdf", "docx", "png"]
EXPORT_FORMATS: tuple[ExportFormat, ...] = get_args(ExportFormat)

# Each format's usual suffixes, first the one written by default.
FORMAT_SUFFIXES: dict[ExportFormat, tuple[str, ...]] = {
    "md": (".md", ".markdown"),
    "tex": (".tex",),
    "html": (".html", ".htm"),
    "pdf": (".pdf",),
    "docx": (".docx",),
    "png": (".png",),
}


def format_of_path(path: Path) -> ExportFormat | None:
    """The format a file name asks for by its suffix, or None."""
    suffix = path.suffix.lower()
    for fmt, suffixes in FORMAT_SUFFIXES.items():
        if suffix in suffixes:
            return fmt
    return None


def default_suffix(fmt: ExportFormat) -> str:
    return FORMAT_SUFFIXES[fmt][0]


@dataclass(frozen=True)
class ExportResult:
    """What an export wrote: the figures `export --json` prints and the window reports."""

    path: Path
    format: ExportFormat
    bytes: int
    questions: int
    steps: int
    reflections: int
    explorations: int
    thoughts: int  # think steps: another reasoning model's thought sections
    answer: str | None
    equations: int | None = None  # .docx: formulas written as equation objects; .tex: typeset as math
    fallbacks: int | None = None  # of those, how many were written as their source instead

    @classmethod
    def of(
        cls,
        solution: Solution,
        path: Path,
        fmt: ExportFormat,
        *,
        equations: int | None = None,
        fallbacks: int | None = None,
    ) -> ExportResult:
        return cls(
            path=path,
            format=fmt,
            bytes=path.stat().st_size,
            questions=len(solution.questions),
            steps=solution.steps,
            reflections=solution.count(StepAction.REFLECT),
            explorations=solution.count(StepAction.EXPLORE),
            thoughts=solution.count(StepAction.THINK),
            answer=solution.answer,
            equations=equations,
            fallbacks=fallbacks,
        )


def write_export(out: Path, data: bytes) -> None:
    """Write `data` to `out` (its folder made if missing), or say in one sentence why it cannot be."""
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(data)
    except (FileExistsError, NotADirectoryError):  # a file stands where a folder of the path should be
        raise UserFacingError(
            f"Could not write {out}: part of its folder path is a file; choose another place to export to."
        ) from None
    except IsADirectoryError:
        raise UserFacingError(f"{out} is a folder: give a file name to export to.") from None
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise UserFacingError(
            f"Could not write {out} ({reason}): choose another place to export to."
        ) from None


__all__ = [
    "EXPORT_FORMATS",
    "FORMAT_SUFFIXES",
    "ExportFormat",
    "ExportResult",
    "default_suffix",
    "format_of_path",
    "write_export",
]
