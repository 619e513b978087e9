"""The walkable floor as a height grid, and the movement queries the server runs every tick.

The floor is rasterised once (10 cm cells by default) into ``heights[layer, row, col]``:
the height of a walkable surface above that cell, NaN where there is none. Layers hold
surfaces stacked above each other (a gallery over a hall); most cells only have layer 0.
Every query is array indexing over all points at once; none loops over avatars.

Rows run along +Z, columns along +X; cell (row, col) covers
``[origin_x + col*cell, +cell) x [origin_z + row*cell, +cell)``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import numpy.typing as npt
from scipy import ndimage

from world.conventions import AVATAR_HEIGHT, FLOOR_TOLERANCE, GRID_CELL, MAX_STEP_UP

Points = npt.NDArray[np.float64]
LAYER_GAP = 0.5  # surfaces closer than this above one cell are one surface
MAX_CELLS = 16_000_000  # 400 m x 400 m at 10 cm
MAX_LAYERS = 8
FLAT_SAMPLE_BUDGET = 400_000  # samples clamp_step takes at once; longer batches go step by step


def as_points(points: npt.ArrayLike, name: str = "points") -> Points:
    """(N, 3) float64 from anything array-like; a single point becomes (1, 3)."""
    arr = np.asarray(points, dtype=np.float64)
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim != 2 or arr.shape[1] != 3:
        raise ValueError(f"{name} must have shape (N, 3), got {arr.shape}")
    return arr


class WalkableFloor:
    """Where avatars may stand, at which height, and how they may move."""

    def __init__(
        self,
        heights: npt.NDArray[np.float32],
        origin_x: float,
        origin_z: float,
        cell: float = GRID_CELL,
    ) -> None:
        if heights.ndim != 3:
            raise ValueError("heights must be (layers, rows, cols)")
        self.heights = heights.astype(np.float32)
        self.origin_x = float(origin_x)
        self.origin_z = float(origin_z)
        self.cell = float(cell)
        self._nearest: npt.NDArray[np.intp] | None = None
        self._mask: npt.NDArray[np.bool_] | None = None

    # --- construction --------------------------------------------------------------------

    @classmethod
    def from_triangles(
        cls, triangles: npt.ArrayLike, cell: float = GRID_CELL, margin: int = 2
    ) -> WalkableFloor:
        """Rasterise a walkable-floor mesh given as (M, 3, 3) triangle corners."""
        tris = np.asarray(triangles, dtype=np.float64).reshape(-1, 3, 3)
        if len(tris) == 0:
            raise ValueError("the walkable floor has no triangles")
        lo = np.floor(tris[:, :, [0, 2]].reshape(-1, 2).min(axis=0) / cell) - margin
        hi = np.ceil(tris[:, :, [0, 2]].reshape(-1, 2).max(axis=0) / cell) + margin
        ox, oz = lo * cell
        cols, rows = (hi - lo).astype(int)
        if cols * rows > MAX_CELLS:
            raise ValueError(
                f"the walkable floor spans {cols * cell:.0f} m x {rows * cell:.0f} m; "
                f"at most {MAX_CELLS * cell * cell / 1e6:.0f} km² fit the grid"
            )
        cell_ids: list[npt.NDArray[np.intp]] = []
        samples: list[npt.NDArray[np.float64]] = []
        for tri in tris:
            xz, ys = tri[:, [0, 2]], tri[:, 1]
            (ax, az), (bx, bz), (cx, cz) = xz
            area = (bx - ax) * (cz - az) - (cx - ax) * (bz - az)
            if abs(area) < 1e-12:
                continue  # vertical or degenerate: no floor
            c0 = max(math.floor((xz[:, 0].min() - ox) / cell), 0)
            c1 = min(math.ceil((xz[:, 0].max() - ox) / cell), cols)
            r0 = max(math.floor((xz[:, 1].min() - oz) / cell), 0)
            r1 = min(math.ceil((xz[:, 1].max() - oz) / cell), rows)
            if c1 <= c0 or r1 <= r0:
                continue
            cc, rr = np.meshgrid(np.arange(c0, c1), np.arange(r0, r1))
            px = ox + (cc.ravel() + 0.5) * cell
            pz = oz + (rr.ravel() + 0.5) * cell
            w1 = ((px - ax) * (cz - az) - (cx - ax) * (pz - az)) / area
            w2 = ((bx - ax) * (pz - az) - (px - ax) * (bz - az)) / area
            w0 = 1.0 - w1 - w2
            eps = 1e-9
            inside = (w0 >= -eps) & (w1 >= -eps) & (w2 >= -eps)
            if not inside.any():
                continue
            h = w0 * ys[0] + w1 * ys[1] + w2 * ys[2]
            cell_ids.append((rr.ravel() * cols + cc.ravel())[inside])
            samples.append(h[inside])
        if not cell_ids:
            raise ValueError("the walkable floor covers no area seen from above")
        return cls(
            _stack_layers(np.concatenate(cell_ids), np.concatenate(samples), rows, cols),
            ox,
            oz,
            cell,
        )

    @classmethod
    def from_rectangles(
        cls, rectangles: Iterable[tuple[float, float, float, float, float]], cell: float = GRID_CELL
    ) -> WalkableFloor:
        """A flat floor made of (x0, x1, z0, z1, height) rectangles (e.g. room footprints)."""
        rects = [tuple(float(v) for v in r) for r in rectangles]
        if not rects:
            raise ValueError("no rectangles given")
        tris = []
        for x0, x1, z0, z1, y in rects:
            a, b, c, d = (x0, y, z0), (x1, y, z0), (x1, y, z1), (x0, y, z1)
            tris.extend([(a, c, b), (a, d, c)])
        return cls.from_triangles(tris, cell)

    # --- editing ---------------------------------------------------------------------------

    def subtract_boxes(
        self,
        centres: npt.ArrayLike,
        half_sizes: npt.ArrayLike,
        rotations: npt.ArrayLike,
        body: tuple[float, float] = (MAX_STEP_UP + 0.01, AVATAR_HEIGHT),
    ) -> None:
        """Remove floor under solid boxes that reach into a standing body's height band.

        Each box is given by its centre, half sizes along its own axes and 3x3 rotation.
        A cell goes if the box overlaps the band ``floor + body[0] .. floor + body[1]`` above
        it: something lower is a step one climbs (a stage's stair), something higher one
        walks under. Cells are taken conservatively (any overlap), so thin walls always
        leave a gap in the floor that ``clamp_step`` cannot cross.
        """
        centres = np.asarray(centres, dtype=np.float64).reshape(-1, 3)
        halves = np.asarray(half_sizes, dtype=np.float64).reshape(-1, 3)
        rots = np.asarray(rotations, dtype=np.float64).reshape(-1, 3, 3)
        _, rows, cols = self.heights.shape
        pad = self.cell * math.sqrt(0.5)
        for centre, half, rot in zip(centres, halves, rots, strict=True):
            corners = np.array([[sx, sy, sz] for sx in (-1, 1) for sy in (-1, 1) for sz in (-1, 1)])
            world = (corners * half) @ rot.T + centre
            y_lo, y_hi = world[:, 1].min(), world[:, 1].max()
            c0 = max(int((world[:, 0].min() - pad - self.origin_x) // self.cell), 0)
            c1 = min(int((world[:, 0].max() + pad - self.origin_x) // self.cell) + 1, cols)
            r0 = max(int((world[:, 2].min() - pad - self.origin_z) // self.cell), 0)
            r1 = min(int((world[:, 2].max() + pad - self.origin_z) // self.cell) + 1, rows)
            if c1 <= c0 or r1 <= r0:
                continue
            cc, rr = np.meshgrid(np.arange(c0, c1), np.arange(r0, r1))
            px = self.origin_x + (cc + 0.5) * self.cell
            pz = self.origin_z + (rr + 0.5) * self.cell
            # footprint test in the box's own frame (XZ part of its rotation)
            rel = np.stack([px - centre[0], np.zeros_like(px), pz - centre[2]], axis=-1) @ rot
            inside = (np.abs(rel[..., 0]) <= half[0] + pad) & (np.abs(rel[..., 2]) <= half[2] + pad)
            block = self.heights[:, r0:r1, c0:c1]
            overlaps = (y_hi > block + body[0]) & (y_lo < block + body[1])
            block[overlaps & inside[None]] = np.nan
        self._nearest = None
        self._mask = None

    # --- lookups ---------------------------------------------------------------------------

    @property
    def shape(self) -> tuple[int, int, int]:
        layers, rows, cols = self.heights.shape
        return (layers, rows, cols)

    def _cells(
        self, x: Points, z: Points
    ) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp], npt.NDArray[np.bool_]]:
        _, rows, cols = self.heights.shape
        col = np.floor((x - self.origin_x) / self.cell).astype(np.intp)
        row = np.floor((z - self.origin_z) / self.cell).astype(np.intp)
        inside = (col >= 0) & (col < cols) & (row >= 0) & (row < rows)
        return np.clip(row, 0, rows - 1), np.clip(col, 0, cols - 1), inside

    def _surface_near(
        self, x: Points, y: Points, z: Points, tolerance: float | npt.NDArray[np.float64]
    ) -> npt.NDArray[np.float64]:
        """Height of the surface closest to ``y`` within ``tolerance`` (NaN where none)."""
        row, col, inside = self._cells(x, z)
        column = self.heights[:, row, col].astype(np.float64)  # (layers, N)
        gap = np.abs(column - y[None, :])
        gap = np.where(np.isnan(gap), np.inf, gap)
        best = np.argmin(gap, axis=0)
        pick = np.arange(len(x))
        ok = inside & (gap[best, pick] <= tolerance)
        return np.where(ok, column[best, pick], np.nan)

    def floor_height(self, points: npt.ArrayLike) -> npt.NDArray[np.float64]:
        """The height of the floor under each point (within reach of its feet), NaN if none."""
        p = as_points(points)
        return self._surface_near(p[:, 0], p[:, 1], p[:, 2], FLOOR_TOLERANCE)

    def is_walkable(self, points: npt.ArrayLike) -> npt.NDArray[np.bool_]:
        return ~np.isnan(self.floor_height(points))

    def clamp_step(self, start: npt.ArrayLike, end: npt.ArrayLike) -> Points:
        """Each avatar moved from ``start`` towards ``end`` as far as the floor allows.

        The segment is sampled at a third of a cell; the avatar stops at the last sample
        before a gap in the floor (a wall, furniture, the edge of the world) or a rise or drop
        larger than a stair step. Where two samples lie in diagonal neighbour cells, both
        cells beside the corner must be floor too, so no step slips through a gap between
        two cells that only touch at a corner: every cell the segment crosses is checked.
        The result stands on the floor (its Y is the floor height). An avatar that starts
        off the floor may walk onto it, never across a gap once on it.
        """
        a = as_points(start, "start")
        b = as_points(end, "end")
        if a.shape != b.shape:
            raise ValueError("start and end must have the same shape")
        if len(a) == 0:
            return a.copy()
        delta = b - a
        horizontal = np.hypot(delta[:, 0], delta[:, 2])
        steps = max(1, math.ceil(float(horizontal.max()) / (self.cell / 3)))
        if self.heights.shape[0] == 1 and len(a) * (steps + 1) <= FLAT_SAMPLE_BUDGET:
            return self._clamp_flat(a, delta, steps)
        return self._clamp_layered(a, delta, steps)

    def _clamp_flat(self, a: Points, delta: Points, steps: int) -> Points:
        """``clamp_step`` for a floor of one layer: every sample of every step at once."""
        t = np.arange(steps + 1) / steps
        px = a[:, 0:1] + delta[:, 0:1] * t
        py = a[:, 1:2] + delta[:, 1:2] * t
        pz = a[:, 2:3] + delta[:, 2:3] * t
        row, col, inside = self._cells(px, pz)
        h = np.where(inside, self.heights[0][row, col], np.nan).astype(np.float64)
        with np.errstate(invalid="ignore"):
            on_floor = np.abs(h - py) <= FLOOR_TOLERANCE  # where one may step onto the floor
            step_ok = np.abs(np.diff(h, axis=1)) <= MAX_STEP_UP
        mask = self.walkable_mask()
        diagonal = (row[:, 1:] != row[:, :-1]) & (col[:, 1:] != col[:, :-1])
        corner_open = mask[row[:, :-1], col[:, 1:]] & mask[row[:, 1:], col[:, :-1]]
        move_ok = step_ok & (~diagonal | corner_open)
        entered = on_floor.any(axis=1)
        entry = np.argmax(on_floor, axis=1)
        sample = np.arange(1, steps + 1)
        blocked = ~move_ok & (sample[None, :] > entry[:, None])
        last = np.where(blocked.any(axis=1), np.argmax(blocked, axis=1), steps)
        pick = np.arange(len(a))
        result = a.copy()
        result[entered, 0] = px[pick, last][entered]
        result[entered, 1] = h[pick, last][entered]
        result[entered, 2] = pz[pick, last][entered]
        return result

    def _clamp_layered(self, a: Points, delta: Points, steps: int) -> Points:
        """``clamp_step`` sample by sample, following each avatar's own floor layer."""
        n = len(a)
        result = a.copy()
        current = self._surface_near(a[:, 0], a[:, 1], a[:, 2], FLOOR_TOLERANCE)
        anchored = ~np.isnan(current)
        result[anchored, 1] = current[anchored]
        moving = np.ones(n, dtype=bool)
        mask = self.walkable_mask()
        last_row, last_col, _ = self._cells(a[:, 0], a[:, 2])
        for k in range(1, steps + 1):
            idx = np.nonzero(moving)[0]
            if len(idx) == 0:
                break
            p = a[idx] + delta[idx] * (k / steps)
            on = anchored[idx]
            ref = np.where(on, current[idx], p[:, 1])
            tol = np.where(on, MAX_STEP_UP, FLOOR_TOLERANCE)
            h = self._surface_near(p[:, 0], ref, p[:, 2], tol)
            row, col, _ = self._cells(p[:, 0], p[:, 2])
            r0, c0 = last_row[idx], last_col[idx]
            diagonal = (row != r0) & (col != c0)
            corner_open = mask[r0, col] & mask[row, c0]
            found = ~np.isnan(h) & (~diagonal | corner_open | ~on)
            last_row[idx], last_col[idx] = row, col
            stop = on & ~found
            moving[idx[stop]] = False
            go = idx[found]
            result[go, 0] = p[found, 0]
            result[go, 2] = p[found, 2]
            result[go, 1] = h[found]
            current[go] = h[found]
            anchored[go] = True
        return result

    def nearest_walkable(self, points: npt.ArrayLike) -> Points:
        """Each point moved to the nearest place one may stand (unchanged if it already may)."""
        p = as_points(points)
        out = p.copy()
        h = self.floor_height(p)
        ok = ~np.isnan(h)
        out[ok, 1] = h[ok]
        bad = np.nonzero(~ok)[0]
        if len(bad) == 0:
            return out
        nearest = self._nearest_index()
        row, col, _ = self._cells(p[bad, 0], p[bad, 2])
        r, c = nearest[0, row, col], nearest[1, row, col]
        out[bad, 0] = self.origin_x + (c + 0.5) * self.cell
        out[bad, 2] = self.origin_z + (r + 0.5) * self.cell
        column = self.heights[:, r, c].astype(np.float64)
        gap = np.abs(column - p[bad, 1][None, :])
        gap = np.where(np.isnan(gap), np.inf, gap)
        best = np.argmin(gap, axis=0)
        out[bad, 1] = column[best, np.arange(len(bad))]
        return out

    def _nearest_index(self) -> npt.NDArray[np.intp]:
        if self._nearest is None:
            walkable = (~np.isnan(self.heights)).any(axis=0)
            if not walkable.any():
                raise ValueError("the walkable floor is empty")
            _, indices = ndimage.distance_transform_edt(~walkable, return_indices=True)
            self._nearest = indices.astype(np.intp)
        return self._nearest

    def walkable_mask(self) -> npt.NDArray[np.bool_]:
        """(rows, cols): True where any layer is walkable."""
        if self._mask is None:
            self._mask = np.asarray((~np.isnan(self.heights)).any(axis=0), dtype=bool)
        return self._mask

    @property
    def walkable_area(self) -> float:
        return float((~np.isnan(self.heights)).sum()) * self.cell * self.cell


def _stack_layers(
    cell_ids: npt.NDArray[np.intp], heights: npt.NDArray[np.float64], rows: int, cols: int
) -> npt.NDArray[np.float32]:
    """Sort height samples per cell into layers; samples close together merge (max wins)."""
    order = np.lexsort((heights, cell_ids))
    ids, hs = cell_ids[order], heights[order]
    new_cell = np.ones(len(ids), dtype=bool)
    new_cell[1:] = ids[1:] != ids[:-1]
    distinct = new_cell.copy()
    distinct[1:] |= (hs[1:] - hs[:-1]) > LAYER_GAP
    group = np.cumsum(distinct) - 1
    first = np.maximum.accumulate(np.where(new_cell, group, 0))
    layer = group - first
    layers = int(layer.max()) + 1
    if layers > MAX_LAYERS:
        raise ValueError(
            f"the walkable floor has {layers} surfaces above one spot (at most {MAX_LAYERS})"
        )
    grid = np.full((layers, rows * cols), np.nan, dtype=np.float64)
    np.fmax.at(grid, (layer, ids), hs)
    return grid.reshape(layers, rows, cols).astype(np.float32)
