// The one-line preview of a folded section (assets/web/fold-preview.js): words and typeset formulas.
import "./page-dom.mjs";

import assert from "node:assert/strict";
import { test } from "node:test";

import { fitsOnALine, PREVIEW_CHARS, previewNodes } from "../../assets/web/fold-preview.js";

const body = (html) => {
  const root = document.createElement("div");
  root.innerHTML = html;
  return root;
};
const inline = (tex) => `<span class="math math-inline" data-tex="${tex}">$${tex}$</span>`;
const display = (tex) => `<span class="math math-display" data-tex="${tex}">$$${tex}$$</span>`;

/* The preview as a line of text: formulas as [tex], the gap for a large one as ⋯. */
function line(nodes) {
  return nodes
    .map((node) => {
      if (node.nodeType === Node.TEXT_NODE) return node.data;
      if (node.classList.contains("formula-gap")) return node.textContent;
      return "[" + (node.querySelector("annotation") || node).textContent + "]";
    })
    .join("");
}

test("a display formula fits on a line when short and of one line", () => {
  assert.ok(fitsOnALine("x^2 + y^2 = z^2"));
  assert.ok(fitsOnALine("\\frac{a}{b} = c"));
  assert.ok(!fitsOnALine("x".repeat(61)));
  assert.ok(fitsOnALine("x".repeat(60)));
  assert.ok(!fitsOnALine("\\begin{aligned} a &= b \\end{aligned}"));
  assert.ok(!fitsOnALine("a \\\\ b"));
  assert.ok(!fitsOnALine("{a \\over b}"));
  assert.ok(!fitsOnALine("{a \\atop b}"));
  assert.ok(fitsOnALine("\\overline{x}"));
});

test("blocks read as one line of words, formulas typeset inline", () => {
  const nodes = previewNodes(
    body(
      `<div class="block markup"><p>Check   ${inline("x=2")}:\n it works.</p></div>` +
        `<div class="block markup"><p>Next</p></div>`
    )
  );
  assert.equal(line(nodes), "Check [x=2]: it works. Next");
  const formula = nodes.find((node) => node.nodeType === Node.ELEMENT_NODE);
  assert.equal(formula.className, "formula");
  assert.ok(formula.querySelector(".katex") && !formula.querySelector(".katex-display"));
});

test("a display formula is inline when it fits, a quiet gap when it does not", () => {
  const large = display("\\begin{aligned}a&=b\\end{aligned}");
  const nodes = previewNodes(body(`<p>So ${display("a+b")} and ${large} done</p>`));
  assert.equal(line(nodes), "So [a+b] and ⋯ done");
  assert.equal(nodes.find((node) => node.className === "formula-gap").title, "a formula");
});

test("a formula KaTeX cannot read shows its source", () => {
  const nodes = previewNodes(body(`<p>Bad ${inline("\\frac{")}</p>`));
  const shown = nodes.find((node) => node.nodeType === Node.ELEMENT_NODE);
  assert.equal(shown.className, "formula-source");
  assert.equal(shown.textContent, "\\frac{");
});

test("empty formulas and empty paragraphs add nothing", () => {
  assert.equal(line(previewNodes(body(`<p>a ${inline("")} b</p><p> </p><p>c</p>`))), "a  b c");
  assert.deepEqual(previewNodes(body("")), []);
});

test("a long section is cut after about PREVIEW_CHARS characters of source", () => {
  const words = Array.from({ length: 200 }, (_, i) => "word" + i).join(" ");
  const text = line(previewNodes(body(`<p>${words}</p><p>never reached</p>`)));
  assert.ok(text.endsWith("…"));
  assert.ok(text.length <= PREVIEW_CHARS + 1);
  assert.ok(!text.includes("never reached"));

  const formulas = Array.from({ length: 80 }, (_, i) => inline("x_{" + i + "}")).join(" ");
  const nodes = previewNodes(body(`<p>${formulas}</p>`));
  assert.equal(nodes[nodes.length - 1].data, " …");
  assert.ok(nodes.filter((node) => node.nodeType === Node.ELEMENT_NODE).length < 50);
});
