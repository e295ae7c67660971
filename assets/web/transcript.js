/*
 * The transcript page of Satori Desktop, and the problem preview, which shares it: this module gives
 * Python `window.satori` and starts the page; each part lives in its own module beside it.
 *
 *   turns.js         turns and steps: what the ops build (summary.js: what a turn says, as plain data)
 *   reconcile.js     the open block updated in place while it streams
 *   katex-cache.js   typesetting `span.math` with KaTeX, cached
 *   fold-preview.js  the one-line preview of a folded section
 *   follow.js        following the bottom while text streams
 *   copy-export.js   the page's calls back into Python ("Copy LaTeX", the copy menu of context-menu.js,
 *                    the copy notice) and the HTML export
 *   dom.js           creating elements, and the page's icons
 *   i18n.js          the page's words in the app's language (the `strings` op)
 *   tutor.js         tutor mode (steps revealed one at a time, hints) and answer checks
 *   samples.js       "Solve several times": a row per solution and the answer most agree on
 *
 * Python (satori_desktop/ui/transcript) turns the COAT events into small "ops" and calls
 * `satori.apply(ops)` at most once per frame. Markdown arrives as HTML made by markdown-it with raw HTML
 * disabled (everything the model wrote is escaped); math arrives as `span.math[data-tex]` elements that
 * the page typesets with KaTeX (trust: false). Every other piece of model or user text goes through
 * textContent, never innerHTML.
 */
import { connectBridge, exportHtml, notify } from "./copy-export.js";
import { followTranscript, noteUpdate } from "./follow.js";
import { onStrings, setStrings, t } from "./i18n.js";
import { katexReady, typeset } from "./katex-cache.js";
import {
  appendBlocks,
  beginBatch,
  clearTranscript,
  endStep,
  endTurn,
  ensureTurn,
  getStep,
  newStep,
  newTurn,
  revealAnswer,
  revealTurnStep,
  setAnswer,
  setKeepSectionsOpen,
  setOpenBlock,
  turnAt,
  untutor,
} from "./turns.js";
import { addCheck, setTutorStatus } from "./tutor.js";
import { setSamples } from "./samples.js";
import { openSample } from "./copy-export.js";

/* Ops of tutor mode and answer checks (tutor.js), on the turn they name. */
function applyTutorOp(op) {
  const turn = turnAt(op.turn);
  if (!turn) return;
  if (op.op === "reveal") revealTurnStep(turn, op);
  else if (op.op === "reveal_answer") revealAnswer(turn);
  else if (op.op === "tutor_status") setTutorStatus(turn, op.text);
  else if (op.op === "untutor") untutor(turn);
  else if (op.op === "check") addCheck(turn, op);
}

function applyOp(op) {
  switch (op.op) {
    case "turn":
      newTurn(op.question_html || "", !!op.tutored);
      break;
    case "reveal":
    case "reveal_answer":
    case "tutor_status":
    case "untutor":
    case "check":
      applyTutorOp(op);
      break;
    case "samples": {
      const turn = turnAt(op.turn);
      if (turn) setSamples(turn, op, (index) => openSample(turn, index));
      break;
    }
    case "step": {
      const turn = ensureTurn();
      if (!turn.steps.has(op.index)) newStep(turn, op.index, op.action);
      break;
    }
    case "blocks":
      appendBlocks(getStep(ensureTurn(), op.index), op.html);
      break;
    case "open":
      setOpenBlock(getStep(ensureTurn(), op.index), op.html);
      break;
    case "step_end": {
      const step = getStep(ensureTurn(), op.index);
      if (!step.ended) endStep(step);
      break;
    }
    case "answer":
      setAnswer(ensureTurn(), op.latex);
      break;
    case "end":
      endTurn(ensureTurn(), op.summary || {});
      break;
    case "clear":
      clearTranscript();
      break;
    case "keep_open":
      setKeepSectionsOpen(!!op.value);
      break;
    case "theme":
      setTheme(op.value);
      break;
    case "strings":
      setStrings(op.lang, op.strings);
      break;
    default:
      console.error("satori: unknown op " + String(op.op));
  }
}

/* The app's theme, "light" or "dark" (Python resolves "follow the system"): transcript.css gives
   `html.theme-dark` its colours. */
function setTheme(value) {
  if (value !== "light" && value !== "dark") {
    console.error("satori: unknown theme " + String(value));
    return;
  }
  document.documentElement.classList.toggle("theme-dark", value === "dark");
}

function showNotice(text) {
  const notice = document.getElementById("notice");
  notice.textContent = text;
  notice.hidden = false;
}

/* What the page says before anything is in it, and the missing-assets notice, in the app's language (the
   html files carry the English). */
function showPageTexts() {
  const transcript = document.getElementById("transcript");
  if (transcript) {
    transcript.dataset.emptyText = t("Ask a math question below. Satori's reasoning appears here, step by step.");
  }
  const preview = document.getElementById("preview");
  if (preview) preview.dataset.emptyText = t("Preview of your problem, with the math typeset.");
  if (!katexReady) {
    showNotice(
      t(
        "The app's web assets are missing (KaTeX), so formulas show as source. Run `python " +
          "packaging/fetch_web_assets.py` in the source folder, or reinstall the app."
      )
    );
  }
}

window.satori = {
  /* "ok", or "katex-missing" when the page runs without KaTeX (the notice says what to do). */
  status() {
    return katexReady ? "ok" : "katex-missing";
  },
  apply(ops) {
    beginBatch();
    for (const op of ops) applyOp(op);
    noteUpdate();
    return ops.length;
  },
  setPreview(html) {
    const box = document.getElementById("preview");
    box.innerHTML = html; // markdown-it output with raw HTML disabled
    typeset(box);
    return Math.ceil(document.documentElement.getBoundingClientRect().height);
  },
  exportHtml,
  /* What a copy did, `{text, ok}` (satori_desktop/ui/transcript/copy_menu.py): a short note. */
  notify,
  /* For a picture of the whole transcript (export): lay out and paint every step, on screen or not,
     like a page without lazy rendering. */
  renderAll() {
    document.documentElement.classList.add("render-all");
    return true;
  },
  contentHeight() {
    return Math.ceil(document.documentElement.getBoundingClientRect().height);
  },
};

document.addEventListener("DOMContentLoaded", () => {
  const transcript = document.getElementById("transcript");
  if (transcript) {
    // The problem preview has no transcript: nothing to follow, and no clipboard bridge.
    connectBridge(transcript);
    followTranscript(transcript);
  }
  showPageTexts();
  onStrings(showPageTexts);
});
