"""Which language the window speaks, and the translators that make it speak it.

`install_translations(app, setting)` runs once at start-up, before the window is made (widgets translate
their strings when they are built): it resolves the `language` setting ("system", "en", "zh_CN") to one of
the UI languages, and installs our catalogue (`satori_desktop_<language>.qm`, compiled from the `.ts`
sources into `satori_desktop/_assets/i18n/`) and, for Chinese, Qt's own (qt, qtbase, qtwebengine, from
Qt's translations folder: standard buttons, file dialogs, the web view's context menu). A missing
catalogue is logged and the window stays English; it never stops the app.

Without `install_translations` (the tests, the command line's export) nothing is installed and every
string is the English in the code.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, get_args

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

log = logging.getLogger(__name__)

UiLanguage = Literal["en", "zh_CN"]
UI_LANGUAGES: tuple[UiLanguage, ...] = get_args(UiLanguage)

# Where the compiled catalogues are: package data, beside the page's assets (an installed app, a frozen one
# and a source checkout alike, once packaging/compile_translations.py has run).
QM_DIR = Path(__file__).resolve().parent.parent.parent / "_assets" / "i18n"
APP_CATALOG = "satori_desktop"
# Qt's catalogues the window uses; the frozen bundle carries exactly these (packaging/pyinstaller).
QT_CATALOGS = ("qt", "qtbase", "qtwebengine")

# The language as web pages name it (the page's `lang`, which also picks the CJK glyph forms).
PAGE_LANGUAGES: dict[UiLanguage, str] = {"en": "en", "zh_CN": "zh-CN"}


def resolve_language(setting: str, ui_languages: Iterable[str]) -> UiLanguage:
    """The UI language for the `language` setting; "system" (or anything unknown) takes the first of the
    system's UI languages (`QLocale.uiLanguages()`, most preferred first) that is English or Chinese, and
    English when none is. Any Chinese takes the Simplified translation, the only Chinese one."""
    if setting in UI_LANGUAGES:
        return setting  # type: ignore[return-value]
    for tag in ui_languages:
        base = tag.replace("_", "-").split("-")[0].lower()
        if base == "en":
            return "en"
        if base == "zh":
            return "zh_CN"
    return "en"


@dataclass
class _Installed:
    language: UiLanguage = "en"
    app_catalog: QTranslator | None = None
    translators: list[QTranslator] = field(default_factory=list)


_installed = _Installed()


def install_translations(app: QCoreApplication, setting: str) -> UiLanguage:
    """Install the translators for `setting` into `app` (replacing ones installed before); returns the
    language the window will speak (English when its catalogue is missing)."""
    uninstall_translations(app)
    language = resolve_language(setting, QLocale.system().uiLanguages())
    catalog = QTranslator(app)
    if catalog.load(f"{APP_CATALOG}_{language}", str(QM_DIR)):
        app.installTranslator(catalog)
        _installed.app_catalog = catalog
        _installed.translators.append(catalog)
    elif language != "en":
        log.warning(
            "the %s translation (%s_%s.qm in %s) is missing, so the window is English; run "
            "packaging/compile_translations.py or reinstall the app",
            language,
            APP_CATALOG,
            language,
            QM_DIR,
        )
        language = "en"
    else:
        # English is the code's own; its catalogue only adds plural forms ("1 answer").
        log.info("the English plural forms (%s_en.qm in %s) are missing", APP_CATALOG, QM_DIR)
    if language != "en":
        qt_folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
        for name in QT_CATALOGS:
            translator = QTranslator(app)
            if translator.load(f"{name}_{language}", qt_folder):
                app.installTranslator(translator)
                _installed.translators.append(translator)
            else:
                log.info("Qt's %s_%s.qm is not in %s", name, language, qt_folder)
    _installed.language = language
    log.info("the window speaks %s (the setting: %s)", language, setting)
    return language


def uninstall_translations(app: QCoreApplication) -> None:
    """Remove what `install_translations` installed: the window's strings are English again."""
    for translator in _installed.translators:
        app.removeTranslator(translator)
    _installed.translators.clear()
    _installed.app_catalog = None
    _installed.language = "en"


def current_language() -> UiLanguage:
    """The language installed now ("en" when nothing was)."""
    return _installed.language


def page_language() -> str:
    """The language as a web page's `lang` names it ("en", "zh-CN")."""
    return PAGE_LANGUAGES[_installed.language]


def ui_locale() -> QLocale:
    """The locale dates and month names are written in: the UI language's, whatever the system's
    number and date settings are (a Chinese window writes 2026年11月, an English one November 2026)."""
    return QLocale("zh_CN" if _installed.language == "zh_CN" else "en_US")


class StoredTranslations:
    """Our catalogue's translations as they are stored, `%n` not yet filled in (the transcript page fills
    it in). `translate` takes `QCoreApplication.translate`'s arguments, so pyside6-lupdate finds the
    strings asked of it (numerus ones included)."""

    def translate(self, context: str, source: str, disambiguation: str | None = None, n: int = -1) -> str:
        catalog = _installed.app_catalog
        translated = catalog.translate(context, source, disambiguation, n) if catalog is not None else ""
        return translated or source
