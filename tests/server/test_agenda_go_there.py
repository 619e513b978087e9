"""An agenda item's "go there", without sockets: the facilitator sends ``gather`` with the
item, and everyone in the room instance (the facilitator too) stands in rings around the
station that item names, on the floor, facing it; an item without a station here, a
station in another room, an unknown item and a visitor are refused and nobody moves."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
from workshop_harness import WorkshopHub, workshop

from server.base.identity import Role
from server.domain.workshops import AgendaItem
from server.workshop.formation import MIN_GAP_M

#: lab-1 in the middle of the workshop room, lab-9 in the foyer
SPOTS = {"lab-1": ("workshop", (6.0, 0.0, -6.0)), "lab-9": ("foyer", (2.0, 0.0, 2.0))}


def hub_with_stations() -> WorkshopHub:
    agenda = (
        AgendaItem("Einstieg", 10),
        AgendaItem("Station", 20, station="lab-1"),
        AgendaItem("Drüben", 20, station="lab-9"),
    )
    hub = WorkshopHub(replace(workshop(), agenda=agenda))
    hub.lead.station_place = SPOTS.get
    hub.enter(1, "Mara", Role.FACILITATOR)
    for conn in range(2, 8):
        hub.enter(conn, f"v{conn}")
    assert hub.codes(hub.do(1, "workshop_start", workshop="w1")) == []
    for conn in range(1, 8):
        hub.take(conn)
    return hub


def test_go_there_brings_everyone_around_the_station_facing_it() -> None:
    hub = hub_with_stations()
    hub.do(1, "gather", item=1)
    centre = np.array(SPOTS["lab-1"][1])
    spots = []
    for conn in range(1, 8):  # the facilitator goes too
        (fix,) = hub.take(conn, "pose_fix")
        assert fix["reason"] == "gather"
        spot = hub.position(conn)
        spots.append(spot)
        distance = math.hypot(spot[0] - centre[0], spot[2] - centre[2])
        assert MIN_GAP_M <= distance <= 4.0
        look = np.array([-math.sin(fix["yaw"]), -math.cos(fix["yaw"])])
        towards = np.array([centre[0] - spot[0], centre[2] - spot[2]]) / distance
        assert float(look @ towards) > 0.99
    spots_array = np.array(spots)
    assert hub.core.world.is_walkable(spots_array).all()
    assert (hub.core.world.room_at(spots_array) == hub.core.world.room_index("workshop")).all()


@pytest.mark.parametrize(
    ("who", "item", "code"),
    [
        (1, 0, "station_elsewhere"),  # names no station
        (1, 2, "station_elsewhere"),  # a station in another room
        (1, 7, "agenda_item_unknown"),
        (2, 1, "not_facilitator"),
    ],
)
def test_go_there_is_refused_when_it_cannot_be_done(who: int, item: int, code: str) -> None:
    hub = hub_with_stations()
    before = {conn: hub.position(conn).copy() for conn in range(1, 8)}
    answer = hub.do(who, "gather", item=item)
    assert hub.codes(answer) == [code] and answer[0]["about"] == "gather"
    for conn in range(1, 8):
        assert hub.take(conn, "pose_fix") == []
        assert np.allclose(hub.position(conn), before[conn])
