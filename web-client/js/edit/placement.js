/**
 * Where the edit mode puts things (no three.js, no DOM): a free spot on the floor in front
 * of the staff member (not on top of what stands there already), a spot on the wall they
 * look at for a screen, board or sign, the grid, and lining up with the nearest neighbour.
 *
 * Rooms as venue.js gives them (bounds x0..x1, z0..z1 in world metres); items as the edit
 * API lists them (room, at = [x, z] from the room's north-west corner, size, kind).
 */

const MARGIN_M = 0.6; // kept from the room's edges when looking for a floor spot
const CLEARANCE_M = 0.5; // kept between a new thing and what stands there
const WALL_INSET_M = 0.3; // a wall spot is asked for this far into the room (the server hangs it)
const DEFAULT_RADIUS_M = 0.5;
const FURNITURE_RADIUS_M = 1.0; // furniture is listed without a size: a sofa, a desk

/** Half the footprint's diagonal of an item (or of a new thing of this size). */
export function radiusOf(item) {
  const size = item?.size;
  if (size && size.length === 3) return Math.hypot(size[0], size[2]) / 2;
  if (size && size.length === 2) return size[0] / 2;
  return item?.kind === "furniture" ? FURNITURE_RADIUS_M : DEFAULT_RADIUS_M;
}

function worldOf(room, item) {
  return { x: room.bounds.x0 + item.at[0], z: room.bounds.z0 + item.at[1] };
}

/** Nothing of ``items`` (spawn points too: nobody could appear under a new table) nearer. */
function clearOf(room, items, x, z, radius) {
  return items
    .filter((item) => item.room === room.id)
    .every((item) => {
      const p = worldOf(room, item);
      return Math.hypot(p.x - x, p.z - z) >= radius + radiusOf(item) + CLEARANCE_M;
    });
}

function inside(room, x, z, margin) {
  const b = room.bounds;
  return x >= b.x0 + margin && x <= b.x1 - margin && z >= b.z0 + margin && z <= b.z1 - margin;
}

/**
 * Free floor spots in ``room`` ahead of (px, pz) looking along yaw (three.js: forward is
 * -sin, -cos), best first: 2 m ahead, then further and to the sides, then anywhere in the
 * room on a 1 m grid nearest the staff member. World [{x, z}], at most ``count``.
 */
export function freeSpotsAhead(room, items, px, pz, yaw, radius, count = 6) {
  const fx = -Math.sin(yaw);
  const fz = -Math.cos(yaw);
  const candidates = [];
  for (const ahead of [2, 3, 1.5, 4, 5]) {
    for (const side of [0, 1, -1, 2, -2, 3, -3]) {
      candidates.push([px + fx * ahead - fz * side, pz + fz * ahead + fx * side]);
    }
  }
  const b = room.bounds;
  const grid = [];
  for (let x = b.x0 + MARGIN_M + radius; x <= b.x1 - MARGIN_M - radius; x += 1) {
    for (let z = b.z0 + MARGIN_M + radius; z <= b.z1 - MARGIN_M - radius; z += 1) grid.push([x, z]);
  }
  grid.sort((a, c) => Math.hypot(a[0] - px, a[1] - pz) - Math.hypot(c[0] - px, c[1] - pz));
  const found = [];
  for (const [x, z] of [...candidates, ...grid]) {
    if (found.length >= count) break;
    if (!inside(room, x, z, MARGIN_M + radius) || !clearOf(room, items, x, z, radius)) continue;
    if (found.some((f) => Math.hypot(f.x - x, f.z - z) < 1)) continue;
    found.push({ x, z });
  }
  return found;
}

/** The best of freeSpotsAhead, or null. */
export function freeSpotAhead(room, items, px, pz, yaw, radius) {
  return freeSpotsAhead(room, items, px, pz, yaw, radius, 1)[0] ?? null;
}

/**
 * Spots on the wall of ``room`` that the staff member looks at (the first edge their view
 * meets, then the others), slid along the wall until clear of other things: world
 * [{x, z, facing}] with facing into the room (degrees, 0 = south), at most ``count``.
 */
export function wallSpotsAhead(room, items, px, pz, yaw, radius, count = 12) {
  // Only other wall-mounted things keep a new one off a stretch of wall (furniture in front
  // of it is an overlap the server only notes).
  const mounted = items.filter((item) => item.kind === "screen" || item.kind === "board" || item.kind === "sign");
  const fx = -Math.sin(yaw);
  const fz = -Math.cos(yaw);
  const b = room.bounds;
  /** @type {[number, string][]} */
  const hits = [];
  if (fx > 1e-6) hits.push([(b.x1 - px) / fx, "east"]);
  if (fx < -1e-6) hits.push([(b.x0 - px) / fx, "west"]);
  if (fz > 1e-6) hits.push([(b.z1 - pz) / fz, "south"]);
  if (fz < -1e-6) hits.push([(b.z0 - pz) / fz, "north"]);
  hits.sort((a, c) => a[0] - c[0]);
  for (const side of ["north", "east", "south", "west"]) {
    if (!hits.some((h) => h[1] === side)) hits.push([Infinity, side]);
  }
  const found = [];
  for (const [far, side] of hits) {
    const distance = Number.isFinite(far) ? far : 0;
    const x = px + fx * distance;
    const z = pz + fz * distance;
    const along = side === "north" || side === "south";
    const facing = { north: 0, south: 180, west: 90, east: 270 }[side];
    const fixed = { north: b.z0 + WALL_INSET_M, south: b.z1 - WALL_INSET_M, west: b.x0 + WALL_INSET_M, east: b.x1 - WALL_INSET_M }[side];
    const [lo, hi] = along ? [b.x0 + radius + 0.2, b.x1 - radius - 0.2] : [b.z0 + radius + 0.2, b.z1 - radius - 0.2];
    if (lo > hi) continue;
    const start = Math.min(hi, Math.max(lo, along ? x : z));
    for (const shift of [0, 1, -1, 2, -2, 3, -3, 4, -4, 5, -5, 6, -6]) {
      const a = start + shift * 1.2;
      if (a < lo || a > hi) continue;
      const sx = along ? a : fixed;
      const sz = along ? fixed : a;
      if (clearOf(room, mounted, sx, sz, radius)) found.push({ x: sx, z: sz, facing });
      if (found.length >= count) return found;
    }
  }
  return found;
}

/** ``value`` on a grid of ``step`` metres (measured from the room's corner). */
export function snap(value, step) {
  return step > 0 ? Math.round(value / step) * step : value;
}

/**
 * ``item`` lined up with its nearest neighbour in the same room: the coordinate that is
 * already closest (x or z) is made equal to the neighbour's. Returns the new at, or null
 * when there is nobody to line up with.
 */
export function alignedAt(item, items) {
  let nearest = null;
  let best = Infinity;
  for (const other of items) {
    if (other.id === item.id || other.room !== item.room || other.kind === "spawn") continue;
    const d = Math.hypot(other.at[0] - item.at[0], other.at[1] - item.at[1]);
    if (d < best && d > 1e-3) {
      best = d;
      nearest = other;
    }
  }
  if (!nearest) return null;
  const dx = Math.abs(nearest.at[0] - item.at[0]);
  const dz = Math.abs(nearest.at[1] - item.at[1]);
  return dx <= dz ? [nearest.at[0], item.at[1]] : [item.at[0], nearest.at[1]];
}

const WALL_SNAP_M = 0.3; // a dragged thing whose back comes this close to a wall snaps to it
const MOUNT_GAP_M = 0.01; // as the server hangs a screen, board or sign: 1 cm off the face
const WALL_GAP_M = 0.02; // as the server stands a thing against a wall
const BACK_M = { station: 0.22, furniture: 0.3, booth: 0.6, stage: 0.05, asset: 0.3 };
const MOUNTED_KINDS = ["screen", "board", "sign"];

/** How far ``item``'s back lies behind its middle (what stands between it and a wall). */
export function backDepth(item) {
  if (MOUNTED_KINDS.includes(item.kind)) return MOUNT_GAP_M;
  const size = item.size;
  if (item.kind === "asset" && size && size.length === 3) return size[2] / 2 + WALL_GAP_M;
  return (BACK_M[item.kind] ?? BACK_M.asset) + WALL_GAP_M;
}

/**
 * Snapping to walls while dragging: ``at`` (metres from the room's north-west corner) of
 * ``item`` being dragged in its room, against the inner faces of that room's walls (as GET
 * /api/world/items lists them). The wall nearest ``at`` (as the server picks it for "to
 * wall"), when the item's back comes within WALL_SNAP_M of its face (or into it), gives
 * {at, facing, side}: flush with its back to that wall, facing into the room. Otherwise
 * null. Spawn points never snap (nobody can stand against a wall).
 */
export function wallSnap(item, faces, room, at) {
  if (item.kind === "spawn") return null;
  const back = backDepth(item);
  let best = null;
  for (const face of faces) {
    if (face.room !== room) continue;
    const alongX = face.facing === 0 || face.facing === 180; // a north or south wall
    const [lo, hi] = alongX ? [face.from[0], face.to[0]] : [face.from[1], face.to[1]];
    const along = alongX ? at[0] : at[1];
    if (along < Math.min(lo, hi) || along > Math.max(lo, hi)) continue;
    const line = alongX ? face.from[1] : face.from[0];
    const sign = face.facing === 0 || face.facing === 90 ? 1 : -1; // into the room: + or -
    const ahead = ((alongX ? at[1] : at[0]) - line) * sign; // the middle's distance from the face
    if (!best || Math.abs(ahead) < Math.abs(best.ahead)) best = { face, ahead, line, sign, alongX };
  }
  if (!best || best.ahead - back > WALL_SNAP_M) return null;
  const off = best.line + best.sign * back;
  const snapped = best.alongX ? [at[0], off] : [off, at[1]];
  return { at: snapped.map((v) => Math.round(v * 1000) / 1000), facing: best.face.facing, side: best.face.side };
}
