// Tutor mode, answer checks and "solve several times" on the page (assets/web/tutor.js, samples.js), as
// Python's ops drive them, in jsdom: what is hidden, hinted, shown and typeset.
import { window } from "./page-dom.mjs";

import assert from "node:assert/strict";
import { beforeEach, test } from "node:test";

import "../../assets/web/transcript.js";

const { satori } = window;
const $$ = (selector) => [...document.querySelectorAll(selector)];
const p = (text) => `<p>${text}</p>`;

function tutoredTurn(actions) {
  const ops = [{ op: "turn", question_html: p("Q"), tutored: true }];
  actions.forEach((action, index) => {
    ops.push({ op: "step", index, action }, { op: "blocks", index, html: [p(`${action} ${index}`)] });
  });
  ops.push({ op: "answer", latex: "5" }, { op: "end", summary: { finish_reason: "stop" } });
  satori.apply(ops);
  return $$(".turn").pop();
}

const levels = (turnEl) =>
  [...turnEl.querySelectorAll("section.step")].map((step) =>
    step.classList.contains("tutor-hidden") ? "hidden" : step.classList.contains("tutor-hinted") ? "hint" : "shown"
  );

beforeEach(() => {
  satori.apply([{ op: "keep_open", value: false }, { op: "clear" }]);
});

test("a tutored turn hides its steps and answer until they are revealed", () => {
  const turnEl = tutoredTurn(["start", "reflect", "continue"]);
  assert.ok(turnEl.classList.contains("tutored"));
  assert.deepEqual(levels(turnEl), ["hidden", "hidden", "hidden"]);
  assert.ok(turnEl.querySelector(".answer-card").classList.contains("tutor-hidden"));
  satori.apply([{ op: "reveal", turn: 0, index: 1, level: "hint", label: "Step 2 · check", hint_html: p("First.") }]);
  const hinted = turnEl.querySelector('section.step[data-index="1"]');
  assert.deepEqual(levels(turnEl), ["hidden", "hint", "hidden"]);
  assert.equal(hinted.querySelector(".tutor-kind").textContent, "Step 2 · check");
  assert.equal(hinted.querySelector(".tutor-hint-text").textContent, "First.");
  satori.apply([{ op: "reveal", turn: 0, index: 1, level: "shown", label: "", note: "Checked here." }]);
  assert.deepEqual(levels(turnEl), ["hidden", "shown", "hidden"]);
  assert.equal(hinted.querySelector(".tutor-hint"), null);
  assert.equal(hinted.querySelector(".tutor-note").textContent, "Checked here.");
  assert.ok(hinted.classList.contains("is-open")); // a revealed section opens, and the turn never folds it
  satori.apply([{ op: "tutor_status", turn: 0, text: "1 of 3 steps shown." }]);
  assert.equal(turnEl.querySelector(".tutor-status").textContent, "1 of 3 steps shown.");
  satori.apply([{ op: "reveal_answer", turn: 0 }, { op: "tutor_status", turn: 0, text: "" }]);
  assert.ok(!turnEl.querySelector(".answer-card").classList.contains("tutor-hidden"));
  assert.ok(turnEl.querySelector(".tutor-status").hidden);
});

test("untutor shows the whole turn", () => {
  const turnEl = tutoredTurn(["start", "explore"]);
  satori.apply([{ op: "reveal", turn: 0, index: 0, level: "hint", label: "Step 1", hint_html: p("A.") }]);
  satori.apply([{ op: "untutor", turn: 0 }]);
  assert.deepEqual(levels(turnEl), ["shown", "shown"]);
  assert.ok(!turnEl.classList.contains("tutored"));
  assert.equal(turnEl.querySelectorAll(".tutor-hint").length, 0);
});

test("a check card says its verdict with the answers typeset, words as text", () => {
  tutoredTurn(["start"]);
  satori.apply([
    {
      op: "check", turn: 0, verdict: "mismatch", text: "<b>not</b> a match",
      student_label: "Your answer", student_tex: "\\frac{1}{2}", reference_label: "", reference_tex: "",
    },
    { op: "check", turn: 0, verdict: "nonsense", text: "?", student_label: "Y", student_tex: "x" },
  ]);
  const [first, second] = $$(".check-card");
  assert.ok(first.classList.contains("check-mismatch"));
  assert.equal(first.querySelector(".check-text").textContent, "<b>not</b> a match");
  assert.equal(first.querySelectorAll(".check-row").length, 1); // no reference: none shown
  assert.ok(first.querySelector(".check-math .katex"));
  assert.ok(second.classList.contains("check-unknown")); // an unknown verdict is "could not compare"
});

test("a samples card keeps one row per solution and typesets answers once they change", () => {
  satori.apply([{ op: "turn", question_html: p("Q") }]);
  const rows = (answers, agree = []) =>
    answers.map((answer, index) => ({
      index, label: `Solution ${index + 1}`, status: "1 token", answer_tex: answer, agree: agree.includes(index), state: "done",
    }));
  satori.apply([{ op: "samples", turn: 0, head: "Solving 3 times", consensus_tex: "", rows: rows(["", "", ""]) }]);
  const card = document.querySelector(".samples-card");
  assert.equal(card.querySelectorAll(".sample-row").length, 3);
  assert.ok(card.querySelector(".samples-consensus").hidden);
  satori.apply([{ op: "samples", turn: 0, head: "2 of 3 solutions agree:", consensus_tex: "5", rows: rows(["5", "6", "5"], [0, 2]) }]);
  assert.equal(document.querySelectorAll(".samples-card").length, 1);
  assert.equal(card.querySelector(".samples-head-text").textContent, "2 of 3 solutions agree:");
  assert.deepEqual(
    [...card.querySelectorAll(".sample-row")].map((row) => [row.classList.contains("is-agreeing"), row.querySelector(".sample-answer").dataset.tex]),
    [[true, "5"], [false, "6"], [true, "5"]]
  );
  assert.equal(card.querySelectorAll(".sample-answer .katex").length, 3);
  assert.ok(!card.querySelector(".samples-consensus").hidden);
});
