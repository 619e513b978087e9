"""Loading hub models: ours, and one made elsewhere with nothing but pygltflib."""

from __future__ import annotations

import hashlib
import math
from pathlib import Path

import numpy as np
import pytest
from foreign_model import OFFSET, WALL_X, foreign_gltf, write_glb, write_gltf_with_bin

from world.checks import check_model
from world.model import Anchor, Door, Room, SpawnPoint, UnknownRoomError, World, load


def at(x: float, y: float, z: float) -> np.ndarray:
    """A point of the foreign model, given in its own (parent node) frame."""
    return OFFSET + np.array([x, y, z])


HUB_ROOMS = {"foyer", "lab", "workshop", "auditorium", "consulting", "lounge", "terrace"}


def test_the_hub_has_its_rooms(hub: World, hub_path: Path) -> None:
    assert {r.id for r in hub.rooms} == HUB_ROOMS
    assert hub.digest == hashlib.sha256(hub_path.read_bytes()).hexdigest()
    expected = {
        "auditorium": 80,
        "workshop": 24,
        "lab": 24,
        "lounge": 30,
        "consulting": 6,
        "foyer": 40,
        "terrace": 30,
    }
    for room_id, capacity in expected.items():
        room = hub.room(room_id)
        assert room.capacity == capacity
        assert set(room.names) == {"de", "en"} and all(room.names.values())
        assert (room.bounds_max > room.bounds_min).all()
    assert hub.room("lab").names["de"] == "Lern- und Experimentierlabor"
    assert hub.room("lounge").names["de"] == "Austausch-Lounge"
    assert hub.room("foyer").names["de"] == "Empfang"
    assert hub.room("auditorium").moderated and not hub.room("lounge").moderated
    assert hub.room("terrace").outdoor and not hub.room("foyer").outdoor
    assert hub.rooms[hub.room_index("lab")].id == "lab"


def test_links_follow_the_doors_both_ways(hub: World) -> None:
    for room in hub.rooms:
        assert room.links, f"{room.id} cannot be left"
        for other in room.links:
            assert room.id in hub.room(other).links
    for door in hub.doors:
        assert door.room_b in hub.room(door.room_a).links
        assert door.width >= 1.5
    assert {"auditorium", "lab", "lounge", "consulting", "terrace"} <= set(hub.room("foyer").links)


def test_every_room_has_spread_out_spawn_points(hub: World) -> None:
    for room in hub.rooms:
        spawns = hub.spawns_for(room.id)
        assert 6 <= len(spawns) <= 12, room.id
        positions = np.stack([s.position for s in spawns])
        gaps = np.linalg.norm(positions[:, None] - positions[None], axis=-1)
        np.fill_diagonal(gaps, np.inf)
        assert gaps.min() > 1.0, f"spawn points in {room.id} stack up"
        assert (hub.room_at(positions) == hub.room_index(room.id)).all()
    assert len({s.id for s in hub.spawns}) == len(hub.spawns)
    # newcomers in the auditorium look at the stage (north, -Z)
    assert all(math.cos(s.yaw) < 0 for s in hub.spawns_for("auditorium"))


def test_anchors_for_stations_screens_stage_booths_board(hub: World) -> None:
    stations = hub.anchors_of("station")
    assert len(stations) >= 12
    assert {a.room_id for a in stations} >= {"lab", "workshop", "foyer", "lounge", "terrace"}
    assert hub.anchor("lab-1").room_id == "lab" and hub.anchor("lab-1").kind == "station"
    assert hub.anchor("lab-1").extras["title"] == {"de": "Klimabilanz", "en": "Carbon accounting"}
    screens = {a.room_id: a for a in hub.anchors_of("screen")}
    assert set(screens) == {"auditorium", "workshop", "lounge"}
    big = screens["auditorium"].size
    assert big is not None and big[0] >= 5.0 and big[0] > screens["lounge"].size[0]  # type: ignore[index]
    assert screens["auditorium"].position[1] > 2.0, "the big screen hangs high"
    assert len(hub.anchors_of("stage")) == 1 and hub.anchors_of("stage")[0].room_id == "auditorium"
    assert len(hub.anchors_of("booth")) >= 2
    # the workshop board and the offers board in the foyer, the notes board in the workshop
    assert [a.room_id for a in hub.anchors_of("board")] == ["foyer", "foyer", "workshop"]
    with pytest.raises(UnknownRoomError):
        hub.anchor("no-such-anchor")


def test_unknown_rooms_give_a_clear_error(hub: World) -> None:
    with pytest.raises(UnknownRoomError, match=r"no room 'kitchen'.*foyer"):
        hub.room("kitchen")
    with pytest.raises(LookupError):
        hub.room_index("kitchen")
    with pytest.raises(UnknownRoomError):
        hub.spawns_for("kitchen")
    assert not hub.has_room("kitchen") and hub.has_room("lab")


def test_load_from_bytes_equals_load_from_path(hub: World, hub_path: Path) -> None:
    again = load(hub_path.read_bytes())
    assert again.digest == hub.digest
    assert [r.id for r in again.rooms] == [r.id for r in hub.rooms]
    assert len(again.spawns) == len(hub.spawns)
    assert np.array_equal(again.floor.heights, hub.floor.heights, equal_nan=True)


def test_a_world_can_be_made_directly() -> None:
    hall = Room(
        "hall", {"de": "Halle", "en": "Hall"}, "foyer", 20, (0, 0, 0), (10, 3, 8), links=("yard",)
    )
    yard = Room(
        "yard", {"de": "Hof", "en": "Yard"}, "terrace", 10, (10, 0, 0), (16, 3, 8), outdoor=True
    )
    world = World(
        rooms=[hall, yard],
        spawns=[SpawnPoint("hall-1", "hall", (2, 0, 2), 0.5)],
        anchors=[Anchor("s1", "station", "hall", (5, 0, 4))],
        doors=[Door("d", "hall", "yard", (10, 0, 4), 2.0)],
    )
    assert list(world.room_at([[5, 1, 4], [12, 1, 4], [50, 1, 4]])) == [0, 1, -1]
    assert world.is_walkable([[5, 0, 4], [12, 0, 4], [20, 0, 4]]).tolist() == [True, True, False]
    assert world.anchors_near((5, 0, 5), 2.0)[0].id == "s1"
    assert world.spawns_for("yard") == []
    with pytest.raises(ValueError):
        Anchor("x", "fountain", "hall", (0, 0, 0))


def _check_foreign(world: World) -> None:
    assert {r.id for r in world.rooms} == {"werk", "cafe"}
    werk, cafe = world.room("werk"), world.room("cafe")
    assert np.allclose(werk.bounds_min, at(0, 0, 0)) and np.allclose(werk.bounds_max, at(6, 3, 5))
    assert werk.moderated and werk.names["de"] == "Werkraum" and cafe.capacity == 8
    assert werk.links == ("cafe",) and cafe.links == ("werk",)
    spawns = {s.room_id: s for s in world.spawns}
    assert set(spawns) == {"werk", "cafe"}, "rooms come from the OMI group or from the position"
    assert math.isclose(spawns["werk"].yaw, math.pi / 2, abs_tol=1e-6)
    assert math.isclose(spawns["cafe"].yaw, -math.pi / 2, abs_tol=1e-6)
    screen = world.anchor("cafe-screen")
    assert screen.room_id == "cafe" and screen.size == (1.6, 0.9)
    assert np.allclose(screen.facing, [-1, 0, 0], atol=1e-6)
    assert screen.extras == {"title": {"de": "Bildschirm", "en": "Screen"}}
    assert world.anchor("werk-1").room_id == "werk"
    # the floor quad runs under the thin wall; its colliders took the wall away
    wall = at(WALL_X, 0, 1.0)
    door = at(WALL_X, 0, 2.6)
    assert world.is_walkable([wall, door]).tolist() == [False, True]
    start, end = at(3.0, 0, 1.0), at(9.0, 0, 1.0)
    moved = world.clamp_step(start, end)[0]
    assert moved[0] < OFFSET[0] + WALL_X, "walked through a 10 cm wall"
    through = world.clamp_step(at(3.0, 0, 2.6), at(9.0, 0, 2.6))[0]
    assert np.allclose(through, at(9.0, 0, 2.6))


def test_a_model_made_elsewhere_loads(tmp_path: Path) -> None:
    _check_foreign(load(write_glb(tmp_path / "region.glb")))


def test_a_gltf_with_a_separate_bin_file_loads(tmp_path: Path) -> None:
    _check_foreign(load(write_gltf_with_bin(tmp_path)))


def test_a_model_made_elsewhere_passes_the_checks(tmp_path: Path) -> None:
    result = check_model(write_glb(tmp_path / "region.glb"))
    assert result.khronos is not None and result.khronos.clean
    assert result.problems == [
        "warning: room werk has only 1 spawn point; newcomers will stack",
        "warning: room cafe has only 1 spawn point; newcomers will stack",
    ]


def test_the_checks_notice_a_visible_floor(tmp_path: Path) -> None:
    result = check_model(write_glb(tmp_path / "region.glb", visible_floor=True), run_khronos=False)
    assert any("hide the walkable floor" in p for p in result.problems)


def test_hubs_nav_mesh_counts_as_walkable_floor(tmp_path: Path) -> None:
    gltf, blob = foreign_gltf()
    navmesh = gltf.nodes[-1]
    navmesh.extras = {}
    navmesh.extensions = {
        "MOZ_hubs_components": {"nav-mesh": {}},
        "KHR_node_visibility": {"visible": False},
    }
    gltf.set_binary_blob(blob)
    path = tmp_path / "hubs.glb"
    gltf.save_binary(str(path))
    assert load(path).is_walkable(at(3.0, 0, 1.0))[0]
