/**
 * The walkable floor: where a visitor may stand, read from the hub's hidden floor mesh.
 *
 * The mesh is rasterised once into the same 10 cm grid the server uses (world/floor.py):
 * a cell is walkable where a floor triangle covers its centre, with up to a few surfaces
 * stacked in one cell (a gallery over a hall). "Is this walkable, and how high" is then an
 * array lookup. Movement is predicted locally with the server's rules: the surface nearest
 * the feet within a tolerance, at most a stair step up or down per sub-step, and a small
 * margin kept from every edge so the server (which checks the same grid) never has to put
 * the visitor back. A blocked step slides along whichever axis is still free. Stairs and
 * ramps are surfaces like any other: one climbs them a step's height at a time.
 */

import * as THREE from "three";

const CELL = 0.1;
export const LAYERS = 4;
const LAYER_GAP = 0.5;
const SUBSTEP = 0.05;
// The same limits as the server's (world/conventions.py).
export const MAX_STEP_UP = 0.25;
export const FLOOR_TOLERANCE = 0.6;
// Distance kept from the floor's edges when moving: more than one server cell.
const EDGE_MARGIN = 0.12;
const MARGIN_OFFSETS = [
  [0, 0], [EDGE_MARGIN, 0], [-EDGE_MARGIN, 0], [0, EDGE_MARGIN], [0, -EDGE_MARGIN],
];

export class WalkableFloor {
  /** Build from one or more meshes (world transforms applied). */
  constructor(meshes) {
    const triangles = triangleCorners(meshes);
    this.bounds = new THREE.Box3();
    const corner = new THREE.Vector3();
    for (let k = 0; k < triangles.length; k += 3) {
      this.bounds.expandByPoint(corner.set(triangles[k], triangles[k + 1], triangles[k + 2]));
    }
    // Cells on multiples of CELL from the world origin, like the server's grid.
    this.col0 = Math.floor(this.bounds.min.x / CELL) - 1;
    this.row0 = Math.floor(this.bounds.min.z / CELL) - 1;
    this.cols = Math.ceil(this.bounds.max.x / CELL) + 1 - this.col0;
    this.rows = Math.ceil(this.bounds.max.z / CELL) + 1 - this.row0;
    this.heights = new Float32Array(LAYERS * this.rows * this.cols).fill(NaN);
    for (let k = 0; k < triangles.length; k += 9) this.rasterise(triangles, k);
  }

  rasterise(t, k) {
    const [ax, ay, az, bx, by, bz, cx, cy, cz] = t.subarray(k, k + 9);
    const area = (bx - ax) * (cz - az) - (cx - ax) * (bz - az);
    if (Math.abs(area) < 1e-12) return; // vertical or degenerate: no floor
    const c0 = Math.max(Math.floor(Math.min(ax, bx, cx) / CELL) - this.col0, 0);
    const c1 = Math.min(Math.ceil(Math.max(ax, bx, cx) / CELL) - this.col0, this.cols);
    const r0 = Math.max(Math.floor(Math.min(az, bz, cz) / CELL) - this.row0, 0);
    const r1 = Math.min(Math.ceil(Math.max(az, bz, cz) / CELL) - this.row0, this.rows);
    for (let r = r0; r < r1; r++) {
      const pz = (this.row0 + r + 0.5) * CELL;
      for (let c = c0; c < c1; c++) {
        const px = (this.col0 + c + 0.5) * CELL;
        const w1 = ((px - ax) * (cz - az) - (cx - ax) * (pz - az)) / area;
        const w2 = ((bx - ax) * (pz - az) - (px - ax) * (bz - az)) / area;
        const w0 = 1 - w1 - w2;
        if (w0 < -1e-9 || w1 < -1e-9 || w2 < -1e-9) continue;
        this.addSurface(r * this.cols + c, w0 * ay + w1 * by + w2 * cy);
      }
    }
  }

  /** Keep height h in cell: merged with a surface within LAYER_GAP, else a new layer. */
  addSurface(cell, h) {
    const stride = this.rows * this.cols;
    for (let layer = 0; layer < LAYERS; layer++) {
      const i = layer * stride + cell;
      const existing = this.heights[i];
      if (Number.isNaN(existing)) {
        this.heights[i] = h;
        return;
      }
      if (Math.abs(existing - h) <= LAYER_GAP) {
        this.heights[i] = Math.max(existing, h);
        return;
      }
    }
  }

  /**
   * The height of the floor surface under (x, z) nearest to nearY (within tolerance), or
   * null where nobody may stand. Without nearY: the highest surface there.
   */
  heightAt(x, z, nearY = null, tolerance = FLOOR_TOLERANCE) {
    const c = Math.floor(x / CELL) - this.col0;
    const r = Math.floor(z / CELL) - this.row0;
    if (c < 0 || r < 0 || c >= this.cols || r >= this.rows) return null;
    const stride = this.rows * this.cols;
    let best = null;
    for (let layer = 0; layer < LAYERS; layer++) {
      const y = this.heights[layer * stride + r * this.cols + c];
      if (Number.isNaN(y)) break;
      if (nearY === null) {
        if (best === null || y > best) best = y;
      } else if (Math.abs(y - nearY) <= tolerance && (best === null || Math.abs(y - nearY) < Math.abs(best - nearY))) {
        best = y;
      }
    }
    return best;
  }

  /** Every surface height under (x, z), in no particular order (empty where none). */
  surfacesAt(x, z) {
    const c = Math.floor(x / CELL) - this.col0;
    const r = Math.floor(z / CELL) - this.row0;
    if (c < 0 || r < 0 || c >= this.cols || r >= this.rows) return [];
    const stride = this.rows * this.cols;
    const out = [];
    for (let layer = 0; layer < LAYERS; layer++) {
      const y = this.heights[layer * stride + r * this.cols + c];
      if (Number.isNaN(y)) break;
      out.push(y);
    }
    return out;
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

  /**
   * Whether walking straight from feet at (x0, y0, z0) to (x1, z1) works the way move() walks:
   * step by step, up or down at most a stair step each, clear of the edges; with y1, the walk
   * must also end on the surface at that height (the same storey, not the one above).
   */
  walkClear(x0, y0, z0, x1, z1, y1 = null) {
    const length = Math.hypot(x1 - x0, z1 - z0);
    const steps = Math.max(1, Math.ceil(length / SUBSTEP));
    let y = y0;
    for (let s = 1; s <= steps; s++) {
      const f = s / steps;
      const h = this.stepHeight(x0 + (x1 - x0) * f, z0 + (z1 - z0) * f, y);
      if (h === null) return false;
      y = h;
    }
    return y1 === null || Math.abs(y - y1) <= MAX_STEP_UP;
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
      if (!stepped && this.stepHeight(position.x, position.z, position.y) === null) {
        // Standing nearer an edge than the margin (the server put us there, e.g. a spawn
        // beside furniture): every step would miss the margin, so a step onto floor is
        // allowed until we stand clear again; nobody is trapped by a margin.
        for (const [tx, tz] of tries) {
          if (tx === 0 && tz === 0) continue;
          const y = this.heightAt(position.x + tx, position.z + tz, position.y, MAX_STEP_UP);
          if (y === null) continue;
          position.set(position.x + tx, y, position.z + tz);
          stepped = moved = true;
          break;
        }
      }
      if (!stepped) break;
    }
    return moved;
  }

  /** The nearest clear point to (x, z) within radius, searched on rings; null if none. */
  nearestWalkable(x, z, radius = 3, nearY = null) {
    if (this.isClear(x, z, nearY)) return { x, z };
    for (let r = 0.1; r <= radius; r += 0.1) {
      const around = Math.max(8, Math.ceil((2 * Math.PI * r) / 0.1));
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

/** Every triangle of the meshes as 9 world-space numbers in one Float64Array. */
function triangleCorners(meshes) {
  const out = [];
  const v = new THREE.Vector3();
  for (const mesh of meshes) {
    mesh.updateWorldMatrix(true, false);
    const position = mesh.geometry.getAttribute("position");
    const index = mesh.geometry.getIndex();
    const count = index ? index.count : position.count;
    for (let i = 0; i < count; i++) {
      v.fromBufferAttribute(position, index ? index.getX(i) : i).applyMatrix4(mesh.matrixWorld);
      out.push(v.x, v.y, v.z);
    }
  }
  return Float64Array.from(out);
}
