/**
 * The settings dialog: language, reduced motion, inverted mouse look, text size, the
 * visitor's data (download everything the hub stored about them, or delete it) and signing
 * out everywhere (every token of theirs revoked, on every device).
 */

import { deleteMyData, downloadMyData, signOutEverywhere } from "../net/api.js";
import { savePreferences } from "../session.js";
import { t } from "./i18n.js";
import { saveFile } from "./save-file.js";
import { buildLanguageSwitch } from "./start-page.js";

/** Apply display preferences to the page (text size and motion). */
export function applyPreferences(preferences) {
  document.documentElement.style.setProperty("--text-scale", String(preferences.textScale));
  const reduce = preferences.reducedMotion || window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  document.documentElement.classList.toggle("reduced-motion", reduce);
  return reduce;
}

export class SettingsPanel {
  /**
   * preferences: {reducedMotion, textScale, invertLook}; onChange(preferences) after each
   * change; token(): the session token; onDeleted(): after the data is gone;
   * onSignedOut(): after every sign-in was revoked.
   */
  constructor(preferences, languages, onChange, token, onDeleted, onSignedOut = () => {}) {
    this.preferences = preferences;
    this.onChange = onChange;
    this.token = token;
    this.onDeleted = onDeleted;
    this.onSignedOut = onSignedOut;
    this.status = document.getElementById("privacy-status");
    buildLanguageSwitch(document.getElementById("language-switch-hub"), languages);

    const reduced = /** @type {HTMLInputElement} */ (document.getElementById("reduced-motion"));
    const invert = /** @type {HTMLInputElement} */ (document.getElementById("invert-look"));
    const size = /** @type {HTMLSelectElement} */ (document.getElementById("text-size"));
    reduced.checked = preferences.reducedMotion;
    invert.checked = preferences.invertLook;
    size.value = String(preferences.textScale);
    reduced.addEventListener("change", () => this.update({ reducedMotion: reduced.checked }));
    invert.addEventListener("change", () => this.update({ invertLook: invert.checked }));
    size.addEventListener("change", () => this.update({ textScale: Number(size.value) }));
    /** @type {HTMLButtonElement} */ (document.getElementById("export-data")).addEventListener("click", () => this.exportData());
    /** @type {HTMLButtonElement} */ (document.getElementById("delete-data")).addEventListener("click", () => this.deleteData());
    /** @type {HTMLButtonElement} */ (document.getElementById("sign-out-everywhere")).addEventListener("click", () => this.signOutEverywhere());
  }

  signOutEverywhere() {
    this.status.textContent = "";
    return this.report(() => signOutEverywhere(this.token()), "session.revoked", () => this.onSignedOut());
  }

  update(change) {
    Object.assign(this.preferences, change);
    savePreferences(this.preferences);
    this.onChange(this.preferences);
  }

  exportData() {
    this.status.textContent = "";
    return this.report(async () => {
      const { name, blob } = await downloadMyData(this.token());
      saveFile(blob, name);
    }, "settings.exported");
  }

  async deleteData() {
    this.status.textContent = "";
    if (!window.confirm(t("settings.deleteConfirm"))) return;
    await this.report(() => deleteMyData(this.token()), "settings.deleted", () => this.onDeleted());
  }

  /**
   * The status line says how work went: doneKey's text once it is done (then after() runs),
   * or why it failed.
   * @param {() => Promise<unknown>} work
   * @param {string} doneKey
   * @param {() => void} [after]
   */
  async report(work, doneKey, after = () => {}) {
    try {
      await work();
      this.status.textContent = t(doneKey);
      after();
    } catch (error) {
      this.status.textContent = t("settings.failed", { message: error.message });
    }
  }
}
