/* What every part of the page builds with: elements, and the page's own icons. */

export function el(tag, className) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  return node;
}

// Our own constant markup (never model text), so building it with innerHTML is safe.
export const ICONS = {
  reflect:
    '<svg viewBox="0 0 20 20" aria-hidden="true"><circle cx="8.5" cy="8.5" r="5.5" fill="none" ' +
    'stroke="currentColor" stroke-width="1.8"/><path d="M12.6 12.6 17 17" stroke="currentColor" ' +
    'stroke-width="2" stroke-linecap="round"/><path d="M6 8.7l1.8 1.8 3.1-3.4" fill="none" ' +
    'stroke="currentColor" stroke-width="1.6" stroke-linecap="round" stroke-linejoin="round"/></svg>',
  explore:
    '<svg viewBox="0 0 20 20" aria-hidden="true"><path d="M4 17V11c0-3 2-4.5 5-4.5h6" fill="none" ' +
    'stroke="currentColor" stroke-width="1.8" stroke-linecap="round"/><path d="M12.5 3.5 15.5 6.5 ' +
    '12.5 9.5" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" ' +
    'stroke-linejoin="round"/><circle cx="4" cy="17" r="1.6" fill="currentColor"/></svg>',
  // A thought bubble: another model's thinking.
  think:
    '<svg viewBox="0 0 20 20" aria-hidden="true"><path d="M6.2 12.6C4 12.4 2.6 10.9 2.6 9c0-2 1.6-3.5 ' +
    '3.6-3.5.5-1.8 2.1-3 4-3 2 0 3.6 1.3 4 3.1 1.9.1 3.3 1.6 3.3 3.4 0 1.9-1.6 3.5-3.6 3.5H6.2z" ' +
    'fill="none" stroke="currentColor" stroke-width="1.7" stroke-linejoin="round"/>' +
    '<circle cx="6.2" cy="15.4" r="1.3" fill="currentColor"/><circle cx="3.6" cy="17.6" r="0.9" ' +
    'fill="currentColor"/></svg>',
  answer:
    '<svg viewBox="0 0 20 20" aria-hidden="true"><circle cx="10" cy="10" r="8" fill="none" ' +
    'stroke="currentColor" stroke-width="1.8"/><path d="M6.3 10.2l2.5 2.5 5-5.3" fill="none" ' +
    'stroke="currentColor" stroke-width="1.9" stroke-linecap="round" stroke-linejoin="round"/></svg>',
  copy:
    '<svg viewBox="0 0 20 20" aria-hidden="true"><rect x="7" y="7" width="9.5" height="10" rx="1.8" ' +
    'fill="none" stroke="currentColor" stroke-width="1.6"/><path d="M13 4.8V4.6c0-.9-.7-1.6-1.6-1.6H5.1' +
    'c-.9 0-1.6.7-1.6 1.6v7.8c0 .9.7 1.6 1.6 1.6h.4" fill="none" stroke="currentColor" stroke-width="1.6" ' +
    'stroke-linecap="round"/></svg>',
  copied:
    '<svg viewBox="0 0 20 20" aria-hidden="true"><path d="M4.5 10.5l3.5 3.5 7.5-8" fill="none" ' +
    'stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"/></svg>',
  chevron:
    '<svg viewBox="0 0 20 20" aria-hidden="true"><path d="M7.5 5l5 5-5 5" fill="none" ' +
    'stroke="currentColor" stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round"/></svg>',
};
