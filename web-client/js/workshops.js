/**
 * Workshops in the visit: what the server says about the workshop running here
 * (workshop_state), the room's rules (room_rules), who stands on a stage (stage),
 * announcements and what a facilitator did about you (moderated) are shown; facilitators'
 * buttons send their messages. Everything is decided by the server; this only shows it.
 *
 * - the panel (ui/workshop-panel.js) and a strip over the view (title, agenda item, countdown);
 * - a light column over whoever is in the spotlight or on a stage, seen through walls, and
 *   their chat lines (and the facilitators') highlighted;
 * - announcements as a banner; the foyer board lists the next workshops (workshop-board.js);
 * - a link /?workshop=ID[&code=C] joins that workshop once the visitor is inside.
 */

import * as THREE from "three";
import {
  createSeries, createWorkshop, deleteSeries, deleteWorkshop, fetchAttendance, fetchAttendanceCsv, fetchAudit, fetchBans,
  fetchGrouping, fetchRegistrations, fetchRegistrationsCsv, fetchSeries, fetchWorkshops, liftBan, registerFor,
  unregisterFrom, updateSeries, updateWorkshop,
} from "./net/workshops-api.js";
import { announce } from "./ui/announcer.js";
import { language, onLanguageChange, t } from "./ui/i18n.js";
import { WorkshopPanel } from "./ui/workshop-panel.js";
import { siteColour } from "./ui/theme.js";
import { saveFile } from "./ui/save-file.js";
import { WorkshopBoard } from "./workshop-board.js";

const FEATURE_MESSAGES = new Set([
  "workshop_join", "workshop_start", "workshop_end", "workshop_extend", "gather", "follow", "spotlight", "hands", "announce", "timer",
  "agenda", "breakout", "breakout_visit", "breakout_recall", "mute", "remove", "ban", "lock", "permissions", "invite",
  "admit", "decline",
]);
const RELOAD_LIST_MS = 60000;
const ANNOUNCEMENT_MS = 12000;
const BEAM_HEIGHT = 3.2;

export class WorkshopsFeature {
  /**
   * parts: {connection, table, clock, chat, crowd, player, roomState, scene, venue, token(),
   * identity(), roomName(id), roomIds}
   */
  constructor(parts) {
    this.connection = parts.connection;
    this.table = parts.table;
    this.clock = parts.clock;
    this.chat = parts.chat;
    this.crowd = parts.crowd;
    this.player = parts.player;
    this.roomState = parts.roomState;
    this.scene = parts.scene;
    this.venue = parts.venue;
    this.token = parts.token;
    this.identity = parts.identity;
    this.roomName = parts.roomName;
    this.roomIds = parts.roomIds;
    this.live = null;
    this.rules = null;
    this.hands = [];
    this.stage = [];
    this.upcoming = [];
    this.muted = new Set();
    this.lastAnnouncement = null;
    this.lastModerated = null;
    this.lastEnding = null;
    this.waiting = [];
    this.series = [];
    this.reloadsAsked = 0;
    /** the screens of the room one is in (from their playback_state), for an agenda item's "play" */
    this.screens = new Set();
    this.admission = null;
    this.linkJoin = new URLSearchParams(window.location.search).get("workshop");
    this.linkCode = new URLSearchParams(window.location.search).get("code");
    this.strip = document.getElementById("workshop-strip");
    this.banner = document.getElementById("announcement");
    this.banner.querySelector("button").addEventListener("click", () => {
      this.banner.hidden = true;
    });
    this.panel = new WorkshopPanel({
      send: (type, fields) => this.send(type, fields),
      join: (id, code) => this.join(id, code),
      create: (body) => this.create(body),
      update: (id, body) => this.update(id, body),
      remove: (id) => this.remove(id),
      createSeries: (body) => this.saveSeries(null, body),
      updateSeries: (id, body) => this.saveSeries(id, body),
      removeSeries: (id) => this.removeSeries(id),
      register: (id, code) => this.register(id, code),
      unregister: (id) => this.unregister(id),
      registrations: (id) => this.registrations(id),
      grouping: (id, by, groups) => fetchGrouping(this.token(), id, by, groups, language()),
      registrationsCsv: (id) => this.download(() => fetchRegistrationsCsv(this.token(), id)),
      play: (talk) => this.play(talk),
      attendance: (id) => this.attendance(id),
      csv: (id) => this.download(() => fetchAttendanceCsv(this.token(), id)),
      audit: () => fetchAudit(this.token()),
      bans: () => fetchBans(this.token()),
      lift: (id) => liftBan(this.token(), id),
      copyLink: (workshop) => this.copyLink(workshop),
      toggled: (open) => {
        this.renderStrip();
        if (!open) return;
        this.reload(); // what is planned may have changed (moved, registrations)
        this.panel.renderStaff().catch((error) => this.panel.say(error.message));
      },
    });
    this.board = new WorkshopBoard(parts.scene, parts.venue, parts.roomName);
    this.markers = new Map();
    this.listen();
    onLanguageChange(() => {
      this.board.draw();
      this.render();
    });
    this.reload();
    setInterval(() => this.reload(), RELOAD_LIST_MS);
    setInterval(() => this.everySecond(), 1000);
    this.chat.highlight = (fromId) => this.highlighted().has(fromId) || (this.live?.leaders ?? []).includes(fromId);
    const frame = () => {
      this.placeMarkers();
      requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
  }

  listen() {
    const c = this.connection;
    c.on("joined", () => {
      // A new room (or a resumed connection): the server sends what applies here next.
      this.live = null;
      this.rules = null;
      this.hands = [];
      this.stage = [];
      this.waiting = [];
      this.screens.clear();
      this.muted.clear();
      if (this.linkJoin) {
        const id = this.linkJoin;
        this.linkJoin = null;
        this.join(id, this.linkCode);
      }
      this.render();
    });
    c.on("workshop_state", (m) => {
      const before = this.live;
      this.live = m.workshop;
      if (this.live && (!before || before.item !== this.live.item) && this.live.agenda[this.live.item]) {
        announce(t("ws.item", { title: this.live.agenda[this.live.item].title }));
      }
      this.render();
    });
    c.on("hand_queue", (m) => {
      this.hands = m.sessions;
      this.render();
    });
    c.on("stage", (m) => {
      this.stage = m.sessions;
      this.render();
    });
    c.on("room_rules", (m) => {
      this.rules = m;
      this.render();
    });
    c.on("announcement", (m) => this.showAnnouncement(m));
    c.on("playback_state", (m) => this.screens.add(m.screen));
    c.on("waiting_list", (m) => {
      this.waiting = m.people;
      this.render();
    });
    c.on("admission", (m) => {
      // A workshop with a waiting room: waiting in the foyer, let in, or declined.
      this.admission = { workshop: m.workshop, state: m.state, message: m.message };
      const key = m.state === "declined" && m.message ? "ws.admission.declinedWith" : `ws.admission.${m.state}`;
      const text = t(key, { title: m.title, message: m.message ?? "" });
      this.panel.say(text);
      this.showBanner(t("ws.admissionTitle"), text, m.state === "waiting");
      announce(text);
    });
    c.on("workshop_ending", (m) => {
      // To facilitators: the scheduled end is near (extend it in the panel), or has come.
      this.lastEnding = { workshop: m.workshop, endsAt: m.ends_at, ended: m.ended };
      const time = new Date(m.ends_at * 1000).toLocaleTimeString(language() === "en" ? "en-GB" : "de-DE", { hour: "2-digit", minute: "2-digit" });
      const key = m.ended ? "ws.ended" : "ws.ending";
      const text = t(`${key}.text`, { title: m.title, time });
      this.panel.say(text);
      this.showBanner(t(`${key}.title`), text);
      announce(text);
    });
    c.on("moderated", (m) => {
      this.lastModerated = m.action;
      const text = t(`ws.moderated.${m.action}`, { by: m.by, room: m.room ? this.roomName(m.room) : "" });
      this.panel.say(text);
      this.showBanner(t("ws.moderation"), text);
    });
    c.on("error", (m) => {
      if (!FEATURE_MESSAGES.has(m.about)) return;
      if (m.code === "waiting_room") return; // the admission message says it
      if (m.code === "workshop_access") {
        this.panel.show();
        this.panel.say(t("ws.codeNeeded"));
      } else {
        this.panel.say(this.table.errorText(m.code, language()) || m.message);
      }
    });
  }

  send(type, fields) {
    if (!this.connection.send(type, fields)) this.panel.say(t("net.reconnecting"));
  }

  join(id, code) {
    this.panel.say(t("ws.joining"));
    this.send("workshop_join", code ? { workshop: id, code } : { workshop: id });
  }

  /** The list of workshops to come (for the panel and the board). */
  async reload() {
    try {
      const identity = this.identity();
      const token = identity ? this.token() : undefined;
      // Both lists are read before either is shown, so the panel never shows a series
      // edit in its sessions but not yet in the series (or the other way round).
      const leads = ["facilitator", "staff"].includes(identity?.role);
      const asked = ++this.reloadsAsked;
      const [listing, series] = await Promise.all([
        fetchWorkshops(token),
        leads ? fetchSeries(this.token()) : Promise.resolve(null),
      ]);
      if (asked !== this.reloadsAsked) return; // a later reading (after an edit) is on its way
      this.upcoming = listing.workshops.map((w) => ({
        ...w,
        you_lead: identity?.role === "staff" || w.facilitators.some((p) => p.id === identity?.id),
      }));
      if (series) this.series = series.series;
      this.board.show(this.upcoming);
      this.render();
    } catch (error) {
      console.warn("hubtwin: the workshops could not be read", error);
    }
  }

  create(body) {
    return this.saved(() => createWorkshop(this.token(), body), (made) => t("ws.saved", { title: made.title }));
  }

  update(id, body) {
    return this.saved(() => updateWorkshop(this.token(), id, body), (saved) => t("ws.saved", { title: saved.title }));
  }

  remove(id) {
    return this.removed(() => deleteWorkshop(this.token(), id));
  }

  saveSeries(id, body) {
    return this.saved(
      () => (id ? updateSeries(this.token(), id, body) : createSeries(this.token(), body)),
      (saved) => t("ws.seriesSaved", { title: saved.title, n: saved.sessions.length }),
    );
  }

  removeSeries(id) {
    return this.removed(() => deleteSeries(this.token(), id));
  }

  /**
   * A workshop or series written by save(): the panel says what saying(answer) says and the
   * list is read again; the server's answer, or null once the panel has said why not.
   * @template T
   * @param {() => Promise<T>} save
   * @param {(answer: T) => string} saying
   * @returns {Promise<T | null>}
   */
  async saved(save, saying) {
    try {
      const answer = await save();
      this.panel.say(saying(answer));
      await this.reload();
      return answer;
    } catch (error) {
      this.panel.say(planError(error));
      return null;
    }
  }

  /**
   * A workshop or series deleted by remove(); the list is read again (or the panel says why not).
   * @param {() => Promise<unknown>} remove
   */
  async removed(remove) {
    try {
      await remove();
      await this.reload();
    } catch (error) {
      this.panel.say(error.message);
    }
  }

  /** Register for a workshop with seats; a code-protected one needs its code (typed in the
   * list, or the one of the link that brought the visitor). */
  async register(id, code) {
    const workshop = this.upcoming.find((w) => w.id === id);
    const given = code || (id === this.linkJoin ? this.linkCode : null);
    if (workshop?.access === "code" && !workshop.you_lead && !workshop.invited_you && !given) {
      this.panel.say(t("ws.codeNeeded"));
      return;
    }
    try {
      const answer = await registerFor(this.token(), id, given);
      const text = answer.status === "registered" ? t("ws.registeredNow") : t("ws.waitlistedNow", { n: answer.position });
      this.panel.say(text);
      announce(text);
      await this.reload();
    } catch (error) {
      if (error.code === "workshop_access" && workshop?.access === "code") {
        this.panel.say(t("ws.codeNeeded"));
        return;
      }
      this.panel.say(this.table.errorText(error.code, language()) || error.message);
    }
  }

  async unregister(id) {
    try {
      await unregisterFrom(this.token(), id);
      this.panel.say(t("ws.unregistered"));
      await this.reload();
    } catch (error) {
      this.panel.say(error.message);
    }
  }

  async registrations(id) {
    try {
      this.panel.showRegistrations(await fetchRegistrations(this.token(), id));
    } catch (error) {
      this.panel.say(error.message);
    }
  }

  /** An agenda item's talk on the room's first screen, playing from the start. */
  play(talk) {
    const [screen] = [...this.screens].sort();
    if (!screen) {
      this.panel.say(t("ws.noScreen"));
      return;
    }
    this.send("playback", { screen, action: "select", talk, play: true });
  }

  async attendance(id) {
    try {
      this.panel.showAttendance(await fetchAttendance(this.token(), id));
    } catch (error) {
      this.panel.say(error.message);
    }
  }

  async download(fetchFile) {
    try {
      const { name, blob } = await fetchFile();
      saveFile(blob, name);
    } catch (error) {
      this.panel.say(error.message);
    }
  }

  copyLink(workshop) {
    const link = new URL(workshop.link, window.location.origin).href;
    navigator.clipboard?.writeText(link).catch(() => {});
    this.panel.say(t("ws.linkCopied", { link }));
  }

  // --- showing ----------------------------------------------------------------------------

  highlighted() {
    return new Set([...(this.live?.spotlight ?? []), ...this.stage]);
  }

  model() {
    return {
      identity: this.identity(),
      session: this.roomState.selfSession,
      room: this.roomState.room,
      rooms: this.roomIds.map((id) => ({ id, name: this.roomName(id) })),
      roomName: this.roomName,
      live: this.live,
      rules: this.rules,
      hands: this.hands,
      stage: this.stage,
      people: this.roomState.people(),
      upcoming: this.upcoming,
      series: this.series,
      muted: this.muted,
      waiting: this.waiting,
      nameOf: (session) => this.roomState.nameOf(session),
    };
  }

  render() {
    this.panel.render(this.model());
    this.renderStrip();
    this.panel.tick(this.clock.now() / 1000);
    // The server refuses them anyway (reactions_muted, reactions_off); the buttons say so.
    const visitor = this.identity()?.role === "visitor";
    const noReactions = Boolean(this.rules?.muted) || (visitor && this.rules?.reactions === "facilitators");
    for (const button of /** @type {NodeListOf<HTMLButtonElement>} */ (document.querySelectorAll("#reactions button"))) {
      button.disabled = noReactions;
    }
  }

  renderStrip() {
    const live = this.live;
    const notes = [];
    if (this.rules?.muted) notes.push(t("ws.rules.muted"));
    else if (this.rules?.chat === "facilitators" && this.identity()?.role === "visitor") notes.push(t("ws.rules.chatOff"));
    if (this.rules?.locked) notes.push(t("ws.rules.locked"));
    if ((!live && notes.length === 0) || this.panel.open) {
      this.strip.hidden = true; // the panel says it all, and a small screen has no room for both
      return;
    }
    const parts = [];
    if (live) {
      parts.push(live.title);
      const item = live.agenda[live.item];
      parts.push(item ? t("ws.item", { title: item.title }) : t("ws.itemNone"));
      if (live.follow && live.follow !== this.roomState.selfSession) {
        parts.push(t("ws.following", { name: this.roomState.nameOf(live.follow) ?? "?" }));
      }
      if (live.group >= 0) parts.push(t("ws.group", { n: live.group + 1 }));
    }
    document.getElementById("workshop-strip-text").textContent = [...parts, ...notes].join(" · ");
    const timer = document.getElementById("workshop-strip-timer");
    if (live?.timer_ends) timer.dataset.ends = String(live.timer_ends);
    else delete timer.dataset.ends;
    timer.hidden = !live?.timer_ends;
    this.strip.hidden = false;
  }

  everySecond() {
    const now = this.clock.now() / 1000;
    this.panel.tick(now);
    const timer = document.getElementById("workshop-strip-timer");
    if (timer.dataset.ends) {
      const left = Number(timer.dataset.ends) - now;
      timer.textContent = left > 0 ? t("ws.timer", { time: `${Math.floor(left / 60)}:${String(Math.floor(left % 60)).padStart(2, "0")}` }) : t("ws.timerOver");
    }
  }

  showAnnouncement(message) {
    this.lastAnnouncement = { text: message.text, name: message.name, scope: message.scope };
    this.showBanner(t("ws.announcement", { name: message.name }), message.text);
  }

  /** A banner over the view; one that stays (waiting to be let in) goes only when closed
   * or replaced. */
  showBanner(title, text, stays = false) {
    document.getElementById("announcement-title").textContent = title;
    document.getElementById("announcement-text").textContent = text;
    this.banner.hidden = false;
    clearTimeout(this.bannerTimer);
    if (stays) return;
    this.bannerTimer = setTimeout(() => {
      this.banner.hidden = true;
    }, ANNOUNCEMENT_MS);
  }

  /** A light column over everyone in the spotlight or on a stage (drawn over walls too). */
  placeMarkers() {
    const wanted = this.highlighted();
    for (const [session, marker] of this.markers) {
      if (!wanted.has(session)) {
        this.scene.remove(marker);
        this.markers.delete(session);
      }
    }
    for (const session of wanted) {
      const pose = session === this.roomState.selfSession ? this.player.position : this.crowd.shownPose(session);
      let marker = this.markers.get(session);
      if (!marker) {
        marker = makeMarker();
        this.markers.set(session, marker);
        this.scene.add(marker);
      }
      marker.visible = Boolean(pose);
      if (pose) marker.position.set(pose.x, pose.y, pose.z);
    }
  }

  /** For the test hook. */
  testState() {
    const live = this.live;
    return {
      live: live
        ? {
          id: live.id, endsAt: live.ends_at, item: live.item, youLead: live.you_lead, follow: live.follow, spotlight: [...live.spotlight],
          timerEnds: live.timer_ends, group: live.group, groups: live.breakout ? live.breakout.groups.length : 0,
          breakout: live.breakout ? live.breakout.groups.map((g) => ({ group: g.group, members: [...g.members], present: g.present, team: g.team ?? null })) : null,
          admission: live.admission,
          reactions: live.reactions.map((r) => ({ ...r })),
        }
        : null,
      rules: this.rules ? { ...this.rules } : null,
      hands: [...this.hands],
      stage: [...this.stage],
      upcoming: this.upcoming.map((w) => ({
        id: w.id, title: w.title, room: w.room, startsAt: w.starts_at, endsAt: w.ends_at, series: w.series,
        invitedYou: w.invited_you, registration: w.registration ?? null, yours: w.your_registration ?? null,
      })),
      series: this.series.map((s) => ({ id: s.id, title: s.title, first: s.first, count: s.count, repeat: s.repeat })),
      board: this.board.lines ? [...this.board.lines] : [],
      announcement: this.lastAnnouncement,
      waiting: this.waiting.map((w) => ({ ...w })),
      admissionState: this.admission,
      moderated: this.lastModerated,
      ending: this.lastEnding,
      markers: this.markers.size,
      panelOpen: this.panel.open,
    };
  }
}

/** Why a plan was refused; a clash with another workshop says which one. */
function planError(error) {
  return error.code === "workshop_clash" ? t("ws.clash", { message: error.message }) : error.message;
}

function makeMarker() {
  const group = new THREE.Group();
  group.name = "workshop-spotlight";
  const ring = new THREE.Mesh(
    new THREE.RingGeometry(0.4, 0.55, 32),
    new THREE.MeshBasicMaterial({ color: siteColour("accent"), side: THREE.DoubleSide, depthTest: false, transparent: true, opacity: 0.9 }),
  );
  ring.rotation.x = -Math.PI / 2;
  ring.position.y = 0.03;
  const beam = new THREE.Mesh(
    new THREE.CylinderGeometry(0.18, 0.45, BEAM_HEIGHT, 16, 1, true),
    new THREE.MeshBasicMaterial({ color: 0xffe08a, transparent: true, opacity: 0.22, depthTest: false, depthWrite: false, side: THREE.DoubleSide }),
  );
  beam.position.y = BEAM_HEIGHT / 2;
  for (const mesh of [ring, beam]) mesh.renderOrder = 10;
  group.add(ring, beam);
  return group;
}
