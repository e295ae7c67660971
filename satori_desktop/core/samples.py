"""What the history keeps of a "solve several times" turn: every solution, which one the turn shows, and
how the answers grouped. Qt-free; stored as JSON in `turns.samples_json` (history schema 5).

The turn's own output is the chosen solution (one of the majority), so continuing the conversation, the
transcript and the exports treat it as the answer; the others are kept beside it, to be opened again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal, get_args

# How a solution ended: the engine's `FinishReason` (engine/types.py), spelled out here because core sits
# below the engine; tests/core/test_samples.py keeps the two the same.
FinishReason = Literal["stop", "length", "cancelled", "error"]
FINISH_REASONS: tuple[FinishReason, ...] = get_args(FinishReason)


def _finish_reason(value: object) -> FinishReason:
    """A stored finish reason; a missing or unknown one reads as "stop" (a solution that ended)."""
    for known in FINISH_REASONS:
        if value == known:
            return known
    return "stop"


@dataclass(frozen=True)
class SampleRecord:
    text: str  # the raw output, meta tokens as text
    answer: str | None
    finish_reason: FinishReason
    generated_tokens: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "answer": self.answer,
            "finish_reason": self.finish_reason,
            "generated_tokens": self.generated_tokens,
        }


@dataclass(frozen=True)
class SamplesRecord:
    samples: tuple[SampleRecord, ...]
    chosen: int  # the solution the turn shows
    groups: tuple[tuple[int, ...], ...]  # indices of equivalent answers, largest group first

    @property
    def agreeing(self) -> int:
        return len(self.groups[0]) if self.groups else 0

    @property
    def consensus(self) -> str | None:
        """The answer most solutions agree on (the chosen one's), None when none has an answer."""
        return self.samples[self.chosen].answer if self.groups and self.samples else None

    def to_json(self) -> str:
        return json.dumps(
            {
                "samples": [sample.to_dict() for sample in self.samples],
                "chosen": self.chosen,
                "groups": [list(group) for group in self.groups],
            },
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, text: str | None) -> SamplesRecord | None:
        """The stored record; None for none or anything unreadable (the turn opens as a single answer)."""
        if not text:
            return None
        try:
            data = json.loads(text)
        except ValueError:
            return None
        if not isinstance(data, dict) or not isinstance(data.get("samples"), list):
            return None
        samples = []
        for item in data["samples"]:
            if not isinstance(item, dict) or not isinstance(item.get("text"), str):
                return None
            answer = item.get("answer")
            tokens = item.get("generated_tokens")
            samples.append(
                SampleRecord(
                    text=item["text"],
                    answer=answer if isinstance(answer, str) else None,
                    finish_reason=_finish_reason(item.get("finish_reason")),
                    generated_tokens=tokens if type(tokens) is int else 0,
                )
            )
        count = len(samples)
        chosen = data.get("chosen")
        if not samples or not isinstance(chosen, int) or not 0 <= chosen < count:
            return None
        groups = tuple(
            tuple(i for i in group if isinstance(i, int) and 0 <= i < count)
            for group in data.get("groups", [])
            if isinstance(group, list)
        )
        return cls(samples=tuple(samples), chosen=chosen, groups=tuple(g for g in groups if g))
