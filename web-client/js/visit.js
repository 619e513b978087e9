/**
 * One visit to the hub once the world is loaded: what the server says is applied to the
 * room state, the avatars, the chat, the lists and the dialogs; what the visitor does
 * (chat, jump to a room, answer a full room) is sent. The render loop in main.js only
 * reads from here.
 */

import { announce } from "./ui/announcer.js";
import { language, pick, t } from "./ui/i18n.js";

export class Visit {
  /**
   * parts: {connection, table, roomState, crowd, player, chat, people, roomsPanel, roomFull,
   * banner, hud, clock, venue, onFirstJoin}
   */
  constructor(parts) {
    this.connection = parts.connection;
    this.table = parts.table;
    this.roomState = parts.roomState;
    this.clock = parts.clock;
    this.banner = parts.banner;
    this.hud = parts.hud;
    this.chat = parts.chat;
    this.people = parts.people;
    this.roomsPanel = parts.roomsPanel;
    this.roomFull = parts.roomFull;
    this.settings = parts.settings;
    this.crowd = parts.crowd;
    this.player = parts.player;
    this.venue = parts.venue;
    this.onFirstJoin = parts.onFirstJoin;
    this.identity = null;
    this.serverRooms = [];
    this.chatSeen = new Set();
    this.chatLog = [];
    this.handRaised = false;
    this.corrections = [];
    this.joinedOnce = false;
    this.lastJoinAt = 0;
    this.listen();
  }

  listen() {
    const c = this.connection;
    c.on("welcome", (m) => this.welcome(m));
    c.on("joined", (m) => this.joined(m));
    c.on("room_full", (m) => this.roomFullOffer(m));
    c.on("queued", (m) => this.roomFull.queued(m.position));
    c.on("presence_join", (m) => this.presenceJoin(m));
    c.on("presence_leave", (m) => this.presenceLeave(m));
    c.on("presence_update", (m) => this.presenceUpdate(m));
    c.on("look", (m) => this.lookChanged(m));
    c.on("rooms", (m) => this.roomsChanged(m.rooms));
    c.on("chat", (m) => this.chatMessage(m, false));
    c.on("reaction", (m) => this.reaction(m));
    c.on("hand_queue", (m) => this.handQueue(m.sessions));
    c.on("pose_fix", (m) => this.poseFix(m));
    c.on("error", (m) => this.serverError(m));
    c.on("snapshot", (s) => this.snapshot(s));
    c.on("state", (s) => this.connectionState(s));
  }

  welcome(message) {
    this.identity = message.identity;
    this.session = message.session;
    this.roomState.selfSession = message.session;
    this.tickMs = 1000 / message.tick_hz;
    this.crowd.tickMs = this.tickMs;
    this.chat.setLimit(message.limits.chat_max_chars);
    this.roomsChanged(message.rooms);
  }

  joined(message) {
    const changedRoom = message.room !== this.roomState.room || message.instance !== this.roomState.instance;
    this.roomState.joined(message);
    this.roomState.selfSession = this.session;
    this.roomFull.settled();
    this.crowd.clear();
    for (const person of this.roomState.others()) this.crowd.upsert(person.session, this.look(person));
    const [x, y, z] = message.pose.pos;
    if (message.via !== "door" && message.via !== "resume") {
      this.player.correct(x, y, z, message.pose.yaw);
    } else if (!this.joinedOnce) {
      this.player.correct(x, y, z, message.pose.yaw);
    }
    this.roomsPanel.setCurrent(message.room);
    this.refreshPeople();
    const roomName = this.roomName(message.room);
    document.getElementById("room-name").textContent = t("hud.room", { room: roomName });
    if (changedRoom) {
      // A raised hand belongs to the room it was raised in.
      this.handRaised = false;
      this.hud.showHand(false, t("hud.hand.raise"));
      this.chat.add({ system: true, text: t("announce.room", { room: roomName }) });
      announce(t("announce.room", { room: roomName }));
    }
    for (const line of message.chat) this.chatMessage(line, true);
    this.lastJoinAt = performance.now();
    if (!this.joinedOnce) {
      this.joinedOnce = true;
      this.onFirstJoin();
    }
  }

  look(person) {
    return { name: person.name, role: person.role, look: person.look };
  }

  roomName(roomId) {
    const known = this.serverRooms.find((room) => room.id === roomId);
    return pick(known?.names) || this.roomsPanel.roomName(roomId);
  }

  roomsChanged(rooms) {
    this.serverRooms = rooms;
    this.roomsPanel.setOccupancy(rooms);
  }

  roomFullOffer(message) {
    this.roomFull.show({
      room: message.room,
      roomName: this.roomName(message.room),
      instance: message.instance,
      capacity: message.capacity,
      instances: message.instances,
      suggested: message.suggested,
    });
    if (!this.joinedOnce) this.onFirstJoin();
  }

  presenceJoin(entry) {
    const person = this.roomState.add(entry);
    if (person.net !== this.roomState.selfNet) {
      this.crowd.upsert(person.session, this.look(person));
      announce(t("announce.joined", { name: person.name }));
    }
    this.refreshPeople();
  }

  presenceLeave(message) {
    const person = this.roomState.remove(message.net);
    if (!person) return;
    this.crowd.remove(person.session);
    announce(t("announce.left", { name: person.name }));
    this.refreshPeople();
  }

  presenceUpdate(message) {
    const person = this.roomState.byNet.get(message.net);
    if (!person) return;
    if ("away" in message) person.away = Boolean(message.away);
    this.refreshPeople();
  }

  /** Someone (perhaps we) changed how their avatar looks. */
  lookChanged(message) {
    const person = this.roomState.restyle(message.net, message.appearance);
    if (person && person.session !== this.session) this.crowd.restyle(person.session, person.look);
  }

  /** The raised hands of the room instance, first raised first. */
  handQueue(sessions) {
    const order = new Map(sessions.map((session, i) => [session, i + 1]));
    for (const person of this.roomState.byNet.values()) {
      const raised = order.has(person.session);
      if (raised && !person.hand && person.session !== this.session) {
        announce(t("announce.handRaised", { name: person.name }));
      }
      person.hand = raised;
      person.handOrder = order.get(person.session) ?? null;
      this.crowd.setHand(person.session, raised);
    }
    // A facilitator may have lowered our hand: the button follows the server.
    this.handRaised = order.has(this.session);
    this.hud.showHand(this.handRaised, t(this.handRaised ? "hud.hand.lower" : "hud.hand.raise"));
    this.refreshPeople();
  }

  refreshPeople() {
    const people = this.roomState.people();
    this.people.render(people, this.session);
    this.chat.setPeople(people, this.session);
  }

  chatMessage(line, history) {
    if (this.chatSeen.has(line.id)) return;
    this.chatSeen.add(line.id);
    const outgoing = line.from === this.session;
    const entry = {
      id: line.id,
      fromId: line.from,
      fromName: line.name,
      text: line.text,
      direct: Boolean(line.to),
      toId: line.to,
      toName: line.to ? (this.roomState.nameOf(line.to) ?? "?") : null,
      outgoing,
      history,
      at: line.ts * 1000,
    };
    this.chatLog.push(entry);
    if (this.chatLog.length > 200) this.chatLog.shift();
    this.chat.add(entry);
    if (!history && line.from) this.crowd.spoke(line.from);
  }

  reaction(message) {
    const person = this.roomState.byNet.get(message.net);
    if (!person) return;
    this.chat.add({ system: true, text: t("chat.reacted", { name: person.name, emoji: message.emoji }) });
    this.crowd.react(person.session, message.emoji);
    if (person.session === this.session) this.crowd.reactSelf(message.emoji);
  }

  poseFix(message) {
    this.corrections.push(message.reason);
    const [x, y, z] = message.pos;
    this.player.correct(x, y, z, message.yaw);
    this.player.pitch = message.pitch;
  }

  serverError(message) {
    if (this.table.isFatal(message.code)) return;
    // The table's sentence follows the UI language even after a switch mid-visit.
    const text = this.table.errorText(message.code, language()) || message.message || message.code;
    if (message.about === "chat") this.chat.error.textContent = text;
    else this.banner.note(t("net.error", { message: text }));
  }

  snapshot(snapshot) {
    if (snapshot.serial !== this.roomState.serial) return;
    const t0 = snapshot.time * 1000;
    for (const entry of snapshot.entries) {
      if (entry.net === this.roomState.selfNet) continue;
      const person = this.roomState.byNet.get(entry.net);
      if (!person) continue;
      if (entry.away !== person.away) {
        person.away = entry.away;
      }
      this.crowd.pushPose(person.session, t0, entry.x, entry.y, entry.z, entry.yaw, entry.snap, entry.pitch);
    }
  }

  connectionState({ state, code, reason }) {
    const renewing = code === "token_invalid" || code === "token_expired";
    if (state === "reconnecting" || (state === "closed" && renewing)) this.banner.reconnecting();
    else if (state === "open") this.banner.restored();
    else if (state === "closed") {
      const text = (code && this.table.errorText(code, language())) || reason || code || "";
      this.banner.closed(text);
    }
  }

  /** Send a chat line (to a session id or the room); rejects with a reason to show. */
  async sendChat({ text, to }) {
    const fields = to ? { text, to } : { text };
    if (!this.connection.send("chat", fields)) throw new Error(t("net.reconnecting"));
  }

  /** Ask to raise or lower the hand; the server's hand_queue (to everyone, us included)
   * is what changes the button and the avatars. */
  toggleHand() {
    this.connection.send("hand", { up: !this.handRaised });
  }

  /** Jump to a room's spawn point (the room list). */
  jumpTo(roomId, instance) {
    const fields = instance === undefined ? { room: roomId } : { room: roomId, instance };
    this.connection.send("go", fields);
  }
}
