"""Layout edits on the draft: placing library assets, stations, screens and spawn points,
moving and removing building furniture, and every refusal with its reason and exit code.

The test site's hall spans x 0..10, z 0..8 (metres from its north-west corner); a 4 x 2 m
stage, 0.4 m high, stands at x 2..6, z 0.4..2.4; the door to the garden is centred at x 5 on
the south wall; a table stands at 7.5, 5.5. The cabinet is 1.2 m wide, 0.5 m deep, 0.8 m high.
"""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from server.app.cli import main
from tools.layout_edits import LayoutEditor
from tools.refusals import PlacementRefused
from world.builder import build_site
from world.errors import UsageError
from world.gltf_reader import read_gltf_file
from world.khronos import validate_file
from world.model import load
from world.site import load_site


def _editor(site: Path) -> LayoutEditor:
    return LayoutEditor(load_site(site))


def test_placed_asset_is_built_into_a_valid_hub_model(site: Path, tmp_path: Path) -> None:
    editor = _editor(site)
    result = editor.place("cabinet", "hall", (8.0, 3.0), facing=90.0)
    assert result.item is not None and result.item.id == "cabinet-1"
    assert result.item.to_json()["at"] == [8.0, 3.0] and result.item.facing == 90.0
    assert "cabinet-1" in (site / "layout.toml").read_text(encoding="utf-8")

    report = build_site(site, tmp_path / "hub.glb")
    assert report.built
    khronos = validate_file(report.path)
    assert khronos.errors == 0 and khronos.warnings == 0
    world = load(report.path)
    # turned to face east, the cabinet's 1.2 m run along z: its middle and ends are blocked
    assert not world.is_walkable([[8.0, 0.0, 3.0], [8.0, 0.0, 3.5]]).any()
    assert world.is_walkable([[8.0, 0.0, 4.6], [6.8, 0.0, 3.0]]).all()
    doc, _ = read_gltf_file(report.path)
    placed = [n for n in doc.json["nodes"] if "hubtwin_placed" in n.get("extras", {})]
    assert [n["extras"]["hubtwin_placed"] for n in placed] == [
        {"id": "cabinet-1", "asset": "cabinet", "room": "hall"}
    ]
    assert placed[0]["translation"] == [8.0, 0.0, 3.0]
    assert "KHR_mesh_quantization" in doc.json["extensionsRequired"]
    # the asset's OMI_link anchor came along; nothing of it became hub venue metadata
    assert any("OMI_link" in n.get("extensions", {}) for n in doc.json["nodes"])
    assert [a.id for a in world.anchors] == ["hall-1", "hall-screen"]


@pytest.mark.parametrize(
    ("at", "elevation", "facing", "reason", "words"),
    [
        ((11.0, 3.0), None, 0.0, "outside-room", "11, 3 lies outside room hall"),
        ((9.8, 3.0), None, 0.0, "outside-room", "reaches 0.40 m past the east wall"),
        ((9.3, 3.0), None, 0.0, "wall", "stands 0.08 m into the east wall"),
        ((3.0, 7.72), None, 0.0, "wall", "into the south wall"),
        ((5.0, 7.5), None, 0.0, "door", "blocks door hall-garden"),
        ((8.0, 3.0), 0.5, 0.0, "floor", "floats 0.50 m above the floor"),
        ((8.0, 3.0), 3.0, 0.0, "ceiling", "reaches 3.80 m high; the room is 3.5 m high"),
        ((6.0, 1.4), None, 0.0, "floor", "does not stand level"),
    ],
)
def test_placement_refusals(
    site: Path,
    at: tuple[float, float],
    elevation: float | None,
    facing: float,
    reason: str,
    words: str,
) -> None:
    layout = site / "layout.toml"
    editor = _editor(site)
    with pytest.raises(PlacementRefused) as refused:
        editor.place("cabinet", "hall", at, elevation=elevation, facing=facing)
    assert refused.value.reason == reason and refused.value.exit_code == 4
    assert words in str(refused.value)
    assert not layout.exists()  # a refused edit writes nothing


def test_asset_stands_on_the_stage_when_no_height_is_given(site: Path) -> None:
    result = _editor(site).place("cabinet", "hall", (4.0, 1.4))
    assert result.item is not None and result.item.elevation == pytest.approx(0.4)


def test_overlapping_furniture_is_a_warning_not_a_refusal(site: Path) -> None:
    result = _editor(site).place("cabinet", "hall", (7.5, 5.5))
    assert any("overlaps table hall-table-1" in w for w in result.warnings)


def test_unknown_room_asset_and_taken_ids_are_usage_errors(site: Path) -> None:
    editor = _editor(site)
    with pytest.raises(UsageError, match=r"no room 'kitchen' \(rooms: hall, garden\)"):
        editor.place("cabinet", "kitchen", (1.0, 1.0))
    with pytest.raises(UsageError, match="no asset 'sofa' in the library"):
        editor.place("sofa", "hall", (8.0, 3.0))
    with pytest.raises(UsageError, match="taken by station hall-1"):
        editor.place("cabinet", "hall", (8.0, 3.0), item_id="hall-1")
    with pytest.raises(UsageError, match="needs a --title"):
        editor.add("station", "hall", (8.0, 6.0))


def test_stations_screens_and_spawn_points(site: Path, tmp_path: Path) -> None:
    editor = _editor(site)
    station = editor.add(
        "station", "garden", (2.0, 2.0), facing=180.0, title={"de": "Wasser", "en": "Water"}
    )
    assert station.item is not None and station.item.id == "garden-1"
    screen = editor.add("screen", "hall", (2.0, 0.2), size=(1.6, 0.9))
    assert screen.item is not None and screen.item.elevation == pytest.approx(1.45)
    with pytest.raises(PlacementRefused, match=r"reaches 4\.06 m high") as refused:
        editor.add("screen", "hall", (8.0, 0.2), elevation=3.0, size=(2.0, 2.0))
    assert refused.value.reason == "ceiling"

    with pytest.raises(PlacementRefused, match="not on walkable floor") as refused:
        editor.add("spawn", "hall", (7.5, 5.5))  # under the table
    assert refused.value.reason == "not-walkable"
    with pytest.raises(PlacementRefused, match="blocks door"):
        editor.add("spawn", "hall", (5.0, 7.6))
    spawn = editor.add("spawn", "hall", (3.0, 5.0), facing=0.0)
    assert spawn.item is not None and spawn.item.id == "hall-spawn-1"
    assert editor.automatic_spawn_rooms() == {"garden": 3}

    world = load(build_site(site, tmp_path / "hub.glb").path)
    assert [s.id for s in world.spawns_for("hall")] == ["hall-spawn-1"]
    assert len(world.spawns_for("garden")) == 3
    assert world.anchor("garden-1").extras.get("title") == {"de": "Wasser", "en": "Water"}
    assert world.anchor("hall-screen-1").size == pytest.approx((1.6, 0.9))


def test_move_and_remove_building_items_then_revert_one(site: Path, tmp_path: Path) -> None:
    editor = _editor(site)
    moved = editor.move("hall-table-1", at=(7.5, 4.0), facing=90.0)
    assert moved.before is not None and moved.before.at == (7.5, 5.5)
    assert moved.item is not None and moved.item.state == "moved"
    turned = editor.move("hall-1", facing=0.0)
    assert turned.item is not None and turned.item.at == (1.5, 4.0) and turned.item.facing == 0
    with pytest.raises(PlacementRefused, match=r"stands 0.\d\d m into the west wall"):
        editor.move("hall-1", at=(0.35, 4.0))
    removed = editor.remove("hall-screen")
    assert removed.item is None and removed.before is not None
    assert "hall-screen" not in [i.id for i in editor.items()]
    with pytest.raises(UsageError, match="nothing with the id 'hall-screen'"):
        editor.move("hall-screen", facing=0.0)

    world = load(build_site(site, tmp_path / "hub.glb").path)
    assert [a.id for a in world.anchors] == ["hall-1"]
    assert world.is_walkable([[7.5, 0.0, 5.5]])[0]  # where the table stood
    assert not world.is_walkable([[7.5, 0.0, 4.0]])[0]  # where it stands now

    from tools.world_publish import revert_draft

    undone = revert_draft(load_site(site), tmp_path / "data" / "world", "hall-screen")
    assert [c.id for c in undone] == ["hall-screen"]
    assert "hall-screen" in [i.id for i in _editor(site).items()]
    assert "hall-table-1" in (site / "layout.toml").read_text(encoding="utf-8")


def test_two_editors_do_not_lose_each_others_edits(site: Path) -> None:
    first, second = _editor(site), _editor(site)
    first.place("cabinet", "hall", (8.0, 3.0))
    second.place("cabinet", "garden", (2.0, 2.0))  # made before the first edit was saved
    ids = [i.id for i in _editor(site).items(kind="asset")]
    assert ids == ["cabinet-1", "cabinet-2"]


def test_cli_edits_answer_in_json(site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--site", str(site), "--json"]
    place = ["world", "place", "cabinet", "--room", "hall"]
    assert main([*place, "--at", "8,3", "--yaw", "east", *args]) == 0
    answer = orjson.loads(capsys.readouterr().out)
    assert answer["ok"] is True and answer["action"] == "placed"
    assert answer["item"]["facing"] == 90.0 and answer["item"]["at"] == [8.0, 3.0]

    assert main([*place, "--at", "5,7.5", *args]) == 4
    captured = capsys.readouterr()
    refusal = orjson.loads(captured.out)
    assert refusal == {
        "ok": False,
        "error": refusal["error"],
        "exit_code": 4,
        "reason": "door",
    }
    assert captured.err.startswith("hubtwin: cabinet cabinet-2") and captured.err.count("\n") == 1

    assert main(["world", "move", "cabinet-1", "--at", "8,0,2", *args]) == 0
    assert orjson.loads(capsys.readouterr().out)["item"]["at"] == [8.0, 2.0]
    assert main(["world", "list", "--room", "hall", *args]) == 0
    listing = orjson.loads(capsys.readouterr().out)
    assert {i["id"] for i in listing["items"]} == {
        "hall-1",
        "hall-screen",
        "hall-stage-1",
        "hall-table-1",
        "cabinet-1",
    }
    assert listing["automatic_spawns"] == {"hall": 4, "garden": 3}
    assert main(["world", "remove", "cabinet-1", *args]) == 0
    assert orjson.loads(capsys.readouterr().out)["action"] == "removed"
    assert main([*place, "--at", "8;3", *args]) == 2
    assert "give X,Z or X,Y,Z" in orjson.loads(capsys.readouterr().out)["error"]


def test_cli_list_as_text(site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["world", "list", "--site", str(site)]) == 0
    out = capsys.readouterr().out
    assert "hall-table-1" in out and "automatic spawn points: hall 4, garden 3" in out


def test_a_broken_library_model_stops_the_build_with_one_clear_error(
    site: Path, tmp_path: Path
) -> None:
    from tools.glb_container import pack_glb
    from world.errors import InputFileError

    _editor(site).place("cabinet", "hall", (8.0, 3.0))
    model = site / "library" / "cabinet" / "model.glb"
    model.write_bytes(pack_glb({"asset": {"version": "2.0"}, "bufferViews": [{}]}, b"1234"))
    with pytest.raises(InputFileError, match="not a model as `hubtwin assets import` writes it"):
        build_site(site, tmp_path / "hub.glb")
    model.write_bytes(b"not a model at all")
    with pytest.raises(InputFileError, match=r"model\.glb"):
        build_site(site, tmp_path / "hub.glb")
