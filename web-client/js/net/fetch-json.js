/**
 * Talking to the hub over HTTP (same origin): one request with the session token, the
 * server's refusal read into an ApiError (its code and human sentence, the bad inputs, the
 * problems a content check found, a placement's reason), JSON answers and files to save.
 * Every REST module of the client goes through here.
 */

/**
 * The server's error body: {error: {code, message, fields?, problems?, reason?}}.
 * @typedef {{code?: string, message?: string, fields?: Record<string, string>, problems?: object[], reason?: string}} ErrorBody
 */

export class ApiError extends Error {
  /**
   * @param {number} status the HTTP status (0: the network failed)
   * @param {string} code the server's error code
   * @param {string} message the server's sentence
   * @param {Record<string, string> | null} [fields] per-input messages when the server names bad inputs
   */
  constructor(status, code, message, fields = null) {
    super(message);
    this.status = status;
    this.code = code;
    this.fields = fields;
    /** @type {object[]} every problem a content check found */
    this.problems = [];
    /** @type {string | null} why a placement was refused (outside-room, wall, door, ...) */
    this.reason = null;
  }
}

/**
 * One request to the hub; a network failure becomes ApiError(0, "network").
 * @param {string} method
 * @param {string} path
 * @param {{body?: BodyInit, type?: string, token?: string | null, accept?: string}} [options]
 * @returns {Promise<Response>}
 */
export async function send(method, path, { body, type, token, accept } = {}) {
  /** @type {Record<string, string>} */
  const headers = {};
  if (accept) headers.Accept = accept;
  if (type) headers["Content-Type"] = type;
  if (token) headers.Authorization = `Bearer ${token}`;
  try {
    return await fetch(path, { method, headers, body, credentials: "same-origin", cache: "no-store" });
  } catch (error) {
    throw new ApiError(0, "network", (error instanceof Error && error.message) || "network error");
  }
}

/**
 * The ApiError for a refused response, from the server's error body if it sent one.
 * @param {Response} response
 * @param {any} [data] the body, when already read as JSON
 * @returns {Promise<ApiError>}
 */
export async function refusal(response, data) {
  if (data === undefined) data = await response.json().catch(() => null);
  /** @type {ErrorBody} */
  const error = data?.error ?? {};
  const refused = new ApiError(
    response.status, error.code ?? "http_error", error.message ?? `HTTP ${response.status}`, error.fields ?? null,
  );
  refused.problems = error.problems ?? [];
  refused.reason = error.reason ?? null;
  return refused;
}

/**
 * One JSON request to the hub; resolves to the parsed body or throws ApiError. A Blob body
 * (a model file) is sent as it is.
 * @param {string} method
 * @param {string} path
 * @param {{body?: any, token?: string | null}} [options]
 * @returns {Promise<any>}
 */
export async function request(method, path, { body, token } = {}) {
  const raw = body instanceof Blob;
  const response = await send(method, path, {
    accept: "application/json",
    token,
    type: body === undefined ? undefined : raw ? "application/octet-stream" : "application/json",
    body: body === undefined || raw ? body : JSON.stringify(body),
  });
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (!response.ok) throw await refusal(response, data);
  return data;
}

/**
 * A file to save, named as the server names it (Content-Disposition), else fallback.
 * @param {string} path
 * @param {string | null} token
 * @param {string} fallback
 * @returns {Promise<{name: string, blob: Blob}>}
 */
export async function fetchFile(path, token, fallback) {
  const response = await send("GET", path, { token });
  if (!response.ok) throw await refusal(response);
  const disposition = response.headers.get("Content-Disposition") ?? "";
  const name = /filename="([^"]+)"/.exec(disposition)?.[1] ?? fallback;
  return { name, blob: await response.blob() };
}
