/**
 * A new world version while you are inside. The server says world_changed (staff published
 * a change); if its digest is not the model on stage, the new .glb is fetched with byte
 * progress (a small status line, the visit goes on meanwhile), parsed and put on stage in
 * place of the old one. The venue (rooms, spawn points, anchors, walkable floor) is read anew
 * and written into the same venue object, so everything holding it sees the new world; the
 * player keeps their place (the server has already moved anyone standing in a new wall).
 * Screen nodes are carried over into the new model, so a talk playing on one goes on; a
 * screen added in the new version gets its player at once.
 */

import * as THREE from "three";
import { announce } from "../ui/announcer.js";
import { t } from "../ui/i18n.js";
import { fetchWithProgress, parseGlb } from "./loader.js";
import { readVenue } from "./venue.js";
import { WalkableFloor } from "./walkable.js";

const EXTRAS_KEY = "hubtwin";
const STATUS_SHOWN_MS = 5000;

export class LiveWorld {
  /** app: the client's parts (stage, venue, player, worldRoot, config ...); connection: realtime. */
  constructor(app, connection) {
    this.app = app;
    this.digest = app.config.world.digest;
    this.version = null;
    this.reloads = 0;
    this.loading = null;
    this.wanted = null;
    this.listeners = new Set();
    this.status = document.createElement("p");
    this.status.className = "world-update";
    this.status.setAttribute("role", "status");
    this.status.hidden = true;
    document.getElementById("hub").append(this.status);
    connection.on("world_changed", (message) => this.changed(message));
  }

  /** Call listener({version, digest, message}) after each new world is on stage. */
  onChange(listener) {
    this.listeners.add(listener);
  }

  changed(message) {
    if (message.digest === this.digest && !this.loading) {
      this.version = message.version;
      return;
    }
    this.wanted = message;
    if (!this.loading) this.loading = this.loadWanted();
  }

  /** Load the newest announced version (again, if another came while loading). */
  async loadWanted() {
    try {
      while (this.wanted && this.wanted.digest !== this.digest) {
        const message = this.wanted;
        await this.load(message);
      }
    } finally {
      this.loading = null;
    }
  }

  async load(message) {
    this.show(t("world.loading", { percent: 0 }));
    try {
      const buffer = await fetchWithProgress(
        message.url,
        (loaded, total) => {
          const percent = total > 0 ? Math.min(100, Math.round((loaded / total) * 100)) : 0;
          this.status.textContent = t("world.loading", { percent });
        },
        message.bytes,
      );
      const gltf = await parseGlb(buffer);
      this.swap(gltf.scene);
    } catch (error) {
      console.warn("hubtwin: the new world could not be loaded", error);
      this.wanted = null;
      this.show(t("world.failed", { message: error.message }));
      return;
    }
    this.digest = message.digest;
    this.version = message.version;
    this.reloads += 1;
    this.app.config.world = { ...this.app.config.world, digest: message.digest, bytes: message.bytes };
    const text = message.message
      ? t("world.updatedWith", { version: message.version, message: message.message })
      : t("world.updated", { version: message.version });
    this.show(text);
    announce(text);
    setTimeout(() => {
      if (this.status.textContent === text) this.status.hidden = true;
    }, STATUS_SHOWN_MS);
    for (const listener of this.listeners) listener(message);
  }

  show(text) {
    this.status.textContent = text;
    this.status.hidden = false;
  }

  /** Put the new model on stage in place of the old one; the venue and floor follow it. */
  swap(root) {
    const { app } = this;
    const old = app.worldRoot;
    carryScreens(old, root);
    const venue = readVenue(root);
    app.stage.scene.remove(old);
    app.stage.addWorld(root);
    dispose(old);
    app.worldRoot = root;
    Object.assign(app.venue, venue);
    app.floor = new WalkableFloor(venue.walkable);
    app.player.floor = app.floor;
    app.player.pathfinders.clear();
    app.player.path = null;
    if (app.stations) app.stations.stands = venue.anchors.filter((anchor) => anchor.kind === "station");
    if (app.talks) app.talks.adoptScreens(root, app.venue);
  }

  /** For the test hook. */
  testState() {
    return { digest: this.digest, version: this.version, reloads: this.reloads, loading: Boolean(this.loading) };
  }
}

/** Screen anchors of a model by id. */
function screenNodes(root) {
  const found = new Map();
  root.traverse((object) => {
    const meta = object.userData?.[EXTRAS_KEY];
    if (meta?.type === "anchor" && meta.kind === "screen") found.set(meta.id, object);
  });
  return found;
}

/**
 * Move the old model's screen nodes (a talk's video may be on them) into the new model,
 * where the new model puts that screen; a screen of another size keeps the new node.
 */
function carryScreens(oldRoot, newRoot) {
  if (!oldRoot) return;
  const before = screenNodes(oldRoot);
  for (const [id, fresh] of screenNodes(newRoot)) {
    const kept = before.get(id);
    const sameSize = kept && JSON.stringify(kept.userData[EXTRAS_KEY].size) === JSON.stringify(fresh.userData[EXTRAS_KEY].size);
    if (!sameSize || !fresh.parent) continue;
    kept.removeFromParent();
    kept.position.copy(fresh.position);
    kept.quaternion.copy(fresh.quaternion);
    kept.scale.copy(fresh.scale);
    kept.userData = fresh.userData;
    fresh.parent.add(kept);
    fresh.removeFromParent();
  }
}

/** Free the GPU memory of a model taken off stage. */
function dispose(root) {
  if (!root) return;
  const materials = new Set();
  root.traverse((object) => {
    object.geometry?.dispose();
    const list = Array.isArray(object.material) ? object.material : [object.material];
    for (const material of list) if (material) materials.add(material);
  });
  for (const material of materials) {
    for (const value of Object.values(material)) if (value instanceof THREE.Texture) value.dispose();
    material.dispose();
  }
}
