/**
 * The room instance the visitor is in, as the server last described it: which room and
 * instance, the snapshot serial, and the people there by avatar number (net) and session.
 * Also remembers the names of people met before, for direct messages from elsewhere.
 */

import { lookOf } from "./avatar-look.js";

export class RoomState {
  constructor() {
    this.room = null;
    this.instance = null;
    this.serial = null;
    this.capacity = null;
    this.selfNet = null;
    this.selfSession = null;
    this.byNet = new Map();
    this.bySession = new Map();
    this.knownNames = new Map();
  }

  /** A joined message: a new room instance with everyone in it. */
  joined(message) {
    this.room = message.room;
    this.instance = message.instance;
    this.serial = message.serial;
    this.capacity = message.capacity;
    this.selfNet = message.you;
    this.byNet.clear();
    this.bySession.clear();
    for (const person of message.presence) this.add(person);
  }

  /** Someone arrived (a presence entry); returns the person. */
  add(entry) {
    const person = {
      net: entry.net,
      session: entry.session,
      name: entry.name,
      role: entry.role,
      guest: entry.guest,
      colour: entry.appearance?.color ?? "#6b7280",
      look: lookOf(entry.appearance),
      away: Boolean(entry.away),
      hand: false,
      handOrder: null,
    };
    const previous = this.byNet.get(person.net);
    if (previous) this.bySession.delete(previous.session);
    this.byNet.set(person.net, person);
    this.bySession.set(person.session, person);
    this.knownNames.set(person.session, person.name);
    if (person.net === this.selfNet) this.selfSession = person.session;
    return person;
  }

  /** Someone left; returns who it was (or null). */
  remove(net) {
    const person = this.byNet.get(net);
    if (!person) return null;
    this.byNet.delete(net);
    this.bySession.delete(person.session);
    return person;
  }

  get self() {
    return this.byNet.get(this.selfNet) ?? null;
  }

  /** Everyone here except the visitor. */
  /** A look message: the person's new look (avatar-look.js); returns the person or null. */
  restyle(net, appearance) {
    const person = this.byNet.get(net);
    if (!person) return null;
    person.colour = appearance.color;
    person.look = lookOf(appearance);
    return person;
  }

  others() {
    return [...this.byNet.values()].filter((person) => person.net !== this.selfNet);
  }

  /** Everyone here, the visitor included, in the shape the UI lists use. */
  people() {
    return [...this.byNet.values()].map((person) => ({
      id: person.session,
      net: person.net,
      name: person.name,
      role: person.role,
      colour: person.colour,
      hand: person.hand,
      handOrder: person.handOrder,
      away: person.away,
    }));
  }

  nameOf(session) {
    return this.bySession.get(session)?.name ?? this.knownNames.get(session) ?? null;
  }
}
