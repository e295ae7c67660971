"""What the history keeps of a "solve several times" turn: read back as written, and a stored finish
reason checked once, when it is read."""

from __future__ import annotations

import json
from typing import get_args

from satori_desktop.core.samples import FINISH_REASONS, SampleRecord, SamplesRecord
from satori_desktop.engine.types import FinishReason


def test_the_finish_reasons_are_the_engines() -> None:
    assert get_args(FinishReason) == FINISH_REASONS  # the engine's


def test_a_record_reads_back_as_written() -> None:
    record = SamplesRecord(
        samples=tuple(
            SampleRecord(f"\\boxed{{{i}}}", str(i), reason, i) for i, reason in enumerate(FINISH_REASONS)
        ),
        chosen=1,
        groups=((1,), (0,)),
    )
    assert SamplesRecord.from_json(record.to_json()) == record


def test_a_missing_or_unknown_finish_reason_reads_as_stop() -> None:
    stored = {
        "samples": [
            {"text": "a", "answer": "1", "generated_tokens": 3},  # written before it had one
            {"text": "b", "answer": "1", "finish_reason": "aborted"},
            {"text": "c", "answer": None, "finish_reason": 7},
            {"text": "d", "answer": "2", "finish_reason": "length"},
        ],
        "chosen": 0,
        "groups": [[0, 1], [3]],
    }
    record = SamplesRecord.from_json(json.dumps(stored))
    assert record is not None
    assert [s.finish_reason for s in record.samples] == ["stop", "stop", "stop", "length"]
    assert record.samples[0].generated_tokens == 3 and record.agreeing == 2 and record.consensus == "1"
