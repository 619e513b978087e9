/**
 * The workshops panel: what is coming up (join with one click, an invite code if needed),
 * the workshop running here (agenda, countdown, reactions, raised hands, groups), and for
 * facilitators and staff the controls to lead and moderate it, to plan workshops and to read
 * attendance; staff also see the moderation log and the bans. Every name and text from
 * people is set with textContent.
 */

import { auditText, localTime } from "./audit-text.js";
import { language, t } from "./i18n.js";
import { el, labelled } from "./dom.js";

/**
 * @param {string} label
 * @param {(event: MouseEvent) => void} onClick
 * @param {{className?: string, pressed?: boolean, id?: string}} [options]
 */
function button(label, onClick, { className, pressed, id } = {}) {
  const node = el("button", { class: className, text: label, type: "button" });
  if (id) node.id = id;
  if (pressed !== undefined) node.setAttribute("aria-pressed", String(pressed));
  node.addEventListener("click", onClick);
  return node;
}

/** An input whose content survives the section being drawn again. */
function withId(node, id) {
  node.id = id;
  node.dataset.keep = "";
  return node;
}

/** Replace a section's content, keeping what was typed or chosen in its named inputs and
 * where the keyboard was (the state changes while a facilitator types). */
function replaceKeeping(box, parts) {
  // Drawn again with nothing changed (the lists are read again every few seconds): the
  // nodes stay, so a click that is half done (pressed, not yet released) is not lost.
  const now = box.children;
  if (now.length === parts.length && parts.every((part, i) => part.isEqualNode(now[i]))) return;
  const kept = new Map([...box.querySelectorAll("[data-keep]")].map((n) => [n.id, n.value]));
  const focused = box.contains(document.activeElement) ? document.activeElement.id : null;
  box.replaceChildren(...parts);
  for (const [id, value] of kept) {
    const node = box.querySelector(`#${CSS.escape(id)}`);
    if (node) node.value = value;
  }
  if (focused) box.querySelector(`#${CSS.escape(focused)}`)?.focus();
}

function clock(seconds) {
  const s = Math.max(0, Math.round(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

/** "Di., 5. März, 10:00–11:30 · Werkstatt" in the UI language. */
export function whenText(workshop, roomName) {
  const lang = language() === "en" ? "en-GB" : "de-DE";
  const start = new Date(workshop.starts_at * 1000);
  const end = new Date(workshop.ends_at * 1000);
  const day = start.toLocaleDateString(lang, { weekday: "short", day: "numeric", month: "short" });
  /** @type {Intl.DateTimeFormatOptions} */
  const time = { hour: "2-digit", minute: "2-digit" };
  return t("ws.when", {
    day, from: start.toLocaleTimeString(lang, time), to: end.toLocaleTimeString(lang, time), room: roomName(workshop.room),
  });
}

/** "Wöchentlich, 4 Termine ab Di., 5. März, 17:00 · Werkstatt" in the UI language. */
export function seriesText(series, roomName) {
  const lang = language() === "en" ? "en-GB" : "de-DE";
  const first = new Date(series.first);
  const day = first.toLocaleDateString(lang, { weekday: "short", day: "numeric", month: "short" });
  const time = first.toLocaleTimeString(lang, { hour: "2-digit", minute: "2-digit" });
  return t("ws.seriesWhen", { repeat: t(`ws.repeat.${series.repeat}`), count: series.count, day, time, room: roomName(series.room) });
}

/** An agenda line "20 Kennenlernen station=ID talk=ID" as an item (station and talk are
 * optional; a line without minutes takes 10). */
export function agendaItem(line) {
  const words = line.split(/\s+/);
  const item = {};
  const title = [];
  for (const word of words) {
    const [key, value] = word.split("=", 2);
    if ((key === "station" || key === "talk") && value) item[key] = value;
    else title.push(word);
  }
  const match = /^(\d+)\s+(.+)$/.exec(title.join(" "));
  return match ? { minutes: Number(match[1]), title: match[2], ...item } : { minutes: 10, title: title.join(" "), ...item };
}

/** An agenda item as the line the form shows (agendaItem reads it back). */
export function agendaLine(item) {
  const refs = ["station", "talk"].filter((key) => item[key]).map((key) => ` ${key}=${item[key]}`);
  return `${item.minutes} ${item.title}${refs.join("")}`;
}

export class WorkshopPanel {
  /**
   * actions: {send(type, fields), join(id, code), create(body), update(id, body), remove(id),
   * createSeries(body), updateSeries(id, body), removeSeries(id), register(id), unregister(id),
   * registrations(id), registrationsCsv(id), grouping(id, by, groups), play(talk),
   * attendance(id), csv(id), audit(),
   * bans(), lift(id), copyLink(workshop), toggled(open)}
   */
  constructor(actions) {
    this.actions = actions;
    this.panel = document.getElementById("panel-workshop");
    this.toggleButton = document.getElementById("toggle-workshop");
    this.status = document.getElementById("workshop-status");
    this.sections = {
      live: document.getElementById("workshop-live"),
      moderation: document.getElementById("workshop-moderation"),
      upcoming: document.getElementById("workshop-upcoming"),
      plan: document.getElementById("workshop-plan"),
      staff: document.getElementById("workshop-staff"),
    };
    this.model = null;
    this.planBuilt = false;
    this.toggleButton.addEventListener("click", () => this.toggle());
    this.panel.querySelector("[data-close-workshop]").addEventListener("click", () => this.close());
    this.panel.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        event.stopPropagation();
        this.close();
      }
    });
  }

  get open() {
    return !this.panel.hidden;
  }

  toggle() {
    if (this.open) this.close();
    else this.show();
  }

  show() {
    for (const other of ["panel-rooms", "panel-talks", "panel-station"]) {
      const panel = document.getElementById(other);
      if (panel && !panel.hidden) (/** @type {HTMLElement | null} */ (document.querySelector(`[data-close="${other}"]`)))?.click();
    }
    this.panel.hidden = false;
    this.toggleButton.setAttribute("aria-expanded", "true");
    this.actions.toggled(true);
    (/** @type {HTMLElement | null} */ (this.panel.querySelector("button:not([data-close-workshop]), input, select")))?.focus();
  }

  close() {
    const hadFocus = this.panel.contains(document.activeElement);
    this.panel.hidden = true;
    this.toggleButton.setAttribute("aria-expanded", "false");
    this.actions.toggled(false);
    if (hadFocus) this.toggleButton.focus();
  }

  say(text) {
    this.status.textContent = text;
  }

  /** Draw everything from the model (see WorkshopsFeature.model). */
  render(model) {
    this.model = model;
    const leads = ["facilitator", "staff"].includes(model.identity?.role);
    this.renderLive(model, leads);
    this.renderModeration(model, leads);
    this.renderUpcoming(model);
    this.sections.plan.hidden = !leads;
    if (leads && !this.planBuilt) this.buildPlan(model);
    if (leads) this.renderMine(model);
    this.sections.staff.hidden = model.identity?.role !== "staff";
  }

  /** Only the countdowns change every second. */
  tick(now) {
    for (const node of /** @type {NodeListOf<HTMLElement>} */ (this.panel.querySelectorAll("[data-ends]"))) {
      const left = Number(node.dataset.ends) - now;
      node.textContent = left > 0 ? t("ws.timer", { time: clock(left) }) : t("ws.timerOver");
    }
  }

  // --- the workshop here -------------------------------------------------------------------

  renderLive(model, leads) {
    const live = model.live;
    const box = this.sections.live;
    const parts = [];
    const send = this.actions.send;
    if (!live) {
      box.hidden = !leads;
      if (leads) {
        const here = model.upcoming.filter((w) => w.room === model.room && w.you_lead);
        parts.push(el("h3", { text: t("ws.lead") }));
        if (here.length === 0) parts.push(el("p", { class: "hint", text: t("ws.startNone") }));
        else {
          const select = withId(el("select", {}, here.map((w) => el("option", { text: w.title, value: w.id }))), "ws-start-pick");
          parts.push(...labelled(t("ws.startPick"), select, "ws-field"));
          parts.push(el("div", { class: "button-row" }, [
            button(t("ws.start"), () => send("workshop_start", { workshop: select.value }), { id: "ws-start", className: "primary" }),
          ]));
        }
      }
      replaceKeeping(box, parts);
      return;
    }
    box.hidden = false;
    const names = (sessions) => sessions.map((s) => model.nameOf(s) ?? "?").join(", ");
    parts.push(el("h3", { text: `${t("ws.live")}: ${live.title}` }));
    const endsAt = new Date(live.ends_at * 1000).toLocaleTimeString(language() === "en" ? "en-GB" : "de-DE", { hour: "2-digit", minute: "2-digit" });
    parts.push(el("p", { class: "ws-ends", text: t("ws.endsAt", { time: endsAt }) }));
    const current = live.agenda[live.item];
    parts.push(el("p", { class: "ws-now", text: current ? t("ws.item", { title: current.title }) : t("ws.itemNone") }));
    if (live.timer_ends) parts.push(el("p", { class: "ws-timer", "data-ends": String(live.timer_ends) }));
    if (live.agenda.length) {
      const items = live.agenda.map((item, index) => {
        const row = el("li", {
          class: index === live.item ? "current" : index < live.item ? "done" : "",
          ...index === live.item ? { "aria-current": "step" } : {},
        }, [el("span", { text: `${item.title} · ${t("ws.minutes", { n: item.minutes })}` })]);
        row.dataset.item = String(index);
        // An item naming a station or a talk: the group goes there, the talk plays, in one click.
        if (live.you_lead && item.station) {
          const go = button(t("ws.goThere"), () => send("gather", { item: index }), { className: "ws-go" });
          go.setAttribute("aria-label", t("ws.goThereLabel", { title: item.title }));
          row.append(" ", go);
        }
        if (live.you_lead && item.talk) {
          const play = button(t("ws.play"), () => this.actions.play(item.talk), { className: "ws-play" });
          play.setAttribute("aria-label", t("ws.playLabel", { title: item.title }));
          row.append(" ", play);
        }
        return row;
      });
      parts.push(el("h4", { text: t("ws.agenda") }), el("ol", { class: "ws-agenda" }, items));
    }
    if (live.reactions.length) {
      parts.push(el("p", { class: "ws-counts", text: `${t("ws.reactions")}: ${live.reactions.map((r) => `${r.emoji} ${r.count}`).join("  ")}` }));
    }
    parts.push(el("p", { text: model.hands.length ? t("ws.hands", { names: names(model.hands) }) : t("ws.handsNone") }));
    if (live.spotlight.length) parts.push(el("p", { text: t("ws.spotlight", { names: names(live.spotlight) }) }));
    if (model.stage.length) parts.push(el("p", { text: t("ws.stage", { names: names(model.stage) }) }));
    if (live.follow && live.follow !== model.session) {
      parts.push(el("p", { class: "ws-following", text: t("ws.following", { name: model.nameOf(live.follow) ?? "?" }) }));
    }
    if (live.breakout) {
      const until = new Date(live.breakout.ends_at * 1000).toLocaleTimeString(language(), { hour: "2-digit", minute: "2-digit" });
      parts.push(el("p", { text: t("ws.groupsUntil", { time: until }) }));
      if (live.group >= 0) parts.push(el("p", { class: "ws-group", text: t("ws.group", { n: live.group + 1 }) }));
    }
    if (live.you_lead && live.admission) parts.push(...this.waitingRoom(model));
    if (live.you_lead) parts.push(...this.leadControls(model, live));
    replaceKeeping(box, parts);
  }

  /** Who waits to be let in (a workshop with a waiting room): admit one or all, or decline
   * with an optional message. */
  waitingRoom(model) {
    const send = this.actions.send;
    /** @type {HTMLElement[]} */
    const out = [el("h4", { text: t("ws.waiting") })];
    if (!model.waiting.length) {
      out.push(el("p", { class: "hint", id: "ws-waiting-none", text: t("ws.waitingNone") }));
      return out;
    }
    const message = withId(el("input", { type: "text", maxlength: "280" }), "ws-decline-text");
    const lang = language() === "en" ? "en-GB" : "de-DE";
    const rows = model.waiting.map((person) => {
      const since = new Date(person.since * 1000).toLocaleTimeString(lang, { hour: "2-digit", minute: "2-digit" });
      const meta = [t("ws.waitingSince", { time: since })];
      if (person.removed) meta.push(t(`ws.waitingRemoved.${person.removed}`));
      const row = el("li", { class: person.removed ? "ws-waiting removed" : "ws-waiting" }, [
        el("span", { class: "name", text: person.name }),
        el("span", { class: "meta", text: meta.join(" · ") }),
        el("span", { class: "actions" }, [
          button(t("ws.admit"), () => send("admit", { session: person.session }), { className: "primary" }),
          button(t("ws.decline"), () => {
            const text = message.value.trim();
            send("decline", text ? { session: person.session, message: text } : { session: person.session });
          }),
        ]),
      ]);
      row.dataset.session = person.session;
      return row;
    });
    out.push(el("ul", { class: "ws-people", id: "ws-waiting" }, rows));
    out.push(...labelled(t("ws.declineMessage"), message, "ws-field"));
    out.push(el("div", { class: "button-row" }, [
      button(t("ws.admitAll", { n: model.waiting.length }), () => send("admit", { all: true }), { id: "ws-admit-all" }),
    ]));
    return out;
  }

  leadControls(model, live) {
    const send = this.actions.send;
    /** @type {HTMLElement[]} */
    const out = [el("h4", { text: t("ws.lead") })];
    const following = live.follow === model.session;
    const spotlit = live.spotlight.includes(model.session);
    out.push(el("div", { class: "button-row" }, [
      button(t("ws.gather"), () => send("gather", {}), { id: "ws-gather" }),
      button(following ? t("ws.followOff") : t("ws.followOn"), () => send("follow", { on: !following }), { id: "ws-follow", pressed: following }),
      button(spotlit ? t("ws.spotlightOff") : t("ws.spotlightMe"), () => send("spotlight", spotlit ? { on: false } : { on: true }), { pressed: spotlit }),
      button(t("ws.nextHand"), () => send("hands", { action: "next" }), { id: "ws-next-hand" }),
      button(t("ws.clearHands"), () => send("hands", { action: "clear" })),
    ]));
    out.push(el("div", { class: "button-row" }, [
      button(t("ws.prev"), () => send("agenda", { item: Math.max(-1, live.item - 1) })),
      button(t("ws.next"), () => send("agenda", { item: Math.min(live.agenda.length - 1, live.item + 1) })),
    ]));
    const minutes = withId(el("input", { type: "number", min: "1", max: "240", value: "5" }), "ws-timer-minutes");
    out.push(el("div", { class: "ws-inline" }, [
      ...labelled(t("ws.timerMinutes"), minutes, "ws-field"),
      button(t("ws.timerStart"), () => send("timer", { seconds: Math.round(Number(minutes.value) * 60) })),
      button(t("ws.timerStop"), () => send("timer", { seconds: 0 })),
    ]));
    const text = withId(el("input", { type: "text", maxlength: "280" }), "ws-announce-text");
    out.push(el("div", { class: "ws-inline" }, [
      ...labelled(t("ws.announce"), text, "ws-field"),
      button(t("ws.announceRoom"), () => text.value.trim() && send("announce", { text: text.value, scope: "room" }), { id: "ws-announce-room" }),
      button(t("ws.announceHub"), () => text.value.trim() && send("announce", { text: text.value, scope: "hub" })),
    ]));
    if (live.breakout) {
      const groups = live.breakout.groups.map((group) => {
        const visit = button(
          t("ws.groupN", { n: group.group + 1, count: group.members.length }),
          () => send("breakout_visit", { group: group.group }),
        );
        visit.dataset.group = String(group.group);
        const names = group.members.map((s) => model.nameOf(s) ?? "?").join(", ");
        return el("li", { class: "ws-group-row" }, [
          visit,
          el("span", { class: "meta ws-occupancy", text: t("ws.groupPresent", { n: group.present ?? 0, of: group.members.length }) }),
          el("span", { class: "meta", text: group.team ? `${t("ws.groupTeam")}: ${names}` : names }),
        ]);
      });
      out.push(el("ul", { class: "ws-groups", id: "ws-groups" }, groups));
      const toGroups = withId(el("input", { type: "text", maxlength: "280" }), "ws-groups-text");
      out.push(el("div", { class: "ws-inline" }, [
        ...labelled(t("ws.toGroups"), toGroups, "ws-field"),
        button(t("ws.toGroupsSend"), () => toGroups.value.trim() && send("announce", { text: toGroups.value, scope: "room" }), { id: "ws-groups-send" }),
      ]));
      out.push(el("div", { class: "button-row" }, [
        button(t("ws.visitMain"), () => send("breakout_visit", { group: -1 })),
        button(t("ws.recall"), () => send("breakout_recall", {}), { className: "primary" }),
      ]));
    } else {
      out.push(...this.groupMaker(model, live));
    }
    const longer = withId(el("input", { type: "number", min: "1", max: "120", value: "15" }), "ws-extend-minutes");
    out.push(el("div", { class: "ws-inline" }, [
      ...labelled(t("ws.extendMinutes"), longer, "ws-field"),
      button(t("ws.extend"), () => send("workshop_extend", { minutes: Math.round(Number(longer.value)) }), { id: "ws-extend" }),
    ]));
    out.push(el("div", { class: "button-row" }, [
      button(t("ws.end"), () => send("workshop_end", {}), { className: "danger" }),
    ]));
    return out;
  }

  /** Making breakout groups: how many, how long, and for whom the facilitator chooses a
   * group (the others are spread at random by the server). */
  groupMaker(model, live) {
    const send = this.actions.send;
    const count = withId(el("input", { type: "number", min: "2", max: "20", value: "2" }), "ws-group-count");
    const length = withId(el("input", { type: "number", min: "1", max: "120", value: "10" }), "ws-group-minutes");
    const participants = model.people.filter((p) => p.id !== model.session && !live.leaders.includes(p.id));
    const picks = participants.map((person) => {
      const pick = withId(el("select", {}, [
        el("option", { text: t("ws.groupAny"), value: "" }),
        ...Array.from({ length: 20 }, (_, i) => el("option", { text: t("ws.groupNumber", { n: i + 1 }), value: String(i) })),
      ]), `ws-pick-${person.id}`);
      pick.dataset.session = person.id;
      return el("li", {}, [el("span", { class: "name", text: person.name }), pick]);
    });
    const start = () => {
      const groups = Number(count.value);
      const assign = Array.from({ length: groups }, () => []);
      for (const pick of /** @type {NodeListOf<HTMLSelectElement>} */ (this.sections.live.querySelectorAll("select[data-session]"))) {
        if (pick.value !== "" && Number(pick.value) < groups) assign[Number(pick.value)].push(pick.dataset.session);
      }
      const chosen = assign.some((members) => members.length);
      send("breakout", chosen
        ? { groups, mode: "chosen", minutes: Number(length.value), assign }
        : { groups, mode: "random", minutes: Number(length.value) });
    };
    /** @type {HTMLElement[]} */
    const out = [el("div", { class: "ws-inline" }, [
      ...labelled(t("ws.groups"), count, "ws-field"),
      ...labelled(t("ws.groupsMinutes"), length, "ws-field"),
      button(t("ws.groupsStart"), start, { id: "ws-groups-start" }),
      // The server forms the groups from the teams that share the workshop (groups ignored).
      button(t("ws.groupsByTeam"), () => send("breakout", { groups: 2, mode: "teams", minutes: Number(length.value) }), { id: "ws-groups-teams" }),
    ])];
    out.push(el("p", { class: "hint", text: t("ws.groupsByTeamHint") }));
    // By profile: the server proposes groups from the profiles people chose to show; the
    // proposal fills in the choices below, which "Gruppen bilden" then starts as they are.
    const proposal = el("ul", { class: "ws-proposal", id: "ws-proposal", "aria-live": "polite" });
    const propose = async (by) => {
      try {
        const answer = await this.actions.grouping(live.id, by, Number(count.value) > 2 ? Number(count.value) : 4);
        this.applyProposal(answer, count, proposal);
      } catch (error) {
        this.say(error.message);
      }
    };
    out.push(el("div", { class: "button-row" }, [
      button(t("ws.groupsByIndustry"), () => propose("industry"), { id: "ws-groups-industry" }),
      button(t("ws.groupsByTopic"), () => propose("topic"), { id: "ws-groups-topic" }),
    ]));
    out.push(el("p", { class: "hint", text: t("ws.groupsByProfileHint") }), proposal);
    if (picks.length) {
      out.push(
        el("p", { class: "hint", text: t("ws.groupsChoose") }),
        el("ul", { class: "ws-people ws-group-picks" }, picks),
      );
    }
    return out;
  }

  /** A proposal of groups by profile: the group count and each person's choice set to it,
   * the groups listed with their label, and beside each name what their profile shows. */
  applyProposal(answer, count, list) {
    const usable = answer.groups.filter((group) => group.sessions.length);
    if (usable.length < 2) {
      list.replaceChildren(el("li", { text: t("ws.proposalTooFew") }));
      return;
    }
    count.value = String(usable.length);
    for (const pick of /** @type {NodeListOf<HTMLSelectElement>} */ (this.sections.live.querySelectorAll("select[data-session]"))) pick.value = "";
    usable.forEach((group, number) => {
      for (const session of group.sessions) {
        const pick = /** @type {HTMLSelectElement | null} */ (this.sections.live.querySelector(`select[data-session="${CSS.escape(session)}"]`));
        if (pick) pick.value = String(number);
      }
    });
    for (const person of answer.participants) {
      const row = this.sections.live.querySelector(`select[data-session="${CSS.escape(person.session)}"]`)?.closest("li");
      if (!row) continue;
      row.querySelector(".ws-profile")?.remove();
      const p = person.profile;
      const facts = p ? [p.industry, p.role ? t(`meet.role.${p.role}`) : "", p.organisation].filter(Boolean).join(" · ") : t("ws.noProfile");
      row.append(el("span", { class: "meta ws-profile", text: facts }));
    }
    list.replaceChildren(...usable.map((group, number) => el("li", {
      text: t("ws.proposalGroup", { n: number + 1, label: group.label, names: group.names.join(", ") }),
    })));
    this.say(t("ws.proposalReady", { n: usable.length }));
  }

  // --- moderation ------------------------------------------------------------------------

  renderModeration(model, leads) {
    const box = this.sections.moderation;
    box.hidden = !leads;
    if (!leads) return;
    const send = this.actions.send;
    const rules = model.rules ?? { locked: false, chat: "everyone", reactions: "everyone", screens: "anyone" };
    const check = (label, on, change) => {
      const input = el("input", { type: "checkbox" });
      input.checked = on;
      input.addEventListener("change", () => change(input.checked));
      return el("label", { class: "check" }, [input, el("span", { text: label })]);
    };
    const screens = el("select", {}, ["anyone", "facilitators", "staff"].map((mode) => el("option", {
      text: t(`ws.screens.${mode}`), value: mode,
    })));
    screens.id = "ws-screens";
    screens.value = rules.screens;
    screens.addEventListener("change", () => send("permissions", { screens: screens.value }));
    const people = model.people.filter((person) => person.id !== model.session);
    const rows = people.map((person) => {
      const muted = model.muted.has(person.id);
      return el("li", {}, [
        el("span", { class: "name", text: person.name }),
        el("span", { class: "actions" }, [
          button(muted ? t("ws.unmute") : t("ws.mute"), () => {
            send("mute", { session: person.id, on: !muted });
            if (muted) model.muted.delete(person.id);
            else model.muted.add(person.id);
          }),
          button(t("ws.remove"), () => send("remove", { session: person.id })),
          button(t("ws.ban"), () => {
            if (window.confirm(t("ws.confirmBan", { name: person.name }))) send("ban", { session: person.id, hours: 24 });
          }, { className: "danger" }),
          button(t("ws.invite"), () => send("invite", { session: person.id })),
        ]),
      ]);
    });
    replaceKeeping(box, [
      el("h3", { text: t("ws.moderation") }),
      check(t("ws.lock"), rules.locked, (on) => send("lock", { on })),
      check(t("ws.chatOff"), rules.chat === "facilitators", (on) => send("permissions", { chat: on ? "facilitators" : "everyone" })),
      check(t("ws.reactionsOff"), rules.reactions === "facilitators", (on) => send("permissions", { reactions: on ? "facilitators" : "everyone" })),
      ...labelled(t("ws.screens"), screens, "ws-field"),
      people.length ? el("ul", { class: "ws-people" }, rows) : el("p", { class: "hint", text: t("ws.nobody") }),
    ]);
  }

  // --- coming up ------------------------------------------------------------------------------

  renderUpcoming(model) {
    const items = model.upcoming.map((workshop) => {
      const code = el("input", { type: "text", maxlength: "32", autocomplete: "off" });
      const join = button(t("ws.join"), () => this.actions.join(workshop.id, code.value.trim() || null));
      join.dataset.workshop = workshop.id;
      const row = [
        el("strong", { text: workshop.title }),
        el("span", { class: "meta", text: whenText(workshop, model.roomName) }),
        el("span", { class: "meta", text: t("ws.by", { names: workshop.facilitators.map((p) => p.name ?? p).join(", ") }) }),
      ];
      if (workshop.description) row.push(el("span", { class: "ws-description", text: workshop.description }));
      if (workshop.invited_you) row.push(el("span", { class: "ws-invited", text: t("ws.invitedYou") }));
      /** @type {HTMLElement[]} */
      const controls = [join, button(t("ws.copyLink"), () => this.actions.copyLink(workshop))];
      if (workshop.access === "code" && !workshop.you_lead) controls.unshift(...labelled(t("ws.code"), code, "ws-field"));
      row.push(el("span", { class: "ws-inline" }, controls));
      if (workshop.registration) row.push(...this.registration(workshop, () => code.value.trim() || null));
      const item = el("li", {}, row);
      item.dataset.workshop = workshop.id;
      return item;
    });
    this.sections.upcoming.replaceChildren(
      el("h3", { text: t("ws.upcoming") }),
      items.length ? el("ul", { class: "ws-list" }, items) : el("p", { class: "hint", text: t("ws.none") }),
    );
  }

  /** Seats of a workshop with registration: how many are taken, where one stands, and
   * registering (with the code typed beside it, if any: codeOf()) or taking it back (the
   * calendar file for the registered). */
  registration(workshop, codeOf) {
    const seats = workshop.registration;
    const out = [el("span", { class: "meta ws-seats", text: t("ws.seatsTaken", { taken: seats.taken, seats: seats.seats, waiting: seats.waiting }) })];
    const mine = workshop.your_registration;
    const controls = [];
    if (mine) {
      const where = mine.status === "registered" ? t("ws.registered") : t("ws.waitlisted", { n: mine.position });
      out.push(el("span", { class: "ws-registration", "data-status": mine.status, text: where }));
      const calendar = el("a", { text: t("ws.calendar"), href: `/api/workshops/${encodeURIComponent(workshop.id)}/calendar.ics`, download: `workshop-${workshop.id}.ics` });
      controls.push(calendar, button(t("ws.unregister"), () => this.actions.unregister(workshop.id), { className: "ws-unregister" }));
    } else {
      const full = seats.taken >= seats.seats;
      controls.push(button(full ? t("ws.registerWaitlist") : t("ws.register"), () => this.actions.register(workshop.id, codeOf()), { className: "ws-register" }));
    }
    out.push(el("span", { class: "ws-inline" }, controls));
    return out;
  }

  // --- planning (facilitators and staff) ------------------------------------------------------

  buildPlan(model) {
    this.planBuilt = true;
    const title = el("input", { type: "text", maxlength: "120", required: "" });
    const description = el("textarea", { rows: "2", maxlength: "2000" });
    const room = el("select", {}, model.rooms.map((r) => el("option", { text: r.name, value: r.id })));
    room.value = model.room ?? model.rooms[0]?.id;
    const starts = el("input", { type: "datetime-local", required: "" });
    const soon = new Date(Date.now() + 10 * 60000);
    soon.setMinutes(soon.getMinutes() - soon.getTimezoneOffset());
    starts.value = soon.toISOString().slice(0, 16);
    const minutes = el("input", { type: "number", min: "5", max: "720", value: "60" });
    const access = el("select", {}, ["open", "code", "list"].map((mode) => el("option", {
      text: t(`ws.access.${mode}`), value: mode,
    })));
    const agenda = el("textarea", { rows: "3" });
    const admission = el("input", { type: "checkbox" });
    admission.id = "ws-admission";
    const force = el("input", { type: "checkbox" });
    force.id = "ws-force";
    const seats = el("input", { type: "number", min: "1", max: "10000", placeholder: t("ws.seatsNone") });
    seats.id = "ws-seats";
    const invited = el("input", { type: "text", maxlength: "4000", autocomplete: "off" });
    invited.id = "ws-invited";
    const repeat = el("select", {}, ["none", "weekly", "biweekly", "monthly"].map((mode) => el("option", {
      text: t(`ws.repeat.${mode}`), value: mode,
    })));
    repeat.id = "ws-repeat";
    const count = el("input", { type: "number", min: "1", max: "52", value: "4" });
    count.id = "ws-count";
    const countFields = el("div", { class: "ws-series-count" }, labelled(t("ws.count"), count, "ws-field"));
    const showCount = () => {
      countFields.hidden = repeat.value === "none";
    };
    repeat.addEventListener("change", showCount);
    showCount();
    const heading = el("h3", { text: t("ws.plan") });
    const form = el("form", { class: "ws-form", novalidate: "" }, [
      heading,
      ...labelled(t("ws.title"), title, "ws-field"),
      ...labelled(t("ws.description"), description, "ws-field"),
      ...labelled(t("ws.room"), room, "ws-field"),
      ...labelled(t("ws.starts"), starts, "ws-field"),
      ...labelled(t("ws.length"), minutes, "ws-field"),
      ...labelled(t("ws.access"), access, "ws-field"),
      ...labelled(t("ws.invitedNames"), invited, "ws-field"),
      el("label", { class: "check" }, [admission, el("span", { text: t("ws.admission") })]),
      ...labelled(t("ws.seats"), seats, "ws-field"),
      ...labelled(t("ws.repeat"), repeat, "ws-field"),
      countFields,
      ...labelled(t("ws.agendaLines"), agenda, "ws-field"),
      el("label", { class: "check" }, [force, el("span", { text: t("ws.force") })]),
      el("button", { text: t("ws.save"), class: "primary", type: "submit" }),
    ]);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const items = agenda.value.split("\n").map((line) => line.trim()).filter(Boolean).map(agendaItem);
      const when = new Date(starts.value).getTime() / 1000;
      const body = {
        title: title.value,
        description: description.value,
        room: room.value,
        minutes: Number(minutes.value),
        access: access.value,
        admission: admission.checked,
        agenda: items,
        seats: seats.value ? Number(seats.value) : null,
        invited: invited.value.split(",").map((name) => name.trim()).filter(Boolean),
      };
      if (force.checked) body.force = true;
      const asSeries = this.editingSeries || (!this.editing && repeat.value !== "none");
      if (asSeries) Object.assign(body, { first: when, repeat: repeat.value, count: Number(count.value) });
      else body.starts = when;
      let saving;
      if (this.editingSeries) saving = this.actions.updateSeries(this.editingSeries, body);
      else if (asSeries) saving = this.actions.createSeries(body);
      else saving = this.editing ? this.actions.update(this.editing, body) : this.actions.create(body);
      saving.then((saved) => {
        if (!saved) return;
        form.reset();
        force.checked = false;
        repeat.disabled = false;
        showCount();
        this.editing = null;
        this.editingSeries = null;
        heading.textContent = t("ws.plan");
      });
    });
    const fill = (item, startsAt) => {
      title.value = item.title;
      description.value = item.description;
      room.value = item.room;
      const local = new Date(startsAt * 1000);
      local.setMinutes(local.getMinutes() - local.getTimezoneOffset());
      starts.value = local.toISOString().slice(0, 16);
      minutes.value = String(item.minutes);
      access.value = item.access;
      admission.checked = Boolean(item.admission);
      agenda.value = item.agenda.map(agendaLine).join("\n");
      seats.value = item.seats ? String(item.seats) : "";
      invited.value = (item.invited_people ?? (item.invited ?? []).map((id) => ({ id }))).map((p) => p.username || p.id).join(", ");
    };
    /** Fill the form with a series of mine; saving then changes it and its sessions to
     * come (a session changed on its own stays as it is). */
    this.editSeries = (series) => {
      this.editing = null;
      this.editingSeries = series.id;
      heading.textContent = t("ws.editingSeries", { title: series.title });
      fill(series, new Date(series.first).getTime() / 1000);
      repeat.value = series.repeat;
      repeat.disabled = false;
      count.value = String(series.count);
      showCount();
      title.focus();
    };
    /** Fill the form with a workshop of mine; saving then changes it. */
    this.editWorkshop = (workshop) => {
      this.editing = workshop.id;
      this.editingSeries = null;
      heading.textContent = t(workshop.series ? "ws.editingSession" : "ws.editing", { title: workshop.title });
      fill(workshop, workshop.starts_at);
      repeat.value = "none";
      repeat.disabled = true; // one session: the series is changed from its own row
      showCount();
      title.focus();
    };
    this.mine = el("section", { class: "ws-mine" });
    this.sections.plan.replaceChildren(form, this.mine);
  }

  renderMine(model) {
    const mine = model.upcoming.filter((w) => w.you_lead);
    const rows = mine.map((workshop) => {
      const row = el("li", {}, [
        el("strong", { text: workshop.title }),
        el("span", { class: "meta", text: whenText(workshop, model.roomName) }),
        workshop.series ? el("span", { class: "meta ws-of-series", text: t("ws.ofSeries") }) : "",
        workshop.code ? el("span", { class: "meta", text: `${t("ws.code")}: ${workshop.code}` }) : "",
        el("span", { class: "ws-inline" }, [
          button(t("ws.edit"), () => this.editWorkshop(workshop), { className: "ws-edit" }),
          button(t("ws.attendance"), () => this.actions.attendance(workshop.id)),
          button(t("ws.csv"), () => this.actions.csv(workshop.id)),
          workshop.seats ? button(t("ws.registrations"), () => this.actions.registrations(workshop.id), { className: "ws-registrations" }) : "",
          button(workshop.series ? t("ws.cancelSession") : t("ws.delete"), () => this.actions.remove(workshop.id), { className: "danger ws-delete" }),
        ]),
      ]);
      row.dataset.workshop = workshop.id;
      return row;
    });
    const series = (model.series ?? []).map((item) => {
      const row = el("li", {}, [
        el("strong", { text: item.title }),
        el("span", { class: "meta", text: seriesText(item, model.roomName) }),
        el("span", { class: "ws-inline" }, [
          button(t("ws.editSeries"), () => this.editSeries(item), { className: "ws-edit-series" }),
          button(t("ws.deleteSeries"), () => {
            if (window.confirm(t("ws.confirmDeleteSeries", { title: item.title }))) this.actions.removeSeries(item.id);
          }, { className: "danger ws-delete-series" }),
        ]),
      ]);
      row.dataset.series = item.id;
      return row;
    });
    const kept = this.mine.querySelector(".ws-attendance");
    this.mine.replaceChildren(
      el("h3", { text: t("ws.mine") }),
      el("ul", { class: "ws-list", id: "ws-mine" }, rows),
      el("h3", { text: t("ws.mySeries") }),
      series.length
        ? el("ul", { class: "ws-list", id: "ws-series" }, series)
        : el("p", { class: "hint", text: t("ws.seriesNone") }),
    );
    if (kept) this.mine.append(kept);
  }

  /** Who registered for a workshop of mine, in order: a seat or a waiting place, and the
   * CSV to download. */
  showRegistrations(listing) {
    this.say(t("ws.registrationsSummary", { taken: listing.taken, seats: listing.seats, waiting: listing.waiting }));
    const rows = listing.people.map((person) => el("tr", {}, [
      el("td", { text: person.display_name }),
      el("td", { class: "ws-key", text: person.key }),
      el("td", { text: person.status === "registered" ? t("ws.registeredShort") : t("ws.waitlistShort", { n: person.position }) }),
    ]));
    const head = el("tr", {}, ["ws.person", "ws.key", "ws.status"].map((key) => el("th", { text: t(key), scope: "col" })));
    const table = el("table", { class: "ws-registration-list" }, [
      el("caption", { text: `${t("ws.registrations")}: ${listing.workshop.title}` }),
      el("thead", {}, [head]),
      el("tbody", {}, rows),
    ]);
    const csv = button(t("ws.registrationsCsv"), () => this.actions.registrationsCsv(listing.workshop.id), { className: "ws-registrations-csv" });
    this.mine.querySelector(".ws-attendance")?.remove();
    this.mine.append(el("div", { class: "ws-attendance" }, [table, csv]));
  }

  /** The short summary of a workshop: its figures (participants, not its facilitators) and
   * everyone by display name, key (two people of one name differ) and role. */
  showAttendance(report) {
    this.say(t("ws.summary", { n: report.participants, peak: report.peak, minutes: report.average_minutes }));
    const rows = report.people.map((person) => el("tr", {}, [
      el("td", { text: person.name }),
      el("td", { class: "ws-key", text: person.key ?? "" }),
      el("td", { text: t(`ws.role.${person.role ?? "participant"}`) }),
      el("td", { text: String(person.minutes) }),
      el("td", { text: String(person.stations_opened) }),
      el("td", { text: String(person.quizzes_passed) }),
    ]));
    const columns = ["ws.person", "ws.key", "ws.role", "ws.minutesShort", "ws.stations", "ws.quizzes"];
    const head = el("tr", {}, columns.map((key) => el("th", {
      text: t(key), scope: "col",
    })));
    const table = el("table", { class: "ws-attendance" }, [
      el("caption", { text: `${t("ws.attendance")}: ${report.workshop.title}` }),
      el("thead", {}, [head]),
      el("tbody", {}, rows),
    ]);
    this.mine.querySelector(".ws-attendance")?.remove();
    this.mine.append(table);
  }

  // --- staff ---------------------------------------------------------------------------------

  async renderStaff() {
    const box = this.sections.staff;
    if (box.hidden) return;
    const [audit, bans] = await Promise.all([this.actions.audit(), this.actions.bans()]);
    const roomName = this.model?.roomName ?? ((id) => id);
    const entries = audit.entries.map((entry) => el("li", { text: auditText(entry, roomName) }));
    const banRows = bans.bans.map((ban) => el("li", {}, [
      el("span", { text: `${ban.display_name} · ${ban.expires_at ? t("ws.until", { time: localTime(ban.expires_at) }) : t("ws.forever")}` }),
      button(t("ws.lift"), async () => {
        await this.actions.lift(ban.id);
        this.renderStaff();
      }),
    ]));
    box.replaceChildren(
      el("h3", { text: t("ws.audit") }),
      entries.length ? el("ol", { class: "ws-audit" }, entries) : el("p", { class: "hint", text: t("ws.auditNone") }),
      el("h3", { text: t("ws.bans") }),
      banRows.length ? el("ul", { class: "ws-list" }, banRows) : el("p", { class: "hint", text: t("ws.bansNone") }),
    );
  }
}
