"""What visitors see at an anchor: station stands, screen frames, the events board.

Screens are different from everything else: their mesh lives on the anchor's own node so a
client can find it and put a talk on it (the primitive with the material named "poster").
"""

from __future__ import annotations

import math

from world.building import AnchorPlan, BuildingPlan
from world.geometry import Mesh, Placement, box, quad
from world.pieces import Pieces, SignPlate

F = "furniture"


def anchor_placement(plan: BuildingPlan, anchor: AnchorPlan) -> Placement:
    room = plan.room(anchor.room)
    return Placement(anchor.x, room.elevation + anchor.elevation, anchor.z, anchor.yaw)


def add_station_stand(anchor: AnchorPlan, at: Placement, pieces: Pieces) -> None:
    """A slim stand: base, post, a tilted display and the station's title plate above it."""
    pieces.add_box(F, "steel-dark", (0.56, 0.04, 0.4), (0.0, 0.02, 0.0), at)
    pieces.add_box(F, "steel-dark", (0.08, 1.05, 0.08), (0.0, 0.56, -0.08), at)
    tilt = Placement(0.0, 1.12, 0.0, 0.0)
    display = at.then(tilt)
    # the display leans back by 20 degrees: build it as a thin box and tilt its vertices
    slab = box((0.72, 0.48, 0.04), (0.0, 0.0, 0.0))
    face = box((0.66, 0.42, 0.005), (0.0, 0.0, 0.022))
    lean = math.radians(20)
    c, s = math.cos(lean), math.sin(lean)
    for mesh, material in ((slab, "brand-green"), (face, "screen-bezel")):
        for arr in (mesh.positions, mesh.normals):
            y, z = arr[:, 1].copy(), arr[:, 2].copy()
            arr[:, 1] = y * c - z * s
            arr[:, 2] = y * s + z * c
        pieces.add(F, material, mesh, display)
    # the station's name, large enough to find it from across the room
    plate = at.then(Placement(0.0, 1.74, -0.05, 0.0))
    pieces.add_box(F, "brand-green", (1.26, 0.35, 0.03), (0.0, 0.0, -0.02), plate, skip=())
    pieces.signs.append(SignPlate(f"station:{anchor.id}", plate, 1.2, 0.3))
    pieces.block(at, 0.3, 0.22, 1.8)
    pieces.collide(f"station-{anchor.id}", at, (0.6, 1.8, 0.45), (0.0, 0.9, 0.0))


def screen_meshes(width: float, height: float) -> list[tuple[str, Mesh]]:
    """The screen in its own frame: a dark frame and the poster surface facing +Z."""
    return [
        ("screen-bezel", box((width + 0.12, height + 0.12, 0.06), (0.0, 0.0, -0.03))),
        ("poster", quad(width, height, (0.0, 0.0, 0.002))),
    ]


def add_board(anchor: AnchorPlan, at: Placement, pieces: Pieces) -> None:
    """A wall-mounted events board: cork, a frame, pinned cards, a header sign above."""
    w, h = anchor.size or (3.0, 1.5)
    pieces.add_box(F, "wood-light", (w + 0.1, h + 0.1, 0.04), (0.0, 0.0, -0.02), at, skip=())
    pieces.add_box(F, "cork", (w, h, 0.01), (0.0, 0.0, 0.005), at, skip=())
    cards = ("brand-yellow", "laminate-white", "brand-green", "laminate-white", "accent-blue")
    columns = max(2, int(w / 0.7))
    for k in range(columns * 2):
        col, row = k % columns, k // columns
        x = -w / 2 + (col + 0.5) * w / columns
        y = h / 4 - row * h / 2 + (0.05 if (k % 3) else -0.04)
        pieces.add_box(
            F,
            cards[k % len(cards)],
            (w / columns * 0.7, h * 0.32, 0.004),
            (x, y, 0.012),
            at,
            skip=(),
        )
    header = at.then(Placement(0.0, h / 2 + 0.32, 0.0))
    pieces.signs.append(SignPlate(f"board:{anchor.id}", header, min(2.4, w), min(2.4, w) / 4))
    pieces.add_box(
        F,
        "wood-light",
        (min(2.4, w) + 0.06, min(2.4, w) / 4 + 0.06, 0.03),
        (0.0, 0.0, -0.02),
        header,
        skip=(),
    )
