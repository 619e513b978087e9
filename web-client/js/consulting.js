/**
 * Consulting hours in the visit (server/features/consulting/realtime.py, server/features/consulting/http.py): the
 * panel (key R) shows who advises now and the next hours with free slots; a visitor queues
 * with a topic or books a slot (calendar file, a reminder in the hub when it is time); an
 * advisor (an account staff marked as one: the server says so in the overview's "me")
 * opens a desk at a corner, sees the queue with each topic and calls the next one in. In the booth both write beside the voice (never stored), the
 * advisor hands over notes and a checklist, the visitor saves them to the passport, either
 * ends it. A sign over each consulting corner (a canvas texture) says whether it is free,
 * who advises there and when the next hours are; the signs follow a new world version
 * (followWorld: corners moved, added or taken out).
 *
 * The server decides everything (who may open a desk or call in, who is in a booth); the
 * panel shows its sentence when it refuses. Everything from the server goes into the page
 * with textContent and onto the signs with fillText, never as HTML.
 */

import * as THREE from "three";
import { request } from "./net/api.js";
import { fetchFile } from "./net/fetch-json.js";
import { announce } from "./ui/announcer.js";
import { language, onLanguageChange, pick, t } from "./ui/i18n.js";
import { darker, siteColour } from "./ui/theme.js";
import { el, headedSection, labelledField } from "./ui/dom.js";
import { saveFile } from "./ui/save-file.js";
import { anchorNodes, canvasFace } from "./world/canvas-face.js";

const REFRESH_MS = 5000;
const BACKGROUND_MS = 30_000;
const REMIND_BEFORE_MS = 5 * 60_000;
const SLOTS_SHOWN = 3;
/** @type {[number, number]} */
const SIGN_SIZE = [1.6, 0.7];
const SIGN_HEIGHT_M = 2.15;
const PIXELS_PER_METRE = 320;
const enc = encodeURIComponent;


function locale() {
  return language() === "en" ? "en-GB" : "de-DE";
}

function when(epochSeconds, timeZone) {
  return new Date(epochSeconds * 1000).toLocaleString(locale(), {
    weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit", timeZone,
  });
}

function clock(epochSeconds, timeZone) {
  return new Date(epochSeconds * 1000).toLocaleTimeString(locale(), { hour: "2-digit", minute: "2-digit", timeZone });
}


export class ConsultingFeature {
  /** parts: {connection, table, hud, scene, venue, stations, note(text), token(), identity()} */
  constructor(parts) {
    this.connection = parts.connection;
    this.table = parts.table;
    this.hud = parts.hud;
    this.stations = parts.stations;
    this.scene = parts.scene;
    this.venue = parts.venue;
    this.note = parts.note;
    this.token = parts.token;
    this.identity = parts.identity;
    this.panel = document.getElementById("panel-consult");
    this.body = document.getElementById("consult-body");
    this.status = el("p", { id: "consult-status", class: "status", role: "status" });
    this.content = el("div", { id: "consult-content" });
    this.body.append(this.status, this.content);
    this.overview = null;
    this.bookings = [];
    this.saved = [];
    this.state = { desk: null, queued: null, booth: null };
    this.lines = [];
    this.handed = [];
    this.drafts = { topic: "", say: "", notes: "", checklist: "" };
    this.reminded = new Set();
    this.refreshes = 0;
    this.timer = null;
    this.signs = new ConsultingSigns(this.scene, this.venue);
    const c = this.connection;
    c.on("consult_state", (m) => this.changed(m));
    c.on("consult_line", (m) => {
      this.lines.push(m);
      this.render();
    });
    c.on("consult_handed", (m) => {
      this.handed.push(m);
      this.say(t("consult.handed", { name: m.advisor }));
      this.openPanel();
      this.render();
    });
    c.on("consult_ended", (m) => {
      this.lines = [];
      this.say(m.reason === "left" ? t("consult.endedLeft", { name: m.by }) : t("consult.ended"));
    });
    c.on("error", (m) => {
      if (typeof m.about !== "string" || !m.about.startsWith("consult_")) return;
      this.say(this.table.errorText(m.code, language()) || m.message);
    });
    onLanguageChange(() => this.render());
    document.getElementById("toggle-consult").addEventListener("click", () => {
      if (!this.panel.hidden) this.refresh();
    });
    this.stations?.panel.passportExtras.push(() => this.passportSection());
    this.refresh();
    this.background = setInterval(() => this.refresh(), BACKGROUND_MS);
  }

  /** The server decides who advises (accounts marked as advisors) and says so. */
  isAdvisor() {
    return Boolean(this.overview?.me?.advisor);
  }

  /** A new world version is on stage: the signs go to its corners, read anew. */
  followWorld(scene, venue) {
    this.signs.dispose();
    this.signs = new ConsultingSigns(scene, venue);
    this.refresh();
  }

  say(text) {
    this.status.textContent = text;
    this.note?.(text);
    announce(text);
  }

  openPanel() {
    if (this.panel.hidden) this.hud.open("panel-consult");
  }

  changed(m) {
    const before = this.state.booth;
    this.state = { desk: m.desk, queued: m.queued, booth: m.booth };
    if (!before && m.booth) {
      this.lines = [];
      if (m.booth.role === "visitor") this.say(t("consult.called", { name: m.booth.with }));
      this.openPanel();
    }
    this.render();
    this.refresh();
  }

  // --- loading ------------------------------------------------------------------------------

  async refresh() {
    try {
      const token = this.token();
      const [overview, bookings, saved] = await Promise.all([
        request("GET", "/api/consulting", { token }),
        request("GET", "/api/consulting/bookings", { token }),
        request("GET", "/api/consulting/notes", { token }),
      ]);
      this.overview = overview;
      this.bookings = bookings;
      this.saved = saved;
      this.refreshes += 1;
      this.signs.show(overview);
      this.remind();
      this.render();
    } catch (error) {
      this.status.textContent = t("consult.error", { message: error.message });
    }
    clearTimeout(this.timer);
    if (!this.panel.hidden) this.timer = setTimeout(() => this.refresh(), REFRESH_MS);
  }

  /** A booked slot that begins within five minutes (or runs now): said once in the hub. */
  remind() {
    const now = Date.now();
    for (const booking of this.bookings) {
      const start = booking.start * 1000;
      if (this.reminded.has(booking.id) || now < start - REMIND_BEFORE_MS || now > booking.end * 1000) continue;
      this.reminded.add(booking.id);
      this.say(t("consult.reminder", {
        title: booking.title, time: clock(booking.start, this.overview?.time_zone), corner: this.cornerName(booking.corner),
      }));
    }
  }

  cornerName(id) {
    const corner = this.overview?.corners.find((c) => c.id === id);
    return corner ? pick(corner.names) : id;
  }

  topicName(id) {
    return pick(this.overview?.topics[id]) || id;
  }

  // --- drawing ------------------------------------------------------------------------------

  render() {
    if (!this.overview) {
      this.content.replaceChildren(el("p", { class: "status", text: t("consult.loading") }));
      return;
    }
    // drawn again only when something shown changed (a refresh that changed nothing keeps
    // the panel as it is: what the keyboard or the pointer is on stays there)
    const shown = JSON.stringify([
      language(), this.overview, this.bookings, this.saved, this.state, this.lines, this.handed,
    ]);
    if (shown === this.shown) return;
    this.shown = shown;
    const focused = this.content.contains(document.activeElement) ? document.activeElement.id : "";
    const nodes = [];
    if (this.state.booth) nodes.push(this.boothSection());
    if (this.handed.length) nodes.push(this.handedSection());
    if (this.isAdvisor()) nodes.push(this.deskSection());
    nodes.push(this.nowSection(), this.hoursSection(), this.bookingsSection());
    this.content.replaceChildren(...nodes);
    if (focused) document.getElementById(focused)?.focus();
    if (this.stations?.panel?.showingPassport) this.stations.panel.render();
  }

  draft(name, input) {
    input.value = this.drafts[name];
    input.addEventListener("input", () => {
      this.drafts[name] = input.value;
    });
    return input;
  }

  send(type, fields = {}) {
    if (!this.connection.send(type, fields)) this.say(t("net.reconnecting"));
  }

  boothSection() {
    const booth = this.state.booth;
    const section = headedSection("consult-booth", t("consult.booth", { name: booth.with }));
    section.append(
      el("p", { class: "hint", text: t("consult.boothHint") }),
      el("p", { text: t("consult.boothTopic", { topic: booth.topic }) }),
    );
    const lines = el("ul", { id: "consult-lines", class: "consult-lines", "aria-live": "polite" });
    for (const line of this.lines) {
      lines.append(el("li", { class: line.mine ? "mine" : "", text: `${line.name}: ${line.text}` }));
    }
    const input = this.draft("say", el("input", { type: "text", maxlength: 1000, autocomplete: "off" }));
    const form = el("form", { id: "consult-say-form" });
    form.append(labelledField("consult-say", t("consult.say"), input), el("button", { type: "submit", id: "consult-send", text: t("consult.send") }));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const text = input.value.trim();
      if (!text) return;
      this.send("consult_say", { text });
      this.drafts.say = "";
      input.value = "";
    });
    section.append(lines, form);
    if (booth.role === "advisor") {
      const notes = this.draft("notes", el("textarea", { rows: 4, maxlength: 4000 }));
      const checklist = this.draft("checklist", el("textarea", { rows: 3 }));
      const hand = el("button", { type: "button", id: "consult-hand", text: t("consult.hand") });
      hand.addEventListener("click", () => {
        const items = checklist.value.split("\n").map((line) => line.trim()).filter(Boolean);
        this.send("consult_notes", { text: notes.value, checklist: items });
        this.say(t("consult.handedOver"));
      });
      section.append(labelledField("consult-notes", t("consult.notes"), notes), labelledField("consult-checklist", t("consult.checklist"), checklist), hand);
    }
    const end = el("button", { type: "button", id: "consult-end", text: t("consult.end") });
    end.addEventListener("click", () => this.send("consult_end"));
    section.append(el("div", { class: "button-row" }, [end]));
    return section;
  }

  handedSection() {
    const section = el("section", { id: "consult-handed" });
    for (const notes of this.handed) {
      const box = el("div", { class: "consult-notes" });
      box.dataset.notes = notes.id;
      box.append(el("h3", { text: t("consult.handed", { name: notes.advisor }) }));
      if (notes.text) box.append(el("p", { text: notes.text }));
      if (notes.checklist.length) box.append(el("ul", {}, notes.checklist.map((item) => el("li", { text: `☐ ${item}` }))));
      const save = el("button", { type: "button", class: "consult-save", text: t("consult.save") });
      save.addEventListener("click", () => this.saveNotes(notes));
      box.append(save);
      section.append(box);
    }
    return section;
  }

  deskSection() {
    const section = headedSection("consult-desk", t("consult.desk"));
    const desk = this.state.desk;
    const select = el("select", {});
    for (const corner of this.overview.corners) {
      const option = el("option", { value: corner.id, text: pick(corner.names) });
      if (desk?.corner === corner.id) option.selected = true;
      select.append(option);
    }
    section.append(labelledField("consult-corner", t("consult.corner"), select));
    const toggle = el("button", { type: "button", id: "consult-open", text: t(desk ? "consult.close" : "consult.open") });
    toggle.addEventListener("click", () => this.send("consult_desk", desk ? { open: false } : { open: true, corner: select.value }));
    section.append(el("div", { class: "button-row" }, [toggle]));
    if (!desk) return section;
    section.append(el("p", { text: t("consult.deskOpen", { corner: this.cornerName(desk.corner), n: desk.queue.length }) }));
    const queue = el("ul", { id: "consult-queue" });
    for (const waiting of desk.queue) {
      const call = el("button", { type: "button", class: "consult-call", text: t("consult.call") });
      call.addEventListener("click", () => this.send("consult_call", { visitor: waiting.session }));
      const li = el("li", {}, [el("span", { text: t("consult.waitingLine", { name: waiting.name, topic: waiting.topic }) }), call]);
      li.dataset.session = waiting.session;
      queue.append(li);
    }
    if (!desk.queue.length) queue.append(el("li", { text: t("consult.emptyQueue") }));
    const next = el("button", { type: "button", id: "consult-call-next", text: t("consult.callNext") });
    next.disabled = desk.queue.length === 0 || Boolean(this.state.booth);
    next.addEventListener("click", () => this.send("consult_call"));
    section.append(queue, el("div", { class: "button-row" }, [next]));
    return section;
  }

  topicInput() {
    return this.draft("topic", el("input", { type: "text", id: "consult-topic", maxlength: 200, autocomplete: "off" }));
  }

  wantedTopic() {
    const topic = this.drafts.topic.trim();
    if (!topic) {
      this.say(t("consult.topicMissing"));
      document.getElementById("consult-topic")?.focus();
    }
    return topic;
  }

  nowSection() {
    const section = headedSection("consult-now", t("consult.now"));
    const queued = this.state.queued;
    if (queued) {
      const leave = el("button", { type: "button", id: "consult-leave", text: t("consult.leaveQueue") });
      leave.addEventListener("click", () => this.send("consult_leave"));
      section.append(el("p", { id: "consult-queued", text: t("consult.queued", queued) }), leave);
    }
    // an advisor at their own desk queues nowhere
    const desks = this.state.desk ? [] : this.overview.desks;
    if (!this.overview.desks.length) section.append(el("p", { text: t("consult.nobodyNow") }));
    if (!this.state.booth && !this.state.desk) section.append(labelledField("consult-topic", t("consult.topic"), this.topicInput()));
    const list = el("ul", { id: "consult-desks" });
    for (const desk of desks) {
      const line = t("consult.deskLine", { name: desk.name, corner: this.cornerName(desk.corner), waiting: desk.waiting });
      const li = el("li", {}, [el("span", { text: desk.busy ? `${line} · ${t("consult.busy")}` : line })]);
      li.dataset.session = desk.session;
      if (!this.state.booth) {
        const join = el("button", { type: "button", class: "consult-queue", text: t("consult.queue") });
        join.addEventListener("click", () => {
          const topic = this.wantedTopic();
          if (topic) this.send("consult_queue", { advisor: desk.session, topic });
        });
        li.append(join);
      }
      list.append(li);
    }
    section.append(list);
    return section;
  }

  hoursSection() {
    const zone = this.overview.time_zone;
    const section = headedSection("consult-hours", t("consult.next"));
    const list = el("ul", {});
    for (const hours of this.overview.hours.filter((h) => h.next.length)) {
      const li = el("li", { class: "consult-hours" });
      li.dataset.hours = hours.id;
      li.append(
        el("strong", { text: hours.title }),
        el("p", {
          text: t("consult.hoursLine", {
            when: when(hours.next[0].start, zone), corner: this.cornerName(hours.corner),
            mode: t(`consult.mode.${hours.mode}`), languages: hours.languages.join(", "),
          }),
        }),
        el("p", { class: "hint", text: hours.topics.map((id) => this.topicName(id)).join(" · ") }),
      );
      const slots = el("div", { class: "button-row" });
      for (const start of hours.free.slice(0, SLOTS_SHOWN)) {
        const book = el("button", { type: "button", class: "consult-book", text: `${t("consult.book")} ${when(start, zone)}` });
        book.dataset.start = String(start);
        book.addEventListener("click", () => this.book(hours, start));
        slots.append(book);
      }
      if (!hours.free.length) slots.append(el("span", { text: t("consult.noSlots") }));
      li.append(slots);
      list.append(li);
    }
    if (!list.children.length) list.append(el("li", { text: t("consult.noHours") }));
    section.append(list);
    return section;
  }

  bookingsSection() {
    const zone = this.overview.time_zone;
    const section = headedSection("consult-bookings", t("consult.mine"));
    const list = el("ul", {});
    for (const booking of this.bookings) {
      const ics = el("button", { type: "button", class: "consult-ics", text: t("consult.calendar") });
      ics.addEventListener("click", () => this.download(booking));
      const cancel = el("button", { type: "button", class: "consult-cancel", text: t("consult.cancel") });
      cancel.addEventListener("click", () => this.cancel(booking));
      const li = el("li", {}, [
        el("span", { text: `${when(booking.start, zone)} · ${booking.title} · ${booking.topic}` }), ics, cancel,
      ]);
      li.dataset.booking = booking.id;
      list.append(li);
    }
    if (!this.bookings.length) list.append(el("li", { text: t("consult.noBookings") }));
    section.append(list);
    return section;
  }

  /** The saved notes, as a section of the passport (station panel). */
  passportSection() {
    const section = headedSection("passport-consulting", t("consult.passport"));
    const list = el("ul", { class: "passport-notes" });
    for (const notes of this.saved) {
      const li = el("li", {}, [el("strong", { text: `${notes.advisor} · ${notes.topic}` })]);
      li.dataset.notes = notes.id;
      if (notes.text) li.append(el("p", { text: notes.text }));
      if (notes.checklist.length) li.append(el("ul", {}, notes.checklist.map((item) => el("li", { text: `☐ ${item}` }))));
      const remove = el("button", { type: "button", text: t("consult.deleteNotes") });
      remove.addEventListener("click", async () => {
        await request("DELETE", `/api/consulting/notes/${enc(notes.id)}`, { token: this.token() });
        await this.refresh();
      });
      li.append(remove);
      list.append(li);
    }
    section.hidden = this.saved.length === 0;
    section.append(list);
    return section;
  }

  // --- actions ------------------------------------------------------------------------------

  async book(hours, start) {
    const topic = this.wantedTopic();
    if (!topic) return;
    try {
      await request("POST", "/api/consulting/bookings", { token: this.token(), body: { hours: hours.id, start, topic } });
      this.say(t("consult.booked", { when: when(start, this.overview.time_zone) }));
    } catch (error) {
      this.say(t("consult.error", { message: error.message }));
    }
    await this.refresh();
  }

  async cancel(booking) {
    try {
      await request("DELETE", `/api/consulting/bookings/${enc(booking.id)}`, { token: this.token() });
      this.say(t("consult.cancelled"));
    } catch (error) {
      this.say(t("consult.error", { message: error.message }));
    }
    await this.refresh();
  }

  async download(booking) {
    try {
      const { name, blob } = await fetchFile(`/api/consulting/bookings/${enc(booking.id)}.ics`, this.token(), "beratung.ics");
      saveFile(blob, name);
    } catch (error) {
      this.say(t("consult.error", { message: error.message }));
    }
  }

  async saveNotes(notes) {
    try {
      await request("POST", "/api/consulting/notes", { token: this.token(), body: { id: notes.id } });
      this.handed = this.handed.filter((n) => n.id !== notes.id);
      this.say(t("consult.saved"));
    } catch (error) {
      this.say(t("consult.error", { message: error.message }));
    }
    await this.refresh();
  }

  /** For the test hook: the panel, the booth and the signs as the visitor sees them. */
  testState() {
    return {
      open: !this.panel.hidden,
      desk: this.state.desk,
      queued: this.state.queued,
      booth: this.state.booth,
      lines: this.lines.map(({ name, text, mine }) => ({ name, text, mine })),
      handed: this.handed.map((n) => n.id),
      saved: this.saved.map((n) => ({ id: n.id, text: n.text, checklist: n.checklist })),
      desks: this.overview ? this.overview.desks : [],
      bookings: this.bookings.map((b) => b.id),
      reminded: [...this.reminded],
      refreshes: this.refreshes,
      advisor: this.isAdvisor(),
      status: this.status.textContent,
      signs: this.signs.testState(),
      signPlaces: this.signs.places(),
    };
  }
}

/** The signs over the consulting corners: free or taken, who advises, the next hours. */
export class ConsultingSigns {
  constructor(scene, venue) {
    this.signs = new Map();
    if (!scene || !venue) return;
    const booths = new Set(venue.anchors.filter((a) => a.kind === "booth").map((a) => a.id));
    for (const [id, node] of anchorNodes(scene)) {
      if (booths.has(id)) this.signs.set(id, { node, lines: [], mesh: null });
    }
  }

  /** Draw each corner of the overview on its sign (a corner without a sign is skipped). */
  show(overview) {
    for (const corner of overview.corners) {
      const sign = this.signs.get(corner.id);
      if (!sign) continue;
      if (!sign.mesh) this.make(sign);
      const desk = overview.desks.find((d) => d.corner === corner.id);
      const next = overview.hours.filter((h) => h.corner === corner.id && h.next.length)
        .map((h) => h.next[0].start).sort((a, b) => a - b)[0];
      const lines = [`${t("consult.sign.title")} · ${pick(corner.names)}`];
      if (corner.taken) lines.push(t("consult.sign.taken"));
      else if (desk) lines.push(t("consult.sign.open", { name: desk.name, waiting: desk.waiting }));
      else lines.push(t("consult.sign.free"));
      if (next !== undefined) lines.push(t("consult.sign.next", { when: when(next, overview.time_zone) }));
      lines.push(t("consult.sign.more"));
      this.draw(sign, lines, corner.taken);
    }
  }

  /** Take the signs off (the world they hang in is being replaced). */
  dispose() {
    for (const sign of this.signs.values()) {
      if (!sign.mesh) continue;
      sign.mesh.removeFromParent();
      sign.mesh.geometry.dispose();
      sign.mesh.material.dispose();
      sign.texture.dispose();
    }
    this.signs.clear();
  }

  make(sign) {
    const face = canvasFace(SIGN_SIZE, { pixelsPerMetre: PIXELS_PER_METRE, name: "consulting-sign", doubleSided: true });
    sign.canvas = face.canvas;
    sign.texture = face.texture;
    sign.mesh = face.mesh;
    sign.mesh.position.set(0, SIGN_HEIGHT_M, 0);
    sign.node.add(sign.mesh);
  }

  draw(sign, lines, taken) {
    const ctx = sign.canvas.getContext("2d");
    const { width, height } = sign.canvas;
    ctx.fillStyle = taken ? "#7a2e2e" : darker(siteColour("primary"), 0.5);
    ctx.fillRect(0, 0, width, height);
    ctx.textBaseline = "top";
    lines.forEach((line, index) => {
      ctx.fillStyle = index === 0 ? siteColour("accent") : "#ffffff";
      ctx.font = `${index === 0 ? 700 : 400} ${Math.round(height * (index === 0 ? 0.16 : 0.11))}px system-ui, sans-serif`;
      ctx.fillText(line, width * 0.04, height * (0.07 + index * 0.22), width * 0.92);
    });
    sign.lines = lines;
    sign.texture.needsUpdate = true;
  }

  testState() {
    return Object.fromEntries([...this.signs].map(([id, sign]) => [id, [...sign.lines]]));
  }

  /** Where each sign hangs (world coordinates), for the test hook. */
  places() {
    const at = new THREE.Vector3();
    return Object.fromEntries([...this.signs].filter(([, sign]) => sign.mesh).map(([id, sign]) => {
      sign.mesh.getWorldPosition(at);
      return [id, [at.x, at.y, at.z]];
    }));
  }
}
