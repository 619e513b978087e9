/**
 * The staff edit API (server/world_edit_http.py): the draft's items, the asset library,
 * checked edits, undo/redo, the diff, publishing. Every call carries the session token; the
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
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let response;
    try {
      response = await fetch(`/api/world/${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
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
}
