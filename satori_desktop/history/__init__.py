"""Qt-free conversation history (SQLite)."""
