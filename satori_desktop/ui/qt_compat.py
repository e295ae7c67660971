"""Work-arounds for bugs of the pinned PySide6, each detected at run time so it switches itself off.

PySide6 6.12.0 on Python 3.11: `SignalInstance.emit()` returns `True` without taking a reference to it,
so every emit from Python lowers `True`'s reference count by one. At about 600 emits (a few seconds of
streaming) the count reaches zero and the interpreter aborts with "Fatal Python error: bool_dealloc".
(Python 3.12 made `True` immortal, which hides the bug there.) `emit()` below gives the reference back;
all of our Python-side emits go through it. The probe at import measures whether the bug is present, so
a fixed PySide6 (or an immortal `True`) turns the compensation off by itself.
"""

from __future__ import annotations

import ctypes
import sys
from typing import Any

from PySide6.QtCore import QObject, Signal

_py_incref = ctypes.pythonapi.Py_IncRef
_py_incref.argtypes = [ctypes.py_object]
_py_incref.restype = None


class _Probe(QObject):
    probed = Signal()


def _emit_steals_true() -> bool:
    probe = _Probe()
    rounds = 8
    before = sys.getrefcount(True)
    for _ in range(rounds):
        probe.probed.emit()
    lost = before - sys.getrefcount(True)
    for _ in range(max(0, lost)):
        _py_incref(True)  # undo the probe's own damage
    return lost >= rounds


EMIT_STEALS_TRUE = _emit_steals_true()


def emit(signal: Any, *args: Any) -> None:
    """`signal.emit(*args)`, minus the reference-count bug of the pinned PySide6."""
    result = signal.emit(*args)
    if EMIT_STEALS_TRUE and isinstance(result, bool):
        # One reference too many on a blocked emit is harmless (True is never freed); one too few is fatal.
        _py_incref(result)
