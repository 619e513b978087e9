/**
 * The staff edit API (server/world_edit_http.py): the draft's items, the asset library,
 * checked edits, undo/redo, reverting, the diff and the checks, publishing, the versions
 * (preview: the changes and the model; rollback) and importing a model file. Every call carries the session token; the
 * server refuses anyone but staff. Refusals arrive as EditRefused (code, the server's sentence,
 * and for a placement the reason: outside-room, wall, door, floor, ceiling, not-walkable).
 */

import { ApiError } from "../net/api.js";

/** An ApiError that also carries a placement refusal's reason (null for other refusals). */
export class EditRefused extends ApiError {
  constructor(status, code, message, reason) {
    super(status, code, message);
    this.reason = reason;
  }
}

export class EditApi {
  /** token(): the current session token. */
  constructor(token) {
    this.token = token;
  }

  /** One JSON request; resolves to the answer or throws EditRefused. */
  async call(method, path, body) {
    const headers = { Accept: "application/json", Authorization: `Bearer ${this.token()}` };
    const raw = body instanceof Blob; // a model file for the import: sent as it is
    if (body !== undefined) headers["Content-Type"] = raw ? "application/octet-stream" : "application/json";
    let response;
    try {
      response = await fetch(`/api/world/${path}`, {
        method,
        headers,
        body: body === undefined || raw ? body : JSON.stringify(body),
        credentials: "same-origin",
        cache: "no-store",
      });
    } catch (error) {
      throw new EditRefused(0, "network", error.message || "network error", null);
    }
    let data = null;
    try {
      data = await response.json();
    } catch {
      data = null;
    }
    if (!response.ok) {
      const error = data?.error ?? {};
      throw new EditRefused(
        response.status, error.code ?? "http_error", error.message ?? `HTTP ${response.status}`, error.reason ?? null,
      );
    }
    return data;
  }

  items() {
    return this.call("GET", "items");
  }

  library() {
    return this.call("GET", "library");
  }

  diff() {
    return this.call("GET", "diff");
  }

  /** {asset, room, at: [x, z], facing} */
  place(body) {
    return this.call("POST", "place", body);
  }

  /** {kind: station|screen|board|spawn, room, at, facing, size?, title?} */
  add(body) {
    return this.call("POST", "add", body);
  }

  /** {id, kind, room, at, elevation?, facing} */
  move(body) {
    return this.call("POST", "move", body);
  }

  remove(id, kind) {
    return this.call("POST", "remove", { id, kind });
  }

  undo() {
    return this.call("POST", "undo", {});
  }

  redo() {
    return this.call("POST", "redo", {});
  }

  publish(message) {
    return this.call("POST", "publish", { message });
  }

  /** Throw away the draft's edits of one item (or all, without an id). */
  revert(id) {
    return this.call("POST", "revert", id ? { id } : {});
  }

  /** Every draft edit through the placement checks: {checks: [{id, kind, ok, refused, reason, warnings}]} */
  check() {
    return this.call("GET", "check");
  }

  history() {
    return this.call("GET", "history");
  }

  /** A version and what rolling back to it would change: {version, meta, changes} */
  version(number) {
    return this.call("GET", `version?number=${encodeURIComponent(number)}`);
  }

  /** A version's model (hub.glb) as an ArrayBuffer, for the staff member's 3D preview. */
  async versionModel(number) {
    let response;
    try {
      response = await fetch(`/api/world/version/model?number=${encodeURIComponent(number)}`, {
        headers: { Authorization: `Bearer ${this.token()}` },
        credentials: "same-origin",
        cache: "no-store",
      });
    } catch (error) {
      throw new EditRefused(0, "network", error.message || "network error", null);
    }
    if (!response.ok) {
      let error = {};
      try {
        error = (await response.json()).error ?? {};
      } catch {
        error = {};
      }
      throw new EditRefused(response.status, error.code ?? "http_error", error.message ?? `HTTP ${response.status}`, null);
    }
    return response.arrayBuffer();
  }

  rollback(version, message) {
    return this.call("POST", "rollback", message ? { version, message } : { version });
  }

  /** A model file into the library (hubtwin assets import): options {name, units, up, scale, title_de, title_en}. */
  importModel(file, options = {}) {
    const query = new URLSearchParams({ file: file.name });
    for (const [key, value] of Object.entries(options)) {
      if (value !== undefined && value !== null && value !== "") query.set(key, String(value));
    }
    return this.call("POST", `import?${query}`, file);
  }
}
