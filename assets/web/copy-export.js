/*
 * What leaves the page: the answer's LaTeX through "Copy LaTeX", the copy menu (context-menu.js), and the
 * transcript as standalone HTML for an export.
 *
 * The page's calls back into Python go through a web channel object with two slots, `copy_text` and
 * `show_menu` (satori_desktop/ui/transcript/bridge.py says why that way). The channel exists on the
 * transcript page only (qwebchannel.js is injected by Qt); in the preview and in an export the copy
 * controls stay hidden.
 */
import { installCopyMenu, requestMenu, turnIndex } from "./context-menu.js";
import { el, ICONS } from "./dom.js";
import { t } from "./i18n.js";

const COPIED_MS = 1600;
const NOTICE_MS = 2600;
const NOTICE_PROBLEM_MS = 7000;

// Python's side (bridge.py), once the web channel is connected.
let clipboardBridge = null;

/* Connect to Python's bridge; right-clicks in `transcript` then open the copy menu. */
export function connectBridge(transcript) {
  if (typeof window.QWebChannel !== "function" || !window.qt || !window.qt.webChannelTransport) return;
  installCopyMenu(transcript, pageBridge);
  new window.QWebChannel(window.qt.webChannelTransport, (channel) => {
    const bridge = channel.objects.clipboard;
    if (bridge && typeof bridge.copy_text === "function") {
      clipboardBridge = bridge;
      document.documentElement.classList.add("can-copy");
    }
  });
}

/* The bridge, or null before it is connected (or where there is none). */
export function pageBridge() {
  return clipboardBridge;
}

/* Ask Python to open solution `index` of a "solve several times" turn (samples.js). */
export function openSample(turn, index) {
  if (clipboardBridge && typeof clipboardBridge.open_sample === "function") {
    clipboardBridge.open_sample(turnIndex(turn.el), index);
  }
}

/* The answer card's copy controls, a split button: "Copy LaTeX" copies the answer's source as plain text
   (pasting into LaTeX, Markdown or an equation editor gets exactly the TeX; the text comes from the turn,
   what the answer op brought, never from the DOM); the arrow beside it, or Alt+Down / Down on the first
   half, opens the copy menu (for Word, Markdown, plain text, a picture, the whole solution). Both are real
   buttons, in the tab order. They show only once the bridge is connected (`can-copy` on the root,
   transcript.css). */
export function copyButton(turn) {
  const group = el("span", "answer-copy-group");
  group.setAttribute("role", "group");
  group.setAttribute("aria-label", t("Copy the answer"));
  const button = el("button", "answer-copy");
  button.type = "button";
  button.title = t("Copy the answer's LaTeX source to the clipboard");
  const icon = el("span", "answer-copy-icon");
  icon.innerHTML = ICONS.copy;
  const text = el("span", "answer-copy-text");
  text.textContent = t("Copy LaTeX");
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
      show(!!ok, ok ? t("Copied") : t("Could not copy"));
      timer = setTimeout(() => show(false, t("Copy LaTeX")), COPIED_MS);
    });
  });
  const more = el("button", "answer-copy-more");
  more.type = "button";
  more.title = t("More ways to copy: for Word, as Markdown, as plain text, as a picture");
  more.setAttribute("aria-label", t("More ways to copy the answer"));
  more.setAttribute("aria-haspopup", "menu");
  more.innerHTML = ICONS.chevron; // turned to point down (transcript.css)
  more.addEventListener("click", () => openAnswerMenu(turn, more));
  button.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown") {
      event.preventDefault();
      openAnswerMenu(turn, more);
    }
  });
  group.append(button, more);
  return group;
}

/* The copy menu of a turn's answer, under the arrow button, its right edge at the button's (the button
   ends the card's head). */
export function openAnswerMenu(turn, anchor) {
  const latex = turn.answerLatex;
  if (typeof latex !== "string" || !latex) return false;
  const rect = anchor.getBoundingClientRect();
  const request = { kind: "formula", latex, display: true, turn: turnIndex(turn.el), step: null, align: "right" };
  return requestMenu(clipboardBridge, request, rect.right, rect.bottom);
}

/* A short note of what a copy did (Python sends `{text, ok}`; `ok` false: it fell back, and says how).
   A polite live region, so a screen reader reads it too; it goes away by itself. */
let noticeTimer = 0;
export function notify(message) {
  const text = message && typeof message.text === "string" ? message.text : "";
  if (!text) return false;
  let box = document.getElementById("copy-notice");
  if (!box) {
    box = el("div", "copy-notice");
    box.id = "copy-notice";
    box.setAttribute("role", "status");
    box.setAttribute("aria-live", "polite");
    document.body.appendChild(box);
  }
  box.textContent = text;
  box.classList.toggle("is-problem", message.ok === false);
  box.classList.add("is-shown");
  clearTimeout(noticeTimer);
  noticeTimer = setTimeout(() => box.classList.remove("is-shown"), message.ok === false ? NOTICE_PROBLEM_MS : NOTICE_MS);
  return true;
}

/* The rendered transcript (typeset, no scripts) for a standalone HTML export. */
export function exportHtml() {
  const copy = document.getElementById("transcript").cloneNode(true);
  // A file has no clipboard bridge and runs no script: controls would be dead text there.
  for (const control of copy.querySelectorAll(".answer-copy-group")) control.remove();
  for (const button of copy.querySelectorAll("button")) {
    const div = el("div", button.className);
    while (button.firstChild) div.appendChild(button.firstChild);
    button.replaceWith(div);
  }
  for (const open of copy.querySelectorAll(".open-block")) open.remove();
  return copy.outerHTML;
}
