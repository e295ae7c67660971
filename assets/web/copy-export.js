/*
 * What leaves the page: the answer's LaTeX through "Copy LaTeX", and the transcript as standalone HTML
 * for an export.
 *
 * The page's one call back into Python is "Copy LaTeX": a web channel whose only slot is `copy_text`
 * (satori_desktop/ui/transcript/bridge.py says why that way). The channel exists on the transcript page
 * only (qwebchannel.js is injected by Qt); in the preview and in an export the copy button stays hidden.
 */
import { el, ICONS } from "./dom.js";
import { t } from "./i18n.js";

const COPIED_MS = 1600;

// Python's clipboard (bridge.py), once the web channel is connected.
let clipboardBridge = null;

export function connectBridge() {
  if (typeof window.QWebChannel !== "function" || !window.qt || !window.qt.webChannelTransport) return;
  new window.QWebChannel(window.qt.webChannelTransport, (channel) => {
    const bridge = channel.objects.clipboard;
    if (bridge && typeof bridge.copy_text === "function") {
      clipboardBridge = bridge;
      document.documentElement.classList.add("can-copy");
    }
  });
}

/* "Copy LaTeX" of a turn's answer card: the answer's source goes to the system clipboard as plain text,
   so pasting into LaTeX, Markdown or a word processor's equation editor gets exactly the TeX. The text
   comes from the turn (what the answer op brought), never from the DOM. The button shows only once the
   bridge is connected (`can-copy` on the root, transcript.css). */
export function copyButton(turn) {
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
  return button;
}

/* The rendered transcript (typeset, no scripts) for a standalone HTML export. */
export function exportHtml() {
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
}
