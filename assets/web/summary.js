/*
 * What a turn says about itself, as plain data: the summary line above its steps, and the finish lines of
 * its footer. Pure functions of counts and of the summary the app sends when the turn ends
 * (`finish_reason`, `error`, `generated_tokens`, `decode_tok_s`, `elapsed_s`, each may be missing).
 */

export function plural(n, one, many) {
  return n + " " + (n === 1 ? one : many);
}

/* The counts a turn keeps as its steps start and its sections open or fold. */
export function emptyCounts() {
  return { steps: 0, reflect: 0, explore: 0, folded: 0 };
}

/* The summary line: `text` ("5 steps · 1 check"), and `action`, what clicking it does to the foldable
   sections ("Show all" while any is folded, else "Fold all"; "" when there are none). */
export function summaryLine(counts) {
  const parts = [plural(counts.steps, "step", "steps")];
  if (counts.reflect) parts.push(plural(counts.reflect, "check", "checks"));
  if (counts.explore) parts.push(plural(counts.explore, "change of approach", "changes of approach"));
  let action = "";
  if (counts.reflect + counts.explore > 0) action = counts.folded > 0 ? "Show all" : "Fold all";
  return { text: parts.join(" · "), action };
}

/* A message as a sentence: its own final punctuation kept, a full stop added only when it has none. */
export function asSentence(text) {
  const trimmed = text.trim();
  return /[.!?…][)\]"'”’]*$/.test(trimmed) ? trimmed : trimmed + ".";
}

/* A duration as the footer shows it: "0.4 s", "12.3 s", "2 min 05 s"; under a tenth, "under 0.1 s". */
export function seconds(value) {
  if (value < 0.05) return "under 0.1 s";
  if (value < 60) return value.toFixed(1) + " s";
  const whole = Math.round(value);
  return Math.floor(whole / 60) + " min " + String(whole % 60).padStart(2, "0") + " s";
}

/* The footer's lines, `[kind, text]` with kind "warn", "error" or "stats": how the turn ended when it was
   not a plain stop, a missing \boxed{} answer, and the figures the summary has. */
export function finishLines(summary, { answered, steps }) {
  const lines = [];
  const reason = summary.finish_reason;
  if (reason === "length") lines.push(["warn", "Stopped: the answer reached the length limit before it finished."]);
  else if (reason === "cancelled") lines.push(["warn", "Stopped before the answer was finished."]);
  else if (reason === "interrupted") {
    lines.push(["warn", "Interrupted: Satori Desktop closed before this answer was finished."]);
  }
  else if (reason === "error") {
    const error = typeof summary.error === "string" && summary.error.trim() ? summary.error : "unknown error";
    lines.push(["error", "Generation failed: " + asSentence(error)]);
  }
  if (!answered && steps && (reason === undefined || reason === "stop")) {
    lines.push(["warn", "No final answer in \\boxed{} was given."]);
  }
  const stats = [];
  if (typeof summary.generated_tokens === "number") stats.push(plural(summary.generated_tokens, "token", "tokens"));
  if (typeof summary.decode_tok_s === "number" && summary.decode_tok_s > 0) {
    stats.push(summary.decode_tok_s.toFixed(1) + " tokens/s");
  }
  if (typeof summary.elapsed_s === "number") stats.push(seconds(summary.elapsed_s));
  if (stats.length) lines.push(["stats", stats.join(" · ")]);
  return lines;
}
