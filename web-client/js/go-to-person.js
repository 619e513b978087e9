/**
 * "Go to" and "follow" someone. Go to (people to meet, the people list): into their room
 * instance, through the same "go" the room list sends (so the server decides: a full or
 * locked room is refused as there), then a walk to a spot beside them once their avatar is
 * known here; someone who moves on meanwhile is walked to where they were last seen. Follow
 * (the people list): keep walking to beside them while they move in the room, until one's
 * own keys move one, they leave the room, or "stop following".
 */

import { t } from "./ui/i18n.js";

const GIVE_UP_MS = 10000;
const LOOK_EVERY_MS = 150;
const KEEP_UP_EVERY_MS = 300;
/** How far from the person the walk ends (m): beside them, not on top of them. */
const BESIDE_M = 1.3;
/** A follower sets off again once the person is this far away (m). */
const FOLLOW_FROM_M = 2.5;

export class PersonFinder {
  /** parts: {visit, roomState, crowd, player, note(text)}; onChange() when following changes */
  constructor(parts) {
    this.visit = parts.visit;
    this.roomState = parts.roomState;
    this.crowd = parts.crowd;
    this.player = parts.player;
    this.note = parts.note;
    this.timer = null;
    this.wanted = null;
    /** {session, name, since} while following someone */
    this.following = null;
    this.onChange = null;
  }

  /** person: {id (their session), name} of someone in this room instance. */
  follow(person) {
    this.stop();
    this.following = { session: person.id, name: person.name, since: performance.now() };
    this.timer = setInterval(() => this.keepUp(), KEEP_UP_EVERY_MS);
    this.onChange?.();
    this.keepUp();
  }

  /** Each look while following: beside them again once they are a few steps away. */
  keepUp() {
    const following = this.following;
    if (!following) return;
    if ((this.player.keysMovedAt ?? 0) > following.since) {
      this.stop();
      this.note?.(t("people.followStopped", { name: following.name }));
      return;
    }
    const pose = this.crowd.shownPose(following.session);
    if (!pose) {
      this.stop();
      this.note?.(t("people.followLost", { name: following.name }));
      return;
    }
    const me = this.player.position;
    const dx = me.x - pose.x;
    const dz = me.z - pose.z;
    const distance = Math.hypot(dx, dz);
    if (distance <= FOLLOW_FROM_M) return;
    const x = pose.x + (dx / distance) * BESIDE_M;
    const z = pose.z + (dz / distance) * BESIDE_M;
    if (!this.player.walkTo(x, z, pose.y)) this.player.walkTo(pose.x, pose.z, pose.y);
  }

  /** person: {session, room, instance} as GET /api/people gives it. */
  goTo(person) {
    this.stop();
    const here = this.roomState.room === person.room && this.roomState.instance === person.instance;
    if (!here) this.visit.jumpTo(person.room, person.instance);
    this.wanted = { ...person, until: performance.now() + GIVE_UP_MS };
    this.timer = setInterval(() => this.look(), LOOK_EVERY_MS);
    this.look();
  }

  stop() {
    clearInterval(this.timer);
    this.timer = null;
    this.wanted = null;
    if (this.following) {
      this.following = null;
      this.onChange?.();
    }
  }

  /** Once in their room instance with their avatar known: a walk to beside them. */
  look() {
    const wanted = this.wanted;
    if (!wanted) return;
    if (performance.now() > wanted.until) {
      this.stop();
      return;
    }
    if (this.roomState.room !== wanted.room || this.roomState.instance !== wanted.instance) return;
    const pose = this.crowd.shownPose(wanted.session);
    if (!pose) return;
    const me = this.player.position;
    const dx = me.x - pose.x;
    const dz = me.z - pose.z;
    const distance = Math.hypot(dx, dz);
    if (distance <= BESIDE_M) {
      this.stop();
      return;
    }
    const x = pose.x + (dx / distance) * BESIDE_M;
    const z = pose.z + (dz / distance) * BESIDE_M;
    // no way there yet (still arriving): tried again at the next look
    if (this.player.walkTo(x, z, pose.y) || this.player.walkTo(pose.x, pose.z, pose.y)) this.stop();
  }
}
