/**
 * The hub's offers in the visit (server/features/offers/http.py): the panel (key O) to browse and
 * filter them by topic, audience, place and dates, to sign up where an offer takes sign-ups
 * (name and contact asked only then, with explicit consent), and, for staff, to edit offers
 * and export their sign-ups as CSV; and the board in the foyer (the building's board anchor
 * with shows = "offers") that lists the next ones on a canvas texture.
 *
 * Everything from the server goes into the page with textContent and onto the board with
 * fillText, never as HTML. The server decides (seats, consent, who may edit); the panel
 * shows its sentence when it refuses.
 */

import { ApiError, request } from "./net/api.js";
import { fetchFile } from "./net/fetch-json.js";
import { announce } from "./ui/announcer.js";
import { language, onLanguageChange, pick, t } from "./ui/i18n.js";
import { darker, siteColour } from "./ui/theme.js";
import { el } from "./ui/dom.js";
import { saveFile } from "./ui/save-file.js";
import { boardAnchor, boardFace } from "./world/canvas-face.js";

const SHOWS = "offers";
const PIXELS_PER_METRE = 320;
const ON_BOARD = 5;
const BOARD_REFRESH_MS = 120_000;
const KINDS = ["course", "coaching", "funding", "event"];
const PLACES = ["online", "in_person", "both"];
const enc = encodeURIComponent;



function locale() {
  return language() === "en" ? "en-GB" : "de-DE";
}

/** "2027-02-09T09:00" -> "Di., 9. Feb. 2027" (the offer's local day, as sent). */
function day(iso) {
  const [y, m, d] = iso.split("T")[0].split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, d)).toLocaleDateString(locale(), {
    weekday: "short", day: "numeric", month: "short", year: "numeric", timeZone: "UTC",
  });
}

/** "2027-02-09T09:00" -> "Di., 9. Feb. 2027, 09:00", with its end when it has one. */
/** Every seat and every place on the waiting list taken: nobody can sign up. */
function isFull(offer) {
  return offer.seats !== null && offer.taken + (offer.waiting ?? 0) >= offer.seats + (offer.waiting_list ?? 0);
}

function when(offer) {
  if (!offer.starts) return t("offers.ongoing");
  const format = (iso) => {
    const time = iso.split("T")[1];
    return time && time !== "00:00" ? `${day(iso)}, ${time}` : day(iso);
  };
  const start = format(offer.starts);
  if (!offer.ends) return start;
  const end = offer.ends.split("T")[0] === offer.starts.split("T")[0] ? offer.ends.split("T")[1] : format(offer.ends);
  return `${start} – ${end}`;
}

export class OffersFeature {
  /** parts: {hud, scene, venue, token(), identity()} */
  constructor(parts) {
    this.hud = parts.hud;
    this.scene = parts.scene;
    this.venue = parts.venue;
    this.token = parts.token;
    this.identity = parts.identity;
    this.panel = document.getElementById("panel-offers");
    this.body = document.getElementById("offers-body");
    this.listing = { offers: [], vocabulary: { topics: {}, audiences: {} } };
    this.filters = { topic: "", audience: "", place: "", from: "", to: "" };
    this.loadsAsked = 0;
    this.board = new OffersBoard(parts.scene, parts.venue);
    this.buildFilters();
    this.status = el("p", { id: "offers-status", class: "status", role: "status" });
    this.list = el("ul", { id: "offers-list", class: "offers-list" });
    this.staff = el("section", { id: "offers-staff", "aria-labelledby": "offers-staff-heading", hidden: true });
    this.body.append(this.form, this.status, this.list, this.staff);
    onLanguageChange(() => {
      this.buildFilterOptions();
      this.render();
      this.board.show(this.boardOffers);
    });
    document.getElementById("toggle-offers").addEventListener("click", () => {
      if (!this.panel.hidden) this.load();
    });
    this.boardOffers = [];
    this.load();
    // Staff may change the offers meanwhile (here, in another browser or on the command line).
    setInterval(() => this.refreshBoard(), BOARD_REFRESH_MS);
  }

  async refreshBoard() {
    try {
      const listing = await request("GET", "/api/offers", { token: this.token() });
      this.boardOffers = listing.offers;
      this.board.show(this.boardOffers);
    } catch {
      // the board keeps what it shows until the next try
    }
  }

  /** For tests: {shown: ids in the list, board: the texts on the foyer's board, onWall}. */
  testState() {
    return {
      shown: this.listing.offers.map((offer) => offer.id),
      board: [...this.board.lines],
      onWall: this.board.mesh !== null,
    };
  }

  // --- loading ----------------------------------------------------------------------------

  query() {
    const params = Object.entries(this.filters).filter(([, value]) => value);
    return params.length ? `?${params.map(([k, v]) => `${k}=${enc(v)}`).join("&")}` : "";
  }

  async load() {
    this.status.textContent = t("offers.loading");
    // Filters changed quickly one after the other: only the answer to the last query is
    // shown, whichever order the answers come in.
    const asked = ++this.loadsAsked;
    try {
      const listing = await request("GET", `/api/offers${this.query()}`, { token: this.token() });
      if (asked !== this.loadsAsked) return;
      this.listing = listing;
      if (!this.query()) {
        this.boardOffers = this.listing.offers;
        this.board.show(this.boardOffers);
      }
      this.buildFilterOptions();
      this.render();
    } catch (error) {
      if (asked === this.loadsAsked) this.status.textContent = t("offers.error", { message: error.message });
    }
  }

  // --- the filters --------------------------------------------------------------------------

  buildFilters() {
    this.form = el("form", { id: "offers-filters", class: "offers-filters", role: "search" });
    const field = (name, control) => {
      const label = el("label", { for: `offers-${name}`, "data-i18n": `offers.${name}` }, t(`offers.${name}`));
      control.id = `offers-${name}`;
      control.addEventListener("change", () => {
        this.filters[name] = control.value;
        this.load();
      });
      this.form.append(label, control);
      return control;
    };
    this.topic = field("topic", el("select"));
    this.audience = field("audience", el("select"));
    this.place = field("place", el("select"));
    this.from = field("from", el("input", { type: "date" }));
    this.to = field("to", el("input", { type: "date" }));
    this.form.setAttribute("aria-label", t("offers.filters"));
    this.form.addEventListener("submit", (event) => event.preventDefault());
  }

  buildFilterOptions() {
    const fill = (select, entries, value) => {
      select.replaceChildren(el("option", { value: "" }, t("offers.any")));
      for (const [id, label] of entries) select.append(el("option", { value: id }, label));
      select.value = value;
    };
    const vocab = this.listing.vocabulary;
    fill(this.topic, Object.entries(vocab.topics).map(([id, texts]) => [id, pick(texts)]), this.filters.topic);
    fill(this.audience, Object.entries(vocab.audiences).map(([id, texts]) => [id, pick(texts)]), this.filters.audience);
    fill(this.place, [["online", t("offers.place.online")], ["in_person", t("offers.place.in_person")]], this.filters.place);
    this.form.setAttribute("aria-label", t("offers.filters"));
  }

  // --- the list -----------------------------------------------------------------------------

  render() {
    const offers = this.listing.offers;
    this.status.textContent = offers.length === 0
      ? t("offers.none")
      : offers.length === 1 ? t("offers.count.one") : t("offers.count", { n: offers.length });
    this.list.replaceChildren(...offers.map((offer) => this.item(offer)));
    this.renderStaff();
  }

  item(offer) {
    const vocab = this.listing.vocabulary;
    const headingId = `offer-${offer.id}-title`;
    const li = el("li", { class: "offer", "data-offer": offer.id, "aria-labelledby": headingId });
    li.append(el("p", { class: "offer-kind" }, t(`offers.kind.${offer.kind}`)));
    li.append(el("h3", { id: headingId }, pick(offer.title)));
    li.append(el("p", { class: "offer-when" }, when(offer)));
    li.append(el("p", {}, pick(offer.summary)));
    const facts = el("ul", { class: "offer-facts" });
    const where = [t(`offers.place.${offer.place}`), pick(offer.location)].filter(Boolean).join(" · ");
    facts.append(
      el("li", {}, t("offers.where", { where })),
      el("li", {}, t("offers.for", { who: offer.audience.map((id) => pick(vocab.audiences[id])).join(", ") })),
      el("li", {}, t("offers.cost", { cost: pick(offer.cost) })),
    );
    if (offer.signup) {
      const seatsTaken = offer.seats !== null && offer.taken >= offer.seats;
      let seats = offer.seats !== null
        ? t("offers.seats", { taken: offer.taken, seats: offer.seats })
        : t("offers.signups", { taken: offer.taken });
      if (seatsTaken && offer.waiting_list > 0) {
        seats += ` · ${t("offers.waiting", { waiting: offer.waiting, places: offer.waiting_list })}`;
      }
      if (isFull(offer)) seats += ` (${t("offers.full")})`;
      facts.append(el("li", { class: "offer-seats" }, seats));
    }
    li.append(facts);
    const actions = el("div", { class: "button-row" });
    if (offer.link) {
      actions.append(el("a", { href: offer.link, target: "_blank", rel: "noopener noreferrer" }, t("offers.link")));
    }
    if (offer.signup && offer.signed_up) {
      const waiting = offer.standing?.status === "waiting";
      li.append(el("p", { class: "offer-signed-up" },
        waiting ? t("offers.onWaitingList", { place: offer.standing.place }) : t("offers.signedUp")));
      const cancel = el("button", { type: "button", "data-action": "cancel" }, t("offers.cancel"));
      cancel.addEventListener("click", () => this.cancel(offer));
      actions.append(cancel);
    } else if (offer.signup) {
      const seatsTaken = offer.seats !== null && offer.taken >= offer.seats;
      const label = seatsTaken && !isFull(offer) ? t("offers.joinWaitingList") : t("offers.signup");
      const signUp = el("button", { type: "button", "data-action": "signup", disabled: isFull(offer) }, label);
      signUp.addEventListener("click", () => this.openForm(offer, li));
      actions.append(signUp);
    }
    if (this.isStaff()) {
      const edit = el("button", { type: "button", "data-action": "edit" }, t("offers.edit"));
      edit.addEventListener("click", () => this.openEditor(offer));
      const csv = el("button", { type: "button", "data-action": "csv" }, t("offers.csv"));
      csv.addEventListener("click", () => this.download(`/api/offers/${enc(offer.id)}/signups.csv`));
      actions.append(edit, ...(offer.signup ? [csv] : []));
    }
    li.append(actions);
    return li;
  }

  // --- signing up ---------------------------------------------------------------------------

  openForm(offer, li) {
    li.querySelector("form.offer-signup")?.remove();
    const title = pick(offer.title);
    const form = el("form", { class: "offer-signup", "aria-label": t("offers.form", { title }) });
    const id = (name) => `offer-${offer.id}-${name}`;
    const name = el("input", { id: id("name"), autocomplete: "name", required: true, maxlength: 120 });
    name.value = this.identity()?.name ?? "";
    const contact = el("input", { id: id("contact"), autocomplete: "email", required: true, maxlength: 200 });
    const consent = el("input", { id: id("consent"), type: "checkbox" });
    const error = el("p", { class: "error", role: "alert" });
    form.append(
      el("h4", {}, t("offers.form", { title })),
      el("p", { class: "hint" }, t("offers.form.why")),
      el("label", { for: id("name") }, t("offers.name")), name,
      el("label", { for: id("contact") }, t("offers.contact")), contact,
      el("div", { class: "check" }, null),
      error,
    );
    form.querySelector(".check").append(consent, el("label", { for: id("consent") }, t("offers.consent")));
    const row = el("div", { class: "button-row" });
    const send = el("button", { type: "submit" }, t("offers.send"));
    const back = el("button", { type: "button" }, t("offers.back"));
    back.addEventListener("click", () => {
      form.remove();
      li.querySelector("[data-action=signup]")?.focus();
    });
    row.append(send, back);
    form.append(row);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (!consent.checked) {
        error.textContent = t("offers.needConsent");
        consent.focus();
        return;
      }
      try {
        const answer = await request("POST", `/api/offers/${enc(offer.id)}/signup`, {
          token: this.token(), body: { name: name.value, contact: contact.value, consent: true },
        });
        const standing = answer?.offer?.standing;
        announce(standing?.status === "waiting"
          ? t("offers.doneWaiting", { title, place: standing.place })
          : t("offers.done", { title }));
        await this.load();
        (/** @type {HTMLElement | null} */ (this.list.querySelector(`[data-offer="${CSS.escape(offer.id)}"] [data-action=cancel]`)))?.focus();
      } catch (failure) {
        error.textContent = t("offers.error", { message: failure.message });
        if (failure instanceof ApiError && failure.code === "offer_full") await this.load();
      }
    });
    li.append(form);
    name.focus();
  }

  async cancel(offer) {
    try {
      await request("DELETE", `/api/offers/${enc(offer.id)}/signup`, { token: this.token() });
      announce(t("offers.cancelled", { title: pick(offer.title) }));
      await this.load();
      (/** @type {HTMLElement | null} */ (this.list.querySelector(`[data-offer="${CSS.escape(offer.id)}"] [data-action=signup]`)))?.focus();
    } catch (failure) {
      this.status.textContent = t("offers.error", { message: failure.message });
    }
  }

  // --- staff ----------------------------------------------------------------------------------

  isStaff() {
    return this.identity()?.role === "staff";
  }

  renderStaff() {
    this.staff.hidden = !this.isStaff();
    if (this.staff.hidden) return;
    if (this.staff.querySelector("form")) return; // an open editor stays as it is
    const csvAll = el("button", { type: "button", id: "offers-csv-all" }, t("offers.csvAll"));
    csvAll.addEventListener("click", () => this.download("/api/offers/signups.csv"));
    const add = el("button", { type: "button", id: "offers-new" }, t("offers.new"));
    add.addEventListener("click", () => this.openEditor(null));
    const row = el("div", { class: "button-row" });
    row.append(add, csvAll);
    this.staff.replaceChildren(el("h3", { id: "offers-staff-heading" }, t("offers.staff")), row);
  }

  openEditor(offer) {
    const vocab = this.listing.vocabulary;
    const base = offer ?? {
      id: "", kind: "event", title: { de: "", en: "" }, summary: { de: "", en: "" }, topics: [], audience: [],
      place: "both", location: null, starts: null, ends: null, cost: { de: "kostenfrei", en: "free of charge" },
      link: null, signup: true, seats: null, waiting_list: 0,
    };
    const form = el("form", { id: "offers-editor", class: "offers-editor", "aria-labelledby": "offers-editor-heading" });
    const error = el("p", { class: "error", role: "alert" });
    const input = (key, labelKey, value, attributes = {}) => {
      const control = el(attributes.tag ?? "input", { id: `offers-f-${key}`, ...attributes, tag: null });
      if (control.type === "checkbox") control.checked = Boolean(value);
      else control.value = value ?? "";
      form.append(el("label", { for: control.id }, t(labelKey)), control);
      return control;
    };
    const choose = (key, labelKey, entries, chosen) => {
      const fieldset = el("fieldset", { id: `offers-f-${key}` });
      fieldset.append(el("legend", {}, t(labelKey)));
      for (const [id, label] of entries) {
        const box = el("input", { type: "checkbox", id: `offers-f-${key}-${id}`, value: id, checked: chosen.includes(id) });
        fieldset.append(el("span", { class: "check" }, [box, el("label", { for: box.id }, label)]));
      }
      form.append(fieldset);
      return () => [.../** @type {NodeListOf<HTMLInputElement>} */ (fieldset.querySelectorAll("input:checked"))].map((box) => box.value);
    };
    form.append(el("h3", { id: "offers-editor-heading" }, offer ? `${t("offers.editing")}: ${pick(offer.title)}` : t("offers.new")));
    const id = input("id", "offers.f.id", base.id, { required: true, readonly: offer !== null });
    const kind = input("kind", "offers.f.kind", base.kind, { tag: "select" });
    for (const k of KINDS) kind.append(el("option", { value: k }, t(`offers.kind.${k}`)));
    kind.value = base.kind;
    const titleDe = input("title-de", "offers.f.titleDe", base.title.de, { required: true });
    const titleEn = input("title-en", "offers.f.titleEn", base.title.en, { required: true });
    const summaryDe = input("summary-de", "offers.f.summaryDe", base.summary.de, { tag: "textarea", rows: 3 });
    const summaryEn = input("summary-en", "offers.f.summaryEn", base.summary.en, { tag: "textarea", rows: 3 });
    const topics = choose("topics", "offers.f.topics", Object.entries(vocab.topics).map(([k, v]) => [k, pick(v)]), base.topics);
    const audience = choose("audience", "offers.f.audience", Object.entries(vocab.audiences).map(([k, v]) => [k, pick(v)]), base.audience);
    const place = input("place", "offers.place", base.place, { tag: "select" });
    for (const p of PLACES) place.append(el("option", { value: p }, t(`offers.place.${p}`)));
    place.value = base.place;
    const starts = input("starts", "offers.f.starts", base.starts, { type: "datetime-local" });
    const ends = input("ends", "offers.f.ends", base.ends, { type: "datetime-local" });
    const costDe = input("cost-de", "offers.f.costDe", base.cost.de, { required: true });
    const costEn = input("cost-en", "offers.f.costEn", base.cost.en, { required: true });
    const link = input("link", "offers.f.link", base.link, { type: "url" });
    const signup = input("signup", "offers.f.signup", base.signup, { type: "checkbox" });
    const seats = input("seats", "offers.f.seats", base.seats, { type: "number", min: 1 });
    const waitingList = input("waiting-list", "offers.f.waitingList", base.waiting_list ?? 0, { type: "number", min: 0 });
    form.append(error);
    const row = el("div", { class: "button-row" });
    const save = el("button", { type: "submit" }, t("offers.save"));
    const back = el("button", { type: "button" }, t("offers.back"));
    row.append(save, back);
    if (offer) {
      const remove = el("button", { type: "button", class: "danger" }, t("offers.remove"));
      remove.addEventListener("click", async () => {
        try {
          await request("DELETE", `/api/offers/${enc(offer.id)}`, { token: this.token() });
          announce(t("offers.removed", { id: offer.id }));
          this.staff.replaceChildren();
          await this.load();
        } catch (failure) {
          error.textContent = t("offers.error", { message: failure.message });
        }
      });
      row.append(remove);
    }
    form.append(row);
    back.addEventListener("click", () => {
      this.staff.replaceChildren();
      this.renderStaff();
    });
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const body = {
        ...base,
        id: id.value.trim(),
        kind: kind.value,
        title: { de: titleDe.value, en: titleEn.value },
        summary: { de: summaryDe.value, en: summaryEn.value },
        topics: topics(),
        audience: audience(),
        place: place.value,
        starts: starts.value || null,
        ends: ends.value || null,
        cost: { de: costDe.value, en: costEn.value },
        link: link.value.trim() || null,
        signup: signup.checked,
        seats: seats.value ? Number(seats.value) : null,
        waiting_list: seats.value && waitingList.value ? Number(waitingList.value) : 0,
      };
      for (const shownOnly of ["taken", "waiting", "signed_up", "standing"]) delete body[shownOnly];
      try {
        await request("PUT", `/api/offers/${enc(body.id)}`, { token: this.token(), body });
        announce(t("offers.saved", { title: pick(body.title) }));
        this.staff.replaceChildren();
        await this.load();
      } catch (failure) {
        error.textContent = t("offers.error", { message: failure.message });
      }
    });
    this.staff.hidden = false;
    this.staff.replaceChildren(form);
    (offer ? titleDe : id).focus();
  }

  async download(path) {
    try {
      const { name, blob } = await fetchFile(path, this.token(), "anmeldungen.csv");
      saveFile(blob, name);
    } catch (failure) {
      this.status.textContent = t("offers.error", { message: failure.message });
    }
  }
}

/** The board in the foyer: the next offers, drawn on a canvas over the board's face. */
export class OffersBoard {
  constructor(scene, venue) {
    const board = boardAnchor(scene, venue, SHOWS);
    this.mesh = null;
    this.lines = [];
    if (!board) return;
    const face = boardFace(board.node, board.anchor.size ?? [3.0, 1.4], { pixelsPerMetre: PIXELS_PER_METRE, name: "offers-board" });
    this.canvas = face.canvas;
    this.texture = face.texture;
    this.mesh = face.mesh;
  }

  /** Show these offers (the next ones first). */
  show(offers) {
    if (!this.mesh) return;
    const ctx = this.canvas.getContext("2d");
    const { width, height } = this.canvas;
    const accent = siteColour("accent");
    ctx.fillStyle = darker(siteColour("primary"), 0.5);
    ctx.fillRect(0, 0, width, height);
    ctx.textBaseline = "top";
    ctx.fillStyle = accent;
    ctx.font = `700 ${Math.round(height * 0.1)}px system-ui, sans-serif`;
    ctx.fillText(t("offers.board.title"), width * 0.04, height * 0.05, width * 0.92);
    this.lines = [t("offers.board.title")];
    const shown = offers.slice(0, ON_BOARD);
    if (shown.length === 0) {
      ctx.fillStyle = "#eef4f0";
      ctx.font = `400 ${Math.round(height * 0.07)}px system-ui, sans-serif`;
      ctx.fillText(t("offers.board.none"), width * 0.04, height * 0.3, width * 0.92);
      this.lines.push(t("offers.board.none"));
    }
    const row = height * 0.135;
    shown.forEach((offer, index) => {
      const y = height * 0.2 + index * row;
      const date = offer.starts ? day(offer.starts) : t("offers.ongoing");
      ctx.fillStyle = accent;
      ctx.font = `600 ${Math.round(height * 0.055)}px system-ui, sans-serif`;
      ctx.fillText(date, width * 0.04, y, width * 0.3);
      ctx.fillStyle = "#ffffff";
      ctx.fillText(pick(offer.title), width * 0.36, y, width * 0.6);
      ctx.fillStyle = "#cfe0d5";
      ctx.font = `400 ${Math.round(height * 0.042)}px system-ui, sans-serif`;
      const detail = `${t(`offers.kind.${offer.kind}`)} · ${t(`offers.place.${offer.place}`)} · ${pick(offer.cost)}`;
      ctx.fillText(detail, width * 0.36, y + height * 0.06, width * 0.6);
      this.lines.push(`${date} ${pick(offer.title)}`);
    });
    ctx.fillStyle = "#eef4f0";
    ctx.font = `italic 400 ${Math.round(height * 0.045)}px system-ui, sans-serif`;
    ctx.fillText(t("offers.board.more"), width * 0.04, height * 0.9, width * 0.92);
    this.lines.push(t("offers.board.more"));
    this.texture.needsUpdate = true;
  }
}
