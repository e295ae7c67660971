"""Everything PySide6: windows, dialogs, the transcript web view and its bridge, workers.

Importing the package first repairs a reference-count bug of the pinned PySide6's `Signal.emit` (see
`qt_compat`), so every module under `ui/` emits signals safely.
"""

from satori_desktop.ui import qt_compat

qt_compat.install()
