/*
 * The transcript page of Satori Desktop.
 *
 * Python (satori_desktop/ui/transcript) turns the COAT events into small "ops" and calls
 * `satori.apply(ops)` at most once per frame. Markdown arrives as HTML made by markdown-it with raw HTML
 * disabled (everything the model wrote is escaped); math arrives as `span.math[data-tex]` elements that
 * this file typesets with KaTeX (trust: false). Every other piece of model or user text goes through
 * textContent, never innerHTML.
 *
 * The page's one call back into Python is the answer card's "Copy LaTeX": a web channel whose only slot is
 * `copy_text` (satori_desktop/ui/transcript/bridge.py says why that way).
 *
 * Streaming: a step holds finished blocks, which are typeset once and never touched again, and one open
 * block, which is replaced on each update. Its KaTeX output comes from a cache, so re-showing a formula
 * that was typeset in the previous frame costs a string copy, not a new layout.
 */
"use strict";

(function () {
  const KATEX_OPTIONS = {
    throwOnError: true, // we catch and show the source instead of KaTeX's red error text
    trust: false, // no \href, \url, \includegraphics, \htmlClass...: model text gets no links or ids
    strict: "ignore",
    errorColor: "#8a5a00", // what KaTeX shows for an untrusted command (\href...): muted, not alarm red
    output: "htmlAndMathml", // MathML is what word processors turn into equations on paste
    maxSize: 20,
    maxExpand: 1000,
  };
  const CACHE_LIMIT = 3000;
  const PREVIEW_CHARS = 240;

  const LABELS = {
    reflect: "Checking the work",
    explore: "Trying another way",
  };

  // Our own constant markup (never model text), so building it with innerHTML is safe.
  const ICONS = {
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

  const katexReady = typeof window.katex !== "undefined";
  const texCache = new Map();
  let keepSectionsOpen = false;
  let currentTurn = null;
  // Python's clipboard (bridge.py), once the web channel is connected; null in the preview and the export.
  let clipboardBridge = null;
  const COPIED_MS = 1600;

  function el(tag, className) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    return node;
  }

  function renderTex(tex, display) {
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
  function typeset(root) {
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

  function showNotice(text) {
    const notice = document.getElementById("notice");
    notice.textContent = text;
    notice.hidden = false;
  }

  /* ---------- turns and steps ---------- */

  function newTurn(questionHtml) {
    const turn = {
      el: el("article", "turn"),
      stepsEl: el("div", "steps"),
      summaryEl: el("button", "turn-summary"),
      answerEl: null,
      footerEl: el("div", "turn-footer"),
      steps: new Map(),
      streamingStep: null,
      groupEl: null, // the group new steps go into (see newStep)
      groupSize: 0,
      counts: { steps: 0, reflect: 0, explore: 0 },
    };
    if (questionHtml) {
      const q = el("div", "question markup");
      q.innerHTML = questionHtml; // markdown-it output with raw HTML disabled
      typeset(q);
      turn.el.appendChild(q);
    }
    turn.summaryEl.type = "button";
    turn.summaryEl.hidden = true;
    turn.summaryEl.addEventListener("click", () => {
      toggleAll(turn);
      afterReaderFold();
    });
    turn.footerEl.hidden = true;
    turn.el.append(turn.summaryEl, turn.stepsEl, turn.footerEl);
    document.getElementById("transcript").appendChild(turn.el);
    currentTurn = turn;
    return turn;
  }

  function ensureTurn() {
    return currentTurn || newTurn("");
  }

  function foldable(action) {
    return action === "reflect" || action === "explore";
  }

  function setOpen(step, open) {
    if (!step.fold) return;
    step.el.classList.toggle("is-open", open);
    step.headEl.setAttribute("aria-expanded", open ? "true" : "false");
    if (!open) showPreview(step);
  }

  /* A one-line taste of a folded section: its words with their formulas typeset, as the reader saw them.
     Inline math is KaTeX (from the cache: the section typeset it already); a display formula that fits on
     a line is typeset inline, and a larger one (an environment, several lines) becomes a quiet "⋯". It is
     built once, when the finished section folds, never while text streams.

     The preview lives in a shadow root: it repeats what the section holds, so it must not count as more
     content of the page (queries, select-all copying, export all see the section once), and KaTeX's
     stylesheet reaches it through one shared constructed sheet. */
  const PREVIEW_CSS = `
    :host { font-style: normal; }
    .katex { font-size: 1.05em; line-height: 1; }
    .katex .katex-html { white-space: nowrap; }
    .formula-gap { color: var(--faint); padding: 0 0.2em; letter-spacing: 0.05em; }
    .formula-source { font-family: var(--font-mono); font-size: 0.88em; }
  `;
  const PREVIEW_DISPLAY_INLINE_CHARS = 60;
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

  function fitsOnALine(tex) {
    return tex.length <= PREVIEW_DISPLAY_INLINE_CHARS && !/\\begin|\\\\|\\over\b|\\atop\b/.test(tex);
  }

  function previewFormula(tex, display) {
    if (display && !fitsOnALine(tex)) {
      const gap = el("span", "formula-gap");
      gap.textContent = "⋯";
      gap.title = "a formula";
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

  function buildPreview(step) {
    const parts = [];
    // In source characters: more than a line holds, so the line's own ellipsis (CSS) does the cutting,
    // while a long section costs no more than a short one.
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
    walk(step.bodyEl);
    if (budget <= 0 && parts.length && !/…$/.test(parts[parts.length - 1].textContent || "")) {
      parts.push(document.createTextNode(" …"));
    }
    const root = step.previewEl.shadowRoot || step.previewEl.attachShadow({ mode: "open" });
    root.adoptedStyleSheets = [previewStyleSheet()];
    root.replaceChildren(...parts);
    step.previewBuilt = step.ended === true;
  }

  function showPreview(step) {
    if (!step.previewBuilt) buildPreview(step);
  }

  /* Steps go into groups of GROUP_STEPS. A group whose steps are all finished is "done" and the page may
     skip drawing it while it is off screen (`content-visibility: auto`, transcript.css); the group still
     filling, with the streaming step in it, is always drawn, so text just added is there for the next read
     of the page, not one lazy frame later. Whole groups rather than single steps, because Chromium pays
     for every skippable element on every frame (a visibility check each), which on a long answer grew
     with it; a group costs that once for eight steps, and what is drawn anyway is at most one group of
     finished steps. (The other cost that grew with the answer, a walk of the whole document each time an
     element gained the style containment that content-visibility implies, is gone: transcript.css.) */
  const GROUP_STEPS = 8;

  function sealGroup(turn) {
    if (turn.groupEl) turn.groupEl.classList.add("is-done");
  }

  function setStreaming(step, streaming) {
    step.streaming = streaming;
    step.el.classList.toggle("is-streaming", streaming);
  }

  function newStep(turn, index, action) {
    const step = { action: action, fold: foldable(action), el: el("section", "step step-" + action) };
    step.el.dataset.index = String(index);
    step.bodyEl = el("div", "step-body");
    step.openEl = el("div", "block markup open-block");
    step.bodyEl.appendChild(step.openEl);
    if (step.fold) {
      step.el.classList.add("fold", "is-open");
      step.headEl = el("button", "fold-head");
      step.headEl.type = "button";
      const icon = el("span", "fold-icon");
      icon.innerHTML = ICONS[action];
      const label = el("span", "fold-label");
      label.textContent = LABELS[action];
      step.previewEl = el("span", "fold-preview");
      const chevron = el("span", "fold-chevron");
      chevron.innerHTML = ICONS.chevron;
      step.headEl.append(icon, label, step.previewEl, chevron);
      step.headEl.setAttribute("aria-expanded", "true");
      step.headEl.addEventListener("click", () => {
        setOpen(step, !step.el.classList.contains("is-open"));
        updateSummary(turn);
        afterReaderFold();
      });
      step.el.append(step.headEl, step.bodyEl);
    } else {
      step.el.appendChild(step.bodyEl);
    }
    // A new step folds the section that was streaming before it. Only the newest step streams, so the
    // turn remembers it: no walk over every step of a long answer.
    const previous = turn.streamingStep;
    if (previous) {
      if (!keepSectionsOpen && previous.fold) setOpen(previous, false);
      setStreaming(previous, false);
    }
    setStreaming(step, true);
    turn.streamingStep = step;
    turn.steps.set(index, step);
    if (!turn.groupEl || turn.groupSize >= GROUP_STEPS) {
      sealGroup(turn);
      turn.groupEl = el("div", "step-group");
      turn.groupSize = 0;
      turn.stepsEl.appendChild(turn.groupEl);
    }
    turn.groupEl.appendChild(step.el);
    turn.groupSize += 1;
    turn.counts.steps += 1;
    if (step.fold) turn.counts[action] += 1;
    updateSummary(turn);
    return step;
  }

  function getStep(turn, index) {
    return turn.steps.get(index) || newStep(turn, index, "continue");
  }

  function appendBlocks(step, htmlList) {
    for (const html of htmlList) {
      const block = el("div", "block markup");
      block.innerHTML = html; // markdown-it output with raw HTML disabled
      typeset(block);
      step.bodyEl.insertBefore(block, step.openEl);
    }
  }

  /* The open block while it streams. Each update brings its whole HTML again, but mostly only its end has
     changed: a few words, a formula that closed. The new HTML is parsed into a detached template and only
     the part that differs replaces the shown one, so the formulas and lines already on screen keep their
     KaTeX output, style and layout: the page re-does the last text run, not the whole paragraph.
     A node taken from the template keeps a pristine copy of itself (`source`, before KaTeX), which is how a
     later update knows it is unchanged; a node updated in place drops it, so it is never wrongly kept. */
  const template = document.createElement("template");
  const sources = new WeakMap();

  function sameAsShown(shown, fresh) {
    if (shown.nodeType === Node.TEXT_NODE) return fresh.nodeType === Node.TEXT_NODE && shown.data === fresh.data;
    return sources.has(shown) && sources.get(shown).isEqualNode(fresh);
  }

  function canUpdateInPlace(shown, fresh) {
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
  function reconcile(shown, fresh) {
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

  function setOpenBlock(step, html) {
    template.innerHTML = html; // markdown-it output with raw HTML disabled
    reconcile(step.openEl, template.content);
    typeset(step.openEl);
  }

  function endStep(turn, step) {
    step.openEl.remove();
    step.ended = true;
    if (step.fold && !step.el.classList.contains("is-open")) showPreview(step);
  }

  function plural(n, one, many) {
    return n + " " + (n === 1 ? one : many);
  }

  function updateSummary(turn) {
    const c = turn.counts;
    if (c.steps === 0) return;
    const parts = [plural(c.steps, "step", "steps")];
    if (c.reflect) parts.push(plural(c.reflect, "check", "checks"));
    if (c.explore) parts.push(plural(c.explore, "change of approach", "changes of approach"));
    const sections = [...turn.steps.values()].filter((s) => s.fold);
    let action = "";
    if (sections.length) {
      action = sections.some((s) => !s.el.classList.contains("is-open")) ? "Show all" : "Fold all";
    }
    turn.summaryEl.textContent = "";
    const text = el("span", "summary-text");
    text.textContent = parts.join(" · ");
    turn.summaryEl.appendChild(text);
    if (action) {
      const link = el("span", "summary-action");
      link.textContent = action;
      turn.summaryEl.appendChild(link);
    }
    turn.summaryEl.disabled = !sections.length;
    turn.summaryEl.hidden = false;
  }

  function toggleAll(turn) {
    const sections = [...turn.steps.values()].filter((s) => s.fold);
    const open = sections.some((s) => !s.el.classList.contains("is-open"));
    for (const s of sections) setOpen(s, open);
    updateSummary(turn);
  }

  /* "Copy LaTeX": the answer's source goes to the system clipboard through Python (bridge.py), as plain
     text, so pasting into LaTeX, Markdown or a word processor's equation editor gets exactly the TeX. The
     text comes from the turn (what the answer op brought), never from the DOM. The button shows only once
     the bridge is connected (`can-copy` on the root, transcript.css). */
  function copyButton(turn) {
    const button = el("button", "answer-copy");
    button.type = "button";
    button.title = "Copy the answer's LaTeX source to the clipboard";
    const icon = el("span", "answer-copy-icon");
    icon.innerHTML = ICONS.copy;
    const text = el("span", "answer-copy-text");
    text.textContent = "Copy LaTeX";
    text.setAttribute("aria-live", "polite");
    button.append(icon, text);
    let timer = 0;
    const show = (copied, label) => {
      button.classList.toggle("is-copied", copied);
      icon.innerHTML = copied ? ICONS.copied : ICONS.copy;
      text.textContent = label;
    };
    button.addEventListener("click", () => {
      const latex = turn.answerLatex;
      if (!clipboardBridge || typeof latex !== "string" || !latex) return;
      clipboardBridge.copy_text(latex, (ok) => {
        clearTimeout(timer);
        show(!!ok, ok ? "Copied" : "Could not copy");
        timer = setTimeout(() => show(false, "Copy LaTeX"), COPIED_MS);
      });
    });
    return button;
  }

  function setAnswer(turn, latex) {
    if (!turn.answerEl) {
      turn.answerEl = el("div", "answer-card");
      const head = el("div", "answer-head");
      const icon = el("span", "answer-icon");
      icon.innerHTML = ICONS.answer;
      const label = el("span", "answer-label");
      label.textContent = "Answer";
      head.append(icon, label, copyButton(turn));
      turn.answerMathEl = el("div", "answer-math");
      turn.answerSourceEl = el("code", "answer-source");
      turn.answerEl.append(head, turn.answerMathEl, turn.answerSourceEl);
      turn.el.insertBefore(turn.answerEl, turn.footerEl); // after the steps, so it stays at the end
    }
    turn.answerLatex = latex;
    turn.answerSourceEl.textContent = latex;
    // The source line helps copying into LaTeX or Markdown; for a plain number it would only repeat it.
    turn.answerSourceEl.hidden = /^[\w\s.,+-]*$/.test(latex);
    turn.answerMathEl.textContent = "";
    const span = el("span", "math math-display");
    span.setAttribute("data-tex", latex);
    span.textContent = latex;
    turn.answerMathEl.appendChild(span);
    typeset(turn.answerMathEl);
  }

  function endTurn(turn, summary) {
    for (const step of turn.steps.values()) {
      if (!step.ended) endStep(turn, step);
      setStreaming(step, false);
      if (!keepSectionsOpen) setOpen(step, false);
    }
    turn.streamingStep = null;
    sealGroup(turn);
    updateSummary(turn);
    const lines = [];
    const reason = summary.finish_reason;
    if (reason === "length") lines.push(["warn", "Stopped: the answer reached the length limit before it finished."]);
    else if (reason === "cancelled") lines.push(["warn", "Stopped before the answer was finished."]);
    else if (reason === "error") lines.push(["error", "Generation failed: " + (summary.error || "unknown error") + "."]);
    if (!turn.answerEl && turn.counts.steps && (reason === undefined || reason === "stop")) {
      lines.push(["warn", "No final answer in \\boxed{} was given."]);
    }
    const stats = [];
    if (typeof summary.generated_tokens === "number") stats.push(plural(summary.generated_tokens, "token", "tokens"));
    if (typeof summary.decode_tok_s === "number" && summary.decode_tok_s > 0) stats.push(summary.decode_tok_s.toFixed(1) + " tokens/s");
    if (typeof summary.elapsed_s === "number") stats.push(summary.elapsed_s.toFixed(1) + " s");
    if (stats.length) lines.push(["stats", stats.join(" · ")]);
    turn.footerEl.textContent = "";
    for (const [kind, text] of lines) {
      const line = el("div", "footer-" + kind);
      line.textContent = text;
      turn.footerEl.appendChild(line);
    }
    turn.footerEl.hidden = lines.length === 0;
    turn.ended = true;
  }

  /* ---------- the API Python calls ---------- */

  function applyOp(op) {
    switch (op.op) {
      case "turn":
        newTurn(op.question_html || "");
        break;
      case "step": {
        const turn = ensureTurn();
        if (!turn.steps.has(op.index)) newStep(turn, op.index, op.action);
        break;
      }
      case "blocks":
        appendBlocks(getStep(ensureTurn(), op.index), op.html);
        break;
      case "open":
        setOpenBlock(getStep(ensureTurn(), op.index), op.html);
        break;
      case "step_end": {
        const turn = ensureTurn();
        const step = getStep(turn, op.index);
        if (!step.ended) endStep(turn, step);
        break;
      }
      case "answer":
        setAnswer(ensureTurn(), op.latex);
        break;
      case "end":
        endTurn(ensureTurn(), op.summary || {});
        break;
      case "clear":
        document.getElementById("transcript").textContent = "";
        currentTurn = null;
        break;
      case "keep_open":
        keepSectionsOpen = !!op.value;
        if (keepSectionsOpen) {
          for (const section of document.querySelectorAll(".step.fold")) section.classList.add("is-open");
          for (const head of document.querySelectorAll(".fold-head")) head.setAttribute("aria-expanded", "true");
          if (currentTurn) updateSummary(currentTurn);
        }
        break;
      default:
        console.error("satori: unknown op " + String(op.op));
    }
  }

  function nearBottom() {
    const root = document.scrollingElement;
    return root.scrollHeight - root.scrollTop - window.innerHeight < 48;
  }

  /* Following the bottom while text streams in. Whether to follow is the reader's choice, kept in a flag
     that scrolling changes: scrolling up stops it, coming back near the bottom resumes it. Only updates
     move the view: a section the reader opens or folds does not.

     Every scroll repaints the whole view, and without a GPU that is by far the dearest thing the page
     does (about ten times a frame that adds a line), so the view does not move for each new line. The
     transcript ends in a runway of empty space (its bottom padding, transcript.css); new lines fill it and
     the view moves only once the last line reaches the bottom edge, by the runway's height at once. The
     check runs once the frame's layout is done (a ResizeObserver on the transcript), so it never forces a
     layout of its own, and steps the page lays out lazily are measured at their real size. */
  let following = true;
  let followPending = false;
  let followedTo = 0;
  let transcriptEl = null;
  let runwayPx = 0;

  function measureRunway() {
    runwayPx = parseFloat(getComputedStyle(transcriptEl).paddingBottom) || 0;
  }

  function onScroll() {
    if (nearBottom()) following = true;
    else if (document.scrollingElement.scrollTop < followedTo - 1) following = false;
  }

  /* The reader opened or folded sections: the view stays where it is, and keeps following only if the
     bottom is still in view (opening pushes it down; folding pulls it up to the reader). */
  function afterReaderFold() {
    following = nearBottom();
    followPending = false;
  }

  let hasRunway = false;

  function onTranscriptResize() {
    // The last line's bottom edge, relative to the view: the runway below it does not count.
    const textBottom = transcriptEl.getBoundingClientRect().bottom - runwayPx;
    const tall = textBottom + document.scrollingElement.scrollTop + 48 > window.innerHeight;
    if (tall !== hasRunway) {
      hasRunway = tall;
      document.documentElement.classList.toggle("runway", tall);
      measureRunway(); // the padding changes; the text stays where it is
    }
    followBottom(textBottom);
  }

  function followBottom(textBottom) {
    if (!following || !followPending) return;
    const root = document.scrollingElement;
    if (textBottom > window.innerHeight - 2) {
      const bottom = root.scrollHeight - window.innerHeight;
      if (bottom > root.scrollTop) window.scrollTo(0, bottom);
    }
    followedTo = root.scrollTop;
  }

  window.satori = {
    /* "ok", or "katex-missing" when the page runs without KaTeX (the notice says what to do). */
    status() {
      return katexReady ? "ok" : "katex-missing";
    },
    apply(ops) {
      for (const op of ops) applyOp(op);
      followPending = true;
      return ops.length;
    },
    setPreview(html) {
      const box = document.getElementById("preview");
      box.innerHTML = html; // markdown-it output with raw HTML disabled
      typeset(box);
      return Math.ceil(document.documentElement.getBoundingClientRect().height);
    },
    /* The rendered transcript (typeset, no scripts) for a standalone HTML export. */
    exportHtml() {
      const copy = document.getElementById("transcript").cloneNode(true);
      // A file has no clipboard bridge and runs no script: controls would be dead text there.
      for (const control of copy.querySelectorAll(".answer-copy")) control.remove();
      for (const button of copy.querySelectorAll("button")) {
        const div = el("div", button.className);
        while (button.firstChild) div.appendChild(button.firstChild);
        button.replaceWith(div);
      }
      for (const open of copy.querySelectorAll(".open-block")) open.remove();
      return copy.outerHTML;
    },
    /* For a picture of the whole transcript (export): lay out and paint every step, on screen or not,
       like a page without lazy rendering. */
    renderAll() {
      document.documentElement.classList.add("render-all");
      return true;
    },
    contentHeight() {
      return Math.ceil(document.documentElement.getBoundingClientRect().height);
    },
  };

  /* The web channel to Python exists on the transcript page only (qwebchannel.js is injected by Qt, see
     bridge.py); everywhere else the copy button stays hidden. */
  function connectBridge() {
    if (typeof window.QWebChannel !== "function" || !window.qt || !window.qt.webChannelTransport) return;
    new window.QWebChannel(window.qt.webChannelTransport, (channel) => {
      const bridge = channel.objects.clipboard;
      if (bridge && typeof bridge.copy_text === "function") {
        clipboardBridge = bridge;
        document.documentElement.classList.add("can-copy");
      }
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    const transcript = document.getElementById("transcript");
    if (transcript) {
      connectBridge();
      // The problem preview shares this file but has no transcript to follow.
      transcriptEl = transcript;
      measureRunway();
      window.addEventListener("resize", measureRunway, { passive: true });
      window.addEventListener("scroll", onScroll, { passive: true });
      new ResizeObserver(onTranscriptResize).observe(transcript);
    }
    if (!katexReady) {
      showNotice(
        "The app's web assets are missing (KaTeX), so formulas show as source. " +
          "Run `python packaging/fetch_web_assets.py` in the source folder, or reinstall the app."
      );
    }
  });
})();
