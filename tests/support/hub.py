"""huggingface.co as a blocked network shows it, for the tests of downloading through a mirror."""

from __future__ import annotations

import pytest

from satori_desktop.engine.server_process import free_port


def block_the_hub(monkeypatch: pytest.MonkeyPatch) -> str:
    """Make huggingface_hub's own address (and the file URLs it builds on it) a port nothing answers at,
    with no HF_ENDPOINT and no mirror chosen yet; `monkeypatch` puts all of it back after the test.
    Returns the blocked address."""
    from huggingface_hub import constants

    from satori_desktop.models import hub

    blocked = f"http://127.0.0.1:{free_port()}"
    monkeypatch.delenv("HF_ENDPOINT", raising=False)
    monkeypatch.setattr(constants, "ENDPOINT", blocked)
    monkeypatch.setattr(
        constants, "HUGGINGFACE_CO_URL_TEMPLATE", blocked + "/{repo_id}/resolve/{revision}/{filename}"
    )
    monkeypatch.setattr(hub, "_chosen_endpoint", "")
    return blocked
