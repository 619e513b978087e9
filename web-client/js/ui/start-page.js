/**
 * The start page: display name, the avatar's look (appearance-form.js) beside a live
 * preview of it (look-preview.js, loaded with three.js after the page is shown, only where
 * WebGL is there, and drawn only when the look changes), language, the "how to move" card, and the sign-in for
 * facilitators and staff. A returning guest is greeted by name with their look preselected.
 */

import { takeErasedNote } from "../session.js";
import { appearanceChoicesOf } from "../avatar-look.js";
import { webglAvailable } from "../world/webgl.js";
import { buildAppearanceForm } from "./appearance-form.js";
import { LANGUAGES, pick, setLanguage, t } from "./i18n.js";

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
  for (const button of /** @type {NodeListOf<HTMLElement>} */ (document.querySelectorAll("[data-language]"))) {
    button.setAttribute("aria-pressed", String(button.dataset.language === lang));
  }
}

export class StartPage {
  /**
   * config: /api/config; choices: the appearance choices on offer (the protocol table's);
   * saved: the kept session or null; look: the kept look (avatar-look.js) or null;
   * onEnter(request) signs in and enters the hub, where request is {guest: {name}, look}
   * or {staff: {username, password}, look}; it throws an Error whose message is shown.
   */
  constructor(config, choices, saved, look, onEnter) {
    this.el = document.getElementById("start");
    this.form = /** @type {HTMLFormElement} */ (document.getElementById("start-form"));
    this.staffForm = /** @type {HTMLFormElement} */ (document.getElementById("staff-form"));
    this.nameInput = /** @type {HTMLInputElement} */ (document.getElementById("display-name"));
    this.enterButton = /** @type {HTMLButtonElement} */ (document.getElementById("enter-button"));
    this.onEnter = onEnter;

    const site = config.site;
    document.getElementById("site-name").textContent = pick(site.name);
    this.site = site;
    if (site.logo) {
      const logo = /** @type {HTMLImageElement} */ (document.getElementById("site-logo"));
      logo.src = site.logo;
      logo.hidden = false;
    }
    buildLanguageSwitch(document.getElementById("language-switch"), site.languages);

    this.lookForm = buildAppearanceForm(document.getElementById("look-choices"), look, {
      choices: appearanceChoicesOf(choices),
      onChange: (chosen) => this.preview?.setLook(chosen),
    });
    /** the preview (LookPreview) once loaded, or null */
    this.preview = null;

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
    return this.lookForm.read();
  }

  show() {
    this.el.hidden = false;
    this.nameInput.focus();
    this.showPreview().catch((error) => console.warn("hubtwin: no avatar preview", error));
  }

  hide() {
    this.el.hidden = true;
    this.preview?.dispose();
  }

  /** Load the preview (three.js and the body code) unless there is no WebGL, and wake it. */
  async showPreview() {
    if (!this.preview) {
      if (!webglAvailable()) return;
      const { LookPreview } = await import("./look-preview.js");
      if (this.preview) return;
      const canvas = /** @type {HTMLCanvasElement} */ (document.getElementById("start-look-preview"));
      this.preview = new LookPreview(canvas, this.look(), () => !this.el.hidden, { turning: false });
      canvas.hidden = false;
    }
    this.preview.wake();
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
    const username = /** @type {HTMLInputElement} */ (document.getElementById("staff-username")).value.trim();
    const password = /** @type {HTMLInputElement} */ (document.getElementById("staff-password")).value;
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
