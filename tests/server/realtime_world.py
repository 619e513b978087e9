"""A small world of box rooms for the realtime tests: the ``WorldView`` shape, vectorised.

Layout (metres, floor at y = 0; x to the right, z down the page)::

    z=-12  +-- workshop (24) --+
           |                   |
    z=0    +---door x 8..12----+------------------------------+
           |                   |                              |
           |   foyer (50)     door z 8..12    hall (800)      |
           |                   |                              |
    z=20   +---- wall ---------+                              |
           |   lab (10)        |  (lab is next to the foyer,  |
    z=30   +-------------------+   but there is no door)      |
                               +------------------------------+ z=40
    x=0                      x=20                            x=60
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

DOOR_DEPTH = 0.6


@dataclass(frozen=True)
class BoxRoom:
    id: str
    names: dict[str, str]
    kind: str
    capacity: int
    bounds_min: NDArray[np.float64]
    bounds_max: NDArray[np.float64]
    links: tuple[str, ...] = ()
    moderated: bool = False


@dataclass(frozen=True)
class BoxSpawn:
    id: str
    room_id: str
    position: NDArray[np.float64]
    yaw: float


@dataclass(frozen=True)
class BoxDoor:
    rooms: tuple[str, str]
    low: NDArray[np.float64]  # x, z
    high: NDArray[np.float64]


@dataclass
class BoxWorld:
    rooms: list[BoxRoom]
    doors: list[BoxDoor]
    digest: str = "box-world"
    anchors: list[object] = field(default_factory=list)

    @property
    def entrance(self) -> str:
        return self.rooms[0].id

    def room(self, room_id: str) -> BoxRoom:
        return self.rooms[self.room_index(room_id)]

    def room_index(self, room_id: str) -> int:
        for i, room in enumerate(self.rooms):
            if room.id == room_id:
                return i
        raise KeyError(room_id)

    def spawns_for(self, room_id: str) -> list[BoxSpawn]:
        room = self.room(room_id)
        centre = (room.bounds_min + room.bounds_max) / 2
        return [BoxSpawn(f"{room_id}-spawn", room_id, np.array([centre[0], 0.0, centre[2]]), 0.0)]

    def _rects(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        lows = np.array([[r.bounds_min[0], r.bounds_min[2]] for r in self.rooms])
        highs = np.array([[r.bounds_max[0], r.bounds_max[2]] for r in self.rooms])
        return lows, highs

    def room_at(self, points: NDArray[np.floating]) -> NDArray[np.intp]:
        pts = np.asarray(points, dtype=np.float64).reshape(-1, 3)
        lows, highs = self._rects()
        xz = pts[:, [0, 2]][:, None, :]
        inside = ((xz > lows[None]) & (xz < highs[None])).all(axis=2)
        inside &= (np.abs(pts[:, 1]) < 0.5)[:, None]
        return np.where(inside.any(axis=1), inside.argmax(axis=1), -1)

    def is_walkable(self, points: NDArray[np.floating]) -> NDArray[np.bool_]:
        pts = np.asarray(points, dtype=np.float64).reshape(-1, 3)
        return (self.room_at(pts) >= 0) | self._in_door(pts)

    def _in_door(self, pts: NDArray[np.float64]) -> NDArray[np.bool_]:
        out = np.zeros(len(pts), dtype=bool)
        for door in self.doors:
            xz = pts[:, [0, 2]]
            out |= ((xz >= door.low) & (xz <= door.high)).all(axis=1) & (np.abs(pts[:, 1]) < 0.5)
        return out

    def clamp_step(
        self, start: NDArray[np.floating], end: NDArray[np.floating]
    ) -> NDArray[np.float64]:
        start = np.asarray(start, dtype=np.float64).reshape(-1, 3)
        end = np.asarray(end, dtype=np.float64).reshape(-1, 3).copy()
        from_room = self.room_at(start)
        to_room = self.room_at(end)
        through_door = self._in_door(start) | self._in_door(end)
        leave = (from_room >= 0) & (to_room != from_room) & ~through_door
        lows, highs = self._rects()
        for i in np.flatnonzero(leave):
            r = from_room[i]
            end[i, 0] = np.clip(end[i, 0], lows[r, 0] + 0.05, highs[r, 0] - 0.05)
            end[i, 2] = np.clip(end[i, 2], lows[r, 1] + 0.05, highs[r, 1] - 0.05)
        return end

    def nearest_walkable(self, points: NDArray[np.floating]) -> NDArray[np.float64]:
        pts = np.asarray(points, dtype=np.float64).reshape(-1, 3)
        lows, highs = self._rects()
        out = np.empty_like(pts)
        for i, p in enumerate(pts):
            xz = p[[0, 2]]
            clipped = np.clip(xz[None], lows + 0.05, highs - 0.05)
            best = np.argmin(np.linalg.norm(clipped - xz[None], axis=1))
            out[i] = [clipped[best, 0], 0.0, clipped[best, 1]]
        return out


def _room(
    room_id: str, capacity: int, low: tuple[float, float], high: tuple[float, float], links: tuple
) -> BoxRoom:
    return BoxRoom(
        room_id,
        {"de": room_id.capitalize(), "en": room_id.capitalize()},
        "room",
        capacity,
        np.array([low[0], 0.0, low[1]]),
        np.array([high[0], 3.0, high[1]]),
        links,
    )


def box_world(*, hall_capacity: int = 800, workshop_capacity: int = 24) -> BoxWorld:
    rooms = [
        _room("foyer", 50, (0, 0), (20, 20), ("hall", "workshop")),
        _room("hall", hall_capacity, (20, 0), (60, 40), ("foyer",)),
        _room("workshop", workshop_capacity, (0, -12), (20, 0), ("foyer",)),
        _room("lab", 10, (0, 20), (20, 30), ()),
    ]
    doors = [
        BoxDoor(
            ("foyer", "hall"),
            np.array([20 - DOOR_DEPTH, 8.0]),
            np.array([20 + DOOR_DEPTH, 12.0]),
        ),
        BoxDoor(
            ("foyer", "workshop"),
            np.array([8.0, -DOOR_DEPTH]),
            np.array([12.0, DOOR_DEPTH]),
        ),
    ]
    return BoxWorld(rooms, doors)
