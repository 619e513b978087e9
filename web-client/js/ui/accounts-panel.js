/**
 * The staff's accounts panel: every facilitator and staff account with its state, and what
 * `hubtwin accounts` does on the command line: create (as advisor or not), disable, enable, a new password,
 * mark as advisor who sits consulting hours or not, remove (twice asked, by the button
 * itself). Disabling, a new password and removing sign
 * the person out everywhere at once (the server revokes their tokens). Only staff see the
 * toolbar button; the server checks the role on every request anyway.
 */

import {
  createAccount,
  disableAccount,
  enableAccount,
  listAccounts,
  markAdvisor,
  removeAccount,
  resetPassword,
} from "../net/accounts-api.js";
import { t } from "./i18n.js";

export class AccountsPanel {
  /** token(): the staff member's token; me(): their identity (their own row cannot go). */
  constructor({ token, me }) {
    this.token = token;
    this.me = me;
    this.accounts = [];
    this.panel = document.getElementById("panel-accounts");
    this.list = document.getElementById("account-list");
    this.status = document.getElementById("accounts-status");
    /** @type {HTMLButtonElement} */ (document.getElementById("toggle-accounts")).hidden = false;
    /** @type {HTMLButtonElement} */ (document.getElementById("toggle-accounts")).addEventListener("click", () => {
      if (!this.panel.hidden) this.load();
    });
    /** @type {HTMLFormElement} */ (document.getElementById("account-create")).addEventListener("submit", (event) => {
      event.preventDefault();
      this.create();
    });
  }

  async load() {
    try {
      this.accounts = await listAccounts(this.token());
      this.render();
    } catch (error) {
      this.say("acc.failed", { message: error.message });
    }
  }

  render() {
    this.list.replaceChildren();
    if (this.accounts.length === 0) {
      const empty = document.createElement("li");
      empty.textContent = t("acc.none");
      this.list.append(empty);
    }
    for (const account of this.accounts) this.list.append(this.row(account));
  }

  row(account) {
    const { username } = account;
    const item = document.createElement("li");
    item.className = "account";
    item.dataset.username = username;
    item.dataset.disabled = String(account.disabled);
    item.dataset.advisor = String(account.advisor);
    const label = document.createElement("p");
    label.textContent = t("acc.row", {
      name: account.display_name, username, role: t(`acc.role.${account.role}`),
    });
    if (account.advisor) label.append(` · ${t("acc.advisor")}`);
    if (account.disabled) {
      const state = document.createElement("strong");
      state.textContent = ` · ${t("acc.disabled")}`;
      label.append(state);
    }
    item.append(label);
    const buttons = document.createElement("div");
    buttons.className = "button-row";
    const mine = account.id === this.me()?.id;
    const toggle = this.button(account.disabled ? "acc.enable" : "acc.disable", "toggle", () =>
      account.disabled ? this.change(enableAccount, username, "acc.enabledDone")
        : this.change(disableAccount, username, "acc.disabledDone"));
    toggle.disabled = mine;
    const remove = this.button("acc.remove", "remove", () => {
      if (remove.dataset.armed !== "yes") {
        remove.dataset.armed = "yes";
        remove.textContent = t("acc.removeConfirm");
        return;
      }
      this.change(removeAccount, username, "acc.removedDone");
    });
    remove.classList.add("danger");
    remove.disabled = mine;
    const advisor = this.button(account.advisor ? "acc.unmarkAdvisor" : "acc.markAdvisor", "advisor", () =>
      this.change((token, name) => markAdvisor(token, name, !account.advisor), username,
        account.advisor ? "acc.notAdvisorDone" : "acc.advisorDone"));
    buttons.append(toggle, advisor, remove);
    item.append(buttons);

    const passwordRow = document.createElement("div");
    passwordRow.className = "button-row";
    const password = document.createElement("input");
    password.type = "password";
    password.autocomplete = "new-password";
    password.minLength = 10;
    password.dataset.role = "password";
    password.setAttribute("aria-label", t("acc.newPassword", { username }));
    password.placeholder = t("acc.newPassword", { username });
    const set = this.button("acc.setPassword", "set-password", () =>
      this.change((token, name) => resetPassword(token, name, password.value), username, "acc.passwordDone"));
    passwordRow.append(password, set);
    item.append(passwordRow);
    return item;
  }

  button(key, role, onClick) {
    const button = document.createElement("button");
    button.type = "button";
    button.dataset.role = role;
    button.textContent = t(key);
    button.addEventListener("click", onClick);
    return button;
  }

  async change(call, username, doneKey) {
    this.status.textContent = "";
    try {
      await call(this.token(), username);
      this.say(doneKey, { username });
      await this.load();
    } catch (error) {
      this.say("acc.failed", { message: error.message });
    }
  }

  async create() {
    const username = /** @type {HTMLInputElement} */ (document.getElementById("account-username")).value.trim();
    const body = {
      username,
      name: /** @type {HTMLInputElement} */ (document.getElementById("account-name")).value,
      role: /** @type {HTMLSelectElement} */ (document.getElementById("account-role")).value,
      password: /** @type {HTMLInputElement} */ (document.getElementById("account-password")).value,
      advisor: /** @type {HTMLInputElement} */ (document.getElementById("account-advisor")).checked,
    };
    try {
      await createAccount(this.token(), body);
      /** @type {HTMLFormElement} */ (document.getElementById("account-create")).reset();
      this.say(body.advisor ? "acc.addedAdvisor" : "acc.added", { username });
      await this.load();
    } catch (error) {
      this.say("acc.failed", { message: error.message });
    }
  }

  say(key, params) {
    this.status.textContent = t(key, params);
  }

  testState() {
    return {
      open: !this.panel.hidden,
      status: this.status.textContent,
      accounts: this.accounts.map(({ username, role, disabled, advisor }) => ({ username, role, disabled, advisor })),
    };
  }
}
