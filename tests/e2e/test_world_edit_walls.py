"""The edit mode's wall tools in real Chromium against a real hub: a sign put up from the
panel (lettering in German and English) hangs on the wall the staff member looks at and
leaves the same draft as ``hubtwin world add sign`` with the same place on a copy of the
site; a station dragged with the mouse on the gizmo's arrow towards a wall snaps flush with
its back to it while dragging, and letting go saves it as ``hubtwin world move --to-wall``
saves the same edit."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import HubServer, Visitor, Visitors, copy_built, running_hub
from test_world_edit_tools import HUBTWIN, PASSWORD, editing, ids, item, new_item, spots_tried

from world.site import DEFAULT_SITE

pytestmark = pytest.mark.e2e

STEP_PX = 3  # one mouse move while dragging


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubServer]:
    root = tmp_path_factory.mktemp("edit-walls-hub")
    site = shutil.copytree(DEFAULT_SITE, root / "site")
    data = root / "data"
    copy_built(data, talks=False)
    where = ["--site", str(site), "--data-dir", str(data)]
    account = ["add", "chefin", "--role", "staff", "--name", "Chefin", "--password-stdin"]
    subprocess.run(
        [HUBTWIN, "accounts", *where, *account],
        input=PASSWORD + "\n",
        text=True,
        check=True,
        capture_output=True,
    )
    with running_hub(data, "--site", str(site)) as server:
        yield server


def site_of(hub: HubServer) -> Path:
    return hub.data_dir.parent / "site"


def hubtwin(*args: str) -> None:
    done = subprocess.run([HUBTWIN, *args], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def room_origin(staff: Visitor, room: str) -> tuple[float, float]:
    bounds = next(r for r in staff.venue()["rooms"] if r["id"] == room)["bounds"]
    return bounds["x0"], bounds["z0"]


@pytest.mark.timeout(480)
def test_a_sign_from_the_panel_hangs_on_the_wall_as_the_command_line_hangs_it(
    hub: HubServer, visitors: Visitors, tmp_path: Path
) -> None:
    staff = editing(visitors)
    page = staff.page
    twin = Path(shutil.copytree(site_of(hub), tmp_path / "cli-site"))
    x0, z0 = room_origin(staff, "foyer")
    page.evaluate("([x, z]) => window.hubtwin.lookAt(x, z)", [x0 + 3.0, z0])  # the north wall

    before = ids(staff)
    page.fill("#edit-sign-de", "Empfang")
    page.fill("#edit-sign-en", "Reception")
    page.fill("#edit-sign-width", "2")
    page.locator("#edit-add-sign button[type=submit]").click()
    sign = new_item(staff, before)
    assert sign["kind"] == "sign" and sign["room"] == "foyer", sign
    assert sign["facing"] in (0.0, 90.0, 180.0, 270.0), sign
    faces = {0.0: sign["at"][1], 180.0: 11.825 - sign["at"][1], 90.0: sign["at"][0]}
    assert abs(faces.get(sign["facing"], 17.9 - sign["at"][0]) - 0.11) < 0.02, sign
    layout = (site_of(hub) / "layout.toml").read_text(encoding="utf-8")
    assert 'title = { de = "Empfang", en = "Reception" }' in layout
    staff.wait_for("s.edit.checks.some((c) => c.id === arg && c.ok)", sign["id"])

    at = f"{sign['at'][0]},{sign['at'][1]}"
    hubtwin(
        *("world", "add", "sign", "--room", "foyer", "--at", at, "--yaw", str(sign["facing"])),
        *("--width", "2", "--title", "de=Empfang", "--title", "en=Reception"),
        *("--site", str(twin)),
    )
    assert layout == (twin / "layout.toml").read_text(encoding="utf-8")
    spots_tried(staff)


@pytest.mark.timeout(480)
def test_dragging_a_station_near_a_wall_snaps_it_flush_and_saves_it_to_the_wall(
    hub: HubServer, visitors: Visitors, tmp_path: Path
) -> None:
    staff = editing(visitors)
    page = staff.page
    twin = Path(shutil.copytree(site_of(hub), tmp_path / "cli-site"))
    station = item(staff, "lab-4")  # 0.38 m of air between its back and the lab's east wall
    assert station is not None and station["at"] == [11.3, 4.0] and station["facing"] == 270.0
    # a window wide enough that the edit panel on the left leaves the middle of the view free
    page.set_viewport_size({"width": 1600, "height": 900})
    x0, z0 = room_origin(staff, "lab")
    page.evaluate("([x, z]) => window.hubtwin.lookAt(x, z)", [x0 + 11.3, z0 + 4.0])
    page.select_option("#edit-item", "lab-4")
    staff.wait_for("s.edit.selected === 'lab-4' && s.edit.gizmo && s.edit.gizmo.x")
    staff.wait_for("s.edit.snapped === null")
    staff.frames(5)  # the view has turned to the station

    # press on the gizmo's x arrow and drag the mouse east, a few pixels at a time
    gizmo = staff.state()["edit"]["gizmo"]
    (ax, ay), (cx, cy), (ex, ey) = gizmo["x"], gizmo["centre"], gizmo["east"]
    length = ((ex - cx) ** 2 + (ey - cy) ** 2) ** 0.5
    assert length > 5, gizmo  # a metre east is to be seen on the page
    dx, dy = (ex - cx) / length, (ey - cy) / length
    page.mouse.move(ax, ay)
    page.mouse.down()
    pressed = staff.state()["edit"]["gizmo"]
    snapped = None
    for step in range(1, 80):
        page.mouse.move(ax + dx * STEP_PX * step, ay + dy * STEP_PX * step)
        snapped = staff.state()["edit"]["snapped"]
        if snapped:
            break
    if snapped != "east":
        staff.screenshot("drag-to-wall.png")
    assert snapped == "east", (gizmo, pressed, staff.state()["edit"]["gizmo"])
    while_dragged = staff.state()["edit"]["selectedAt"]
    assert while_dragged["facing"] == 270.0 and while_dragged["at"][0] > 11.5, while_dragged
    page.mouse.up()

    staff.wait_for(
        "s.edit.itemList.some((i) => i.id === 'lab-4' && i.at[0] > 11.5) && !s.edit.busy",
        timeout_ms=60000,
    )
    moved = item(staff, "lab-4")
    assert moved is not None and not staff.state()["edit"]["error"], staff.state()["edit"]
    assert moved["facing"] == 270.0 and moved["at"][1] == 4.0, moved
    # its back (0.22 m behind its middle) 2 cm from the east wall's inner face at 11.9
    assert abs(moved["at"][0] - (11.9 - 0.22 - 0.02)) < 0.01, moved
    hubtwin("world", "move", "lab-4", "--at", "11.3,4", "--to-wall", "--site", str(twin))
    layout = (site_of(hub) / "layout.toml").read_text(encoding="utf-8")
    assert layout == (twin / "layout.toml").read_text(encoding="utf-8")
