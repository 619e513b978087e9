"""Snapping to walls while dragging (web-client/js/edit/placement.js ``wallSnap``), run in the
real browser against the server: for a model, a station and a screen brought near a wall of
the Dortmund site, the spot the edit mode snaps to while dragging is the one ``hubtwin world
move --to-wall`` gives (the same wall, the same facing, the same place to the millimetre for
what the item list gives a size for); far from the walls nothing snaps, and spawn points never."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import trimesh
from playwright.sync_api import Page
from test_client_modules import page, run

from server.app.cli import main
from tools.layout_edits import LayoutEditor, wall_faces
from world.site import DEFAULT_SITE, load_site

pytestmark = pytest.mark.e2e
__all__ = ["page"]  # the browser page of test_client_modules, used as a fixture here


@pytest.fixture(scope="module")
def editor(tmp_path_factory: pytest.TempPathFactory) -> LayoutEditor:
    root = tmp_path_factory.mktemp("wall-snap")
    site = Path(shutil.copytree(DEFAULT_SITE, root / "site"))
    model = root / "Crate.glb"
    model.write_bytes(trimesh.creation.box(extents=(0.8, 0.6, 0.5)).export(file_type="glb"))
    assert main(["assets", "import", str(model), "--name", "crate", "--site", str(site)]) == 0
    return LayoutEditor(load_site(site))


def snapped(page: Page, item: dict[str, Any], faces: list[Any], at: list[float]) -> Any:
    return run(
        page,
        "edit/placement.js",
        "m.wallSnap(arg.item, arg.faces, arg.item.room, arg.at)",
        {"item": item, "faces": faces, "at": at},
    )


@pytest.mark.parametrize(
    ("kind", "room", "at", "side"),
    [
        ("asset", "lab", (0.55, 7.0), "west"),  # the crate's back 0.2 m from the face
        ("station", "lab", (11.45, 4.0), "east"),  # lab-4 dragged 15 cm towards its wall
        ("screen", "lounge", (13.0, 0.35), "north"),
    ],
)
def test_the_snap_while_dragging_is_where_to_wall_puts_it(
    page: Page, editor: LayoutEditor, kind: str, room: str, at: tuple[float, float], side: str
) -> None:
    if kind == "asset":
        item = editor.place("crate", room, (4.0, 9.5), facing=45.0).item
    elif kind == "station":
        item = editor.item("lab-4")
    else:
        item = editor.add("screen", room, (13.0, 0.2), size=(2.0, 1.2)).item
    assert item is not None
    faces = wall_faces(editor.staff.plan)
    near = snapped(page, item.to_json(), faces, list(at))
    assert near is not None and near["side"] == side, near

    server = editor.move(item.id, at=at, to_wall=True).item
    assert server is not None
    assert near["facing"] == server.facing
    if kind == "station":  # listed without a size: the edit mode's guess of its depth
        assert near["at"] == pytest.approx(list(server.at), abs=0.03)
    else:
        assert near["at"] == pytest.approx(list(server.at), abs=0.001)


def test_nothing_snaps_far_from_walls_and_spawn_points_never(
    page: Page, editor: LayoutEditor
) -> None:
    faces = wall_faces(editor.staff.plan)
    station = editor.item("lab-4").to_json()
    assert snapped(page, station, faces, [6.0, 7.0]) is None  # the middle of the lab
    assert snapped(page, station, faces, [10.9, 4.0]) is None  # 0.76 m of air behind it
    spawn = {**station, "kind": "spawn", "size": None}
    assert snapped(page, spawn, faces, [11.6, 4.0]) is None
