/**
 * The server clock as seen from here, learnt from ping/pong round trips.
 *
 * Each pong gives offset = serverTime - (sentAt + receivedAt) / 2. Round trips with a long
 * delay carry the most error, so the estimate is the offset of the quickest of the recent
 * samples (the NTP idea, without the rest of NTP).
 */

const KEEP = 12;

export class ServerClock {
  constructor() {
    this.samples = [];
    this.offsetMs = 0;
    this.rttMs = null;
  }

  /** Record one ping (sent at sentAt, local ms) answered with serverMs, received at receivedAt. */
  addSample(sentAt, serverMs, receivedAt = performance.now()) {
    const rtt = receivedAt - sentAt;
    if (!(rtt >= 0)) return;
    this.samples.push({ rtt, offset: serverMs - (sentAt + receivedAt) / 2 });
    if (this.samples.length > KEEP) this.samples.shift();
    let best = this.samples[0];
    for (const sample of this.samples) if (sample.rtt < best.rtt) best = sample;
    this.offsetMs = best.offset;
    this.rttMs = best.rtt;
  }

  get synced() {
    return this.samples.length > 0;
  }

  /** The server's clock now, in its milliseconds. */
  now() {
    return performance.now() + this.offsetMs;
  }
}
