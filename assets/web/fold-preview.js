/*
 * The one-line taste of a folded section, shown in its head: its words with their formulas typeset, as
 * the reader saw them. Inline math is KaTeX (from the cache: the section typeset it already); a display
 * formula that fits on a line is typeset inline, and a larger one (an environment, several lines) becomes
 * a quiet "⋯". It is built once, when the finished section folds, never while text streams.
 *
 * The preview lives in a shadow root: it repeats what the section holds, so it must not count as more
 * content of the page (queries, select-all copying, export all see the section once), and KaTeX's
 * stylesheet reaches it through one shared constructed sheet.
 */
import { el } from "./dom.js";
import { t } from "./i18n.js";
import { katexReady, renderTex } from "./katex-cache.js";

// In source characters: more than a line holds, so the line's own ellipsis (CSS) does the cutting, while
// a long section costs no more than a short one.
export const PREVIEW_CHARS = 240;
const PREVIEW_DISPLAY_INLINE_CHARS = 60;
const PREVIEW_CSS = `
  :host { font-style: normal; }
  .katex { font-size: 1.05em; line-height: 1; }
  .katex .katex-html { white-space: nowrap; }
  .formula-gap { color: var(--faint); padding: 0 0.2em; letter-spacing: 0.05em; }
  .formula-source { font-family: var(--font-mono); font-size: 0.88em; }
`;
let previewSheet = null;

function previewStyleSheet() {
  if (previewSheet === null) {
    let css = "";
    for (const sheet of document.styleSheets) {
      if (!sheet.href || !sheet.href.endsWith("/katex/katex.min.css")) continue;
      for (const rule of sheet.cssRules) {
        // Fonts are already known to the document; a shadow root ignores @font-face anyway.
        if (!(rule instanceof CSSFontFaceRule)) css += rule.cssText + "\n";
      }
    }
    previewSheet = new CSSStyleSheet();
    previewSheet.replaceSync(css + PREVIEW_CSS);
  }
  return previewSheet;
}

/* Whether a display formula reads well inline: short, one line, no environment. */
export function fitsOnALine(tex) {
  return tex.length <= PREVIEW_DISPLAY_INLINE_CHARS && !/\\begin|\\\\|\\over\b|\\atop\b/.test(tex);
}

function previewFormula(tex, display) {
  if (display && !fitsOnALine(tex)) {
    const gap = el("span", "formula-gap");
    gap.textContent = "⋯";
    gap.title = t("a formula");
    return gap;
  }
  const span = el("span", "formula");
  const result = katexReady ? renderTex(tex, false) : { error: "no KaTeX" };
  if (result.html !== undefined) {
    span.innerHTML = result.html; // KaTeX output (trust: false), not model text
  } else {
    span.className = "formula-source";
    span.textContent = tex;
  }
  return span;
}

/* The preview's nodes for a section body: its text with runs of white space made one, blocks joined by a
   space, formulas as above, cut after about PREVIEW_CHARS characters of source. */
export function previewNodes(bodyEl) {
  const parts = [];
  let budget = PREVIEW_CHARS;
  let pendingSpace = false;
  const addText = (text) => {
    const words = text.replace(/\s+/g, " ");
    if (!words.trim()) {
      pendingSpace = parts.length > 0;
      return;
    }
    let piece = (pendingSpace || /^\s/.test(words)) && parts.length ? " " + words.trimStart() : words.trimStart();
    pendingSpace = false;
    if (piece.length > budget) piece = piece.slice(0, budget).trimEnd() + "…";
    budget -= piece.length;
    parts.push(document.createTextNode(piece));
  };
  const walk = (node) => {
    if (budget <= 0) return;
    if (node.nodeType === Node.TEXT_NODE) {
      addText(node.nodeValue);
    } else if (node.nodeType === Node.ELEMENT_NODE) {
      if (node.classList.contains("math")) {
        const tex = (node.getAttribute("data-tex") || "").trim();
        if (!tex) return;
        if (pendingSpace && parts.length) parts.push(document.createTextNode(" "));
        pendingSpace = false;
        const display = node.classList.contains("math-display");
        const shown = previewFormula(tex, display);
        parts.push(shown);
        budget -= shown.classList.contains("formula-gap") ? 2 : tex.length;
        if (display) pendingSpace = true;
      } else {
        for (const child of node.childNodes) walk(child);
        if (/^(P|LI|DIV|H\d|BR|PRE)$/.test(node.tagName)) pendingSpace = true;
      }
    }
  };
  walk(bodyEl);
  if (budget <= 0 && parts.length && !/…$/.test(parts[parts.length - 1].textContent || "")) {
    parts.push(document.createTextNode(" …"));
  }
  return parts;
}

/* Fill the step's preview unless it is built already; built for good only once the step has ended. */
export function showPreview(step) {
  if (step.previewBuilt) return;
  const root = step.previewEl.shadowRoot || step.previewEl.attachShadow({ mode: "open" });
  root.adoptedStyleSheets = [previewStyleSheet()];
  root.replaceChildren(...previewNodes(step.bodyEl));
  step.previewBuilt = step.ended === true;
}
