"""Mistakes in a site's building.toml: each is reported with the file, the entry and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest
from tiny_site import TINY_BUILDING

from world import conventions as cv
from world.builder import build_site
from world.building import load_building
from world.errors import InputFileError
from world.furniture import CATALOGUE
from world.materials import PALETTE
from world.site import PROJECT_ROOT

# (what, change to the tiny site's building.toml, text on the line named, the whole message
# after "file:line: "; "…" ends a message whose list of known names is left out here)
MISTAKES = [
    (
        "typo in a key",
        ("capacity = 10", "capacty = 10"),
        "capacty",
        "rooms[1]: unknown key 'capacty' (did you mean 'capacity'? allowed: accent_material, "
        "accent_wall, capacity, floor, floor_material, height, id, kind, moderated, names, "
        "outdoor, sign, spawns, wall_material, x, z)",
    ),
    (
        "overlapping rooms",
        ("x = [0, 8]\nz = [6, 10]", "x = [0, 8]\nz = [5, 10]"),
        '[[rooms]]\nid = "garden"',
        "room garden: rooms hall and garden overlap: change x or z",
    ),
    (
        "door without a shared wall",
        ('rooms = ["hall", "garden"]', 'rooms = ["hall", "hall"]'),
        "[[doors]]",
        "doors[1]: rooms hall and hall share no wall: a door joins two rooms on one floor "
        "whose sides touch",
    ),
    (
        "door to an unknown room",
        ('rooms = ["hall", "garden"]', 'rooms = ["hall", "gardn"]'),
        "gardn",
        "doors[1]: rooms: unknown room 'gardn' (did you mean 'garden'? rooms: hall, garden)",
    ),
    (
        "door naming one room",
        ('rooms = ["hall", "garden"]', 'rooms = ["hall"]'),
        'rooms = ["hall"]',
        'doors[1]: rooms must name the two rooms the door joins, like rooms = ["hall", "…"]',
    ),
    (
        "door too wide",
        ("width = 1.6", "width = 9.0"),
        "[[doors]]",
        "doors[1]: a 9.0 m door at 4.0 does not fit the shared wall (0.0 to 8.0); 'at' is "
        "measured from hall's north-west corner",
    ),
    (
        "no entrance",
        ('entrance = "hall"\n', ""),
        "[building]",
        '[building]: name the room newcomers arrive in, e.g. entrance = "hall" (rooms: hall, '
        "garden)",
    ),
    (
        "unknown entrance",
        ('entrance = "hall"', 'entrance = "hal"'),
        "entrance =",
        "[building]: entrance: unknown room 'hal' (did you mean 'hall'? rooms: hall, garden)",
    ),
    (
        "workshop board on a station",
        ('kind = "station"', 'kind = "station"\nshows = "workshops"'),
        'shows = "workshops"',
        'anchor hall-1: shows is for boards: write kind = "board" or remove shows',
    ),
    (
        "a board showing something unknown",
        ('kind = "screen"', 'kind = "board"\nshows = "talks"'),
        'shows = "talks"',
        'anchor hall-screen: shows \'talks\': a board shows "workshops", "notes" or "offers"',
    ),
    (
        "unknown material",
        ('kind = "foyer"', 'kind = "foyer"\nfloor_material = "marble"'),
        "marble",
        "room hall: unknown material 'marble' (known: …",
    ),
    (
        "unknown furniture",
        ('type = "table"', 'type = "piano"'),
        "[[furniture]]",
        "furniture[1] (piano): unknown type (known: …",
    ),
    (
        "unknown furniture parameter",
        ("chairs = 4", "chairs = 4\nlegs = 3"),
        "[[furniture]]",
        "furniture[1] (table): unknown parameter legs (this type takes: chair_material, chairs, "
        "end_chairs, frame_material, height, material, size)",
    ),
    (
        "wrong parameter type",
        ("chairs = 4", 'chairs = "four"'),
        "[[furniture]]",
        "furniture[1] (table): chairs must look like 0",
    ),
    (
        "window off the wall",
        ("count = 2", "at = [7.5]"),
        "[[windows]]",
        "windows[1]: a window at 7.50 m runs off the wall",
    ),
    (
        "anchor outside its room",
        ("at = [1.5, 1.5]", "at = [12, 1.5]"),
        "at = [12, 1.5]",
        "anchor hall-1: at 12.0, 1.5 lies outside room hall: measured from its north-west "
        "corner, at runs from 0, 0 to 8, 6",
    ),
    (
        "anchor of an unknown kind",
        ('kind = "station"', 'kind = "fountain"'),
        "fountain",
        "anchor hall-1: kind must be one of station, screen, stage, booth, board",
    ),
    (
        "screen without size",
        ("size = [2.4, 1.35]\n", ""),
        '[[anchors]]\nid = "hall-screen"',
        "anchor hall-screen: size must be two numbers, like [1.5, 2]",
    ),
    (
        "missing English name",
        ('names = { de = "Halle", en = "Hall" }', 'names = { de = "Halle" }'),
        'names = { de = "Halle" }',
        "room hall: names has no en text",
    ),
    (
        "bad facing",
        ('facing = "south"', 'facing = "up"'),
        'facing = "up"',
        "anchor hall-1: facing 'up' must be north, south, east, west or degrees",
    ),
    (
        "not TOML",
        ("[[rooms]]", "[[rooms]"),
        "[[rooms]",
        "not valid TOML: Expected ']]' at the end of an array declaration",
    ),
    (
        "no rooms",
        ("[[rooms]]", "[[lobbies]]"),
        "[[lobbies]]",
        "unknown key 'lobbies' (allowed: anchors, building, doors, floors, furniture, "
        "materials, rooms, stairs, windows)",
    ),
    (
        "wall sign without title",
        (
            "chairs = 4\n",
            'chairs = 4\n\n[[furniture]]\ntype = "wall_sign"\nroom = "hall"\nat = [4, 0.1]\n',
        ),
        '[[furniture]]\ntype = "wall_sign"',
        "furniture[2] (wall_sign): needs title",
    ),
]


def _line_of(text: str, needle: str) -> int:
    """The line where ``needle`` starts (it may span lines)."""
    return text[: text.index(needle)].count("\n") + 1


@pytest.mark.parametrize(
    ("what", "change", "needle", "message"), MISTAKES, ids=[m[0] for m in MISTAKES]
)
def test_each_mistake_is_one_line_with_file_line_and_the_fix(
    tiny_site: Path, what: str, change: tuple[str, str], needle: str, message: str
) -> None:
    old, new = change
    assert old in TINY_BUILDING, f"test setup: {old!r} not in the tiny building"
    text = TINY_BUILDING.replace(old, new, 1)
    building = tiny_site / "building.toml"
    building.write_text(text, encoding="utf-8")
    with pytest.raises(InputFileError) as caught:
        load_building(building)
    line = _line_of(text, needle)
    got = str(caught.value)
    assert "\n" not in got
    expected = f"{building}:{line}: {message}"
    if message.endswith("…"):
        assert got.startswith(expected[:-1]), got
    else:
        assert got == expected


def test_the_dortmund_building_names_its_entrance_and_workshop_board() -> None:
    plan = load_building(PROJECT_ROOT / "assets" / "sites" / "oekohub-dortmund" / "building.toml")
    assert plan.entrance == "foyer"
    board = plan.board_showing("workshops")
    assert board is not None and board.kind == "board"


def test_only_one_board_shows_the_workshops(tiny_site: Path) -> None:
    board = (
        '\n[[anchors]]\nid = "b{n}"\nkind = "board"\nroom = "hall"\nat = [{x}, 0.2]\n'
        'size = [1.5, 1]\nshows = "workshops"\n'
    )
    text = TINY_BUILDING + board.format(n=1, x=2) + board.format(n=2, x=6)
    building = tiny_site / "building.toml"
    building.write_text(text, encoding="utf-8")
    with pytest.raises(InputFileError) as caught:
        load_building(building)
    line = text[: text.rindex("shows")].count("\n") + 1  # the second board's shows line
    assert str(caught.value) == (
        f"{building}:{line}: anchor b2: anchor b1 already shows the workshops: one board each"
    )


def test_a_site_without_building_file(tiny_site: Path, tmp_path: Path) -> None:
    (tiny_site / "building.toml").unlink()
    with pytest.raises(InputFileError, match="building description not found"):
        build_site(tiny_site, tmp_path / "m.glb")


def test_the_tiny_site_itself_is_fine(tiny_site: Path) -> None:
    plan = load_building(tiny_site / "building.toml")
    assert [r.id for r in plan.rooms] == ["hall", "garden"]
    door = plan.doors[0]
    assert (door.x, door.z, door.axis) == (4.0, 6.0, "x")
    assert plan.anchors[0].x == 1.5 and plan.anchors[0].z == 1.5


DOCS = PROJECT_ROOT / "docs"


def test_the_site_format_documents_every_furniture_type_and_material() -> None:
    text = (DOCS / "site-format.md").read_text(encoding="utf-8")
    for name, kind in CATALOGUE.items():
        assert f"| `{name}` |" in text, f"furniture type {name} is not documented"
        for key in kind.defaults:
            assert f"`{key}`" in text, f"parameter {key} of {name} is not documented"
    for material in PALETTE:
        assert f"`{material}`" in text, f"material {material} is not documented"


def test_the_world_format_documents_every_venue_name() -> None:
    text = (DOCS / "world-format.md").read_text(encoding="utf-8")
    for name in (*cv.NODE_TYPES, *cv.ANCHOR_KINDS, *cv.VENUE_EXTENSIONS, cv.EXTRAS_KEY):
        assert name in text, f"{name} is not in docs/world-format.md"
