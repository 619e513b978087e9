/**
 * A staff member's 3D preview of an old world version: its model (GET
 * /api/world/version/model, staff only) is loaded and shown in place of the current one,
 * for this page alone and read-only. Nothing is sent to the realtime connection, so everyone
 * else (and the server's idea of the world: walls, floor, stations) stays on the current
 * version; one walks on the current floor meanwhile. A banner says "Vorschau Version N /
 * Preview version N" with the way back and the rollback to that version. A world published
 * meanwhile is loaded as usual but kept hidden until the preview ends.
 */

import { t } from "../ui/i18n.js";
import { parseGlb } from "../world/loader.js";
import { readVenue } from "../world/venue.js";

const EXTRAS_KEY = "hubtwin";

function element(tag, props = {}, children = []) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) el.setAttribute(key, value);
  el.append(...children);
  return el;
}

async function sha256Hex(buffer) {
  if (!globalThis.crypto?.subtle) return null;
  const digest = await crypto.subtle.digest("SHA-256", buffer);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** The anchors of a model as {kind: [ids]} (what a test or a person can look for). */
function anchorIds(root) {
  const found = {};
  root.traverse((object) => {
    const meta = object.userData?.[EXTRAS_KEY];
    if (meta?.type === "anchor") (found[meta.kind] ??= []).push(meta.id);
  });
  return found;
}

export class VersionPreview {
  /** app: the client's parts (stage, worldRoot); api: EditApi; actions: {rollback(n), changed(on)}. */
  constructor(app, api, actions) {
    this.app = app;
    this.api = api;
    this.actions = actions;
    this.root = null;
    this.version = null;
    this.digest = null;
    this.text = element("span", { id: "edit-preview-banner-text" });
    this.back = element("button", { type: "button", id: "edit-preview-back" });
    this.back.addEventListener("click", () => this.leave());
    this.rollback = element("button", { type: "button", id: "edit-preview-rollback" });
    this.rollback.addEventListener("click", () => this.actions.rollback(this.version));
    this.banner = element("div", { id: "edit-preview-banner", class: "edit-preview-banner", role: "status", hidden: "" }, [
      this.text, this.back, this.rollback,
    ]);
    // At the bottom of the view, right of the edit panel (over it on a narrow screen).
    Object.assign(this.banner.style, {
      position: "fixed", bottom: "0.75rem", left: "clamp(0.5rem, calc(100vw - 30rem), 22.5rem)",
      right: "0.5rem", zIndex: "30", display: "flex", gap: "0.75rem", alignItems: "center", flexWrap: "wrap",
      padding: "0.6rem 1rem", borderRadius: "0.5rem", background: "#7a3b00", color: "#fff",
      boxShadow: "0 2px 8px rgba(0, 0, 0, 0.35)", fontWeight: "600",
    });
    this.banner.hidden = true;
    document.getElementById("hub").append(this.banner);
  }

  get active() {
    return this.root !== null;
  }

  /** Load version ``number``'s model and show it instead of the current one. */
  async show(number) {
    const buffer = await this.api.versionModel(number);
    const digest = await sha256Hex(buffer);
    const gltf = await parseGlb(buffer);
    readVenue(gltf.scene); // hides what the model carries for the venue only (the walkable floor)
    this.leave({ quiet: true });
    this.root = gltf.scene;
    this.version = number;
    this.digest = digest;
    this.app.worldRoot.visible = false;
    this.app.stage.scene.add(this.root);
    this.root.updateMatrixWorld(true);
    this.label();
    this.banner.hidden = false;
    this.back.focus();
    this.actions.changed(true);
  }

  /** Back to the current world. */
  leave({ quiet = false } = {}) {
    if (!this.root) return;
    this.root.removeFromParent();
    this.root.traverse((object) => {
      object.geometry?.dispose();
      const list = Array.isArray(object.material) ? object.material : [object.material];
      for (const material of list) material?.dispose();
    });
    this.root = null;
    this.version = null;
    this.digest = null;
    this.app.worldRoot.visible = true;
    this.banner.hidden = true;
    if (!quiet) this.actions.changed(false);
  }

  /** A new current world came on stage while previewing: it stays hidden until the end. */
  worldReplaced() {
    if (this.root) this.app.worldRoot.visible = false;
  }

  label() {
    if (this.version === null) return;
    this.text.textContent = t("edit.previewBanner", { version: this.version });
    this.back.textContent = t("edit.previewBack");
    this.rollback.textContent = t("edit.rollbackTo", { version: this.version });
  }

  /** For the test hook: what the 3D view shows. */
  testState() {
    const root = this.root ?? this.app.worldRoot;
    return {
      version: this.version,
      digest: this.digest,
      banner: this.banner.hidden ? null : this.text.textContent,
      currentVisible: Boolean(this.app.worldRoot?.visible),
      anchors: root ? anchorIds(root) : {},
    };
  }
}
