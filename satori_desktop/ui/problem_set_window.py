"""A problem set in the window (File > Solve a problem set…): a JSONL or CSV file of problems, solved N at
a time through the engine's batch (continuous batching: a finished problem's slot goes to the next),
graded against the set's answers by the answer checker, in a table that fills in as they finish.

The window reads the file (`core.problem_sets`, which names each bad line) and asks the main window to run
the batch on the one engine (`run_requested`); the main window hands back each finished problem
(`job_done`) and the end (`finished`). Grading runs off the GUI thread, one problem after another, in the
checker's worker process. A row's double-click opens its solution whole; Export writes the results as
JSON Lines (what `satori-desktop solve --out` writes) or CSV.
"""

from __future__ import annotations

import csv
import json
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from satori_desktop.checking.grading import Grade
from satori_desktop.core.coat import parse_trace
from satori_desktop.core.problem_sets import Problem, ProblemSet, result_record
from satori_desktop.engine.types import BatchJob, GenerationRequest, GenerationResult
from satori_desktop.ui.background import BackgroundJob
from satori_desktop.ui.i18n.text import QT_TRANSLATE_NOOP, arg
from satori_desktop.ui.sampling import BatchFinished, BatchJobDone
from satori_desktop.ui.solution_dialog import SolutionDialog

if TYPE_CHECKING:
    from satori_desktop.checking import AnswerChecker

log = logging.getLogger(__name__)

COLUMNS = ("id", "problem", "answer", "reference", "grade", "tokens", "time")
DEFAULT_PARALLEL = 8
MAX_PARALLEL = 16


@dataclass
class _Row:
    problem: Problem
    result: GenerationResult | None = None
    answer: str | None = None
    grade: Grade | None = None
    elapsed_s: float | None = None


class ProblemSetWindow(QWidget):
    """Signals: `run_requested(window, tuple[BatchJob, ...], int)` (solve these, N at a time),
    `stop_requested()`."""

    run_requested = Signal(object, object, int)
    stop_requested = Signal()

    def __init__(
        self,
        problem_set: ProblemSet,
        *,
        request_for: Callable[[str], GenerationRequest],  # the request for a problem's text
        checker: Callable[[], AnswerChecker],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("problemSetWindow")
        self.setWindowTitle(arg(self.tr("Problem set: %1"), problem_set.path.name))
        self.resize(980, 620)
        self._set = problem_set
        self._request_for = request_for
        self._checker = checker
        self._rows = [_Row(problem) for problem in problem_set.problems]
        self._by_key = {row.problem.key: index for index, row in enumerate(self._rows)}
        self._running = False
        self._started = 0.0
        self._grading: deque[int] = deque()
        self._grade_job: BackgroundJob | None = None
        self._dialogs: list[SolutionDialog] = []

        self.info_label = QLabel(self)
        self.info_label.setObjectName("problemSetInfo")
        self.info_label.setWordWrap(True)
        self.parallel_box = QSpinBox(self)
        self.parallel_box.setObjectName("parallelBox")
        self.parallel_box.setRange(1, MAX_PARALLEL)
        self.parallel_box.setValue(min(DEFAULT_PARALLEL, max(1, len(self._rows))))
        self.parallel_box.setPrefix(self.tr("Solve "))
        self.parallel_box.setSuffix(self.tr(" at a time"))
        self.solve_button = QPushButton(self.tr("Solve all"), self)
        self.solve_button.setObjectName("solveAllButton")
        self.stop_button = QPushButton(self.tr("Stop"), self)
        self.stop_button.setObjectName("stopSetButton")
        self.export_button = QPushButton(self.tr("Export results…"), self)
        self.export_button.setObjectName("exportResultsButton")
        self.progress = QProgressBar(self)
        self.progress.setObjectName("problemSetProgress")
        self.progress.setRange(0, max(1, len(self._rows)))
        self.progress.setValue(0)
        self.summary_label = QLabel(self)
        self.summary_label.setObjectName("problemSetSummary")
        self.table = QTableWidget(len(self._rows), len(COLUMNS), self)
        self.table.setObjectName("problemSetTable")
        self.table.setHorizontalHeaderLabels(
            [
                self.tr("Id"),
                self.tr("Problem"),
                self.tr("Answer"),
                self.tr("Reference"),
                self.tr("Grade"),
                self.tr("Tokens"),
                self.tr("Time"),
            ]
        )
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        for column in (0, 2, 3, 4, 5, 6):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        for index, row in enumerate(self._rows):
            self._show_row(index, row)

        controls = QHBoxLayout()
        controls.addWidget(self.parallel_box)
        controls.addWidget(self.solve_button)
        controls.addWidget(self.stop_button)
        controls.addStretch(1)
        controls.addWidget(self.export_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.info_label)
        layout.addLayout(controls)
        layout.addWidget(self.progress)
        layout.addWidget(self.summary_label)
        layout.addWidget(self.table, 1)

        self.solve_button.clicked.connect(self.solve_all)
        self.stop_button.clicked.connect(self.stop_requested)
        self.export_button.clicked.connect(self._on_export_button_clicked)
        self.table.cellDoubleClicked.connect(self._on_table_cell_double_clicked)
        self._show_info()
        self._update()

    # -- what the main window drives -----------------------------------------------------------------------

    def solve_all(self) -> None:
        """Ask for every problem without a result yet to be solved, N at a time."""
        pending = [row for row in self._rows if row.result is None]
        if self._running or not pending:
            return
        jobs = tuple(BatchJob(row.problem.key, self._request_for(row.problem.text)) for row in pending)
        self.run_requested.emit(self, jobs, self.parallel_box.value())

    def started(self) -> None:
        self._running = True
        self._started = time.perf_counter()
        for index, row in enumerate(self._rows):
            if row.result is None:
                self._show_row(index, row)
        self._update()

    def refused(self, sentence: str) -> None:
        """The batch could not start (the engine is busy, or no model): the window says why."""
        self.summary_label.setText(sentence)

    def job_done(self, done: BatchJobDone) -> None:
        index = self._by_key.get(done.key)
        if index is None:
            return
        row = self._rows[index]
        row.result = done.result
        row.answer = parse_trace(done.result.text).answer
        row.elapsed_s = time.perf_counter() - self._started
        self._show_row(index, row)
        if row.problem.reference is not None:
            self._grading.append(index)
            self._grade_next()
        self._update()

    def finished(self, ended: BatchFinished) -> None:
        self._running = False
        for index, row in enumerate(self._rows):
            if row.result is None:
                self._show_row(index, row)
        self._update()
        if ended.error:
            self.summary_label.setText(ended.error)

    @property
    def running(self) -> bool:
        return self._running

    @property
    def settled(self) -> bool:
        """Not running and every result graded (tests wait for it)."""
        return not self._running and self._grade_job is None and not self._grading

    def results(self) -> list[dict[str, Any]]:
        """One record per problem solved, the line `satori-desktop solve` writes (`result_record`). The
        window solves each problem once, so there are no `--samples` fields; its elapsed time runs from the
        start of the batch (what the Time column shows), not from the job taking its slot, which the
        window is not told."""
        records = []
        for row in self._rows:
            if row.result is None:
                continue
            grade = row.grade if row.grade is not None else Grade(None, None)
            records.append(
                result_record(
                    row.problem,
                    [row.result],
                    answer=row.answer,
                    grade=grade.grade,
                    grade_reason=grade.reason,
                    elapsed_s=row.elapsed_s,
                )
            )
        return records

    def export_results(self, path: Path) -> None:
        """Write the results: CSV for a .csv path, JSON Lines otherwise."""
        records = self.results()
        if path.suffix.lower() == ".csv":
            with open(path, "w", encoding="utf-8", newline="") as handle:
                writer = csv.writer(handle)
                writer.writerow(["id", "problem", "answer", "reference", "grade", "tokens", "elapsed_s"])
                for record in records:
                    writer.writerow(
                        [
                            record["id"],
                            record["problem"],
                            record["answer"] or "",
                            record["reference"] or "",
                            record["grade"] or "",
                            record["tokens"]["generated"],
                            f"{record['timing']['elapsed_s']:.1f}" if record["timing"]["elapsed_s"] else "",
                        ]
                    )
        else:
            with open(path, "w", encoding="utf-8") as handle:
                for record in records:
                    handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        self.summary_label.setText(arg(self.tr("Results written to %1."), path))

    def row_dialog(self, index: int) -> SolutionDialog | None:
        """Open the solution of row `index` whole; None when it has none yet."""
        row = self._rows[index]
        if row.result is None:
            return None
        dialog = SolutionDialog(
            arg(self.tr("Problem %1"), row.problem.id),
            row.problem.text,
            row.result.text,
            finish_reason=row.result.finish_reason,
            generated_tokens=row.result.generated_tokens,
            parent=self,
        )
        dialog.finished.connect(lambda _r, d=dialog: self._dialogs.remove(d) if d in self._dialogs else None)
        self._dialogs.append(dialog)
        dialog.open()
        return dialog

    def wait(self) -> None:
        if self._grade_job is not None:
            self._grade_job.wait(30)

    # -- internals -----------------------------------------------------------------------------------------

    def _grade_next(self) -> None:
        if self._grade_job is not None or not self._grading:
            return
        index = self._grading.popleft()
        row = self._rows[index]
        checker = self._checker()
        answer, reference = row.answer, row.problem.reference

        def grade() -> Grade:
            from satori_desktop.checking.grading import grade_answer

            return grade_answer(answer, reference, checker)

        job = BackgroundJob(grade, QT_TRANSLATE_NOOP("BackgroundJob", "grading the answers"), self)
        job.succeeded.connect(lambda result: self._on_graded(index, result))
        job.failed.connect(lambda sentence: self._on_graded(index, Grade("could not compare", sentence)))
        self._grade_job = job
        job.start()

    def _on_graded(self, index: int, grade: Grade) -> None:
        self._grade_job = None
        self._rows[index].grade = grade
        self._show_row(index, self._rows[index])
        self._update()
        self._grade_next()

    def _show_row(self, index: int, row: _Row) -> None:
        grade_words = {
            "correct": self.tr("✓ correct"),
            "wrong": self.tr("✗ wrong"),
            "no answer": self.tr("— no answer"),
            "could not compare": self.tr("? could not compare"),
        }
        if row.result is None:
            grade = self.tr("waiting") if not self._running else self.tr("solving…")
        elif row.result.finish_reason in ("error", "cancelled"):
            grade = self.tr("stopped") if row.result.finish_reason == "cancelled" else self.tr("failed")
        elif row.grade is None:
            grade = "" if row.problem.reference is None else self.tr("grading…")
        else:
            grade = grade_words.get(row.grade.grade or "", "")
        problem = " ".join(row.problem.text.split())
        cells = [
            str(row.problem.id),
            problem if len(problem) <= 120 else problem[:117] + "…",
            row.answer or "",
            row.problem.reference or "",
            grade,
            str(row.result.generated_tokens) if row.result is not None else "",
            f"{row.elapsed_s:.1f} s" if row.elapsed_s is not None else "",
        ]
        for column, text in enumerate(cells):
            item = QTableWidgetItem(text)
            if column == 4 and row.grade is not None:
                item.setToolTip(row.grade.reason or "")
                item.setData(Qt.ItemDataRole.UserRole, row.grade.grade)
            self.table.setItem(index, column, item)

    def _show_info(self) -> None:
        count = len(self._rows)
        text = arg(self.tr("%n problems from %1.", "", count), self._set.path)
        if self._set.bad_lines:
            first = self._set.bad_lines[0].message
            left_out = self.tr("%n lines were left out; the first: %1", "", len(self._set.bad_lines))
            text += " " + arg(left_out, first)
        if not self._set.has_references:
            text += " " + self.tr("The file has no answers to grade against.")
        self.info_label.setText(text)

    def _update(self) -> None:
        solved = sum(1 for row in self._rows if row.result is not None)
        graded = [row.grade.grade for row in self._rows if row.grade is not None]
        self.progress.setValue(solved)
        self.progress.setFormat(arg(self.tr("%1 of %2 solved"), solved, len(self._rows)))
        self.solve_button.setEnabled(not self._running and solved < len(self._rows))
        self.stop_button.setEnabled(self._running)
        self.parallel_box.setEnabled(not self._running)
        self.export_button.setEnabled(solved > 0)
        if graded and not self._running:
            correct = graded.count("correct")
            self.summary_label.setText(
                arg(
                    self.tr("Accuracy: %1 of %2 correct (%3%)."),
                    correct,
                    len(graded),
                    round(100 * correct / len(graded)),
                )
            )
        elif self._running and solved:
            elapsed = time.perf_counter() - self._started
            self.summary_label.setText(
                arg(
                    self.tr("%1 solved in %2 s (%3 problems a minute)."),
                    solved,
                    round(elapsed),
                    round(60 * solved / max(elapsed, 1e-6), 1),
                )
            )

    def _on_export_button_clicked(self) -> None:
        dialog = QFileDialog(self, self.tr("Export the results"))
        dialog.setObjectName("exportResultsDialog")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setNameFilters([self.tr("JSON Lines (*.jsonl)"), self.tr("CSV (*.csv)")])
        dialog.selectFile(self._set.path.with_suffix(".results.jsonl").name)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.fileSelected.connect(self._on_export_file_selected)
        dialog.open()

    def _on_export_file_selected(self, name: str) -> None:
        try:
            self.export_results(Path(name))
        except OSError as exc:
            self.summary_label.setText(
                arg(self.tr("The results could not be written to %1 (%2)."), name, exc.strerror or exc)
            )

    def _on_table_cell_double_clicked(self, row: int, _column: int) -> None:
        self.row_dialog(row)
