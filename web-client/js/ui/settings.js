/**
 * The settings dialog: language, reduced motion, inverted mouse look, text size, the
 * visitor's data (download everything the hub stored about them, or delete it) and signing
 * out everywhere (every token of theirs revoked, on every device).
 */

import { deleteMyData, downloadMyData, signOutEverywhere } from "../net/api.js";
import { savePreferences } from "../session.js";
import { t } from "./i18n.js";
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

    const reduced = document.getElementById("reduced-motion");
    const invert = document.getElementById("invert-look");
    const size = document.getElementById("text-size");
    reduced.checked = preferences.reducedMotion;
    invert.checked = preferences.invertLook;
    size.value = String(preferences.textScale);
    reduced.addEventListener("change", () => this.update({ reducedMotion: reduced.checked }));
    invert.addEventListener("change", () => this.update({ invertLook: invert.checked }));
    size.addEventListener("change", () => this.update({ textScale: Number(size.value) }));
    document.getElementById("export-data").addEventListener("click", () => this.exportData());
    document.getElementById("delete-data").addEventListener("click", () => this.deleteData());
    document.getElementById("sign-out-everywhere").addEventListener("click", () => this.signOutEverywhere());
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
      const link = document.createElement("a");
      link.href = URL.createObjectURL(blob);
      link.download = name;
      document.body.appendChild(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(link.href), 10000);
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
