"""Qt-free conversation history: a SQLite file (WAL, FTS5 trigram search) written by one writer thread.

`HistoryStore` is the entry point; `TurnRecorder` records a streamed answer; the records it hands out
are in `history.records`. See `history.store` for the behaviour in bad states.
"""

from satori_desktop.history.recorder import TurnRecorder
from satori_desktop.history.records import (
    INTERRUPTED,
    Conversation,
    ConversationSummary,
    SearchHit,
    Turn,
)
from satori_desktop.history.store import HistoryStore, default_path

__all__ = [
    "INTERRUPTED",
    "Conversation",
    "ConversationSummary",
    "HistoryStore",
    "SearchHit",
    "Turn",
    "TurnRecorder",
    "default_path",
]
