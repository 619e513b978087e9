/**
 * Voice: speaking with the people near you, heard where they stand.
 *
 * The hub decides whom you hear (the nearest speakers of your room, the stage) and asks the
 * media server (Janus) to send you exactly those; this module only speaks WebRTC, with the
 * descriptions (SDP) and ICE candidates relayed over the hub's own connection
 * (voice_state, voice_sdp, voice_ice, voice_streams, voice_people: docs/voice.md):
 *
 *   send     your microphone, offered by the browser once the hub says "ready";
 *   receive  the voices you are given, one audio m-line each, offered by the server and
 *            renegotiated whenever the hub changes whom you hear.
 *
 * The microphone is asked for only when you turn voice on and agree (with echo
 * cancellation and noise suppression); without one, or without permission, you listen
 * only. Every voice goes through WebAudio: an analyser (level, speaking indicator), your
 * volume for that person and an HRTF panner at their avatar (inverse distance, reaching
 * as far as the hub's hearing distance). N mutes and unmutes. A dropped connection or a
 * failed one is set up again.
 */

import { onLanguageChange, t } from "./ui/i18n.js";

const MUTE_KEY = "n";
const SPEAKING_LEVEL = 0.02;
const RETRY_MS = [1000, 2000, 5000, 10000];
const HEARING_M = 12;

export class VoiceFeature {
  /** parts: {connection, hud, crowd, camera, people, session(), role()}. */
  constructor({ connection, hud, crowd, camera, people, session, role }) {
    this.connection = connection;
    this.hud = hud;
    this.crowd = crowd;
    this.camera = camera;
    this.people = people;
    this.session = session;
    this.role = role;
    this.wanted = false;
    this.mic = false;
    this.muted = false;
    this.held = false;
    this.state = "off";
    this.gen = 0;
    this.ice = [];
    this.stream = null;
    this.sendPc = null;
    this.sendGen = 0;
    this.receivePc = null;
    this.receiveGen = 0;
    this.streams = new Map(); // mid -> {session, stream, audio, source, analyser, gain, panner}
    this.owners = new Map(); // mid -> session (voice_streams)
    this.peopleStates = new Map(); // session -> state (voice_people)
    this.volumes = new Map(); // session -> 0..2
    this.quiet = false;
    this.notice = "";
    this.failures = 0;
    this.context = null;
    this.micAnalyser = null;
    this.level = 0;
    this.retryTimer = null;
    this.elements = {
      button: /** @type {HTMLButtonElement} */ (document.getElementById("toggle-voice")),
      panel: document.getElementById("panel-voice"),
      consent: document.getElementById("voice-consent"),
      live: document.getElementById("voice-live"),
      status: document.getElementById("voice-status"),
      meter: /** @type {HTMLMeterElement} */ (document.getElementById("voice-level")),
      mute: /** @type {HTMLButtonElement} */ (document.getElementById("voice-mute")),
      off: /** @type {HTMLButtonElement} */ (document.getElementById("voice-off")),
      quiet: /** @type {HTMLInputElement} */ (document.getElementById("voice-quiet")),
      quietRow: document.getElementById("voice-quiet-row"),
    };
    const el = this.elements;
    el.button.addEventListener("click", () => this.hud.toggle("panel-voice"));
    /** @type {HTMLButtonElement} */ (document.getElementById("voice-with-mic")).addEventListener("click", () => this.turnOn(true));
    /** @type {HTMLButtonElement} */ (document.getElementById("voice-listen")).addEventListener("click", () => this.turnOn(false));
    el.mute.addEventListener("click", () => this.toggleMute());
    el.off.addEventListener("click", () => this.turnOff());
    el.quiet.addEventListener("change", () => this.connection.send("voice_quiet", { on: el.quiet.checked }));
    window.addEventListener("keydown", (event) => this.key(event));
    people.voiceOf = (id) => this.personVoice(id);
    people.onVolume = (id, value) => this.setVolume(id, value);
    connection.on("voice_state", (m) => this.voiceState(m));
    connection.on("voice_sdp", (m) => this.remoteSdp(m).catch((error) => this.failed(error)));
    connection.on("voice_streams", (m) => this.voiceStreams(m));
    connection.on("voice_people", (m) => this.voicePeople(m));
    connection.on("error", (m) => {
      if (m.code === "voice_unavailable") this.say("voice.unavailable");
    });
    connection.on("state", ({ state }) => {
      if (state === "open" && this.wanted) this.afterReconnect();
      if (state !== "open" && this.wanted) this.say("voice.reconnecting");
    });
    onLanguageChange(() => this.render());
    this.timer = setInterval(() => this.update(), 100);
    this.render();
  }

  // --- turning on and off -------------------------------------------------------------------

  async turnOn(withMic) {
    this.ensureContext();
    this.wanted = true;
    this.mic = false;
    this.notice = "";
    if (withMic) {
      try {
        this.stream = await navigator.mediaDevices.getUserMedia({
          audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true },
          video: false,
        });
        this.mic = true;
        const source = this.context.createMediaStreamSource(this.stream);
        this.micAnalyser = this.context.createAnalyser();
        this.micAnalyser.fftSize = 1024;
        source.connect(this.micAnalyser);
      } catch (error) {
        console.warn("hubtwin: no microphone", error);
        this.notice = error?.name === "NotAllowedError" ? "voice.noPermission" : "voice.noMicrophone";
      }
    }
    this.connection.send("voice", { on: true, mic: this.mic });
    this.state = "connecting";
    this.render();
  }

  turnOff() {
    this.wanted = false;
    this.connection.send("voice", { on: false });
    this.closeConnections();
    if (this.stream) for (const track of this.stream.getTracks()) track.stop();
    this.stream = null;
    this.micAnalyser = null;
    this.mic = false;
    this.state = "off";
    this.render();
  }

  toggleMute() {
    if (!this.wanted || !this.mic) return;
    this.muted = !this.muted;
    if (this.stream) for (const track of this.stream.getAudioTracks()) track.enabled = !this.muted;
    this.connection.send("voice_mute", { on: this.muted });
    this.mutedAt = Date.now();
    this.render();
  }

  key(event) {
    if (event.key.toLowerCase() !== MUTE_KEY || event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target;
    if (target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement || target?.isContentEditable) return;
    if (this.wanted && this.mic) {
      event.preventDefault();
      this.toggleMute();
    }
  }

  ensureContext() {
    if (!this.context) this.context = new AudioContext();
    if (this.context.state === "suspended") this.context.resume();
  }

  afterReconnect() {
    // A resumed session is set up again by the hub (a new gen); a new one needs asking.
    const asked = this.gen;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      if (this.wanted && this.gen === asked) this.connection.send("voice", { on: true, mic: this.mic });
    }, 1500);
  }

  failed(error) {
    console.warn("hubtwin: voice connection failed", error);
    this.state = "failed";
    this.render();
    if (!this.wanted) return;
    const wait = RETRY_MS[Math.min(this.failures, RETRY_MS.length - 1)];
    this.failures += 1;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      if (this.wanted) this.connection.send("voice", { on: true, mic: this.mic });
    }, wait);
  }

  // --- what the hub says --------------------------------------------------------------------

  voiceState(message) {
    this.held = message.held;
    this.ice = message.ice ?? [];
    if (message.state === "off" || message.state === "unavailable") {
      this.closeConnections();
      this.state = message.state;
      if (message.state === "unavailable") this.say("voice.unavailable");
      this.render();
      return;
    }
    if (!this.wanted) {
      // the hub still has us in voice (a reloaded page): say no
      this.connection.send("voice", { on: false });
      return;
    }
    if (message.gen !== this.gen) {
      this.closeConnections();
      this.gen = message.gen;
    }
    this.state = message.state;
    if (message.state === "ready" && this.mic && this.sendGen !== this.gen) {
      this.offerMicrophone(this.gen).catch((error) => this.failed(error));
    }
    this.render();
  }

  async offerMicrophone(gen) {
    this.sendGen = gen;
    const pc = this.newPeerConnection("send", gen);
    this.sendPc = pc;
    for (const track of this.stream.getAudioTracks()) {
      track.enabled = !this.muted;
      pc.addTransceiver(track, { direction: "sendonly", streams: [this.stream] });
    }
    const offer = await pc.createOffer();
    await pc.setLocalDescription(offer);
    if (gen !== this.gen) return;
    this.connection.send("voice_sdp", { pc: "send", gen, type: "offer", sdp: offer.sdp });
  }

  async remoteSdp(message) {
    if (message.gen !== this.gen || !this.wanted) return;
    if (message.pc === "send") {
      if (this.sendPc && message.type === "answer") {
        await this.sendPc.setRemoteDescription({ type: "answer", sdp: message.sdp });
      }
      return;
    }
    if (message.type !== "offer") return;
    if (!this.receivePc || this.receiveGen !== message.gen) {
      if (this.receivePc) this.receivePc.close();
      this.receiveGen = message.gen;
      this.receivePc = this.newPeerConnection("receive", message.gen);
      this.receivePc.addEventListener("track", (event) => this.track(event));
    }
    const pc = this.receivePc;
    await pc.setRemoteDescription({ type: "offer", sdp: message.sdp });
    const answer = await pc.createAnswer();
    await pc.setLocalDescription(answer);
    this.connection.send("voice_sdp", { pc: "receive", gen: message.gen, type: "answer", sdp: answer.sdp });
    this.dropEndedStreams();
  }

  newPeerConnection(kind, gen) {
    const pc = new RTCPeerConnection({ iceServers: this.ice });
    pc.addEventListener("icecandidate", (event) => {
      if (gen !== this.gen) return;
      const c = event.candidate;
      this.connection.send("voice_ice", {
        pc: kind,
        gen,
        candidate: c ? c.candidate : null,
        mid: c ? c.sdpMid : null,
        mline: c ? c.sdpMLineIndex : null,
      });
    });
    pc.addEventListener("connectionstatechange", () => {
      if (gen !== this.gen) return;
      if (pc.connectionState === "connected") this.failures = 0;
      if (pc.connectionState === "failed") this.failed(new Error(`${kind} connection failed`));
      this.render();
    });
    return pc;
  }

  track(event) {
    const mid = event.transceiver?.mid;
    if (mid == null || this.streams.has(mid)) return;
    const stream = new MediaStream([event.track]);
    // Chromium plays a remote stream into WebAudio only while a media element holds it.
    const audio = new Audio();
    audio.muted = true;
    audio.srcObject = stream;
    audio.play().catch(() => {});
    this.ensureContext();
    const ctx = this.context;
    const source = ctx.createMediaStreamSource(stream);
    const analyser = ctx.createAnalyser();
    analyser.fftSize = 2048;
    const gain = ctx.createGain();
    const panner = new PannerNode(ctx, {
      panningModel: "HRTF",
      distanceModel: "inverse",
      refDistance: 1,
      maxDistance: HEARING_M,
      rolloffFactor: 1,
    });
    source.connect(analyser);
    analyser.connect(gain).connect(panner).connect(ctx.destination);
    const entry = { mid, track: event.track, stream, audio, source, analyser, gain, panner, level: 0 };
    this.streams.set(mid, entry);
    this.applyVolume(entry);
    event.track.addEventListener("ended", () => this.dropStream(mid));
  }

  voiceStreams(message) {
    if (message.gen !== this.gen) return;
    this.owners = new Map(message.streams.map((s) => [s.mid, s.session]));
    for (const entry of this.streams.values()) this.applyVolume(entry);
    this.dropEndedStreams();
    this.render();
  }

  dropEndedStreams() {
    const pc = this.receivePc;
    if (!pc) return;
    const live = new Set(
      pc.getTransceivers().filter((tr) => tr.currentDirection !== "inactive" && tr.mid != null).map((tr) => tr.mid),
    );
    for (const mid of [...this.streams.keys()]) {
      if (!live.has(mid) || !this.owners.has(mid)) this.dropStream(mid);
    }
  }

  dropStream(mid) {
    const entry = this.streams.get(mid);
    if (!entry) return;
    this.streams.delete(mid);
    entry.source.disconnect();
    entry.panner.disconnect();
    entry.audio.srcObject = null;
  }

  voicePeople(message) {
    this.peopleStates = new Map(message.people.map((p) => [p.session, p.state]));
    this.quiet = message.quiet;
    this.people.refresh();
    this.render();
  }

  closeConnections() {
    for (const mid of [...this.streams.keys()]) this.dropStream(mid);
    this.sendPc?.close();
    this.receivePc?.close();
    this.sendPc = this.receivePc = null;
    this.sendGen = this.receiveGen = 0;
    this.owners = new Map();
  }

  // --- volume, place, level -----------------------------------------------------------------

  setVolume(session, value) {
    this.volumes.set(session, value);
    for (const entry of this.streams.values()) this.applyVolume(entry);
  }

  applyVolume(entry) {
    const owner = this.owners.get(entry.mid);
    entry.gain.gain.value = owner ? (this.volumes.get(owner) ?? 1) : 1;
  }

  personVoice(session) {
    const state = session === this.session() ? this.ownState() : this.peopleStates.get(session);
    if (!state) return null;
    return { state, speaking: this.isSpeaking(session), volume: this.volumes.get(session) ?? 1 };
  }

  ownState() {
    if (!this.wanted) return null;
    if (this.state === "failed") return "failed";
    if (this.held) return "held";
    if (!this.mic) return "listening";
    if (this.muted) return "muted";
    return this.sendPc?.connectionState === "connected" ? "live" : "connecting";
  }

  isSpeaking(session) {
    if (session === this.session()) return !this.muted && this.level > SPEAKING_LEVEL;
    for (const entry of this.streams.values()) {
      if (this.owners.get(entry.mid) === session && entry.level > SPEAKING_LEVEL) return true;
    }
    return false;
  }

  update() {
    const buffer = new Float32Array(2048);
    if (this.micAnalyser) {
      this.micAnalyser.getFloatTimeDomainData(buffer.subarray(0, this.micAnalyser.fftSize));
      this.level = rms(buffer.subarray(0, this.micAnalyser.fftSize));
      this.elements.meter.value = Math.min(1, this.level * 5);
    }
    const listener = this.context?.listener;
    if (listener && this.camera) {
      const p = this.camera.position;
      const f = this.camera.getWorldDirection ? this.camera.getWorldDirection(this.camera.position.clone()) : null;
      setParam(listener.positionX, p.x);
      setParam(listener.positionY, p.y);
      setParam(listener.positionZ, p.z);
      if (f) {
        setParam(listener.forwardX, f.x);
        setParam(listener.forwardY, f.y);
        setParam(listener.forwardZ, f.z);
      }
    }
    for (const entry of this.streams.values()) {
      entry.analyser.getFloatTimeDomainData(buffer);
      entry.level = rms(buffer);
      const owner = this.owners.get(entry.mid);
      const avatar = owner ? this.crowd.avatars.get(owner) : null;
      if (avatar?.shown) {
        setParam(entry.panner.positionX, avatar.shown.x);
        setParam(entry.panner.positionY, (avatar.shown.y ?? 0) + 1.6);
        setParam(entry.panner.positionZ, avatar.shown.z);
      }
    }
    for (const item of /** @type {NodeListOf<HTMLElement>} */ (document.querySelectorAll("#people-list li[data-person-id]"))) {
      const badge = item.querySelector(".person-voice");
      if (badge) badge.classList.toggle("speaking", this.isSpeaking(item.dataset.personId));
    }
  }

  // --- the panel ----------------------------------------------------------------------------

  say(key) {
    this.notice = key;
    this.render();
  }

  render() {
    const el = this.elements;
    el.consent.hidden = this.wanted;
    el.live.hidden = !this.wanted;
    const own = this.ownState();
    el.button.textContent = t(own ? `voice.button.${own}` : "voice.button.off");
    el.button.setAttribute("aria-pressed", String(this.wanted));
    el.button.dataset.voice = own ?? "off";
    const lines = [];
    if (this.wanted) lines.push(t(`voice.state.${own ?? "connecting"}`));
    if (this.notice) lines.push(t(this.notice));
    if (this.quiet) lines.push(t("voice.quietRoom"));
    el.status.textContent = lines.join(" ");
    el.mute.hidden = !this.mic;
    el.mute.setAttribute("aria-pressed", String(this.muted));
    el.mute.textContent = t(this.muted ? "voice.unmute" : "voice.mute", { key: MUTE_KEY.toUpperCase() });
    el.meter.hidden = !this.mic;
    el.quietRow.hidden = this.role() === "visitor" || !this.wanted;
    el.quiet.checked = this.quiet;
  }

  /** For the test hook: what is set up and what arrives, per voice. */
  snapshot() {
    return {
      wanted: this.wanted,
      state: this.state,
      own: this.ownState(),
      gen: this.gen,
      mic: this.mic,
      muted: this.muted,
      mutedAt: this.mutedAt ?? null,
      held: this.held,
      quiet: this.quiet,
      notice: this.notice,
      level: this.level,
      send: this.sendPc?.connectionState ?? null,
      receive: this.receivePc?.connectionState ?? null,
      people: Object.fromEntries(this.peopleStates),
      streams: [...this.streams.values()].map((entry) => ({
        mid: entry.mid,
        session: this.owners.get(entry.mid) ?? null,
        level: entry.level,
        frequency: dominantFrequency(entry.analyser, this.context.sampleRate),
      })),
    };
  }

  /** For the test hook: the receive connection's inbound audio, per mid (getStats). */
  async inbound() {
    const out = {};
    if (!this.receivePc) return out;
    const stats = await this.receivePc.getStats();
    const mids = new Map(this.receivePc.getTransceivers().map((tr) => [tr.receiver.track.id, tr.mid]));
    stats.forEach((report) => {
      if (report.type !== "inbound-rtp" || report.kind !== "audio") return;
      const mid = report.mid ?? mids.get(report.trackIdentifier);
      out[mid] = {
        session: this.owners.get(mid) ?? null,
        packets: report.packetsReceived ?? 0,
        energy: report.totalAudioEnergy ?? 0,
        last: report.lastPacketReceivedTimestamp ?? null,
      };
    });
    return out;
  }
}

function rms(samples) {
  let sum = 0;
  for (const v of samples) sum += v * v;
  return Math.sqrt(sum / samples.length);
}

function dominantFrequency(analyser, sampleRate) {
  const bins = new Float32Array(analyser.frequencyBinCount);
  analyser.getFloatFrequencyData(bins);
  let best = 0;
  for (let i = 1; i < bins.length; i += 1) if (bins[i] > bins[best]) best = i;
  return bins[best] > -90 ? (best * sampleRate) / analyser.fftSize : 0;
}

function setParam(param, value) {
  if (param && Number.isFinite(value)) param.value = value;
}
