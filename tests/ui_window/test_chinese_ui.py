"""The window in Simplified Chinese and in English (issue #10), through Qt's translation files.

The catalogue itself: every string the code marks (read from the code with Python's own parser, not with
lupdate's, so a call lupdate fails to read shows up as missing) is in satori_desktop_zh_CN.ts with a
finished translation that keeps its placeholders and its shortcut; the English catalogue holds exactly the
plural forms; both compile with lrelease. The transcript page's own strings (assets/web) are the list
ui/i18n/page.py sends it. The window's wording of the Qt-free layers' sentences is, in English, theirs.

Then the real window, first-run page, settings dialog and transcript page with the Chinese catalogue
installed, and English again; pictures of each (SATORI_SCREENSHOT_DIR keeps them; docs/screenshots/zh-*
are the ones looked at). And the app itself, started as a user starts it, following the system's
language and the setting.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import ModuleType

import pytest
import shiboken6
from PySide6.QtCore import QTranslator
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QAbstractButton, QApplication, QLabel, QPushButton, QWidget
from pytestqt.qtbot import QtBot

from satori_desktop.core.crash_report import CrashReport
from satori_desktop.core.crash_report import previous_crash_sentence as core_crash_sentence
from satori_desktop.core.settings import Settings, save_settings, settings_path
from satori_desktop.engine.hardware import GpuInfo, HardwareInfo
from satori_desktop.engine.scripted import ScriptedEngine
from satori_desktop.models.catalog import CatalogEntry, offline_catalog
from satori_desktop.models.recommend import MachineRecommendation, machine_sentence, recommend
from satori_desktop.ui.engine_worker import EngineWorker
from satori_desktop.ui.i18n import sentences
from satori_desktop.ui.i18n.languages import (
    install_translations,
    page_language,
    resolve_language,
    uninstall_translations,
)
from satori_desktop.ui.i18n.page import PAGE_COUNTS, PAGE_TEXTS, page_strings
from satori_desktop.ui.main_window import MainWindow
from satori_desktop.ui.settings_dialog import SettingsDialog
from tests.support.qt_env import app_env
from tests.support.scripts import load_script
from tests.ui_transcript.conftest import dom_state, run_js

REPO = Path(__file__).resolve().parents[2]
I18N = REPO / "satori_desktop" / "ui" / "i18n"
ZH_TS = I18N / "satori_desktop_zh_CN.ts"
EN_TS = I18N / "satori_desktop_en.ts"
WEB = REPO / "assets" / "web"
PLACEHOLDER = re.compile(r"%(?:[1-9]|n)")
# One mnemonic: "&" before a letter, but not "&&" (a literal ampersand).
MNEMONIC = re.compile(r"(?<!&)&(?!&)")

MakeWindow = Callable[..., MainWindow]


def _compile_script() -> ModuleType:
    return load_script(REPO / "packaging" / "compile_translations.py")


# -- the catalogue, read as the code and the .ts files say ----------------------------------------------


@dataclass(frozen=True)
class Message:
    context: str
    source: str
    comment: str


def _literal(node: ast.expr | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def code_messages() -> dict[Message, bool]:
    """Every marked string under satori_desktop/ui: `translate(context, text, comment, n)`, `self.tr(text,
    comment, n)` (its context the class it is written in) and `QT_TRANSLATE_NOOP(context, text)`, with
    whether it takes a count. Fails on a marked f-string (lupdate would store its braces)."""
    found: dict[Message, bool] = {}
    for path in sorted((REPO / "satori_desktop" / "ui").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))

        def visit(node: ast.AST, cls: str | None, path: Path = path) -> None:
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.ClassDef):
                    visit(child, child.name)
                    continue
                if isinstance(child, ast.Call):
                    func, args = child.func, child.args
                    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
                    arg = [_literal(a) for a in args]
                    where = f"{path.relative_to(REPO)}:{child.lineno}"
                    is_self_tr = (
                        name == "tr"
                        and isinstance(func, ast.Attribute)
                        and getattr(func.value, "id", "") == "self"
                    )
                    if name == "translate" and len(args) >= 2:
                        assert not isinstance(args[1], ast.JoinedStr), f"an f-string is marked at {where}"
                        if arg[0] is not None and arg[1] is not None:
                            comment = arg[2] if len(arg) > 2 and arg[2] else ""
                            found[Message(arg[0], arg[1], comment)] = len(args) >= 4
                    elif is_self_tr and args:
                        assert not isinstance(args[0], ast.JoinedStr), f"an f-string is marked at {where}"
                        assert cls is not None, where
                        if arg[0] is not None:
                            comment = arg[1] if len(arg) > 1 and arg[1] else ""
                            found[Message(cls, arg[0], comment)] = len(args) >= 3
                    elif name == "QT_TRANSLATE_NOOP" and len(arg) == 2 and None not in arg:
                        found[Message(str(arg[0]), str(arg[1]), "")] = False
                    elif name == "_tr" and arg and arg[0] is not None:
                        # A helper lupdate cannot see into: its string would never reach the catalogue.
                        raise AssertionError(f"{where}: {name}({arg[0]!r}) is not read by lupdate")
                visit(child, cls)

        visit(tree, None)
    return found


@dataclass(frozen=True)
class Translation:
    numerus: bool
    forms: tuple[str, ...]
    kind: str | None  # the <translation> type: None when finished, else "unfinished", "vanished", ...


def ts_messages(path: Path) -> dict[Message, Translation]:
    messages: dict[Message, Translation] = {}
    for context in ET.parse(path).getroot().iter("context"):
        name = context.findtext("name") or ""
        for message in context.iter("message"):
            translation = message.find("translation")
            assert translation is not None
            numerus = message.get("numerus") == "yes"
            forms = (
                tuple(f.text or "" for f in translation.iter("numerusform"))
                if numerus
                else (translation.text or "",)
            )
            key = Message(name, message.findtext("source") or "", message.findtext("comment") or "")
            messages[key] = Translation(numerus, forms, translation.get("type"))
    return messages


def test_every_string_the_code_marks_is_in_the_chinese_catalogue_and_translated() -> None:
    code, catalogue = code_messages(), ts_messages(ZH_TS)
    assert len(code) > 250
    missing = sorted(str(m) for m in code if m not in catalogue)
    assert missing == [], "run `python packaging/compile_translations.py --update` and translate them"
    stale = sorted(str(m) for m in catalogue if m not in code)
    assert stale == [], "strings the code no longer has (lupdate drops them with --update)"
    for message, numerus in code.items():
        entry = catalogue[message]
        assert entry.numerus == numerus, message
        # Every one finished: none unfinished, vanished or obsolete, none empty (Chinese has one form).
        assert entry.kind is None, (message, entry.kind)
        assert len(entry.forms) == 1 and entry.forms[0].strip(), message


def test_the_translations_keep_their_placeholders_and_shortcuts() -> None:
    for message, entry in ts_messages(ZH_TS).items():
        (text,) = entry.forms
        assert sorted(PLACEHOLDER.findall(text)) == sorted(PLACEHOLDER.findall(message.source)), message
        assert len(MNEMONIC.findall(text)) == len(MNEMONIC.findall(message.source)), message
        if MNEMONIC.search(message.source):
            # Chinese puts the key after the words, as Qt's own catalogues do: 文件(&F).
            key = message.source[MNEMONIC.search(message.source).end()].upper()  # type: ignore[union-attr]
            assert f"(&{key})" in text, message
        # Chinese punctuation in Chinese sentences, and no English sentence left untranslated by mistake
        # (paths, commands, names of formats and units stay as they are).
        if len(message.source) > 25 and " " in message.source:
            assert re.search(r"[\u4e00-\u9fff]", text), message


def test_the_english_catalogue_holds_exactly_the_plural_forms() -> None:
    code = {message for message, numerus in code_messages().items() if numerus}
    english = ts_messages(EN_TS)
    assert set(english) == code and len(code) >= 9
    for message, entry in english.items():
        assert entry.kind is None and len(entry.forms) == 2, message
        one, other = entry.forms
        assert other == message.source and (one != other or message.source == "%n found"), message


def test_both_catalogues_compile_and_load(tmp_path: Path) -> None:
    lrelease = _compile_script().find_tool("lrelease")
    assert lrelease is not None, "pyside6-lrelease is part of PySide6"
    for ts in (ZH_TS, EN_TS):
        qm = tmp_path / ts.with_suffix(".qm").name
        result = subprocess.run([str(lrelease), str(ts), "-qm", str(qm)], capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
        assert "untranslated" not in result.stdout + result.stderr
        translator = QTranslator()
        assert translator.load(str(qm))
    assert translator.translate("TranscriptPage", "%n steps", None, 1) == "%n step"
    chinese = QTranslator()
    assert chinese.load(str(tmp_path / "satori_desktop_zh_CN.qm"))
    assert chinese.translate("MainWindow", "&File") == "文件(&F)"
    assert chinese.language() == "zh_CN"


def test_the_installed_catalogues_are_compiled_from_the_sources() -> None:
    assert _compile_script().is_current(), "run `python packaging/compile_translations.py`"


# -- the transcript page's strings -----------------------------------------------------------------------

_JS_STRING = r'"(?:[^"\\]|\\.)*"'
_JS_CONCAT = rf"{_JS_STRING}(?:\s*\+\s*{_JS_STRING})*"


def _js_text(concatenated: str) -> str:
    return "".join(json.loads(part) for part in re.findall(_JS_STRING, concatenated))


def test_the_page_asks_for_exactly_the_strings_python_translates_for_it() -> None:
    texts, counts = set(), set()
    singulars: dict[str, str] = {}
    for script in sorted(WEB.glob("*.js")):
        source = script.read_text(encoding="utf-8")
        for match in re.finditer(rf"\bt\(\s*({_JS_CONCAT})", source):
            texts.add(_js_text(match.group(1)))
        for match in re.finditer(rf"\btn\([^,]+,\s*({_JS_STRING}),\s*({_JS_STRING})", source):
            one, many = json.loads(match.group(1)), json.loads(match.group(2))
            counts.add(many)
            singulars[many] = one
    assert texts == set(PAGE_TEXTS)
    assert counts == set(PAGE_COUNTS)
    # The page's own English for one is the English catalogue's.
    english = ts_messages(EN_TS)
    for many, one in singulars.items():
        assert english[Message("TranscriptPage", many, "")].forms == (one, many)


# -- the window's wording of the Qt-free layers' sentences ------------------------------------------------

GB = 1024**3
ENTRIES = [
    CatalogEntry("Triangle104/Satori-7B-Round2-Q4_K_S-GGUF", "satori-7b-round2-q4_k_s.gguf", "Q4_K_S",
                 4_457_768_960, None, True),
    CatalogEntry("Triangle104/Satori-7B-Round2-Q4_K_M-GGUF", "satori-7b-round2-q4_k_m.gguf", "Q4_K_M",
                 4_683_073_504, None, True),
    CatalogEntry("Triangle104/Satori-7B-Round2-Q6_K-GGUF", "satori-7b-round2-q6_k.gguf", "Q6_K",
                 6_254_198_752, None, True),
]  # fmt: skip


def _machine(
    vram_gb: float | None, ram_gb: float = 16, offload: bool = True, free: bool = True
) -> HardwareInfo:
    vram = None if vram_gb is None else int(vram_gb * GB)
    gpus = () if vram is None else (GpuInfo("Test GPU", "nvidia", vram, vram if free else None),)
    return HardwareInfo(
        int(ram_gb * GB), int(ram_gb * GB * 0.8), offload, gpus, "nvml" if gpus else "unknown"
    )


MACHINES = {
    "16 GB GPU": _machine(16),
    "4 GB GPU": _machine(4),
    "0.3 GB GPU": _machine(0.3),
    "no GPU support": _machine(8, offload=False),
    "GPU memory unknown": _machine(8, free=False),
    "no GPU": _machine(None, ram_gb=32),
    "too little RAM": _machine(None, ram_gb=4),
}


@pytest.mark.parametrize("name", MACHINES)
def test_the_first_run_sentences_say_in_english_what_models_recommend_says(name: str) -> None:
    hardware = MACHINES[name]
    assert sentences.machine_sentence(hardware) == machine_sentence(hardware)
    for entries in (ENTRIES, offline_catalog(), []):
        found = MachineRecommendation(hardware, recommend(hardware, entries), None)
        assert sentences.recommendation_sentence(found) == found.recommendation.explanation, entries


def test_the_crash_sentence_says_in_english_what_the_crash_report_says(tmp_path: Path) -> None:
    at = datetime(2026, 12, 1, 14, 30, 5)
    for report in (
        CrashReport("Fatal Python error: Aborted\n", 30, at, tmp_path / "crash-20261201-143005.log"),
        CrashReport("garbage", 7, datetime(2026, 9, 2, 8, 5), None),
        CrashReport("", 0, at, tmp_path / "crash.log", read_error="Permission denied"),
        CrashReport("", 0, at, None, read_error="Permission denied"),
    ):
        assert sentences.previous_crash_sentence(report) == core_crash_sentence(report)


# -- the language setting -------------------------------------------------------------------------------


def test_the_setting_chooses_and_system_follows_the_ui_languages() -> None:
    assert resolve_language("zh_CN", ["en-US"]) == "zh_CN"
    assert resolve_language("en", ["zh-Hans-CN", "zh"]) == "en"
    assert resolve_language("system", ["zh-Hans-CN", "zh-CN", "zh-Hans", "zh"]) == "zh_CN"
    assert resolve_language("system", ["zh_SG"]) == "zh_CN"
    assert resolve_language("system", ["de-DE", "en-GB"]) == "en"
    assert resolve_language("system", ["de-DE", "zh-CN", "en"]) == "zh_CN"  # the first one we have
    assert resolve_language("system", ["fr-FR"]) == "en"
    assert resolve_language("system", ["C"]) == "en"
    # Traditional Chinese reads the Simplified translation (the only Chinese one) rather than English.
    assert resolve_language("system", ["zh-Hant-TW", "zh-TW", "zh-Hant", "zh"]) == "zh_CN"


@pytest.fixture
def language(qapp: QApplication) -> Iterator[Callable[[str], str]]:
    """Install the translators for a setting, as run_gui does; removed again after the test."""
    if not _compile_script().is_current():
        pytest.fail("the translations are not compiled: run `python packaging/compile_translations.py`")

    def install(setting: str) -> str:
        return install_translations(qapp, setting)

    yield install
    uninstall_translations(qapp)


@pytest.fixture
def make_window(qtbot: QtBot) -> Iterator[MakeWindow]:
    made: list[tuple[MainWindow, EngineWorker]] = []

    def make(model_path: Path | None = Path("demo.gguf"), engine: ScriptedEngine | None = None) -> MainWindow:
        scripted = engine or ScriptedEngine(tokens_per_second=400)
        worker = EngineWorker(lambda: scripted)
        window = MainWindow(worker, Settings(), model_path=model_path, history_factory=None)
        made.append((window, worker))
        qtbot.addWidget(window)
        window.resize(1100, 800)
        window.show()
        if model_path is not None:
            qtbot.waitUntil(lambda: window.is_ready, timeout=30_000)
        return window

    yield make
    for window, worker in made:
        window.close()
        assert worker.shutdown(timeout_ms=30_000)
        shiboken6.delete(window)
    qtbot.wait(50)


def _menus(window: MainWindow) -> list[str]:
    return [action.text() for action in window.menuBar().actions()]


def _answer(qtbot: QtBot, window: MainWindow, question: str) -> dict[str, object]:
    with qtbot.waitSignal(window._worker.generation_finished, timeout=30_000):
        window.ask(question)
    qtbot.waitUntil(window.transcript.is_idle, timeout=10_000)
    return dom_state(qtbot, window.transcript)


def _painted(qtbot: QtBot, window: MainWindow) -> None:
    """The page has painted what its DOM holds (two animation frames), and the compositor handed it on."""
    run_js(
        qtbot,
        window.transcript,
        "(window.__painted = false, requestAnimationFrame(() => "
        "requestAnimationFrame(() => { window.__painted = true; })), 0)",
    )
    qtbot.waitUntil(lambda: run_js(qtbot, window.transcript, "window.__painted") is True, timeout=10_000)
    qtbot.wait(300)


def _page_labels(qtbot: QtBot, window: MainWindow) -> dict[str, object]:
    return dict(
        run_js(
            qtbot,
            window.transcript,
            "({lang: document.documentElement.lang,"
            " answer: document.querySelector('.answer-label').textContent,"
            " copy: document.querySelector('.answer-copy-text').textContent,"
            " copy_title: document.querySelector('.answer-copy').title})",
        )
    )


def test_the_main_window_and_its_transcript_speak_chinese(
    qtbot: QtBot, language: Callable[[str], str], make_window: MakeWindow, shoot: Callable[..., Path]
) -> None:
    assert language("zh_CN") == "zh_CN" and page_language() == "zh-CN"
    window = make_window()
    assert _menus(window) == ["文件(&F)", "编辑(&E)", "视图(&V)", "辅导(&T)", "帮助(&H)"]
    assert window.new_action.text() == "新对话(&N)" and window.settings_action.text() == "设置(&S)…"
    assert window.keep_open_action.text() == "保持“自我检查/换一种思路”部分展开(&K)"
    assert window.composer.send_button.text() == "求解" and window.composer.stop_button.text() == "停止"
    assert window.composer.editor.placeholderText().startswith("输入一道数学题")
    assert window.sidebar.new_button.text() == "新对话"
    assert window.speed_label.text() == "空闲"
    assert window.context_label.text() == "上下文 0 / 4,096 词元"

    state = _answer(qtbot, window, "解方程 $x^2 - 5x + 6 = 0$，并检查答案。")
    steps: list[dict[str, object]] = state["steps"]  # type: ignore[assignment]
    assert [step["action"] for step in steps] == ["start", "continue", "reflect", "explore", "continue"]
    assert [step["label"] for step in steps if step["label"]] == ["自我检查", "换一种思路"]
    assert state["answer_cards"] == 1
    assert state["summary"] == "5 个步骤 · 1 次自我检查 · 1 次换思路全部展开"
    assert re.fullmatch(r"\d+ 个词元 · [\d.]+ 词元/秒 · [\d.]+ 秒", str(state["footer"])), state["footer"]
    assert _page_labels(qtbot, window) == {
        "lang": "zh-CN",
        "answer": "答案",
        "copy": "复制 LaTeX",
        "copy_title": "把答案的 LaTeX 源码复制到剪贴板",
    }
    assert re.fullmatch(r"完成 · \d+ 个词元 · [\d.]+ 词元/秒", window.speed_label.text())
    _painted(qtbot, window)
    shoot(window, "zh-window-finished")


def test_with_english_chosen_the_window_and_its_transcript_are_english(
    qtbot: QtBot, language: Callable[[str], str], make_window: MakeWindow
) -> None:
    assert language("en") == "en" and page_language() == "en"
    assert page_strings() == {}  # the page's own English
    window = make_window()
    assert _menus(window) == ["&File", "&Edit", "&View", "&Tutor", "&Help"]
    assert window.composer.send_button.text() == "Solve"
    state = _answer(qtbot, window, "Solve $x^2 - 5x + 6 = 0$.")
    assert "Checking the work" in [step["label"] for step in state["steps"]]  # type: ignore[union-attr]
    assert state["summary"] == "5 steps · 1 check · 1 change of approachShow all"
    assert _page_labels(qtbot, window)["answer"] == "Answer"
    # The English catalogue's plural forms: one token is "1 token".
    assert window.status_line.tr("%1 · %n tokens", "", 1).replace("%1", "Done") == "Done · 1 token"


def test_the_first_run_page_speaks_chinese(
    qtbot: QtBot, language: Callable[[str], str], make_window: MakeWindow, shoot: Callable[..., Path]
) -> None:
    language("zh_CN")
    window = make_window(model_path=None)
    page = window.first_run
    qtbot.waitUntil(lambda: page.download_button.isEnabled(), timeout=30_000)  # offline: from estimates
    assert page.title.text() == "欢迎使用 Satori Desktop"
    assert page.intro.text().startswith("Satori 是一个数学助手")
    assert page.machine.text().startswith("这台电脑：内存 ")
    assert "在 CPU 上运行" in page.advice.text() or "GPU" in page.advice.text()
    assert page.hub_note.text().startswith("现在无法连接 Hugging Face Hub")
    assert page.plan.text().startswith("Satori 将从 ") and "离线运行" in page.plan.text()
    assert page.download_button.text().startswith("下载 Q4_K_M（约 ")
    assert page.import_button.text() == "我已经有 GGUF 文件…"
    assert window.model_label.text() == "无模型"
    shoot(window, "zh-first-run")


def test_the_settings_dialog_speaks_chinese(
    qtbot: QtBot, language: Callable[[str], str], shoot: Callable[..., Path]
) -> None:
    language("zh_CN")
    dialog = SettingsDialog(Settings(seed=42, n_ctx=8192))
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert dialog.windowTitle() == "设置"
    groups = [
        dialog.findChild(QWidget, name).title()
        for name in ("answersGroup", "modelGroup", "appearanceGroup", "filesGroup")
    ]  # type: ignore[union-attr]
    assert groups == ["回答", "模型与硬件", "外观", "文件"]
    assert [dialog.language_combo.itemText(i) for i in range(3)] == ["跟随系统", "English", "简体中文"]
    assert [dialog.theme_combo.itemText(i) for i in range(3)] == ["跟随系统", "浅色", "深色"]
    hint = dialog.findChild(QLabel, "languageHint")
    assert hint is not None and hint.text() == "下次启动 Satori Desktop 时生效。"
    assert dialog.n_ctx_spin.suffix() == " 个词元"
    # The standard buttons come from Qt's own Chinese catalogue.
    buttons = [dialog.ok_button.text(), dialog.apply_button.text(), dialog.cancel_button.text()]
    assert all(re.search(r"[\u4e00-\u9fff]", text) for text in buttons), buttons
    # Every label fits its text: nothing cut off in a row of the form.
    for label in dialog.findChildren(QLabel) + dialog.findChildren(QPushButton):
        if label.isVisible() and not (isinstance(label, QLabel) and label.wordWrap()):
            assert label.width() >= label.minimumSizeHint().width(), label.text()
    shoot(dialog, "zh-settings")


@pytest.mark.parametrize("setting", ["en", "zh_CN"])
def test_every_key_of_the_settings_dialog_reaches_one_field(
    qtbot: QtBot, language: Callable[[str], str], setting: str
) -> None:
    # Alt plus a label's underlined letter moves to its field: two labels with one letter would make the
    # second unreachable that way (Qt cycles between them instead).
    language(setting)
    dialog = SettingsDialog(Settings())
    qtbot.addWidget(dialog)
    texts = [label.text() for label in dialog.findChildren(QLabel) if label.buddy() is not None]
    texts += [button.text() for button in dialog.findChildren(QAbstractButton)]
    keys = [QKeySequence.mnemonic(text).toString() for text in texts]
    keys = [key for key in keys if key]
    assert len(keys) >= 12, texts
    assert len(keys) == len(set(keys)), sorted(zip(keys, texts, strict=True))


@pytest.mark.parametrize("setting", ["en", "zh_CN"])
def test_every_key_of_a_menu_reaches_one_command(
    language: Callable[[str], str], make_window: MakeWindow, setting: str
) -> None:
    language(setting)
    window = make_window()
    menus = [action.menu() for action in window.menuBar().actions()]
    for actions in [window.menuBar().actions()] + [menu.actions() for menu in menus if menu is not None]:
        texts = [action.text() for action in actions if not action.isSeparator()]
        keys = [QKeySequence.mnemonic(text).toString() for text in texts]
        assert all(keys), texts  # every command has its letter
        assert len(keys) == len(set(keys)), sorted(zip(keys, texts, strict=True))


def test_an_exported_page_says_its_language(language: Callable[[str], str]) -> None:
    from satori_desktop.ui.transcript.export import standalone_html

    language("zh_CN")
    assert standalone_html("<main></main>", "解方程").startswith('<!DOCTYPE html>\n<html lang="zh-CN">')
    language("en")
    assert standalone_html("<main></main>", "Solve").startswith('<!DOCTYPE html>\n<html lang="en">')


# -- the app as a user starts it -------------------------------------------------------------------------

CHILD = """
import sys

from PySide6.QtCore import QCoreApplication
from PySide6.QtWebEngineWidgets import QWebEngineView  # before the QApplication exists
from PySide6.QtWidgets import QApplication

import satori_desktop.ui.transcript
from satori_desktop.ui.app import run_gui
from satori_desktop.ui.i18n.languages import current_language

app = QApplication([sys.argv[0]])
code = run_gui(sys.argv[1:])
print("LANGUAGE", current_language(), QCoreApplication.translate("MainWindow", "&File"), flush=True)
sys.exit(code)
"""


def _started(home: Path, language_env: str) -> str:
    env = dict(app_env(home), LANGUAGE=language_env)
    result = subprocess.run(
        [sys.executable, "-c", CHILD, "--scripted-engine", "--exit-when-ready"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    (line,) = [line for line in result.stdout.splitlines() if line.startswith("LANGUAGE ")]
    return line.removeprefix("LANGUAGE ")


@pytest.mark.slow
def test_the_app_follows_the_system_language_unless_the_setting_says_otherwise(satori_home: Path) -> None:
    started = time.monotonic()
    assert _started(satori_home, "zh_CN:en") == "zh_CN 文件(&F)"

    save_settings(Settings(language="en"))
    assert settings_path().is_file()
    assert _started(satori_home, "zh_CN:en") == "en &File"
    assert time.monotonic() - started < 240


def test_exported_documents_take_their_headings_in_the_windows_language(
    language: Callable[[str], str], tmp_path: Path
) -> None:
    from satori_desktop.core.coat import StepAction
    from satori_desktop.documents.markdown import solution_markdown
    from satori_desktop.documents.solution import solution_from_trace
    from satori_desktop.documents.tex import solution_tex
    from satori_desktop.ui.i18n.documents import document_labels

    trace = "Let x = 1.<|reflect|>Check: x = 1.<|explore|>Another way.<|continue|>So \\boxed{1}."
    solution = solution_from_trace(trace, question="Find x.")
    english = solution_markdown(solution)
    assert "### Checking the work (reflect)" in english and "**Answer:**" in english

    language("zh_CN")
    chinese = solution_markdown(solution, document_labels())
    for heading in ("## 题目", "### 解答", "### 自我检查", "### 换一种思路", "### 下一步", "**答案:**"):
        assert heading in chinese, heading
    assert "Checking the work" not in chinese
    tex = solution_tex(solution, labels=document_labels()).source
    assert "\\satoricjk{自我检查}" in tex  # the Chinese heading goes through the CJK escaping

    language("en")
    assert document_labels().step_title(StepAction.REFLECT) == "Checking the work (reflect)"
