/**
 * Watching alone: a talk in an overlay for this visitor only, with the browser's own player
 * (seekable through the media route's byte ranges), captions that switch on and off, and the
 * chapter list to jump within the talk. Nothing is sent to the room; no screen changes.
 */

import { fetchTalk } from "../net/content-api.js";
import { language, pick } from "./i18n.js";
import { clockTime } from "./talks-panel.js";

export class TalkOverlay {
  /** onOpenChange(open): the room's screens go quiet while someone watches alone. */
  constructor(onOpenChange) {
    this.onOpenChange = onOpenChange;
    this.dialog = /** @type {HTMLDialogElement} */ (document.getElementById("talk-overlay"));
    this.title = document.getElementById("overlay-title");
    this.meta = document.getElementById("overlay-meta");
    this.video = /** @type {HTMLVideoElement} */ (document.getElementById("overlay-video"));
    this.captions = /** @type {HTMLInputElement} */ (document.getElementById("overlay-captions"));
    this.chapters = document.getElementById("overlay-chapters");
    this.error = document.getElementById("overlay-error");
    this.talk = null;
    this.captions.addEventListener("change", () => this.showCaptions(this.captions.checked));
    this.dialog.addEventListener("close", () => this.closed());
  }

  get open() {
    return this.dialog.open;
  }

  async show(talkId) {
    this.error.textContent = "";
    let talk;
    try {
      talk = await fetchTalk(talkId);
    } catch (error) {
      this.error.textContent = error.message;
      if (!this.dialog.open) this.dialog.showModal();
      return;
    }
    this.talk = talk;
    this.title.textContent = pick(talk.title);
    this.meta.textContent = `${talk.speaker} · ${clockTime(talk.duration)}`;
    const video = this.video;
    video.replaceChildren();
    for (const caption of talk.captions) {
      const track = document.createElement("track");
      Object.assign(track, { kind: caption.kind, src: caption.url, srclang: caption.language, label: caption.label });
      video.append(track);
    }
    video.src = talk.media.url;
    video.poster = talk.poster ?? "";
    this.captions.disabled = talk.captions.length === 0;
    this.showCaptions(this.captions.checked);
    this.chapters.replaceChildren(
      ...talk.chapters.map((chapter) => {
        const button = document.createElement("button");
        button.type = "button";
        button.textContent = `${clockTime(chapter.start)} ${pick(chapter.title)}`;
        button.addEventListener("click", () => {
          video.currentTime = chapter.start;
          if (video.paused) video.play().catch(() => {});
        });
        const item = document.createElement("li");
        item.append(button);
        return item;
      }),
    );
    this.chapters.parentElement.hidden = talk.chapters.length === 0;
    if (!this.dialog.open) this.dialog.showModal();
    this.onOpenChange(true);
    video.play().catch(() => {
      // Paused until the visitor presses play: the browser's controls are right there.
    });
  }

  /** Captions on or off; on shows the track in the page's language if the talk has one. */
  showCaptions(on) {
    const tracks = [...this.video.textTracks];
    const mine = tracks.findIndex((track) => track.language === language());
    const chosen = mine >= 0 ? mine : 0;
    tracks.forEach((track, index) => {
      track.mode = on && index === chosen ? "showing" : "disabled";
    });
  }

  closed() {
    this.video.pause();
    this.video.removeAttribute("src");
    this.video.replaceChildren();
    this.video.load();
    this.talk = null;
    this.onOpenChange(false);
  }

  /** For the test hook. */
  snapshot() {
    return {
      open: this.open,
      talk: this.talk?.id ?? null,
      position: this.talk ? this.video.currentTime : null,
      paused: this.video.paused,
      captions: [...this.video.textTracks].some((track) => track.mode === "showing"),
    };
  }
}
