// The page as Python drives it: ops through `window.satori.apply` build turns, steps, the summary line,
// the answer card and the footer (assets/web/transcript.js and turns.js), in jsdom.
import { window } from "./page-dom.mjs";

import assert from "node:assert/strict";
import { beforeEach, test } from "node:test";

import "../../assets/web/transcript.js";

const { satori } = window;
const $ = (selector) => document.querySelector(selector);
const $$ = (selector) => [...document.querySelectorAll(selector)];
const p = (text) => `<p>${text}</p>`;

/* A turn whose steps have these actions, each with one finished block. */
function turn(actions, { question = "", answer = null, summary = null } = {}) {
  const ops = [{ op: "turn", question_html: question }];
  actions.forEach((action, index) => {
    ops.push({ op: "step", index, action }, { op: "blocks", index, html: [p(`${action} ${index}`)] });
  });
  if (answer !== null) ops.push({ op: "answer", latex: answer });
  if (summary !== null) ops.push({ op: "end", summary });
  return satori.apply(ops);
}

const summaryOf = (turnEl) => turnEl.querySelector(".turn-summary");
const lastTurn = () => $$(".turn").pop();
const openSections = (turnEl) => [...turnEl.querySelectorAll(".step.fold")].map((s) => s.classList.contains("is-open"));

beforeEach(() => {
  satori.apply([{ op: "keep_open", value: false }, { op: "clear" }]);
});

test("the page starts with KaTeX and no notice", () => {
  assert.equal(satori.status(), "ok");
  assert.equal($("#notice").hidden, true);
});

test("steps stream into groups of eight; a full group is done", () => {
  turn(Array(10).fill("continue"));
  const groups = $$(".step-group");
  assert.deepEqual(
    groups.map((group) => group.children.length),
    [8, 2]
  );
  assert.deepEqual(
    groups.map((group) => group.classList.contains("is-done")),
    [true, false]
  );
  assert.deepEqual(
    $$(".step").map((step) => step.classList.contains("is-streaming")),
    [...Array(9).fill(false), true]
  );
  satori.apply([{ op: "end", summary: { finish_reason: "stop" } }]);
  assert.ok(groups[1].classList.contains("is-done"));
  assert.equal($$(".is-streaming").length, 0);
});

test("a section folds when the next step starts, and shows a preview of itself", () => {
  turn(["start", "reflect"]);
  const section = $(".step-reflect");
  assert.ok(section.classList.contains("is-open") && section.classList.contains("is-streaming"));
  assert.equal($(".fold-label").textContent, "Checking the work");
  satori.apply([
    { op: "step_end", index: 1 },
    { op: "step", index: 2, action: "explore" },
  ]);
  assert.ok(!section.classList.contains("is-open"));
  assert.equal(section.querySelector(".fold-head").getAttribute("aria-expanded"), "false");
  assert.equal(section.querySelector(".fold-preview").shadowRoot.textContent, "reflect 1");
  assert.equal($(".step-explore .fold-label").textContent, "Trying another way");
});

test("the summary counts steps, checks and changes of approach as they start", () => {
  turn(["start"]);
  assert.equal(summaryOf(lastTurn()).textContent, "1 step");
  assert.equal(summaryOf(lastTurn()).disabled, true);
  satori.apply([{ op: "step", index: 1, action: "reflect" }]);
  assert.equal(summaryOf(lastTurn()).textContent, "2 steps · 1 checkFold all");
  satori.apply([
    { op: "step", index: 2, action: "explore" },
    { op: "step", index: 3, action: "continue" },
    { op: "step", index: 4, action: "reflect" },
  ]);
  const summary = summaryOf(lastTurn());
  assert.equal(summary.querySelector(".summary-text").textContent, "5 steps · 2 checks · 1 change of approach");
  assert.equal(summary.querySelector(".summary-action").textContent, "Show all");
  assert.equal(summary.disabled, false);
  assert.equal(summary.hidden, false);
});

test("the summary's action follows the sections as the reader opens and folds them", () => {
  turn(["start", "reflect", "explore", "reflect", "continue"], { summary: { finish_reason: "stop" } });
  const turnEl = lastTurn();
  const action = () => summaryOf(turnEl).querySelector(".summary-action").textContent;
  assert.deepEqual(openSections(turnEl), [false, false, false]);
  assert.equal(action(), "Show all");
  summaryOf(turnEl).click();
  assert.deepEqual(openSections(turnEl), [true, true, true]);
  assert.equal(action(), "Fold all");
  summaryOf(turnEl).click();
  assert.deepEqual(openSections(turnEl), [false, false, false]);

  // Any order of clicks on the sections: the action says what clicking the summary would do.
  const heads = [...turnEl.querySelectorAll(".fold-head")];
  for (const k of [0, 2, 1, 1, 0, 2, 2, 0, 1]) {
    heads[k].click();
    assert.equal(action(), openSections(turnEl).every(Boolean) ? "Fold all" : "Show all");
  }
});

test("keep_open opens every section of every turn and the stream folds none", () => {
  turn(["start", "reflect", "continue"], { summary: { finish_reason: "stop" } });
  turn(["explore", "continue"]);
  satori.apply([{ op: "keep_open", value: true }]);
  assert.ok($$(".step.fold").every((section) => section.classList.contains("is-open")));
  assert.ok($$(".fold-head").every((head) => head.getAttribute("aria-expanded") === "true"));
  for (const turnEl of $$(".turn")) {
    assert.equal(summaryOf(turnEl).querySelector(".summary-action").textContent, "Fold all");
  }
  satori.apply([
    { op: "step", index: 2, action: "reflect" },
    { op: "step", index: 3, action: "continue" },
    { op: "end", summary: { finish_reason: "stop" } },
  ]);
  assert.deepEqual(openSections(lastTurn()), [true, true]);
  satori.apply([{ op: "keep_open", value: false }]);
  assert.deepEqual(openSections(lastTurn()), [true, true]);
});

test("a thought is a folded Thinking section with its length, folded when the answer starts", () => {
  const formula = '<span class="math math-inline" data-tex="3 \\cdot 4 = 12">$3 \\cdot 4 = 12$</span>';
  satori.apply([
    { op: "turn", question_html: p("What is 3 times 4?") },
    { op: "step", index: 0, action: "think" },
    { op: "blocks", index: 0, html: [p(`Okay, I compute ${formula} here.`), p("Yes, that is right.")] },
  ]);
  const thought = $(".step-think");
  assert.ok(thought.classList.contains("fold") && thought.classList.contains("is-open"));
  assert.equal(thought.querySelector(".fold-label").textContent, "Thinking");
  assert.ok(thought.querySelector(".fold-icon svg"), "a thought has its own icon");
  assert.equal(thought.querySelector(".fold-length").hidden, true, "no length while it streams");
  assert.equal(thought.querySelectorAll(".step-body p").length, 2, "its paragraphs stay paragraphs");
  assert.ok(thought.querySelector(".step-body span.math.typeset .katex"), "its math is typeset");

  satori.apply([
    { op: "step_end", index: 0 },
    { op: "step", index: 1, action: "continue" },
    { op: "blocks", index: 1, html: [p("The product is 12.")] },
    { op: "answer", latex: "12" },
  ]);
  assert.ok(!thought.classList.contains("is-open"), "the answer folds the thought");
  const length = thought.querySelector(".fold-length");
  assert.equal(length.hidden, false);
  // Okay I compute [formula] here Yes that is right: 9 words; its time is known, the page saw it written.
  assert.match(length.textContent, /^9 words · (under 0\.1 s|\d+\.\d s)$/);
  assert.equal(thought.querySelector(".fold-preview").shadowRoot.textContent.startsWith("Okay, I compute"), true);
  assert.equal(summaryOf(lastTurn()).querySelector(".summary-text").textContent, "2 steps · 1 thought");
  assert.equal(summaryOf(lastTurn()).querySelector(".summary-action").textContent, "Show all");
  assert.equal($(".step-continue").classList.contains("fold"), false, "the answer is a plain step");
});

test("a thought that arrives whole (from the history) shows its length without a time", () => {
  turn(["think", "continue"], { answer: "4", summary: { finish_reason: "stop" } });
  const thought = $(".step-think");
  assert.ok(!thought.classList.contains("is-open"));
  assert.equal(thought.querySelector(".fold-length").textContent, "2 words");
});

test("an unclosed thought at the token limit still folds and shows its length", () => {
  satori.apply([
    { op: "turn", question_html: "" },
    { op: "step", index: 0, action: "think" },
    { op: "open", index: 0, html: p("Still thinking about it") },
  ]);
  // The parser closes the open thought at the end: its last block, then its end, then the turn's.
  satori.apply([
    { op: "blocks", index: 0, html: [p("Still thinking about it")] },
    { op: "step_end", index: 0 },
    { op: "end", summary: { finish_reason: "length" } },
  ]);
  const thought = $(".step-think");
  assert.ok(!thought.classList.contains("is-open"));
  assert.match(thought.querySelector(".fold-length").textContent, /^4 words · /);
});

test("the answer card comes after the steps, with its source unless it is a plain number", () => {
  turn(["start"], { answer: "42" });
  const card = $(".answer-card");
  assert.equal(card.nextElementSibling, $(".turn-footer"));
  assert.equal(card.querySelector(".answer-label").textContent, "Answer");
  assert.equal(card.querySelector(".answer-source").hidden, true);
  assert.equal(card.querySelector("annotation").textContent, "42");
  satori.apply([{ op: "answer", latex: "\\frac{1}{2}" }]);
  assert.equal($$(".answer-card").length, 1);
  assert.equal(card.querySelector(".answer-source").hidden, false);
  assert.equal(card.querySelector(".answer-source").textContent, "\\frac{1}{2}");
});

test("the footer says how the turn ended: an error sentence gets one full stop", () => {
  const footer = (summary, answer = "5") => {
    turn(["start"], { answer, summary });
    const el = lastTurn().querySelector(".turn-footer");
    return el.hidden ? null : [...el.children].map((line) => [line.className, line.textContent]);
  };
  assert.deepEqual(footer({ finish_reason: "error", error: "The model ran out of memory. Choose a smaller one." }), [
    ["footer-error", "Generation failed: The model ran out of memory. Choose a smaller one."],
  ]);
  assert.deepEqual(footer({ finish_reason: "error", error: "no memory" }), [
    ["footer-error", "Generation failed: no memory."],
  ]);
  assert.deepEqual(footer({ finish_reason: "stop" }), null);
  assert.deepEqual(footer({ finish_reason: "stop", generated_tokens: 30, decode_tok_s: 12.34, elapsed_s: 2.5 }, null), [
    ["footer-warn", "No final answer in \\boxed{} was given."],
    ["footer-stats", "30 tokens · 12.3 tokens/s · 2.5 s"],
  ]);
  assert.deepEqual(satori.apply([{ op: "end" }]), 1, "an end without a summary is fine");
});

test("the open block streams in place and goes when its step ends", () => {
  satori.apply([
    { op: "turn", question_html: p("Question") },
    { op: "open", index: 0, html: p("Let") },
  ]);
  assert.equal($(".step").className, "step step-continue is-streaming", "text before its step makes a plain step");
  const openBlock = $(".open-block");
  satori.apply([{ op: "open", index: 0, html: p('Let <span class="math math-inline" data-tex="x">$x$</span>') }]);
  assert.equal($(".open-block"), openBlock);
  assert.ok(openBlock.querySelector("span.math.typeset .katex"));
  satori.apply([{ op: "blocks", index: 0, html: [p("Done.")] }, { op: "step_end", index: 0 }]);
  assert.equal($(".open-block"), null);
  assert.equal($(".step-body").textContent, "Done.");
  assert.equal($(".question").textContent, "Question");
});

test("the export is the typeset transcript without controls or open blocks", () => {
  turn(["start", "reflect", "continue"], { answer: "x^2", summary: { finish_reason: "stop" } });
  satori.apply([{ op: "turn" }, { op: "open", index: 0, html: p("half") }]);
  const exported = document.createElement("div");
  exported.innerHTML = satori.exportHtml();
  assert.equal(exported.querySelectorAll("button, .answer-copy, .open-block").length, 0);
  assert.equal(exported.querySelectorAll("div.turn-summary").length, 2);
  assert.equal(exported.querySelectorAll("div.fold-head").length, 1);
  assert.ok(exported.querySelector(".answer-math .katex"));
  assert.equal($$("button.answer-copy").length, 1, "the page itself keeps its controls");
});

test("clear empties the transcript and the next op starts a turn", () => {
  turn(["start"]);
  satori.apply([{ op: "clear" }]);
  assert.equal($("#transcript").children.length, 0);
  satori.apply([{ op: "step", index: 0, action: "explore" }]);
  assert.equal($$(".turn").length, 1);
  assert.equal(summaryOf(lastTurn()).querySelector(".summary-text").textContent, "1 step · 1 change of approach");
});
