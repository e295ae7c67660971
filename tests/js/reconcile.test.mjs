// The open block's reconciler (assets/web/reconcile.js): the shown block always ends up as the new HTML,
// and what did not change stays the same node, typeset formulas included.
import "./page-dom.mjs";

import assert from "node:assert/strict";
import { test } from "node:test";

import { typeset } from "../../assets/web/katex-cache.js";
import { canUpdateInPlace, reconcileHtml, sameAsShown } from "../../assets/web/reconcile.js";

const parse = (html) => {
  const box = document.createElement("div");
  box.innerHTML = html;
  return box;
};
const inline = (tex) => `<span class="math math-inline" data-tex="${tex}">$${tex}$</span>`;
const display = (tex) => `<span class="math math-display" data-tex="${tex}">$$${tex}$$</span>`;

/* The shown content as the markup says it, whether or not KaTeX has typeset the formulas since. */
function describe(node) {
  if (node.nodeType === Node.TEXT_NODE) return node.data;
  if (node.classList.contains("math")) {
    return `[${node.className.replace(/ typeset| math-error/g, "")}:${node.getAttribute("data-tex")}]`;
  }
  return `<${node.tagName.toLowerCase()} ${node.className}>${[...node.childNodes].map(describe).join("")}</>`;
}

test("an empty block shows the first HTML as it is", () => {
  const shown = document.createElement("div");
  reconcileHtml(shown, `<p>We have ${inline("x")}</p>\n`);
  assert.equal(shown.innerHTML, parse(`<p>We have ${inline("x")}</p>\n`).innerHTML);
});

// What a block's first HTML brought is kept as a whole; once a container was updated in place, its children
// are the ones from that update, each kept from then on.
test("a growing paragraph keeps its element and its typeset formulas", () => {
  const shown = document.createElement("div");
  reconcileHtml(shown, `<p>We have ${inline("x^2 + 1")}</p>`);
  typeset(shown);
  const paragraph = shown.firstChild;
  reconcileHtml(shown, `<p>We have ${inline("x^2 + 1")} and</p>`);
  typeset(shown);
  assert.equal(shown.firstChild, paragraph, "the paragraph is updated in place");
  const formula = shown.querySelector("span.math");
  assert.ok(formula.classList.contains("typeset") && formula.querySelector(".katex"));

  for (const more of [" and so", " and so on, with", " and so on, with " + inline("y")]) {
    reconcileHtml(shown, `<p>We have ${inline("x^2 + 1")}${more}</p>`);
    assert.equal(shown.firstChild, paragraph);
    assert.equal(shown.querySelector("span.math"), formula, "the typeset formula is kept");
  }
  assert.ok(formula.classList.contains("typeset"));
  typeset(shown);
  assert.equal(shown.querySelectorAll("span.math.typeset").length, 2);
  assert.ok(paragraph.textContent.endsWith("and so on, with " + shown.querySelectorAll("span.math")[1].textContent));
});

test("a formula whose source changed is replaced, and typeset again", () => {
  const shown = document.createElement("div");
  reconcileHtml(shown, `<p>Then ${inline("a")} and</p>`);
  typeset(shown);
  const before = shown.querySelector("span.math");
  reconcileHtml(shown, `<p>Then ${inline("a+b")} and</p>`);
  const after = shown.querySelector("span.math");
  assert.notEqual(after, before);
  assert.equal(after.getAttribute("data-tex"), "a+b");
  assert.ok(!after.classList.contains("typeset"));
  typeset(shown);
  assert.ok(after.classList.contains("typeset"));
});

test("a formula still being written becomes the finished formula", () => {
  const shown = document.createElement("div");
  reconcileHtml(shown, `<p>open <span class="math-pending">$$x+</span></p>`);
  reconcileHtml(shown, `<p>open <span class="math-pending">$$x+1</span></p>`);
  assert.equal(shown.querySelector(".math-pending").textContent, "$$x+1");
  reconcileHtml(shown, `<p>open ${display("x+1")}</p>`);
  assert.equal(shown.querySelectorAll(".math-pending").length, 0);
  assert.equal(shown.querySelector("span.math").getAttribute("data-tex"), "x+1");
});

test("a node updated in place is never taken for its old self", () => {
  const shown = document.createElement("div");
  reconcileHtml(shown, "<p>a</p>");
  const paragraph = shown.firstChild;
  reconcileHtml(shown, "<p>ab</p>");
  assert.equal(shown.firstChild, paragraph);
  reconcileHtml(shown, "<p>a</p>");
  assert.equal(shown.innerHTML, "<p>a</p>");
});

test("blocks before and after the change stay the same nodes", () => {
  const shown = document.createElement("div");
  reconcileHtml(shown, "<p>First</p>\n<ul>\n<li>one</li>\n</ul>\n");
  const first = shown.firstChild;
  const list = shown.querySelector("ul");
  reconcileHtml(shown, "<p>First</p>\n<ul>\n<li>one</li>\n<li>two</li>\n</ul>\n");
  assert.equal(shown.firstChild, first);
  assert.equal(shown.querySelector("ul"), list);
  const one = list.children[0];
  reconcileHtml(shown, "<p>First</p>\n<ul>\n<li>one</li>\n<li>two and</li>\n</ul>\n");
  reconcileHtml(shown, "<p>First</p>\n<ul>\n<li>one</li>\n<li>two and</li>\n<li>three</li>\n</ul>\n");
  assert.equal(shown.firstChild, first);
  assert.equal(shown.querySelector("ul"), list);
  assert.equal(list.children[0], one);
  assert.deepEqual([...list.children].map((li) => li.textContent), ["one", "two and", "three"]);
});

test("sameAsShown: equal text, or an element from an earlier update with an equal source", () => {
  const text = document.createTextNode("x");
  assert.ok(sameAsShown(text, document.createTextNode("x")));
  assert.ok(!sameAsShown(text, document.createTextNode("y")));
  assert.ok(!sameAsShown(text, parse("<b>x</b>").firstChild));
  assert.ok(!sameAsShown(parse("<p>x</p>").firstChild, parse("<p>x</p>").firstChild), "never shown by the reconciler");
  const shown = document.createElement("div");
  reconcileHtml(shown, "<p>x</p>");
  assert.ok(sameAsShown(shown.firstChild, parse("<p>x</p>").firstChild));
  assert.ok(!sameAsShown(shown.firstChild, parse("<p>y</p>").firstChild));
});

test("canUpdateInPlace: the same plain container, never a formula", () => {
  const one = (html) => parse(html).firstChild;
  assert.ok(canUpdateInPlace(one("<p>a</p>"), one("<p>b</p>")));
  assert.ok(canUpdateInPlace(one('<ol start="3"><li>a</li></ol>'), one('<ol start="4"><li>b</li></ol>')));
  assert.ok(!canUpdateInPlace(one("<p>a</p>"), one("<ul><li>a</li></ul>")));
  assert.ok(!canUpdateInPlace(one('<p class="x">a</p>'), one("<p>a</p>")));
  assert.ok(!canUpdateInPlace(one("<ol><li>a</li></ol>"), one('<ol start="2"><li>a</li></ol>')));
  assert.ok(!canUpdateInPlace(one(inline("a")), one(inline("b"))));
  const pending = (source) => one(`<span class="math-pending">${source}</span>`);
  assert.ok(!canUpdateInPlace(pending("$a"), pending("$ab")));
  assert.ok(!canUpdateInPlace(document.createTextNode("a"), document.createTextNode("b")));
});

/* A small seeded generator (mulberry32), so a failure is the same on every run. */
function random(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test("any sequence of updates shows the last HTML, typeset or not", () => {
  const next = random(7);
  const pick = (items) => items[Math.floor(next() * items.length)];
  const words = ["so", "we", "get", "Then", " ", "x", "1.5"];
  const formulas = ["x", "x^2", "\\frac{a}{b}", "a+b", "\\sqrt{2}"];
  const inlinePart = () =>
    pick([
      () => pick(words) + " ",
      () => inline(pick(formulas)),
      () => `<span class="math-pending">$${pick(formulas)}</span>`,
      () => `<strong>${pick(words)}</strong>`,
    ])();
  const run = () => Array.from({ length: 1 + Math.floor(next() * 4) }, inlinePart).join("");
  const block = () =>
    pick([
      () => `<p>${run()}</p>\n`,
      () => `<ul>\n${Array.from({ length: 1 + Math.floor(next() * 3) }, () => `<li>${run()}</li>\n`).join("")}</ul>\n`,
      () => `<p>${run()}${display(pick(formulas))}${run()}</p>\n`,
    ])();
  for (const withKatex of [false, true]) {
    const shown = document.createElement("div");
    let blocks = [];
    const shownBefore = [];
    for (let update = 0; update < 250; update++) {
      // Mostly what streaming does (the last block changes, a block is added), at times a new start or
      // the state before the last change again (which a node wrongly kept as unchanged would get wrong).
      const roll = next();
      if (roll < 0.55 && blocks.length) blocks[blocks.length - 1] = block();
      else if (roll < 0.85) blocks.push(block());
      else if (roll < 0.9) blocks = [block()];
      else if (shownBefore.length > 1) blocks = [...shownBefore[shownBefore.length - 2]];
      shownBefore.push([...blocks]);
      const html = blocks.join("");
      reconcileHtml(shown, html);
      if (withKatex) typeset(shown);
      if (withKatex) assert.equal(describe(shown), describe(parse(html)));
      else assert.equal(shown.innerHTML, parse(html).innerHTML);
    }
  }
});
