/**
 * Paths across the walkable floor for click-to-walk: A* on a fine grid sampled from the
 * floor, then straightened so the visitor walks in lines, not in grid steps. The grid has a
 * node for every surface above a cell (a hall and the studio over it are two nodes), and
 * neighbouring nodes join where one can step from one to the other; so a path to a place on
 * another storey climbs the stairs or a ramp, and a path never jumps between floors.
 */

import { FLOOR_TOLERANCE, LAYERS, MAX_STEP_UP } from "./walkable.js";

const CELL = 0.25;
// The most two neighbouring nodes may differ in height: one riser between cell centres,
// two across a diagonal (treads are at least 26 cm deep; see docs/site-format.md).
const CLIMB = 0.4;
const STEPS = [
  [1, 0, 1], [-1, 0, 1], [0, 1, 1], [0, -1, 1],
  [1, 1, Math.SQRT2], [1, -1, Math.SQRT2], [-1, 1, Math.SQRT2], [-1, -1, Math.SQRT2],
];

export class Pathfinder {
  constructor(floor) {
    this.floor = floor;
    const { min, max } = floor.bounds;
    this.originX = min.x;
    this.originZ = min.z;
    this.width = Math.max(1, Math.ceil((max.x - min.x) / CELL));
    this.depth = Math.max(1, Math.ceil((max.z - min.z) / CELL));
    this.size = this.width * this.depth;
    // heights[layer * size + cell]: a surface one may stand on there, NaN where none
    this.heights = new Float32Array(LAYERS * this.size).fill(NaN);
    this.edges = new Map();
    for (let j = 0; j < this.depth; j++) {
      for (let i = 0; i < this.width; i++) {
        const { x, z } = this.centre(i, j);
        let layer = 0;
        for (const y of floor.surfacesAt(x, z)) {
          if (floor.isClear(x, z, y)) this.heights[layer++ * this.size + j * this.width + i] = y;
        }
      }
    }
  }

  centre(i, j) {
    return { x: this.originX + (i + 0.5) * CELL, z: this.originZ + (j + 0.5) * CELL };
  }

  cellOf(x, z) {
    const i = Math.floor((x - this.originX) / CELL);
    const j = Math.floor((z - this.originZ) / CELL);
    if (i < 0 || j < 0 || i >= this.width || j >= this.depth) return -1;
    return j * this.width + i;
  }

  /** The node of the cell (i, j) whose surface is nearest y within tolerance, or -1. */
  nodeNear(cell, y, tolerance = FLOOR_TOLERANCE) {
    let best = -1;
    for (let layer = 0; layer < LAYERS; layer++) {
      const h = this.heights[layer * this.size + cell];
      if (Number.isNaN(h) || Math.abs(h - y) > tolerance) continue;
      if (best < 0 || Math.abs(h - y) < Math.abs(this.heights[best] - y)) best = layer * this.size + cell;
    }
    return best;
  }

  /** The open node nearest (x, z) on the surface near y, searched on growing squares. */
  nearestNode(x, z, y) {
    const i0 = Math.floor((x - this.originX) / CELL);
    const j0 = Math.floor((z - this.originZ) / CELL);
    for (let r = 0; r <= 8; r++) {
      let best = -1;
      let bestDistance = Infinity;
      for (let dj = -r; dj <= r; dj++) {
        for (let di = -r; di <= r; di++) {
          if (Math.max(Math.abs(di), Math.abs(dj)) !== r) continue;
          const i = i0 + di;
          const j = j0 + dj;
          if (i < 0 || j < 0 || i >= this.width || j >= this.depth) continue;
          const node = this.nodeNear(j * this.width + i, y);
          if (node >= 0 && Math.hypot(di, dj) < bestDistance) {
            best = node;
            bestDistance = Math.hypot(di, dj);
          }
        }
      }
      if (best >= 0) return best;
    }
    return -1;
  }

  point(node) {
    const cell = node % this.size;
    const { x, z } = this.centre(cell % this.width, Math.floor(cell / this.width));
    return { x, y: this.heights[node], z };
  }

  /**
   * Waypoints [{x, y, z}, ...] from (x0, y0, z0) to (or as close as the floor allows to)
   * (x1, z1) on the surface nearest y1 (the start's storey without it), not including the
   * start; null when no path exists.
   */
  find(x0, y0, z0, x1, z1, y1 = null) {
    const level = y1 ?? y0;
    const goalSpot = this.floor.nearestWalkable(x1, z1, 2, level);
    if (!goalSpot) return null;
    const goalY = this.floor.heightAt(goalSpot.x, goalSpot.z, level);
    if (goalY === null) return null;
    const end = { x: goalSpot.x, y: goalY, z: goalSpot.z };
    if (this.floor.walkClear(x0, y0, z0, end.x, end.z, end.y)) return [end];
    const start = this.nearestNode(x0, z0, y0);
    const goal = this.nearestNode(end.x, end.z, end.y);
    if (start < 0 || goal < 0) return null;
    const nodes = this.search(start, goal);
    if (!nodes) return null;
    const points = nodes.map((node) => this.point(node));
    points.push(end);
    return this.straighten({ x: x0, y: y0, z: z0 }, points);
  }

  search(start, goal) {
    const w = this.width;
    const goalCell = goal % this.size;
    const gi = goalCell % w;
    const gj = Math.floor(goalCell / w);
    const cost = new Float32Array(this.heights.length).fill(Infinity);
    const came = new Int32Array(this.heights.length).fill(-1);
    const heap = new MinHeap();
    cost[start] = 0;
    heap.push(start, 0);
    while (heap.size > 0) {
      const node = heap.pop();
      if (node === goal) break;
      const cell = node % this.size;
      const h = this.heights[node];
      const i = cell % w;
      const j = Math.floor(cell / w);
      for (const [di, dj, length] of STEPS) {
        const ni = i + di;
        const nj = j + dj;
        if (ni < 0 || nj < 0 || ni >= w || nj >= this.depth) continue;
        const next = this.nodeNear(nj * w + ni, h, CLIMB);
        if (next < 0) continue;
        if (di !== 0 && dj !== 0 && (this.nodeNear(j * w + ni, h, CLIMB) < 0 || this.nodeNear(nj * w + i, h, CLIMB) < 0)) continue;
        if (!this.edgeClear(node, next)) continue;
        const nextCost = cost[node] + length;
        if (nextCost >= cost[next]) continue;
        cost[next] = nextCost;
        came[next] = node;
        heap.push(next, nextCost + Math.hypot(ni - gi, nj - gj));
      }
    }
    if (cost[goal] === Infinity) return null;
    const path = [];
    for (let node = goal; node !== start; node = came[node]) path.push(node);
    return path.reverse();
  }

  /** Whether one may walk between two neighbouring nodes (checked at the middle, where a
   * table's corner between two open cells would be, on the surface between their heights). */
  edgeClear(a, b) {
    const key = a < b ? `${a},${b}` : `${b},${a}`;
    let clear = this.edges.get(key);
    if (clear === undefined) {
      const p = this.point(a);
      const q = this.point(b);
      const x = (p.x + q.x) / 2;
      const z = (p.z + q.z) / 2;
      const y = this.floor.heightAt(x, z, (p.y + q.y) / 2, MAX_STEP_UP);
      clear = y !== null && this.floor.isClear(x, z, y);
      this.edges.set(key, clear);
    }
    return clear;
  }

  /** Drop every waypoint that can be skipped by walking a straight line on the floor. */
  straighten(from, points) {
    const out = [];
    let current = from;
    let k = 0;
    while (k < points.length) {
      let far = k;
      for (let m = points.length - 1; m > k; m--) {
        const p = points[m];
        if (this.floor.walkClear(current.x, current.y, current.z, p.x, p.z, p.y)) {
          far = m;
          break;
        }
      }
      out.push(points[far]);
      current = points[far];
      k = far + 1;
    }
    return out;
  }
}

class MinHeap {
  constructor() {
    this.items = [];
    this.keys = [];
  }

  get size() {
    return this.items.length;
  }

  push(item, key) {
    const items = this.items;
    const keys = this.keys;
    let n = items.length;
    items.push(item);
    keys.push(key);
    while (n > 0) {
      const parent = (n - 1) >> 1;
      if (keys[parent] <= key) break;
      items[n] = items[parent];
      keys[n] = keys[parent];
      n = parent;
    }
    items[n] = item;
    keys[n] = key;
  }

  pop() {
    const items = this.items;
    const keys = this.keys;
    const top = items[0];
    const lastItem = items.pop();
    const lastKey = keys.pop();
    if (items.length === 0) return top;
    let n = 0;
    const size = items.length;
    for (;;) {
      let child = 2 * n + 1;
      if (child >= size) break;
      if (child + 1 < size && keys[child + 1] < keys[child]) child += 1;
      if (keys[child] >= lastKey) break;
      items[n] = items[child];
      keys[n] = keys[child];
      n = child;
    }
    items[n] = lastItem;
    keys[n] = lastKey;
    return top;
  }
}
