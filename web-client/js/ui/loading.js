/**
 * The loading screen: real progress of the hub model's bytes, then the steps after it
 * (connecting, setting up the rooms), and a retry button when something fails.
 */

import { announce } from "./announcer.js";
import { formatBytes, t } from "./i18n.js";

export class LoadingScreen {
  constructor() {
    this.el = document.getElementById("loading");
    this.bar = /** @type {HTMLProgressElement} */ (document.getElementById("loading-progress"));
    this.status = document.getElementById("loading-status");
    this.error = document.getElementById("loading-error");
    this.retry = /** @type {HTMLButtonElement} */ (document.getElementById("loading-retry"));
    this.lastAnnounced = -1;
  }

  show() {
    this.el.hidden = false;
    this.error.textContent = "";
    this.retry.hidden = true;
    this.progress(0, 0);
  }

  hide() {
    this.el.hidden = true;
  }

  /** Bytes of the model loaded so far, of total (0 when unknown). */
  progress(loaded, total) {
    if (total > 0) {
      this.bar.max = total;
      this.bar.value = Math.min(loaded, total);
      this.bar.setAttribute("aria-valuetext", t("loading.bytes", { loaded: formatBytes(loaded), total: formatBytes(total) }));
    } else {
      this.bar.removeAttribute("value");
    }
    const text = total > 0
      ? t("loading.bytes", { loaded: formatBytes(loaded), total: formatBytes(total) })
      : t("loading.bytesUnknown", { loaded: formatBytes(loaded) });
    this.status.textContent = text;
    // Screen readers hear the progress in quarters, not on every chunk.
    const quarter = total > 0 ? Math.floor((4 * loaded) / total) : 0;
    if (quarter !== this.lastAnnounced) {
      this.lastAnnounced = quarter;
      announce(text);
    }
  }

  step(key) {
    this.status.textContent = t(key);
    announce(t(key));
  }

  /** Show a failure with a retry button that calls onRetry. */
  failed(message, onRetry) {
    this.error.textContent = t("loading.failed", { message });
    this.retry.hidden = false;
    this.retry.onclick = () => onRetry();
    this.retry.focus();
  }
}
