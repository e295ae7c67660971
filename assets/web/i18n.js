/*
 * The page's words in the app's language. Every label, tooltip and footer line the page writes itself goes
 * through `t(english, ...values)` or, for a count, `tn(n, one, many)`; the English in the call is the key.
 * Python sends the translations once, as the `strings` op (satori_desktop/ui/i18n/page.py lists the keys,
 * translated in the app's one .ts file with everything else): `{english: translation}`, and for a count
 * `{many: {one, other}}`. Without it, or for a key it lacks, the page shows its own English.
 *
 * Placeholders are Qt's: `%1`, `%2` for values, `%n` for the count.
 */

let strings = {};
let language = "en";
const listeners = [];

/* Take the app's translations and its language ("en", "zh-CN"); what the page shows already is retold. */
export function setStrings(lang, dictionary) {
  strings = dictionary && typeof dictionary === "object" ? dictionary : {};
  language = typeof lang === "string" && lang ? lang : "en";
  document.documentElement.lang = language;
  for (const listener of listeners) listener();
}

/* The language the page speaks now. */
export function pageLanguage() {
  return language;
}

/* Call `listener` whenever new strings arrive (for text written before they did). */
export function onStrings(listener) {
  listeners.push(listener);
}

function fill(text, values) {
  return text.replace(/%([1-9])/g, (whole, digit) => {
    const index = Number(digit) - 1;
    return index < values.length ? String(values[index]) : whole;
  });
}

/* `english` in the app's language, its %1, %2, ... replaced by `values`. */
export function t(english, ...values) {
  const translated = strings[english];
  return fill(typeof translated === "string" && translated ? translated : english, values);
}

/* A count with its words: `one` ("%n step") for 1, `many` ("%n steps") otherwise, or their translation
   (kept under `many`); %n is the count. */
export function tn(n, one, many) {
  const entry = strings[many];
  let text = n === 1 ? one : many;
  if (entry && typeof entry === "object") {
    const translated = n === 1 ? entry.one : entry.other;
    if (typeof translated === "string" && translated) text = translated;
  }
  return text.replace(/%n/g, String(n));
}
