// Typesetting the markup's formulas with the real KaTeX, and its cache (assets/web/katex-cache.js).
import "./page-dom.mjs";

import assert from "node:assert/strict";
import { test } from "node:test";

import { CACHE_LIMIT, katexReady, renderTex, typeset } from "../../assets/web/katex-cache.js";

const box = (html) => {
  const root = document.createElement("div");
  root.innerHTML = html;
  return root;
};

test("KaTeX is there", () => {
  assert.equal(katexReady, true);
});

test("inline and display formulas are typeset, with MathML for pasting", () => {
  const root = box(
    '<p>Let <span class="math math-inline" data-tex="x^2">$x^2$</span> be</p>' +
      '<span class="math math-display" data-tex="\\frac{a}{b}">$$\\frac{a}{b}$$</span>'
  );
  typeset(root);
  const [inline, display] = root.querySelectorAll("span.math");
  assert.ok(inline.classList.contains("typeset") && inline.querySelector(".katex"));
  assert.equal(inline.querySelector(".katex-display"), null);
  assert.ok(display.classList.contains("typeset") && display.querySelector(".katex-display"));
  assert.equal(display.querySelector("annotation").textContent, "\\frac{a}{b}");
});

test("a formula KaTeX cannot read keeps its source, with the reason in a tooltip", () => {
  const root = box('<span class="math math-inline" data-tex="\\frac{a">$\\frac{a$</span>');
  typeset(root);
  const span = root.firstChild;
  assert.ok(span.classList.contains("math-error") && !span.classList.contains("typeset"));
  assert.equal(span.textContent, "$\\frac{a$");
  assert.match(span.title, /^This formula could not be typeset: KaTeX parse error/);
  assert.equal(root.querySelectorAll(".katex-error").length, 0);
});

test("untrusted commands make no links", () => {
  const root = box('<span class="math math-inline" data-tex="\\href{https://example.com}{x}">x</span>');
  typeset(root);
  assert.equal(root.querySelectorAll("a").length, 0);
});

test("what is typeset or failed already is left alone", () => {
  const root = box(
    '<span class="math math-inline typeset" data-tex="x">kept</span>' +
      '<span class="math math-inline math-error" data-tex="\\frac{">kept too</span>'
  );
  typeset(root);
  assert.deepEqual([...root.children].map((span) => span.innerHTML), ["kept", "kept too"]);
});

test("a formula shown again comes from the cache, inline and display apart", () => {
  const first = renderTex("a^2+b^2", false);
  assert.equal(renderTex("a^2+b^2", false), first);
  assert.notEqual(renderTex("a^2+b^2", true), first);
  assert.ok(renderTex("a^2+b^2", true).html.includes("katex-display"));
  const failed = renderTex("\\frac{", false);
  assert.equal(renderTex("\\frac{", false), failed);
  assert.equal(failed.html, undefined);
});

test("the cache keeps at most CACHE_LIMIT formulas, dropping the oldest", () => {
  const oldest = renderTex("z_{0}", false);
  for (let i = 1; i <= CACHE_LIMIT; i++) renderTex(`z_{${i}}`, false);
  const newest = renderTex(`z_{${CACHE_LIMIT}}`, false);
  assert.equal(renderTex(`z_{${CACHE_LIMIT}}`, false), newest);
  const again = renderTex("z_{0}", false);
  assert.notEqual(again, oldest);
  assert.equal(again.html, oldest.html);
});
