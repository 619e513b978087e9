/**
 * The realtime connection: one WebSocket of binary frames, the hello handshake, heartbeat
 * and clock sync, and reconnection with the resume key so a dropped connection continues
 * the same session (within the server's grace period) without the others noticing.
 *
 *   const connection = new Connection({ url, table, frames, clock, hello: () => ({...}) });
 *   connection.on("joined", (message) => ...);     // any server message type
 *   connection.on("snapshot", (snapshot) => ...);  // decoded binary snapshot
 *   connection.on("state", ({ state, code, reason }) => ...);
 *   connection.connect();
 *   connection.send("chat", { text: "Hallo" });
 *
 * When the hub runs as several processes, a server may answer with "redirect": the room
 * instance lives on another process. The connection then goes straight there and says
 * hello with the room, the instance and the resume key (state "redirecting", no banner);
 * if that address cannot be reached it falls back to the first one (the load balancer).
 */

import { decode, encode } from "./codec.js";

const RETRY_MS = [500, 1000, 2000, 4000, 5000];
// Close codes after which reconnecting cannot help (the reason must be fixed first).
const FINAL_ERRORS = new Set([
  "version_unsupported", "token_invalid", "token_expired", "token_revoked", "replaced", "flooding",
]);
const RESUME_KEY = "hubtwin.resume";
// More redirects than this without a welcome in between: something is wrong; slow down.
const MAX_REDIRECTS = 5;
/** Pings without an answer, an interval apart, after which the line counts as dead. */
const UNANSWERED_PINGS_MAX = 2;

/**
 * A realtime address as the browser opens it: ws:// or wss:// as given, or a path on this
 * page's host (the hub's own port serves the realtime endpoint at /ws).
 */
export function websocketAddress(url, location = globalThis.location) {
  if (/^wss?:\/\//.test(url)) return url;
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}${url.startsWith("/") ? "" : "/"}${url}`;
}

export class Connection {
  /**
   * url: the realtime address (ws://…, wss://… or a path on this page's host); table: ProtocolTable; frames: FrameCodec; clock: ServerClock;
   * hello(): the hello fields except v and resume (token, lang, appearance, room).
   */
  constructor({ url, table, frames, clock, hello }) {
    this.url = websocketAddress(url);
    this.homeUrl = this.url;
    this.table = table;
    this.frames = frames;
    this.clock = clock;
    this.hello = hello;
    this.handlers = new Map();
    this.socket = null;
    this.state = "idle";
    this.attempt = 0;
    this.lastError = null;
    this.poseSeq = 0;
    this.pingTimer = null;
    this.retryTimer = null;
    this.unanswered = 0;
    this.welcomed = false;
    // where the last redirect sent us: { url, room, instance }, until a welcome there
    this.redirect = null;
    this.target = null;
    this.redirects = 0;
    this.stats = { framesIn: 0, framesOut: 0, bytesIn: 0, bytesOut: 0, snapshots: 0 };
    try {
      this.resume = sessionStorage.getItem(RESUME_KEY);
    } catch {
      this.resume = null;
    }
  }

  on(type, handler) {
    if (!this.handlers.has(type)) this.handlers.set(type, new Set());
    this.handlers.get(type).add(handler);
  }

  emit(type, payload) {
    for (const handler of this.handlers.get(type) ?? []) {
      try {
        handler(payload);
      } catch (error) {
        // One broken handler must not stop the others or the connection.
        console.error(`hubtwin: handler for ${type} failed`, error);
      }
    }
  }

  setState(state, detail = {}) {
    this.state = state;
    this.emit("state", { state, ...detail });
  }

  connect() {
    clearTimeout(this.retryTimer);
    this.welcomed = false;
    this.lastError = null;
    const socket = new WebSocket(this.url);
    socket.binaryType = "arraybuffer";
    this.socket = socket;
    if (this.target) this.setState("redirecting", { room: this.target.room, instance: this.target.instance });
    else this.setState(this.attempt === 0 ? "connecting" : "reconnecting");
    let opened = false;
    socket.addEventListener("open", () => {
      opened = true;
      this.sendHello();
    });
    socket.addEventListener("message", (event) => this.receive(event.data));
    socket.addEventListener("close", (event) => this.closed(socket, event, opened));
  }

  sendHello() {
    const fields = { v: this.table.version, ...this.hello() };
    if (this.target) {
      fields.room = this.target.room;
      fields.instance = this.target.instance;
    }
    if (this.resume) fields.resume = this.resume;
    this.send("hello", fields);
  }

  /** Send a control message; the type must be one the server's table accepts. */
  send(type, fields = {}) {
    if (!this.table.accepts(type)) throw new Error(`the server does not accept "${type}" messages`);
    const socket = this.socket;
    if (!socket || socket.readyState !== WebSocket.OPEN) return false;
    if (type !== "hello" && !this.welcomed) return false;
    const bytes = encode({ ...fields, [this.table.typeKey]: type });
    socket.send(bytes);
    this.stats.framesOut += 1;
    this.stats.bytesOut += bytes.length;
    return true;
  }

  /** Send our pose; returns its sequence number (or null when not connected). */
  sendPose(x, y, z, yaw, pitch) {
    const socket = this.socket;
    if (!socket || socket.readyState !== WebSocket.OPEN || !this.welcomed) return null;
    this.poseSeq = (this.poseSeq + 1) & 0xffff;
    const bytes = this.frames.encodePose(this.poseSeq, x, y, z, yaw, pitch);
    socket.send(bytes);
    this.stats.framesOut += 1;
    this.stats.bytesOut += bytes.length;
    return this.poseSeq;
  }

  receive(data) {
    if (!(data instanceof ArrayBuffer)) return;
    const bytes = new Uint8Array(data);
    this.stats.framesIn += 1;
    this.stats.bytesIn += bytes.length;
    if (this.frames.isSnapshot(bytes)) {
      this.stats.snapshots += 1;
      this.emit("snapshot", this.frames.decodeSnapshot(bytes));
      return;
    }
    let message;
    try {
      message = decode(bytes);
    } catch (error) {
      console.warn("hubtwin: unreadable frame from the server", error);
      return;
    }
    const type = message?.[this.table.typeKey];
    if (typeof type !== "string") return;
    if (type === "welcome") this.welcome(message);
    else if (type === "pong") {
      this.unanswered = 0;
      this.clock.addSample(message.c, message.s * 1000);
    }
    else if (type === "error") this.lastError = message.code;
    else if (type === "redirect") this.redirect = message;
    this.emit(type, message);
  }

  welcome(message) {
    this.welcomed = true;
    this.target = null;
    this.redirects = 0;
    this.resume = message.resume;
    try {
      sessionStorage.setItem(RESUME_KEY, message.resume);
    } catch {
      // without session storage a reload starts a new session; nothing else changes
    }
    const wasRetry = this.attempt > 0;
    this.attempt = 0;
    this.frames.setGrid(message.grid);
    this.startHeartbeat(message.limits?.ping_interval_s ?? this.table.limits.ping_interval_s);
    this.setState("open", { resumed: message.resumed, reconnected: wasRetry });
  }

  startHeartbeat(intervalS) {
    clearInterval(this.pingTimer);
    this.unanswered = 0;
    const ping = () => this.send("ping", { c: performance.now() });
    // A few quick pings first so the clock offset is good from the start.
    ping();
    setTimeout(ping, 150);
    setTimeout(ping, 400);
    let lastTick = performance.now();
    this.pingTimer = setInterval(() => {
      const now = performance.now();
      if (now - lastTick < intervalS * 500) return; // ticks that bunched up after a stall
      lastTick = now;
      // Counted in pings, not in time since the last answer: a page that stood still (a
      // world being built on a slow machine, a tab in the background) has its answers
      // waiting behind this timer, and the line was fine all along.
      if (this.unanswered >= UNANSWERED_PINGS_MAX) {
        // No answer to several pings, each an interval apart: the line is dead even if
        // the socket says open.
        this.socket?.close(4000, "no pong");
        return;
      }
      this.unanswered += 1;
      ping();
    }, intervalS * 1000);
  }

  /**
   * @param {WebSocket} socket
   * @param {CloseEvent} event
   * @param {boolean} opened whether the socket ever opened
   */
  closed(socket, event, opened) {
    if (socket !== this.socket) return;
    clearInterval(this.pingTimer);
    this.welcomed = false;
    const code = this.lastError ?? this.table.codeForClose(event.code);
    if (this.state === "closed") return;
    const redirect = this.redirect;
    this.redirect = null;
    if (redirect && this.redirects < MAX_REDIRECTS) {
      // the room is on another process of the hub: go there now, no banner, same session
      this.redirects += 1;
      this.url = websocketAddress(redirect.url);
      this.target = { room: redirect.room, instance: redirect.instance };
      this.connect();
      return;
    }
    if (this.target || (this.url !== this.homeUrl && !opened)) {
      // the process we were sent to is gone: ask the first address again (the others
      // take its rooms over within seconds), with the resume key
      this.target = null;
      this.url = this.homeUrl;
    }
    if (code && FINAL_ERRORS.has(code)) {
      if (code === "replaced" || code.startsWith("token_")) this.forgetResume();
      this.setState("closed", { code, reason: event.reason });
      return;
    }
    const delay = RETRY_MS[Math.min(this.attempt, RETRY_MS.length - 1)];
    this.attempt += 1;
    this.setState("reconnecting", { code, reason: event.reason, attempt: this.attempt });
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  forgetResume() {
    this.resume = null;
    try {
      sessionStorage.removeItem(RESUME_KEY);
    } catch {
      // nothing kept, nothing to forget
    }
  }

  /** Leave on purpose (no reconnection grace) and stop. */
  leave() {
    this.send("bye");
    this.stop();
  }

  /** Close without reconnecting. */
  stop() {
    this.forgetResume();
    clearInterval(this.pingTimer);
    clearTimeout(this.retryTimer);
    this.state = "closed";
    this.socket?.close(1000, "bye");
  }

  /** Drop the line without saying bye (for tests of reconnection). */
  drop() {
    this.socket?.close(4000, "dropped by the client");
  }
}
