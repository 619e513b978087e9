/**
 * Numbers as people write them in German and English: reading what a visitor typed, writing
 * figures. The same rules as server/features/stations/number_text.py (documented there and in
 * docs/content-format.md, "Numbers in experiments"); both are tested against
 * tests/stations/number_cases.json.
 *
 *   readNumber("50.000", "de")  -> {value: 50000, problem: null, choices: []}
 *   readNumber("50.000", "en")  -> {value: null, problem: "number_ambiguous", choices: ["50,000", "50"]}
 *   formatNumber(50000.5, "de") -> "50.000,5"
 */

const MAX_CHARS = 64;
const SPACES = /[\u00a0\u2009\u202f]/g;

const STYLES = {
  de: { lang: "de", decimal: ",", group: "." },
  en: { lang: "en", decimal: ".", group: "," },
};

export const NUMBER_PROBLEMS = {
  invalid: "number_invalid",
  ambiguous: "number_ambiguous",
  otherLanguage: "number_other_language",
};

function styleFor(lang) {
  const style = STYLES[lang];
  if (!style) throw new Error(`no number writing known for language "${lang}"`);
  return style;
}

function otherStyle(style) {
  return Object.values(STYLES).find((s) => s.decimal === style.group);
}

function escape(mark) {
  return mark.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function pattern(style) {
  const group = escape(style.group);
  const decimal = escape(style.decimal);
  const grouped = `[1-9][0-9]{0,2}(?:${group}[0-9]{3})+|[1-9][0-9]{0,2}(?: [0-9]{3})+`;
  return new RegExp(`^[+-]?(?:(?:[0-9]+|${grouped})(?:${decimal}[0-9]+)?|${decimal}[0-9]+)$`);
}

const PATTERNS = Object.fromEntries(Object.entries(STYLES).map(([lang, style]) => [lang, pattern(style)]));

function strict(text, style) {
  if (!PATTERNS[style.lang].test(text)) return null;
  const plain = text.replaceAll(style.group, "").replaceAll(" ", "").replace(style.decimal, ".");
  return Number(plain);
}

function normalised(text) {
  return text.trim().replace(SPACES, " ").replaceAll("\u2212", "-");
}

/** [value in the visitor's writing, value in the other writing, whether to ask which]. */
function readings(text, style) {
  const own = strict(text, style);
  const other = strict(text, otherStyle(style));
  const ambiguous = own !== null && other !== null && own !== other && text.includes(style.decimal);
  return [own, other, ambiguous];
}

/**
 * Read text as a visitor writing in lang means it: {value, problem, choices}. problem is null,
 * "number_invalid", "number_other_language" (choices: the number written the visitor's way)
 * or "number_ambiguous" (choices: the thousands reading, then the decimal reading).
 */
export function readNumber(text, lang) {
  const style = styleFor(lang);
  if (text.length > MAX_CHARS) return { value: null, problem: NUMBER_PROBLEMS.invalid, choices: [] };
  const [own, other, ambiguous] = readings(normalised(text), style);
  if (ambiguous) {
    return {
      value: null,
      problem: NUMBER_PROBLEMS.ambiguous,
      choices: [formatNumber(other, lang, null), formatNumber(own, lang, null)],
    };
  }
  if (own !== null) return { value: own, problem: null, choices: [] };
  if (other !== null) {
    return { value: null, problem: NUMBER_PROBLEMS.otherLanguage, choices: [formatNumber(other, lang, null)] };
  }
  return { value: null, problem: NUMBER_PROBLEMS.invalid, choices: [] };
}

/** The shortest decimal digits of a number without an exponent: [sign, whole, fraction]. */
function plainDigits(value) {
  const shortest = String(Math.abs(value));
  const sign = value < 0 || Object.is(value, -0) ? "-" : "";
  const match = /^(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(shortest);
  let digits = match[1] + (match[2] ?? "");
  let point = match[1].length + Number(match[3] ?? 0);
  if (point <= 0) {
    digits = "0".repeat(1 - point) + digits;
    point = 1;
  }
  if (point > digits.length) digits += "0".repeat(point - digits.length);
  return [sign, digits.slice(0, point), digits.slice(point)];
}

/** Round half away from zero on the written digits. */
function roundDigits(whole, fraction, decimals) {
  if (fraction.length <= decimals) return [whole, fraction];
  const kept = fraction.slice(0, decimals);
  if (fraction[decimals] < "5") return [whole, kept];
  const raised = (BigInt(whole + kept) + 1n).toString().padStart(whole.length + kept.length, "0");
  return [raised.slice(0, raised.length - kept.length), raised.slice(raised.length - kept.length)];
}

/**
 * value written the lang way, grouped by thousands: "50.000,5" (de), "50,000.5" (en).
 * decimals rounds half away from zero on the number as written and drops trailing zeros;
 * null keeps every digit of the shortest form that reads back the same. A text that would be
 * ambiguous (de "1,234") gets a trailing zero ("1,2340").
 */
export function formatNumber(value, lang, decimals = 2) {
  const style = styleFor(lang);
  if (!Number.isFinite(Number(value))) throw new Error(`${value} cannot be written as a number`);
  let [sign, whole, fraction] = plainDigits(Number(value));
  if (decimals !== null) [whole, fraction] = roundDigits(whole, fraction, decimals);
  fraction = fraction.replace(/0+$/, "");
  whole = whole.replace(/^0+/, "") || "0";
  if (whole === "0" && fraction === "") sign = "";
  const groups = [];
  for (let end = whole.length; end > 0; end -= 3) groups.unshift(whole.slice(Math.max(0, end - 3), end));
  let text = sign + groups.join(style.group);
  if (fraction) {
    text += style.decimal + fraction;
    if (readings(text, style)[2]) text += "0";
  }
  return text;
}
