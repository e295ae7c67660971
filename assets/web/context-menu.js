/*
 * The copy menu: a right-click (or the keyboard's context-menu key) on a formula, a step or a turn asks
 * Python for its native copy menu, saying only what was clicked and where:
 *
 *   {kind: "formula", latex, display, turn, step}   a formula anywhere (steps, question, answer card,
 *                                                   a folded section's preview)
 *   {kind: "step", turn, step}                      a step's text outside a formula
 *   {kind: "solution", turn}                        the rest of a turn (question, summary, footer)
 *
 * plus `x`, `y`, the click in viewport pixels. Python builds the menu, the clipboard formats and the
 * notice (satori_desktop/ui/transcript/copy_menu.py says why a native menu rather than one drawn here).
 * Outside every turn, or without the bridge, the page leaves the event alone and the view's own small
 * menu (Copy, Select all) shows.
 *
 * A formula's TeX is the `data-tex` of its `span.math` (core/markup.py and the answer card set it); in
 * the shadow root of a folded section's preview there is none, so KaTeX's own MathML annotation
 * (`<annotation encoding="application/x-tex">`) tells it there.
 */
/* The position of a turn's element among the page's turns: what Python knows the turn by. */
export function turnIndex(turnEl) {
  return [...document.querySelectorAll("#transcript > .turn")].indexOf(turnEl);
}

function isElement(node) {
  return !!node && node.nodeType === 1;
}

/* The formula on the event's path: `{latex, display}`, or null. */
export function formulaOnPath(path) {
  for (const node of path) {
    if (isElement(node) && node.matches("span.math[data-tex]")) {
      const latex = node.getAttribute("data-tex");
      if (latex) return { latex, display: node.classList.contains("math-display") };
    }
  }
  for (const node of path) {
    if (isElement(node) && node.classList.contains("katex")) {
      const annotation = node.querySelector('annotation[encoding="application/x-tex"]');
      if (annotation && annotation.textContent) {
        const display = !!(node.parentElement && node.parentElement.classList.contains("katex-display"));
        return { latex: annotation.textContent, display };
      }
    }
  }
  return null;
}

/* What a right-click on `target` (with the event's composed path) is about, or null outside any turn. */
export function copyRequestFor(target, path) {
  const elements = (path && path.length ? path : [target]).filter(isElement);
  const inPage = elements.find((node) => node.getRootNode() === document) || null;
  const turnEl = inPage ? inPage.closest("#transcript > .turn") : null;
  if (!turnEl) return null;
  const turn = turnIndex(turnEl);
  // A step shown only as a hint (tutor mode) is not offered for copying: it would give the whole step.
  const stepEl = inPage.closest("section.step:not(.tutor-hinted)");
  const step = stepEl ? Number(stepEl.dataset.index) : null;
  let formula = formulaOnPath(elements);
  const card = inPage.closest(".answer-card");
  if (!formula && card) {
    // Anywhere on the answer card (its label, its source line) means the answer.
    formula = formulaOnPath([...card.querySelectorAll(".answer-math span.math[data-tex]")]);
  }
  if (formula) return { kind: "formula", latex: formula.latex, display: formula.display, turn, step };
  if (step !== null && Number.isInteger(step)) return { kind: "step", turn, step };
  return { kind: "solution", turn };
}

/* Ask Python (through `bridge`, bridge.py) to show the copy menu for `request` at viewport point (x, y);
   false without a bridge. */
export function requestMenu(bridge, request, x, y) {
  if (!bridge || typeof bridge.show_menu !== "function") return false;
  bridge.show_menu(JSON.stringify(Object.assign({}, request, { x: Math.round(x), y: Math.round(y) })));
  return true;
}

/* Right-clicks in `transcript` open the copy menu, through the bridge `getBridge()` returns then. */
export function installCopyMenu(transcript, getBridge) {
  transcript.addEventListener("contextmenu", (event) => {
    const request = copyRequestFor(event.target, event.composedPath());
    if (!request) return;
    if (requestMenu(getBridge(), request, event.clientX, event.clientY)) event.preventDefault();
  });
}
