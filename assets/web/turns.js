/*
 * Turns and their steps: what the ops build in the transcript. A turn is a question, a summary line, its
 * steps, the answer card and a footer. A step holds finished blocks, which are typeset once and never
 * touched again, and one open block, which is updated in place while it streams (reconcile.js).
 *
 * Reflect and explore steps, and another model's thought ("think": `<think>`, Marco-o1's `<Thought>`),
 * are foldable sections: open while they stream, folded once the next step starts (unless the reader
 * keeps sections open); a thought's head says how long it is, and how long it took when the page saw it
 * being written. Everything that happens per step costs the same on the
 * first step as on the thousandth: the turn keeps its counts as steps start and sections open or fold,
 * and remembers which step streams, so nothing walks all steps while the answer grows.
 */
import { el, ICONS } from "./dom.js";
import { copyButton } from "./copy-export.js";
import { showPreview } from "./fold-preview.js";
import { afterReaderFold } from "./follow.js";
import { t } from "./i18n.js";
import { typeset } from "./katex-cache.js";
import { reconcileHtml } from "./reconcile.js";
import { emptyCounts, finishLines, summaryLine, thoughtLength, wordCount } from "./summary.js";
import { hideNewStep, revealStep } from "./tutor.js";

/* The title of a foldable section. */
function sectionLabel(action) {
  if (action === "reflect") return t("Checking the work");
  if (action === "think") return t("Thinking");
  return t("Trying another way");
}

/* The words of a step as a reader counts them: each formula one word, the blocks apart. */
function readableText(node, parts) {
  for (const child of node.childNodes) {
    if (child.nodeType === Node.TEXT_NODE) {
      parts.push(child.nodeValue);
    } else if (child.nodeType === Node.ELEMENT_NODE) {
      if (child.classList.contains("math")) {
        parts.push(" x ");
      } else {
        readableText(child, parts);
        parts.push(" ");
      }
    }
  }
  return parts;
}

/* Steps go into groups of GROUP_STEPS. A group whose steps are all finished is "done" and the page may
   skip drawing it while it is off screen (`content-visibility: auto`, transcript.css); the group still
   filling, with the streaming step in it, is always drawn, so text just added is there for the next read
   of the page, not one lazy frame later. Whole groups rather than single steps, because Chromium pays
   for every skippable element on every frame (a visibility check each), which on a long answer grew
   with it; a group costs that once for eight steps, and what is drawn anyway is at most one group of
   finished steps. */
const GROUP_STEPS = 8;

let turns = [];
let currentTurn = null;
let keepSectionsOpen = false;
// Which `satori.apply` call is running: a thought that started and ended in the same one arrived whole
// (from the history, or a finished text), so the page does not know how long it took to write.
let batch = 0;

/* A new `satori.apply` call begins (transcript.js). */
export function beginBatch() {
  batch += 1;
}

/* A tutored turn (tutor mode) keeps its steps and answer hidden until tutor.js reveals them, and never
   folds a section by itself: what the student opened stays open. */
export function newTurn(questionHtml, tutored = false) {
  const turn = {
    tutored: !!tutored,
    answerShown: !tutored,
    el: el("article", "turn"),
    stepsEl: el("div", "steps"),
    summaryEl: el("button", "turn-summary"),
    answerEl: null,
    footerEl: el("div", "turn-footer"),
    steps: new Map(),
    streamingStep: null,
    groupEl: null, // the group new steps go into
    groupSize: 0,
    counts: emptyCounts(),
  };
  if (questionHtml) {
    const q = el("div", "question markup");
    q.innerHTML = questionHtml; // markdown-it output with raw HTML disabled
    typeset(q);
    turn.el.appendChild(q);
  }
  turn.summaryEl.type = "button";
  turn.summaryEl.hidden = true;
  turn.summaryEl.addEventListener("click", () => {
    toggleAll(turn);
    afterReaderFold();
  });
  turn.footerEl.hidden = true;
  turn.el.classList.toggle("tutored", turn.tutored);
  turn.el.append(turn.summaryEl, turn.stepsEl, turn.footerEl);
  document.getElementById("transcript").appendChild(turn.el);
  turns.push(turn);
  currentTurn = turn;
  return turn;
}

/* The turn ops go to: the last one, or a turn without a question when none was begun. */
export function ensureTurn() {
  return currentTurn || newTurn("");
}

/* The turn at a position on the page (an op's `turn`), or the current one when the op names none. */
export function turnAt(index) {
  if (Number.isInteger(index)) return turns[index] || null;
  return ensureTurn();
}

/* Reveal a step of a tutored turn as a hint or whole (tutor.js). */
export function revealTurnStep(turn, op) {
  const step = turn.steps.get(op.index);
  if (!step) return;
  revealStep(step, op, (revealed) => setOpen(turn, revealed, true));
  updateSummary(turn);
}

export function revealAnswer(turn) {
  turn.answerShown = true;
  if (turn.answerEl) turn.answerEl.classList.remove("tutor-hidden");
}

/* Tutor mode turned off: the whole turn shows, like an untutored one. */
export function untutor(turn) {
  for (const step of turn.steps.values()) {
    if (step.el.classList.contains("tutor-hidden") || step.el.classList.contains("tutor-hinted")) {
      revealTurnStep(turn, { index: Number(step.el.dataset.index), level: "shown" });
    }
  }
  revealAnswer(turn);
  turn.tutored = false;
  turn.el.classList.remove("tutored");
  if (turn.tutorStatusEl) turn.tutorStatusEl.hidden = true;
  updateSummary(turn);
}

export function clearTranscript() {
  document.getElementById("transcript").textContent = "";
  turns = [];
  currentTurn = null;
}

/* Keep every section open (the reader's setting): opens all sections now, and stops the stream folding
   them; turning it off leaves them as they are. */
export function setKeepSectionsOpen(value) {
  keepSectionsOpen = value;
  if (!keepSectionsOpen) return;
  for (const turn of turns) {
    for (const step of turn.steps.values()) setOpen(turn, step, true);
    updateSummary(turn);
  }
}

function foldable(action) {
  return action === "reflect" || action === "explore" || action === "think";
}

function setOpen(turn, step, open) {
  if (!step.fold) return;
  if (step.open !== open) {
    step.open = open;
    turn.counts.folded += open ? -1 : 1;
  }
  step.el.classList.toggle("is-open", open);
  step.headEl.setAttribute("aria-expanded", open ? "true" : "false");
  if (!open) showPreview(step);
}

function sealGroup(turn) {
  if (turn.groupEl) turn.groupEl.classList.add("is-done");
}

function setStreaming(step, streaming) {
  step.streaming = streaming;
  step.el.classList.toggle("is-streaming", streaming);
}

export function newStep(turn, index, action) {
  const step = { action: action, fold: foldable(action), el: el("section", "step step-" + action) };
  step.el.dataset.index = String(index);
  step.bodyEl = el("div", "step-body");
  step.openEl = el("div", "block markup open-block");
  step.bodyEl.appendChild(step.openEl);
  if (step.fold) {
    step.open = true;
    step.el.classList.add("fold", "is-open");
    step.headEl = el("button", "fold-head");
    step.headEl.type = "button";
    const icon = el("span", "fold-icon");
    icon.innerHTML = ICONS[action];
    const label = el("span", "fold-label");
    label.textContent = sectionLabel(action);
    step.previewEl = el("span", "fold-preview");
    const chevron = el("span", "fold-chevron");
    chevron.innerHTML = ICONS.chevron;
    step.headEl.append(icon, label);
    if (action === "think") {
      step.lengthEl = el("span", "fold-length");
      step.lengthEl.hidden = true;
      step.startedAt = performance.now();
      step.startBatch = batch;
      step.headEl.appendChild(step.lengthEl);
    }
    step.headEl.append(step.previewEl, chevron);
    step.headEl.setAttribute("aria-expanded", "true");
    step.headEl.addEventListener("click", () => {
      setOpen(turn, step, !step.open);
      updateSummary(turn);
      afterReaderFold();
    });
    step.el.append(step.headEl, step.bodyEl);
  } else {
    step.el.appendChild(step.bodyEl);
  }
  if (turn.tutored) hideNewStep(step);
  // A new step folds the section that was streaming before it (only the newest step streams).
  const previous = turn.streamingStep;
  if (previous) {
    if (!keepSectionsOpen && !turn.tutored && previous.fold) setOpen(turn, previous, false);
    setStreaming(previous, false);
  }
  setStreaming(step, true);
  turn.streamingStep = step;
  turn.steps.set(index, step);
  if (!turn.groupEl || turn.groupSize >= GROUP_STEPS) {
    sealGroup(turn);
    turn.groupEl = el("div", "step-group");
    turn.groupSize = 0;
    turn.stepsEl.appendChild(turn.groupEl);
  }
  turn.groupEl.appendChild(step.el);
  turn.groupSize += 1;
  turn.counts.steps += 1;
  if (step.fold) turn.counts[action] += 1;
  updateSummary(turn);
  return step;
}

/* The step with this index; one that text arrives for before it was begun is a plain step. */
export function getStep(turn, index) {
  return turn.steps.get(index) || newStep(turn, index, "continue");
}

export function appendBlocks(step, htmlList) {
  for (const html of htmlList) {
    const block = el("div", "block markup");
    block.innerHTML = html; // markdown-it output with raw HTML disabled
    typeset(block);
    step.bodyEl.insertBefore(block, step.openEl);
  }
}

export function setOpenBlock(step, html) {
  reconcileHtml(step.openEl, html);
  typeset(step.openEl);
}

export function endStep(step) {
  step.openEl.remove();
  step.ended = true;
  if (step.lengthEl) showThoughtLength(step);
  if (step.fold && !step.open) showPreview(step);
}

/* A finished thought's length in its head, counted once (it never changes again). */
function showThoughtLength(step) {
  const words = wordCount(readableText(step.bodyEl, []).join(""));
  if (words === 0) return;
  const elapsed = step.startBatch === batch ? null : (performance.now() - step.startedAt) / 1000;
  step.lengthEl.textContent = thoughtLength(words, elapsed);
  step.lengthEl.hidden = false;
}

function updateSummary(turn) {
  if (turn.counts.steps === 0) return;
  const { text, action } = summaryLine(turn.counts);
  turn.summaryEl.textContent = "";
  const textEl = el("span", "summary-text");
  textEl.textContent = text;
  turn.summaryEl.appendChild(textEl);
  if (action) {
    const link = el("span", "summary-action");
    link.textContent = action;
    turn.summaryEl.appendChild(link);
  }
  turn.summaryEl.disabled = !action;
  turn.summaryEl.hidden = false;
}

/* The summary line's click: show every section if any is folded, else fold them all. */
function toggleAll(turn) {
  const open = turn.counts.folded > 0;
  for (const step of turn.steps.values()) setOpen(turn, step, open);
  updateSummary(turn);
}

/* Another model's answer without a \boxed{}: after its thought, the answer section itself is the answer,
 * headed as one (there is no formula for an answer card to typeset or copy). The last step that is not a
 * thought, when the turn has a thought; null otherwise. */
function markAnswerSection(turn) {
  if (!turn.counts.think) return null;
  const section = [...turn.steps.values()].reverse().find((step) => step.action !== "think");
  if (!section || section.el.classList.contains("answer-section")) return section || null;
  section.el.classList.add("answer-section");
  const head = el("div", "answer-head answer-section-head");
  const icon = el("span", "answer-icon");
  icon.innerHTML = ICONS.answer;
  const label = el("span", "answer-label");
  label.textContent = t("Answer");
  head.append(icon, label);
  section.el.insertBefore(head, section.el.firstChild);
  return section;
}

export function setAnswer(turn, latex) {
  if (!turn.answerEl) {
    turn.answerEl = el("div", "answer-card");
    const head = el("div", "answer-head");
    const icon = el("span", "answer-icon");
    icon.innerHTML = ICONS.answer;
    const label = el("span", "answer-label");
    label.textContent = t("Answer");
    head.append(icon, label, copyButton(turn));
    turn.answerMathEl = el("div", "answer-math");
    turn.answerSourceEl = el("code", "answer-source");
    turn.answerEl.append(head, turn.answerMathEl, turn.answerSourceEl);
    turn.el.insertBefore(turn.answerEl, turn.tutorStatusEl || turn.footerEl); // after the steps
    if (!turn.answerShown) turn.answerEl.classList.add("tutor-hidden");
  }
  turn.answerLatex = latex;
  turn.answerSourceEl.textContent = latex;
  // The source line helps copying into LaTeX or Markdown; for a plain number it would only repeat it.
  turn.answerSourceEl.hidden = /^[\w\s.,+-]*$/.test(latex);
  turn.answerMathEl.textContent = "";
  const span = el("span", "math math-display");
  span.setAttribute("data-tex", latex);
  span.textContent = latex;
  turn.answerMathEl.appendChild(span);
  typeset(turn.answerMathEl);
}

export function endTurn(turn, summary) {
  for (const step of turn.steps.values()) {
    if (!step.ended) endStep(step);
    setStreaming(step, false);
    if (!keepSectionsOpen && !turn.tutored) setOpen(turn, step, false);
  }
  turn.streamingStep = null;
  sealGroup(turn);
  updateSummary(turn);
  const section = turn.answerEl ? null : markAnswerSection(turn);
  turn.footerEl.textContent = "";
  const lines = finishLines(summary, { answered: !!turn.answerEl || !!section, steps: turn.counts.steps });
  for (const [kind, text] of lines) {
    const line = el("div", "footer-" + kind);
    line.textContent = text;
    turn.footerEl.appendChild(line);
  }
  turn.footerEl.hidden = lines.length === 0;
  turn.ended = true;
}
