"""One real answer checker (a real worker process with the real math-verify) for a whole test module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from satori_desktop.checking import AnswerChecker


@pytest.fixture(scope="module")
def checker() -> Iterator[AnswerChecker]:
    # A generous deadline: these tests are about verdicts, and a busy CI machine is slow.
    with AnswerChecker(deadline_s=30.0) as answer_checker:
        answer_checker.start()
        yield answer_checker
