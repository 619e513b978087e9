"""Who stands at which station: vectorised distances, rooms, floors and hysteresis."""

from __future__ import annotations

import datetime
from pathlib import Path

import numpy as np
import pytest

from server.features.stations.catalogue import Station, StationCatalogue, StationPlace
from server.features.stations.proximity import ProximityChange, ProximityWatch, StationProximity

STANDS = {
    "a": StationPlace("lab-1", "lab", (0.0, 0.0, 0.0), 0.0),
    "b": StationPlace("lab-2", "lab", (4.0, 0.0, 0.0), 0.0),
    "c": StationPlace("foyer-1", "foyer", (0.0, 0.0, -1.0), 0.0),  # behind a wall from "a"
    "d": StationPlace("upstairs", "office", (0.0, 4.0, 0.0), 0.0),  # a floor above "a"
}


def catalogue() -> StationCatalogue:
    stations = []
    for station_id, place in STANDS.items():
        stations.append(
            Station(
                id=station_id,
                path=Path(f"{station_id}.md"),
                anchor=place.anchor_id,
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
        )
    return StationCatalogue("site", ("de",), "de", (), tuple(stations))


@pytest.fixture
def proximity() -> StationProximity:
    return StationProximity(catalogue())


def test_nearest_station_within_the_radius(proximity: StationProximity) -> None:
    positions = np.array([[0.5, 0.0, 0.5], [3.0, 0.0, 0.0], [2.0, 0.0, 5.0], [0.0, 4.1, 0.2]])
    assert proximity.stations_at(positions) == ["a", "b", None, "d"]


def test_rooms_keep_stations_behind_walls_out(proximity: StationProximity) -> None:
    spot = [[0.0, 0.0, -0.6]]  # 0.4 m from "c", 0.6 m from "a"
    assert proximity.stations_at(spot) == ["c"]
    assert proximity.stations_at(spot, rooms=["lab"]) == ["a"]
    assert proximity.stations_at(spot, rooms=["auditorium"]) == [None]


def test_distances_are_vectorised_and_inf_across_floors(proximity: StationProximity) -> None:
    dist = proximity.distances([[0.0, 0.0, 0.0]] * 3)
    assert dist.shape == (3, 4)
    assert dist[0, 0] == 0.0 and dist[0, 1] == 4.0 and np.isinf(dist[0, 3])
    with pytest.raises(ValueError):
        proximity.distances([[0.0, 0.0, 0.0]], rooms=["lab", "lab"])


def test_watch_reports_arrivals_and_departures_with_hysteresis(
    proximity: StationProximity,
) -> None:
    watch = ProximityWatch(proximity)
    assert watch.update(["ada"], [[0.0, 0.0, 2.4]], ["lab"]) == [
        ProximityChange("ada", "a", entered=True)
    ]
    assert watch.update(["ada"], [[0.0, 0.0, 2.9]], ["lab"]) == []  # inside the leave radius
    assert watch.station_of("ada") == "a"
    assert watch.update(["ada"], [[0.0, 0.0, 3.1]], ["lab"]) == [
        ProximityChange("ada", "a", entered=False)
    ]
    assert watch.update(["ada"], [[0.0, 0.0, 2.9]], ["lab"]) == []  # not yet back inside 2.5 m


def test_walking_from_one_station_straight_to_the_next(proximity: StationProximity) -> None:
    watch = ProximityWatch(proximity)
    watch.update(["ada"], [[0.0, 0.0, 0.0]], ["lab"])
    assert watch.update(["ada"], [[4.0, 0.0, 0.5]], ["lab"]) == [
        ProximityChange("ada", "a", entered=False),
        ProximityChange("ada", "b", entered=True),
    ]


def test_several_people_at_one_station_and_forgetting(proximity: StationProximity) -> None:
    watch = ProximityWatch(proximity)
    changes = watch.update(["ada", "bob", "cem"], [[0, 0, 0], [1, 0, 0], [9, 0, 9]], None)
    assert {(c.visitor_id, c.station_id) for c in changes} == {("ada", "a"), ("bob", "a")}
    assert sorted(watch.visitors_at("a")) == ["ada", "bob"]
    assert watch.forget("ada") == ProximityChange("ada", "a", entered=False)
    assert watch.forget("ada") is None
    assert watch.visitors_at("a") == ["bob"]
    assert watch.update([], np.zeros((0, 3))) == []


def test_a_catalogue_without_placed_stations() -> None:
    empty = StationProximity(StationCatalogue("s", ("de",), "de", (), ()))
    assert empty.stations_at([[0.0, 0.0, 0.0]]) == [None]
