"""The world as the server knows it: rooms, spawn points, anchors, doors, the walkable floor.

``load(path)`` reads a hub model (ours or any made to docs/world-format.md) into a ``World``.
A ``World`` can also be made directly, e.g. in tests::

    world = World(rooms=[Room("hall", {"de": "Halle", "en": "Hall"}, "foyer", 20,
                               (0, 0, 0), (10, 3, 8))])
    world.room_at([[5, 0, 4], [50, 0, 4]])      # -> array([ 0, -1])

Coordinates are glTF's: metres, Y up, the floor is the XZ plane. Yaw is the rotation about
+Y in radians; yaw 0 looks along +Z, yaw pi/2 along +X. The spatial queries take (N, 3)
arrays and answer for all N at once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from world.floor import Points, WalkableFloor, as_points
from world.gltf_reader import read_gltf, read_gltf_file
from world.places import Anchor, Door, Room, SpawnPoint, UnknownRoomError
from world.venue import read_venue

__all__ = ["Anchor", "Door", "Room", "SpawnPoint", "UnknownRoomError", "World", "load"]


class World:
    """A loaded hub: what is where, and where one may walk."""

    def __init__(
        self,
        rooms: Sequence[Room],
        spawns: Sequence[SpawnPoint] = (),
        anchors: Sequence[Anchor] = (),
        doors: Sequence[Door] = (),
        floor: WalkableFloor | None = None,
        digest: str = "",
        source: str = "<built in memory>",
        meta: dict[str, Any] | None = None,
    ) -> None:
        if not rooms:
            raise ValueError("a world needs at least one room")
        self.rooms: list[Room] = list(rooms)
        self.spawns: list[SpawnPoint] = list(spawns)
        self.anchors: list[Anchor] = list(anchors)
        self.doors: list[Door] = list(doors)
        self.source = source
        self.meta: dict[str, Any] = dict(meta or {})
        self._room_index = {room.id: i for i, room in enumerate(self.rooms)}
        if len(self._room_index) != len(self.rooms):
            raise ValueError("two rooms share an id")
        self._anchor_index = {a.id: a for a in self.anchors}
        self.floor = (
            floor
            if floor is not None
            else WalkableFloor.from_rectangles(
                (
                    r.bounds_min[0],
                    r.bounds_max[0],
                    r.bounds_min[2],
                    r.bounds_max[2],
                    r.bounds_min[1],
                )
                for r in self.rooms
            )
        )
        self.digest = (
            digest or hashlib.sha256(repr([r.id for r in self.rooms]).encode()).hexdigest()
        )
        self._mins = np.stack([r.bounds_min for r in self.rooms])
        #: rooms on more than one level, where a point may be in a room and the one below
        self._stacked = bool(np.ptp(self._mins[:, 1]) > 0)
        self._maxs = np.stack([r.bounds_max for r in self.rooms])
        self._anchor_positions = (
            np.stack([a.position for a in self.anchors]) if self.anchors else np.zeros((0, 3))
        )

    def __repr__(self) -> str:
        return (
            f"World({self.source!r}, rooms={len(self.rooms)}, spawns={len(self.spawns)}, "
            f"anchors={len(self.anchors)}, digest={self.digest[:12]})"
        )

    # --- lookups -----------------------------------------------------------------------------

    def room(self, room_id: str) -> Room:
        return self.rooms[self.room_index(room_id)]

    @property
    def entrance(self) -> str:
        """The room newcomers arrive in: the venue's ``entrance`` (a site names it in
        ``[building] entrance``); a model that names none, or no room of its own, starts
        visitors in its first room."""
        named = self.meta.get("entrance")
        return named if isinstance(named, str) and named in self._room_index else self.rooms[0].id

    def room_index(self, room_id: str) -> int:
        try:
            return self._room_index[room_id]
        except (KeyError, TypeError):
            known = ", ".join(self._room_index)
            raise UnknownRoomError(
                f"no room {room_id!r} in {self.source} (rooms: {known})"
            ) from None

    def has_room(self, room_id: str) -> bool:
        return room_id in self._room_index

    def spawns_for(self, room_id: str) -> list[SpawnPoint]:
        self.room_index(room_id)
        return [s for s in self.spawns if s.room_id == room_id]

    def anchor(self, anchor_id: str) -> Anchor:
        try:
            return self._anchor_index[anchor_id]
        except KeyError:
            raise UnknownRoomError(f"no anchor {anchor_id!r} in {self.source}") from None

    def anchors_of(self, kind: str, room_id: str | None = None) -> list[Anchor]:
        return [
            a for a in self.anchors if a.kind == kind and (room_id is None or a.room_id == room_id)
        ]

    def anchors_near(
        self, point: npt.ArrayLike, radius: float, kind: str | None = None
    ) -> list[Anchor]:
        """Anchors within ``radius`` metres of ``point`` (optionally of one kind), nearest first."""
        if not self.anchors:
            return []
        p = as_points(point, "point")[0]
        dist = np.linalg.norm(self._anchor_positions - p, axis=1)
        order = np.argsort(dist, kind="stable")
        return [
            self.anchors[i]
            for i in order
            if dist[i] <= radius and (kind is None or self.anchors[i].kind == kind)
        ]

    def doors_of(self, room_id: str) -> list[Door]:
        return [d for d in self.doors if room_id in (d.room_a, d.room_b)]

    # --- spatial queries (vectorised) ----------------------------------------------------------

    def room_at(self, points: npt.ArrayLike) -> npt.NDArray[np.intp]:
        """Index of the room each point is in (-1 outside every room).

        A point on the floor of an upper room is also on the ceiling of the room below when
        that reaches up to it: the room whose floor is highest wins.
        """
        p = as_points(points)
        inside = np.all(
            (p[:, None, :] >= self._mins[None, :, :]) & (p[:, None, :] <= self._maxs[None, :, :]),
            axis=2,
        )
        found = inside.any(axis=1)
        if self._stacked:
            inside = np.where(inside, self._mins[None, :, 1], -np.inf)
        return np.where(found, np.argmax(inside, axis=1), -1).astype(np.intp)

    def is_walkable(self, points: npt.ArrayLike) -> npt.NDArray[np.bool_]:
        """Whether someone may stand at each point (floor within reach of the feet)."""
        return self.floor.is_walkable(points)

    def clamp_step(self, start: npt.ArrayLike, end: npt.ArrayLike) -> Points:
        """Each move from ``start`` to ``end``, stopped before walls and off-floor gaps."""
        return self.floor.clamp_step(start, end)

    def nearest_walkable(self, points: npt.ArrayLike) -> Points:
        """Each point moved to the nearest place one may stand."""
        return self.floor.nearest_walkable(points)

    def floor_height(self, points: npt.ArrayLike) -> npt.NDArray[np.float64]:
        return self.floor.floor_height(points)


def load(source: Path | str | bytes) -> World:
    """Load a hub model from a file path (GLB or .gltf) or from GLB/glTF bytes.

    Raises ``world.errors.InputFileError`` (``ModelFileError``) naming the file and what is
    wrong when it is missing, cut short, not glTF, or lacks rooms, spawn points or a floor.
    """
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
        doc = read_gltf(data)
    else:
        doc, data = read_gltf_file(source)
    venue = read_venue(doc)
    venue.raise_if_unusable()
    floor = venue.walkable_floor()
    return World(
        rooms=venue.rooms,
        spawns=venue.spawns,
        anchors=venue.anchors,
        doors=venue.doors,
        floor=floor,
        digest=hashlib.sha256(data).hexdigest(),
        source=doc.source,
        meta=venue.meta,
    )
