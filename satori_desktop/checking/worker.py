"""The code that runs in the answer checker's worker process: math-verify, imported here only.

Why a process: math-verify's own timeouts use `signal.alarm`, which raises off the main thread and fails
silently on Windows (math-verify issues #50, #55, #79), and one comparison can spend hundreds of
milliseconds, or forever, in pure-Python sympy holding the GIL. So the library's timeouts are off
(`parsing_timeout=None`, `timeout_seconds=None`) and `checker.AnswerChecker` enforces its own deadline by
killing this process. The process imports math-verify once, warms it up with two small comparisons
(first calls cost hundreds of milliseconds more than the next ones), says it is ready, then answers
requests on its end of a `multiprocessing` Pipe until the other end closes.

Protocol (plain tuples and dicts, pickled by the Pipe):
* worker -> parent, once: `("ready", {"import_s", "warm_up_s", "heavy_modules"})`, or
  `("failed", "ExceptionName: message")` when math-verify cannot be imported.
* parent -> worker: `(request_id, student_latex, reference_latex)`, each already inside `$...$`.
* worker -> parent: `(request_id, outcome)` with outcome `{"status": "compared", "match": bool}`,
  `{"status": "unreadable", "sides": ["student", "reference"]}` (those that did not parse to math) or
  `{"status": "error", "message": "..."}` (math-verify raised).
"""

from __future__ import annotations

import logging
import signal
import sys
import time
from multiprocessing.connection import Connection
from typing import Any

# Modules the worker must never load (it would cost start-up time and memory for nothing).
HEAVY_MODULES = ("PySide6", "shiboken6", "llama_cpp", "satori_desktop.ui")


def serve(connection: Connection) -> None:
    """The worker process's main function: start math-verify, then answer until the pipe closes."""
    # Ctrl+C in a terminal reaches the whole process group; the parent decides when this process ends.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    started = time.perf_counter()
    try:
        import math_verify  # noqa: F401  # the import is what is timed
    except Exception as exc:  # a broken install: say so, do not die silently
        connection.send(("failed", f"{type(exc).__name__}: {exc}"))
        connection.close()
        return
    import_s = time.perf_counter() - started
    # "Timeout is disabled ..." is logged on every call once the timeouts are off, which is our intent.
    logging.getLogger("math_verify").setLevel(logging.ERROR)
    warm_started = time.perf_counter()
    # A number, then an inequality against an interval: SymPy's set code costs ~300 ms the first time,
    # better spent here, before any student waits, than on the first interval typed.
    compare("$1$", "$\\frac{2}{2}$")
    compare("$1 < x \\le 2$", "$(1,2]$")
    info = {
        "import_s": import_s,
        "warm_up_s": time.perf_counter() - warm_started,
        "heavy_modules": sorted(name for name in sys.modules if name.startswith(HEAVY_MODULES)),
    }
    connection.send(("ready", info))
    while True:
        try:
            request_id, student, reference = connection.recv()
        except (EOFError, OSError):  # the parent closed its end or went away
            return
        connection.send((request_id, compare(student, reference)))


def compare(student: str, reference: str) -> dict[str, Any]:
    """Compare two `$...$` answers with math-verify; the reference is the gold side (verify is
    asymmetric: a reference `1<x\\le 3` accepts `(1,3]`, and the assignment `x=` is dropped from it)."""
    from math_verify import ExprExtractionConfig, LatexExtractionConfig, parse, verify

    extraction = [LatexExtractionConfig(), ExprExtractionConfig()]
    try:
        reference_parsed = parse(reference, extraction_config=extraction, parsing_timeout=None)
        student_parsed = parse(student, extraction_config=extraction, parsing_timeout=None)
        # parse gives [sympy object, matched string] on success, only strings (or nothing) when the text
        # is not math; verify would then compare the strings, and `)))` would "match" `)))`.
        unreadable = [
            side
            for side, parsed in (("student", student_parsed), ("reference", reference_parsed))
            if not any(not isinstance(item, str) for item in parsed)
        ]
        if unreadable:
            return {"status": "unreadable", "sides": unreadable}
        # allow_set_relation_comp: a reference interval (2,3] also accepts the inequality 2<x\le 3 (by
        # default only the reverse is accepted, which would tell a student who wrote the inequality that
        # the answer is wrong).
        match = verify(
            reference_parsed,
            student_parsed,
            timeout_seconds=None,
            allow_set_relation_comp=True,
        )
    except Exception as exc:  # sympy raised through math-verify on this input (#40): a sentence, no crash
        return {"status": "error", "message": f"{type(exc).__name__}: {exc}"}
    return {"status": "compared", "match": bool(match)}
