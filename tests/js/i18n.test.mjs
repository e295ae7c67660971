// The page in the app's language: the `strings` op (satori_desktop/ui/i18n/page.py) and assets/web/i18n.js,
// in jsdom. Without strings the page is English (page.test.mjs and summary.test.mjs check that).
import { window } from "./page-dom.mjs";

import assert from "node:assert/strict";
import { test } from "node:test";

import "../../assets/web/transcript.js";
import { t, tn } from "../../assets/web/i18n.js";

const { satori } = window;
const $ = (selector) => document.querySelector(selector);

const CHINESE = {
  "Checking the work": "自我检查",
  "Trying another way": "换一种思路",
  Answer: "答案",
  "Show all": "全部展开",
  "Fold all": "全部折叠",
  "%1 s": "%1 秒",
  "%1 tokens/s": "%1 词元/秒",
  "Generation failed: %1": "生成失败：%1",
  "Ask a math question below. Satori's reasoning appears here, step by step.": "在下方输入一道数学题。",
  "%n steps": { one: "%n 个步骤", other: "%n 个步骤" },
  "%n checks": { one: "%n 次自我检查", other: "%n 次自我检查" },
  "%n tokens": { one: "%n 个词元", other: "%n 个词元" },
};

test("without strings the page speaks its own English", () => {
  assert.equal(t("Answer"), "Answer");
  assert.equal(t("Generation failed: %1", "no memory."), "Generation failed: no memory.");
  assert.equal(tn(1, "%n step", "%n steps"), "1 step");
  assert.equal(tn(3, "%n step", "%n steps"), "3 steps");
  assert.equal(document.documentElement.lang, "en");
});

test("placeholders are filled once, in the translation's order, and a missing value stays", () => {
  satori.apply([{ op: "strings", lang: "zh-CN", strings: { "%1 min %2 s": "%2 秒，共 %1 分" } }]);
  assert.equal(t("%1 min %2 s", "%2", 5), "5 秒，共 %2 分");
  assert.equal(t("%1 min %2 s", 3), "%2 秒，共 3 分");
  assert.equal(t("not in the dictionary"), "not in the dictionary");
});

test("the strings op turns the labels, the summary and the footer Chinese", () => {
  satori.apply([{ op: "strings", lang: "zh-CN", strings: CHINESE }, { op: "clear" }]);
  assert.equal(document.documentElement.lang, "zh-CN");
  assert.equal($("#transcript").dataset.emptyText, "在下方输入一道数学题。");
  satori.apply([
    { op: "turn", question_html: "<p>解方程</p>" },
    { op: "step", index: 0, action: "continue" },
    { op: "step", index: 1, action: "reflect" },
    { op: "step", index: 2, action: "explore" },
    { op: "answer", latex: "5" },
    { op: "end", summary: { finish_reason: "stop", generated_tokens: 1, decode_tok_s: 12.34, elapsed_s: 2.5 } },
  ]);
  const labels = [...document.querySelectorAll(".fold-label")].map((label) => label.textContent);
  assert.deepEqual(labels, ["自我检查", "换一种思路"]);
  assert.equal($(".answer-label").textContent, "答案");
  // A string the dictionary lacks stays English (the change of approach here).
  assert.equal($(".summary-text").textContent, "3 个步骤 · 1 次自我检查 · 1 change of approach");
  assert.equal($(".summary-action").textContent, "全部展开");
  assert.equal($(".turn-footer").textContent, "1 个词元 · 12.3 词元/秒 · 2.5 秒");
});

test("a failed turn's sentence keeps its Chinese full stop", () => {
  satori.apply([
    { op: "turn", question_html: "" },
    { op: "end", summary: { finish_reason: "error", error: "还没有加载模型。" } },
  ]);
  assert.equal([...document.querySelectorAll(".turn-footer")].pop().textContent, "生成失败：还没有加载模型。");
});
