/**
 * Talks in the visit: the screens of the hub model become ScreenPlayers; the server's
 * playback_state for the room you are in drives them (late joiners start at the room's
 * moment); the talks panel sends playback commands and searches the library; the overlay
 * plays a talk for you alone. When the browser keeps the sound back until a click, the
 * "Wiedergabe beitreten / Join playback" prompt appears; one click starts it.
 */

import { searchTalks } from "./net/content-api.js";
import { ScreenAudio } from "./talks/screen-audio.js";
import { ScreenPlayer } from "./talks/screen-player.js";
import { announce } from "./ui/announcer.js";
import { language, onLanguageChange, pick, t } from "./ui/i18n.js";
import { TalkOverlay } from "./ui/talk-overlay.js";
import { TalksPanel } from "./ui/talks-panel.js";

const LEFT_PANELS = ["panel-rooms", "panel-station"];
const EXTRAS_KEY = "hubtwin";

export class TalksFeature {
  /** parts: {connection, clock, stage, venue, hud, identity()}. */
  constructor({ connection, clock, stage, venue, hud, identity }) {
    this.connection = connection;
    this.clock = clock;
    this.hud = hud;
    this.identity = identity;
    this.room = null;
    this.audio = new ScreenAudio(stage.camera);
    this.shelf = document.getElementById("screen-media");
    this.prompt = document.getElementById("join-playback");
    this.prompt.addEventListener("click", () => this.joinPlayback());
    this.players = new Map();
    // States of screens this model does not have yet: a new world version is announced,
    // and its screens' states sent, before the browser has loaded it.
    this.early = new Map();
    this.adoptScreens(stage.scene, venue);
    this.panel = new TalksPanel({
      command: (screen, action, fields) => this.command(screen, action, fields),
      mayControl: (screen) => this.mayControl(screen),
      watchAlone: (talkId) => this.overlay.show(talkId),
      setCaptions: (screen, on) => {
        this.players.get(screen)?.setCaptions(on);
        this.changed(this.players.get(screen));
      },
      search: (query) => searchTalks(query),
    });
    this.overlay = new TalkOverlay((open) => this.quietScreens(open));
    connection.on("joined", (message) => this.enteredRoom(message.room));
    connection.on("playback_state", (message) => this.playbackState(message));
    connection.on("error", (message) => {
      if (message.about === "playback") this.panel.showError(message.message);
    });
    document.getElementById("toggle-talks").addEventListener("click", () => {
      for (const other of LEFT_PANELS) if (this.hud.isOpen(other)) this.hud.close(other);
      if (!this.panel.listing) this.panel.search();
    });
    // The left side shows one panel at a time.
    document.getElementById("toggle-rooms").addEventListener("click", () => {
      if (this.hud.isOpen("panel-talks")) this.hud.close("panel-talks");
    });
    onLanguageChange(() => {
      this.panel.setScreens(this.roomScreens());
      for (const player of this.roomPlayers()) this.changed(player);
      if (this.panel.listing) this.panel.search();
    });
  }

  /**
   * Give every screen anchor under root a player: at start, and after a new world version
   * (live-world.js), where a screen may be new, gone, or have a new node (a new size).
   */
  adoptScreens(root, venue) {
    const anchors = new Map(venue.anchors.filter((a) => a.kind === "screen").map((a) => [a.id, a]));
    const seen = new Set();
    root.traverse((object) => {
      const meta = object.userData?.[EXTRAS_KEY];
      const anchor = meta?.type === "anchor" && meta.kind === "screen" ? anchors.get(meta.id) : null;
      if (!anchor || seen.has(anchor.id)) return;
      seen.add(anchor.id);
      const held = this.players.get(anchor.id);
      if (held && held.object === object && held.room === anchor.room) {
        held.anchor = anchor;
        return;
      }
      const state = held?.state;
      held?.release();
      const player = this.newPlayer(anchor, object);
      this.players.set(anchor.id, player);
      if (state && anchor.room === this.room) player.follow(state);
      const early = this.early.get(anchor.id);
      if (early && anchor.room === this.room) player.follow(early);
    });
    for (const [id, player] of this.players) {
      if (seen.has(id)) continue;
      player.release();
      this.players.delete(id);
    }
    this.early.clear();
    if (this.panel) this.panel.setScreens(this.roomScreens());
  }

  playbackState(message) {
    const player = this.players.get(message.screen);
    if (player) player.follow(message);
    else this.early.set(message.screen, message);
  }

  newPlayer(anchor, object) {
    return new ScreenPlayer({
      anchor,
      object,
      clock: this.clock,
      audio: this.audio,
      mediaShelf: this.shelf,
      onBlocked: () => this.showPrompt(true),
      onChange: (player) => this.changed(player),
    });
  }

  roomPlayers() {
    return [...this.players.values()].filter((player) => player.room === this.room);
  }

  roomScreens() {
    return this.roomPlayers().map((player) => ({ id: player.id, title: pick(player.anchor.title) || player.id }));
  }

  enteredRoom(roomId) {
    if (roomId === this.room) return;
    this.room = roomId;
    for (const player of this.players.values()) if (player.room !== roomId) player.release();
    this.early.clear();
    this.showPrompt(false);
    this.panel.setScreens(this.roomScreens());
  }

  /** Whether my role may control this screen (the server decides again). */
  mayControl(screenId) {
    const control = this.players.get(screenId)?.state?.control ?? "anyone";
    const role = this.identity()?.role ?? "visitor";
    if (role === "staff" || control === "anyone") return true;
    return control === "facilitators" && role === "facilitator";
  }

  command(screenId, action, fields = {}) {
    this.panel.showError("");
    if (!this.connection.send("playback", { screen: screenId, action, ...fields })) {
      this.panel.showError(t("net.reconnecting"));
    }
  }

  changed(player) {
    if (!player || player.room !== this.room) return;
    this.panel.update({
      ...player.snapshot(),
      chapters: player.talk?.chapters ?? [],
      talkDuration: player.state?.duration ?? 0,
      captionsOn: player.captionsOn,
      player,
    });
    if (player.state?.playing && !player.blocked && this.audio.state === "suspended") this.showPrompt(true);
    if (player.state?.talk && player.state.version && player.lastAnnounced !== player.state.version) {
      player.lastAnnounced = player.state.version;
      const title = pick(player.talk?.title) || player.state.talk;
      announce(t(player.state.playing ? "talks.announcePlaying" : "talks.announcePaused", { title }));
    }
  }

  showPrompt(show) {
    this.prompt.hidden = !show;
  }

  /** The one click that lets the screens' sound start. */
  async joinPlayback() {
    this.showPrompt(false);
    try {
      await this.audio.resume();
    } catch (error) {
      console.warn("hubtwin: the sound could not start", error);
    }
    for (const player of this.roomPlayers()) player.unblock();
  }

  /** Watching alone: the room's screens are silent meanwhile (they keep playing). */
  quietScreens(quiet) {
    for (const player of this.players.values()) if (player.video) player.video.muted = quiet;
  }

  /** For the test hook. */
  testState() {
    return {
      room: this.room,
      language: language(),
      prompt: !this.prompt.hidden,
      audio: this.audio.state,
      screens: this.roomPlayers().map((player) => player.snapshot()),
      overlay: this.overlay.snapshot(),
    };
  }
}
