/**
 * The workshops' REST API (server/workshop/http.py, docs/workshops.md): the public list,
 * planning for facilitators, attendance, and the moderation log and bans for staff.
 * Errors arrive as ApiError with the server's code and sentence.
 */

import { request } from "./api.js";
import { fetchFile } from "./fetch-json.js";

const enc = encodeURIComponent;

/** Workshops to come ({now, workshops}); with a facilitator's token their own in full. */
export function fetchWorkshops(token) {
  return request("GET", "/api/workshops", { token });
}

export function fetchWorkshop(id, token) {
  return request("GET", `/api/workshops/${enc(id)}`, { token });
}

export function createWorkshop(token, body) {
  return request("POST", "/api/workshops", { token, body });
}

export function updateWorkshop(token, id, body) {
  return request("PUT", `/api/workshops/${enc(id)}`, { token, body });
}

export function deleteWorkshop(token, id) {
  return request("DELETE", `/api/workshops/${enc(id)}`, { token });
}

/** Facilitators: who came to a workshop of theirs ({participants, peak, people, ...}). */
export function fetchAttendance(token, id) {
  return request("GET", `/api/workshops/${enc(id)}/attendance`, { token });
}

/** Facilitators: the attendance as a CSV file ({name, blob}). */
export function fetchAttendanceCsv(token, id) {
  return fetchFile(`/api/workshops/${enc(id)}/attendance.csv`, token, `teilnahme-${id}.csv`);
}

/** Staff: the moderation log, newest first ({entries}). */
export function fetchAudit(token, limit = 50) {
  return request("GET", `/api/moderation/audit?limit=${enc(limit)}`, { token });
}

/** Staff: bans in force ({bans}). */
export function fetchBans(token) {
  return request("GET", "/api/moderation/bans", { token });
}

export function liftBan(token, id) {
  return request("DELETE", `/api/moderation/bans/${enc(id)}`, { token });
}

/** Facilitators: the series they lead ({series}). */
export function fetchSeries(token) {
  return request("GET", "/api/workshop-series", { token });
}

/** A new series and its sessions ({...series, sessions}). */
export function createSeries(token, body) {
  return request("POST", "/api/workshop-series", { token, body });
}

/** Change a series: its sessions follow, those changed on their own stay as they are. */
export function updateSeries(token, id, body) {
  return request("PUT", `/api/workshop-series/${enc(id)}`, { token, body });
}

export function deleteSeries(token, id) {
  return request("DELETE", `/api/workshop-series/${enc(id)}`, { token });
}

/** Register for a workshop with seats ({status: "registered"|"waitlist", position, seats,
 * taken, waiting, calendar}). */
export function registerFor(token, id, code = null) {
  const body = code ? { code } : undefined;
  return request("POST", `/api/workshops/${enc(id)}/registration`, { token, body });
}

export function unregisterFrom(token, id) {
  return request("DELETE", `/api/workshops/${enc(id)}/registration`, { token });
}

/** Facilitators of a running workshop: its participants with the profiles they show and
 * groups of them by "industry" or "topic" ({by, participants, groups: [{label, sessions, names}]}). */
export function fetchGrouping(token, id, by, groups, lang) {
  const query = `by=${enc(by)}&groups=${enc(groups)}&lang=${enc(lang)}`;
  return request("GET", `/api/workshops/${enc(id)}/grouping?${query}`, { token });
}

/** Facilitators: who registered ({seats, taken, waiting, people}). */
export function fetchRegistrations(token, id) {
  return request("GET", `/api/workshops/${enc(id)}/registrations`, { token });
}

/** Facilitators: the registrations as a CSV file ({name, blob}). */
export function fetchRegistrationsCsv(token, id) {
  return fetchFile(`/api/workshops/${enc(id)}/registrations.csv`, token, `anmeldungen-${id}.csv`);
}
