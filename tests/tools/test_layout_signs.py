"""Signs staff put up (``hubtwin world add sign`` and the edit API): lettering on a wall in
German and English, kept in layout.toml's ``[[signs]]`` and built as building.toml's
``wall_sign``; hung on the nearest wall like a screen, refused when it floats, blocks a door
or reaches the ceiling; moved, removed and put back by undo with its whole lettering.

The test site's hall spans x 0..10, z 0..8 and is 3.5 m high; its door to the garden is
centred at x 5 on the south wall; the hall's screen hangs at 8.5 on the north wall.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from server.features.world.undo import EditHistory, EditStep, full_title
from tools.layout_edits import LayoutEditor
from tools.refusals import PlacementRefused
from tools.world_publish import draft_checks
from world.builder import build_site
from world.errors import InputFileError, UsageError
from world.gltf_reader import read_gltf_file
from world.khronos import validate_file
from world.layout_file import read_layout
from world.site import load_site


def _editor(site: Path) -> LayoutEditor:
    return LayoutEditor(load_site(site))


def _signage_triangles(path: Path) -> int:
    doc, _ = read_gltf_file(path)
    mesh = next(m for m in doc.json["meshes"] if m.get("name") == "Signage")
    return sum(doc.json["accessors"][p["indices"]]["count"] // 3 for p in mesh["primitives"])


def test_a_sign_hangs_on_the_wall_and_is_built_as_a_wall_sign(site: Path, tmp_path: Path) -> None:
    without = _signage_triangles(build_site(site, tmp_path / "before.glb").path)
    editor = _editor(site)
    result = editor.add(
        "sign", "hall", (3.0, 0.6), title={"de": "Große Halle", "en": "Main hall"}, width=2.0
    )
    item = result.item
    assert item is not None and item.id == "hall-sign-1" and item.kind == "sign"
    assert result.warnings[0].startswith("put on the north wall of hall")
    assert item.facing == 0.0 and item.at[1] < 0.2  # on the north wall's inner face
    assert (item.elevation, item.size, item.name) == (2.0, (2.0, 0.5), "Große Halle")

    layout = read_layout(site / "layout.toml")
    assert layout.signs[0].title == {"de": "Große Halle", "en": "Main hall"}
    signs = [f for f in editor.staff.plan.furniture if f.type == "wall_sign"]
    assert [(f.params["title"], f.params["subtitle"], f.params["width"]) for f in signs] == [
        ("Große Halle", "Main hall", 2.0)
    ]
    assert [(c.id, c.refused) for c in draft_checks(load_site(site))] == [("hall-sign-1", None)]

    report = build_site(site, tmp_path / "hub.glb")
    assert report.built
    khronos = validate_file(report.path)
    assert khronos.errors == 0
    assert _signage_triangles(report.path) == without + 2  # the lettering's quad


@pytest.mark.parametrize(
    ("at", "bottom", "width", "reason", "words"),
    [
        ((3.0, 4.0), None, 2.0, "not-on-wall", "floats 3."),
        ((5.0, 7.6), 1.0, 2.0, "door", "blocks door hall-garden"),
        ((3.0, 0.6), 3.2, 2.0, "ceiling", "reaches 3.74 m high; the room is 3.5 m high"),
    ],
)
def test_sign_refusals(
    site: Path,
    at: tuple[float, float],
    bottom: float | None,
    width: float,
    reason: str,
    words: str,
) -> None:
    editor = _editor(site)
    with pytest.raises(PlacementRefused, match=words) as refused:
        editor.add(
            "sign", "hall", at, elevation=bottom, title={"de": "Halle"}, width=width, facing=0.0
        )
    assert refused.value.reason == reason
    assert not (site / "layout.toml").exists()


def test_sign_usage_errors(site: Path) -> None:
    editor = _editor(site)
    with pytest.raises(UsageError, match="needs a --title"):
        editor.add("sign", "hall", (3.0, 0.6))
    with pytest.raises(UsageError, match="needs the 'de' text"):
        editor.add("sign", "hall", (3.0, 0.6), title={"en": "Hall"})
    with pytest.raises(UsageError, match="--width: between 0 and 8 m"):
        editor.add("sign", "hall", (3.0, 0.6), title={"de": "Halle"}, width=20.0)
    with pytest.raises(UsageError, match="takes no --width"):
        editor.add("screen", "hall", (3.0, 0.2), size=(1.0, 1.0), width=2.0)


def test_move_remove_and_undo_keep_the_whole_lettering(site: Path) -> None:
    editor = _editor(site)
    history = EditHistory()
    added = editor.add("sign", "hall", (3.0, 0.6), title={"de": "Halle", "en": "Hall"})
    history.record(EditStep.of(added, {"de": "Halle", "en": "Hall"}))
    moved = editor.move("hall-sign-1", at=(9.5, 4.0), facing=270.0)
    assert moved.item is not None and moved.item.facing == 270.0 and moved.item.at[0] > 9.7
    history.record(EditStep.of(moved))
    title = full_title(editor, "hall-sign-1")
    assert title == {"de": "Halle", "en": "Hall"}
    removed = editor.remove("hall-sign-1", kind="sign")
    history.record(EditStep.of(removed, title))
    assert editor.items(kind="sign") == []

    back = history.undo(editor)  # the removal: put back as it stood, both languages
    assert back.item is not None and back.item.at == moved.item.at
    assert read_layout(site / "layout.toml").signs[0].title == {"de": "Halle", "en": "Hall"}
    history.undo(editor)  # the move
    assert editor.item("hall-sign-1").at == added.item.at  # type: ignore[union-attr]


def test_a_broken_signs_table_is_one_clear_error(site: Path) -> None:
    (site / "layout.toml").write_text(
        '[[signs]]\nid = "s"\nroom = "hall"\nat = [3, 0.2]\n', encoding="utf-8"
    )
    with pytest.raises(InputFileError, match=r"signs\[0\]: title is missing"):
        read_layout(site / "layout.toml")
