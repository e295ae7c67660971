"""`satori-desktop --self-test`: the app checked end to end on this machine, with no model, network or screen.

The steps, each timed, the next one run only when the one before passed:

1. `write-model`: a tiny qwen2 GGUF (`tiny_model`) into a temporary folder;
2. `load-model`: the real engine (`engine.llama_engine.LlamaEngine`) loads it, as it loads Satori;
3. `stream-answer`: a GBNF grammar scripts the answer (`script.SCRIPT`) through llama.cpp's sampler, and
   the engine's own token loop streams it into the `StreamBatcher` the window's engine worker uses;
4. `open-page`: the real transcript view (`page.PageSession`) loads its page with KaTeX;
5. `render-answer`: the streamed updates go to the page frame by frame, then the end of the turn;
6. `check-page`: the page is asked what it shows: the step sections (reflect and explore collapsible),
   typeset math and no KaTeX errors, the answer card with the boxed answer typeset.
7. `convert-formula`: a boxed formula through KaTeX's MathML (QJSEngine) into Word MathML and Office Math;
8. `check-answer`: the real answer checker (`checking.AnswerChecker`) in its worker process judges a few
   answers whose verdict is known (`answers.PAIRS`); in a bundle this is the spawned child, started
   through `multiprocessing.freeze_support`, with math_verify, SymPy and the ANTLR parser it loads.

The engine runs on this thread before Qt starts, as the CLI's `ask` does; the page gets exactly what the
window would have got from the worker. Nothing reads or writes the user's settings, history or models:
the model lives in the temporary folder, which goes at the end. The log file gets the details (and the
traceback of anything unexpected); the screen gets one line per step and, for a failure, one sentence
that names the step. The JSON report (`report.py`) adds what ran: versions, Qt's platform, and
llama.cpp's backends and CPU variant (`engine.backends.runtime_report`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import logging
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from satori_desktop.core.errors import UserFacingError
from satori_desktop.core.logging_setup import log_file_path
from satori_desktop.core.prompt import problem_prompt
from satori_desktop.engine.streaming import StreamUpdate, TurnSummary
from satori_desktop.selftest import script
from satori_desktop.selftest.report import SelfTestReport, StepResult, summary_lines, write_report

if TYPE_CHECKING:  # llama.cpp and Qt are imported by the steps that use them
    from satori_desktop.engine.llama_engine import LlamaEngine
    from satori_desktop.selftest.page import PageSession

log = logging.getLogger(__name__)

N_CTX = 1024  # the prompt and the script take about 210 tokens of the tiny vocabulary
# One thread: the tiny model needs no more, and llama.cpp's threads wait for each other by spinning, which
# on a busy machine makes 150 tokens take seconds instead of milliseconds.
N_THREADS = 1
MODEL_NAME = "satori-self-test.gguf"


class StepFailed(Exception):
    """A step found something wrong; the message is the clause the failure sentence ends with."""


class SelfTest:
    """One run of the steps; `run()` returns the report and always cleans up (engine, page, folder)."""

    def __init__(self) -> None:
        self.report = SelfTestReport()
        self._cleanup = contextlib.ExitStack()
        self._model_path: Path | None = None
        self._folder: Path | None = None
        self._engine: LlamaEngine | None = None
        self._n_ctx: int | None = None
        self._updates: list[StreamUpdate] = []
        self._summary: TurnSummary | None = None
        self._page: PageSession | None = None

    def run(self) -> SelfTestReport:
        started = time.perf_counter()
        steps: list[tuple[str, Callable[[], str]]] = [
            ("load-llama-cpp", self._load_llama_cpp),
            ("write-model", self._write_model),
            ("load-model", self._load_model),
            ("stream-answer", self._stream_answer),
            ("open-page", self._open_page),
            ("render-answer", self._render_answer),
            ("check-page", self._check_page),
            ("convert-formula", self._convert_formula),
            ("export-documents", self._export_documents),
            ("check-answer", self._check_answer),
        ]
        try:
            failed: str | None = None
            for name, action in steps:
                if failed is not None:
                    self.report.steps.append(
                        StepResult(name, False, 0.0, f"not run, since {failed} failed", skipped=True)
                    )
                    continue
                result = _run_step(name, action)
                self.report.steps.append(result)
                if not result.ok:
                    failed = name
            self.report.runtime = runtime_facts()
        finally:
            self._close()
        self.report.seconds = time.perf_counter() - started
        return self.report

    # ----- the steps: each returns what it did, or raises -----

    def _load_llama_cpp(self) -> str:
        # First, and before numpy (which writing the model imports): with numpy imported before it, a
        # CUDA build of llama.cpp was seen to crash loading any model (docs/benchmarks.md, GPU checks).
        from satori_desktop.engine.backends import describe, runtime_report

        try:
            runtime = runtime_report()
        except (ImportError, OSError) as exc:
            log.info("llama.cpp did not load", exc_info=True)
            raise StepFailed(
                f"llama.cpp's library did not load ({type(exc).__name__}: {exc}); reinstall Satori Desktop"
            ) from exc
        if not runtime.backends:
            raise StepFailed(
                f"llama.cpp loaded but found no backend in {runtime.lib_dir}; reinstall Satori Desktop"
            )
        return f"llama.cpp runs on {describe(runtime)}"

    def _write_model(self) -> str:
        from satori_desktop.selftest.tiny_model import write_tiny_gguf

        try:
            folder = Path(
                self._cleanup.enter_context(
                    tempfile.TemporaryDirectory(prefix="satori-self-test-", ignore_cleanup_errors=True)
                )
            )
            path = write_tiny_gguf(folder / MODEL_NAME, name="satori-self-test")
        except OSError as exc:
            log.info("the tiny model could not be written", exc_info=True)
            raise StepFailed(
                f"the tiny model could not be written to the temporary folder {tempfile.gettempdir()} "
                f"({_write_error_reason(exc)}); free some disk space or point TMPDIR at a writable folder"
            ) from exc
        self._model_path = path
        self._folder = folder
        return f"wrote a {path.stat().st_size / 1e6:.1f} MB tiny model"

    def _load_model(self) -> str:
        from satori_desktop.engine.llama_engine import LlamaEngine
        from satori_desktop.engine.types import LoadOptions

        assert self._model_path is not None
        engine = LlamaEngine()
        self._engine = engine
        loaded = engine.load(LoadOptions(self._model_path, n_ctx=N_CTX, n_threads=N_THREADS))
        self._n_ctx = loaded.n_ctx
        self.report.engine["load"] = {k: v for k, v in loaded.to_dict().items() if k != "model_path"}
        self.report.engine["llama_cpp_python"] = _llama_cpp_version()
        if not loaded.is_satori:
            raise StepFailed("llama.cpp does not see the COAT tokens of the tiny model as control tokens")
        offload = f"{loaded.gpu_layers} layers on the GPU, " if loaded.gpu_layers else ""
        return (
            f"llama.cpp {_llama_cpp_version()} loaded it on {loaded.backend} "
            f"({offload}context {loaded.n_ctx})"
        )

    def _stream_answer(self) -> str:
        from satori_desktop.engine.streaming import StreamBatcher
        from satori_desktop.engine.types import GenerationRequest
        from satori_desktop.selftest.tiny_model import script_grammar

        engine = self._engine
        assert engine is not None
        batcher = StreamBatcher(request_id=1, n_ctx=self._n_ctx)

        def on_text(piece: str) -> None:
            update = batcher.feed(piece)
            if update is not None:
                self._updates.append(update)

        request = GenerationRequest(
            problem_prompt(script.QUESTION),
            max_tokens=len(script.EXPECTED_TEXT.encode("utf-8")) + 16,
            grammar=script_grammar(script.SCRIPT),
        )
        try:
            result = engine.generate(request, on_text=on_text)
        finally:
            self._unload()
        self._updates.append(batcher.finish())
        self._summary = batcher.summary(result)
        self.report.engine["generation"] = {
            "finish_reason": result.finish_reason,
            "prompt_tokens": result.prompt_tokens,
            "generated_tokens": result.generated_tokens,
            "ttft_s": result.ttft_s,
            "decode_tok_s": result.decode_tok_s,
            "updates": len(self._updates),
        }
        if result.finish_reason == "error":
            raise StepFailed(f"the engine stopped with an error ({result.error})")
        if result.text != script.EXPECTED_TEXT:
            at = _first_difference(result.text, script.EXPECTED_TEXT)
            raise StepFailed(
                f"the engine's text differs from the script from character {at} on (it wrote "
                f"{result.text[at : at + 20]!r} where the script has {script.EXPECTED_TEXT[at : at + 20]!r}, "
                f"finish reason {result.finish_reason})"
            )
        if result.finish_reason != "stop":
            raise StepFailed(f"the engine did not stop at <|im_end|> (finish reason {result.finish_reason})")
        rate = f", {result.decode_tok_s:.0f} tokens/s" if result.decode_tok_s else ""
        return f"{result.generated_tokens} tokens streamed in {len(self._updates)} updates{rate}"

    def _open_page(self) -> str:
        from satori_desktop.selftest.page import PageSession

        page = self._page = PageSession()
        try:
            return page.open()
        finally:
            self.report.qt = dict(page.facts)

    def _render_answer(self) -> str:
        assert self._page is not None and self._summary is not None
        return self._page.render(script.QUESTION, self._updates, self._summary)

    def _check_page(self) -> str:
        assert self._page is not None
        state = self._page.inspect()
        steps = state.get("steps") or []
        self.report.page = {
            "sections": len(steps),
            "steps": [step.get("action") for step in steps],
            "collapsible": [step.get("action") for step in steps if step.get("collapsible")],
            "formulas": state.get("formulas"),
            "typeset": state.get("typeset"),
            "katex": state.get("katex"),
            "katex_errors": state.get("katex_errors"),
            "answer_cards": state.get("answer_cards"),
            "answer": state.get("answer_tex"),
            "katex_version": state.get("katex_version"),
            "page_errors": state.get("page_errors"),
            "blocked_requests": state.get("blocked_requests"),
        }
        problems = script.page_problems(state)
        if problems:
            raise StepFailed("the transcript page is not as it should be: " + "; ".join(problems))
        collapsible = " and ".join(self.report.page["collapsible"])
        return (
            f"{len(steps)} step sections ({collapsible} collapsible), {state['typeset']} formulas typeset "
            f"by KaTeX, the answer card shows {state['answer_tex']}"
        )

    def _convert_formula(self) -> str:
        """What copying into Word and exporting to .docx need: KaTeX's MathML (through QJSEngine, a Qt
        module of its own in the bundle) made clean for Word, and the same as an Office Math equation."""
        import xml.etree.ElementTree as ET

        from satori_desktop.ui.katex_mathml import latex_to_omml, latex_to_word_mathml

        formula = r"\boxed{x = \frac{1}{2} + \sqrt{3}}"
        mathml = latex_to_word_mathml(formula, True)
        omml = latex_to_omml(formula, True)
        try:
            math = ET.fromstring(mathml)
            equation = ET.fromstring(omml)
        except ET.ParseError as exc:
            raise StepFailed(f"a converted formula is not well-formed XML ({exc})") from exc
        office = "{http://schemas.openxmlformats.org/officeDocument/2006/math}"
        missing = [name for name in ("borderBox", "f", "rad") if equation.find(f".//{office}{name}") is None]
        if math.tag != "{http://www.w3.org/1998/Math/MathML}math" or missing:
            raise StepFailed(
                "the formula converters gave an unexpected result"
                + (f" (the equation lacks {', '.join(missing)})" if missing else " (no MathML root)")
            )
        return "a boxed fraction and root became Word MathML and an Office Math equation"

    def _export_documents(self) -> str:
        """The answer exported as a PDF (the web engine printing the page, with the bundle's fonts and no
        printer plugin) and as a Word document (its equations Office Math), each read back."""
        import zipfile

        from satori_desktop.ui.transcript.export import export_trace

        assert self._folder is not None
        pdf, docx = self._folder / "answer.pdf", self._folder / "answer.docx"
        export_trace(script.EXPECTED_TEXT, pdf, "pdf", question=script.QUESTION, paper="a4")
        export_trace(script.EXPECTED_TEXT, docx, "docx", question=script.QUESTION, paper="a4")
        printed = pdf.read_bytes()
        pages = printed.count(b"/Type /Page") - printed.count(b"/Type /Pages")
        if not printed.startswith(b"%PDF-") or pages < 1:
            raise StepFailed("the PDF export did not give a PDF document with a page")
        try:
            with zipfile.ZipFile(docx) as archive:
                document = archive.read("word/document.xml").decode("utf-8")
        except (zipfile.BadZipFile, KeyError) as exc:
            raise StepFailed(f"the Word export is not a Word document ({exc})") from exc
        equations = document.count("<m:oMath>") + document.count("<m:oMath ")
        expected = script.EXPECTED_FORMULAS  # the question's, the steps' and the answer's
        if equations != expected:
            raise StepFailed(f"the Word export has {equations} equations instead of {expected}")
        return (
            f"a {pages}-page PDF ({len(printed) / 1000:.0f} kB) and a Word document with {equations} "
            "equations"
        )

    def _check_answer(self) -> str:
        from satori_desktop.checking import AnswerChecker
        from satori_desktop.selftest.answers import DEADLINE_S, PAIRS, answer_problems

        started = time.perf_counter()
        with AnswerChecker(deadline_s=DEADLINE_S) as checker:
            results = [checker.check(pair.student, pair.reference) for pair in PAIRS]
            checker_info = checker.worker_info
        seconds = time.perf_counter() - started
        self.report.checker = {
            "pairs": [
                {
                    "student": pair.student,
                    "reference": pair.reference,
                    "expected": pair.match,
                    "match": result.match,
                    "reason": result.reason,
                    "seconds": round(result.elapsed_s, 3),
                }
                for pair, result in zip(PAIRS, results, strict=True)
            ],
            "seconds": round(seconds, 3),
            "worker": checker_info,  # its import time and any module it should not have loaded
        }
        problems = answer_problems(PAIRS, list(results))
        if problems:
            raise StepFailed("the answer checker got answers wrong: " + "; ".join(problems))
        matches = sum(1 for result in results if result.match)
        return (
            f"the checker's worker judged {len(results)} answers right ({matches} matches, "
            f"{len(results) - matches} not), {results[0].elapsed_s:.2f} s for the first"
        )

    # ----- clean-up -----

    def _unload(self) -> None:
        engine, self._engine = self._engine, None
        if engine is not None:
            engine.unload()  # on this thread, which loaded it; before the folder with the file goes

    def _close(self) -> None:
        for close in (self._unload, self._close_page, self._cleanup.close):
            try:
                close()
            except Exception:
                log.exception("the self-test could not clean up after itself")

    def _close_page(self) -> None:
        if self._page is not None:
            self._page.close()


def _run_step(name: str, action: Callable[[], str]) -> StepResult:
    from satori_desktop.selftest.page import PageError

    log.info("self-test: %s", name)
    started = time.perf_counter()
    try:
        detail, ok = action(), True
    except (StepFailed, PageError, UserFacingError) as exc:
        detail, ok = str(exc), False
        log.info("self-test: %s failed: %s", name, detail)
    except ImportError as exc:
        detail, ok = f"a part of the app is missing from this install ({exc})", False
        log.error("self-test: %s failed: %s", name, detail, exc_info=True)
    except Exception as exc:  # a bug, or a library that broke: the traceback goes to the log file
        first_line = (str(exc).splitlines() or [""])[0][:200]
        detail = (
            f"it ran into an unexpected error ({type(exc).__name__}: {first_line}); "
            f"the details are in the log file {log_file_path()}"
        )
        ok = False
        log.error("self-test: %s failed", name, exc_info=True)
    return StepResult(name, ok, time.perf_counter() - started, detail)


def _write_error_reason(exc: OSError) -> str:
    # numpy's writer says "8192 requested and 4880 written" (no errno) when the disk fills up.
    full = exc.errno == errno.ENOSPC
    if not full and exc.errno is None:
        with contextlib.suppress(OSError):
            full = shutil.disk_usage(tempfile.gettempdir()).free < 4 * 1024 * 1024
    return "its disk is full" if full else str(exc.strerror or exc)


def _first_difference(text: str, expected: str) -> int:
    pairs = zip(text, expected, strict=False)  # the shorter one's end is a difference too
    return next((i for i, (a, b) in enumerate(pairs) if a != b), min(len(text), len(expected)))


def runtime_facts() -> dict[str, Any]:
    """llama.cpp's backends and CPU variant (`engine.backends.runtime_report`), or why they are unknown."""
    try:
        from satori_desktop.engine.backends import runtime_report

        found: Any = runtime_report()
    except (ImportError, AttributeError) as exc:
        log.info("no runtime report: %s", exc)
        return {"unavailable": f"this build cannot say which llama.cpp backends it has ({exc})"}
    except Exception as exc:
        log.warning("llama.cpp's runtime report failed", exc_info=True)
        return {"unavailable": f"asking llama.cpp for its backends failed ({type(exc).__name__}: {exc})"}
    if isinstance(found, dict):
        return found
    if callable(getattr(found, "to_dict", None)):
        return dict(found.to_dict())
    if dataclasses.is_dataclass(found) and not isinstance(found, type):
        return dataclasses.asdict(found)
    return {"unavailable": f"the runtime report is a {type(found).__name__}, not a dict"}


def _llama_cpp_version() -> str:
    try:
        import llama_cpp
    except ImportError:
        return "unknown"
    return str(getattr(llama_cpp, "__version__", "unknown"))


def run_self_test(report_path: Path | None = None) -> int:
    """Run the self-test, write the report (when asked) and print the summary; 0 when every step passed."""
    report = SelfTest().run()
    code = 0 if report.failed is None else 1
    written: Path | None = None
    if report_path is not None:
        try:
            write_report(report, report_path)
            written = report_path
        except OSError as exc:
            log.info("the self-test report could not be written", exc_info=True)
            for line in summary_lines(report, None):
                print(line)
            print(
                f"The self-test could not write its report to {report_path} ({exc.strerror or exc}); "
                "choose a folder you can write to."
            )
            return 1
    lines = summary_lines(report, written)
    for line in lines:
        log.info("self-test: %s", line)
        print(line)
    return code
