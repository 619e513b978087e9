"""The learning stations in the realtime rooms: a hub feature that tells visitors when they
walk up to a station and when they walk away (no I/O).

A few times a second it feeds everyone's position to one ``ProximityWatch`` (vectorised over
all rooms at once; hysteresis 2.5 m in, 3 m out) and sends ``station_near`` / ``station_far``
to the people whose station changed. The client then opens the station's panel over the
REST API (``server/features/stations/http.py``), which records the visit. Several people can stand
at the same station; each gets their own messages.

>>> core = HubCore(world, settings, features=[StationVisits(catalogue)])   # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from server.core.effects import Effects
from server.core.hooks import RoomPositions
from server.core.room import Session
from server.features.stations.catalogue import StationCatalogue
from server.features.stations.messages import STATION_MESSAGES
from server.features.stations.proximity import ProximityChange, ProximityWatch, StationProximity
from server.protocol.message_spec import FeatureMessage, FeatureMessages
from server.protocol.table import encode

#: How often positions are checked against the stations (walking speed is ~1.5 m/s, so
#: a visitor is noticed within a third of a metre of the radius).
CHECK_EVERY_S = 0.2


class StationVisits:
    """The ``HubFeature`` of the learning stations."""

    def __init__(self, catalogue: StationCatalogue, *, every_s: float = CHECK_EVERY_S) -> None:
        self.catalogue = catalogue
        self.watch = ProximityWatch(StationProximity(catalogue))
        self.every_s = every_s
        self._next_check = float("-inf")

    @property
    def messages(self) -> FeatureMessages:
        return STATION_MESSAGES

    def station_of(self, session: Session) -> str | None:
        """The station a session is standing at, if any."""
        return self.watch.station_of(session.id)

    def on_join(self, session: Session, fx: Effects, now: float) -> None:
        # A resumed connection has missed what happened meanwhile: say where it stands.
        station = self.watch.station_of(session.id)
        if station is not None:
            fx.send_to(session, self._near(station))

    def on_leave(self, session: Session, fx: Effects, now: float) -> None:
        change = self.watch.forget(session.id)
        if change is not None:
            fx.send_to(session, encode("station_far", station=change.station_id))

    def handle(self, session: Session, message: FeatureMessage, fx: Effects, now: float) -> bool:
        return False  # everything done at a station goes over the REST API

    def on_tick(self, now: float, rooms: Sequence[RoomPositions], fx: Effects) -> None:
        if now < self._next_check or not rooms:
            return
        self._next_check = now + self.every_s
        sessions: list[Session] = []
        room_ids: list[str] = []
        for room in rooms:
            sessions += room.sessions
            room_ids += [room.room_id] * len(room.sessions)
        positions = np.concatenate([room.positions for room in rooms])
        by_id = {session.id: session for session in sessions}
        changes = self.watch.update([s.id for s in sessions], positions, room_ids)
        for change in changes:
            fx.send_to(by_id[change.visitor_id], self._message(change))

    def _message(self, change: ProximityChange) -> bytes:
        if change.entered:
            return self._near(change.station_id)
        return encode("station_far", station=change.station_id)

    def _near(self, station_id: str) -> bytes:
        station = self.catalogue.get(station_id)
        anchor = station.anchor if station is not None else ""
        return encode("station_near", station=station_id, anchor=anchor)
