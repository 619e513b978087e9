"""What of a running hub depends on the world model, brought up to date when it changes.

When a new world version is swapped into the hub core (``server/features/world/serving.py``),
the learning stations, the screens and the workshops' stages must follow it: a station moved
or added in the new version is where people now walk up to it, a screen added is one people
can play talks on. Each of these is a ``WorldFollower`` (``server/features/world/serving.py``):
``prepare`` runs in a worker thread (it may read files) and returns what ``follow`` then
applies in the event loop, right after the core took the new world and before anything else
happens, with the ``Effects`` of the swap (messages to send).

They work through the public parts of the features they update: ``StationVisits.catalogue``
and ``.watch``, ``StationDesk.catalogue``, ``TalkScreens.screen_ids``, ``.policies`` and
``.screens_of``, ``Facilitation.use_stages``. This is the composition root's wiring: the
followers are the only place where the world's features meet the stations, talks and
workshops.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from server.core.effects import Effects
from server.core.hooks import RoomPositions
from server.core.powers import FeatureCore
from server.domain.playback import RoomScreens, ScreenPlayback
from server.features.stations.catalogue import (
    StationCatalogue,
    places_from_world,
    read_catalogue,
    waiting_anchors,
)
from server.features.stations.desk import StationDesk
from server.features.stations.proximity import ProximityWatch, StationProximity
from server.features.stations.realtime import StationVisits
from server.features.talks.realtime import ScreenWorld, TalkScreens, policy_for
from server.protocol.table import encode
from server.workshop.facilitation import Facilitation, StageArea, stage_areas
from world.model import World
from world.site import Site

log = logging.getLogger("hubtwin.world")


class StationsFollower:
    """The learning stations: where each stands (proximity, the REST desk's catalogue).

    Everyone's station is worked out again at their current position: who now stands at
    another station (or at none, because theirs moved away or is gone) gets ``station_far``
    and, if so, ``station_near``, exactly as if they had walked there."""

    def __init__(self, site: Site, visits: StationVisits, desk: StationDesk | None) -> None:
        self.site = site
        self.visits = visits
        self.desk = desk

    def prepare(self, world: World) -> StationCatalogue:
        places = places_from_world(world)
        waiting = waiting_anchors(self.site, places)
        catalogue, problems = read_catalogue(self.site, places, waiting=waiting)
        for problem in problems:
            log.warning("station content in the new world: %s", problem)
        return catalogue

    def follow(
        self, prepared: StationCatalogue, core: FeatureCore, fx: Effects, now: float
    ) -> None:
        catalogue = prepared
        old = self.visits.watch
        watch = ProximityWatch(StationProximity(catalogue))
        rooms = [RoomPositions(inst) for inst in _instances(core) if inst.members]
        if rooms:
            sessions = [s for room in rooms for s in room.sessions]
            room_ids = [room.room_id for room in rooms for _ in room.sessions]
            positions = np.concatenate([room.positions for room in rooms])
            watch.update([s.id for s in sessions], positions, room_ids)
            for session in sessions:
                before, after = old.station_of(session.id), watch.station_of(session.id)
                if before == after:
                    continue
                if before is not None:
                    fx.send_to(session, encode("station_far", station=before))
                if after is not None:
                    station = catalogue.get(after)
                    anchor = station.anchor if station is not None else ""
                    fx.send_to(session, encode("station_near", station=after, anchor=anchor))
        self.visits.catalogue = catalogue
        self.visits.watch = watch
        if self.desk is not None:
            self.desk.catalogue = catalogue


class ScreensFollower:
    """The screens: which screens each room has, and its control rule.

    A screen that stays keeps what it was playing; a new one starts empty; one that is gone
    is dropped. The people in a room whose screens changed get the state of every screen of
    the room, as on entering it."""

    def __init__(self, screens: TalkScreens) -> None:
        self.screens = screens

    def prepare(self, world: World) -> ScreenWorld:
        return world

    def follow(self, prepared: ScreenWorld, core: FeatureCore, fx: Effects, now: float) -> None:
        screens = self.screens
        existing = [
            (inst, held)
            for inst in _instances(core)
            if (held := screens.screens_of(inst)) is not None
        ]
        ids: dict[str, list[str]] = {}
        for anchor in prepared.anchors_of("screen"):
            ids.setdefault(anchor.room_id, []).append(anchor.id)
        screens.screen_ids = ids
        screens.policies = {room.id: policy_for(room) for room in prepared.rooms}
        for inst, held in existing:
            wanted = ids.get(inst.room_id, [])
            policy = screens.policies.get(inst.room_id, held.policy)
            if list(held.screens) == wanted and policy == held.policy:
                continue
            held.screens = {
                screen_id: held.screens.get(screen_id) or ScreenPlayback(screen_id)
                for screen_id in wanted
            }
            held.policy = policy
            if inst.members:
                for state in held.snapshots(now):
                    fx.send(_playback_frame(state, held), inst.conns())
        for inst in _instances(core):
            # Rooms that had no screen before get theirs as they are made on first use.
            if inst.members and inst.room_id in ids and all(i is not inst for i, _ in existing):
                held_new = screens.screens_of(inst)
                if held_new is not None:
                    for state in held_new.snapshots(now):
                        fx.send(_playback_frame(state, held_new), inst.conns())


def _instances(core: FeatureCore) -> list[Any]:
    return [inst for by_number in core.instances.values() for inst in by_number.values()]


def _playback_frame(state: dict[str, Any], screens: RoomScreens) -> bytes:
    """A ``playback_state`` message, as the screens feature sends it."""
    return encode("playback_state", **state, control=screens.policy.mode.value)


class StagesFollower:
    """The workshops' stage areas: who stands on a stage is judged by the new ones."""

    def __init__(self, lead: Facilitation) -> None:
        self.lead = lead

    def prepare(self, world: World) -> list[StageArea]:
        return stage_areas(world.anchors_of("stage"))

    def follow(self, prepared: list[StageArea], core: FeatureCore, fx: Effects, now: float) -> None:
        self.lead.use_stages(prepared, fx)
