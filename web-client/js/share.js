/**
 * Sharing a screen: a facilitator (or a visitor a facilitator allowed) shares a screen or
 * window onto one of the room's in-world screens; everyone in the room sees it there and
 * can open it full size.
 *
 * The hub decides who may present and who may watch (one presenter per screen, only the
 * people of the room); this module speaks WebRTC with the media server (Janus), the
 * descriptions and ICE candidates relayed over the hub's own connection (share_state,
 * share_allowed, share_sdp, share_ice, share_view: docs/voice.md, "Sharing a screen"):
 *
 *   present  the presenter's shared screen (getDisplayMedia), offered by the browser;
 *   view     the shared screen for everyone else, offered by the server once it is live.
 *
 * The shared picture covers the screen's surface (a VideoTexture, ScreenPlayer.cover);
 * a talk on that screen is paused by the hub meanwhile. The share panel lists the room's
 * screens with who presents on each, the buttons to share, stop and open full size (a
 * dialog with the video), and for facilitators whom they allow to present.
 */

import * as THREE from "three";
import { announce } from "./ui/announcer.js";
import { onLanguageChange, pick, t } from "./ui/i18n.js";

export class ShareFeature {
  /** parts: {connection, hud, talks, roomState, session(), role(), ice()}. */
  constructor({ connection, hud, talks, roomState, session, role, ice }) {
    this.connection = connection;
    this.hud = hud;
    this.talks = talks;
    this.roomState = roomState;
    this.session = session;
    this.role = role;
    this.ice = ice;
    this.shares = new Map(); // screen -> {gen, presenter, name, live}
    this.allowed = new Set();
    this.present = null; // {screen, stream, gen, pc, video, material}
    this.views = new Map(); // screen -> {gen, pc, stream, video, material, texture}
    this.notice = "";
    this.build();
    connection.on("share_state", (m) => this.shareState(m));
    connection.on("share_allowed", (m) => {
      this.allowed = new Set(m.sessions);
      this.render();
    });
    connection.on("share_sdp", (m) => this.remoteSdp(m).catch((error) => this.failed(error)));
    connection.on("joined", (m) => this.enteredRoom(m));
    connection.on("error", (m) => {
      if (!String(m.about ?? "").startsWith("share")) return;
      if (m.about === "share" && this.present && this.present.gen == null) this.stopPresenting();
      this.notice = m.message;
      this.render();
    });
    onLanguageChange(() => this.render());
    this.render();
  }

  // --- the page's parts (made here: the panel, the full-size dialog) -------------------------

  build() {
    const voiceButton = document.getElementById("toggle-voice");
    this.button = document.createElement("button");
    this.button.type = "button";
    this.button.id = "toggle-share";
    this.button.setAttribute("aria-controls", "panel-share");
    this.button.setAttribute("aria-expanded", "false");
    voiceButton.after(this.button);
    this.panel = document.createElement("aside");
    this.panel.id = "panel-share";
    this.panel.className = "panel";
    this.panel.hidden = true;
    this.panel.setAttribute("aria-labelledby", "share-heading");
    this.panel.innerHTML = `
      <div class="panel-head">
        <h2 id="share-heading"></h2>
        <button type="button" class="close"></button>
      </div>
      <p id="share-status" class="status" aria-live="polite"></p>
      <ul id="share-screens" class="share-screens"></ul>
      <section id="share-lead" hidden>
        <h3 id="share-lead-heading"></h3>
        <ul id="share-people"></ul>
      </section>`;
    document.getElementById("panel-voice").after(this.panel);
    this.button.addEventListener("click", () => {
      const open = this.hud.isOpen("panel-share");
      if (open) this.hud.close("panel-share");
      else {
        this.render();
        this.hud.open("panel-share");
      }
      this.button.setAttribute("aria-expanded", String(!open));
    });
    this.panel.querySelector(".close").addEventListener("click", () => {
      this.hud.close("panel-share");
      this.button.setAttribute("aria-expanded", "false");
      this.button.focus();
    });
    this.dialog = document.createElement("dialog");
    this.dialog.id = "share-overlay";
    this.dialog.className = "dialog share-overlay";
    this.dialog.setAttribute("aria-labelledby", "share-overlay-title");
    this.dialog.innerHTML = `
      <div class="panel-head">
        <h2 id="share-overlay-title"></h2>
        <button type="button" class="close"></button>
      </div>
      <video id="share-overlay-video" autoplay playsinline muted></video>`;
    document.body.append(this.dialog);
    this.dialog.querySelector(".close").addEventListener("click", () => this.dialog.close());
    this.dialog.addEventListener("close", () => {
      this.dialog.querySelector("video").srcObject = null;
      this.fullScreen = null;
    });
    this.fullScreen = null;
  }

  // --- presenting ---------------------------------------------------------------------------

  async share(screen) {
    this.notice = "";
    let stream;
    try {
      stream = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
    } catch (error) {
      console.warn("hubtwin: no screen to share", error);
      this.notice = t("share.notChosen");
      this.render();
      return;
    }
    this.present = { screen, stream, gen: null, pc: null };
    for (const track of stream.getVideoTracks()) {
      // the browser's own "stop sharing" ends the share for everyone
      track.addEventListener("ended", () => this.stop(screen));
    }
    this.connection.send("share", { screen, on: true });
    this.render();
  }

  stop(screen) {
    this.connection.send("share", { screen, on: false });
    if (this.present?.screen === screen) this.stopPresenting();
  }

  stopPresenting() {
    const present = this.present;
    if (!present) return;
    this.present = null;
    present.pc?.close();
    for (const track of present.stream.getTracks()) track.stop();
    this.uncover(present.screen);
    this.render();
  }

  async offer(gen) {
    const present = this.present;
    present.gen = gen;
    present.pc?.close(); // a renewed share (another Janus, a lost connection): publish anew
    const pc = this.newPeerConnection("present", present.screen, gen);
    present.pc = pc;
    for (const track of present.stream.getVideoTracks()) {
      pc.addTransceiver(track, { direction: "sendonly", streams: [present.stream] });
    }
    const offer = await pc.createOffer();
    await pc.setLocalDescription(offer);
    if (this.present !== present) return;
    this.connection.send("share_sdp", { pc: "present", screen: present.screen, gen, type: "offer", sdp: offer.sdp });
    this.coverWith(present.screen, present.stream);
  }

  allow(session, on) {
    this.connection.send("share_allow", { session, on });
  }

  // --- what the hub says --------------------------------------------------------------------

  shareState(message) {
    const { screen, gen, presenter } = message;
    const me = this.session();
    if (!presenter) {
      const known = this.shares.get(screen);
      if (known && known.gen !== gen) return; // an older share's end
      this.shares.delete(screen);
      this.closeView(screen);
      if (this.present?.screen === screen) this.stopPresenting();
      if (known) announce(t("share.ended", { screen: this.screenName(screen) }));
      this.render();
      return;
    }
    const before = this.shares.get(screen);
    this.shares.set(screen, { gen, presenter, name: message.name ?? "", live: message.live });
    if (!before || before.gen !== gen) {
      announce(t("share.started", { name: message.name ?? "", screen: this.screenName(screen) }));
    }
    if (presenter === me) {
      if (this.present?.screen === screen && this.present.gen !== gen) {
        this.offer(gen).catch((error) => this.failed(error));
      } else if (this.present?.screen === screen && this.presentBroken()) {
        // back after a dropped connection, but the screen no longer reaches Janus: ask the
        // hub to renew the share (a new gen), the room keeps it meanwhile
        this.connection.send("share", { screen, on: true });
      } else if (!this.present) {
        // the hub still has us presenting (a reloaded page): end it
        this.connection.send("share", { screen, on: false });
      }
    } else if (message.live) {
      const view = this.views.get(screen);
      if (!view || view.gen !== gen) {
        this.closeView(screen);
        this.views.set(screen, { gen, pc: null, stream: null });
        this.connection.send("share_view", { screen, gen, on: true });
      }
    }
    this.render();
  }

  async remoteSdp(message) {
    const { screen, gen } = message;
    if (message.pc === "present") {
      if (this.present?.screen === screen && this.present.gen === gen && message.type === "answer") {
        await this.present.pc.setRemoteDescription({ type: "answer", sdp: message.sdp });
      }
      return;
    }
    const view = this.views.get(screen);
    if (!view || view.gen !== gen || message.type !== "offer") return;
    if (!view.pc) {
      view.pc = this.newPeerConnection("view", screen, gen);
      view.pc.addEventListener("track", (event) => {
        view.stream = new MediaStream([event.track]);
        this.coverWith(screen, view.stream);
        this.render();
      });
    }
    await view.pc.setRemoteDescription({ type: "offer", sdp: message.sdp });
    const answer = await view.pc.createAnswer();
    await view.pc.setLocalDescription(answer);
    this.connection.send("share_sdp", { pc: "view", screen, gen, type: "answer", sdp: answer.sdp });
  }

  newPeerConnection(kind, screen, gen) {
    const pc = new RTCPeerConnection({ iceServers: this.ice() });
    pc.addEventListener("icecandidate", (event) => {
      const c = event.candidate;
      this.connection.send("share_ice", {
        pc: kind,
        screen,
        gen,
        candidate: c ? c.candidate : null,
        mid: c ? c.sdpMid : null,
        mline: c ? c.sdpMLineIndex : null,
      });
    });
    pc.addEventListener("connectionstatechange", () => {
      if (pc.connectionState === "failed") this.failed(new Error(`${kind} connection failed`));
      this.render();
    });
    return pc;
  }

  closeView(screen) {
    const view = this.views.get(screen);
    if (!view) return;
    this.views.delete(screen);
    view.pc?.close();
    this.uncover(screen);
    if (this.fullScreen === screen) this.dialog.close();
  }

  presentBroken() {
    const state = this.present?.pc?.connectionState;
    return state === "failed" || state === "closed";
  }

  enteredRoom(message) {
    // a resumed connection in the same room keeps presenting and watching: the hub kept
    // the shares and tells them again (share_state)
    const here = message ? `${message.room}#${message.instance}` : null;
    if (message?.via === "resume" && here === this.here) return;
    this.here = here;
    for (const screen of [...this.views.keys()]) this.closeView(screen);
    if (this.present) this.stopPresenting();
    this.shares.clear();
    this.allowed.clear();
    this.render();
  }

  failed(error) {
    console.warn("hubtwin: screen sharing failed", error);
    this.notice = t("share.failed");
    this.render();
  }

  // --- on the screen and full size ----------------------------------------------------------

  coverWith(screen, stream) {
    const player = this.talks.players.get(screen);
    const video = document.createElement("video");
    video.muted = true;
    video.playsInline = true;
    video.autoplay = true;
    video.srcObject = stream;
    video.play().catch(() => {});
    const texture = new THREE.VideoTexture(video);
    texture.colorSpace = THREE.SRGBColorSpace;
    texture.flipY = false; // the poster's UVs follow glTF (v down)
    const material = new THREE.MeshBasicMaterial({ map: texture, toneMapped: false });
    const holder = this.present?.screen === screen ? this.present : this.views.get(screen);
    if (holder) Object.assign(holder, { video, texture, material });
    player?.cover(material);
  }

  uncover(screen) {
    this.talks.players.get(screen)?.cover(null);
  }

  openFull(screen) {
    const holder = this.present?.screen === screen ? this.present : this.views.get(screen);
    const share = this.shares.get(screen);
    if (!holder?.stream || !share) return;
    this.fullScreen = screen;
    this.dialog.querySelector("#share-overlay-title").textContent = t("share.fullTitle", {
      name: share.name,
      screen: this.screenName(screen),
    });
    const video = this.dialog.querySelector("video");
    video.srcObject = holder.stream;
    video.play().catch(() => {});
    if (!this.dialog.open) this.dialog.showModal();
    (/** @type {HTMLElement} */ (this.dialog.querySelector(".close"))).focus();
  }

  // --- the panel ----------------------------------------------------------------------------

  screenName(screen) {
    const player = this.talks.players.get(screen);
    return pick(player?.anchor?.title) || screen;
  }

  mayPresent() {
    return this.role() !== "visitor" || this.allowed.has(this.session());
  }

  render() {
    const leads = this.role() !== "visitor";
    const screens = this.talks.roomScreens();
    this.button.textContent = t(this.present ? "share.button.on" : "share.button");
    this.button.hidden = screens.length === 0;
    this.panel.querySelector("#share-heading").textContent = t("share.heading");
    this.panel.querySelector(".close").setAttribute("aria-label", t("hud.close"));
    this.dialog.querySelector(".close").setAttribute("aria-label", t("hud.close"));
    const lines = [t(this.mayPresent() ? "share.may" : "share.mayNot")];
    if (this.notice) lines.push(this.notice);
    this.panel.querySelector("#share-status").textContent = lines.join(" ");
    const list = this.panel.querySelector("#share-screens");
    const active = /** @type {HTMLElement | null} */ (document.activeElement);
    const keep = active?.dataset?.shareAction;
    const keepScreen = active?.dataset?.screen;
    list.replaceChildren(
      ...screens.map(({ id, title }) => {
        const share = this.shares.get(id);
        const item = document.createElement("li");
        item.dataset.screen = id;
        const label = document.createElement("p");
        label.textContent = share
          ? t(share.live ? "share.showing" : "share.starting", { screen: title, name: share.name })
          : t("share.free", { screen: title });
        item.append(label);
        const row = document.createElement("div");
        row.className = "button-row";
        const mine = share && share.presenter === this.session();
        if (!share && this.mayPresent() && !this.present) row.append(this.action("share", id, () => this.share(id)));
        if (share && (mine || leads)) row.append(this.action("stop", id, () => this.stop(id)));
        const holder = mine ? this.present : this.views.get(id);
        if (share && holder?.stream) row.append(this.action("full", id, () => this.openFull(id)));
        item.append(row);
        return item;
      }),
    );
    if (keep) (/** @type {HTMLElement | null} */ (list.querySelector(`button[data-share-action="${keep}"][data-screen="${keepScreen}"]`)))?.focus();
    const lead = /** @type {HTMLElement} */ (this.panel.querySelector("#share-lead"));
    lead.hidden = !leads;
    if (leads) {
      lead.querySelector("#share-lead-heading").textContent = t("share.allowHeading");
      const visitors = this.roomState.people().filter((p) => p.role === "visitor");
      lead.querySelector("#share-people").replaceChildren(
        ...visitors.map((person) => {
          const item = document.createElement("li");
          const box = document.createElement("input");
          box.type = "checkbox";
          box.id = `share-allow-${person.id}`;
          box.dataset.session = person.id;
          box.checked = this.allowed.has(person.id);
          box.addEventListener("change", () => this.allow(person.id, box.checked));
          const label = document.createElement("label");
          label.htmlFor = box.id;
          label.textContent = t("share.allow", { name: person.name });
          item.append(box, " ", label);
          return item;
        }),
      );
    }
  }

  action(kind, screen, run) {
    const button = document.createElement("button");
    button.type = "button";
    button.dataset.shareAction = kind;
    button.dataset.screen = screen;
    button.textContent = t(`share.action.${kind}`);
    button.addEventListener("click", run);
    return button;
  }

  /** For the test hook: the shares of the room and what arrives on each. */
  snapshot() {
    return {
      presenting: this.present ? { screen: this.present.screen, gen: this.present.gen, send: this.present.pc?.connectionState ?? null } : null,
      allowed: [...this.allowed],
      notice: this.notice,
      full: this.fullScreen,
      shares: [...this.shares.entries()].map(([screen, share]) => {
        const view = this.views.get(screen);
        const player = this.talks.players.get(screen);
        return {
          screen,
          ...share,
          receive: view?.pc?.connectionState ?? null,
          width: view?.video?.videoWidth ?? 0,
          time: view?.video?.currentTime ?? 0,
          covered: Boolean(player?.covering && player.poster?.material === player.covering),
        };
      }),
    };
  }

  /** For the test hook: the decoded video per viewed screen (getStats inbound-rtp). */
  async inbound() {
    const out = {};
    for (const [screen, view] of this.views) {
      if (!view.pc) continue;
      const stats = await view.pc.getStats();
      stats.forEach((report) => {
        if (report.type === "inbound-rtp" && report.kind === "video") {
          out[screen] = { framesDecoded: report.framesDecoded ?? 0, width: report.frameWidth ?? 0 };
        }
      });
    }
    return out;
  }
}
