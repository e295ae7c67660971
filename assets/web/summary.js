/*
 * What a turn says about itself, as plain data: the summary line above its steps, a thought's length, and
 * the finish lines of its footer. Pure functions of counts, of text and of the summary the app sends when
 * the turn ends (`finish_reason`, `error`, `generated_tokens`, `decode_tok_s`, `elapsed_s`, each may be
 * missing), in the app's language (i18n.js).
 */
import { t, tn } from "./i18n.js";

/* The counts a turn keeps as its steps start and its sections open or fold. */
export function emptyCounts() {
  return { steps: 0, reflect: 0, explore: 0, think: 0, folded: 0 };
}

/* The summary line: `text` ("5 steps · 1 check"; another model's "2 steps · 1 thought"), and `action`, what clicking it does to the foldable
   sections ("Show all" while any is folded, else "Fold all"; "" when there are none). */
export function summaryLine(counts) {
  const parts = [tn(counts.steps, "%n step", "%n steps")];
  if (counts.reflect) parts.push(tn(counts.reflect, "%n check", "%n checks"));
  if (counts.explore) parts.push(tn(counts.explore, "%n change of approach", "%n changes of approach"));
  if (counts.think) parts.push(tn(counts.think, "%n thought", "%n thoughts"));
  let action = "";
  if (counts.reflect + counts.explore + counts.think > 0) action = counts.folded > 0 ? t("Show all") : t("Fold all");
  return { text: parts.join(" · "), action };
}

// Scripts written without spaces between words: each character counts as a word.
const CJK_CHARACTER = /[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]/g;

/* How many words `text` has: runs between spaces that hold a letter or a digit (a lone "—" or "=" is not
   one), and each Chinese, Japanese or Korean character. */
export function wordCount(text) {
  const cjk = text.match(CJK_CHARACTER);
  const words = text
    .replace(CJK_CHARACTER, " ")
    .split(/\s+/)
    .filter((word) => /[\p{L}\p{N}]/u.test(word));
  return words.length + (cjk ? cjk.length : 0);
}

/* What a thought's head says about it besides "Thinking": its length ("312 words") and, when the page
   saw it being written, the time it took ("312 words · 8.4 s"); `elapsed` is null when that is not
   known (a thought shown from the history arrives whole). */
export function thoughtLength(words, elapsed) {
  const parts = [tn(words, "%n word", "%n words")];
  if (typeof elapsed === "number") parts.push(seconds(elapsed));
  return parts.join(" · ");
}

/* A message as a sentence: its own final punctuation kept (Chinese 。！？ too), a full stop added only when
   it has none. */
export function asSentence(text) {
  const trimmed = text.trim();
  return /[.!?…。！？][)\]"'”’）」]*$/.test(trimmed) ? trimmed : trimmed + ".";
}

/* A duration as the footer shows it: "0.4 s", "12.3 s", "2 min 05 s"; under a tenth, "under 0.1 s". */
export function seconds(value) {
  if (value < 0.05) return t("under 0.1 s");
  if (value < 60) return t("%1 s", value.toFixed(1));
  const whole = Math.round(value);
  return t("%1 min %2 s", Math.floor(whole / 60), String(whole % 60).padStart(2, "0"));
}

/* The footer's lines, `[kind, text]` with kind "warn", "error" or "stats": how the turn ended when it was
   not a plain stop, a missing \boxed{} answer, and the figures the summary has. */
export function finishLines(summary, { answered, steps }) {
  const lines = [];
  const reason = summary.finish_reason;
  if (reason === "length") lines.push(["warn", t("Stopped: the answer reached the length limit before it finished.")]);
  else if (reason === "cancelled") lines.push(["warn", t("Stopped before the answer was finished.")]);
  else if (reason === "interrupted") {
    lines.push(["warn", t("Interrupted: Satori Desktop closed before this answer was finished.")]);
  }
  else if (reason === "error") {
    // The sentence itself comes from the app as it was written (English: satori_desktop/ui/i18n says why).
    const error = typeof summary.error === "string" && summary.error.trim() ? summary.error : t("unknown error");
    lines.push(["error", t("Generation failed: %1", asSentence(error))]);
  }
  if (!answered && steps && (reason === undefined || reason === "stop")) {
    lines.push(["warn", t("No final answer in \\boxed{} was given.")]);
  }
  const stats = [];
  if (typeof summary.generated_tokens === "number") {
    stats.push(tn(summary.generated_tokens, "%n token", "%n tokens"));
  }
  if (typeof summary.decode_tok_s === "number" && summary.decode_tok_s > 0) {
    stats.push(t("%1 tokens/s", summary.decode_tok_s.toFixed(1)));
  }
  if (typeof summary.elapsed_s === "number") stats.push(seconds(summary.elapsed_s));
  if (stats.length) lines.push(["stats", stats.join(" · ")]);
  return lines;
}
