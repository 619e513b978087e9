/**
 * Smooth movement of other avatars: a short buffer of timestamped server poses per avatar,
 * read a little in the past (the interpolation delay) so there are nearly always two
 * samples around the moment shown. A jump (spawn, door to a far room, correction) is not
 * smeared across the floor: the avatar appears at the new place at that sample's time.
 */

const KEEP_MS = 1500;
const JUMP_DISTANCE = 2.5;
const MAX_EXTRAPOLATE_MS = 150;
const MAX_GAP_TICKS = 6;

export class PoseBuffer {
  /** tickMs: the server's tick interval, the quickest updates can come. */
  constructor(tickMs = 50) {
    this.tickMs = tickMs;
    this.samples = [];
    // How far apart updates of this avatar arrive while it moves (one tick when near,
    // several when it is far away and only in the far updates).
    this.intervalMs = tickMs;
  }

  /**
   * Add a server pose taken at server time t (ms); snap: the server says it was teleported;
   * pitch: where they look up or down. Samples out of order are dropped.
   */
  push(t, x, y, z, yaw, snap = false, pitch = 0) {
    const last = this.samples[this.samples.length - 1];
    if (last && t <= last.t) {
      if (t === last.t) Object.assign(last, { x, y, z, yaw, pitch });
      return;
    }
    if (last) {
      const gap = t - last.t;
      if (gap <= this.tickMs * MAX_GAP_TICKS) {
        this.intervalMs = Math.max(this.tickMs, 0.7 * this.intervalMs + 0.3 * gap);
      } else {
        // The avatar stood still (unchanged avatars are not sent): it starts moving now,
        // one interval before this sample, not gradually since the last one.
        this.samples.push({ ...last, t: t - this.intervalMs, jump: false });
      }
    }
    const jump = !last || snap || Math.hypot(x - last.x, z - last.z) > JUMP_DISTANCE;
    this.samples.push({ t, x, y, z, yaw, pitch, jump });
    const cutoff = t - KEEP_MS;
    while (this.samples.length > 2 && this.samples[1].t < cutoff) this.samples.shift();
  }

  /** How far behind the newest update to show this avatar (ms). */
  get delayMs() {
    return Math.max(2 * this.tickMs, 1.5 * this.intervalMs);
  }

  get latest() {
    return this.samples[this.samples.length - 1] ?? null;
  }

  /** The pose to show at server time t, written into out {x, y, z, yaw, pitch}; false if
   * empty. */
  sample(t, out) {
    const samples = this.samples;
    if (samples.length === 0) return false;
    if (t <= samples[0].t) return copy(samples[0], out);
    for (let i = samples.length - 1; i > 0; i--) {
      const a = samples[i - 1];
      const b = samples[i];
      if (t >= a.t && t <= b.t) {
        if (b.jump) return copy(t >= b.t ? b : a, out);
        const f = (t - a.t) / (b.t - a.t);
        out.x = a.x + (b.x - a.x) * f;
        out.y = a.y + (b.y - a.y) * f;
        out.z = a.z + (b.z - a.z) * f;
        out.yaw = lerpAngle(a.yaw, b.yaw, f);
        out.pitch = (a.pitch ?? 0) + ((b.pitch ?? 0) - (a.pitch ?? 0)) * f;
        return true;
      }
    }
    const last = samples[samples.length - 1];
    const previous = samples[samples.length - 2];
    if (!previous || last.jump || t - last.t > MAX_EXTRAPOLATE_MS) return copy(last, out);
    const f = (t - last.t) / Math.max(1, last.t - previous.t);
    out.x = last.x + (last.x - previous.x) * f;
    out.y = last.y;
    out.z = last.z + (last.z - previous.z) * f;
    out.yaw = last.yaw;
    out.pitch = last.pitch ?? 0;
    return true;
  }
}

function copy(sample, out) {
  out.x = sample.x;
  out.y = sample.y;
  out.z = sample.z;
  out.yaw = sample.yaw;
  out.pitch = sample.pitch ?? 0;
  return true;
}

function lerpAngle(a, b, f) {
  const delta = Math.atan2(Math.sin(b - a), Math.cos(b - a));
  return a + delta * f;
}
