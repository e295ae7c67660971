"""A solution as Markdown: each question, the steps of its answer under headings, the answer.

For `satori-desktop export --format md`, `satori-desktop history export` and the window's File > Export:
math stays in the model's own TeX delimiters, which Markdown editors with math (Obsidian, Typora, GitHub,
Pandoc) typeset, and the text is the model's Markdown as it wrote it.
"""

from __future__ import annotations

import time
from pathlib import Path

from satori_desktop.documents.formats import ExportResult, write_export
from satori_desktop.documents.labels import ENGLISH, DocumentLabels
from satori_desktop.documents.solution import Solution, SolvedQuestion


def solution_markdown(solution: Solution, labels: DocumentLabels = ENGLISH) -> str:
    date = time.strftime("%Y-%m-%d %H:%M", time.localtime(solution.created_at))
    byline = f"Satori Desktop, {date}" + (f", {solution.model}" if solution.model else "")
    parts = [f"# {solution.title}", "", f"*{byline}*", ""]
    numbered = len(solution.questions) > 1
    for number, question in enumerate(solution.questions, start=1):
        parts.extend(_question_markdown(question, number if numbered else None, labels))
    return "\n".join(parts).rstrip() + "\n"


def write_markdown(solution: Solution, out: Path, labels: DocumentLabels = ENGLISH) -> ExportResult:
    write_export(out, solution_markdown(solution, labels).encode("utf-8"))
    return ExportResult.of(solution, out, "md")


def _question_markdown(question: SolvedQuestion, number: int | None, labels: DocumentLabels) -> list[str]:
    lines = [f"## {labels.question_heading(number)}", "", question.question, ""]
    for step, title in zip(
        question.steps, labels.step_titles(step.action for step in question.steps), strict=True
    ):
        lines += [f"### {title}", "", step.text, ""]
    if question.answer is not None:
        lines += [f"**{labels.answer}:** ${question.answer}$", ""]
    if question.note:
        lines += [f"*{question.note}*", ""]
    return lines
