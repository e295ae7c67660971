/*
 * The transcript page's document, for unit tests of its modules outside QtWebEngine: jsdom parses
 * assets/web/transcript.html (without running or loading its scripts), its window becomes the globals
 * the modules use, and the real KaTeX from assets/node_modules is `window.katex`. Import this before any
 * page module (module-level code of the page reads these globals).
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const assets = new URL("../../assets/", import.meta.url);
const require = createRequire(new URL("package.json", assets));
const { JSDOM } = require("jsdom");

const dom = new JSDOM(readFileSync(new URL("web/transcript.html", assets), "utf8"), {
  url: "satori://app/web/transcript.html",
});
const { window } = dom;
window.katex = require("katex");
// jsdom lays nothing out: no scrolling element and no resize observer. The page only reads their figures
// (all 0 here), so stand-ins that report nothing let its start-up run as in the app.
Object.defineProperty(window.document, "scrollingElement", { get: () => window.document.documentElement });
window.ResizeObserver = class {
  observe() {}
};

for (const name of ["document", "Node", "CSSStyleSheet", "CSSFontFaceRule", "getComputedStyle", "ResizeObserver"]) {
  globalThis[name] = window[name];
}
globalThis.window = window;

export { window };
