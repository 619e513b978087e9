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

  async signOutEverywhere() {
    this.status.textContent = "";
    try {
      await signOutEverywhere(this.token());
      this.status.textContent = t("session.revoked");
      this.onSignedOut();
    } catch (error) {
      this.status.textContent = t("settings.failed", { message: error.message });
    }
  }

  update(change) {
    Object.assign(this.preferences, change);
    savePreferences(this.preferences);
    this.onChange(this.preferences);
  }

  async exportData() {
    this.status.textContent = "";
    try {
      const { name, blob } = await downloadMyData(this.token());
      saveFile(blob, name);
      this.status.textContent = t("settings.exported");
    } catch (error) {
      this.status.textContent = t("settings.failed", { message: error.message });
    }
  }

  async deleteData() {
    this.status.textContent = "";
    if (!window.confirm(t("settings.deleteConfirm"))) return;
    try {
      await deleteMyData(this.token());
      this.status.textContent = t("settings.deleted");
      this.onDeleted();
    } catch (error) {
      this.status.textContent = t("settings.failed", { message: error.message });
    }
  }
}
