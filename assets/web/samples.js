/*
 * "Solve several times" on the page: one card per such turn, above its steps, with a compact row per
 * solution (its progress while it streams, then its answer typeset) and, once every solution is in, the
 * answer most of them agree on ("5 of 8 solutions agree"). The turn's own steps and answer card show the
 * chosen solution in full; a click on a row (or Enter on it) asks Python to open that solution
 * (bridge.open_sample), so every one of them can be read whole.
 *
 *   {op: "samples", turn, head, consensus_tex, rows: [{index, label, status, answer_tex, agree, state}]}
 *
 * The whole card is described by each op (at most 16 rows, a few updates a second); a row's typeset answer
 * is only redone when its TeX changed. Words come from Python (translated) and go in through textContent.
 */
import { el, ICONS } from "./dom.js";
import { typeset } from "./katex-cache.js";

function mathSpan(tex) {
  const span = el("span", "math");
  span.setAttribute("data-tex", tex);
  span.textContent = tex;
  return span;
}

function setMath(holder, tex) {
  if (holder.dataset.tex === (tex || "")) return;
  holder.dataset.tex = tex || "";
  holder.textContent = "";
  if (tex) {
    holder.appendChild(mathSpan(tex));
    typeset(holder);
  } else {
    holder.textContent = "—";
  }
}

function newRow(card, index, openSample) {
  const row = el("button", "sample-row");
  row.type = "button";
  row.dataset.index = String(index);
  row.labelEl = el("span", "sample-label");
  row.statusEl = el("span", "sample-status");
  row.answerEl = el("span", "sample-answer");
  row.append(row.labelEl, row.answerEl, row.statusEl);
  row.addEventListener("click", () => openSample(index));
  card.rowsEl.appendChild(row);
  return row;
}

/* Create or update the samples card of `turn` from an op. `openSample(index)` asks Python to show one. */
export function setSamples(turn, op, openSample) {
  let card = turn.samplesEl;
  if (!card) {
    card = el("div", "samples-card");
    card.headEl = el("div", "samples-head");
    const icon = el("span", "samples-icon");
    icon.innerHTML = ICONS.answer;
    card.headTextEl = el("span", "samples-head-text");
    card.consensusEl = el("span", "samples-consensus");
    card.headEl.append(icon, card.headTextEl, card.consensusEl);
    card.rowsEl = el("div", "samples-rows");
    card.append(card.headEl, card.rowsEl);
    card.rows = new Map();
    turn.el.insertBefore(card, turn.summaryEl);
    turn.samplesEl = card;
  }
  card.headTextEl.textContent = op.head || "";
  setMath(card.consensusEl, op.consensus_tex || "");
  card.consensusEl.hidden = !op.consensus_tex;
  for (const data of op.rows || []) {
    if (!Number.isInteger(data.index)) continue;
    const row = card.rows.get(data.index) || newRow(card, data.index, openSample);
    card.rows.set(data.index, row);
    row.labelEl.textContent = data.label || "";
    row.statusEl.textContent = data.status || "";
    setMath(row.answerEl, data.answer_tex || "");
    row.classList.toggle("is-agreeing", !!data.agree);
    row.dataset.state = data.state || "";
  }
  return card;
}
