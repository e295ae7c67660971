/*
 * The open block while it streams. Each update brings its whole HTML again, but mostly only its end has
 * changed: a few words, a formula that closed. The new HTML is parsed into a detached template and only
 * the part that differs replaces the shown one, so the formulas and lines already on screen keep their
 * KaTeX output, style and layout: the page re-does the last text run, not the whole paragraph.
 *
 * A node taken from the template keeps a pristine copy of itself (`sources`, before KaTeX), which is how
 * a later update knows it is unchanged; a node updated in place drops it, so it is never wrongly kept.
 */

const template = document.createElement("template");
const sources = new WeakMap();

/* Whether a shown node stands for the fresh one unchanged (a typeset formula is compared by its source). */
export function sameAsShown(shown, fresh) {
  if (shown.nodeType === Node.TEXT_NODE) return fresh.nodeType === Node.TEXT_NODE && shown.data === fresh.data;
  return sources.has(shown) && sources.get(shown).isEqualNode(fresh);
}

/* Whether the shown element can take the fresh one's children without being replaced: the same plain
   container (not a formula), with the same attributes. */
export function canUpdateInPlace(shown, fresh) {
  return (
    shown.nodeType === Node.ELEMENT_NODE &&
    fresh.nodeType === Node.ELEMENT_NODE &&
    shown.tagName === fresh.tagName &&
    !shown.classList.contains("math") &&
    !shown.classList.contains("math-pending") &&
    shown.attributes.length === fresh.attributes.length &&
    shown.className === fresh.className
  );
}

/* Make `shown`'s children match `fresh`'s (fresh is consumed): keep the equal ones at both ends, go into
   a single changed container (a paragraph, a list, its last item), replace anything else. */
export function reconcile(shown, fresh) {
  const shownKids = Array.from(shown.childNodes);
  const freshKids = Array.from(fresh.childNodes);
  let start = 0;
  while (start < shownKids.length && start < freshKids.length && sameAsShown(shownKids[start], freshKids[start])) {
    start++;
  }
  let shownEnd = shownKids.length;
  let freshEnd = freshKids.length;
  while (shownEnd > start && freshEnd > start && sameAsShown(shownKids[shownEnd - 1], freshKids[freshEnd - 1])) {
    shownEnd--;
    freshEnd--;
  }
  if (shownEnd - start === 1 && freshEnd - start === 1 && canUpdateInPlace(shownKids[start], freshKids[start])) {
    sources.delete(shownKids[start]);
    reconcile(shownKids[start], freshKids[start]);
    return;
  }
  const before = shownEnd < shownKids.length ? shownKids[shownEnd] : null;
  for (let k = start; k < shownEnd; k++) shown.removeChild(shownKids[k]);
  for (let k = start; k < freshEnd; k++) {
    const node = freshKids[k];
    if (node.nodeType === Node.ELEMENT_NODE) sources.set(node, node.cloneNode(true));
    shown.insertBefore(node, before);
  }
}

/* Show `html` (markdown-it output with raw HTML disabled) in `shown`, changing only what differs. */
export function reconcileHtml(shown, html) {
  template.innerHTML = html;
  reconcile(shown, template.content);
}
