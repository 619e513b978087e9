/**
 * The site's colours on the page, kept readable: the text on a coloured surface is white
 * or dark ink, whichever has the higher WCAG contrast with that colour.
 */

const INK = "#1f2a24";
const WHITE = "#ffffff";

function luminance(hex) {
  const value = hex.replace("#", "");
  const channels = [0, 2, 4].map((i) => parseInt(value.slice(i, i + 2), 16) / 255);
  const [r, g, b] = channels.map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** WCAG contrast ratio of two #rrggbb colours (1 to 21). */
export function contrast(a, b) {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

/** The text colour (white or ink) that reads best on background. */
export function textOn(background) {
  return contrast(background, WHITE) >= contrast(background, INK) ? WHITE : INK;
}

const HEX = /^#[0-9a-fA-F]{6}$/;

/** Use the site's primary and accent colours for buttons, banners and highlights. */
export function applySiteColours(site) {
  const root = document.documentElement.style;
  if (HEX.test(site.primary_colour ?? "")) {
    root.setProperty("--primary", site.primary_colour);
    root.setProperty("--on-primary", textOn(site.primary_colour));
  }
  if (HEX.test(site.accent_colour ?? "")) {
    root.setProperty("--accent", site.accent_colour);
    root.setProperty("--on-accent", textOn(site.accent_colour));
  }
}

/** What the page falls back to before the site's colours are known (hub.css's defaults). */
const FALLBACK = { primary: "#2e5e7e", accent: "#e39b2d" };

/**
 * A site colour ("primary" or "accent") as the page has it now, as #rrggbb, for what CSS does
 * not reach: canvases and 3D materials.
 */
export function siteColour(name) {
  const value = getComputedStyle(document.documentElement).getPropertyValue(`--${name}`).trim();
  return HEX.test(value) ? value.toLowerCase() : FALLBACK[name];
}

/** colour (#rrggbb) darkened towards black: amount 0 keeps it, 1 is black. */
export function darker(colour, amount) {
  const value = colour.replace("#", "");
  const channels = [0, 2, 4].map((i) => Math.round(parseInt(value.slice(i, i + 2), 16) * (1 - amount)));
  return `#${channels.map((c) => c.toString(16).padStart(2, "0")).join("")}`;
}
