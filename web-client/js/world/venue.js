/**
 * The venue metadata of a loaded hub model (docs/world-format.md): every node whose
 * extras carry {"hubtwin": {"type": ...}} is a venue, room, spawn point, door, anchor or
 * the hidden walkable floor. Geometry stays in the scene; this collects what the client
 * needs to know about it and hides what must not be seen. Ceilings (type "ceiling") are
 * seen from below only and are no click target: a click on one walks nowhere.
 */

import * as THREE from "three";

const EXTRAS_KEY = "hubtwin";

/** A spawn's yaw in the model (0 faces +Z) as the camera's yaw (0 looks along -Z). */
function cameraYaw(object) {
  const forward = new THREE.Vector3(0, 0, 1).applyQuaternion(object.getWorldQuaternion(new THREE.Quaternion()));
  const facing = Math.atan2(forward.x, forward.z);
  return Math.atan2(Math.sin(facing + Math.PI), Math.cos(facing + Math.PI));
}

/** Whether an object and all its ancestors are visible. */
export function isShown(object) {
  for (let node = object; node; node = node.parent) if (!node.visible) return false;
  return true;
}

/**
 * {venue, rooms: [{id, names, kind, outdoor, capacity, floor, links, bounds: {x0, x1, z0, z1},
 * floorY, height}], spawns: [{id, room, x, y, z, yaw}], doors: [{id, rooms, x, y, z, width}],
 * anchors: [{id, kind, room, x, y, z, ...}], walkable: [Mesh], solid: [Mesh], ceilings: [Mesh]}
 */
export function readVenue(root) {
  root.updateMatrixWorld(true);
  const venue = { venue: null, rooms: [], spawns: [], doors: [], anchors: [], walkable: [], solid: [], ceilings: [] };
  const position = new THREE.Vector3();
  root.traverse((object) => {
    const meta = object.userData?.[EXTRAS_KEY];
    if (!meta) return;
    object.getWorldPosition(position);
    switch (meta.type) {
      case "venue":
        venue.venue = { ...meta };
        break;
      case "room": {
        const [sx, sy, sz] = meta.size;
        venue.rooms.push({
          id: meta.id,
          names: meta.names,
          kind: meta.kind,
          outdoor: Boolean(meta.outdoor),
          capacity: meta.capacity,
          floor: meta.floor,
          links: meta.links ?? [],
          bounds: { x0: position.x - sx / 2, x1: position.x + sx / 2, z0: position.z - sz / 2, z1: position.z + sz / 2 },
          floorY: position.y - sy / 2,
          height: sy,
        });
        break;
      }
      case "spawn":
        venue.spawns.push({ id: meta.id, room: meta.room, x: position.x, y: position.y, z: position.z, yaw: cameraYaw(object) });
        break;
      case "door":
        venue.doors.push({ id: meta.id, rooms: meta.rooms, x: position.x, y: position.y, z: position.z, width: meta.width });
        break;
      case "anchor":
        venue.anchors.push({ ...meta, x: position.x, y: position.y, z: position.z });
        break;
      case "ceiling":
        object.traverse((child) => {
          child.userData.ceiling = true;
        });
        break;
      case "walkable":
        // KHR_node_visibility says hidden; three.js does not read that extension yet.
        object.visible = false;
        object.traverse((child) => {
          child.visible = false;
          if (child.isMesh) venue.walkable.push(child);
        });
        break;
      default:
        break;
    }
  });
  root.traverse((object) => {
    if (!object.isMesh || !isShown(object)) return;
    (object.userData.ceiling ? venue.ceilings : venue.solid).push(object);
  });
  if (venue.walkable.length === 0) throw new Error("the hub model has no walkable floor");
  return venue;
}
