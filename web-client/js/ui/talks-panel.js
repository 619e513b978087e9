/**
 * The talks panel: the screens of the room you are in with their controls (play, pause, jump,
 * pace, stop, chapters; captions on the screen switch for you alone), and the talk library
 * to browse and search by topic and speaker, from which a talk goes on the room's screen or
 * into the overlay to watch alone. Controls are shown disabled, with a note, where the room's
 * rule does not let you control its screens.
 */

import { el } from "./dom.js";
import { language, pick, t } from "./i18n.js";

const RATES = [0.75, 1, 1.25, 1.5];
const JUMP_S = 10;

/** 83.4 -> "1:23". */
export function clockTime(seconds) {
  const s = Math.max(0, Math.floor(seconds ?? 0));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${rest}` : `${m}:${rest}`;
}

export class TalksPanel {
  /**
   * actions: {command(screenId, action, fields), mayControl(screenId), watchAlone(talkId),
   * setCaptions(screenId, on), search({q, topic, speaker}) -> listing}.
   */
  constructor(actions) {
    this.actions = actions;
    this.panel = document.getElementById("panel-talks");
    this.controls = document.getElementById("screen-controls");
    this.form = /** @type {HTMLFormElement} */ (document.getElementById("talk-search"));
    this.query = /** @type {HTMLInputElement} */ (document.getElementById("talk-query"));
    this.topic = /** @type {HTMLSelectElement} */ (document.getElementById("talk-topic"));
    this.speaker = /** @type {HTMLSelectElement} */ (document.getElementById("talk-speaker"));
    this.count = document.getElementById("talk-count");
    this.list = document.getElementById("talk-list");
    this.error = document.getElementById("screen-error");
    this.screens = [];
    this.snapshots = new Map();
    this.listing = null;
    this.searchTimer = null;
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.search();
    });
    this.query.addEventListener("input", () => {
      clearTimeout(this.searchTimer);
      this.searchTimer = setTimeout(() => this.search(), 250);
    });
    this.topic.addEventListener("change", () => this.search());
    this.speaker.addEventListener("change", () => this.search());
    setInterval(() => {
      if (!this.panel.hidden) this.renderTimes();
    }, 1000);
  }

  /** The screens of the room you are in: [{id, title}]. */
  setScreens(screens) {
    this.screens = screens;
    this.snapshots.clear();
    this.error.textContent = "";
    this.renderControls();
    this.renderList();
  }

  /** A screen's current state (ScreenPlayer.snapshot() plus its talk's chapters). */
  update(snapshot) {
    this.snapshots.set(snapshot.screen, snapshot);
    this.renderControls();
    this.renderList();
  }

  showError(text) {
    this.error.textContent = text;
  }

  async search() {
    try {
      this.listing = await this.actions.search({
        q: this.query.value, topic: this.topic.value, speaker: this.speaker.value,
      });
      this.renderFilters();
      this.renderList();
    } catch (error) {
      this.count.textContent = error.message;
    }
  }

  renderFilters() {
    const { topics, speakers } = this.listing;
    const keep = (select, options) => {
      const chosen = select.value;
      select.replaceChildren(el("option", { value: "", text: t("talks.all") }), ...options);
      select.value = chosen;
    };
    keep(this.topic, topics.map((topic) => el("option", { value: topic.id, text: `${pick(topic.name)} (${topic.talks})` })));
    keep(this.speaker, speakers.map((speaker) => el("option", { value: speaker, text: speaker })));
  }

  renderList() {
    if (!this.listing) return;
    const { talks, total } = this.listing;
    this.count.textContent = t("talks.found", { n: talks.length, total });
    const screen = this.screens[0];
    const mayShow = screen && this.actions.mayControl(screen.id);
    this.list.replaceChildren(
      ...talks.map((talk) => {
        const title = pick(talk.title);
        const meta = t("talks.meta", {
          speaker: talk.speaker,
          date: new Date(talk.date).toLocaleDateString(language() === "de" ? "de-DE" : "en-GB"),
          duration: clockTime(talk.duration),
        });
        const buttons = [];
        const alone = el("button", { type: "button", text: t("talks.watchAlone"), "aria-label": t("talks.watchAloneLabel", { title }) });
        alone.addEventListener("click", () => this.actions.watchAlone(talk.id));
        buttons.push(alone);
        if (screen) {
          const show = el("button", { type: "button", text: t("talks.showOnScreen"), "aria-label": t("talks.showOnScreenLabel", { title }) });
          show.disabled = !mayShow;
          show.addEventListener("click", () => this.actions.command(screen.id, "select", { talk: talk.id, play: true }));
          buttons.push(show);
        }
        const item = el("li", { class: "talk" }, [
          el("p", { class: "talk-title", text: title }),
          el("p", { class: "talk-meta", text: meta }),
          el("p", { class: "talk-summary", text: pick(talk.summary) }),
          el("div", { class: "button-row" }, buttons),
        ]);
        item.dataset.talk = talk.id;
        return item;
      }),
    );
  }

  renderControls() {
    this.controls.hidden = this.screens.length === 0;
    const blocks = this.screens.map((screen) => this.controlBlock(screen));
    this.controls.replaceChildren(...blocks, this.error);
  }

  controlBlock(screen) {
    const snap = this.snapshots.get(screen.id);
    const may = this.actions.mayControl(screen.id);
    const has = Boolean(snap?.talk);
    const send = (action, fields) => this.actions.command(screen.id, action, fields);
    const button = (key, action, enabled = true) => {
      const node = el("button", { type: "button", text: t(key) });
      node.disabled = !may || !enabled;
      node.addEventListener("click", action);
      return node;
    };
    const now = () => snap?.expected ?? 0;
    const playPause = snap?.playing
      ? button("talks.pause", () => send("pause"), has)
      : button("talks.play", () => send("play"), has);
    playPause.dataset.role = "play-pause";
    const back = button("talks.back", () => send("seek", { position: Math.max(0, now() - JUMP_S) }), has);
    const forward = button("talks.forward", () => send("seek", { position: Math.min(snap.talkDuration ?? 0, now() + JUMP_S) }), has);
    const stop = button("talks.stop", () => send("stop"), has);
    const rate = el("select", { id: `rate-${screen.id}` }, RATES.map((value) =>
      el("option", { value: String(value), text: t("talks.rateValue", { rate: value.toLocaleString(language()) }) })));
    rate.value = String(snap?.rate ?? 1);
    rate.disabled = !may || !has;
    rate.addEventListener("change", () => send("rate", { rate: Number(rate.value) }));
    const captions = el("input", { type: "checkbox", id: `captions-${screen.id}` });
    captions.checked = snap ? snap.captionsOn : true;
    captions.addEventListener("change", () => this.actions.setCaptions(screen.id, captions.checked));
    const chapters = (snap?.chapters ?? []).map((chapter) => {
      const jump = el("button", { type: "button", text: `${clockTime(chapter.start)} ${pick(chapter.title)}` });
      jump.disabled = !may;
      jump.addEventListener("click", () => send("seek", { position: chapter.start }));
      return el("li", {}, [jump]);
    });
    const status = el("p", { class: "status screen-status", role: "status" });
    status.dataset.screen = screen.id;
    const block = el("section", { class: "screen-block", "aria-label": screen.title }, [
      el("h3", { text: screen.title }),
      status,
      el("div", { class: "button-row" }, [back, playPause, forward, stop]),
      el("div", { class: "screen-options" }, [
        el("label", { for: rate.id, text: t("talks.rate") }),
        rate,
        el("label", { class: "check" }, [captions, ` ${t("talks.captionsOnScreen")}`]),
      ]),
    ]);
    if (!may) block.append(el("p", { class: "hint", text: t(snap?.control === "staff" ? "talks.onlyStaff" : "talks.onlyFacilitators") }));
    if (chapters.length) {
      block.append(el("details", { class: "chapters" }, [el("summary", { text: t("talks.chapters") }), el("ol", { class: "chapter-list" }, chapters)]));
    }
    this.renderTime(status, snap);
    return block;
  }

  renderTimes() {
    for (const status of /** @type {NodeListOf<HTMLElement>} */ (this.controls.querySelectorAll(".screen-status"))) {
      this.renderTime(status, this.snapshots.get(status.dataset.screen));
    }
  }

  renderTime(status, snap) {
    if (!snap?.talk) {
      status.textContent = t("talks.screenEmpty");
      return;
    }
    const expected = snap.player ? snap.player.expected() : snap.expected;
    status.textContent = t(snap.playing ? "talks.screenPlaying" : "talks.screenPaused", {
      title: pick(snap.title) || snap.talk,
      at: clockTime(expected),
      length: clockTime(snap.talkDuration),
    });
  }
}
