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

# (what, change to the tiny site's building.toml, words the error must contain)
MISTAKES = [
    ("typo in a key", ("capacity = 10", "capacty = 10"), "unknown key capacty"),
    (
        "overlapping rooms",
        ("x = [0, 8]\nz = [6, 10]", "x = [0, 8]\nz = [5, 10]"),
        "rooms hall and garden overlap",
    ),
    (
        "door without a shared wall",
        ('rooms = ["hall", "garden"]', 'rooms = ["hall", "hall"]'),
        "share no wall",
    ),
    ("door too wide", ("width = 1.6", "width = 9.0"), "does not fit the shared wall"),
    (
        "unknown material",
        ('kind = "foyer"', 'kind = "foyer"\nfloor_material = "marble"'),
        "unknown material 'marble'",
    ),
    ("unknown furniture", ('type = "table"', 'type = "piano"'), "unknown type"),
    (
        "unknown furniture parameter",
        ("chairs = 4", "chairs = 4\nlegs = 3"),
        "unknown parameter legs",
    ),
    ("wrong parameter type", ("chairs = 4", 'chairs = "four"'), "chairs must look like 0"),
    ("window off the wall", ("count = 2", "at = [7.5]"), "runs off the wall"),
    ("anchor outside its room", ("at = [1.5, 1.5]", "at = [12, 1.5]"), "lies outside room hall"),
    ("anchor of an unknown kind", ('kind = "station"', 'kind = "fountain"'), "kind must be one of"),
    ("screen without size", ("size = [2.4, 1.35]\n", ""), "size must be two numbers"),
    (
        "missing English name",
        ('names = { de = "Halle", en = "Hall" }', 'names = { de = "Halle" }'),
        "has no en text",
    ),
    (
        "bad facing",
        ('facing = "south"', 'facing = "up"'),
        "must be north, south, east, west or degrees",
    ),
    ("not TOML", ("[[rooms]]", "[[rooms]"), "not valid TOML"),
    ("no rooms", ("[[rooms]]", "[[lobbies]]"), "unknown key lobbies"),
    (
        "wall sign without title",
        (
            "chairs = 4\n",
            'chairs = 4\n\n[[furniture]]\ntype = "wall_sign"\nroom = "hall"\nat = [4, 0.1]\n',
        ),
        "needs title",
    ),
]


@pytest.mark.parametrize(("what", "change", "words"), MISTAKES, ids=[m[0] for m in MISTAKES])
def test_each_mistake_is_named(
    tiny_site: Path, what: str, change: tuple[str, str], words: str
) -> None:
    old, new = change
    assert old in TINY_BUILDING, f"test setup: {old!r} not in the tiny building"
    building = tiny_site / "building.toml"
    building.write_text(TINY_BUILDING.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(InputFileError) as caught:
        load_building(building)
    message = str(caught.value)
    assert message.startswith(str(building)), message
    assert words in message


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
