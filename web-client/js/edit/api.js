/**
 * The staff edit API (server/features/world/edit_http.py): the draft's items, the asset library,
 * checked edits, undo/redo, reverting, the diff and the checks, publishing, the versions
 * (preview: the changes and the model; rollback) and importing a model file. Every call carries the session token; the
 * server refuses anyone but staff. Refusals arrive as ApiError (code, the server's sentence,
 * and for a placement the reason: outside-room, wall, door, floor, ceiling, not-walkable).
 */

import { refusal, request, send } from "../net/fetch-json.js";

export class EditApi {
  /** token(): the current session token. */
  constructor(token) {
    this.token = token;
  }

  /**
   * One JSON request (a Blob body, a model file, is sent as it is); resolves to the answer
   * or throws ApiError.
   * @param {string} method
   * @param {string} path
   * @param {any} [body]
   */
  call(method, path, body) {
    return request(method, `/api/world/${path}`, { body, token: this.token() });
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
    const response = await send("GET", `/api/world/version/model?number=${encodeURIComponent(number)}`, {
      token: this.token(),
    });
    if (!response.ok) throw await refusal(response);
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
