/**
 * What the browser remembers about the visitor between visits (localStorage, this origin
 * only): the session token and identity, the chosen look, and display preferences. A
 * returning guest sends the kept token back and keeps their identity.
 */

const SESSION_KEY = "hubtwin.session";
const LOOK_KEY = "hubtwin.look";
const PREFERENCES_KEY = "hubtwin.preferences";

function read(key) {
  try {
    const raw = localStorage.getItem(key);
    return raw ? JSON.parse(raw) : null;
  } catch {
    return null;
  }
}

function write(key, value) {
  try {
    if (value === null) localStorage.removeItem(key);
    else localStorage.setItem(key, JSON.stringify(value));
  } catch {
    // storage full or disabled: the visit works, it is just not remembered
  }
}

/** The kept session {token, identity, expires_at} or null. */
export function savedSession() {
  const session = read(SESSION_KEY);
  if (!session || typeof session.token !== "string" || typeof session.identity?.id !== "string") {
    return null;
  }
  return session;
}

export function saveSession(session) {
  write(SESSION_KEY, { token: session.token, identity: session.identity, expires_at: session.expires_at });
}

/** The kept avatar look as it was saved (avatar-look.js; an older client kept {colour,
 * shape}) or null: normaliseLook makes it whole. */
export function savedLook() {
  return read(LOOK_KEY);
}

export function saveLook(look) {
  write(LOOK_KEY, look);
}

/** Display preferences {reducedMotion, textScale, invertLook}. */
export function savedPreferences() {
  return { reducedMotion: false, textScale: 1, invertLook: false, ...(read(PREFERENCES_KEY) ?? {}) };
}

export function savePreferences(preferences) {
  write(PREFERENCES_KEY, preferences);
}

/** Forget the session (signed out everywhere, or revoked): the look stays. */
export function forgetSession() {
  write(SESSION_KEY, null);
}

const ERASED_KEY = "hubtwin.erased";

/** Forget everything about the visitor (after they deleted their data); only this tab
 * keeps a note of it, for the start page to confirm. */
export function forgetEverything() {
  write(SESSION_KEY, null);
  write(LOOK_KEY, null);
  try {
    sessionStorage.setItem(ERASED_KEY, "1");
  } catch {
    // storage disabled: no confirmation on the start page, the data is gone all the same
  }
}

/** Whether this tab has just erased the visitor's data (true once, then forgotten). */
export function takeErasedNote() {
  try {
    const erased = sessionStorage.getItem(ERASED_KEY) === "1";
    sessionStorage.removeItem(ERASED_KEY);
    return erased;
  } catch {
    return false;
  }
}
