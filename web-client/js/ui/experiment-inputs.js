/**
 * An experiment's inputs checked in the browser before they are sent, by the server's rules
 * (server/features/stations/calculators.py; numbers read by number-text.js exactly as server/features/stations/number_text.py
 * reads them): empty takes the default, typed text is read the visitor's way, whole numbers
 * and ranges are kept. The server checks again and decides; this shows a problem at once.
 *
 *   inputProblem({min: 0, max: 1e9, default: 0, unit: "kWh/a"}, "50.000", "en")
 *     -> {code: "number_ambiguous", message: "'50.000' is unclear: type 50,000 if ..."}
 */

import { NUMBER_PROBLEMS, formatNumber, readNumber } from "../number-text.js";
import { t } from "./i18n.js";

/** The reason codes that only ask which number was meant (the server's numbers_unclear). */
export const UNCLEAR = new Set([NUMBER_PROBLEMS.ambiguous, NUMBER_PROBLEMS.otherLanguage]);

function problem(code, key, params = {}) {
  return { code, message: t(key, params) };
}

/** Why text cannot be used for input ({code, message} as the server would say), or null. */
export function inputProblem(input, text, lang) {
  if (text.trim() === "") {
    if (input.default !== null || input.optional) return null;
    return problem("input_required", "stations.input.required");
  }
  const reading = readNumber(text, lang);
  const typed = text.trim();
  if (reading.problem === NUMBER_PROBLEMS.ambiguous) {
    const [thousands, decimal] = reading.choices;
    return problem(reading.problem, "stations.input.ambiguous", { text: typed, thousands, decimal });
  }
  if (reading.problem === NUMBER_PROBLEMS.otherLanguage) {
    return problem(reading.problem, "stations.input.otherLanguage", { text: typed, choice: reading.choices[0] });
  }
  if (reading.problem) return problem(NUMBER_PROBLEMS.invalid, "stations.input.number");
  if (input.whole && !Number.isInteger(reading.value)) return problem("number_not_whole", "stations.input.whole");
  if (reading.value < input.min || reading.value > input.max) {
    return problem("number_out_of_range", "stations.input.range", rangeParams(input, lang));
  }
  return null;
}

/** {min, max, unit} for a range text: limits written the lang way, the unit with its space. */
export function rangeParams(input, lang) {
  return {
    min: formatNumber(input.min, lang, null),
    max: formatNumber(input.max, lang, null),
    unit: input.unit ? ` ${input.unit}` : "",
  };
}
