/**
 * The hub's REST API, same origin only: configuration, the protocol table, signing in (and
 * renewing the token, signing out everywhere), and the visitor's own data (export and
 * delete). Errors arrive as ApiError with the server's
 * code and human sentence.
 */

import { fetchFile, request } from "./fetch-json.js";

export { ApiError, request } from "./fetch-json.js";

/** The site, realtime address and world file: GET /api/config. */
export function fetchConfig() {
  return request("GET", "/api/config");
}

/** The message and error table of the realtime protocol: GET /api/protocol. */
export function fetchProtocol() {
  return request("GET", "/api/protocol");
}

/**
 * Sign in. A guest sends {name} (plus their previous token to keep their identity);
 * facilitators and staff send {username, password}. Returns {token, identity, expires_at}.
 */
export function signIn(body) {
  return request("POST", "/api/session", { body });
}

/** Everything the hub stored about the bearer of token, as a JSON object. */
export function exportMyData(token) {
  return request("GET", "/api/me/export", { token });
}

/**
 * The same export as a file to save: {name, blob}, named as the server names it (the site's
 * id first, e.g. "mein-hub-meine-daten.json").
 */
export function downloadMyData(token) {
  return fetchFile("/api/me/export", token, "meine-daten.json");
}

/** Delete the bearer's data and identity. */
export function deleteMyData(token) {
  return request("DELETE", "/api/me", { token });
}

/** A fresh token for the bearer of a valid one: {token, identity, expires_at}. */
export function renewSession(token) {
  return request("POST", "/api/session/renew", { token });
}

/** Revoke every token of the bearer: other browsers and open connections are signed out. */
export function signOutEverywhere(token) {
  return request("POST", "/api/me/sign-out-everywhere", { token });
}
