/**
 * The avatar's look as a form: body build, skin tone, hair and its colour, the outfit's two
 * colours, eyewear and headwear, each a group of radio buttons (a swatch or a word). Used on
 * the start page and in the settings; reads and sets a look (avatar-look.js).
 */

import { DEFAULT_CHOICES, HAIR_COLOURS, LEG_COLOURS, SKIN_TONES, TOP_COLOURS, normaliseLook } from "../avatar-look.js";
import { t } from "./i18n.js";

function radio(group, value, labelKey, swatch, checked) {
  const wrapper = document.createElement("label");
  wrapper.className = "choice";
  const input = document.createElement("input");
  input.type = "radio";
  input.name = group;
  input.value = value;
  input.checked = checked;
  const face = document.createElement("span");
  if (swatch) {
    const dot = document.createElement("span");
    dot.className = "swatch";
    dot.style.background = swatch;
    dot.setAttribute("aria-hidden", "true");
    face.appendChild(dot);
  }
  const text = document.createElement("span");
  text.dataset.i18n = labelKey;
  text.textContent = t(labelKey);
  face.appendChild(text);
  wrapper.append(input, face);
  return wrapper;
}

/**
 * Fill container with the look's fieldsets. prefix: "" on the start page (the groups are
 * colour, shape, skin, hair, hairColour, legs, eyewear, headwear), another for a second form
 * on the same page. onChange(look) after every choice.
 */
export function buildAppearanceForm(container, look, { choices = DEFAULT_CHOICES, prefix = "", onChange = (_look) => {} } = {}) {
  const current = normaliseLook(look, choices);
  /** @type {[string, string, [string, string, string | null][]][]} the look's key, its legend, its options (value, label, swatch) */
  const groups = [
    ["colour", "look.top", TOP_COLOURS.map(([name, hex]) => [hex, `colour.${name}`, hex])],
    ["shape", "look.body", choices.shape.map((v) => [v, `shape.${v}`, null])],
    ["skin", "look.skin", choices.skin.map((v) => [v, `skin.${v}`, SKIN_TONES[v] ?? "#c8936a"])],
    ["hair", "look.hair", choices.hair.map((v) => [v, `hair.${v}`, null])],
    ["hairColour", "look.hairColour", choices.hair_color.map((v) => [v, `hairColour.${v}`, HAIR_COLOURS[v] ?? "#5b3a22"])],
    ["legs", "look.legs", LEG_COLOURS.map(([name, hex]) => [hex, `legs.${name}`, hex])],
    ["eyewear", "look.eyewear", choices.eyewear.map((v) => [v, `eyewear.${v}`, null])],
    ["headwear", "look.headwear", choices.headwear.map((v) => [v, `headwear.${v}`, null])],
  ];
  container.replaceChildren();
  const inputs = new Map();
  for (const [key, legendKey, options] of groups) {
    const set = document.createElement("fieldset");
    set.className = "choices";
    set.dataset.look = key;
    const legend = document.createElement("legend");
    legend.dataset.i18n = legendKey;
    legend.textContent = t(legendKey);
    const row = document.createElement("div");
    row.className = "choice-row";
    const known = options.some(([value]) => value === current[key]);
    options.forEach(([value, labelKey, swatch], i) => {
      row.appendChild(radio(prefix + key, value, labelKey, swatch, known ? value === current[key] : i === 0));
    });
    set.append(legend, row);
    container.appendChild(set);
    inputs.set(key, row);
  }
  const read = () => {
    const chosen = {};
    for (const [key, row] of inputs) chosen[key] = row.querySelector("input:checked")?.value;
    return normaliseLook(chosen, choices);
  };
  container.addEventListener("change", () => onChange(read()));
  return {
    read,
    set(other) {
      const wanted = normaliseLook(other, choices);
      for (const [key, row] of inputs) {
        for (const input of row.querySelectorAll("input")) input.checked = input.value === wanted[key];
      }
    },
  };
}
