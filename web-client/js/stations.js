/**
 * The learning stations in the visit: the server says when the visitor walks up to a stand
 * (station_near) or away (station_far); clicking a stand in the 3D view opens it too. Opening
 * records the visit over REST and shows the station panel; quiz answers and experiments go
 * to the server, which marks and computes them; the passport (and the toolbar's count) is
 * fetched again after each of them, so progress shows at once.
 */

import {
  answerQuiz, fetchPassport, fetchPassportSummary, fetchRoomProgress, fetchStations, openStation, runExperiment,
} from "./net/content-api.js";
import { announce } from "./ui/announcer.js";
import { isPhone } from "./ui/hud.js";
import { language, onLanguageChange, t } from "./ui/i18n.js";
import { StationPanel } from "./ui/station-panel.js";
import { saveFile } from "./ui/save-file.js";

// A stand is about 0.6 m wide and 1.9 m tall around its anchor (world/anchor_pieces.py).
const STAND_RADIUS = 0.6;
const STAND_HEIGHT = 2.0;
// Panels that share the left side with the station panel.
const LEFT_PANELS = ["panel-rooms", "panel-talks"];

export class StationsFeature {
  /** parts: {connection, hud, venue, roomState, token(), identity()}. */
  constructor({ connection, hud, venue, roomState, token, identity }) {
    this.connection = connection;
    this.hud = hud;
    this.roomState = roomState;
    this.token = token;
    this.identity = identity;
    this.stands = venue.anchors.filter((anchor) => anchor.kind === "station");
    this.stationAt = new Map();
    this.listing = new Map();
    this.nearStation = null;
    this.openedVia = null;
    this.badge = document.getElementById("station-badge");
    this.panel = new StationPanel({
      answer: (id, answers) => this.answer(id, answers),
      experiment: (id, inputs, lang) => this.experiment(id, inputs, lang),
      openStation: (id) => this.open(id, "passport"),
      download: () => this.download(),
      roomProgress: () => fetchRoomProgress(this.token(), this.roomState.room, language()),
      canSeeRoom: () => ["facilitator", "staff"].includes(this.identity()?.role),
    });
    // The toolbar button shows the station you stand at, anywhere else your passport.
    document.getElementById("toggle-station").addEventListener("click", () => {
      if (!this.isOpen()) return;
      this.closeOthers();
      if (this.nearStation && this.panel.stationId !== this.nearStation) {
        this.open(this.nearStation, "button");
      } else {
        this.panel.togglePassport(!this.nearStation);
      }
    });
    // The left side shows one panel at a time.
    for (const id of ["toggle-rooms", "toggle-talks"]) {
      document.getElementById(id).addEventListener("click", () => {
        if (this.isOpen()) this.hud.close("panel-station");
      });
    }
    connection.on("station_near", (message) => this.arrived(message.station));
    connection.on("station_far", (message) => this.left(message.station));
    onLanguageChange(() => this.reload());
    this.reload();
  }

  isOpen() {
    return this.hud.isOpen("panel-station");
  }

  /** Station content and the passport in the current language. */
  async reload() {
    try {
      const listing = await fetchStations(language());
      this.listing = new Map(listing.stations.map((station) => [station.id, station]));
      this.stationAt = new Map(listing.stations.map((station) => [station.anchor, station.id]));
      const shown = this.panel.station && this.listing.get(this.panel.station.id);
      if (shown) this.panel.showStation(shown);
    } catch (error) {
      console.warn("hubtwin: station content could not be read", error);
    }
    await this.refreshPassport();
  }

  async refreshPassport() {
    try {
      const passport = await fetchPassport(this.token(), language());
      this.passport = passport;
      this.panel.setPassport(passport);
      this.badge.textContent = t("stations.badge", { opened: passport.stations.opened, total: passport.stations.total });
    } catch (error) {
      console.warn("hubtwin: the passport could not be read", error);
    }
  }

  /** Open a station's panel and record the visit; via: "near", "click" or "passport". */
  async open(stationId, via) {
    this.openedVia = via;
    try {
      const { station } = await openStation(this.token(), stationId, language());
      this.panel.showStation(station);
      // Someone who opened another panel while the station was loading keeps it.
      if (via === "near" && this.leftAlone()) {
        announce(t("stations.nearby", { title: station.title }));
      } else {
        this.show(via !== "near");
        announce(t("stations.announce", { title: station.title }));
      }
    } catch (error) {
      this.panel.status.textContent = error.message;
    }
    await this.refreshPassport();
  }

  /** Show the panel; walking up to a stand leaves the keyboard with the 3D view. */
  show(takeFocus) {
    this.closeOthers();
    if (this.isOpen()) return;
    if (takeFocus) {
      this.hud.open("panel-station", "#station-show-passport");
    } else {
      document.getElementById("panel-station").hidden = false;
      document.getElementById("toggle-station").setAttribute("aria-expanded", "true");
    }
  }

  closeOthers() {
    for (const other of LEFT_PANELS) if (this.hud.isOpen(other)) this.hud.close(other);
  }

  /** Another side panel (rooms, talks, workshops) is open on the left. */
  otherPanelOpen() {
    return [.../** @type {NodeListOf<HTMLElement>} */ (document.querySelectorAll("#hub .panel-left"))].some(
      (panel) => panel.id !== "panel-station" && !panel.hidden,
    );
  }

  /** Whether a station walked up to only says it is near instead of opening its panel:
   * for someone reading another panel, or on a phone (where a panel would fill the screen
   * mid-step). The stations button opens it. */
  leftAlone() {
    return !this.isOpen() && (this.otherPanelOpen() || isPhone());
  }

  arrived(stationId) {
    this.nearStation = stationId;
    // Someone busy with another station's quiz or experiment is not interrupted.
    if (this.isOpen() && this.panel.touched && this.panel.stationId !== stationId) return;
    if (this.leftAlone()) {
      announce(t("stations.nearby", { title: this.listing.get(stationId)?.title ?? stationId }));
      return;
    }
    this.open(stationId, "near");
  }

  left(stationId) {
    if (this.nearStation === stationId) this.nearStation = null;
    if (this.panel.stationId === stationId && this.openedVia === "near" && !this.panel.touched && this.isOpen()) {
      this.hud.close("panel-station");
    }
  }

  /** A click in the 3D view hit point: if it is on a station's stand, open that station. */
  clickAt(point) {
    for (const stand of this.stands) {
      const close = Math.hypot(point.x - stand.x, point.z - stand.z) <= STAND_RADIUS;
      if (!close || point.y < stand.y - 0.1 || point.y > stand.y + STAND_HEIGHT) continue;
      const stationId = this.stationAt.get(stand.id);
      if (!stationId) return false;
      this.open(stationId, "click");
      return true;
    }
    return false;
  }

  async answer(stationId, answers) {
    const result = await answerQuiz(this.token(), stationId, answers, language());
    announce(t(result.passed ? "stations.quiz.passed" : "stations.quiz.failed", {
      score: result.score, total: result.total, needed: result.pass_mark,
    }));
    await this.refreshPassport();
    return result;
  }

  /** Run an experiment; lang is the language its inputs were typed and checked in. */
  async experiment(stationId, inputs, lang) {
    const result = await runExperiment(this.token(), stationId, inputs, lang);
    await this.refreshPassport();
    return result;
  }

  async download() {
    const { name, blob } = await fetchPassportSummary(this.token(), language());
    saveFile(blob, name);
  }

  /** For the test hook: which station is open, which one is near, what the passport says. */
  testState() {
    const passport = this.passport;
    return {
      open: this.isOpen() ? this.panel.stationId : null,
      showingPassport: this.isOpen() && this.panel.showingPassport,
      near: this.nearStation,
      quiz: this.panel.quizResult ? { passed: this.panel.quizResult.passed, score: this.panel.quizResult.score } : null,
      passport: passport
        ? {
          opened: passport.stations.opened,
          quizzesPassed: passport.quizzes.passed,
          experimentsDone: passport.experiments.done,
          stamps: passport.stamps.filter((stamp) => stamp.opened).map((stamp) => stamp.station),
        }
        : null,
    };
  }
}
