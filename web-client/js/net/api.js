/**
 * The hub's REST API, same origin only: configuration, the protocol table, signing in (and
 * renewing the token, signing out everywhere), and the visitor's own data (export and
 * delete). Errors arrive as ApiError with the server's
 * code and human sentence.
 */

export class ApiError extends Error {
  /** fields: per-input messages when the server names bad inputs ({name: message}). */
  constructor(status, code, message, fields = null) {
    super(message);
    this.status = status;
    this.code = code;
    this.fields = fields;
  }
}

/** One JSON request to the hub (same origin); resolves to the parsed body or throws ApiError. */
export async function request(method, path, { body, token } = {}) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (token) headers.Authorization = `Bearer ${token}`;
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
      cache: "no-store",
    });
  } catch (error) {
    throw new ApiError(0, "network", error.message || "network error");
  }
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (!response.ok) {
    const error = data?.error ?? {};
    const refused = new ApiError(
      response.status, error.code ?? "http_error", error.message ?? `HTTP ${response.status}`, error.fields ?? null,
    );
    refused.problems = error.problems ?? [];  // every problem a content check found
    throw refused;
  }
  return data;
}

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
export async function downloadMyData(token) {
  let response;
  try {
    response = await fetch("/api/me/export", {
      headers: { Accept: "application/json", Authorization: `Bearer ${token}` },
      credentials: "same-origin",
      cache: "no-store",
    });
  } catch (error) {
    throw new ApiError(0, "network", error.message || "network error");
  }
  if (!response.ok) {
    const error = (await response.json().catch(() => null))?.error ?? {};
    throw new ApiError(response.status, error.code ?? "http_error", error.message ?? `HTTP ${response.status}`);
  }
  const disposition = response.headers.get("Content-Disposition") ?? "";
  const name = /filename="([^"]+)"/.exec(disposition)?.[1] ?? "meine-daten.json";
  return { name, blob: await response.blob() };
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
