// The copy menu's page half (assets/web/context-menu.js and copy-export.js), in jsdom: what a right-click
// says it is about, the answer card's split button, the copy notice, and the exported HTML without
// controls. Python's bridge is a stand-in that records what the page asks of it.
import { window } from "./page-dom.mjs";

import assert from "node:assert/strict";
import { beforeEach, test } from "node:test";

const requests = [];
const copies = [];
const bridge = {
  copy_text(text, callback) {
    copies.push(text);
    if (callback) callback(true);
  },
  show_menu(payload) {
    requests.push(JSON.parse(payload));
  },
};
// What Qt's qwebchannel.js gives the page: the published objects, by name.
window.qt = { webChannelTransport: {} };
window.QWebChannel = class {
  constructor(transport, ready) {
    ready({ objects: { clipboard: bridge } });
  }
};

const { copyRequestFor, formulaOnPath } = await import("../../assets/web/context-menu.js");
const { connectBridge, exportHtml, notify } = await import("../../assets/web/copy-export.js");
await import("../../assets/web/transcript.js");

const { satori } = window;
const $ = (selector) => document.querySelector(selector);
const $$ = (selector) => [...document.querySelectorAll(selector)];
const transcript = document.getElementById("transcript");
connectBridge(transcript);

const math = (tex, display = false) =>
  `<span class="math ${display ? "math-display" : "math-inline"}" data-tex="${tex}">$${tex}$</span>`;

function solution() {
  satori.apply([
    { op: "clear" },
    { op: "turn", question_html: `<p>Solve ${math("2x = 4")}</p>` },
    { op: "step", index: 0, action: "start" },
    { op: "blocks", index: 0, html: [`<p>Divide by two: ${math("x = 2", true)}</p>`] },
    { op: "step", index: 1, action: "reflect" },
    { op: "blocks", index: 1, html: [`<p>Check: ${math("2 \\cdot 2 = 4")} holds.</p>`] },
    { op: "answer", latex: "\\frac{4}{2}" },
    { op: "end", summary: { finish_reason: "stop" } },
  ]);
}

function rightClick(target, x = 12, y = 34) {
  const event = new window.MouseEvent("contextmenu", { bubbles: true, cancelable: true, clientX: x, clientY: y });
  target.dispatchEvent(event);
  return event;
}

beforeEach(() => {
  requests.length = 0;
  copies.length = 0;
  solution();
});

test("the bridge is connected: copying is offered", () => {
  assert.ok(document.documentElement.classList.contains("can-copy"));
});

test("a right-click on a formula asks for the formula menu with its TeX, display or inline", () => {
  const display = $(".step-start .katex");
  const event = rightClick(display, 40, 50);
  assert.equal(event.defaultPrevented, true, "the view's own menu must not show as well");
  assert.deepEqual(requests.pop(), { kind: "formula", latex: "x = 2", display: true, turn: 0, step: 0, x: 40, y: 50 });
  rightClick($(".step-reflect .katex .mord"));
  assert.deepEqual(requests.pop(), {
    kind: "formula", latex: "2 \\cdot 2 = 4", display: false, turn: 0, step: 1, x: 12, y: 34,
  });
  rightClick($(".question .katex"));
  assert.deepEqual(requests.pop(), { kind: "formula", latex: "2x = 4", display: false, turn: 0, step: null, x: 12, y: 34 });
});

test("a right-click on a step's text asks for the step menu, elsewhere in a turn the solution menu", () => {
  rightClick($(".step-start p"));
  assert.deepEqual(requests.pop(), { kind: "step", turn: 0, step: 0, x: 12, y: 34 });
  rightClick($(".question"));
  assert.deepEqual(requests.pop(), { kind: "solution", turn: 0, x: 12, y: 34 });
  rightClick($(".turn-summary"));
  assert.equal(requests.pop().kind, "solution");
});

test("anywhere on the answer card means the answer", () => {
  rightClick($(".answer-label"));
  assert.deepEqual(requests.pop(), {
    kind: "formula", latex: "\\frac{4}{2}", display: true, turn: 0, step: null, x: 12, y: 34,
  });
});

test("turns are told apart by their place on the page", () => {
  satori.apply([
    { op: "turn", question_html: "<p>Second</p>" },
    { op: "step", index: 0, action: "start" },
    { op: "blocks", index: 0, html: [`<p>${math("y")}</p>`] },
  ]);
  rightClick($$(".turn")[1].querySelector(".katex"));
  assert.equal(requests.pop().turn, 1);
  rightClick($$(".turn")[0].querySelector(".step p"));
  assert.equal(requests.pop().turn, 0);
});

test("outside every turn the page leaves the right-click to the view's own menu", () => {
  const event = rightClick(transcript);
  assert.equal(event.defaultPrevented, false);
  assert.equal(requests.length, 0);
});

test("a formula without data-tex (a folded preview's shadow copy) is found by KaTeX's annotation", () => {
  const holder = document.createElement("div");
  holder.innerHTML = window.katex.renderToString("a^2 + b^2", { displayMode: true, output: "htmlAndMathml" });
  const inner = holder.querySelector(".katex-html .mord");
  const path = [];
  for (let node = inner; node; node = node.parentNode) path.push(node);
  assert.deepEqual(formulaOnPath(path), { latex: "a^2 + b^2", display: true });
  assert.equal(copyRequestFor(inner, path), null, "not in a turn: nothing to ask");
});

test("the answer card's split button: Copy LaTeX, and an arrow that opens the menu below itself", () => {
  const group = $(".answer-copy-group");
  assert.equal(group.getAttribute("role"), "group");
  const [copy, more] = group.querySelectorAll("button");
  assert.equal(copy.className, "answer-copy");
  assert.equal(copy.textContent, "Copy LaTeX");
  copy.click();
  assert.deepEqual(copies, ["\\frac{4}{2}"]);
  assert.equal(more.className, "answer-copy-more");
  assert.equal(more.getAttribute("aria-haspopup"), "menu");
  assert.ok(more.getAttribute("aria-label"));
  more.click();
  const request = requests.pop();
  assert.deepEqual(
    [request.kind, request.latex, request.display, request.turn, request.align],
    ["formula", "\\frac{4}{2}", true, 0, "right"]
  );
  // From the keyboard: Down on the first half opens the menu too.
  const down = new window.KeyboardEvent("keydown", { key: "ArrowDown", bubbles: true, cancelable: true });
  copy.dispatchEvent(down);
  assert.equal(down.defaultPrevented, true);
  assert.equal(requests.pop().latex, "\\frac{4}{2}");
});

test("the copy notice is a polite live region with the text as text", () => {
  assert.equal(notify({ text: "<b>Copied</b> for Word.", ok: true }), true);
  const box = $("#copy-notice");
  assert.equal(box.getAttribute("role"), "status");
  assert.equal(box.getAttribute("aria-live"), "polite");
  assert.equal(box.textContent, "<b>Copied</b> for Word.");
  assert.equal(box.children.length, 0);
  assert.ok(box.classList.contains("is-shown") && !box.classList.contains("is-problem"));
  satori.notify({ text: "Its LaTeX was copied instead.", ok: false });
  assert.ok(box.classList.contains("is-problem"));
  assert.equal($$("#copy-notice").length, 1);
  assert.equal(notify({}), false);
  assert.ok(!transcript.contains(box), "not part of the transcript (nor of an export)");
});

test("an export has no copy controls", () => {
  const exported = new window.DOMParser().parseFromString(exportHtml(), "text/html");
  assert.equal(exported.querySelectorAll(".answer-copy-group, .answer-copy, .answer-copy-more, button").length, 0);
  assert.ok(exported.querySelector(".answer-card .katex"));
});
