"""The walkable-floor grid on its own: layers, boxes taken away, both ways of clamping."""

from __future__ import annotations

import math

import numpy as np

from world.floor import WalkableFloor
from world.model import World


def _gallery_hall() -> WalkableFloor:
    """A 10 x 10 m hall with a gallery 3 m up over its first 4 m, and a ramp up to it."""
    ramp = [
        ((8.0, 0.0, 10.0), (10.0, 0.0, 10.0), (10.0, 3.0, 4.0)),
        ((8.0, 0.0, 10.0), (10.0, 3.0, 4.0), (8.0, 3.0, 4.0)),
    ]
    return WalkableFloor.from_triangles(
        np.concatenate([_rect_tris(0, 8, 0, 10, 0.0), _rect_tris(0, 10, 0, 4, 3.0), np.array(ramp)])
    )


def _rect_tris(x0: float, x1: float, z0: float, z1: float, y: float) -> np.ndarray:
    a, b, c, d = (x0, y, z0), (x1, y, z0), (x1, y, z1), (x0, y, z1)
    return np.array([(a, c, b), (a, d, c)])


def test_floors_above_each_other_are_layers() -> None:
    floor = _gallery_hall()
    assert floor.shape[0] == 2
    assert WalkableFloor.from_rectangles([(0, 8, 0, 10, 0.0), (0, 10, 0, 4, 3.0)]).shape[0] == 2
    heights = floor.floor_height([(5, 0, 2), (5, 3, 2), (5, 1.5, 2), (5, 0, 8), (9, 1.5, 7)])
    assert heights[:2].tolist() == [0.0, 3.0]
    assert math.isnan(heights[2]), "between the floors"
    assert heights[3] == 0.0
    assert 1.0 < heights[4] < 2.0, "halfway up the ramp"


def test_each_avatar_keeps_to_its_own_layer() -> None:
    floor = _gallery_hall()
    moved = floor.clamp_step([(5, 3, 2), (5, 0, 2), (9, 0, 9.9)], [(5, 3, 8), (5, 0, 8), (9, 0, 1)])
    assert moved[0, 1] == 3.0 and 3.5 < moved[0, 2] < 4.0, "the gallery's edge holds"
    assert np.allclose(moved[1], (5, 0, 8)), "under the gallery, on the ground"
    assert np.allclose(moved[2], (9, 3, 1)), "up the ramp onto the gallery"


def test_a_thin_turned_wall_cannot_be_crossed_from_any_direction() -> None:
    floor = WalkableFloor.from_rectangles([(-10, 10, -10, 10, 0.0)])
    yaw = math.radians(33)
    rotation = np.array(
        [[math.cos(yaw), 0, math.sin(yaw)], [0, 1, 0], [-math.sin(yaw), 0, math.cos(yaw)]]
    )
    floor.subtract_boxes([(0, 1.5, 0)], [(0.02, 1.5, 6)], [rotation])  # 4 cm thick, 12 m long
    rng = np.random.default_rng(3)
    normal = rotation @ np.array([1.0, 0.0, 0.0])
    along = rotation @ np.array([0.0, 0.0, 1.0])
    n = 400
    starts = along[None] * rng.uniform(-4, 4, (n, 1)) - normal[None] * rng.uniform(0.3, 5, (n, 1))
    ends = along[None] * rng.uniform(-4, 4, (n, 1)) + normal[None] * rng.uniform(0.3, 30, (n, 1))
    moved = floor.clamp_step(starts, ends)
    assert (moved @ normal < 0).all(), "a step crossed a 4 cm wall"
    steps = max(1, math.ceil(np.hypot(*(ends - starts)[:, [0, 2]].T).max() / (floor.cell / 3)))
    assert np.array_equal(floor._clamp_layered(starts, ends - starts, steps), moved)


def test_the_quick_and_the_careful_way_agree_on_the_hub(hub: World) -> None:
    floor = hub.floor
    rng = np.random.default_rng(11)
    spawns = np.stack([s.position for s in hub.spawns])
    n = 300
    starts = spawns[rng.integers(0, len(spawns), n)] + np.column_stack(
        [rng.uniform(-3, 3, n), rng.uniform(-0.3, 0.3, n), rng.uniform(-3, 3, n)]
    )
    angle = rng.uniform(0, 2 * math.pi, n)
    length = rng.uniform(0, 25, n)
    delta = np.column_stack([np.sin(angle) * length, np.zeros(n), np.cos(angle) * length])
    steps = max(1, math.ceil(length.max() / (floor.cell / 3)))
    quick = floor._clamp_flat(starts, delta, steps)
    careful = floor._clamp_layered(starts, delta, steps)
    assert np.array_equal(quick, careful)
