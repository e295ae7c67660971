"""The one exception type whose message is meant for a person.

Anything that can go wrong because of the user's input or machine (a missing file, a full disk, a
question longer than the context) raises `UserFacingError` with one sentence that says what happened and
what to do. The CLI prints that sentence to stderr and the GUI shows it in a dialog; any other exception
is a bug, and its traceback goes to the log, never to the screen.
"""

from __future__ import annotations


class UserFacingError(Exception):
    """An error whose `str()` is a complete sentence a user can act on."""

    def __init__(self, message: str, *, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code
