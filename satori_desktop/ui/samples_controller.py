"""Solve several times in the window: the samples card while k solutions stream together, the grouping of
their answers by equivalence once they are in, and each solution opened whole on request.

The window starts the batch (`EngineWorker.generate_samples`) and hands the controller what streams
(`show_progress`) and the outcome (`settle`): the answers are grouped off the GUI thread by the answer
checker's worker (`checking.group_answers`: identical, or a match both ways round), and `settled` brings
back which solution the turn shows (the first of the largest group) with the record the history keeps.
A turn from the history shows its card again from that record (`show_stored`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QCoreApplication, QObject, Signal
from PySide6.QtWidgets import QWidget

from satori_desktop.core.coat import parse_trace
from satori_desktop.core.samples import SampleRecord, SamplesRecord
from satori_desktop.engine.streaming import TurnSummary
from satori_desktop.ui.background import BackgroundJob
from satori_desktop.ui.i18n.text import QT_TRANSLATE_NOOP, arg
from satori_desktop.ui.sampling import SampleProgress, SamplesOutcome, SamplesUpdate
from satori_desktop.ui.solution_dialog import SolutionDialog
from satori_desktop.ui.transcript import TranscriptView

if TYPE_CHECKING:
    from satori_desktop.checking import AnswerChecker

log = logging.getLogger(__name__)

# What the card says (translated where shown).
CONTEXT = "SamplesController"

NO_ANSWER = QT_TRANSLATE_NOOP("SamplesController", "None of the %1 solutions has a final answer.")
AGREE = QT_TRANSLATE_NOOP("SamplesController", "%1 of %2 solutions agree:")
SOLVING = QT_TRANSLATE_NOOP("SamplesController", "Solving %1 times: %2 done…")
STOPPED_EARLY = QT_TRANSLATE_NOOP("SamplesController", "Stopped before the solutions were in.")
STREAMING = QT_TRANSLATE_NOOP("SamplesController", "%1 tokens…")
FAILED = QT_TRANSLATE_NOOP("SamplesController", "failed")
STOPPED = QT_TRANSLATE_NOOP("SamplesController", "stopped")
CUT_OFF = QT_TRANSLATE_NOOP("SamplesController", "%1 tokens, cut off at the limit")
TOKENS = QT_TRANSLATE_NOOP("SamplesController", "%1 tokens")
SOLUTION = QT_TRANSLATE_NOOP("SamplesController", "Solution %1")
SOLUTION_OF = QT_TRANSLATE_NOOP("SamplesController", "Solution %1 of %2")


def _tr(text: str) -> str:
    return QCoreApplication.translate(CONTEXT, text)


@dataclass(frozen=True)
class SettledSamples:
    """A finished "solve several times": the record to keep, and the summary of the solution shown."""

    turn: int  # its position on the page
    record: SamplesRecord
    summary: TurnSummary


@dataclass
class _Active:
    turn: int
    count: int
    question: str
    request_id: int | None = None


class SamplesController(QObject):
    """Signals: `settled(SettledSamples)` once a batch's answers are grouped."""

    settled = Signal(object)

    def __init__(self, view: TranscriptView, checker: Callable[[], AnswerChecker], parent: QWidget) -> None:
        super().__init__(parent)
        self._view = view
        self._checker = checker
        self._active: _Active | None = None
        self._job: BackgroundJob | None = None
        self._records: dict[int, tuple[str, SamplesRecord]] = {}  # page turn -> question, record
        self._dialogs: list[SolutionDialog] = []
        view.sample_requested.connect(self.open_sample)

    # -- a batch, as the window runs it ------------------------------------------------------------------

    def start(self, turn: int, count: int, question: str, request_id: int) -> None:
        self._active = _Active(turn, count, question, request_id)
        self._show_rows(turn, [SampleProgress(i, 0, None) for i in range(count)], done=False)

    @property
    def request_id(self) -> int | None:
        return None if self._active is None else self._active.request_id

    def show_progress(self, update: SamplesUpdate) -> None:
        active = self._active
        if active is None or update.request_id != active.request_id:
            return
        self._show_rows(active.turn, list(update.samples), done=False)

    def settle(self, outcome: SamplesOutcome) -> bool:
        """The batch ended: group its answers off the GUI thread; `settled` follows. False when nothing
        came out (cancelled before any solution began, or the batch failed): the window ends the turn."""
        active = self._active
        if active is None or outcome.request_id != active.request_id:
            return False
        results = outcome.results
        if outcome.error is not None or not any(r is not None and r.text for r in results):
            self._show_rows(active.turn, list(outcome.samples), done=True)
            self._active = None
            return False
        samples = tuple(
            SampleRecord(
                text=r.text if r is not None else "",
                answer=parse_trace(r.text).answer if r is not None else None,
                finish_reason=r.finish_reason if r is not None else "cancelled",
                generated_tokens=r.generated_tokens if r is not None else 0,
            )
            for r in results
        )
        checker = self._checker()

        def group() -> Any:
            from satori_desktop.checking import group_answers

            return group_answers([s.answer for s in samples], checker)

        job = BackgroundJob(group, QT_TRANSLATE_NOOP("BackgroundJob", "comparing the answers"), self)
        job.succeeded.connect(lambda groups: self._on_grouped(active, outcome, samples, groups))
        job.failed.connect(lambda sentence: self._on_grouped(active, outcome, samples, [], sentence))
        self._job = job
        job.start()
        return True

    def show_stored(self, turn: int, question: str, record: SamplesRecord) -> None:
        """A turn from the history: its card, as it was settled."""
        self._records[turn] = (question, record)
        self._show_record(turn, record)

    def clear(self) -> None:
        self._records.clear()
        self._active = None

    def wait(self) -> None:
        """The window closes: a grouping still running is waited for (each check has its deadline)."""
        if self._job is not None:
            self._job.wait(30)

    @property
    def is_grouping(self) -> bool:
        return self._job is not None

    def record(self, turn: int) -> SamplesRecord | None:
        found = self._records.get(turn)
        return found[1] if found else None

    def open_sample(self, turn: int, index: int) -> SolutionDialog | None:
        """Show solution `index` of turn `turn` whole, in a window of its own."""
        found = self._records.get(turn)
        if found is None or not 0 <= index < len(found[1].samples):
            return None
        question, record = found
        sample = record.samples[index]
        dialog = SolutionDialog(
            arg(_tr(SOLUTION_OF), index + 1, len(record.samples)),
            question,
            sample.text,
            finish_reason=sample.finish_reason,
            generated_tokens=sample.generated_tokens,
            parent=self._view.window(),
        )
        dialog.finished.connect(
            lambda _result, d=dialog: self._dialogs.remove(d) if d in self._dialogs else None
        )
        self._dialogs.append(dialog)
        dialog.open()
        return dialog

    # -- internals -----------------------------------------------------------------------------------------

    def _on_grouped(
        self,
        active: _Active,
        outcome: SamplesOutcome,
        samples: tuple[SampleRecord, ...],
        groups: Sequence[Any],
        failure: str | None = None,
    ) -> None:
        self._job = None
        if failure is not None:
            log.warning("grouping the answers failed: %s", failure)
        member_groups = tuple(tuple(group.members) for group in groups)
        answered = [i for i, s in enumerate(samples) if s.text]
        chosen = member_groups[0][0] if member_groups else (answered[0] if answered else 0)
        record = SamplesRecord(samples=samples, chosen=chosen, groups=member_groups)
        self._records[active.turn] = (active.question, record)
        self._active = None
        self._show_record(active.turn, record)
        result = outcome.results[chosen]
        assert result is not None  # chosen has text, so it ran
        summary = TurnSummary(
            request_id=outcome.request_id,
            finish_reason=result.finish_reason,
            text=result.text,
            error=result.error,
            prompt_tokens=result.prompt_tokens,
            reused_prompt_tokens=result.reused_prompt_tokens,
            generated_tokens=sum(r.generated_tokens for r in outcome.results if r is not None),
            ttft_s=result.ttft_s,
            decode_tok_s=None,
            elapsed_s=outcome.elapsed_s,
        )
        self.settled.emit(SettledSamples(active.turn, record, summary))

    def _show_record(self, turn: int, record: SamplesRecord) -> None:
        agreeing = set(record.groups[0]) if record.groups else set()
        rows = [
            self._row(i, sample.generated_tokens, sample.answer, sample.finish_reason, None, i in agreeing)
            for i, sample in enumerate(record.samples)
        ]
        total = len(record.samples)
        if record.consensus is None:
            head = arg(_tr(NO_ANSWER), total)
        else:
            head = arg(_tr(AGREE), record.agreeing, total)
        self._view.show_samples(turn, head=head, consensus_tex=record.consensus or "", rows=rows)

    def _show_rows(self, turn: int, samples: list[SampleProgress], *, done: bool) -> None:
        finished = sum(1 for s in samples if s.finish_reason is not None)
        head = arg(_tr(SOLVING), len(samples), finished) if not done else _tr(STOPPED_EARLY)
        rows = [self._row(s.index, s.tokens, s.answer, s.finish_reason, s.error, False) for s in samples]
        self._view.show_samples(turn, head=head, consensus_tex="", rows=rows)

    @staticmethod
    def _row(
        index: int, tokens: int, answer: str | None, finish_reason: str | None, error: str | None, agree: bool
    ) -> dict[str, Any]:
        if finish_reason is None:
            status, state = arg(_tr(STREAMING), tokens), "streaming"
        elif finish_reason == "error":
            status, state = error or _tr(FAILED), "error"
        elif finish_reason == "cancelled":
            status, state = _tr(STOPPED), "cancelled"
        elif finish_reason == "length":
            status, state = arg(_tr(CUT_OFF), tokens), "length"
        else:
            status, state = arg(_tr(TOKENS), tokens), "done"
        return {
            "index": index,
            "label": arg(_tr(SOLUTION), index + 1),
            "status": status,
            "answer_tex": answer or "",
            "agree": agree,
            "state": state,
        }
