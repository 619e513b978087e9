"""Anchors and walls: a board or screen inside its wall or floating off it, or a
station standing in a wall, is one warning with file, line and the ``at`` that fixes it."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from tiny_site import TINY_BUILDING, TINY_SITE

from world.anchor_walls import anchor_warnings
from world.building import load_building
from world.site import PROJECT_ROOT

HUBTWIN = str(PROJECT_ROOT / ".venv" / "bin" / "hubtwin")
SCREEN_AT = "at = [4, 0.2]"  # the tiny hall's screen, on the north wall (exterior, 0.35 m)
STATION_AT = "at = [1.5, 1.5]"


def _building(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "building.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _warnings(tmp_path: Path, text: str) -> list[str]:
    return anchor_warnings(load_building(_building(tmp_path, text), ("de", "en")))


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_the_tiny_hub_hangs_everything_on_its_walls(tmp_path: Path) -> None:
    assert _warnings(tmp_path, TINY_BUILDING) == []


def test_a_screen_inside_its_wall_names_file_line_and_the_inner_face(tmp_path: Path) -> None:
    text = TINY_BUILDING.replace(SCREEN_AT, "at = [4, 0.025]")
    (warning,) = _warnings(tmp_path, text)
    path = tmp_path / "building.toml"
    assert warning == (
        f"{path}:{_line_of(text, 'at = [4, 0.025]')}: anchor hall-screen: the screen hall-screen "
        "is 0.15 m inside the north wall of room hall (its inner face is 0.175 m from the "
        "room's edge), so it cannot be seen: write at = [4, 0.175]"
    )


def test_a_screen_off_its_wall_floats(tmp_path: Path) -> None:
    (warning,) = _warnings(tmp_path, TINY_BUILDING.replace(SCREEN_AT, "at = [4, 1.2]"))
    assert "the screen hall-screen floats 1.02 m in front of the north wall of room hall" in (
        warning
    )
    assert warning.endswith("write at = [4, 0.175] to hang it on the wall")


@pytest.mark.parametrize(
    ("at", "facing", "wall", "fix"),
    [
        ("[7.95, 3]", "west", "east", "at = [7.825, 3]"),
        ("[0.1, 3]", "east", "west", "at = [0.175, 3]"),
        ("[0.6, 3]", "east", "west", "at = [0.175, 3]"),
    ],
)
def test_a_board_is_measured_from_the_wall_behind_it(
    tmp_path: Path, at: str, facing: str, wall: str, fix: str
) -> None:
    board = (
        f'\n[[anchors]]\nid = "hall-board"\nkind = "board"\nroom = "hall"\nat = {at}\n'
        f'facing = "{facing}"\nelevation = 1.2\nsize = [2.0, 1.2]\n'
    )
    (warning,) = _warnings(tmp_path, TINY_BUILDING + board)
    assert "the board hall-board is" in warning or "the board hall-board floats" in warning
    assert f"the {wall} wall of room hall" in warning and warning.endswith(
        (f"write {fix}", f"write {fix} to hang it on the wall")
    )


def test_a_screen_turned_off_the_walls_axes_is_not_judged(tmp_path: Path) -> None:
    text = TINY_BUILDING.replace(SCREEN_AT, "at = [4, 3]\nfacing = 45")
    assert _warnings(tmp_path, text) == []


def test_a_station_standing_in_a_wall(tmp_path: Path) -> None:
    text = TINY_BUILDING.replace(STATION_AT, "at = [0.3, 1.5]")
    (warning,) = _warnings(tmp_path, text)
    assert warning.startswith(f"{tmp_path / 'building.toml'}:{_line_of(text, 'at = [0.3, 1.5]')}:")
    assert "the station hall-1 stands in the west wall of room hall" in warning
    assert warning.endswith("write at = [0.535, 1.5]")


def test_an_interior_wall_is_thinner(tmp_path: Path) -> None:
    side_room = (
        '\n[[rooms]]\nid = "office"\nnames = { de = "Büro", en = "Office" }\nkind = "lab"\n'
        "x = [8, 12]\nz = [0, 6]\ncapacity = 4\nspawns = 2\n"
        '\n[[doors]]\nrooms = ["hall", "office"]\nat = 3\nwidth = 1.0\n'
        '\n[[anchors]]\nid = "office-board"\nkind = "board"\nroom = "hall"\nat = [7.95, 1]\n'
        'facing = "west"\nelevation = 2.0\nsize = [1.0, 0.3]\n'
    )
    (warning,) = _warnings(tmp_path, TINY_BUILDING + side_room)
    assert "0.05 m inside the east wall of room hall (its inner face is 0.1 m" in warning
    assert warning.endswith("write at = [7.9, 1]")


def test_world_build_prints_the_warning_and_still_builds(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "site.toml").write_text(TINY_SITE, encoding="utf-8")
    text = TINY_BUILDING.replace(SCREEN_AT, "at = [4, 0.025]")
    (site / "building.toml").write_text(text, encoding="utf-8")
    out = tmp_path / "hub.glb"
    done = subprocess.run(
        [HUBTWIN, "world", "build", "--site", str(site), "-o", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    line = _line_of(text, "at = [4, 0.025]")
    warnings = [w for w in done.stderr.splitlines() if "hall-screen" in w]
    assert len(warnings) == 1
    assert f"{site / 'building.toml'}:{line}: anchor hall-screen:" in warnings[0]
    assert warnings[0].endswith("write at = [4, 0.175]")
    assert out.is_file()
