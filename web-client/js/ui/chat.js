/**
 * The chat panel: the room's messages and direct messages in one live log, a recipient
 * choice (everyone in the room or one person), and the input with its length limit.
 * Every name and message is set with textContent; nothing from a person becomes HTML.
 */

import { el } from "./dom.js";
import { t } from "./i18n.js";

const KEEP = 200;

export class ChatPanel {
  /**
   * onSend({text, to}) sends (to is a person id or null for the room) and returns a
   * promise that rejects with the reason.
   */
  constructor(onSend) {
    this.log = document.getElementById("chat-log");
    this.form = /** @type {HTMLFormElement} */ (document.getElementById("chat-form"));
    this.input = /** @type {HTMLInputElement} */ (document.getElementById("chat-input"));
    this.recipient = /** @type {HTMLSelectElement} */ (document.getElementById("chat-recipient"));
    this.error = document.getElementById("chat-error");
    this.onSend = onSend;
    this.maxChars = 500;
    this.people = [];
    /** session id -> {id, name}: people in other rooms one chose to write to (people to meet) */
    this.elsewhere = new Map();
    this.selfId = null;
    /** @type {(fromId: string) => boolean} whether their lines stand out (a facilitator, someone in the spotlight) */
    this.highlight = () => false;

    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.send();
    });
    this.renderRecipients();
  }

  /** Offer the server's reaction emoji as buttons; onReact(emoji) sends one. */
  setReactions(emoji, onReact) {
    const buttons = emoji.map((symbol) => {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = symbol;
      button.dataset.emoji = symbol;
      button.setAttribute("aria-label", t("chat.react", { emoji: symbol }));
      button.addEventListener("click", () => onReact(symbol));
      return button;
    });
    document.getElementById("reactions").replaceChildren(...buttons);
  }

  relabelReactions() {
    for (const button of /** @type {NodeListOf<HTMLElement>} */ (document.querySelectorAll("#reactions button"))) {
      button.setAttribute("aria-label", t("chat.react", { emoji: button.dataset.emoji }));
    }
  }

  setLimit(maxChars) {
    this.maxChars = maxChars;
    this.input.maxLength = maxChars;
  }

  /** The people one can write to directly (everyone here except oneself). */
  setPeople(people, selfId) {
    this.people = people.filter((person) => person.id !== selfId);
    this.selfId = selfId;
    for (const person of this.people) this.elsewhere.delete(person.id);
    this.renderRecipients();
  }

  renderRecipients() {
    const chosen = this.recipient.value;
    const room = document.createElement("option");
    room.value = "";
    room.textContent = t("chat.toRoom");
    const options = [room];
    for (const person of this.people) {
      const option = document.createElement("option");
      option.value = person.id;
      option.textContent = person.name;
      options.push(option);
    }
    for (const person of this.elsewhere.values()) {
      const option = document.createElement("option");
      option.value = person.id;
      option.textContent = t("chat.elsewhere", { name: person.name });
      options.push(option);
    }
    this.recipient.replaceChildren(...options);
    const known = this.people.some((person) => person.id === chosen) || this.elsewhere.has(chosen);
    this.recipient.value = known ? chosen : "";
  }

  /** Preselect a direct message to person: someone here, or in another room of the hub. */
  writeTo(person) {
    if (person.id !== this.selfId && !this.people.some((known) => known.id === person.id)) {
      this.elsewhere.set(person.id, person);
      this.renderRecipients();
    }
    this.recipient.value = person.id;
    this.input.focus();
  }

  /**
   * Show one message: {fromName, text, direct, toName, outgoing, history, system, at}.
   */
  add(message) {
    const stickToBottom = this.log.scrollTop + this.log.clientHeight >= this.log.scrollHeight - 8;
    const li = document.createElement("li");
    if (message.system) {
      li.className = "system";
      li.textContent = message.text;
    } else {
      if (message.direct) li.classList.add("direct");
      if (message.history) li.classList.add("history");
      if (message.fromId && this.highlight(message.fromId)) li.classList.add("highlight");
      li.append(el("span", { class: "from" }, message.fromName));
      if (message.direct) {
        const to = message.outgoing ? `(${t("chat.directTo", { name: message.toName })}) ` : `(${t("chat.directFrom")}) `;
        li.append(el("span", { class: "to" }, to));
      }
      li.append(el("span", { class: "text" }, message.text));
    }
    if (message.at) {
      const time = document.createElement("time");
      time.dateTime = new Date(message.at).toISOString();
      time.className = "visually-hidden";
      time.textContent = new Date(message.at).toLocaleTimeString();
      li.prepend(time);
    }
    this.log.appendChild(li);
    while (this.log.children.length > KEEP) this.log.firstElementChild.remove();
    if (stickToBottom) this.log.scrollTop = this.log.scrollHeight;
  }

  clear() {
    this.log.replaceChildren();
  }

  async send() {
    const text = this.input.value.trim();
    this.error.textContent = "";
    if (!text) return;
    if ([...text].length > this.maxChars) {
      this.error.textContent = t("chat.tooLong", { max: this.maxChars });
      return;
    }
    const to = this.recipient.value || null;
    try {
      await this.onSend({ text, to });
      this.input.value = "";
    } catch (error) {
      this.error.textContent = error.message;
    }
  }
}
