/**
 * The "room is full" dialog: never an error page, always a choice. The visitor can go to
 * an instance with room (the server's suggestion first, then any other listed with space)
 * or queue for the full one, and sees their place in the queue while waiting.
 */

import { t } from "./i18n.js";

export class RoomFullDialog {
  /** onGo(room, instance), onWait(room, instance), onCancel(waiting) drive the choices. */
  constructor(onGo, onWait, onCancel) {
    this.dialog = /** @type {HTMLDialogElement} */ (document.getElementById("room-full"));
    this.text = document.getElementById("room-full-text");
    this.options = document.getElementById("room-full-options");
    this.status = document.getElementById("room-full-status");
    this.waitButton = /** @type {HTMLButtonElement} */ (document.getElementById("room-full-wait"));
    this.cancelButton = /** @type {HTMLButtonElement} */ (document.getElementById("room-full-cancel"));
    this.onGo = onGo;
    this.onWait = onWait;
    this.onCancel = onCancel;
    this.offer = null;
    this.waiting = false;
    this.waitButton.addEventListener("click", () => {
      if (!this.offer) return;
      this.waiting = true;
      this.onWait(this.offer.room, this.offer.instance);
      this.status.textContent = t("full.waiting", { room: this.offer.roomName });
      this.waitButton.disabled = true;
    });
    this.cancelButton.addEventListener("click", () => this.dialog.close());
    this.dialog.addEventListener("close", () => {
      this.onCancel(this.waiting);
      this.waiting = false;
      this.offer = null;
    });
  }

  /**
   * Show an offer: {room, roomName, instance, capacity, instances: [{instance, occupancy,
   * waiting}], suggested}.
   */
  show(offer) {
    this.offer = offer;
    this.waiting = false;
    this.waitButton.disabled = false;
    this.status.textContent = "";
    const full = offer.instances.find((entry) => entry.instance === offer.instance);
    this.text.textContent = t("full.text", {
      room: offer.roomName,
      count: full?.occupancy ?? offer.capacity,
      capacity: offer.capacity,
    });
    // The server always lists its suggestion (an instance with room); other instances with
    // space follow it.
    const choices = offer.instances
      .filter((entry) => entry.instance === offer.suggested || (entry.instance !== offer.instance && entry.occupancy < offer.capacity))
      .sort((a, b) => (a.instance === offer.suggested ? -1 : b.instance === offer.suggested ? 1 : a.instance - b.instance));
    const items = choices.map((entry) => {
      const li = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      if (entry.instance === offer.suggested) button.className = "primary";
      button.textContent = t("full.overflowInstance", {
        room: offer.roomName,
        n: entry.instance,
        count: entry.occupancy,
        capacity: offer.capacity,
      });
      button.addEventListener("click", () => {
        this.waiting = false;
        this.onGo(offer.room, entry.instance);
        this.offer = null;
        this.dialog.close();
      });
      li.appendChild(button);
      return li;
    });
    this.options.replaceChildren(...items);
    if (!this.dialog.open) this.dialog.showModal();
    items[0]?.querySelector("button").focus();
  }

  /** Our place in the queue changed (0: no longer waiting). */
  queued(position) {
    if (!this.offer) return;
    if (position === 0) {
      this.waiting = false;
      this.dialog.close();
      return;
    }
    this.status.textContent = `${t("full.waiting", { room: this.offer.roomName })} (${position})`;
  }

  /** We got in somewhere: the offer is settled. */
  settled() {
    this.waiting = false;
    this.offer = null;
    if (this.dialog.open) this.dialog.close();
  }
}
