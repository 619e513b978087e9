/**
 * The REST side of the learning stations and the talk library (docs/content-format.md,
 * server/features/talks/http.py). Station actions are recorded per person, so they carry the session
 * token; the talk library and station content are public. Errors arrive as ApiError (with
 * the bad inputs in error.fields for an experiment).
 */

import { request } from "./api.js";
import { fetchFile } from "./fetch-json.js";

const enc = encodeURIComponent;

/** Every station with its content (quizzes without their answers): {topics, stations}. */
export function fetchStations(lang) {
  return request("GET", `/api/stations?lang=${enc(lang)}`);
}

/** Record a visit and get the station with my progress there: {station, progress}. */
export function openStation(token, stationId, lang) {
  return request("POST", `/api/stations/${enc(stationId)}/open`, { token, body: { lang } });
}

/** Have my answers marked ({q1: "a", q2: ["b", "c"]}): {score, total, passed, questions}. */
export function answerQuiz(token, stationId, answers, lang) {
  return request("POST", `/api/stations/${enc(stationId)}/quiz`, { token, body: { answers, lang } });
}

/** Run a station's calculator: {calculator, figures, notes}; ApiError 422 names bad inputs. */
export function runExperiment(token, stationId, inputs, lang) {
  return request("POST", `/api/stations/${enc(stationId)}/experiment`, { token, body: { inputs, lang } });
}

/** My learning passport: {stations, quizzes, experiments, complete, stamps}. */
export function fetchPassport(token, lang) {
  return request("GET", `/api/me/stations?lang=${enc(lang)}`, { token });
}

/** Facilitators: the passports of everyone else in a room: {room, people: [...]}. */
export function fetchRoomProgress(token, roomId, lang) {
  return request("GET", `/api/station-progress/rooms/${enc(roomId)}?lang=${enc(lang)}`, { token });
}

/** My passport as a text file to keep: {name, blob}. */
export function fetchPassportSummary(token, lang) {
  return fetchFile(`/api/me/stations/summary?lang=${enc(lang)}`, token, "lernpass.txt");
}

/** Talks matching a search: {talks, total, topics, speakers}. Empty fields are left out. */
export function searchTalks({ q = "", topic = "", speaker = "" } = {}) {
  const params = new URLSearchParams();
  if (q.trim()) params.set("q", q.trim());
  if (topic) params.set("topic", topic);
  if (speaker) params.set("speaker", speaker);
  const query = params.toString();
  return request("GET", `/api/talks${query ? `?${query}` : ""}`);
}

/** One talk with what a player needs: media URL, captions, chapters. */
export function fetchTalk(talkId) {
  return request("GET", `/api/talks/${enc(talkId)}`);
}
