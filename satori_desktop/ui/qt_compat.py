"""Work-arounds for bugs of the pinned PySide6, each detected at run time so it switches itself off.

PySide6 6.12.0 on Python 3.11: `SignalInstance.emit()` returns `True` without taking a reference to it,
so every emit from Python lowers `True`'s reference count by one. At about 600 emits (a few seconds of
streaming) the count reaches zero and the interpreter aborts with "Fatal Python error: bool_dealloc".
Python 3.12 made `True` immortal, which hides the bug there. `install()` (run when `satori_desktop.ui`
is imported, so before any of our widgets exist) wraps `emit` to give the reference back. A probe first
measures whether the bug is present, so a fixed PySide6 or an immortal `True` leaves `emit` untouched.
"""

from __future__ import annotations

import ctypes
import sys
from typing import Any

from PySide6.QtCore import QObject, Signal, SignalInstance

_py_incref = ctypes.pythonapi.Py_IncRef
_py_incref.argtypes = [ctypes.py_object]
_py_incref.restype = None

_installed = False


class _Probe(QObject):
    probed = Signal()


def emit_steals_true() -> bool:
    """Whether `emit()` drops a reference to the bool it returns (measured, not assumed)."""
    probe = _Probe()
    rounds = 8
    before = sys.getrefcount(True)
    for _ in range(rounds):
        probe.probed.emit()
    lost = before - sys.getrefcount(True)
    for _ in range(max(0, lost)):
        _py_incref(True)  # undo the probe's own damage
    return lost >= rounds


def install() -> bool:
    """Wrap `SignalInstance.emit` if the bug is present; returns whether it did. Idempotent."""
    global _installed
    if _installed:
        return True
    if not emit_steals_true():
        return False
    original = SignalInstance.emit

    def emit(self: SignalInstance, *args: Any) -> Any:
        result = original(self, *args)
        if isinstance(result, bool):
            # The reference the caller will drop was never taken; take it. One too many on a blocked
            # emit is harmless (True is never freed); one too few is fatal.
            _py_incref(result)
        return result

    SignalInstance.emit = emit  # type: ignore[method-assign]
    _installed = True
    return True
