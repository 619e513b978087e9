"""Buildings of two storeys: stairs and ramps read and checked, built, and walked on.

The two-storey test site (tests/fixtures/two-storey-hub) has a hall and an office on the
ground floor, a studio above the hall and stairs in the hall rising through the studio's
floor. Mistakes in ``[[stairs]]`` are reported with file, line and the fix.
"""

from __future__ import annotations

import itertools
import shutil
from pathlib import Path

import numpy as np
import pytest

from world.builder import build_site
from world.building import MAX_RISER, MIN_GOING, load_building
from world.ceilings import fitting_positions
from world.checks import check_model
from world.errors import InputFileError
from world.model import World, load
from world.walls import wall_runs

TWO_STOREYS = Path(__file__).parents[1] / "fixtures" / "two-storey-hub"


@pytest.fixture(scope="module")
def two_storeys(tmp_path_factory: pytest.TempPathFactory) -> World:
    target = tmp_path_factory.mktemp("two-storeys") / "hub.glb"
    build_site(TWO_STOREYS, target, force=True, quiet=True)
    return load(target)


@pytest.fixture
def site_copy(tmp_path: Path) -> Path:
    site = tmp_path / "two-storey-hub"
    shutil.copytree(TWO_STOREYS, site)
    return site


def test_the_stairs_are_read_in_world_coordinates_within_the_limits() -> None:
    plan = load_building(TWO_STOREYS / "building.toml")
    assert [f.id for f in plan.floors] == ["eg", "og"]
    assert plan.room("studio").elevation == 3.2
    (stairs,) = plan.stairs
    assert stairs.id == "main-stairs" and stairs.kind == "stairs"
    assert stairs.rooms == ("hall", "studio")
    assert (stairs.x, stairs.z) == (14.0, 8.0)
    assert stairs.point(stairs.length) == pytest.approx((14.0, 8.0 - stairs.length))
    rise = (stairs.top - stairs.bottom) / stairs.steps
    going = stairs.length / (stairs.steps - 1)
    assert stairs.steps == 17 and rise <= MAX_RISER and going >= MIN_GOING


def _replace(site: Path, old: str, new: str) -> tuple[Path, str]:
    building = site / "building.toml"
    text = building.read_text(encoding="utf-8")
    assert old in text, f"test setup: {old!r} not in the building"
    text = text.replace(old, new, 1)
    building.write_text(text, encoding="utf-8")
    return building, text


STAIR_MISTAKES = [
    (
        "stairs too steep",
        ('facing = "north"\n', 'facing = "north"\nlength = 3\n'),
        "length = 3",
        "stairs main-stairs: too steep: 17 steps of 18.8 cm climb 3.2 m over 3 m, so each "
        "tread is 18.8 cm deep; a tread must be at least 26 cm deep: make length at least "
        "4.16",
    ),
    (
        "ramp too steep",
        ('kind = "stairs"', 'kind = "ramp"\nlength = 8'),
        "length = 8",
        "stairs main-stairs: too steep: the ramp rises 3.2 m over 8 m (40.0 %); at most 6 % "
        "([building] ramp_slope_limit): make length at least 53.33",
    ),
    (
        "stairs out of their room",
        ("at = [14, 8]", "at = [15.5, 8]"),
        "at = [15.5, 8]",
        "stairs main-stairs: the stairs (1.6 m wide, 4.64 m long from at 15.5, 8) run out "
        "of room hall: they stand in the lower room, at is measured from its north-west "
        "corner (0, 0 to 16, 10)",
    ),
    (
        "top outside the upper room",
        ('to = "studio"', 'to = "loft"'),
        "at = [14, 8]",
        "stairs main-stairs: the top of the stairs (x 14, z 3.36) is not in room loft: they "
        "must arrive, their whole width, inside or at the edge of room loft (x 16 to 22, "
        "z 0 to 10)",
    ),
    (
        "unknown room",
        ('to = "studio"', 'to = "studo"'),
        'to = "studo"',
        "stairs[1]: to: unknown room 'studo' (did you mean 'studio'? rooms: hall, office, "
        "studio, loft)",
    ),
    (
        "not going up",
        ('from = "hall"\nto = "studio"', 'from = "studio"\nto = "hall"'),
        'to = "hall"',
        "stairs main-stairs: to: room hall (floor eg, 0 m) is not above room studio (floor "
        "og, 3.2 m): stairs go from the lower room to the higher one",
    ),
    (
        "unknown kind",
        ('kind = "stairs"', 'kind = "escalator"'),
        'kind = "escalator"',
        'stairs[1]: kind must be "stairs" or "ramp"',
    ),
    (
        "slanting stairs",
        ('facing = "north"', "facing = 45"),
        "facing = 45",
        "stairs main-stairs: facing must be north, south, east or west (the way it climbs)",
    ),
]

LOFT = """
[[rooms]]
id = "loft"
names = { de = "Empore", en = "Loft" }
kind = "lounge"
floor = "og"
x = [16, 22]
z = [0, 10]
height = 3.0
capacity = 6
spawns = 2
"""


@pytest.mark.parametrize(
    ("what", "change", "needle", "message"), STAIR_MISTAKES, ids=[m[0] for m in STAIR_MISTAKES]
)
def test_each_stairs_mistake_is_one_line_with_file_line_and_the_fix(
    site_copy: Path, what: str, change: tuple[str, str], needle: str, message: str
) -> None:
    _replace(site_copy, "[[doors]]", LOFT + "\n[[doors]]")
    building, text = _replace(site_copy, *change)
    with pytest.raises(InputFileError) as caught:
        load_building(building)
    line = text[: text.index(needle)].count("\n") + 1
    assert str(caught.value) == f"{building}:{line}: {message}"


def test_a_room_reaching_into_the_floor_above_is_refused(site_copy: Path) -> None:
    building, text = _replace(
        site_copy, "height = 3.0\ncapacity = 30", "height = 3.5\ncapacity = 30"
    )
    with pytest.raises(InputFileError) as caught:
        load_building(building)
    line = text[: text.index('id = "hall"')].count("\n")
    assert str(caught.value) == (
        f"{building}:{line}: room hall: room hall (3.5 m high) reaches into room studio above "
        "it (floor og at 3.2 m): lower its height or raise that floor, or make room studio "
        "a gallery within hall (inside it in plan, its top at most 3.5 m)"
    )


def test_a_door_between_floors_needs_stairs_arriving_at_it(site_copy: Path) -> None:
    building, text = _replace(
        site_copy, 'rooms = ["hall", "office"]', 'rooms = ["studio", "office"]'
    )
    with pytest.raises(InputFileError) as caught:
        load_building(building)
    line = text[: text.index("[[doors]]")].count("\n") + 1
    assert str(caught.value) == (
        f"{building}:{line}: doors[1]: rooms studio and office are on different floors: a "
        "door between floors stands where [[stairs]] (stairs or a ramp) from the lower room "
        "arrive at the wall of the upper one; add such stairs, or join the floors with stairs "
        "alone"
    )


def test_each_floor_is_built_at_its_height_with_an_opening_over_the_stairs(
    two_storeys: World,
) -> None:
    floor = two_storeys.floor
    assert floor.shape[0] == 2  # the hall and the studio above it
    heights = {s.room_id: float(s.position[1]) for s in two_storeys.spawns}
    assert heights == {"hall": 0.0, "office": 0.0, "studio": pytest.approx(3.2)}
    # above the middle of the hall: its floor and the studio's
    column = floor.heights[:, *_cell(two_storeys, 7.0, 5.0)]
    assert sorted(column.tolist()) == pytest.approx([0.0, 3.2])
    # along the flight: one surface each, rising step by step; no studio floor above it
    treads = [
        float(np.nanmax(floor.heights[:, *_cell(two_storeys, 14.0, z)])) for z in (7.8, 6.0, 4.0)
    ]
    assert treads[0] < treads[1] < treads[2] < 3.2
    assert all(
        np.isnan(floor.heights[:, *_cell(two_storeys, 14.0, z)]).sum() == 1 for z in (7.8, 6.0, 4.0)
    )
    assert [(f["id"], f["elevation"]) for f in two_storeys.meta["floors"]] == [
        ("eg", 0.0),
        ("og", 3.2),
    ]
    assert two_storeys.room("studio").links == ("hall",)
    assert "studio" in two_storeys.room("hall").links


def _cell(world: World, x: float, z: float) -> tuple[int, int]:
    row, col, _ = world.floor._cells(np.array([x]), np.array([z]))
    return int(row[0]), int(col[0])


def test_the_studio_floor_and_the_hall_ceiling_are_open_over_the_stairs() -> None:
    plan = load_building(TWO_STOREYS / "building.toml")
    from world.stairs import slab_holes

    (stairs,) = plan.stairs
    x0, x1, z0, z1 = stairs.extent()
    assert slab_holes(plan, plan.room("studio")) == [(x0, x1, z0, z1)]
    assert slab_holes(plan, plan.room("hall"), ceiling=True) == [(x0, x1, z0, z1)]
    assert slab_holes(plan, plan.room("office"), ceiling=True) == []
    hall = [(x, z) for room, x, _, z in fitting_positions(plan) if room == "hall"]
    assert len(hall) >= 6
    for x, z in hall:
        assert not (x0 - 0.8 <= x <= x1 + 0.8 and z0 - 0.8 <= z <= z1 + 0.8), (x, z)


def test_walking_up_the_stairs_reaches_the_studio(two_storeys: World) -> None:
    position = np.array([[14.0, 0.0, 8.6]])
    heights = []
    for _ in range(70):
        position = two_storeys.clamp_step(position, position + np.array([[0.0, 0.0, -0.1]]))
        heights.append(float(position[0, 1]))
    assert position[0, 1] == pytest.approx(3.2)
    assert position[0, 2] < 2.0
    assert all(b >= a for a, b in itertools.pairwise(heights))
    assert two_storeys.room_at(position)[0] == two_storeys.room_index("studio")


def test_no_jumping_between_floors_and_no_falling_into_the_opening(two_storeys: World) -> None:
    below = np.array([[7.0, 0.0, 5.0]])
    assert two_storeys.clamp_step(below, [[7.0, 3.2, 5.2]])[0, 1] == 0.0
    above = np.array([[7.0, 3.2, 7.0]])
    moved = two_storeys.clamp_step(above, [[7.0, 0.0, 7.2]])
    assert moved[0, 1] == pytest.approx(3.2)
    # walking from the studio towards the opening stops at its balustrade, upstairs
    beside = np.array([[11.5, 3.2, 7.0]])
    for _ in range(40):
        beside = two_storeys.clamp_step(beside, beside + np.array([[0.1, 0.0, 0.0]]))
    assert beside[0, 1] == pytest.approx(3.2) and beside[0, 0] < 13.2


RAMP_SITE = """
[building]
name = { de = "Split-Level", en = "Split level" }
ground_margin = 4
entrance = "hall"

[[floors]]
id = "eg"
names = { de = "Erdgeschoss", en = "Ground floor" }

[[floors]]
id = "podium"
names = { de = "Podium", en = "Podium" }
elevation = 0.3

[[rooms]]
id = "hall"
names = { de = "Halle", en = "Hall" }
kind = "foyer"
x = [0, 12]
z = [0, 8]
height = 3.0
capacity = 10
spawns = 3

[[rooms]]
id = "podium"
names = { de = "Podium", en = "Podium" }
kind = "lounge"
floor = "podium"
x = [12, 18]
z = [0, 8]
height = 2.8
capacity = 10
spawns = 3

[[stairs]]
kind = "ramp"
from = "hall"
to = "podium"
at = [7, 4]
facing = "east"
width = 1.5
"""


def test_a_door_where_the_ramp_arrives(tmp_path: Path) -> None:
    site = tmp_path / "split"
    site.mkdir()
    (site / "site.toml").write_text((TWO_STOREYS / "site.toml").read_text(), encoding="utf-8")
    door = '\n[[doors]]\nrooms = ["hall", "podium"]\nstyle = "glass"\n'
    (site / "building.toml").write_text(RAMP_SITE + door, encoding="utf-8")
    plan = load_building(site / "building.toml")
    (glass,) = plan.doors
    assert (glass.x, glass.z, glass.width, glass.style) == (12.0, 4.0, 1.5, "glass")
    (opening,) = [
        o
        for run in wall_runs(plan)
        if run.pos and run.pos.id == "podium" and run.axis == "z" and run.fixed == 12
        for o in run.openings
    ]
    assert (opening.centre, opening.width, opening.style) == (4.0, 1.5, "glass")
    build_site(site, tmp_path / "hub.glb", force=True, quiet=True)
    result = check_model(tmp_path / "hub.glb", run_khronos=False)
    assert result.world is not None
    (built,) = result.world.doors
    assert built.position[1] == pytest.approx(0.3)
    assert not [p for p in result.problems if "door" in p or "reached" in p], result.problems
    (site / "building.toml").write_text(
        RAMP_SITE + door.replace('style = "glass"', 'style = "glass"\nat = 1'), encoding="utf-8"
    )
    with pytest.raises(InputFileError, match="stands where stairs hall-podium arrive: at most"):
        load_building(site / "building.toml")


def test_a_ramp_to_a_room_beside_passes_through_both_walls(tmp_path: Path) -> None:
    site = tmp_path / "split"
    site.mkdir()
    (site / "site.toml").write_text((TWO_STOREYS / "site.toml").read_text(), encoding="utf-8")
    (site / "building.toml").write_text(RAMP_SITE, encoding="utf-8")
    plan = load_building(site / "building.toml")
    (ramp,) = plan.stairs
    assert ramp.kind == "ramp" and ramp.length == 5.0 and ramp.steps == 0
    openings = {
        (run.neg.id if run.neg else None, run.pos.id if run.pos else None): run.openings
        for run in wall_runs(plan)
        if run.axis == "z" and run.fixed == 12
    }
    assert [(o.bottom, o.width) for o in openings[("hall", None)]] == [(pytest.approx(0.3), 1.5)]
    assert [(o.bottom, o.width) for o in openings[(None, "podium")]] == [(0.0, 1.5)]
    build_site(site, tmp_path / "hub.glb", force=True, quiet=True)
    world = load(tmp_path / "hub.glb")
    position = np.array([[7.5, 0.0, 4.0]])
    for _ in range(80):
        position = world.clamp_step(position, position + np.array([[0.1, 0.0, 0.0]]))
    assert position[0, 0] > 13.0 and position[0, 1] == pytest.approx(0.3, abs=1e-4)
    assert world.room_at(position)[0] == world.room_index("podium")


def test_the_check_finds_every_room_reachable_only_with_the_stairs(
    site_copy: Path, tmp_path: Path
) -> None:
    build_site(site_copy, tmp_path / "with.glb", force=True, quiet=True)
    problems = check_model(tmp_path / "with.glb", run_khronos=False).problems
    assert not [p for p in problems if "reached" in p], problems
    building = site_copy / "building.toml"
    text = building.read_text(encoding="utf-8")
    building.write_text(text[: text.index("# 17 steps")], encoding="utf-8")
    build_site(site_copy, tmp_path / "without.glb", force=True, quiet=True)
    problems = check_model(tmp_path / "without.glb", run_khronos=False).problems
    assert any("room studio cannot be reached on foot" in p for p in problems), problems


GALLERY_SITE = """
[building]
name = { de = "Halle mit Empore", en = "Hall with a gallery" }
ground_margin = 4
entrance = "hall"

[[floors]]
id = "eg"
names = { de = "Erdgeschoss", en = "Ground floor" }

[[floors]]
id = "empore"
names = { de = "Empore", en = "Gallery" }
elevation = 3.5

[[rooms]]
id = "hall"
names = { de = "Halle", en = "Hall" }
kind = "foyer"
x = [0, 16]
z = [0, 12]
height = 7.0
capacity = 40
spawns = 4

[[rooms]]
id = "gallery"
names = { de = "Empore", en = "Gallery" }
kind = "lounge"
floor = "empore"
x = [0, 16]
z = [0, 4]
height = 3.5
capacity = 20
spawns = 3

[[stairs]]
from = "hall"
to = "gallery"
at = [12, 9.22]
facing = "north"
width = 1.6
length = 5.22
"""


def test_a_gallery_in_a_hall_is_open_to_it_with_a_railing_and_reached_by_stairs(
    tmp_path: Path,
) -> None:
    site = tmp_path / "gallery"
    site.mkdir()
    (site / "site.toml").write_text((TWO_STOREYS / "site.toml").read_text(), encoding="utf-8")
    (site / "building.toml").write_text(GALLERY_SITE, encoding="utf-8")
    plan = load_building(site / "building.toml")
    runs = [run for run in wall_runs(plan) if plan.room("gallery") in (run.neg, run.pos)]
    # only its edge towards the hall, as a railing with a gap where the stairs arrive; its
    # other sides are the hall's walls
    assert [(r.kind, r.axis, r.fixed, r.base) for r in runs] == [("railing", "x", 4, 3.5)]
    assert [(o.centre, o.width) for o in runs[0].openings] == [(12.0, 1.6)]
    build_site(site, tmp_path / "hub.glb", force=True, quiet=True)
    world = load(tmp_path / "hub.glb")
    below = np.array([[5.0, 0.0, 2.0]])
    assert world.is_walkable(below)[0] and world.room_at(below)[0] == world.room_index("hall")
    position = np.array([[12.0, 0.0, 9.8]])
    for _ in range(80):
        position = world.clamp_step(position, position + np.array([[0.0, 0.0, -0.1]]))
    assert position[0, 1] == pytest.approx(3.5) and position[0, 2] < 3.0
    assert world.room_at(position)[0] == world.room_index("gallery")
    # from the gallery towards the hall elsewhere: the railing holds, nobody drops down
    edge = np.array([[5.0, 3.5, 2.0]])
    for _ in range(40):
        edge = world.clamp_step(edge, edge + np.array([[0.0, 0.0, 0.1]]))
    assert edge[0, 1] == pytest.approx(3.5) and edge[0, 2] < 4.0
    problems = check_model(tmp_path / "hub.glb", run_khronos=False).problems
    assert not [p for p in problems if "reached" in p or "error" in p], problems
