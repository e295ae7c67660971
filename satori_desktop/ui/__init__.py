"""Everything PySide6: windows, dialogs, the transcript web view and its bridge, workers."""
