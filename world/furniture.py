"""The furniture catalogue: what a ``[[furniture]]`` entry of a given ``type`` builds.

Each piece is made of simple shapes (hard-edged boxes, cylinders, low-poly spheres), faces
+Z in its own frame (a chair: where the sitter looks; a desk: towards visitors), and says
where avatars may not walk (``Pieces.block``) and which boxes collide. Parameters and their
defaults are listed per type in ``CATALOGUE``; docs/site-format.md shows them as a table.
``FurniturePlan`` is one entry as building.toml or the staff layout declares it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from world.errors import InputFileError
from world.geometry import Placement, box, cylinder, merge, sphere, wedge
from world.pictures import MOTIFS
from world.pieces import Footprint, Pieces, SignPlate, Surface

F = "furniture"
# Text parameters that take one of a few words.
CHOICES: dict[str, tuple[str, ...]] = {
    "motif": MOTIFS,
    "steps": ("left", "right", "none"),
    "ramp": ("left", "right", "none"),
    "shape": ("bush", "tall"),
}


@dataclass(frozen=True)
class FurniturePlan:
    """One kind of piece, placed once or several times, with its type's parameters."""

    type: str
    room: str | None
    positions: tuple[tuple[float, float], ...]  # world x, z
    elevation: float
    yaw: float  # radians; 0 faces +Z (south)
    params: dict[str, Any]
    where: str


class Params:
    """A furniture entry's parameters over its type's defaults, each checked against them."""

    def __init__(
        self, given: dict[str, Any], defaults: dict[str, Any], where: str, materials: set[str]
    ) -> None:
        unknown = set(given) - set(defaults)
        if unknown:
            raise InputFileError(
                f"{where}: unknown parameter {', '.join(sorted(unknown))} "
                f"(this type takes: {', '.join(sorted(defaults)) or 'nothing'})"
            )
        self.values = dict(defaults)
        for key, value in given.items():
            default = defaults[key]
            ok: bool
            if isinstance(default, bool):
                ok = isinstance(value, bool)
            elif isinstance(default, int):
                ok = isinstance(value, int) and not isinstance(value, bool) and value >= 0
            elif isinstance(default, float):
                ok = isinstance(value, int | float) and not isinstance(value, bool) and value >= 0
            elif isinstance(default, list):
                ok = (
                    isinstance(value, list)
                    and len(value) == len(default)
                    and all(isinstance(v, int | float) and v > 0 for v in value)
                )
            else:
                ok = isinstance(value, str)
            if not ok:
                raise InputFileError(f"{where}: {key} must look like {default!r}")
            if key.endswith("material") and value not in materials:
                raise InputFileError(f"{where}: unknown material {value!r}")
            if key in CHOICES and value not in CHOICES[key]:
                raise InputFileError(f"{where}: {key} must be one of {', '.join(CHOICES[key])}")
            self.values[key] = value
        self.where = where

    def num(self, key: str) -> float:
        return float(self.values[key])

    def int(self, key: str) -> int:
        return int(self.values[key])

    def text(self, key: str) -> str:
        return str(self.values[key])

    def flag(self, key: str) -> bool:
        return bool(self.values[key])

    def size(self, key: str = "size") -> tuple[float, float]:
        a, b = self.values[key]
        return (float(a), float(b))


Builder = Callable[[Params, Placement, Pieces], None]


@dataclass(frozen=True)
class FurnitureType:
    build: Builder
    defaults: dict[str, Any]
    summary: str
    required: tuple[str, ...] = ()  # parameters an entry must give


def _legs(
    pieces: Pieces,
    at: Placement,
    half_x: float,
    half_z: float,
    height: float,
    material: str,
    t: float = 0.04,
) -> None:
    for sx in (-1, 1):
        for sz in (-1, 1):
            pieces.add_box(
                F, material, (t, height, t), (sx * (half_x - t), height / 2, sz * (half_z - t)), at
            )


def chair(p: Params, at: Placement, pieces: Pieces) -> None:
    seat_h = 0.45
    pieces.add_box(F, p.text("material"), (0.46, 0.06, 0.44), (0.0, seat_h, 0.0), at, skip=())
    pieces.add_box(
        F, p.text("material"), (0.46, 0.42, 0.05), (0.0, seat_h + 0.27, -0.2), at, skip=()
    )
    _legs(pieces, at, 0.22, 0.21, seat_h - 0.03, p.text("frame_material"), 0.03)
    pieces.block(at, 0.24, 0.24, 0.9, soft=True)


def _chair_at(
    pieces: Pieces, parent: Placement, x: float, z: float, yaw: float, material: str
) -> None:
    chair(
        Params({"material": material}, CATALOGUE["chair"].defaults, "", {material}),
        parent.then(Placement(x, 0.0, z, yaw)),
        pieces,
    )


def table(p: Params, at: Placement, pieces: Pieces) -> None:
    w, d = p.size()
    h = p.num("height")
    pieces.add_box(F, p.text("material"), (w, 0.04, d), (0.0, h - 0.02, 0.0), at, skip=())
    _legs(pieces, at, w / 2 - 0.04, d / 2 - 0.04, h - 0.04, p.text("frame_material"))
    pieces.block(at, w / 2, d / 2, h)
    pieces.collide("table", at, (w, h, d), (0.0, h / 2, 0.0))
    per_side = p.int("chairs") // 2
    extra = p.int("chairs") % 2
    for side, yaw in ((1, math.pi), (-1, 0.0)):
        count = per_side + (extra if side == 1 else 0)
        for k in range(count):
            x = (k - (count - 1) / 2) * min(0.65, w / max(count, 1))
            _chair_at(pieces, at, x, side * (d / 2 + 0.22), yaw, p.text("chair_material"))
    if p.flag("end_chairs"):
        _chair_at(pieces, at, w / 2 + 0.22, 0.0, -math.pi / 2, p.text("chair_material"))
        _chair_at(pieces, at, -w / 2 - 0.22, 0.0, math.pi / 2, p.text("chair_material"))


def round_table(p: Params, at: Placement, pieces: Pieces) -> None:
    r, h = p.num("diameter") / 2, p.num("height")
    pieces.add(F, p.text("material"), cylinder(r, 0.04, 20, (0.0, h - 0.04, 0.0)), at)
    pieces.add(F, p.text("frame_material"), cylinder(0.04, h - 0.04, 8, caps=False), at)
    pieces.add(F, p.text("frame_material"), cylinder(0.25, 0.03, 12), at)
    pieces.block(at, r * 0.8, r * 0.8, h)
    pieces.collide("round-table", at, (2 * r, h, 2 * r), (0.0, h / 2, 0.0))
    n = p.int("chairs")
    for k in range(n):
        a = 2 * math.pi * k / max(n, 1) + p.num("chair_offset") * math.pi / 180
        dist = r + 0.25
        _chair_at(
            pieces,
            at,
            dist * math.sin(a),
            dist * math.cos(a),
            a + math.pi,
            p.text("chair_material"),
        )


def high_table(p: Params, at: Placement, pieces: Pieces) -> None:
    r, h = p.num("diameter") / 2, 1.08
    pieces.add(F, p.text("material"), cylinder(r, 0.04, 16, (0.0, h - 0.04, 0.0)), at)
    pieces.add(F, "steel", cylinder(0.035, h - 0.04, 8, caps=False), at)
    pieces.add(F, "steel", cylinder(0.26, 0.02, 12), at)
    pieces.block(at, r * 0.7, r * 0.7, h)


def reception_desk(p: Params, at: Placement, pieces: Pieces) -> None:
    w, d = p.size()
    h = 1.08
    front = p.text("front_material")
    # counter front (visitors' side, +Z), tall, with a light top; work surface behind it
    pieces.add_box(F, front, (w, h - 0.04, 0.06), (0.0, (h - 0.04) / 2, d / 2 - 0.03), at)
    pieces.add_box(
        F, "wood-light", (w + 0.08, 0.04, 0.36), (0.0, h - 0.02, d / 2 - 0.12), at, skip=()
    )
    pieces.add_box(F, "laminate-white", (w, 0.04, d - 0.1), (0.0, 0.74, -0.02), at, skip=())
    for sx in (-1, 1):
        pieces.add_box(
            F, front, (0.06, h - 0.04, d), (sx * (w / 2 - 0.03), (h - 0.04) / 2, 0.0), at
        )
    pieces.add_box(
        F, "brand-yellow", (w * 0.98, 0.06, 0.07), (0.0, 0.12, d / 2 + 0.005), at, skip=()
    )
    # a monitor and the welcome logo strip
    pieces.add_box(F, "screen-bezel", (0.55, 0.34, 0.03), (w * 0.25, 1.02, -0.15), at, skip=())
    pieces.add_box(F, "steel-dark", (0.05, 0.25, 0.05), (w * 0.25, 0.85, -0.18), at)
    pieces.block(at, w / 2, d / 2, h)
    pieces.collide("reception-desk", at, (w, h, d), (0.0, h / 2, 0.0))
    _chair_at(pieces, at, -w * 0.2, -d / 2 - 0.15, 0.0, p.text("chair_material"))
    _chair_at(pieces, at, w * 0.25, -d / 2 - 0.15, 0.0, p.text("chair_material"))


def sofa(p: Params, at: Placement, pieces: Pieces) -> None:
    w, d = p.num("width"), 0.9
    m = p.text("material")
    pieces.add_box(F, m, (w, 0.28, d), (0.0, 0.14 + 0.06, 0.0), at)
    pieces.add_box(F, m, (w, 0.5, 0.22), (0.0, 0.59, -d / 2 + 0.11), at, skip=())
    for sx in (-1, 1):
        pieces.add_box(F, m, (0.2, 0.3, d), (sx * (w / 2 - 0.1), 0.49, 0.0), at, skip=())
    cushions = max(1, round((w - 0.4) / 0.7))
    cw = (w - 0.4) / cushions
    for k in range(cushions):
        x = -w / 2 + 0.2 + cw * (k + 0.5)
        pieces.add_box(F, m, (cw - 0.03, 0.12, d - 0.26), (x, 0.4, 0.09), at, skip=())
    _legs(pieces, at, w / 2 - 0.05, d / 2 - 0.05, 0.06, "wood-dark", 0.05)
    pieces.block(at, w / 2, d / 2, 0.85)
    pieces.collide("sofa", at, (w, 0.85, d), (0.0, 0.425, 0.0))


def armchair(p: Params, at: Placement, pieces: Pieces) -> None:
    m = p.text("material")
    pieces.add_box(F, m, (0.8, 0.3, 0.8), (0.0, 0.25, 0.0), at)
    pieces.add_box(F, m, (0.8, 0.45, 0.18), (0.0, 0.62, -0.31), at, skip=())
    for sx in (-1, 1):
        pieces.add_box(F, m, (0.16, 0.25, 0.8), (sx * 0.32, 0.52, 0.0), at, skip=())
    _legs(pieces, at, 0.36, 0.36, 0.1, "wood-dark", 0.05)
    pieces.block(at, 0.4, 0.4, 0.85)


def coffee_table(p: Params, at: Placement, pieces: Pieces) -> None:
    w, d = p.size()
    pieces.add_box(F, p.text("material"), (w, 0.05, d), (0.0, 0.4, 0.0), at, skip=())
    _legs(pieces, at, w / 2 - 0.04, d / 2 - 0.04, 0.38, "steel-dark", 0.035)
    pieces.add(F, "pot-anthracite", cylinder(0.07, 0.12, 10, (w * 0.2, 0.425, 0.0)), at)
    pieces.add(F, "leaves", sphere(0.11, (w * 0.2, 0.6, 0.0), rings=4, segments=7), at)
    pieces.block(at, w / 2, d / 2, 0.45)


def rug(p: Params, at: Placement, pieces: Pieces) -> None:
    w, d = p.size()
    pieces.add_box(F, p.text("material"), (w, 0.012, d), (0.0, 0.006, 0.0), at)


_BOOK_COLOURS = (
    "brand-green",
    "brand-yellow",
    "accent-blue",
    "plaster-terracotta",
    "laminate-white",
    "fabric-petrol",
)


def shelf(p: Params, at: Placement, pieces: Pieces) -> None:
    w, d = p.size()
    h = p.num("height")
    m = p.text("material")
    boards = max(2, round(h / 0.4))
    for sx in (-1, 1):
        pieces.add_box(F, m, (0.03, h, d), (sx * (w / 2 - 0.015), h / 2, 0.0), at)
    pieces.add_box(F, m, (w, h, 0.02), (0.0, h / 2, -d / 2 + 0.01), at)
    step = h / boards
    for k in range(boards + 1):
        y = min(k * step, h - 0.015)
        pieces.add_box(F, m, (w - 0.06, 0.03, d - 0.02), (0.0, y + 0.015, 0.01), at, skip=())
    # books and boxes: a fixed pattern that looks random
    seed = int(abs(at.x * 37 + at.z * 91)) + 7
    books = []
    for k in range(boards):
        x = -w / 2 + 0.06
        y = k * step + 0.03
        while x < w / 2 - 0.12:
            seed = (seed * 1103515245 + 12345) % 2**31
            bw = 0.04 + (seed % 7) * 0.012
            bh = min(step - 0.06, 0.2 + (seed % 5) * 0.03)
            if seed % 11 == 0:
                x += 0.15
                continue
            books.append((_BOOK_COLOURS[seed % len(_BOOK_COLOURS)], bw, bh, x + bw / 2, y))
            x += bw + 0.004
    for colour, bw, bh, x, y in books:
        pieces.add_box(F, colour, (bw, bh, d * 0.7), (x, y + bh / 2, 0.0), at, skip=("-y", "-z"))
    pieces.block(at, w / 2, d / 2, h)
    pieces.collide("shelf", at, (w, h, d), (0.0, h / 2, 0.0))


def lab_bench(p: Params, at: Placement, pieces: Pieces) -> None:
    w, d = p.size()
    h = 0.92
    pieces.add_box(
        F, "laminate-white", (w - 0.1, h - 0.14, d - 0.1), (0.0, (h - 0.14) / 2 + 0.1, 0.0), at
    )
    pieces.add_box(F, "steel-dark", (w - 0.16, 0.1, d - 0.16), (0.0, 0.05, 0.0), at)
    pieces.add_box(F, "laminate-grey", (w, 0.04, d), (0.0, h - 0.02, 0.0), at, skip=())
    # cabinet door lines: thin darker strips on both long faces
    doors = max(2, round(w / 0.6))
    for k in range(1, doors):
        x = -w / 2 + 0.05 + (w - 0.1) * k / doors
        for sz in (-1, 1):
            pieces.add_box(
                F,
                "laminate-grey",
                (0.01, h - 0.3, 0.01),
                (x, 0.5, sz * (d / 2 - 0.045)),
                at,
                skip=(),
            )
    # an upstand with a shelf and some experiment kit on top
    pieces.add_box(F, "steel", (0.04, 0.5, 0.04), (-w / 2 + 0.3, h + 0.25, 0.0), at)
    pieces.add_box(F, "steel", (0.04, 0.5, 0.04), (w / 2 - 0.3, h + 0.25, 0.0), at)
    pieces.add_box(F, "laminate-white", (w - 0.5, 0.03, 0.3), (0.0, h + 0.48, 0.0), at, skip=())
    pieces.add(F, "glass", cylinder(0.05, 0.18, 10, (-w / 4, h, 0.18)), at)
    pieces.add(F, "brand-green", cylinder(0.04, 0.1, 10, (-w / 4 + 0.15, h, 0.2)), at)
    pieces.add_box(F, "screen-bezel", (0.4, 0.26, 0.03), (w / 4, h + 0.15, -0.1), at, skip=())
    pieces.add_box(F, "accent-blue", (0.3, 0.12, 0.2), (w / 4 - 0.05, h + 0.06, 0.22), at)
    pieces.block(at, w / 2, d / 2, h + 0.5)
    pieces.collide("lab-bench", at, (w, h, d), (0.0, h / 2, 0.0))
    stools = p.int("stools")
    per_side = stools // 2
    for side in (-1, 1):
        for k in range(per_side):
            x = (k - (per_side - 1) / 2) * (w / max(per_side, 1))
            s_at = at.then(Placement(x, 0.0, side * (d / 2 + 0.3)))
            pieces.add(F, "steel", cylinder(0.025, 0.62, 6, caps=False), s_at)
            pieces.add(F, "steel", cylinder(0.18, 0.02, 10), s_at)
            pieces.add(F, "fabric-ochre", cylinder(0.17, 0.06, 12, (0.0, 0.62, 0.0)), s_at)
            pieces.block(s_at, 0.18, 0.18, 0.7, soft=True)


def stage(p: Params, at: Placement, pieces: Pieces) -> None:
    """A raised platform with steps at one front corner and a ramp down one side."""
    w, d = p.size()
    h = p.num("height")
    m = p.text("material")
    pieces.add_box(F, m, (w, 0.04, d), (0.0, h - 0.02, 0.0), at)
    pieces.add_box(F, "steel-dark", (w, h - 0.04, d), (0.0, (h - 0.04) / 2, 0.0), at)
    pieces.surfaces.append(
        Surface(Footprint(at.x, at.z, w / 2, d / 2, at.yaw), at.y + h, name="stage")
    )
    pieces.collide("stage", at, (w, h, d), (0.0, h / 2, 0.0))
    steps_side = p.text("steps")
    if steps_side in ("left", "right"):
        sx = 1.0 if steps_side == "right" else -1.0
        count = max(1, math.ceil(h / 0.16) - 1)
        rise = h / (count + 1)
        tread = 0.32
        for k in range(count):
            top = rise * (k + 1)
            z = d / 2 + tread * (count - k - 0.5)
            x = sx * (w / 2 - 0.9)
            pieces.add_box(F, m, (1.4, 0.03, tread), (x, top - 0.015, z), at)
            pieces.add_box(F, "steel-dark", (1.4, top - 0.03, tread), (x, (top - 0.03) / 2, z), at)
            c = at.point((x, 0.0, z))
            pieces.surfaces.append(
                Surface(
                    Footprint(float(c[0]), float(c[2]), 0.7, tread / 2, at.yaw),
                    at.y + top,
                    name="step",
                )
            )
    ramp_side = p.text("ramp")
    if ramp_side in ("left", "right"):
        sx = 1.0 if ramp_side == "right" else -1.0
        length = p.num("ramp_length")
        width = 1.2
        x = sx * (w / 2 + length / 2)
        z = d / 2 - width / 2 - 0.1
        slope = h / length
        # the wedge's high end meets the stage's side; turned round for a ramp on the left
        ramp_at = at.then(Placement(sx * w / 2, 0.0, z, 0.0 if sx > 0 else math.pi))
        pieces.add(F, m, wedge(length, width, h), ramp_at)
        c = at.point((x, 0.0, z))
        pieces.surfaces.append(
            Surface(
                Footprint(float(c[0]), float(c[2]), length / 2, width / 2, at.yaw),
                at.y + h / 2,
                slope_x=-sx * slope,
                name="ramp",
            )
        )
        # handrail on the open side
        rail_z = z + width / 2
        pieces.add_box(F, "steel", (length, 0.04, 0.04), (x, h / 2 + 0.9, rail_z), at, skip=())
        for k in range(3):
            px = sx * (w / 2 + length * (k + 0.5) / 3)
            pieces.add_box(
                F,
                "steel",
                (0.04, 0.95, 0.04),
                (px, h - slope * length * (k + 0.5) / 3 + 0.45, rail_z),
                at,
            )
        pieces.block(at, length / 2, 0.04, 1.2, local_x=x, local_z=rail_z)
    if p.flag("lectern"):
        lx, lz = w / 2 - 1.6, d / 2 - 0.8
        l_at = at.then(Placement(lx, h, lz, math.pi * 0.1))
        pieces.add_box(F, "wood-light", (0.6, 1.1, 0.45), (0.0, 0.55, 0.0), l_at)
        pieces.add_box(F, "brand-green", (0.62, 0.12, 0.02), (0.0, 0.8, 0.235), l_at, skip=())
        pieces.add_box(F, "wood-light", (0.66, 0.04, 0.5), (0.0, 1.12, -0.02), l_at, skip=())
        pieces.block(l_at, 0.3, 0.23, 1.15)


def seating(p: Params, at: Placement, pieces: Pieces) -> None:
    """Rows of chairs facing +Z... seen from the audience: ``facing`` is where they look."""
    rows, seats, blocks = p.int("rows"), p.int("seats"), p.int("blocks")
    pitch, spacing, aisle = p.num("pitch"), p.num("row_spacing"), p.num("aisle")
    block_w = seats * pitch
    total = blocks * block_w + (blocks - 1) * aisle
    for r in range(rows):
        z = -r * spacing
        for b in range(blocks):
            x0 = -total / 2 + b * (block_w + aisle)
            for s in range(seats):
                _chair_at(pieces, at, x0 + pitch * (s + 0.5), z, 0.0, p.text("material"))


def plant(p: Params, at: Placement, pieces: Pieces) -> None:
    h = p.num("height")
    pot_r = 0.16 + h * 0.06
    pot_h = 0.25 + h * 0.12
    pieces.add(F, p.text("pot_material"), cylinder(pot_r, pot_h, 12, top_radius=pot_r * 1.15), at)
    pieces.add(F, "soil", cylinder(pot_r * 1.08, 0.01, 12, (0.0, pot_h - 0.03, 0.0)), at)
    leaf = p.text("leaf_material")
    if p.text("shape") == "tall":
        pieces.add(F, "bark", cylinder(0.025, h * 0.7, 6, (0.0, pot_h, 0.0), caps=False), at)
        for dx, dy, dz, r in (
            (0, 0.75, 0, 0.32),
            (0.12, 0.58, 0.08, 0.26),
            (-0.1, 0.9, -0.06, 0.24),
        ):
            pieces.add(
                F,
                leaf,
                sphere(r * h / 1.6 + 0.1, (dx, pot_h + dy * (h - pot_h), dz), rings=5, segments=8),
                at,
            )
    else:
        blobs = (
            (0.0, 0.55, 0.0, 0.42),
            (0.18, 0.4, 0.1, 0.3),
            (-0.16, 0.42, -0.08, 0.32),
            (0.05, 0.8, -0.05, 0.28),
        )
        for dx, dy, dz, r in blobs:
            pieces.add(
                F,
                leaf,
                sphere(
                    r * h * 0.55, (dx * h, pot_h + dy * (h - pot_h), dz * h), rings=5, segments=8
                ),
                at,
            )
    pieces.block(at, pot_r * 1.1, pot_r * 1.1, h)


def tree(p: Params, at: Placement, pieces: Pieces) -> None:
    h, crown = p.num("height"), p.num("crown")
    trunk_h = h - crown * 1.3
    pieces.add(
        "landscape",
        "bark",
        cylinder(0.14 * h / 6, trunk_h + crown * 0.5, 8, top_radius=0.08 * h / 6),
        at,
    )
    blobs = (
        (0.0, 0.0, 0.0, 1.0),
        (0.45, -0.2, 0.25, 0.72),
        (-0.4, -0.1, -0.3, 0.75),
        (0.1, 0.45, -0.2, 0.7),
        (-0.2, -0.25, 0.45, 0.65),
    )
    for k, (dx, dy, dz, r) in enumerate(blobs):
        material = "leaves" if k % 2 == 0 else "leaves-dark"
        centre = (dx * crown, trunk_h + crown * (0.75 + dy), dz * crown)
        pieces.add(
            "landscape", material, sphere(crown * r, centre, rings=6, segments=9, squash=0.85), at
        )
    pieces.block(at, 0.3, 0.3, h)
    pieces.collide("tree", at, (0.4, trunk_h, 0.4), (0.0, trunk_h / 2, 0.0))


def tree_bench(p: Params, at: Placement, pieces: Pieces) -> None:
    """A round bench around a planted tree: a meeting point in the middle of a hall."""
    r = p.num("diameter") / 2
    pieces.add(F, "steel-dark", cylinder(r - 0.12, 0.4, 24), at)
    pieces.add(F, "planter-corten", cylinder(r - 0.45, 0.55, 20), at)
    pieces.add(F, "soil", cylinder(r - 0.5, 0.01, 20, (0.0, 0.54, 0.0)), at)
    segments = 18
    for k in range(segments):
        a = 2 * math.pi * (k + 0.5) / segments
        seat = at.then(Placement(math.sin(a) * (r - 0.22), 0.0, math.cos(a) * (r - 0.22), a))
        width = 2 * math.pi * (r - 0.02) / segments - 0.02
        pieces.add_box(F, "wood-light", (width, 0.05, 0.42), (0.0, 0.425, 0.0), seat)
    h = p.num("height")
    crown = h * 0.3
    pieces.add(F, "bark", cylinder(0.07, h - crown, 8, (0.0, 0.5, 0.0), top_radius=0.05), at)
    for dx, dy, dz, scale in (
        (0.0, 0.0, 0.0, 1.0),
        (0.35, -0.2, 0.2, 0.7),
        (-0.3, -0.1, -0.25, 0.75),
    ):
        centre = (dx * crown, h - crown * (0.4 - dy), dz * crown)
        pieces.add(F, "leaves", sphere(crown * scale, centre, rings=6, segments=9, squash=0.85), at)
    pieces.block(at, r * 0.8, r * 0.8, 0.5)
    pieces.collide("tree-bench", at, (2 * r * 0.8, 0.5, 2 * r * 0.8), (0.0, 0.25, 0.0))


def planter(p: Params, at: Placement, pieces: Pieces) -> None:
    w, d = p.size()
    h = p.num("height")
    pieces.add_box(F, p.text("material"), (w, h, d), (0.0, h / 2, 0.0), at)
    pieces.add_box(F, "soil", (w - 0.08, 0.02, d - 0.08), (0.0, h, 0.0), at, skip=())
    count = max(2, round(w / 0.5))
    for k in range(count):
        x = -w / 2 + w * (k + 0.5) / count
        r = 0.22 + 0.06 * ((k * 7) % 3)
        material = "leaves" if k % 3 else "leaves-dark"
        pieces.add(
            F,
            material,
            sphere(r, (x, h + r * 0.6, ((k % 2) - 0.5) * d * 0.3), rings=4, segments=7),
            at,
        )
    pieces.block(at, w / 2, d / 2, h + 0.3)
    pieces.collide("planter", at, (w, h, d), (0.0, h / 2, 0.0))


def raised_bed(p: Params, at: Placement, pieces: Pieces) -> None:
    w, d = p.size()
    h = 0.75
    boards = 4
    for k in range(boards):
        y = h * (k + 0.5) / boards
        for sz in (-1, 1):
            pieces.add_box(
                F,
                "wood-dark" if k % 2 else "wood-light",
                (w, h / boards - 0.01, 0.04),
                (0.0, y, sz * (d / 2 - 0.02)),
                at,
            )
        for sx in (-1, 1):
            pieces.add_box(
                F,
                "wood-dark" if k % 2 else "wood-light",
                (0.04, h / boards - 0.01, d),
                (sx * (w / 2 - 0.02), y, 0.0),
                at,
            )
    pieces.add_box(F, "soil", (w - 0.08, 0.02, d - 0.08), (0.0, h - 0.05, 0.0), at, skip=())
    for k in range(max(2, round(w / 0.35))):
        x = -w / 2 + 0.2 + k * 0.35
        if x > w / 2 - 0.15:
            break
        for sz in (-1, 1):
            pieces.add(
                F,
                "leaves" if (k + sz) % 2 else "leaves-dark",
                sphere(0.12, (x, h + 0.02, sz * d * 0.2), rings=4, segments=6, squash=0.7),
                at,
            )
    pieces.block(at, w / 2, d / 2, h)
    pieces.collide("raised-bed", at, (w, h, d), (0.0, h / 2, 0.0))


def bench(p: Params, at: Placement, pieces: Pieces) -> None:
    length = p.num("length")
    for k in range(4):
        pieces.add_box(
            F, "wood-light", (length, 0.03, 0.09), (0.0, 0.44, -0.16 + k * 0.105), at, skip=()
        )
    for k in range(2):
        pieces.add_box(
            F, "wood-light", (length, 0.09, 0.03), (0.0, 0.58 + k * 0.12, -0.22), at, skip=()
        )
    for sx in (-1, 1):
        pieces.add_box(
            F, "steel-dark", (0.06, 0.43, 0.42), (sx * (length / 2 - 0.15), 0.215, 0.0), at
        )
        pieces.add_box(
            F, "steel-dark", (0.05, 0.35, 0.05), (sx * (length / 2 - 0.15), 0.62, -0.23), at
        )
    pieces.block(at, length / 2, 0.25, 0.8)


def parasol(p: Params, at: Placement, pieces: Pieces) -> None:
    r = p.num("diameter") / 2
    pieces.add(F, "steel", cylinder(0.025, 2.3, 8, caps=False), at)
    pieces.add(F, "steel-dark", cylinder(0.3, 0.06, 12), at)
    canopy = cylinder(r, 0.45, 8, (0.0, 2.05, 0.0), top_radius=0.03, caps=False)
    pieces.add(F, p.text("material"), canopy, at)
    pieces.add(F, p.text("material"), cylinder(r, 0.15, 8, (0.0, 1.9, 0.0), caps=False), at)


def counter(p: Params, at: Placement, pieces: Pieces) -> None:
    w, d = p.size()
    h = 1.05
    pieces.add_box(
        F, p.text("front_material"), (w, h - 0.04, d - 0.05), (0.0, (h - 0.04) / 2, 0.0), at
    )
    pieces.add_box(
        F, "laminate-grey", (w + 0.06, 0.04, d + 0.05), (0.0, h - 0.02, 0.0), at, skip=()
    )
    pieces.add_box(F, "steel", (0.35, 0.42, 0.38), (-w / 2 + 0.4, h + 0.21, -0.08), at)
    pieces.add_box(
        F, "screen-bezel", (0.2, 0.1, 0.02), (-w / 2 + 0.4, h + 0.32, 0.115), at, skip=()
    )
    for k in range(4):
        pieces.add(F, "laminate-white", cylinder(0.04, 0.09, 8, (w / 4 + k * 0.12, h, 0.1)), at)
    pieces.add(F, "pot-terracotta", cylinder(0.1, 0.18, 10, (w / 2 - 0.2, h, 0.0)), at)
    pieces.add(F, "leaves", sphere(0.17, (w / 2 - 0.2, h + 0.3, 0.0), rings=4, segments=7), at)
    pieces.block(at, w / 2, d / 2, h)
    pieces.collide("counter", at, (w, h, d), (0.0, h / 2, 0.0))


def partition(p: Params, at: Placement, pieces: Pieces) -> None:
    w, h = p.size()
    pieces.add_box(F, p.text("material"), (w, h - 0.1, 0.06), (0.0, 0.1 + (h - 0.1) / 2, 0.0), at)
    for sx in (-1, 1):
        pieces.add_box(F, "steel-dark", (0.05, 0.02, 0.5), (sx * (w / 2 - 0.2), 0.01, 0.0), at)
        pieces.add_box(F, "steel-dark", (0.03, 0.12, 0.03), (sx * (w / 2 - 0.2), 0.06, 0.0), at)
    pieces.block(at, w / 2, 0.05, h)
    pieces.collide("partition", at, (w, h, 0.06), (0.0, h / 2, 0.0))


def pinboard(p: Params, at: Placement, pieces: Pieces) -> None:
    w, h = p.size()
    bottom = 0.5
    pieces.add_box(F, "frame", (w + 0.06, h + 0.06, 0.04), (0.0, bottom + h / 2, 0.0), at, skip=())
    pieces.add_box(F, "cork", (w, h, 0.01), (0.0, bottom + h / 2, 0.025), at, skip=())
    cards = ("brand-yellow", "laminate-white", "brand-green", "accent-blue", "plaster-terracotta")
    for k in range(9):
        cx = -w / 2 + 0.2 + (k % 3) * (w - 0.4) / 2
        cy = bottom + h - 0.3 - (k // 3) * (h - 0.4) / 2.5
        pieces.add_box(
            F, cards[(k * 3) % len(cards)], (0.22, 0.15, 0.005), (cx, cy, 0.033), at, skip=()
        )
    for sx in (-1, 1):
        pieces.add_box(
            F,
            "steel-dark",
            (0.04, bottom + h, 0.04),
            (sx * (w / 2 + 0.05), (bottom + h) / 2, 0.0),
            at,
        )
        pieces.add_box(F, "steel-dark", (0.05, 0.03, 0.5), (sx * (w / 2 + 0.05), 0.015, 0.0), at)
    pieces.block(at, w / 2 + 0.08, 0.1, bottom + h)


def flipchart(p: Params, at: Placement, pieces: Pieces) -> None:
    pieces.add_box(F, "whiteboard", (0.7, 1.0, 0.02), (0.0, 1.35, 0.0), at, skip=())
    pieces.add_box(F, "brand-green", (0.5, 0.04, 0.005), (0.0, 1.7, 0.012), at, skip=())
    pieces.add_box(F, "accent-blue", (0.4, 0.03, 0.005), (0.0, 1.6, 0.012), at, skip=())
    for sx in (-1, 1):
        pieces.add_box(F, "steel", (0.03, 1.85, 0.03), (sx * 0.3, 0.92, -0.05), at)
    pieces.add_box(F, "steel", (0.03, 1.6, 0.03), (0.0, 0.8, -0.45), at)
    pieces.block(at, 0.38, 0.3, 1.85, local_z=-0.2)


def pv_demo(p: Params, at: Placement, pieces: Pieces) -> None:
    """A solar module on a tilted demo frame, cells visible as a dark grid."""
    w, d = p.size()
    tilt = math.radians(30)
    y_mid = 0.6 + d / 2 * math.sin(tilt)
    cells_x, cells_z = 6, 3
    panel = merge(
        box(
            (w / cells_x - 0.02, 0.01, d / cells_z - 0.02),
            (-w / 2 + w / cells_x * (i + 0.5), 0.02, -d / 2 + d / cells_z * (j + 0.5)),
        )
        for i in range(cells_x)
        for j in range(cells_z)
    )
    frame = box((w, 0.04, d), (0.0, 0.0, 0.0))
    c, s = math.cos(tilt), math.sin(tilt)

    def tilted(mesh_positions: Any) -> Any:
        out = mesh_positions.copy()
        y, z = out[:, 1].copy(), out[:, 2].copy()
        out[:, 1] = y * c + z * s + y_mid
        out[:, 2] = -y * s + z * c
        return out

    for mesh, material in ((frame, "frame"), (panel, "solar-cell")):
        mesh.positions = tilted(mesh.positions)
        normals = mesh.normals.copy()
        ny, nz = normals[:, 1].copy(), normals[:, 2].copy()
        normals[:, 1] = ny * c + nz * s
        normals[:, 2] = -ny * s + nz * c
        mesh.normals = normals
        pieces.add(F, material, mesh, at)
    for sx in (-1, 1):
        pieces.add_box(
            F,
            "steel",
            (0.05, 0.6 + d * s * 0.9, 0.05),
            (sx * (w / 2 - 0.1), (0.6 + d * s * 0.9) / 2, -d / 2 * c + 0.1),
            at,
        )
        pieces.add_box(
            F, "steel", (0.05, 0.62, 0.05), (sx * (w / 2 - 0.1), 0.31, d / 2 * c - 0.1), at
        )
    pieces.add_box(F, "laminate-white", (0.3, 0.4, 0.15), (0.0, 0.2, -d / 2 * c + 0.15), at)
    pieces.block(at, w / 2, d * c / 2, 1.4)
    pieces.collide("pv-demo", at, (w, 1.4, d * c), (0.0, 0.7, 0.0))


def heat_pump(p: Params, at: Placement, pieces: Pieces) -> None:
    pieces.add_box(F, "laminate-white", (1.0, 0.75, 0.4), (0.0, 0.45, 0.0), at)
    pieces.add_box(F, "steel-dark", (0.52, 0.52, 0.01), (0.15, 0.46, 0.2), at, skip=())
    for k in range(5):
        pieces.add_box(F, "steel", (0.5, 0.015, 0.012), (0.15, 0.25 + k * 0.1, 0.207), at, skip=())
    pieces.add_box(F, "steel-dark", (0.06, 0.08, 0.35), (-0.4, 0.04, 0.0), at)
    pieces.add_box(F, "steel-dark", (0.06, 0.08, 0.35), (0.4, 0.04, 0.0), at)
    pieces.add_box(F, "brand-green", (0.25, 0.05, 0.01), (-0.3, 0.75, 0.205), at, skip=())
    pieces.block(at, 0.5, 0.2, 0.85)
    pieces.collide("heat-pump", at, (1.0, 0.85, 0.4), (0.0, 0.425, 0.0))


def floor_lamp(p: Params, at: Placement, pieces: Pieces) -> None:
    pieces.add(F, "steel-dark", cylinder(0.16, 0.03, 12), at)
    pieces.add(F, "steel-dark", cylinder(0.015, 1.5, 6, caps=False), at)
    pieces.add(F, "lamp", cylinder(0.22, 0.3, 12, (0.0, 1.45, 0.0), top_radius=0.15), at)
    pieces.block(at, 0.16, 0.16, 1.7)


def whiteboard(p: Params, at: Placement, pieces: Pieces) -> None:
    """A board hung on a wall: its back is at the piece's origin."""
    w, h = p.size()
    bottom = p.num("bottom")
    pieces.add_box(
        F, "frame", (w + 0.04, h + 0.04, 0.03), (0.0, bottom + h / 2, 0.015), at, skip=()
    )
    pieces.add_box(
        F, p.text("surface_material"), (w, h, 0.005), (0.0, bottom + h / 2, 0.032), at, skip=()
    )


def picture(p: Params, at: Placement, pieces: Pieces) -> None:
    """A framed picture on a wall (its back at the piece's origin); motifs in pictures.py."""
    w, h = p.size()
    motif = p.text("motif")
    y = p.num("bottom") + h / 2
    pieces.add_box(
        F, p.text("frame_material"), (w + 0.08, h + 0.08, 0.03), (0.0, y, 0.015), at, skip=()
    )
    plate = at.then(Placement(0.0, y, 0.036))
    pieces.signs.append(SignPlate(f"picture:{motif}", plate, w, h))


def wall_sign(p: Params, at: Placement, pieces: Pieces) -> None:
    """Lettering on a wall: a title and a smaller line below, on a plate in the hub's colours."""
    w = p.num("width")
    y = p.num("bottom") + w / 8
    pieces.add_box(
        F, p.text("plate_material"), (w + 0.08, w / 4 + 0.08, 0.03), (0.0, y, 0.015), at, skip=()
    )
    key = f"text:{p.text('title')}\n{p.text('subtitle')}"
    pieces.signs.append(SignPlate(key, at.then(Placement(0.0, y, 0.036)), w, w / 4))


CATALOGUE: dict[str, FurnitureType] = {
    "chair": FurnitureType(
        chair, {"material": "fabric-green", "frame_material": "steel-dark"}, "a chair"
    ),
    "table": FurnitureType(
        table,
        {
            "size": [1.6, 0.8],
            "height": 0.74,
            "material": "wood-oak",
            "frame_material": "steel-dark",
            "chairs": 0,
            "end_chairs": False,
            "chair_material": "fabric-green",
        },
        "a rectangular table, with chairs along its long sides",
    ),
    "round_table": FurnitureType(
        round_table,
        {
            "diameter": 0.9,
            "height": 0.74,
            "material": "wood-light",
            "frame_material": "steel-dark",
            "chairs": 0,
            "chair_material": "fabric-grey",
            "chair_offset": 0.0,
        },
        "a round table, chairs around it",
    ),
    "high_table": FurnitureType(
        high_table, {"diameter": 0.7, "material": "wood-light"}, "a standing table"
    ),
    "reception_desk": FurnitureType(
        reception_desk,
        {"size": [3.2, 0.8], "front_material": "brand-green", "chair_material": "fabric-grey"},
        "the welcome counter with two seats behind it",
    ),
    "sofa": FurnitureType(sofa, {"width": 2.2, "material": "fabric-green"}, "a sofa"),
    "armchair": FurnitureType(armchair, {"material": "fabric-ochre"}, "an armchair"),
    "coffee_table": FurnitureType(
        coffee_table, {"size": [1.2, 0.6], "material": "wood-light"}, "a low table"
    ),
    "rug": FurnitureType(rug, {"size": [3.0, 2.0], "material": "rug"}, "a rug (walkable)"),
    "shelf": FurnitureType(
        shelf, {"size": [2.0, 0.4], "height": 2.0, "material": "wood-light"}, "a shelf with books"
    ),
    "lab_bench": FurnitureType(
        lab_bench, {"size": [3.0, 1.2], "stools": 4}, "an experiment bench with stools"
    ),
    "stage": FurnitureType(
        stage,
        {
            "size": [10.0, 3.2],
            "height": 0.45,
            "material": "wood-oak",
            "steps": "right",
            "ramp": "left",
            "ramp_length": 3.0,
            "lectern": True,
        },
        "a raised stage (walkable) with steps, a ramp and a lectern",
    ),
    "seating": FurnitureType(
        seating,
        {
            "rows": 8,
            "seats": 5,
            "blocks": 2,
            "pitch": 0.6,
            "row_spacing": 0.95,
            "aisle": 1.4,
            "material": "fabric-petrol",
        },
        "rows of chairs in blocks; 'at' is the middle of the front row",
    ),
    "plant": FurnitureType(
        plant,
        {
            "height": 1.4,
            "shape": "bush",
            "pot_material": "pot-terracotta",
            "leaf_material": "leaves",
        },
        "a potted plant (shape bush or tall)",
    ),
    "tree": FurnitureType(tree, {"height": 7.0, "crown": 2.2}, "a tree"),
    "tree_bench": FurnitureType(
        tree_bench, {"diameter": 2.6, "height": 3.6}, "a round bench around a planted tree"
    ),
    "planter": FurnitureType(
        planter,
        {"size": [2.4, 0.6], "height": 0.55, "material": "planter-corten"},
        "a planter with shrubs",
    ),
    "raised_bed": FurnitureType(raised_bed, {"size": [2.0, 1.0]}, "a raised vegetable bed"),
    "bench": FurnitureType(bench, {"length": 1.8}, "an outdoor bench"),
    "parasol": FurnitureType(parasol, {"diameter": 2.8, "material": "parasol"}, "a parasol"),
    "counter": FurnitureType(
        counter, {"size": [3.2, 0.7], "front_material": "wood-oak"}, "a coffee bar counter"
    ),
    "partition": FurnitureType(
        partition, {"size": [2.4, 1.6], "material": "acoustic-green"}, "an acoustic partition"
    ),
    "pinboard": FurnitureType(
        pinboard, {"size": [1.6, 1.2]}, "a free-standing pinboard with cards"
    ),
    "flipchart": FurnitureType(flipchart, {}, "a flipchart"),
    "pv_demo": FurnitureType(pv_demo, {"size": [1.8, 1.0]}, "a solar module on a demo frame"),
    "heat_pump": FurnitureType(heat_pump, {}, "a heat pump unit (demo)"),
    "floor_lamp": FurnitureType(floor_lamp, {}, "a floor lamp"),
    "picture": FurnitureType(
        picture,
        {"size": [1.2, 0.9], "motif": "ruhr", "bottom": 1.3, "frame_material": "wood-dark"},
        "a framed picture on a wall (motif ruhr, solar, forest or chart)",
    ),
    "wall_sign": FurnitureType(
        wall_sign,
        {"width": 3.2, "title": "", "subtitle": "", "bottom": 2.2, "plate_material": "brand-green"},
        "lettering on a wall: title and subtitle",
        required=("title",),
    ),
    "whiteboard": FurnitureType(
        whiteboard,
        {"size": [2.4, 1.2], "bottom": 0.9, "surface_material": "whiteboard"},
        "a board on a wall",
    ),
}


def furniture_params(
    kind_name: str, given: dict[str, Any], where: str, materials: set[str]
) -> Params:
    """A ``[[furniture]]`` entry's checked parameters (raises naming the entry if wrong)."""
    kind = CATALOGUE.get(kind_name)
    if kind is None:
        raise InputFileError(f"{where}: unknown type (known: {', '.join(sorted(CATALOGUE))})")
    missing = [key for key in kind.required if not given.get(key)]
    if missing:
        raise InputFileError(f"{where}: needs {', '.join(missing)}")
    return Params(given, kind.defaults, where, materials)


def place_furniture(item: FurniturePlan, pieces: Pieces, materials: set[str]) -> None:
    """Build one ``[[furniture]]`` entry at each of its positions."""
    params = furniture_params(item.type, item.params, item.where, materials)
    kind = CATALOGUE[item.type]
    for x, z in item.positions:
        kind.build(params, Placement(x, item.elevation, z, item.yaw), pieces)
