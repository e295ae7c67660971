"""The words an exported document adds around the model's text (`documents.labels`), in the window's
language: the documents layer is Qt-free, so the window translates them and hands them over."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication

from satori_desktop.core.coat import StepAction
from satori_desktop.documents.labels import DocumentLabels
from satori_desktop.ui.i18n.text import QT_TRANSLATE_NOOP

WORDS = {
    "question": QT_TRANSLATE_NOOP("DocumentLabels", "Question"),
    # {number} stays as it is: the writer puts the question's number there.
    "numbered_question": QT_TRANSLATE_NOOP("DocumentLabels", "Question {number}"),
    "answer": QT_TRANSLATE_NOOP("DocumentLabels", "Answer"),
    StepAction.START: QT_TRANSLATE_NOOP("DocumentLabels", "Solution"),
    StepAction.CONTINUE: QT_TRANSLATE_NOOP("DocumentLabels", "Next step"),
    StepAction.REFLECT: QT_TRANSLATE_NOOP("DocumentLabels", "Checking the work (reflect)"),
    StepAction.EXPLORE: QT_TRANSLATE_NOOP("DocumentLabels", "Trying another way (explore)"),
    StepAction.THINK: QT_TRANSLATE_NOOP("DocumentLabels", "Thinking"),
}


def _translated(key: str | StepAction) -> str:
    return QCoreApplication.translate("DocumentLabels", WORDS[key])


def document_labels() -> DocumentLabels:
    """The headings of a .docx, .tex or .md export in the language the window shows."""
    return DocumentLabels(
        question=_translated("question"),
        numbered_question=_translated("numbered_question"),
        answer=_translated("answer"),
        steps={action: _translated(action) for action in StepAction},
    )
