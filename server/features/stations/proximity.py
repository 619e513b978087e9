"""Who stands at which learning station, for many visitors at once (numpy, no I/O).

``StationProximity`` answers "which station is each of these positions at?" in one vectorised
step: the nearest station within the radius, measured on the floor plan, on the same floor and
in the same room (a station behind a wall does not count). ``ProximityWatch`` keeps, per
visitor, the station they are at and reports only changes, with a little hysteresis (enter
within 2.5 m, leave beyond 3 m) so someone standing on the edge does not flicker in and out.

>>> watch = ProximityWatch(StationProximity(catalogue))                    # doctest: +SKIP
>>> watch.update(["g-1", "g-2"], positions, rooms=["foyer", "werkstatt"])  # doctest: +SKIP
[ProximityChange(visitor_id='g-1', station_id='ghg-scopes', entered=True)]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from server.features.stations.catalogue import StationCatalogue

ENTER_RADIUS = 2.5
LEAVE_RADIUS = 3.0
FLOOR_TOLERANCE = 2.0  # metres between a visitor's feet and a station's anchor height


@dataclass(frozen=True)
class ProximityChange:
    visitor_id: str
    station_id: str
    entered: bool  # False: left


class StationProximity:
    """The placed stations of a catalogue as arrays, for distance queries."""

    def __init__(
        self,
        catalogue: StationCatalogue,
        enter_radius: float = ENTER_RADIUS,
        leave_radius: float = LEAVE_RADIUS,
    ) -> None:
        if leave_radius < enter_radius:
            raise ValueError("leave_radius must be at least enter_radius")
        placed = [s for s in catalogue.stations if s.place is not None]
        self.station_ids: tuple[str, ...] = tuple(s.id for s in placed)
        self.enter_radius = enter_radius
        self.leave_radius = leave_radius
        positions = [s.place.position for s in placed if s.place is not None]
        self._xyz = np.array(positions, dtype=np.float64).reshape(len(placed), 3)
        self._room_codes: dict[str, int] = {}
        self._rooms = np.array(
            [self._room_code(s.place.room_id) for s in placed if s.place is not None],
            dtype=np.int64,
        )

    def _room_code(self, room: str) -> int:
        return self._room_codes.setdefault(room, len(self._room_codes))

    def distances(
        self, positions: npt.ArrayLike, rooms: Sequence[str] | None = None
    ) -> npt.NDArray[np.float64]:
        """Floor-plan distance from each position (M×3) to each station (M×N); ``inf`` when
        on another floor or, if ``rooms`` are given, in another room."""
        points = np.asarray(positions, dtype=np.float64).reshape(-1, 3)
        dx = points[:, None, 0] - self._xyz[None, :, 0]
        dz = points[:, None, 2] - self._xyz[None, :, 2]
        dist = np.hypot(dx, dz)
        away = np.abs(points[:, None, 1] - self._xyz[None, :, 1]) > FLOOR_TOLERANCE
        if rooms is not None:
            if len(rooms) != len(points):
                raise ValueError("give one room per position")
            codes = np.array([self._room_codes.get(r, -1) for r in rooms], dtype=np.int64)
            away |= codes[:, None] != self._rooms[None, :]
        dist[away] = np.inf
        return dist

    def nearest(
        self,
        positions: npt.ArrayLike,
        rooms: Sequence[str] | None = None,
        radius: float | None = None,
    ) -> npt.NDArray[np.int64]:
        """Index into ``station_ids`` of the nearest station within ``radius`` of each
        position, or -1."""
        dist = self.distances(positions, rooms)
        if dist.shape[1] == 0:
            return np.full(dist.shape[0], -1, dtype=np.int64)
        best = np.argmin(dist, axis=1)
        within = dist[np.arange(dist.shape[0]), best] <= (radius or self.enter_radius)
        return np.where(within, best, -1).astype(np.int64)

    def stations_at(
        self, positions: npt.ArrayLike, rooms: Sequence[str] | None = None
    ) -> list[str | None]:
        """The station id each position is at (within the enter radius), or None."""
        return [self.station_ids[i] if i >= 0 else None for i in self.nearest(positions, rooms)]


class ProximityWatch:
    """Which station each visitor is at; ``update`` returns only the changes."""

    def __init__(self, proximity: StationProximity) -> None:
        self.proximity = proximity
        self._at: dict[str, int] = {}

    def station_of(self, visitor_id: str) -> str | None:
        index = self._at.get(visitor_id)
        return None if index is None else self.proximity.station_ids[index]

    def update(
        self,
        visitor_ids: Sequence[str],
        positions: npt.ArrayLike,
        rooms: Sequence[str] | None = None,
    ) -> list[ProximityChange]:
        """Feed the current positions of some visitors; returns who arrived at or left which
        station. Visitors not in this call keep their state (use ``forget`` when they go)."""
        if len(visitor_ids) == 0:
            return []
        dist = self.proximity.distances(positions, rooms)
        if dist.shape[0] != len(visitor_ids):
            raise ValueError("give one position per visitor")
        nearest = self.proximity.nearest(positions, rooms)
        ids = self.proximity.station_ids
        changes: list[ProximityChange] = []
        for row, visitor in enumerate(visitor_ids):
            current = self._at.get(visitor)
            if current is not None and dist[row, current] <= self.proximity.leave_radius:
                continue
            target = int(nearest[row])
            if current is not None:
                changes.append(ProximityChange(visitor, ids[current], entered=False))
                del self._at[visitor]
            if target >= 0:
                self._at[visitor] = target
                changes.append(ProximityChange(visitor, ids[target], entered=True))
        return changes

    def forget(self, visitor_id: str) -> ProximityChange | None:
        """A visitor left the room or the hub: the station they were at, as a leave."""
        index = self._at.pop(visitor_id, None)
        if index is None:
            return None
        return ProximityChange(visitor_id, self.proximity.station_ids[index], entered=False)

    def visitors_at(self, station_id: str) -> list[str]:
        """Everyone currently at a station (several people can use one station)."""
        return [v for v, i in self._at.items() if self.proximity.station_ids[i] == station_id]
