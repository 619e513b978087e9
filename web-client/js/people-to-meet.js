/**
 * People to meet in the visit (server/features/people/http.py): the panel (key T) with one's own
 * opt-in profile (hidden until shown; unticking "show" hides it at once), "who is here"
 * filtered by industry, topic or role, the server's suggestions, and contact exchange by
 * consent: ask with one's own card, the other accepts with theirs or declines, and after an
 * acceptance both download the other's card as a vCard.
 *
 * Everything from the server goes into the page with textContent, never as HTML. The server
 * decides who is listed and who gets a card; the panel shows its sentence when it refuses.
 */

import { request } from "./net/api.js";
import { fetchFile } from "./net/fetch-json.js";
import { announce } from "./ui/announcer.js";
import { onLanguageChange, pick, t } from "./ui/i18n.js";
import { el, headedSection, labelledField } from "./ui/dom.js";
import { saveFile } from "./ui/save-file.js";

const REFRESH_MS = 4000;
const FIELDS = ["organisation", "industry", "region"];
const CARD_FIELDS = ["name", "email", "phone", "organisation"];
const enc = encodeURIComponent;




export class PeopleToMeetFeature {
  /** parts: {chat, connection, note(text), goTo(person), token(), identity()} */
  constructor(parts) {
    this.chat = parts.chat;
    this.connection = parts.connection;
    this.note = parts.note;
    this.goTo = parts.goTo;
    this.token = parts.token;
    this.identity = parts.identity;
    // the server says at once when someone asks or answers: no need to keep the panel open
    this.connection?.on("contact_request", (m) => this.told(m));
    this.panel = document.getElementById("panel-meet");
    this.body = document.getElementById("meet-body");
    this.vocabulary = { topics: {}, roles: [] };
    this.profile = null;
    this.people = [];
    this.suggested = [];
    this.exchanges = [];
    this.timer = null;
    this.status = el("p", { id: "meet-status", class: "status", role: "status" });
    this.body.append(this.status);
    onLanguageChange(() => this.build());
    document.getElementById("toggle-meet").addEventListener("click", () => {
      if (this.panel.hidden) this.stop(); else this.start();
    });
  }

  async start() {
    try {
      const mine = await request("GET", "/api/me/profile", { token: this.token() });
      this.vocabulary = mine.vocabulary;
      this.profile = mine.profile;
      this.build();
      // the panel opened before its form was there: the keyboard starts at its first control
      const active = document.activeElement;
      const waiting = !active || active === document.body || (this.panel.contains(active) && !this.body.contains(active));
      if (!this.panel.hidden && waiting) this.visible.focus();
      await this.refresh();
    } catch (error) {
      this.status.textContent = t("meet.error", { message: error.message });
    }
    clearInterval(this.timer);
    this.timer = setInterval(() => {
      if (this.panel.hidden) this.stop(); else this.refresh();
    }, REFRESH_MS);
  }

  stop() {
    clearInterval(this.timer);
    this.timer = null;
  }

  /** contact_request: a note at the bottom of the hub (a status region: read out too), a
   * line in the chat to find it again, and the panel drawn anew if it is open. */
  told({ state, name }) {
    const text = t(`meet.told.${state}`, { name });
    this.chat.add({ system: true, text, at: Date.now() });
    this.note?.(text);
    if (!this.panel.hidden && this.profile) this.refresh();
  }

  topicName(id) {
    return pick(this.vocabulary.topics[id]) || id;
  }

  // --- the panel's parts --------------------------------------------------------------------

  build() {
    if (!this.profile) return;
    // drawn afresh (a language switch, a reopening): the keyboard stays where it was
    const focused = this.body.contains(document.activeElement) ? document.activeElement.id : "";
    const p = this.profile;
    // one's own profile
    const form = el("form", { id: "meet-profile", "aria-labelledby": "meet-profile-heading" });
    form.append(el("h3", { id: "meet-profile-heading" }, t("meet.profile")));
    this.visible = el("input", { type: "checkbox", id: "meet-visible" });
    this.visible.checked = p.visible;
    this.visible.addEventListener("change", () => this.save());
    const show = el("div", { class: "field" });
    show.append(this.visible, el("label", { for: "meet-visible" }, t("meet.visible")));
    form.append(show, el("p", { class: "hint" }, t("meet.visibleHint")));
    this.inputs = {};
    for (const name of FIELDS) {
      const input = el("input", { type: "text", maxlength: 80, autocomplete: "off" });
      input.value = p[name] ?? "";
      this.inputs[name] = input;
      form.append(labelledField(`meet-${name}`, t(`meet.${name}`), input));
    }
    this.role = this.roleSelect("meet-role", p.role, "meet.noRole");
    form.append(labelledField("meet-role", t("meet.role"), this.role));
    this.topicBoxes = {};
    for (const group of ["interests", "helps_with"]) {
      const set = el("fieldset", { id: `meet-${group}` });
      set.append(el("legend", {}, t(`meet.${group}`)));
      this.topicBoxes[group] = {};
      for (const id of Object.keys(this.vocabulary.topics)) {
        const box = el("input", { type: "checkbox", id: `meet-${group}-${id}`, value: id });
        box.checked = (p[group] ?? []).includes(id);
        this.topicBoxes[group][id] = box;
        const row = el("div", { class: "field" });
        row.append(box, el("label", { for: box.id }, this.topicName(id)));
        set.append(row);
      }
      form.append(set);
    }
    this.languages = el("input", { type: "text", autocomplete: "off" });
    this.languages.value = (p.languages ?? []).join(", ");
    form.append(labelledField("meet-languages", t("meet.languages"), this.languages));
    form.append(el("button", { type: "submit", id: "meet-save" }, t("meet.save")));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.save();
    });

    // my card for exchanges (kept in this browser only until sent)
    const card = el("fieldset", { id: "meet-card" });
    card.append(el("legend", {}, t("meet.card")), el("p", { class: "hint" }, t("meet.cardHint")));
    const kept = this.cardInputs ? Object.fromEntries(Object.entries(this.cardInputs).map(([k, v]) => [k, v.value])) : {};
    this.cardInputs = {};
    for (const name of CARD_FIELDS) {
      const input = el("input", { type: name === "email" ? "email" : "text", maxlength: 120, autocomplete: "off" });
      input.value = kept[name] ?? (name === "name" ? this.identity()?.name ?? "" : "");
      this.cardInputs[name] = input;
      card.append(labelledField(`meet-card-${name}`, t(`meet.card.${name}`), input));
    }

    // who is here, with filters
    const here = headedSection("meet-here", t("meet.here"));
    const filters = el("form", { id: "meet-filters", role: "search" });
    this.filterIndustry = el("input", { type: "text", autocomplete: "off" });
    this.filterTopic = el("select");
    this.filterTopic.append(el("option", { value: "" }, t("meet.any")));
    for (const id of Object.keys(this.vocabulary.topics)) this.filterTopic.append(el("option", { value: id }, this.topicName(id)));
    this.filterRole = this.roleSelect("meet-filter-role", "", "meet.any");
    filters.append(
      labelledField("meet-filter-industry", t("meet.industry"), this.filterIndustry),
      labelledField("meet-filter-topic", t("meet.topic"), this.filterTopic),
      labelledField("meet-filter-role", t("meet.role"), this.filterRole),
    );
    for (const input of [this.filterTopic, this.filterRole]) input.addEventListener("change", () => this.refresh());
    this.filterIndustry.addEventListener("input", () => this.refresh());
    filters.addEventListener("submit", (event) => { event.preventDefault(); this.refresh(); });
    this.list = el("ul", { id: "meet-list", "aria-live": "polite" });
    here.append(filters, this.list);

    const suggestions = headedSection("meet-suggestions", t("meet.suggestions"));
    this.suggestionList = el("ul", { id: "meet-suggestion-list" });
    suggestions.append(this.suggestionList);

    const contacts = headedSection("meet-contacts", t("meet.contacts"));
    this.exchangeList = el("ul", { id: "meet-exchanges", "aria-live": "polite" });
    contacts.append(this.exchangeList);

    this.body.replaceChildren(this.status, form, card, here, suggestions, contacts);
    this.render();
    if (focused) document.getElementById(focused)?.focus();
  }

  roleSelect(id, value, noneKey) {
    const select = el("select", { id });
    select.append(el("option", { value: "" }, t(noneKey)));
    for (const role of this.vocabulary.roles) select.append(el("option", { value: role }, t(`meet.role.${role}`)));
    select.value = value ?? "";
    return select;
  }

  formProfile() {
    const chosen = (group) => Object.entries(this.topicBoxes[group]).filter(([, box]) => box.checked).map(([id]) => id);
    return {
      visible: this.visible.checked,
      ...Object.fromEntries(FIELDS.map((name) => [name, this.inputs[name].value])),
      role: this.role.value,
      interests: chosen("interests"),
      helps_with: chosen("helps_with"),
      languages: this.languages.value.split(/[,\s]+/).filter(Boolean),
    };
  }

  formCard() {
    return Object.fromEntries(CARD_FIELDS.map((name) => [name, this.cardInputs[name].value]));
  }

  async save() {
    try {
      const saved = await request("PUT", "/api/me/profile", { token: this.token(), body: this.formProfile() });
      this.profile = saved.profile;
      this.status.textContent = t(saved.profile.visible ? "meet.savedVisible" : "meet.savedHidden");
      announce(this.status.textContent);
      await this.refresh();
    } catch (error) {
      this.status.textContent = t("meet.error", { message: error.message });
    }
  }

  query() {
    const params = [["industry", this.filterIndustry.value.trim()], ["topic", this.filterTopic.value], ["role", this.filterRole.value]]
      .filter(([, value]) => value);
    return params.length ? `?${params.map(([k, v]) => `${k}=${enc(v)}`).join("&")}` : "";
  }

  async refresh() {
    if (!this.list) return;
    try {
      const token = this.token();
      const [people, suggested, exchanges] = await Promise.all([
        request("GET", `/api/people${this.query()}`, { token }),
        request("GET", "/api/people/suggestions", { token }),
        request("GET", "/api/contacts", { token }),
      ]);
      this.people = people.people;
      this.suggested = suggested.suggestions;
      const before = new Set(this.exchanges.filter((ex) => ex.incoming && ex.state === "asked").map((ex) => ex.id));
      this.exchanges = exchanges.exchanges;
      for (const ex of this.exchanges) {
        if (ex.incoming && ex.state === "asked" && !before.has(ex.id)) announce(t("meet.asked", { name: ex.other_name ?? "?" }));
      }
      this.render();
    } catch (error) {
      this.status.textContent = t("meet.error", { message: error.message });
    }
  }

  // --- the lists ------------------------------------------------------------------------------

  render() {
    if (!this.list) return;
    this.list.replaceChildren(...(this.people.length ? this.people.map((person) => this.personItem(person)) : [el("li", {}, t("meet.nobody"))]));
    this.suggestionList.replaceChildren(
      ...(this.suggested.length
        ? this.suggested.map((person) => {
          const li = this.personItem(person);
          const why = [];
          if (person.helps_me.length) why.push(t("meet.helpsMe", { topics: person.helps_me.map((id) => this.topicName(id)).join(", ") }));
          if (person.i_help.length) why.push(t("meet.iHelp", { topics: person.i_help.map((id) => this.topicName(id)).join(", ") }));
          if (person.shared.length) why.push(t("meet.shared", { topics: person.shared.map((id) => this.topicName(id)).join(", ") }));
          li.insertBefore(el("p", { class: "why" }, why.join(" · ")), li.querySelector(".actions"));
          return li;
        })
        : [el("li", {}, t("meet.noSuggestions"))]),
    );
    this.exchangeList.replaceChildren(...(this.exchanges.length ? this.exchanges.map((ex) => this.exchangeItem(ex)) : [el("li", {}, t("meet.noExchanges"))]));
  }

  personItem(person) {
    const p = person.profile;
    const li = el("li", { class: "person", "data-identity": person.identity_id });
    li.append(el("strong", {}, person.name));
    const facts = [p.role ? t(`meet.role.${p.role}`) : "", p.industry, p.organisation, p.region].filter(Boolean);
    if (facts.length) li.append(el("p", {}, facts.join(" · ")));
    if (p.interests.length) li.append(el("p", {}, `${t("meet.interests")}: ${p.interests.map((id) => this.topicName(id)).join(", ")}`));
    if (p.helps_with.length) li.append(el("p", {}, `${t("meet.helps_with")}: ${p.helps_with.map((id) => this.topicName(id)).join(", ")}`));
    if (p.languages.length) li.append(el("p", {}, `${t("meet.languages")}: ${p.languages.join(", ")}`));
    const actions = el("div", { class: "actions" });
    const go = el("button", { type: "button", class: "meet-go" }, t("meet.go", { name: person.name }));
    go.addEventListener("click", () => this.goTo?.(person));
    const message = el("button", { type: "button", class: "meet-message" }, t("meet.message", { name: person.name }));
    message.addEventListener("click", () => this.message(person));
    const ask = el("button", { type: "button", class: "meet-ask" }, t("meet.ask", { name: person.name }));
    ask.addEventListener("click", () => this.ask(person));
    actions.append(go, message, ask);
    li.append(actions);
    return li;
  }

  exchangeItem(ex) {
    const li = el("li", { class: `exchange ${ex.state}`, "data-exchange": ex.id });
    const name = ex.other_name ?? "?";
    const key = ex.state === "asked" ? (ex.incoming ? "meet.exchange.incoming" : "meet.exchange.waiting") : `meet.exchange.${ex.state}`;
    li.append(el("p", {}, t(key, { name })));
    if (ex.state === "asked" && ex.incoming) {
      const accept = el("button", { type: "button", class: "meet-accept" }, t("meet.accept", { name }));
      accept.addEventListener("click", () => this.answer(ex, true));
      const decline = el("button", { type: "button", class: "meet-decline" }, t("meet.decline", { name }));
      decline.addEventListener("click", () => this.answer(ex, false));
      li.append(accept, decline);
    }
    if (ex.state === "accepted") {
      const download = el("button", { type: "button", class: "meet-vcard" }, t("meet.vcard", { name }));
      download.addEventListener("click", () => this.download(ex));
      li.append(download);
    }
    return li;
  }

  // --- actions --------------------------------------------------------------------------------

  /** A direct message, in this room or anywhere in the hub (the server carries it there). */
  message(person) {
    if (document.getElementById("panel-chat").hidden) document.getElementById("toggle-chat").click();
    this.chat.writeTo({ id: person.session, name: person.name });
  }

  async ask(person) {
    try {
      await request("POST", "/api/contacts", { token: this.token(), body: { to: person.identity_id, card: this.formCard() } });
      this.status.textContent = t("meet.askSent", { name: person.name });
      announce(this.status.textContent);
      await this.refresh();
    } catch (error) {
      this.status.textContent = t("meet.error", { message: error.message });
    }
  }

  async answer(ex, accept) {
    try {
      const body = accept ? { accept, card: this.formCard() } : { accept };
      await request("POST", `/api/contacts/${enc(ex.id)}/answer`, { token: this.token(), body });
      this.status.textContent = t(accept ? "meet.acceptedNow" : "meet.declinedNow", { name: ex.other_name ?? "?" });
      announce(this.status.textContent);
      await this.refresh();
    } catch (error) {
      this.status.textContent = t("meet.error", { message: error.message });
    }
  }

  async download(ex) {
    let card;
    try {
      card = await fetchFile(`/api/contacts/${enc(ex.id)}/card.vcf`, this.token(), "");
    } catch (error) {
      this.status.textContent = t("meet.error", { message: error.message });
      return;
    }
    const text = await card.blob.text();
    this.lastCard = text;
    const name = `${(ex.other_name ?? "kontakt").replace(/[^\p{L}\p{N}_-]+/gu, "-")}.vcf`;
    saveFile(new Blob([text], { type: "text/vcard" }), name);
  }
}
