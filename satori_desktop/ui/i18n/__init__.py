"""The interface in English and Simplified Chinese, through Qt's translation files.

How it fits together:
- The code's user-visible strings are English and marked for Qt's translation tools: `self.tr("...")` in
  QObject subclasses, `QCoreApplication.translate("Context", "...")` elsewhere, `%n` where a count
  appears (the count is the call's `n`), and a whole sentence with `%1`, `%2` placeholders (`.arg()`-style,
  filled with `str.replace`) rather than a sentence glued from parts. A string kept in a constant is marked
  with `markers.QT_TRANSLATE_NOOP(context, text)` and translated where it is shown.
- `satori_desktop_zh_CN.ts` beside this file holds every string with its Chinese translation;
  `satori_desktop_en.ts` holds only the English plural forms ("1 answer", "2 answers"). Both are refreshed
  from the code by `python packaging/compile_translations.py --update` (pyside6-lupdate over
  `satori_desktop/ui`) and compiled to `satori_desktop/_assets/i18n/*.qm` by the same script without
  `--update` (pyside6-lrelease), which scripts/bootstrap.sh and setup.py's build run; the `.qm` files are
  never committed.
- At start-up `languages.install_translations` picks the language from the `language` setting ("system"
  follows the operating system's UI languages) and installs our translator and Qt's own (qt, qtbase,
  qtwebengine: the standard buttons, file dialogs, the web view's context menu). A change in the settings
  dialog applies at the next start.
- The transcript page (assets/web) takes its words from Python: `page.page_strings()` translates the list
  of the page's strings (context "TranscriptPage") and the views send it as the page's `strings` op, which
  assets/web/i18n.js keeps; without it the page shows its own English.

What stays English: the command line, the log, the diagnostics report (it goes into bug reports), and the
sentences the Qt-free layers (core, engine, models, history) write into a `UserFacingError`, a failed
download or load, a turn's error, a settings or history notice. Those layers cannot use Qt's translator,
the command line prints the same sentences, and they carry paths, sizes and commands; the window shows
them as they come, inside its own translated words where it frames them ("生成失败：..."). Sentences the
window builds from the Qt-free layers' *data* are the window's own and are translated
(`sentences.py`: the first-run page's machine and recommendation lines, the crash dialog's sentence),
with tests that their English is word for word the Qt-free layers' own.
"""
