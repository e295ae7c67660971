"""The shared server's API key, kept in the operating system's keychain and nowhere else.

The key goes through `keyring` (macOS Keychain, Windows Credential Manager, the Secret Service on Linux)
under one entry; never into the settings file, the history, a log line or a diagnostics report. Where no
keychain exists (a Linux session without a Secret Service, a locked one), `save` says so and the key
lives in this process's memory for the session only. The command line reads SATORI_DESKTOP_API_KEY first.
"""

from __future__ import annotations

import contextlib
import logging
import os
from dataclasses import dataclass

log = logging.getLogger(__name__)

SERVICE = "Satori Desktop"
ENTRY = "server-api-key"
ENVIRONMENT = "SATORI_DESKTOP_API_KEY"
NO_KEYCHAIN_SENTENCE = (
    "This system has no keychain the app can use, so the API key is kept only until the app closes; enter "
    "it again next time (or set SATORI_DESKTOP_API_KEY)."
)

_session_key: str | None = None  # where no keychain exists: the key for this run only


@dataclass(frozen=True)
class SaveOutcome:
    stored: bool  # True: in the keychain; False: for this session only (`sentence` says why)
    sentence: str = ""


def load(*, environment: bool = True) -> str:
    """The key: SATORI_DESKTOP_API_KEY (unless `environment` is False), the keychain, this session's,
    or "" for none."""
    if environment and os.environ.get(ENVIRONMENT, "").strip():
        return os.environ[ENVIRONMENT].strip()
    if _session_key is not None:
        return _session_key
    try:
        import keyring

        return keyring.get_password(SERVICE, ENTRY) or ""
    except Exception as exc:  # no backend, a locked or broken keychain: no key
        log.info("no API key from the keychain: %s", type(exc).__name__)
        return ""


def save(key: str) -> SaveOutcome:
    """Keep `key` ("" forgets it) in the keychain, else for this session only."""
    global _session_key
    key = key.strip()
    try:
        import keyring

        if key:
            keyring.set_password(SERVICE, ENTRY, key)
        else:
            with contextlib.suppress(keyring.errors.PasswordDeleteError):  # there was none
                keyring.delete_password(SERVICE, ENTRY)
    except Exception as exc:
        log.info("the keychain cannot keep the API key: %s", type(exc).__name__)
        _session_key = key
        return SaveOutcome(False, NO_KEYCHAIN_SENTENCE if key else "")
    _session_key = None
    return SaveOutcome(True)
