/**
 * The current UI language: looking up strings, filling placeholders, translating the page.
 *
 * Static markup names its strings with attributes, and translatePage() fills them in as
 * plain text (never HTML):
 *   data-i18n="key"              -> textContent
 *   data-i18n-label="key"        -> aria-label
 *   data-i18n-placeholder="key"  -> placeholder
 *   data-i18n-title="key"        -> title
 * Dynamic text calls t("key", {param: value}). onLanguageChange() lets a module re-render.
 */

import { STRINGS } from "./strings.js";

export const LANGUAGES = Object.keys(STRINGS);
const FALLBACK = "de";
const listeners = new Set();
let current = FALLBACK;

/** The language in use ("de" or "en"). */
export function language() {
  return current;
}

/** Pick the language for a first visit: a saved choice, else the browser's, else the site's. */
export function preferredLanguage(siteLanguages, siteDefault) {
  const offered = siteLanguages.filter((lang) => LANGUAGES.includes(lang));
  const saved = localStorage.getItem("hubtwin.language");
  if (saved && offered.includes(saved)) return saved;
  if (offered.includes(siteDefault)) return siteDefault;
  return offered[0] ?? FALLBACK;
}

/** Switch the UI language, remember it, and retranslate the page. */
export function setLanguage(lang) {
  current = LANGUAGES.includes(lang) ? lang : FALLBACK;
  localStorage.setItem("hubtwin.language", current);
  document.documentElement.lang = current;
  translatePage(document);
  for (const listener of listeners) listener(current);
}

/** Call listener(lang) after every language switch. */
export function onLanguageChange(listener) {
  listeners.add(listener);
}

/** The string for key in the current language with {placeholders} filled. */
export function t(key, params = {}) {
  const table = STRINGS[current] ?? STRINGS[FALLBACK];
  let text = table[key] ?? STRINGS[FALLBACK][key];
  if (text === undefined) {
    console.warn(`hubtwin: no UI string "${key}"`);
    return key;
  }
  for (const [name, value] of Object.entries(params)) {
    text = text.replaceAll(`{${name}}`, String(value));
  }
  return text;
}

/** A {de, en} object from the site or world in the current language. */
export function pick(localised) {
  if (localised == null) return "";
  if (typeof localised === "string") return localised;
  return localised[current] ?? localised[FALLBACK] ?? Object.values(localised)[0] ?? "";
}

/** Fill every data-i18n* attribute below root with the current language. */
export function translatePage(root) {
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll("[data-i18n-label]")) {
    el.setAttribute("aria-label", t(el.dataset.i18nLabel));
  }
  for (const el of root.querySelectorAll("[data-i18n-placeholder]")) {
    el.setAttribute("placeholder", t(el.dataset.i18nPlaceholder));
  }
  for (const el of root.querySelectorAll("[data-i18n-title]")) {
    el.setAttribute("title", t(el.dataset.i18nTitle));
  }
}

/** Bytes as a short human figure: "512 B", "3,4 MB" (with the language's decimal mark). */
export function formatBytes(bytes) {
  const format = (n, digits) =>
    n.toLocaleString(current === "de" ? "de-DE" : "en-GB", {
      maximumFractionDigits: digits,
      minimumFractionDigits: digits,
    });
  if (bytes < 1024) return t("bytes.B", { n: format(bytes, 0) });
  if (bytes < 1024 * 1024) return t("bytes.kB", { n: format(bytes / 1024, 0) });
  return t("bytes.MB", { n: format(bytes / (1024 * 1024), 1) });
}
