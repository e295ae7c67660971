// What a turn says about itself: the summary line and the footer's finish lines (assets/web/summary.js).
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  asSentence,
  emptyCounts,
  finishLines,
  seconds,
  summaryLine,
  thoughtLength,
  wordCount,
} from "../../assets/web/summary.js";

const counts = (changes) => Object.assign(emptyCounts(), changes);

test("a turn of plain steps has nothing to fold", () => {
  assert.deepEqual(summaryLine(counts({ steps: 3 })), { text: "3 steps", action: "" });
});

test("the summary names checks and changes of approach", () => {
  const line = summaryLine(counts({ steps: 7, reflect: 2, explore: 1 }));
  assert.equal(line.text, "7 steps · 2 checks · 1 change of approach");
  assert.equal(summaryLine(counts({ steps: 1, explore: 3 })).text, "1 step · 3 changes of approach");
  assert.equal(summaryLine(counts({ steps: 2, reflect: 1 })).text, "2 steps · 1 check");
});

test("the summary's action shows all while any section is folded, else folds all", () => {
  assert.equal(summaryLine(counts({ steps: 4, reflect: 1, explore: 1, folded: 0 })).action, "Fold all");
  assert.equal(summaryLine(counts({ steps: 4, reflect: 1, explore: 1, folded: 1 })).action, "Show all");
  assert.equal(summaryLine(counts({ steps: 4, reflect: 1, explore: 1, folded: 2 })).action, "Show all");
});

test("another model's thought is counted and can be folded like a check", () => {
  assert.deepEqual(summaryLine(counts({ steps: 2, think: 1, folded: 1 })), {
    text: "2 steps · 1 thought",
    action: "Show all",
  });
  assert.equal(summaryLine(counts({ steps: 3, think: 2, folded: 0 })).text, "3 steps · 2 thoughts");
  assert.equal(summaryLine(counts({ steps: 3, think: 2, folded: 0 })).action, "Fold all");
});

test("a thought's length counts words, formulas and Chinese characters, not lone symbols", () => {
  assert.equal(wordCount(""), 0);
  assert.equal(wordCount("  \n "), 0);
  assert.equal(wordCount("Okay, so I need the sum."), 6);
  assert.equal(wordCount("Then x = 3 — done"), 4, "= and — are not words; 3 is");
  assert.equal(wordCount("we get x\nnext  line"), 5);
  assert.equal(wordCount("所以答案是 4"), 6);
  assert.equal(wordCount("don't re-check"), 2);
});

test("a thought's head has its length, and its time when the page saw it written", () => {
  assert.equal(thoughtLength(1, null), "1 word");
  assert.equal(thoughtLength(312, null), "312 words");
  assert.equal(thoughtLength(312, 8.44), "312 words · 8.4 s");
  assert.equal(thoughtLength(40, 75), "40 words · 1 min 15 s");
});

test("a sentence keeps its own final punctuation and gets a full stop only without one", () => {
  assert.equal(asSentence("The model ran out of memory."), "The model ran out of memory.");
  assert.equal(asSentence("The model ran out of memory"), "The model ran out of memory.");
  assert.equal(asSentence("Is the file there?"), "Is the file there?");
  assert.equal(asSentence("Stop!"), "Stop!");
  assert.equal(asSentence("It stopped…"), "It stopped…");
  assert.equal(asSentence('The model said "no."'), 'The model said "no."');
  assert.equal(asSentence("See the log (it has the details.)"), "See the log (it has the details.)");
  assert.equal(asSentence("  trailing space.  "), "trailing space.");
  assert.equal(asSentence("version 1.2"), "version 1.2.");
});

const lines = (summary, answered = true, steps = 3) => finishLines(summary, { answered, steps });

test("a plain stop with an answer and no figures says nothing", () => {
  assert.deepEqual(lines({ finish_reason: "stop" }), []);
  assert.deepEqual(lines({}), []);
});

test("an error is one sentence, with one full stop", () => {
  const failed = (error) => lines({ finish_reason: "error", error });
  assert.deepEqual(failed("The model ran out of memory. Choose a smaller model."), [
    ["error", "Generation failed: The model ran out of memory. Choose a smaller model."],
  ]);
  assert.deepEqual(failed("the disk is full"), [["error", "Generation failed: the disk is full."]]);
  assert.deepEqual(failed(null), [["error", "Generation failed: unknown error."]]);
  assert.deepEqual(failed(""), [["error", "Generation failed: unknown error."]]);
  assert.deepEqual(failed("   "), [["error", "Generation failed: unknown error."]]);
  assert.deepEqual(lines({ finish_reason: "error" }), [["error", "Generation failed: unknown error."]]);
});

test("a turn that stopped early says how", () => {
  assert.deepEqual(lines({ finish_reason: "length" }, false), [
    ["warn", "Stopped: the answer reached the length limit before it finished."],
  ]);
  assert.deepEqual(lines({ finish_reason: "cancelled" }, false), [["warn", "Stopped before the answer was finished."]]);
});

test("a finished turn without a boxed answer says so, one that stopped early or made nothing does not", () => {
  const noAnswer = ["warn", "No final answer in \\boxed{} was given."];
  assert.deepEqual(lines({ finish_reason: "stop" }, false), [noAnswer]);
  assert.deepEqual(lines({}, false), [noAnswer]);
  assert.deepEqual(lines({ finish_reason: "stop" }, false, 0), []);
  assert.deepEqual(lines({ finish_reason: "length" }, false).length, 1);
  assert.deepEqual(lines({ finish_reason: "error", error: "x." }, false), [["error", "Generation failed: x."]]);
});

test("the figures come last, on one line, each only when the summary has it", () => {
  const summary = { finish_reason: "stop", generated_tokens: 812, decode_tok_s: 23.456, elapsed_s: 35.04 };
  assert.deepEqual(lines(summary), [["stats", "812 tokens · 23.5 tokens/s · 35.0 s"]]);
  assert.deepEqual(lines({ generated_tokens: 1, decode_tok_s: 0 }), [["stats", "1 token"]]);
  assert.deepEqual(lines({ elapsed_s: 2 }), [["stats", "2.0 s"]]);
  assert.deepEqual(lines({ finish_reason: "length", generated_tokens: 4096 }), [
    ["warn", "Stopped: the answer reached the length limit before it finished."],
    ["stats", "4096 tokens"],
  ]);
  assert.deepEqual(lines({ generated_tokens: "many", decode_tok_s: null }), []);
});

test("an interrupted turn says so", () => {
  assert.deepEqual(lines({ finish_reason: "interrupted" }, false), [
    ["warn", "Interrupted: Satori Desktop closed before this answer was finished."],
  ]);
});

test("durations read like a person says them", () => {
  assert.equal(seconds(0.01), "under 0.1 s");
  assert.equal(seconds(0.42), "0.4 s");
  assert.equal(seconds(12.34), "12.3 s");
  assert.equal(seconds(125.2), "2 min 05 s");
});
