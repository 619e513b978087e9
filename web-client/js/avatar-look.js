/**
 * An avatar's look as the client keeps it ({colour, shape, skin, hair, hairColour, legs,
 * eyewear, headwear}): the colours behind the names the protocol carries, the look on the
 * wire (appearance, snake_case) and back, and the repair of a look kept by an older client
 * (only {colour, shape} with a shape of before bodies) or holding a choice no longer offered.
 */

export const SKIN_TONES = {
  light: "#f3d9c6",
  fair: "#e6bd9c",
  medium: "#c8936a",
  olive: "#a7794f",
  brown: "#7a4f33",
  deep: "#4b2f20",
};

export const HAIR_COLOURS = {
  black: "#231d1a",
  brown: "#5b3a22",
  blond: "#d9b56a",
  red: "#a4462a",
  grey: "#a8a8a8",
};

/** Outfit colours on offer: the top (also the name tag's stripe) and the trousers. */
export const TOP_COLOURS = [
  ["green", "#2f7d4f"],
  ["blue", "#1f5fae"],
  ["orange", "#d9682b"],
  ["purple", "#7b4fa8"],
  ["red", "#c23b3b"],
  ["teal", "#1f8a8a"],
  ["yellow", "#e0b000"],
  ["grey", "#6b7280"],
];
export const LEG_COLOURS = [
  ["navy", "#34404c"],
  ["denim", "#3b5b8c"],
  ["black", "#22252a"],
  ["khaki", "#8a7a55"],
  ["brown", "#6b4a33"],
  ["light", "#c9c4b8"],
];

/** The choices per field when the server does not list them (first: the default). */
export const DEFAULT_CHOICES = {
  shape: ["average", "slim", "broad"],
  skin: Object.keys(SKIN_TONES),
  hair: ["short", "long", "bun", "curly", "none"],
  hair_color: Object.keys(HAIR_COLOURS),
  eyewear: ["none", "glasses", "sunglasses"],
  headwear: ["none", "cap", "beanie", "headphones"],
};

const COLOUR = /^#[0-9a-fA-F]{6}$/;

/**
 * A complete look from whatever was kept (or null): unknown or missing choices become the
 * defaults; an old {colour, shape: "capsule"} keeps its colour.
 */
export function normaliseLook(kept, choices = DEFAULT_CHOICES) {
  const look = kept && typeof kept === "object" ? kept : {};
  const pick = (value, options) => (options.includes(value) ? value : options[0]);
  return {
    colour: COLOUR.test(look.colour ?? "") ? look.colour : TOP_COLOURS[0][1],
    shape: pick(look.shape, choices.shape),
    skin: pick(look.skin, choices.skin),
    hair: pick(look.hair, choices.hair),
    hairColour: pick(look.hairColour, choices.hair_color),
    legs: COLOUR.test(look.legs ?? "") ? look.legs : LEG_COLOURS[0][1],
    eyewear: pick(look.eyewear, choices.eyewear),
    headwear: pick(look.headwear, choices.headwear),
  };
}

/** The look as the protocol's appearance map. */
export function appearanceOf(look) {
  return {
    color: look.colour,
    shape: look.shape,
    skin: look.skin,
    hair: look.hair,
    hair_color: look.hairColour,
    legs: look.legs,
    eyewear: look.eyewear,
    headwear: look.headwear,
  };
}

/** A look from the protocol's appearance map (someone else's, as the server sends it). */
export function lookOf(appearance) {
  const a = appearance ?? {};
  return normaliseLook({
    colour: a.color,
    shape: a.shape,
    skin: a.skin,
    hair: a.hair,
    hairColour: a.hair_color,
    legs: a.legs,
    eyewear: a.eyewear,
    headwear: a.headwear,
  });
}

/** The choices the server offers (its protocol table's appearance), filled in with the
 * defaults for a field it does not list. */
export function appearanceChoicesOf(offered) {
  const choices = { ...DEFAULT_CHOICES };
  for (const [key, values] of Object.entries(offered ?? {})) {
    if (Array.isArray(values) && values.length > 0) choices[key] = values;
  }
  return choices;
}
