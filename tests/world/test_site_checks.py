"""Mistakes in a site folder, each one line with file, line and the fix; and what used to be a
hidden convention, now named: the room newcomers arrive in and the board showing workshops."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from tiny_site import TINY_BUILDING, TINY_SITE

from server.app.cli import main
from server.base.identity import Identity, Role
from server.base.settings import Settings
from server.core.hub import HubCore
from server.protocol import table as protocol
from server.protocol.table import Appearance, Hello
from world.builder import build_site
from world.errors import InputFileError
from world.model import load
from world.site import load_site

SITE = TINY_SITE + '\nprimary_colour = "#2f7d4f"\nlogo = "logo.svg"\n'
SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"></svg>\n'


def _line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


# (what, change to site.toml, text on the line named, the message after "file:line: ")
SITE_MISTAKES = [
    (
        "missing logo",
        ('logo = "logo.svg"', 'logo = "logo.png"'),
        "logo.png",
        "[branding].logo: 'logo.png' not found in {folder}: put the image there or correct "
        "the name",
    ),
    (
        "malformed colour",
        ('primary_colour = "#2f7d4f"', 'primary_colour = "green"'),
        "green",
        "[branding].primary_colour: 'green' is not a colour; write it as \"#rrggbb\", e.g. "
        '"#2f7d4f"',
    ),
    (
        "unknown key",
        ('short_name = "Tiny"', 'shortname = "Tiny"'),
        "shortname",
        "[branding] unknown key 'shortname' (did you mean 'short_name'? allowed: accent_colour, "
        "logo, name, primary_colour, short_name, tagline)",
    ),
    (
        "unknown table",
        ("[branding]", "[brandng]"),
        "[brandng]",
        "unknown key 'brandng' (did you mean 'branding'? allowed: branding, operator, site)",
    ),
    (
        "default language not offered",
        ('languages = ["de", "en"]', 'languages = ["de", "en"]\ndefault_language = "fr"'),
        "default_language",
        "[site] default_language 'fr' is not one of languages (de, en)",
    ),
    (
        "not TOML",
        ('short_name = "Tiny"', 'short_name = "Tiny'),
        'short_name = "Tiny',
        "not valid TOML: Illegal character '\\n'",
    ),
]


@pytest.mark.parametrize(
    ("what", "change", "needle", "message"), SITE_MISTAKES, ids=[m[0] for m in SITE_MISTAKES]
)
def test_site_toml_mistakes_are_one_line_with_file_line_and_the_fix(
    tiny_site: Path, what: str, change: tuple[str, str], needle: str, message: str
) -> None:
    (tiny_site / "logo.svg").write_text(SVG, encoding="utf-8")
    manifest = tiny_site / "site.toml"
    _write(manifest, SITE)
    load_site(tiny_site)  # the good one loads
    text = SITE.replace(*change, 1)
    assert text != SITE
    _write(manifest, text)
    with pytest.raises(InputFileError) as caught:
        load_site(tiny_site)
    expected = f"{manifest}:{_line_of(text, needle)}: {message.format(folder=tiny_site)}"
    assert str(caught.value) == expected


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_content_check_prints_a_building_mistake_as_one_line(
    tiny_site: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = TINY_BUILDING.replace('rooms = ["hall", "garden"]', 'rooms = ["hall", "gardn"]')
    _write(tiny_site / "building.toml", text)
    assert main(["content", "check", "--site", str(tiny_site)]) == 3
    err = capsys.readouterr().err.strip()
    assert err == (
        f"hubtwin: {tiny_site / 'building.toml'}:{_line_of(text, 'gardn')}: doors[1]: rooms: "
        "unknown room 'gardn' (did you mean 'garden'? rooms: hall, garden)"
    )


def test_the_entrance_is_carried_into_the_model_and_its_spawns_come_first(
    tiny_site: Path, tmp_path: Path
) -> None:
    text = TINY_BUILDING.replace('entrance = "hall"', 'entrance = "garden"')
    _write(tiny_site / "building.toml", text)
    world = load(build_site(tiny_site, tmp_path / "hub.glb").path)
    assert world.rooms[0].id == "hall"  # the first room listed is no longer the entrance
    assert world.entrance == "garden"
    assert world.spawns[0].room_id == "garden"


def test_a_model_without_an_entrance_starts_in_its_first_room(
    tiny_site: Path, tmp_path: Path
) -> None:
    world = load(build_site(tiny_site, tmp_path / "hub.glb").path)
    world.meta.pop("entrance")
    assert world.entrance == "hall"
    world.meta["entrance"] = "nowhere"
    assert world.entrance == "hall"


def test_the_board_that_shows_workshops_is_marked_in_the_model(
    tiny_site: Path, tmp_path: Path
) -> None:
    board = (
        '\n[[anchors]]\nid = "notices"\nkind = "board"\nroom = "hall"\nat = [6, 0.2]\n'
        'size = [1.5, 1]\nshows = "workshops"\n'
    )
    _write(tiny_site / "building.toml", TINY_BUILDING + board)
    world = load(build_site(tiny_site, tmp_path / "hub.glb").path)
    (anchor,) = world.anchors_of("board")
    assert anchor.id == "notices" and anchor.extras["shows"] == "workshops"


def test_newcomers_arrive_in_the_named_entrance_not_the_first_room(
    tiny_site: Path, tmp_path: Path
) -> None:
    text = TINY_BUILDING.replace('entrance = "hall"', 'entrance = "garden"')
    _write(tiny_site / "building.toml", text)
    world = load(build_site(tiny_site, tmp_path / "hub.glb").path)
    core = HubCore(world, Settings(), seed=3)
    assert core.entrance == "garden"
    visitor = Identity("id-ada", "Ada", Role.VISITOR, True)
    hello = Hello(protocol.PROTOCOL_VERSION, "token", "de", Appearance("#336699", "cube"))
    fx = core.hello(1, visitor, hello, 1000.0)
    joined = [
        message
        for frame, _ in fx.sends
        if (message := protocol.decode_server(frame))["t"] == "joined"
    ]
    assert [m["room"] for m in joined] == ["garden"]
    position = np.asarray(joined[0]["pose"]["pos"], dtype=np.float64)
    assert world.room_at(position[None])[0] == world.room_index("garden")
