/**
 * One screen of the hub showing the room's playback: a <video> whose frames are a three.js
 * VideoTexture on the screen's "poster" material, its sound a PositionalAudio at the screen,
 * captions drawn in a band at the bottom of the screen (switchable), and the drift rule run
 * four times a second so this browser stays at the room's moment (drift.js).
 *
 * If the browser refuses to start the video with sound (autoplay policy), the player says so
 * (onBlocked) and waits for unblock(), which the one-click "join playback" prompt calls.
 */

import * as THREE from "three";
import { fetchTalk } from "../net/content-api.js";
import { DRIFT_TARGET_S, correctDrift, expectedPosition } from "./drift.js";

const DRIFT_EVERY_MS = 250;
// After a start or a jump the video may land late (the seek itself takes time): for this
// long, more than DRIFT_TARGET_S off is put right with a seek that leads by the time the
// last seek took, at most SETTLE_SEEKS times; after that only the drift rule applies.
const SETTLE_MS = 4000;
const SETTLE_SEEKS = 2;
const MAX_LEAD_S = 1.0;
const CAPTION_BAND = 0.16; // of the screen's height
const CAPTION_PIXELS = [1024, 128];

export class ScreenPlayer {
  /**
   * anchor: the screen's venue entry {id, room, size: [w, h], title}; object: its node in
   * the scene; clock: ServerClock; audio: ScreenAudio; onBlocked(player), onChange(player).
   */
  constructor({ anchor, object, clock, audio, mediaShelf, onBlocked, onChange }) {
    this.anchor = anchor;
    this.object = object;
    this.clock = clock;
    this.audio = audio;
    this.mediaShelf = mediaShelf;
    this.onBlocked = onBlocked;
    this.onChange = onChange;
    this.id = anchor.id;
    this.room = anchor.room;
    this.state = null;
    this.talk = null;
    this.video = null;
    this.texture = null;
    this.blocked = false;
    this.seeking = false;
    this.seekStartedAt = 0;
    this.seekTookS = 0;
    this.settleUntil = 0;
    this.settleSeeks = 0;
    this.captionsOn = true;
    this.caption = "";
    this.loading = 0;
    this.lastCorrection = null;
    /** @type {THREE.Mesh | null} */
    this.poster = null;
    this.covering = null;
    object.traverse((child) => {
      if (child.isMesh && child.material?.name === "poster") this.poster = child;
    });
    this.posterMaterial = this.poster?.material ?? null;
    this.timer = null;
  }

  /** The server's state for this screen: load, play, pause, seek as it says. */
  follow(state) {
    // An older state that arrives late is dropped (a restarted server counts from 0 again,
    // but its clock has moved on).
    const previous = this.state;
    if (previous && state.version < previous.version && state.server_time <= previous.server_time) return;
    this.state = state;
    if (!state.talk) {
      this.unload();
    } else if (state.talk !== this.talk?.id) {
      this.load(state.talk);
    } else {
      this.apply();
    }
    this.onChange(this);
  }

  /** Where the room's playback is now (seconds), or null without a talk. */
  expected() {
    if (!this.state?.talk) return null;
    return expectedPosition(this.state, this.clock.now() / 1000);
  }

  async load(talkId) {
    const ticket = ++this.loading;
    this.stopTimer();
    let talk;
    try {
      talk = await fetchTalk(talkId);
    } catch (error) {
      console.warn(`hubtwin: talk ${talkId} could not be read`, error);
      return;
    }
    if (ticket !== this.loading || this.state?.talk !== talkId) return;
    this.talk = talk;
    this.onChange(this);
    const video = this.ensureVideo();
    for (const track of [...video.querySelectorAll("track")]) track.remove();
    for (const caption of talk.captions) {
      const track = document.createElement("track");
      Object.assign(track, { kind: caption.kind, src: caption.url, srclang: caption.language, label: caption.label });
      video.append(track);
    }
    for (const track of video.textTracks) track.mode = "hidden";
    video.src = talk.media.url;
    video.load();
    video.addEventListener("loadedmetadata", () => {
      if (ticket === this.loading) this.apply();
    }, { once: true });
    this.startTimer();
  }

  ensureVideo() {
    if (this.video) return this.video;
    const video = document.createElement("video");
    video.playsInline = true;
    video.preload = "auto";
    video.dataset.screen = this.id;
    video.addEventListener("seeking", () => {
      this.seeking = true;
    });
    video.addEventListener("seeked", () => {
      this.seeking = false;
      if (this.seekStartedAt) this.seekTookS = Math.min(MAX_LEAD_S, (performance.now() - this.seekStartedAt) / 1000);
      this.seekStartedAt = 0;
    });
    video.addEventListener("loadeddata", () => this.showVideo());
    video.textTracks.addEventListener("addtrack", (event) => {
      event.track.mode = "hidden";
      event.track.addEventListener("cuechange", () => this.cueChanged(event.track));
    });
    this.mediaShelf.append(video);
    this.video = video;
    this.audio.attach(video, this.object, this.anchor.size);
    return video;
  }

  /** Put the video on the screen's surface (once it has a first frame). */
  showVideo() {
    if (!this.poster || !this.video) return;
    if (!this.texture) {
      this.texture = new THREE.VideoTexture(this.video);
      this.texture.colorSpace = THREE.SRGBColorSpace;
      this.texture.flipY = false; // the poster's UVs follow glTF (v down)
      this.videoMaterial = new THREE.MeshBasicMaterial({ map: this.texture, toneMapped: false });
    }
    this.poster.material = this.covering ?? this.videoMaterial;
  }

  /** Show something else on the screen (a shared screen, share.js) until cover(null). */
  cover(material) {
    this.covering = material;
    if (!this.poster) return;
    const talkShown = this.videoMaterial && this.talk && this.video?.readyState >= HTMLMediaElement.HAVE_CURRENT_DATA;
    this.poster.material = material ?? (talkShown ? this.videoMaterial : this.posterMaterial);
  }

  /** Bring the video to the room's state at once (a new state, a loaded talk). */
  apply() {
    const video = this.video;
    const state = this.state;
    if (!video || !state?.talk || video.readyState < HTMLMediaElement.HAVE_METADATA) return;
    const expected = this.expected();
    if (Math.abs(video.currentTime - expected) > 0.04) this.seekTo(expected);
    this.settleUntil = performance.now() + SETTLE_MS;
    this.settleSeeks = 0;
    video.playbackRate = state.rate;
    if (state.playing) this.play();
    else if (!video.paused) video.pause();
  }

  play() {
    const video = this.video;
    if (!video || !video.paused || this.blocked) return;
    video.play().then(
      () => {
        this.blocked = false;
        this.onChange(this);
      },
      (error) => {
        if (error.name === "NotAllowedError") {
          this.blocked = true;
          this.onBlocked(this);
        } else if (error.name !== "AbortError") {
          console.warn("hubtwin: the screen's video did not start", error);
        }
      },
    );
  }

  /** The visitor clicked "join playback": sound may start now. */
  unblock() {
    this.blocked = false;
    this.apply();
  }

  startTimer() {
    if (!this.timer) this.timer = setInterval(() => this.correct(), DRIFT_EVERY_MS);
  }

  stopTimer() {
    clearInterval(this.timer);
    this.timer = null;
  }

  /** The drift rule (docs/watch-together.md), four times a second. */
  correct() {
    const video = this.video;
    const state = this.state;
    if (!video || !state?.talk || this.seeking || video.readyState < HTMLMediaElement.HAVE_METADATA) return;
    const expected = this.expected();
    const error = video.currentTime - expected;
    const settling = state.playing && !video.paused && performance.now() < this.settleUntil;
    if (settling && this.settleSeeks < SETTLE_SEEKS && Math.abs(error) > DRIFT_TARGET_S) {
      this.settleSeeks += 1;
      this.lastCorrection = "settle";
      this.seekTo(Math.min(state.duration, expected + this.seekTookS * state.rate));
      return;
    }
    const step = correctDrift(expected, video.currentTime, { rate: state.rate, playing: state.playing });
    this.lastCorrection = step.action;
    if (step.action === "seek") this.seekTo(step.seekTo);
    if (Math.abs(video.playbackRate - step.playbackRate) > 1e-4) video.playbackRate = step.playbackRate;
    if (state.playing && video.paused && expected < state.duration) this.play();
    if (!state.playing && !video.paused) video.pause();
  }

  seekTo(position) {
    this.seekStartedAt = performance.now();
    this.video.currentTime = position;
  }

  // --- captions on the screen -------------------------------------------------------------

  setCaptions(on) {
    this.captionsOn = on;
    this.drawCaption();
  }

  cueChanged(track) {
    const cues = [...(track.activeCues ?? [])];
    this.caption = cues.map((cue) => cue.text).join("\n");
    this.drawCaption();
  }

  drawCaption() {
    const text = this.captionsOn && this.talk ? this.caption : "";
    if (!text && !this.band) return;
    if (!this.band) this.band = this.makeBand();
    const { canvas, texture, mesh } = this.band;
    const ctx = canvas.getContext("2d");
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    mesh.visible = Boolean(text);
    if (text) {
      ctx.fillStyle = "rgba(0, 0, 0, 0.72)";
      ctx.fillRect(0, 0, canvas.width, canvas.height);
      ctx.fillStyle = "#ffffff";
      ctx.textAlign = "center";
      ctx.textBaseline = "middle";
      const lines = text.split("\n").slice(0, 2);
      const size = lines.length > 1 ? 44 : 52;
      ctx.font = `600 ${size}px system-ui, sans-serif`;
      lines.forEach((line, i) => {
        const y = canvas.height / 2 + (i - (lines.length - 1) / 2) * size * 1.1;
        ctx.fillText(line, canvas.width / 2, y, canvas.width - 32);
      });
    }
    texture.needsUpdate = true;
  }

  makeBand() {
    const [w, h] = this.anchor.size ?? [2, 1.125];
    const canvas = document.createElement("canvas");
    [canvas.width, canvas.height] = CAPTION_PIXELS;
    const texture = new THREE.CanvasTexture(canvas);
    texture.colorSpace = THREE.SRGBColorSpace;
    const material = new THREE.MeshBasicMaterial({ map: texture, transparent: true, toneMapped: false });
    const mesh = new THREE.Mesh(new THREE.PlaneGeometry(w, h * CAPTION_BAND), material);
    mesh.position.set(0, -h / 2 + (h * CAPTION_BAND) / 2, 0.01);
    mesh.visible = false;
    this.object.add(mesh);
    return { canvas, texture, mesh };
  }

  // --- leaving ----------------------------------------------------------------------------

  /** Nothing on the screen: stop, show the poster again. */
  unload() {
    this.loading += 1;
    this.stopTimer();
    this.talk = null;
    this.caption = "";
    this.blocked = false;
    if (this.video) {
      this.video.pause();
      this.video.removeAttribute("src");
      for (const track of [...this.video.querySelectorAll("track")]) track.remove();
      this.video.load();
    }
    if (this.poster && this.posterMaterial) this.poster.material = this.covering ?? this.posterMaterial;
    this.drawCaption();
  }

  /** The visitor left the room: forget its state and stop. */
  release() {
    this.state = null;
    this.unload();
  }

  /** For the test hook and the controls. */
  snapshot() {
    const video = this.video;
    return {
      screen: this.id,
      room: this.room,
      talk: this.state?.talk ?? null,
      title: this.talk?.title ?? null,
      playing: Boolean(this.state?.playing),
      rate: this.state?.rate ?? 1,
      control: this.state?.control ?? null,
      position: video && this.talk ? video.currentTime : null,
      paused: video ? video.paused : true,
      expected: this.expected(),
      serverNow: this.clock.now() / 1000,
      ready: Boolean(video && video.readyState >= HTMLMediaElement.HAVE_CURRENT_DATA),
      onScreen: Boolean(this.poster && this.videoMaterial && this.poster.material === this.videoMaterial),
      blocked: this.blocked,
      caption: this.captionsOn ? this.caption : "",
      correction: this.lastCorrection,
    };
  }
}
