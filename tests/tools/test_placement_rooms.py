"""Placement refusals name the room a thing stands in and the wall it meets; screens and
boards hang on walls (hung on the nearest one when close, refused in the middle of a room);
anything can be put with its back to the nearest wall.

The test site's hall spans x 0..10, z 0..8; the garden (outdoors) lies south of it, z 8..12,
behind the hall's south wall (exterior, 0.35 m: its inner face 0.175 m into each room). A
table stands at 7.5, 5.5; the cabinet is 1.2 m wide, 0.5 m deep.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.layout_edits import LayoutEditor
from tools.refusals import PlacementRefused
from world.site import load_site


def _editor(site: Path) -> LayoutEditor:
    return LayoutEditor(load_site(site))


def test_a_table_pushed_into_the_wall_it_shares_is_refused_in_its_own_room(site: Path) -> None:
    """Nudged south until its middle is just past the line between hall and garden (as the
    browser's steps do), the table is refused in the hall, at the hall's south wall: not in
    the garden at its north wall."""
    editor = _editor(site)
    with pytest.raises(PlacementRefused) as refused:
        editor.move("hall-table-1", room="garden", at=(7.5, 0.05))
    message = str(refused.value)
    assert "hall-table-1 in hall:" in message, message
    assert "south wall" in message and "garden" not in message, message
    assert refused.value.reason in ("outside-room", "wall")


def test_a_move_through_to_the_middle_of_another_room_is_in_that_room(site: Path) -> None:
    editor = _editor(site)
    result = editor.move("hall-table-1", room="garden", at=(7.5, 2.0))
    assert result.item is not None and result.item.room == "garden"


def test_outside_the_room_names_the_wall_it_is_past(site: Path) -> None:
    with pytest.raises(PlacementRefused, match=r"outside room hall, 0\.30 m past its west wall"):
        _editor(site).move("hall-table-1", at=(-0.3, 5.5))


def test_a_screen_in_the_middle_of_the_room_is_refused(site: Path) -> None:
    editor = _editor(site)
    with pytest.raises(PlacementRefused) as refused:
        editor.add("screen", "hall", (5.0, 4.0), size=(1.6, 0.9))
    assert refused.value.reason == "not-on-wall"
    assert "in hall" in str(refused.value) and "floats" in str(refused.value)
    with pytest.raises(PlacementRefused, match="hangs on no wall") as turned:
        editor.add("screen", "hall", (5.0, 4.0), facing=45.0, size=(1.6, 0.9))
    assert turned.value.reason == "not-on-wall"
    assert not (site / "layout.toml").exists()


def test_a_screen_near_a_wall_is_hung_on_it(site: Path) -> None:
    editor = _editor(site)
    north = editor.add("screen", "hall", (3.0, 0.8), size=(1.6, 0.9))
    assert north.item is not None
    assert north.item.at == pytest.approx((3.0, 0.185)) and north.item.facing == 0.0
    assert north.warnings[0].startswith("put on the north wall of hall")
    east = editor.add("board", "hall", (9.5, 4.0), size=(1.2, 0.9), title={"de": "B", "en": "B"})
    assert east.item is not None
    assert east.item.at == pytest.approx((9.815, 4.0)) and east.item.facing == 270.0
    # moved off its wall into the room, it is refused; moved near another wall, hung there
    with pytest.raises(PlacementRefused, match="floats"):
        editor.move(east.item.id, at=(5.0, 4.0))
    west = editor.move(east.item.id, at=(0.5, 4.0))
    assert west.item is not None
    assert west.item.at == pytest.approx((0.185, 4.0)) and west.item.facing == 90.0


def test_anything_goes_with_its_back_to_the_nearest_wall(site: Path) -> None:
    editor = _editor(site)
    placed = editor.place("cabinet", "hall", (8.5, 3.0))
    assert placed.item is not None
    moved = editor.move(placed.item.id, to_wall=True)
    assert moved.item is not None
    # the east wall's inner face at 9.825; the cabinet, 0.5 m deep, turned to face west
    assert moved.item.facing == 270.0
    assert moved.item.at == pytest.approx((9.825 - 0.25 - 0.02, 3.0), abs=0.01)
