"""Learning stations in the hub core: walking up to a station and away from it, leaving the
room, several people at one station, a resumed connection."""

from __future__ import annotations

import datetime
import math
from pathlib import Path
from typing import Any

import numpy as np
from realtime_harness import Harness, hello, person
from realtime_world import box_world

from server.base.settings import Settings
from server.core.hub import HubCore
from server.features.stations.catalogue import Station, StationCatalogue, StationPlace
from server.features.stations.realtime import StationVisits
from server.protocol.table import Go, encode_pose

# Box world: the foyer is x 0..20, z 0..20 with its spawn at the centre (10, 0, 10).
STAND = (14.0, 0.0, 10.0)


def catalogue() -> StationCatalogue:
    place = StationPlace("foyer-1", "foyer", STAND, 0.0)
    station = Station(
        id="welcome",
        path=Path("welcome.md"),
        anchor="foyer-1",
        topic="t",
        order=0,
        reviewed=datetime.date(2026, 1, 1),
        title={},
        intro={},
        body={},
        html={},
        sources=(),
        quiz=None,
        experiment=None,
        place=place,
    )
    return StationCatalogue("site", ("de",), "de", (), (station,))


def harness() -> tuple[Harness, StationVisits]:
    visits = StationVisits(catalogue())
    return Harness(HubCore(box_world(), Settings(), seed=7, features=[visits])), visits


def place(h: Harness, conn: int, x: float, z: float) -> None:
    session = h.core.session_of(conn)
    assert session is not None and session.instance is not None
    session.instance.poses.place(session.slot, (x, 0.0, z), 0.0, 0.0, h.core.tick_count, snap=True)


def walk(h: Harness, conn: int, start: tuple[float, float], end: tuple[float, float]) -> None:
    """Walk at 5 m/s, one pose per tick."""
    a, b = np.array(start), np.array(end)
    count = max(1, math.ceil(float(np.linalg.norm(b - a)) / 0.25))
    for i in range(1, count + 1):
        x, z = a + (b - a) * i / count
        h.core.pose(conn, encode_pose(i, x, 0.0, z, 0.0, 0.0))
        h.tick()


def test_walking_up_and_away_opens_and_closes_the_station() -> None:
    h, visits = harness()
    h.hello(1, "Ada")
    place(h, 1, 4.0, 10.0)
    h.tick(0.3)
    h.take(1)
    walk(h, 1, (4.0, 10.0), (12.0, 10.0))  # 2 m from the stand
    assert h.take(1, "station_near") == [
        {"t": "station_near", "station": "welcome", "anchor": "foyer-1"}
    ]
    assert visits.station_of(h.core.session_of(1)) == "welcome"  # type: ignore[arg-type]
    walk(h, 1, (12.0, 10.0), (11.3, 10.0))  # 2.7 m: inside the leave radius, nothing happens
    h.tick(0.3)
    assert h.take(1, "station_near") + h.take(1, "station_far") == []
    walk(h, 1, (11.3, 10.0), (8.0, 10.0))
    h.tick(0.3)
    assert h.take(1, "station_far") == [{"t": "station_far", "station": "welcome"}]


def test_several_people_use_one_station_and_each_is_told() -> None:
    h, visits = harness()
    for conn in (1, 2, 3):
        h.hello(conn, f"p{conn}")
    place(h, 1, 13.0, 10.0)
    place(h, 2, 14.0, 11.5)
    place(h, 3, 5.0, 5.0)
    h.tick(0.3)
    assert [len(h.take(c, "station_near")) for c in (1, 2, 3)] == [1, 1, 0]
    assert sorted(visits.watch.visitors_at("welcome")) == sorted([h.session(1), h.session(2)])


def test_leaving_the_room_leaves_the_station() -> None:
    h, _ = harness()
    h.hello(1, "Ada")
    place(h, 1, 13.0, 10.0)
    h.tick(0.3)
    assert h.take(1, "station_near")
    answer = [m for m in h.send(1, Go("hall")) if m["t"] in ("station_far", "joined")]
    assert answer == [{"t": "station_far", "station": "welcome"}, answer[1]]
    assert answer[1]["t"] == "joined" and answer[1]["room"] == "hall"
    h.tick(0.3)
    assert h.take(1, "station_near") == []


def test_a_resumed_connection_is_told_where_it_stands() -> None:
    h, _ = harness()
    welcome, _ = h.hello(1, "Ada")
    place(h, 1, 13.0, 10.0)
    h.tick(0.3)
    h.take(1)
    h.drop(1)
    h.apply(h.core.hello(2, person("Ada"), hello(resume=welcome["resume"]), h.now))
    kinds = [m["t"] for m in h.take(2)]
    assert kinds == ["welcome", "joined", "station_near"]


def test_checks_run_a_few_times_a_second_not_every_tick() -> None:
    h, visits = harness()
    h.hello(1, "Ada")
    calls: list[int] = []
    update = visits.watch.update

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return update(*args, **kwargs)

    visits.watch.update = counted  # type: ignore[method-assign]
    for _ in range(20):  # one second at 20 Hz
        h.tick()
    assert 4 <= len(calls) <= 6
