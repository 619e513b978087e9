/**
 * Keeps the session token fresh while the hub is open. Facilitators' and staff's tokens
 * live hours, not days: once a token has lived half its life the client asks for a fresh
 * one (POST /api/session/renew), keeps it (localStorage) and uses it for the next
 * reconnection. A refusal (the account was disabled or removed, or the token revoked)
 * is handed to onRefused; a network failure is tried again at the next check.
 */

import { renewSession } from "./net/api.js";

const CHECK_EVERY_MS = 60 * 1000;

export class SessionRenewal {
  /**
   * session(): the current {token, expires_at}; onRenewed(session): a fresh session to
   * keep; onRefused(error): the server will not renew (an ApiError with its code).
   */
  constructor({ session, onRenewed, onRefused }) {
    this.session = session;
    this.onRenewed = onRenewed;
    this.onRefused = onRefused;
    this.renewals = 0;
    this.lastError = null;
    this.halfLifeAt = this.halfLife(session());
    this.timer = setInterval(() => this.check(), CHECK_EVERY_MS);
  }

  /** When (ms since the epoch) the token has lived half of what it had left when we got it. */
  halfLife(session) {
    const expiresMs = session.expires_at * 1000;
    return Date.now() + (expiresMs - Date.now()) / 2;
  }

  async check() {
    if (Date.now() >= this.halfLifeAt) await this.renew();
  }

  /** Renew now; resolves to the fresh session or null. */
  async renew() {
    try {
      const fresh = await renewSession(this.session().token);
      this.renewals += 1;
      this.lastError = null;
      this.halfLifeAt = this.halfLife(fresh);
      this.onRenewed(fresh);
      return fresh;
    } catch (error) {
      this.lastError = error.code ?? error.message;
      if (error.status === 401 || error.status === 403) this.onRefused(error);
      return null;
    }
  }

  stop() {
    clearInterval(this.timer);
  }

  testState() {
    return { renewals: this.renewals, lastError: this.lastError, halfLifeAt: this.halfLifeAt };
  }
}
