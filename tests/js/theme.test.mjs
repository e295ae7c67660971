// The page's theme: the `theme` op puts `theme-dark` on the root or takes it off (assets/web/transcript.js),
// and transcript.css gives every colour of the light theme a dark value.
import { window } from "./page-dom.mjs";

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { afterEach, test } from "node:test";

import "../../assets/web/transcript.js";

const { satori } = window;
const root = document.documentElement;

afterEach(() => {
  satori.apply([{ op: "theme", value: "light" }, { op: "clear" }]);
});

test("the theme op switches the root between light and dark, and back", () => {
  assert.equal(root.classList.contains("theme-dark"), false);
  assert.equal(satori.apply([{ op: "theme", value: "dark" }]), 1);
  assert.equal(root.classList.contains("theme-dark"), true);
  satori.apply([{ op: "theme", value: "dark" }]); // the same theme again changes nothing
  assert.deepEqual([...root.classList].filter((name) => name.startsWith("theme-")), ["theme-dark"]);
  satori.apply([{ op: "theme", value: "light" }]);
  assert.equal(root.classList.contains("theme-dark"), false);
});

test("a turn on the page stays as it is when the theme changes", () => {
  satori.apply([
    { op: "turn", question_html: "<p>q</p>" },
    { op: "step", index: 0, action: "start" },
    { op: "blocks", index: 0, html: ["<p>one</p>"] },
    { op: "answer", latex: "2" },
    { op: "end", summary: { finish_reason: "stop" } },
  ]);
  const before = document.getElementById("transcript").innerHTML;
  satori.apply([{ op: "theme", value: "dark" }]);
  assert.equal(document.getElementById("transcript").innerHTML, before);
  assert.ok(root.classList.contains("theme-dark"));
});

test("an unknown theme is reported and changes nothing", () => {
  satori.apply([{ op: "theme", value: "dark" }]);
  const errors = [];
  const original = console.error;
  console.error = (message) => errors.push(String(message));
  try {
    satori.apply([{ op: "theme", value: "system" }, { op: "theme" }]);
  } finally {
    console.error = original;
  }
  assert.deepEqual(errors, ["satori: unknown theme system", "satori: unknown theme undefined"]);
  assert.ok(root.classList.contains("theme-dark"));
});

test("every colour variable of the light theme has a dark value, and only colours change", () => {
  const sheet = new window.CSSStyleSheet();
  sheet.replaceSync(readFileSync(new URL("../../assets/web/transcript.css", import.meta.url), "utf8"));
  const variables = (selector) => {
    const rule = [...sheet.cssRules].find((r) => r.selectorText === selector);
    assert.ok(rule, `transcript.css has no ${selector} rule`);
    const names = [...rule.style].filter((name) => name.startsWith("--"));
    return new Map(names.map((name) => [name, rule.style.getPropertyValue(name).trim()]));
  };
  const light = variables(":root");
  const dark = variables("html.theme-dark");
  const colours = [...light.keys()].filter((name) => light.get(name).startsWith("#"));
  assert.ok(colours.length >= 20, `only ${colours.length} colour variables found`);
  assert.deepEqual([...dark.keys()].sort(), colours.sort(), "dark must redefine exactly the colours");
  for (const name of colours) assert.notEqual(dark.get(name), light.get(name), `${name} is the same in both`);
});
