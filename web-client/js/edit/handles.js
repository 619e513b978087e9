/**
 * Edit handles: one see-through box per item of the draft (placed assets, furniture,
 * stations, screens, boards, signs, spawn points), where the server's item list says it stands, with
 * a small arrow showing where its front looks. Built-in furniture and stations are part of
 * the hub model's merged meshes, so the handle is what moves under the gizmo; a placed
 * asset's own node (extras.hubtwin_placed) follows its handle.
 *
 * Positions as the API gives them: at = [x, z] from the room's north-west corner, elevation
 * above the room's floor (a screen's is its middle, a sign's its lower edge), facing in degrees (0 south = +Z, 90 east).
 */

import * as THREE from "three";

const PLACED_KEY = "hubtwin_placed";
// Sizes (width, height, depth) of what the item list gives no size for.
const DEFAULT_SIZES = {
  furniture: [0.8, 0.9, 0.8],
  station: [0.6, 1.9, 0.6],
  booth: [1.2, 1.2, 1.2],
  stage: [1.0, 0.4, 1.0],
  spawn: [0.6, 0.05, 0.6],
  asset: [0.6, 0.6, 0.6],
};
const COLOURS = { "": 0x4da3ff, moved: 0xffb020, added: 0x3ccf7a };
const SELECTED = 0xff4fa3;
const WALL_REACH_M = 0.35; // an exterior wall's thickness: within it, still in one's own room

export class EditHandles {
  constructor(scene) {
    this.group = new THREE.Group();
    this.group.name = "Edit handles";
    this.group.visible = false;
    scene.add(this.group);
    this.byId = new Map();
    this.worldRoot = null;
    this.venue = null;
    this.highlighted = null;
  }

  /** Show these items (from GET /api/world/items) in the given venue and model. */
  show(items, venue, worldRoot) {
    this.clear();
    this.venue = venue;
    this.worldRoot = worldRoot;
    for (const item of items) this.add(item);
  }

  clear() {
    for (const handle of this.byId.values()) {
      handle.traverse((object) => {
        object.geometry?.dispose();
        object.material?.dispose();
      });
      handle.removeFromParent();
    }
    this.byId.clear();
  }

  add(item) {
    const room = this.venue.rooms.find((r) => r.id === item.room);
    if (!room) return null;
    const handle = new THREE.Group();
    handle.name = `Handle ${item.id}`;
    handle.userData.item = item;
    const size = sizeOf(item);
    const mounted = item.kind === "screen" || item.kind === "board";
    // Walls hide the handles behind them; only the selected one shows through (highlight).
    const box = new THREE.Mesh(
      new THREE.BoxGeometry(size[0], size[1], size[2]),
      new THREE.MeshBasicMaterial({ color: COLOURS[item.state] ?? COLOURS[""], transparent: true, opacity: 0.4 }),
    );
    box.position.y = mounted ? 0 : size[1] / 2;
    box.renderOrder = 10;
    const arrow = new THREE.Mesh(
      new THREE.ConeGeometry(0.12, 0.3, 12).rotateX(Math.PI / 2),
      new THREE.MeshBasicMaterial({ color: 0xffffff }),
    );
    arrow.position.set(0, mounted ? 0 : size[1] / 2, size[2] / 2 + 0.2);
    arrow.renderOrder = 11;
    handle.add(box, arrow);
    this.group.add(handle);
    this.byId.set(item.id, handle);
    this.place(handle, item);
    return handle;
  }

  /** Put a handle (and a placed asset's node) where an item says it stands. */
  place(handle, item) {
    const room = this.venue.rooms.find((r) => r.id === item.room);
    if (!room) return;
    handle.userData.item = item;
    this.paint(handle);
    handle.position.set(room.bounds.x0 + item.at[0], room.floorY + item.elevation, room.bounds.z0 + item.at[1]);
    handle.rotation.set(0, THREE.MathUtils.degToRad(item.facing), 0);
    handle.updateMatrixWorld(true);
    this.follow(handle);
  }

  /** Move a placed asset's own node to its handle (the rest shows after publishing). */
  follow(handle) {
    const item = handle.userData.item;
    if (item.kind !== "asset" || !this.worldRoot) return;
    const node = this.placedNode(item.id);
    if (!node?.parent) return;
    node.parent.updateMatrixWorld(true);
    node.position.copy(node.parent.worldToLocal(handle.position.clone()));
    node.rotation.set(0, handle.rotation.y, 0);
    node.updateMatrixWorld(true);
  }

  placedNode(id) {
    let found = null;
    this.worldRoot.traverse((object) => {
      if (!found && object.userData?.[PLACED_KEY]?.id === id) found = object;
    });
    return found;
  }

  /** Where a handle stands, in the API's terms: {room, at, elevation, facing}. */
  spot(handle) {
    const { x, y, z } = handle.position;
    const item = handle.userData.item;
    // A thing pushed into the wall its room shares with the next stays in its own room (the
    // server then refuses it there, naming that room's wall); only clearly past the wall is
    // it in the other room.
    const own = this.venue.rooms.find((r) => r.id === item.room);
    const room = (own && near(own, x, z, WALL_REACH_M) ? own : roomAt(this.venue.rooms, x, y, z)) ?? own;
    const facing = ((THREE.MathUtils.radToDeg(handle.rotation.y) % 360) + 360) % 360;
    return {
      room: room.id,
      at: [round(x - room.bounds.x0), round(z - room.bounds.z0)],
      elevation: round(y - room.floorY),
      facing: Math.round(facing * 10) / 10,
    };
  }

  highlight(id) {
    this.highlighted = id;
    for (const handle of this.byId.values()) this.paint(handle);
  }

  /** Its colour by state (as built, moved, added), or the selection's, seen through walls. */
  paint(handle) {
    const item = handle.userData.item;
    const selected = item.id === this.highlighted;
    handle.children[0].material.color.setHex(selected ? SELECTED : COLOURS[item.state] ?? COLOURS[""]);
    for (const part of handle.children) part.material.depthTest = !selected;
  }

  /** The handle under a ray, or null. */
  pick(raycaster) {
    if (!this.group.visible) return null;
    const hit = raycaster.intersectObjects([...this.byId.values()], true)[0];
    let object = hit?.object ?? null;
    while (object && !object.userData.item) object = object.parent;
    return object;
  }
}

function sizeOf(item) {
  const size = item.size;
  if (size && size.length === 3) return size;
  if (size && size.length === 2) return [size[0], size[1], 0.08];
  return DEFAULT_SIZES[item.kind] ?? DEFAULT_SIZES.asset;
}

function near(room, x, z, reach) {
  const b = room.bounds;
  return x >= b.x0 - reach && x <= b.x1 + reach && z >= b.z0 - reach && z <= b.z1 + reach;
}

function roomAt(rooms, x, y, z) {
  return rooms.find(
    (r) => x >= r.bounds.x0 && x <= r.bounds.x1 && z >= r.bounds.z0 && z <= r.bounds.z1 && y >= r.floorY - 0.5 && y <= r.floorY + r.height,
  );
}

function round(value) {
  return Math.round(value * 1000) / 1000;
}
