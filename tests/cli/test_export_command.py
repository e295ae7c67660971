"""`satori-desktop export`: a trace file or a stored conversation to each format, chosen by --format or
the suffix; the PDF on the locale's paper; every bad input one sentence (the HTML and PNG page exports
have their own tests in tests/ui_transcript/test_export.py)."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.qt_env import prepare_qt_environment, startup_noise

prepare_qt_environment()  # before pytest-qt creates the QApplication

from PySide6.QtCore import QLocale  # noqa: E402

from satori_desktop.cli.main import main  # noqa: E402
from satori_desktop.history import HistoryStore, default_path  # noqa: E402
from tests.documents.programs import pdf_page_size, pdf_pictures, pdf_text  # noqa: E402
from tests.documents.samples import CONSTRUCTS, QUESTION  # noqa: E402
from tests.history.support import record  # noqa: E402

pytestmark = pytest.mark.qt_log_ignore(*startup_noise())

PROMPT = (
    "<|im_start|>user\nSolve the following math problem efficiently and clearly.\n"
    "Please reason step by step, and put your final answer within \\boxed{}.\n"
    f"Problem: {QUESTION}<|im_end|>\n<|im_start|>assistant\n"
)


@pytest.fixture
def trace(tmp_path: Path) -> Path:
    path = tmp_path / "trace.txt"
    path.write_text(PROMPT + CONSTRUCTS, encoding="utf-8")
    return path


@pytest.fixture
def conversation() -> int:
    with HistoryStore(default_path()) as store:
        conversation_id = store.create_conversation("Quadratics 二次方程")
        record(store, conversation_id, QUESTION, CONSTRUCTS)
        record(store, conversation_id, "And $x^2 = 9$?", "So $x = \\pm 3$, $\\boxed{\\pm 3}$", "interrupted")
    return conversation_id


@pytest.fixture
def locale() -> Iterator[None]:
    before = QLocale()
    yield
    QLocale.setDefault(before)


def export(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, object]:
    assert main(["export", *args, "--json"]) == 0
    report: dict[str, object] = json.loads(capsys.readouterr().out)
    return report


def test_the_format_comes_from_the_suffix(
    qapp: object, trace: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = export(capsys, str(trace), "--out", str(tmp_path / "a.md"))
    assert (
        report["format"] == "md" and report["steps"] == 5 and report["answer"] == "x = 2 \\text{ or } x = 3"
    )
    markdown = (tmp_path / "a.md").read_text(encoding="utf-8")
    assert markdown.startswith("# Solve $x^2 - 5x + 6 = 0$ and find $\\int_0^1 x\\,dx$.\n")  # title: question
    report = export(capsys, str(trace), "--out", str(tmp_path / "a.tex"))
    assert report["format"] == "tex" and report["equations"] == 15 and report["fallbacks"] == 0
    assert (tmp_path / "a.tex").read_text(encoding="utf-8").startswith("% A worked solution")
    report = export(capsys, str(trace), "--out", str(tmp_path / "a.docx"), "--title", "Homework 3")
    assert report["format"] == "docx" and report["equations"] == 15
    with zipfile.ZipFile(tmp_path / "a.docx") as docx:
        assert docx.read("word/document.xml").count(b"<m:oMath>") == 15
        assert b"Homework 3" in docx.read("docProps/core.xml")
    report = export(capsys, str(trace), "--format", "md")  # beside the trace by default
    assert report["out"] == str(trace.with_suffix(".md"))


def test_pdf_paper_follows_the_locale(
    qapp: object, locale: None, trace: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    QLocale.setDefault(QLocale(QLocale.Language.English, QLocale.Country.UnitedStates))
    report = export(capsys, str(trace), "--out", str(tmp_path / "us.pdf"))
    pdf = tmp_path / "us.pdf"
    assert report["format"] == "pdf" and pdf.read_bytes()[:5] == b"%PDF-"
    assert pdf_page_size(pdf) == pytest.approx((612, 792), abs=1)  # Letter
    text = pdf_text(pdf)
    assert "Solve x" in text and "Checking the work" in text and "A price of $5 and $10 is not math." in text
    pdf_pictures(pdf, "export-pdf-letter")
    QLocale.setDefault(QLocale(QLocale.Language.Chinese, QLocale.Country.China))
    export(capsys, str(trace), "--out", str(tmp_path / "cn.pdf"))
    assert pdf_page_size(tmp_path / "cn.pdf") == pytest.approx(
        (595, 842), abs=2
    )  # A4 (Chromium rounds it down a little)
    export(capsys, str(trace), "--out", str(tmp_path / "forced.pdf"), "--paper", "letter")
    assert pdf_page_size(tmp_path / "forced.pdf") == pytest.approx((612, 792), abs=1)


def test_a_stored_conversation(
    qapp: object, conversation: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = export(capsys, "--conversation", str(conversation), "--out", str(tmp_path / "c.docx"))
    assert report["questions"] == 2 and report["answer"] == "\\pm 3" and report["equations"] == 15 + 4
    with zipfile.ZipFile(tmp_path / "c.docx") as docx:
        document = docx.read("word/document.xml").decode("utf-8")
    assert "Quadratics 二次方程" in document and "Question 2" in document
    assert "The answer was interrupted" in document
    # Markdown is `history export`'s, and needs no --out.
    report = export(capsys, "--conversation", str(conversation), "--format", "md")
    assert report["out"] == f"conversation-{conversation}.md"
    written = Path(str(report["out"])).read_text(encoding="utf-8")
    Path(str(report["out"])).unlink()
    assert main(["history", "export", str(conversation)]) == 0
    assert capsys.readouterr().out == written


@pytest.mark.parametrize(
    ("args", "sentence"),
    [
        (["{trace}", "--out", "{tmp}/x.doc"], "x.doc does not say which format to write: end it in .md"),
        (["--conversation", "99", "--format", "md"], "There is no conversation 99: `satori-desktop history"),
        (["{trace}", "--out", "{trace}/sub/x.md"], "Could not write"),
        (["{trace}", "--out", "{tmp}", "--format", "md"], "is a folder: give a file name"),
        (["{trace}", "--conversation", "1"], "Give either a trace file or --conversation ID"),
        ([], "Give either a trace file or --conversation ID"),
        (["--conversation", "1", "--question", "q"], "--question is for a trace file"),
        (["-", "--format", "md"], "Reading from stdin needs --out PATH"),
        (["{tmp}/missing.txt", "--format", "md"], "There is no file"),
    ],
)
def test_bad_input_is_one_sentence(
    args: list[str], sentence: str, trace: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    filled = [arg.format(trace=trace, tmp=tmp_path) for arg in args]
    assert main(["export", *filled]) == 2
    err = capsys.readouterr().err
    assert sentence in err and "Traceback" not in err and len(err.strip().splitlines()) == 1, err


def test_an_unknown_format_is_a_usage_error(trace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["export", str(trace), "--format", "odt"])
    assert exit_info.value.code == 2
    assert "invalid choice: 'odt'" in capsys.readouterr().err
