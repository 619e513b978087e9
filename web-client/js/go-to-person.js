/**
 * "Go to" someone (people to meet): into their room instance, through the same "go" the room
 * list sends (so the server decides: a full or locked room is refused as there), then a walk
 * to a spot beside them once their avatar is known here. Someone who moves on meanwhile is
 * walked to where they were last seen.
 */

const GIVE_UP_MS = 10000;
const LOOK_EVERY_MS = 150;
/** How far from the person the walk ends (m): beside them, not on top of them. */
const BESIDE_M = 1.3;

export class PersonFinder {
  /** parts: {visit, roomState, crowd, player} */
  constructor(parts) {
    Object.assign(this, parts);
    this.timer = null;
    this.wanted = null;
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
