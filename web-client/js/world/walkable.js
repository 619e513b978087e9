/**
 * The walkable floor: where a visitor may stand, read from the hub's hidden floor mesh.
 *
 * The triangles are bucketed into a 2D grid over x/z, so "is this point walkable, and at
 * what height" costs a handful of point-in-triangle tests. Movement is predicted against
 * it locally with the server's rules (world/floor.py: the surface nearest the feet within
 * a tolerance, at most a stair step up or down between samples); the server checks the
 * same floor on a 10 cm grid and corrects. To stay clear of that grid's rounding, the
 * client keeps a small margin from every edge. A step is taken in short sub-steps and,
 * when blocked, slides along whichever axis is still free.
 */

import * as THREE from "three";

const CELL = 1.0;
const SUBSTEP = 0.05;
// The same limits as the server's (world/conventions.py).
const MAX_STEP_UP = 0.25;
const FLOOR_TOLERANCE = 0.6;
// Distance kept from the floor's edges when moving (the server's grid is 10 cm).
const EDGE_MARGIN = 0.12;
const MARGIN_OFFSETS = [
  [0, 0], [EDGE_MARGIN, 0], [-EDGE_MARGIN, 0], [0, EDGE_MARGIN], [0, -EDGE_MARGIN],
];

export class WalkableFloor {
  /** Build from one or more meshes (world transforms applied). */
  constructor(meshes) {
    const triangles = [];
    const a = new THREE.Vector3();
    const b = new THREE.Vector3();
    const c = new THREE.Vector3();
    for (const mesh of meshes) {
      mesh.updateWorldMatrix(true, false);
      const position = mesh.geometry.getAttribute("position");
      const index = mesh.geometry.getIndex();
      const count = index ? index.count : position.count;
      for (let i = 0; i < count; i += 3) {
        const ia = index ? index.getX(i) : i;
        const ib = index ? index.getX(i + 1) : i + 1;
        const ic = index ? index.getX(i + 2) : i + 2;
        a.fromBufferAttribute(position, ia).applyMatrix4(mesh.matrixWorld);
        b.fromBufferAttribute(position, ib).applyMatrix4(mesh.matrixWorld);
        c.fromBufferAttribute(position, ic).applyMatrix4(mesh.matrixWorld);
        triangles.push([a.x, a.y, a.z, b.x, b.y, b.z, c.x, c.y, c.z]);
      }
    }
    this.triangles = triangles;
    this.bounds = new THREE.Box3();
    for (const t of triangles) {
      for (let k = 0; k < 9; k += 3) this.bounds.expandByPoint(a.set(t[k], t[k + 1], t[k + 2]));
    }
    this.grid = new Map();
    triangles.forEach((t, i) => {
      const minX = Math.floor(Math.min(t[0], t[3], t[6]) / CELL);
      const maxX = Math.floor(Math.max(t[0], t[3], t[6]) / CELL);
      const minZ = Math.floor(Math.min(t[2], t[5], t[8]) / CELL);
      const maxZ = Math.floor(Math.max(t[2], t[5], t[8]) / CELL);
      for (let gx = minX; gx <= maxX; gx++) {
        for (let gz = minZ; gz <= maxZ; gz++) {
          const key = `${gx},${gz}`;
          if (!this.grid.has(key)) this.grid.set(key, []);
          this.grid.get(key).push(i);
        }
      }
    });
  }

  /**
   * The height of the floor surface under (x, z) nearest to nearY (within tolerance), or
   * null where nobody may stand. Without nearY: the highest surface there.
   */
  heightAt(x, z, nearY = null, tolerance = FLOOR_TOLERANCE) {
    const bucket = this.grid.get(`${Math.floor(x / CELL)},${Math.floor(z / CELL)}`);
    if (!bucket) return null;
    let best = null;
    for (const i of bucket) {
      const y = heightInTriangle(this.triangles[i], x, z);
      if (y === null) continue;
      if (nearY === null) {
        if (best === null || y > best) best = y;
      } else if (Math.abs(y - nearY) <= tolerance && (best === null || Math.abs(y - nearY) < Math.abs(best - nearY))) {
        best = y;
      }
    }
    return best;
  }

  isWalkable(x, z, nearY = null) {
    return this.heightAt(x, z, nearY) !== null;
  }

  /** Walkable with the edge margin around it (where the client lets itself stand). */
  isClear(x, z, nearY = null) {
    for (const [dx, dz] of MARGIN_OFFSETS) {
      if (this.heightAt(x + dx, z + dz, nearY) === null) return false;
    }
    return true;
  }

  /** Whether the straight line from (x0,z0) to (x1,z1) stays clear of the floor's edges. */
  segmentClear(x0, z0, x1, z1, nearY = null) {
    const length = Math.hypot(x1 - x0, z1 - z0);
    const steps = Math.max(1, Math.ceil(length / SUBSTEP));
    for (let s = 1; s <= steps; s++) {
      const f = s / steps;
      if (!this.isClear(x0 + (x1 - x0) * f, z0 + (z1 - z0) * f, nearY)) return false;
    }
    return true;
  }

  /** The floor at (x, z) reachable in one small step from feet at height y, or null. */
  stepHeight(x, z, y) {
    const h = this.heightAt(x, z, y, MAX_STEP_UP);
    if (h === null) return null;
    for (const [dx, dz] of MARGIN_OFFSETS) {
      if (this.heightAt(x + dx, z + dz, h, MAX_STEP_UP) === null) return null;
    }
    return h;
  }

  /**
   * Move position (a THREE.Vector3, feet on the floor) by (dx, dz), stopping short of the
   * edge of the walkable floor and sliding along it. Returns whether it moved at all.
   */
  move(position, dx, dz) {
    const length = Math.hypot(dx, dz);
    if (length === 0) return false;
    const steps = Math.max(1, Math.ceil(length / SUBSTEP));
    const sx = dx / steps;
    const sz = dz / steps;
    let moved = false;
    for (let s = 0; s < steps; s++) {
      const tries = [
        [sx, sz],
        [sx, 0],
        [0, sz],
      ];
      let stepped = false;
      for (const [tx, tz] of tries) {
        if (tx === 0 && tz === 0) continue;
        const y = this.stepHeight(position.x + tx, position.z + tz, position.y);
        if (y === null) continue;
        position.set(position.x + tx, y, position.z + tz);
        stepped = moved = true;
        break;
      }
      if (!stepped) break;
    }
    return moved;
  }

  /** The nearest walkable point to (x, z) within radius, searched on rings; null if none. */
  nearestWalkable(x, z, radius = 3, nearY = null) {
    if (this.isClear(x, z, nearY)) return { x, z };
    for (let r = 0.25; r <= radius; r += 0.25) {
      const around = Math.max(8, Math.ceil((2 * Math.PI * r) / 0.25));
      for (let k = 0; k < around; k++) {
        const angle = (k / around) * Math.PI * 2;
        const px = x + Math.cos(angle) * r;
        const pz = z + Math.sin(angle) * r;
        if (this.isClear(px, pz, nearY)) return { x: px, z: pz };
      }
    }
    return null;
  }
}

/** y of the point (x, z) on triangle t (flat array of 9), or null when outside it. */
function heightInTriangle(t, x, z) {
  const [ax, ay, az, bx, by, bz, cx, cy, cz] = t;
  const det = (bz - cz) * (ax - cx) + (cx - bx) * (az - cz);
  if (Math.abs(det) < 1e-12) return null;
  const l1 = ((bz - cz) * (x - cx) + (cx - bx) * (z - cz)) / det;
  const l2 = ((cz - az) * (x - cx) + (ax - cx) * (z - cz)) / det;
  const l3 = 1 - l1 - l2;
  const eps = -1e-6;
  if (l1 < eps || l2 < eps || l3 < eps) return null;
  return l1 * ay + l2 * by + l3 * cy;
}
