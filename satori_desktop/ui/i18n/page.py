"""The transcript page's own words (assets/web), translated in the app's one catalogue (context
"TranscriptPage") and sent to the page as its `strings` op.

The page writes its labels, tooltips and footer lines in English through `t(english)` and, for counts,
`tn(n, one, many)` (assets/web/i18n.js). Every such English string is listed here, so pyside6-lupdate puts
it in the `.ts` next to the window's strings; tests/ui_window/test_chinese_ui.py checks that this list and
the page's calls are the same. To add a string to the page: write `t("...")` there, add it here, run
`python packaging/compile_translations.py --update` and translate it in the `.ts`.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication

from satori_desktop.ui.i18n.languages import StoredTranslations, current_language, page_language

__all__ = ["PAGE_COUNTS", "PAGE_TEXTS", "page_language", "page_strings", "strings_op"]
from satori_desktop.ui.i18n.text import QT_TRANSLATE_NOOP

CONTEXT = "TranscriptPage"

# What the page passes to `t()`, word for word (`%1`, `%2` are the values it fills in).
PAGE_TEXTS = (
    # turns.js: the sections and the answer card
    QT_TRANSLATE_NOOP("TranscriptPage", "Checking the work"),
    QT_TRANSLATE_NOOP("TranscriptPage", "Trying another way"),
    QT_TRANSLATE_NOOP("TranscriptPage", "Thinking"),
    QT_TRANSLATE_NOOP("TranscriptPage", "Answer"),
    # summary.js: the summary line and the footer
    QT_TRANSLATE_NOOP("TranscriptPage", "Show all"),
    QT_TRANSLATE_NOOP("TranscriptPage", "Fold all"),
    QT_TRANSLATE_NOOP("TranscriptPage", "under 0.1 s"),
    QT_TRANSLATE_NOOP("TranscriptPage", "%1 s"),
    QT_TRANSLATE_NOOP("TranscriptPage", "%1 min %2 s"),
    QT_TRANSLATE_NOOP("TranscriptPage", "Stopped: the answer reached the length limit before it finished."),
    QT_TRANSLATE_NOOP("TranscriptPage", "Stopped before the answer was finished."),
    QT_TRANSLATE_NOOP(
        "TranscriptPage", "Interrupted: Satori Desktop closed before this answer was finished."
    ),
    QT_TRANSLATE_NOOP("TranscriptPage", "unknown error"),
    QT_TRANSLATE_NOOP("TranscriptPage", "Generation failed: %1"),
    QT_TRANSLATE_NOOP("TranscriptPage", "No final answer in \\boxed{} was given."),
    QT_TRANSLATE_NOOP("TranscriptPage", "%1 tokens/s"),
    # fold-preview.js: a long formula left out of a folded section's one-line preview
    QT_TRANSLATE_NOOP("TranscriptPage", "a formula"),
    # transcript.js: the empty page, the empty preview, the missing-assets notice
    QT_TRANSLATE_NOOP(
        "TranscriptPage", "Ask a math question below. Satori's reasoning appears here, step by step."
    ),
    QT_TRANSLATE_NOOP("TranscriptPage", "Preview of your problem, with the math typeset."),
    QT_TRANSLATE_NOOP(
        "TranscriptPage",
        "The app's web assets are missing (KaTeX), so formulas show as source. Run `python "
        "packaging/fetch_web_assets.py` in the source folder, or reinstall the app.",
    ),
    # copy-export.js: the answer card's copy button
    QT_TRANSLATE_NOOP("TranscriptPage", "Copy the answer's LaTeX source to the clipboard"),
    QT_TRANSLATE_NOOP("TranscriptPage", "Copy LaTeX"),
    QT_TRANSLATE_NOOP("TranscriptPage", "Copied"),
    QT_TRANSLATE_NOOP("TranscriptPage", "Could not copy"),
    QT_TRANSLATE_NOOP("TranscriptPage", "Copy the answer"),
    QT_TRANSLATE_NOOP(
        "TranscriptPage", "More ways to copy: for Word, as Markdown, as plain text, as a picture"
    ),
    QT_TRANSLATE_NOOP("TranscriptPage", "More ways to copy the answer"),
)


def _count_forms() -> dict[str, dict[str, str]]:
    """The page's counts (`tn(n, one, many)`, kept under `many`) in the forms for 1 and for any other
    count, `%n` unfilled. (Written out with literal counts: pyside6-lupdate takes a call for a count only
    when its `n` is a number.)"""
    stored = StoredTranslations()
    return {
        "%n steps": {
            "one": stored.translate("TranscriptPage", "%n steps", None, 1),
            "other": stored.translate("TranscriptPage", "%n steps", None, 2),
        },
        "%n checks": {
            "one": stored.translate("TranscriptPage", "%n checks", None, 1),
            "other": stored.translate("TranscriptPage", "%n checks", None, 2),
        },
        "%n changes of approach": {
            "one": stored.translate("TranscriptPage", "%n changes of approach", None, 1),
            "other": stored.translate("TranscriptPage", "%n changes of approach", None, 2),
        },
        "%n thoughts": {
            "one": stored.translate("TranscriptPage", "%n thoughts", None, 1),
            "other": stored.translate("TranscriptPage", "%n thoughts", None, 2),
        },
        "%n words": {
            "one": stored.translate("TranscriptPage", "%n words", None, 1),
            "other": stored.translate("TranscriptPage", "%n words", None, 2),
        },
        "%n tokens": {
            "one": stored.translate("TranscriptPage", "%n tokens", None, 1),
            "other": stored.translate("TranscriptPage", "%n tokens", None, 2),
        },
    }


# The page's counts, by the key `tn()` keeps them under (its `many`).
PAGE_COUNTS = tuple(_count_forms())


def page_strings() -> dict[str, str | dict[str, str]]:
    """The page's words in the window's language: `{english: translation}`, and for a count
    `{many: {"one": ..., "other": ...}}`; empty for English, which the page has itself."""
    if current_language() == "en":
        return {}
    strings: dict[str, str | dict[str, str]] = {}
    for text in PAGE_TEXTS:
        translated = QCoreApplication.translate(CONTEXT, text)
        if translated != text:
            strings[text] = translated
    # The page picks "one" for 1 and "other" for any other count: English's rule, and Chinese has one
    # form for all.
    strings.update(_count_forms())
    return strings


def strings_op() -> dict[str, object] | None:
    """The page's `strings` op for the window's language, or None when the page's own English will do."""
    strings = page_strings()
    if not strings:
        return None
    return {"op": "strings", "lang": page_language(), "strings": strings}
