/**
 * Paths across the walkable floor for click-to-walk: A* on a fine grid sampled from the
 * floor, then straightened so the visitor walks in lines, not in grid steps. One
 * pathfinder covers one storey (the floor surfaces near levelY).
 */

const CELL = 0.25;

export class Pathfinder {
  constructor(floor, levelY) {
    this.floor = floor;
    this.levelY = levelY;
    const { min, max } = floor.bounds;
    this.originX = min.x;
    this.originZ = min.z;
    this.width = Math.max(1, Math.ceil((max.x - min.x) / CELL));
    this.depth = Math.max(1, Math.ceil((max.z - min.z) / CELL));
    this.open = new Uint8Array(this.width * this.depth);
    this.edges = new Map();
    for (let j = 0; j < this.depth; j++) {
      for (let i = 0; i < this.width; i++) {
        const { x, z } = this.centre(i, j);
        this.open[j * this.width + i] = floor.isClear(x, z, levelY) ? 1 : 0;
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

  nearestOpenCell(x, z) {
    const spot = this.floor.nearestWalkable(x, z, 2, this.levelY);
    if (!spot) return -1;
    const cell = this.cellOf(spot.x, spot.z);
    if (cell >= 0 && this.open[cell]) return cell;
    const i0 = Math.floor((spot.x - this.originX) / CELL);
    const j0 = Math.floor((spot.z - this.originZ) / CELL);
    for (let r = 1; r <= 4; r++) {
      for (let dj = -r; dj <= r; dj++) {
        for (let di = -r; di <= r; di++) {
          const i = i0 + di;
          const j = j0 + dj;
          if (i < 0 || j < 0 || i >= this.width || j >= this.depth) continue;
          if (this.open[j * this.width + i]) return j * this.width + i;
        }
      }
    }
    return -1;
  }

  /**
   * Waypoints [{x, z}, ...] from (x0, z0) to (or as close as the floor allows to) (x1, z1),
   * not including the start; null when no path exists.
   */
  find(x0, z0, x1, z1) {
    const goalSpot = this.floor.nearestWalkable(x1, z1, 2, this.levelY);
    if (!goalSpot) return null;
    if (this.floor.segmentClear(x0, z0, goalSpot.x, goalSpot.z, this.levelY)) return [goalSpot];
    const start = this.nearestOpenCell(x0, z0);
    const goal = this.nearestOpenCell(goalSpot.x, goalSpot.z);
    if (start < 0 || goal < 0) return null;
    const cells = this.search(start, goal);
    if (!cells) return null;
    const points = cells.map((cell) => this.centre(cell % this.width, Math.floor(cell / this.width)));
    points.push(goalSpot);
    return this.straighten({ x: x0, z: z0 }, points);
  }

  search(start, goal) {
    const w = this.width;
    const gi = goal % w;
    const gj = Math.floor(goal / w);
    const cost = new Float32Array(this.open.length).fill(Infinity);
    const came = new Int32Array(this.open.length).fill(-1);
    const heap = new MinHeap();
    cost[start] = 0;
    heap.push(start, 0);
    const steps = [
      [1, 0, 1], [-1, 0, 1], [0, 1, 1], [0, -1, 1],
      [1, 1, Math.SQRT2], [1, -1, Math.SQRT2], [-1, 1, Math.SQRT2], [-1, -1, Math.SQRT2],
    ];
    while (heap.size > 0) {
      const cell = heap.pop();
      if (cell === goal) break;
      const i = cell % w;
      const j = Math.floor(cell / w);
      for (const [di, dj, length] of steps) {
        const ni = i + di;
        const nj = j + dj;
        if (ni < 0 || nj < 0 || ni >= w || nj >= this.depth) continue;
        const next = nj * w + ni;
        if (!this.open[next]) continue;
        if (di !== 0 && dj !== 0 && (!this.open[j * w + ni] || !this.open[nj * w + i])) continue;
        if (!this.edgeClear(i, j, ni, nj)) continue;
        const nextCost = cost[cell] + length;
        if (nextCost >= cost[next]) continue;
        cost[next] = nextCost;
        came[next] = cell;
        heap.push(next, nextCost + Math.hypot(ni - gi, nj - gj));
      }
    }
    if (cost[goal] === Infinity) return null;
    const path = [];
    for (let cell = goal; cell !== start; cell = came[cell]) path.push(cell);
    return path.reverse();
  }

  /** Whether one may walk between two neighbouring cell centres (checked at the middle,
   * where a table's corner between two open cells would be). */
  edgeClear(i, j, ni, nj) {
    const key = i < ni || (i === ni && j < nj) ? `${i},${j},${ni},${nj}` : `${ni},${nj},${i},${j}`;
    let clear = this.edges.get(key);
    if (clear === undefined) {
      const a = this.centre(i, j);
      const b = this.centre(ni, nj);
      clear = this.floor.isClear((a.x + b.x) / 2, (a.z + b.z) / 2, this.levelY);
      this.edges.set(key, clear);
    }
    return clear;
  }

  /** Drop every waypoint that can be skipped in a straight line on the floor. */
  straighten(from, points) {
    const out = [];
    let current = from;
    let k = 0;
    while (k < points.length) {
      let far = k;
      for (let m = points.length - 1; m > k; m--) {
        if (this.floor.segmentClear(current.x, current.z, points[m].x, points[m].z, this.levelY)) {
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
