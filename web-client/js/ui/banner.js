/**
 * The connection banner at the bottom of the hub: "reconnecting …" while the line is down,
 * a short "connection restored" when it is back, and a final message with a reload button
 * when the server ended the session. It is a status region, so screen readers hear it.
 */

import { t } from "./i18n.js";

export class ConnectionBanner {
  constructor() {
    this.el = document.getElementById("banner");
    this.text = document.getElementById("banner-text");
    this.reload = document.getElementById("banner-reload");
    this.reload.addEventListener("click", () => window.location.reload());
    this.hideTimer = null;
  }

  reconnecting() {
    clearTimeout(this.hideTimer);
    this.el.classList.remove("ok");
    this.text.textContent = t("net.reconnecting");
    this.reload.hidden = true;
    this.el.hidden = false;
  }

  restored() {
    if (this.el.hidden) return;
    this.el.classList.add("ok");
    this.text.textContent = t("net.reconnected");
    this.reload.hidden = true;
    clearTimeout(this.hideTimer);
    this.hideTimer = setTimeout(() => {
      this.el.hidden = true;
    }, 3000);
  }

  closed(reason) {
    clearTimeout(this.hideTimer);
    this.el.classList.remove("ok");
    this.text.textContent = t("net.closed", { reason });
    this.reload.hidden = false;
    this.el.hidden = false;
  }

  /** A short note (a refused message) that goes away by itself. */
  note(text) {
    clearTimeout(this.hideTimer);
    this.el.classList.remove("ok");
    this.text.textContent = text;
    this.reload.hidden = true;
    this.el.hidden = false;
    this.hideTimer = setTimeout(() => {
      this.el.hidden = true;
    }, 5000);
  }
}
