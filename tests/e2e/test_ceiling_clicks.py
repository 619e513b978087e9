"""Ceilings in the real client: a click on one walks nowhere, a click on the floor still walks.

A visitor enters the hub (real server, real Chromium), looks straight up by dragging the
view and clicks: the ray meets the ceiling, so they stay where they are. Then they look
ahead again and click on the floor in front of them: they walk there.
"""

from __future__ import annotations

import io
import math

import numpy as np
import pytest
from conftest import ARTIFACTS, Visitor, Visitors
from PIL import Image

from world.model import World

pytestmark = pytest.mark.e2e


def _drag_vertically(visitor: Visitor, upward: bool) -> None:
    box = visitor.page.locator("#view").bounding_box()
    assert box is not None
    x = box["x"] + box["width"] / 2
    low, high = box["y"] + box["height"] - 10, box["y"] + 10
    start, end = (low, high) if upward else (high, low)
    for _ in range(2):
        visitor.page.mouse.move(x, start)
        visitor.page.mouse.down()
        visitor.page.mouse.move(x, end, steps=8)
        visitor.page.mouse.up()
        visitor.frames(2)


def _position(visitor: Visitor) -> tuple[float, float]:
    p = visitor.state()["position"]
    return float(p["x"]), float(p["z"])


def _away_from_stations(world: World, room: str) -> tuple[float, float]:
    """The room's spawn point farthest from every station (none opens its panel there)."""
    stations = [a.position for a in world.anchors_of("station")]

    def clearance(spawn: object) -> float:
        x, _, z = spawn.position  # type: ignore[attr-defined]
        return min((math.dist((x, z), (sx, sz)) for sx, _, sz in stations), default=99.0)

    best = max(world.spawns_for(room), key=clearance)
    return float(best.position[0]), float(best.position[2])


def test_a_click_on_the_ceiling_walks_nowhere(visitors: Visitors, world_model: World) -> None:
    cleo = visitors.new("Cleo")
    room = cleo.state()["room"]
    x, z = _away_from_stations(world_model, room)
    for _ in range(3):
        if cleo.walk_to(x, z)["arrived"]:
            break
    cleo.wait_for("s.stations.open === null")
    # facing into the room, not at a wall close by: above is then ceiling, ahead is floor
    cx, _, cz = world_model.room(room).centre
    cleo.page.evaluate("([x, z]) => window.hubtwin.lookAt(x, z)", [float(cx), float(cz)])
    cleo.frames(2)
    box = cleo.page.locator("#view").bounding_box()
    assert box is not None
    centre = (box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)

    # straight up (the drag turns the gaze to its limit, about 77 degrees): the ceiling
    _drag_vertically(cleo, upward=True)
    png = cleo.page.screenshot()
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "ceiling-overhead.png").write_bytes(png)
    pixels = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=np.float64)
    h, w = pixels.shape[:2]
    r, g, b = pixels[h // 2 - 20 : h // 2 + 20, w // 2 - 20 : w // 2 + 20].mean(axis=(0, 1))
    assert b - r < 25 and r > 120, f"no ceiling overhead, but ({r:.0f}, {g:.0f}, {b:.0f})"
    before = _position(cleo)
    cleo.page.mouse.click(*centre)
    cleo.frames(12)
    after = _position(cleo)
    assert math.dist(before, after) < 0.05, f"a click on the ceiling walked {before} -> {after}"

    # ahead again, a click low in the view: the floor a few metres ahead, and off they go
    x, z = before
    cleo.page.evaluate("([x, z]) => window.hubtwin.lookAt(x, z)", [float(cx), float(cz)])
    cleo.frames(2)
    cleo.page.mouse.click(centre[0], box["y"] + box["height"] * 0.8)
    cleo.wait_for(
        "Math.hypot(s.position.x - arg[0], s.position.z - arg[1]) > 0.5", [x, z], timeout_ms=40000
    )
