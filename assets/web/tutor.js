/*
 * Tutor mode and answer checks on the page: a tutored turn streams like any other, but its steps and
 * its answer card stay hidden until Python reveals them, each step first as a hint (what kind of step it
 * is and its first sentence), then whole. Python (satori_desktop/ui/tutor) decides what is revealed and
 * when, and sends the words; this module only shows it:
 *
 *   {op: "reveal", turn, index, level: "hint"|"shown", label, hint_html, note}
 *   {op: "reveal_answer", turn}
 *   {op: "tutor_status", turn, text}        the line under a tutored turn's steps ("" hides it)
 *   {op: "untutor", turn}                   everything of the turn shown (tutor mode turned off)
 *   {op: "check", turn, verdict, text, student_label, student_tex, reference_label, reference_tex}
 *
 * `turn` is the turn's position on the page (the current turn when absent). A hint's HTML is markdown-it
 * output with raw HTML disabled, like every block; labels and sentences go in through textContent.
 */
import { el } from "./dom.js";
import { typeset } from "./katex-cache.js";

export const CHECK_ICONS = {
  match:
    '<svg viewBox="0 0 20 20" aria-hidden="true"><path d="M4.5 10.5l3.5 3.5 7.5-8" fill="none" ' +
    'stroke="currentColor" stroke-width="2.2" stroke-linecap="round" stroke-linejoin="round"/></svg>',
  mismatch:
    '<svg viewBox="0 0 20 20" aria-hidden="true"><path d="M5.5 5.5l9 9M14.5 5.5l-9 9" fill="none" ' +
    'stroke="currentColor" stroke-width="2.2" stroke-linecap="round"/></svg>',
  unknown:
    '<svg viewBox="0 0 20 20" aria-hidden="true"><circle cx="10" cy="10" r="8" fill="none" ' +
    'stroke="currentColor" stroke-width="1.8"/><path d="M7.6 7.7a2.5 2.5 0 1 1 3.4 2.3c-.7.3-1 .8-1 1.5v.6" ' +
    'fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round"/>' +
    '<circle cx="10" cy="14.6" r="1.1" fill="currentColor"/></svg>',
};

/* A new step of a tutored turn starts hidden. */
export function hideNewStep(step) {
  step.el.classList.add("tutor-hidden");
}

/* Show a step as a hint (level "hint") or whole ("shown"). `open(step)` opens a foldable section. */
export function revealStep(step, op, open) {
  if (op.level === "hint") {
    if (!step.hintEl) {
      step.hintEl = el("div", "tutor-hint");
      step.hintKindEl = el("div", "tutor-kind");
      step.hintTextEl = el("div", "tutor-hint-text markup");
      step.hintEl.append(step.hintKindEl, step.hintTextEl);
      step.el.insertBefore(step.hintEl, step.el.firstChild);
    }
    // A thought revealed paragraph by paragraph sends a longer hint each time: it replaces the last one.
    step.hintKindEl.textContent = op.label || "";
    step.hintTextEl.innerHTML = op.hint_html || ""; // markdown-it output with raw HTML disabled
    typeset(step.hintTextEl);
    step.el.classList.remove("tutor-hidden");
    step.el.classList.add("tutor-hinted");
    return;
  }
  if (step.hintEl) {
    step.hintEl.remove();
    step.hintEl = null;
  }
  step.el.classList.remove("tutor-hidden", "tutor-hinted");
  if (op.note && !step.noteEl) {
    step.noteEl = el("div", "tutor-note");
    step.noteEl.textContent = op.note;
    step.bodyEl.insertBefore(step.noteEl, step.bodyEl.firstChild);
  }
  open(step);
}

export function setTutorStatus(turn, text) {
  if (!turn.tutorStatusEl) {
    turn.tutorStatusEl = el("div", "tutor-status");
    turn.el.insertBefore(turn.tutorStatusEl, turn.footerEl);
  }
  turn.tutorStatusEl.textContent = text || "";
  turn.tutorStatusEl.hidden = !text;
}

function mathLine(label, tex) {
  const row = el("div", "check-row");
  const name = el("span", "check-label");
  name.textContent = label;
  const math = el("span", "check-math");
  const span = el("span", "math");
  span.setAttribute("data-tex", tex);
  span.textContent = tex;
  math.appendChild(span);
  row.append(name, math);
  typeset(row);
  return row;
}

/* One answer check under the turn: the verdict's sentence, the student's answer and (when it may be
   shown) the reference, both typeset. Later checks go below earlier ones. */
export function addCheck(turn, op) {
  const verdict = ["match", "mismatch", "unknown"].includes(op.verdict) ? op.verdict : "unknown";
  const card = el("div", "check-card check-" + verdict);
  const head = el("div", "check-head");
  const icon = el("span", "check-icon");
  icon.innerHTML = CHECK_ICONS[verdict];
  const text = el("span", "check-text");
  text.textContent = op.text || "";
  head.append(icon, text);
  card.appendChild(head);
  if (op.student_tex) card.appendChild(mathLine(op.student_label || "", op.student_tex));
  if (op.reference_tex) card.appendChild(mathLine(op.reference_label || "", op.reference_tex));
  turn.el.insertBefore(card, turn.footerEl);
  // The verdict the student just asked for comes into view (not in jsdom, which has no layout).
  if (typeof card.scrollIntoView === "function") card.scrollIntoView({ block: "nearest" });
  return card;
}
