"""Our hook for PySide6.QtQml, in place of PyInstaller's own.

The app imports QtQml for one class: QJSEngine, which runs KaTeX to turn LaTeX into MathML
(satori_desktop/ui/katex_mathml.py). PyInstaller's hook also collects every QML module and plugin Qt
ships, and with them the libraries they link (Multimedia, Quick3D, TextToSpeech, ...: far more than the
whole app weighs otherwise). The app runs no QML, so this hook takes only the module's own Qt libraries.
"""

from PyInstaller.utils.hooks.qt import add_qt6_dependencies

hiddenimports, binaries, datas = add_qt6_dependencies(__file__)
