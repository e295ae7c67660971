/*
 * Typesetting: every `span.math[data-tex]` (made by satori_desktop/core/markup.py) becomes KaTeX output,
 * with trust: false. Results are cached by source, so re-showing a formula that was typeset in the
 * previous frame (the open block is rebuilt while it streams) costs a string copy, not a new layout.
 */

const KATEX_OPTIONS = {
  throwOnError: true, // we catch and show the source instead of KaTeX's red error text
  trust: false, // no \href, \url, \includegraphics, \htmlClass...: model text gets no links or ids
  strict: "ignore",
  errorColor: "#8a5a00", // what KaTeX shows for an untrusted command (\href...): muted, not alarm red
  output: "htmlAndMathml", // MathML is what word processors turn into equations on paste
  maxSize: 20,
  maxExpand: 1000,
};

// Formulas kept; past it the oldest goes first.
export const CACHE_LIMIT = 3000;

/* False when the page runs without KaTeX (its assets are missing): formulas then show as source. */
export const katexReady = typeof window.katex !== "undefined";

const texCache = new Map();

/* `{html}` for a formula KaTeX can typeset, else `{error}` with KaTeX's reason. */
export function renderTex(tex, display) {
  const key = (display ? "D" : "I") + tex;
  let entry = texCache.get(key);
  if (entry === undefined) {
    try {
      entry = { html: window.katex.renderToString(tex, Object.assign({ displayMode: display }, KATEX_OPTIONS)) };
    } catch (err) {
      entry = { error: String((err && err.message) || err) };
    }
    if (texCache.size >= CACHE_LIMIT) texCache.delete(texCache.keys().next().value);
    texCache.set(key, entry);
  }
  return entry;
}

/* Typeset every `span.math` under root that is not typeset yet. */
export function typeset(root) {
  if (!katexReady) return;
  for (const span of root.querySelectorAll("span.math:not(.typeset):not(.math-error)")) {
    const display = span.classList.contains("math-display");
    const result = renderTex(span.getAttribute("data-tex") || "", display);
    if (result.html !== undefined) {
      span.innerHTML = result.html; // KaTeX output (trust: false), not model text
      span.classList.add("typeset");
    } else {
      // Keep the source the span already shows (as text), styled; the reason goes in a tooltip.
      span.classList.add("math-error");
      span.title = "This formula could not be typeset: " + result.error;
    }
  }
}
