/**
 * The start page: display name, avatar colour and shape, language, the "how to move" card,
 * and the sign-in for facilitators and staff. A returning guest is greeted by name with
 * their look preselected.
 */

import { takeErasedNote } from "../session.js";
import { LANGUAGES, pick, setLanguage, t } from "./i18n.js";

export const COLOURS = [
  ["green", "#2f7d4f"],
  ["blue", "#1f5fae"],
  ["orange", "#d9682b"],
  ["purple", "#7b4fa8"],
  ["red", "#c23b3b"],
  ["teal", "#1f8a8a"],
  ["yellow", "#e0b000"],
  ["grey", "#6b7280"],
];

const SVG = "http://www.w3.org/2000/svg";

function shapeIcon(shape) {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("class", "shape-icon");
  svg.setAttribute("aria-hidden", "true");
  const add = (tag, attributes) => {
    const el = document.createElementNS(SVG, tag);
    for (const [name, value] of Object.entries(attributes)) el.setAttribute(name, value);
    el.setAttribute("fill", "currentColor");
    svg.appendChild(el);
  };
  add("circle", { cx: 12, cy: 4.5, r: 3 });
  if (shape === "cone") add("path", { d: "M12 8 L18 23 L6 23 Z" });
  else if (shape === "cube") add("rect", { x: 7, y: 9, width: 10, height: 14 });
  else if (shape === "sphere") add("circle", { cx: 12, cy: 15.5, r: 6.5 });
  else if (shape === "cylinder") add("rect", { x: 7.5, y: 9, width: 9, height: 14, rx: 1.5 });
  else add("rect", { x: 7.5, y: 8.5, width: 9, height: 14.5, rx: 4.5 });
  return svg;
}

function radio(group, value, labelKey, decoration, checked) {
  const wrapper = document.createElement("label");
  wrapper.className = "choice";
  const input = document.createElement("input");
  input.type = "radio";
  input.name = group;
  input.value = value;
  input.checked = checked;
  const face = document.createElement("span");
  face.appendChild(decoration);
  const text = document.createElement("span");
  text.dataset.i18n = labelKey;
  text.textContent = t(labelKey);
  face.appendChild(text);
  wrapper.append(input, face);
  return wrapper;
}

/** Fill a language switch (a group of toggle buttons) into container. */
export function buildLanguageSwitch(container, languages) {
  container.replaceChildren();
  for (const lang of languages.filter((l) => LANGUAGES.includes(l))) {
    const button = document.createElement("button");
    button.type = "button";
    button.lang = lang;
    button.dataset.language = lang;
    button.dataset.i18n = `lang.${lang}`;
    button.textContent = t(`lang.${lang}`);
    button.addEventListener("click", () => setLanguage(lang));
    container.appendChild(button);
  }
}

/** Mark the current language's button as pressed in every language switch. */
export function markLanguage(lang) {
  for (const button of document.querySelectorAll("[data-language]")) {
    button.setAttribute("aria-pressed", String(button.dataset.language === lang));
  }
}

export class StartPage {
  /**
   * config: /api/config; shapes: the avatar shapes on offer; saved: the kept session or
   * null; look: the kept {colour, shape} or null; onEnter(request) signs in and enters the
   * hub, where request is {guest: {name, look}} or {staff: {username, password}, look}; it
   * throws an Error whose message is shown.
   */
  constructor(config, shapes, saved, look, onEnter) {
    this.el = document.getElementById("start");
    this.form = document.getElementById("start-form");
    this.staffForm = document.getElementById("staff-form");
    this.nameInput = document.getElementById("display-name");
    this.enterButton = document.getElementById("enter-button");
    this.onEnter = onEnter;

    const site = config.site;
    document.getElementById("site-name").textContent = pick(site.name);
    this.site = site;
    if (site.logo) {
      const logo = document.getElementById("site-logo");
      logo.src = site.logo;
      logo.hidden = false;
    }
    buildLanguageSwitch(document.getElementById("language-switch"), site.languages);

    const colourSet = document.getElementById("colour-choices");
    const chosenColour = COLOURS.some(([, hex]) => hex === look?.colour) ? look.colour : COLOURS[0][1];
    const colourRow = document.createElement("div");
    colourRow.className = "choice-row";
    for (const [name, hex] of COLOURS) {
      const swatch = document.createElement("span");
      swatch.className = "swatch";
      swatch.style.background = hex;
      swatch.setAttribute("aria-hidden", "true");
      colourRow.appendChild(radio("colour", hex, `colour.${name}`, swatch, hex === chosenColour));
    }
    colourSet.appendChild(colourRow);

    const shapeSet = document.getElementById("shape-choices");
    const chosenShape = shapes.includes(look?.shape) ? look.shape : shapes[0];
    const shapeRow = document.createElement("div");
    shapeRow.className = "choice-row";
    for (const shape of shapes) {
      shapeRow.appendChild(radio("shape", shape, `shape.${shape}`, shapeIcon(shape), shape === chosenShape));
    }
    shapeSet.appendChild(shapeRow);

    this.saved = saved;
    if (saved?.identity?.guest) this.nameInput.value = saved.identity.name;

    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submitGuest();
    });
    this.staffForm.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submitStaff();
    });
    this.erased = takeErasedNote();
    this.render();
  }

  /** Re-render what is not plain data-i18n text (after a language switch). */
  render() {
    document.getElementById("site-name").textContent = pick(this.site.name);
    document.getElementById("site-tagline").textContent = pick(this.site.tagline);
    const notice = document.getElementById("start-notice");
    notice.textContent = this.erased ? t("start.erased") : "";
    notice.hidden = !this.erased;
    const returning = document.getElementById("returning");
    if (this.saved?.identity) {
      returning.textContent = t("start.returning", { name: this.saved.identity.name });
      returning.hidden = false;
    } else {
      returning.hidden = true;
    }
  }

  look() {
    return {
      colour: this.form.elements.colour.value || COLOURS[0][1],
      shape: this.form.elements.shape.value,
    };
  }

  show() {
    this.el.hidden = false;
    this.nameInput.focus();
  }

  hide() {
    this.el.hidden = true;
  }

  async submitGuest() {
    const nameError = document.getElementById("display-name-error");
    const name = this.nameInput.value.trim();
    nameError.textContent = "";
    this.nameInput.removeAttribute("aria-invalid");
    if (!name) {
      nameError.textContent = t("start.name.empty");
      this.nameInput.setAttribute("aria-invalid", "true");
      this.nameInput.focus();
      return;
    }
    await this.enter({ guest: { name }, look: this.look() }, document.getElementById("start-error"), this.enterButton);
  }

  async submitStaff() {
    const username = document.getElementById("staff-username").value.trim();
    const password = document.getElementById("staff-password").value;
    const button = this.staffForm.querySelector("button[type=submit]");
    await this.enter({ staff: { username, password }, look: this.look() }, document.getElementById("staff-error"), button);
  }

  async enter(request, errorEl, button) {
    errorEl.textContent = "";
    button.disabled = true;
    button.textContent = t("start.entering");
    try {
      await this.onEnter(request);
    } catch (error) {
      errorEl.textContent = t("start.error", { message: error.message });
    } finally {
      button.disabled = false;
      button.textContent = t(button.dataset.i18n);
    }
  }
}
