"""The browser's edit mode does what the command line does, in real Chromium against a real
hub: a model file dropped on the page is imported (and a broken one refused in words); from
the library, stations, screens, boards and spawn points are set up at free spots in front of
the staff member (a screen on the wall they look at); something moves to another room (the
same edit by ``hubtwin world move`` gives the same layout), goes against a wall, snaps to
the grid, and one change is reverted; a shelf nudged into the lab's wall is refused naming
the lab and its west wall; the checks list every edit; then a publish (a station and a
spawn point), the versions, a preview of version 0 in the staff member's 3D view (that
version's model, by its digest, without the new station, under the banner "Vorschau Version
0"; a visitor inside meanwhile keeps the current world), the way back, and the rollback to
version 0 from the preview's banner."""

from __future__ import annotations

import secrets
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import trimesh
from conftest import HubServer, Visitor, Visitors, copy_built, running_hub

from world.model import load as load_world
from world.site import DEFAULT_SITE, PROJECT_ROOT
from world.versions import current_world_file, read_version, versions_dir

pytestmark = pytest.mark.e2e

HUBTWIN = str(PROJECT_ROOT / ".venv" / "bin" / "hubtwin")
PASSWORD = "ein-langes-passwort"
SLOW_MACHINE_MS = 90000

#: A file dropped on the drop zone: a File made in the page from the bytes, in a DataTransfer.
DROP_FILE = """([name, bytes]) => {
  const file = new File([new Uint8Array(bytes)], name, { type: "application/octet-stream" });
  const data = new DataTransfer();
  data.items.add(file);
  const zone = document.getElementById("edit-drop");
  for (const kind of ["dragenter", "dragover", "drop"]) {
    const event = { dataTransfer: data, bubbles: true, cancelable: true };
    zone.dispatchEvent(new DragEvent(kind, event));
  }
}"""


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubServer]:
    """A hub of its own on a copy of the site: the tests write its draft and versions."""
    root = tmp_path_factory.mktemp("edit-tools-hub")
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


def editing(visitors: Visitors) -> Visitor:
    staff = visitors.open("Chefin")
    staff.page.set_default_timeout(SLOW_MACHINE_MS)
    staff.sign_in_as_staff("chefin", PASSWORD, timeout_ms=SLOW_MACHINE_MS)
    staff.wait_for("s.edit !== null", timeout_ms=30000)
    staff.page.locator("#toggle-edit").click()
    staff.wait_for("s.edit.open && s.edit.items > 0 && !s.edit.busy", timeout_ms=60000)
    return staff


def settled(staff: Visitor) -> None:
    staff.wait_for("!s.edit.busy", timeout_ms=60000)


def item(staff: Visitor, item_id: str) -> dict | None:
    found = [i for i in staff.state()["edit"]["itemList"] if i["id"] == item_id]
    return found[0] if found else None


def new_item(staff: Visitor, before: set[str]) -> dict:
    staff.wait_for(
        "s.edit.itemList.some((i) => !arg.includes(i.id)) && !s.edit.busy",
        sorted(before),
        timeout_ms=150000,  # spots the server refuses are tried in turn, on a busy machine
    )
    made = [i for i in staff.state()["edit"]["itemList"] if i["id"] not in before]
    assert len(made) == 1, made
    return made[0]


def ids(staff: Visitor) -> set[str]:
    return {i["id"] for i in staff.state()["edit"]["itemList"]}


def crate_glb() -> bytes:
    data: bytes = trimesh.creation.box(extents=(0.8, 0.6, 0.5)).export(file_type="glb")
    return data


def expected_refusals(staff: Visitor, path: str) -> None:
    """The browser logs a refused request as a console error: those of ``path`` are meant."""
    meant = [p for p in staff.problems if f"/api/world/{path}" in p and "status of 4" in p]
    assert meant, staff.problems
    for problem in meant:
        staff.problems.remove(problem)


def spots_tried(staff: Visitor) -> None:
    """A spot ahead the server refuses (floor the item list cannot show as blocked) is
    logged as a refused request before the next spot is tried: those are meant too."""
    for problem in [p for p in staff.problems if "status of 409" in p]:
        if "/api/world/add" in problem or "/api/world/place" in problem:
            staff.problems.remove(problem)


def distance(a: dict, b: dict) -> float:
    return float(((a["at"][0] - b["at"][0]) ** 2 + (a["at"][1] - b["at"][1]) ** 2) ** 0.5)


@pytest.mark.timeout(420)
def test_import_set_up_move_revert_and_check_in_the_browser(
    hub: HubServer, visitors: Visitors, tmp_path: Path
) -> None:
    staff = editing(visitors)
    page = staff.page
    assert not staff.problems, staff.problems

    # a model dropped on the page: imported like hubtwin assets import
    name = f"kiste-{secrets.token_hex(2)}"  # a second attempt finds the first one's
    page.fill("#edit-import-name", name)
    page.evaluate(DROP_FILE, ["Kiste.glb", list(crate_glb())])
    staff.wait_for("s.edit.lastImport && !s.edit.busy", timeout_ms=120000)
    assert staff.state()["edit"]["lastImport"] == {"ok": True, "name": name}
    assert name in staff.state()["edit"]["library"]
    assert (site_of(hub) / "library" / name / "model.glb").is_file()
    assert name in staff.state()["edit"]["status"]
    # a file cut to nothing, chosen with the file input: refused in words, nothing imported
    empty = tmp_path / "leer.glb"
    empty.write_bytes(b"")
    page.set_input_files("#edit-import-file", str(empty))
    staff.wait_for("s.edit.lastImport && !s.edit.lastImport.ok && !s.edit.busy", timeout_ms=60000)
    refusal = staff.state()["edit"]
    assert refusal["lastImport"]["code"] == "input_file" and refusal["error"]
    assert "leer.glb" in refusal["status"] and not (site_of(hub) / "library" / "leer").exists()
    expected_refusals(staff, "import")

    # set up at free spots in front of the staff member, not on top of one another
    before = ids(staff)
    page.locator(f".edit-asset[data-asset='{name}']").click()
    kiste = new_item(staff, before)
    assert kiste["kind"] == "asset" and kiste["room"] == "foyer"
    before = ids(staff)
    page.fill("#edit-station-de", "Wasser")
    page.fill("#edit-station-en", "Water")
    page.locator("#edit-add-station button[type=submit]").click()
    station = new_item(staff, before)
    assert station["kind"] == "station" and distance(station, kiste) >= 1.0
    before = ids(staff)
    page.locator("#edit-add-spawn").click()
    spawn = new_item(staff, before)
    assert spawn["kind"] == "spawn"
    assert min(distance(spawn, kiste), distance(spawn, station)) >= 0.9
    # a screen and a board go on the wall the staff member looks at
    before = ids(staff)
    page.locator("#edit-add-screen button[type=submit]").click()
    screen = new_item(staff, before)
    before = ids(staff)
    page.fill("#edit-board-de", "Termine")
    page.fill("#edit-board-en", "Dates")
    page.locator("#edit-add-board button[type=submit]").click()
    board = new_item(staff, before)
    foyer = next(r for r in staff.venue()["rooms"] if r["id"] == "foyer")["bounds"]
    size = (foyer["x1"] - foyer["x0"], foyer["z1"] - foyer["z0"])
    for mounted in (screen, board):
        x, z = mounted["at"]
        assert mounted["facing"] in (0.0, 90.0, 180.0, 270.0), mounted
        assert min(x, z, size[0] - x, size[1] - z) < 0.3, f"not on a wall: {mounted}"
    assert distance(screen, board) > 1.0
    # the checks before publishing: every edit listed, none refused
    staff.wait_for("s.edit.checks.length >= 5 && !s.edit.busy", timeout_ms=60000)
    checks = staff.state()["edit"]["checks"]
    assert all(c["ok"] for c in checks), checks
    assert {kiste["id"], station["id"], screen["id"], board["id"], spawn["id"]} <= {
        c["id"] for c in checks
    }

    # move the crate to the lab; the command line does the same edit on a copy of the site
    twin = Path(shutil.copytree(site_of(hub), tmp_path / "cli-site"))
    page.select_option("#edit-item", kiste["id"])
    staff.wait_for("s.edit.selected === arg", kiste["id"])
    page.select_option("#edit-room-select", "lab")
    page.locator("#edit-move-room").click()
    staff.wait_for("s.edit.itemList.some((i) => i.id === arg && i.room === 'lab')", kiste["id"])
    settled(staff)
    moved = item(staff, kiste["id"])
    assert moved is not None and not staff.state()["edit"]["error"]
    at = f"{moved['at'][0]},{moved['at'][1]}"
    cli = [HUBTWIN, "world", "move", kiste["id"], "--room", "lab", "--at", at]
    done = subprocess.run(
        [*cli, "--yaw", str(moved["facing"]), "--site", str(twin)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    layout = (site_of(hub) / "layout.toml").read_text(encoding="utf-8")
    assert layout == (twin / "layout.toml").read_text(encoding="utf-8")

    # against the wall, on the grid
    page.locator("#edit-to-wall").click()
    staff.wait_for(
        "s.edit.itemList.some((i) => i.id === arg[0] && i.facing !== arg[1]) && !s.edit.busy",
        [kiste["id"], moved["facing"]],
        timeout_ms=60000,
    )
    walled = item(staff, kiste["id"])
    assert walled is not None and walled["facing"] in (0.0, 90.0, 180.0, 270.0)
    page.locator("#edit-grid").check()
    page.select_option("#edit-item", station["id"])
    page.locator("#edit-east").click()
    staff.wait_for(
        "s.edit.itemList.some((i) => i.id === arg && i.state === 'added' && "
        "Math.abs(i.at[0] * 2 - Math.round(i.at[0] * 2)) < 0.01) && !s.edit.busy",
        station["id"],
        timeout_ms=60000,
    )
    # one change reverted: the crate is gone from the draft, the rest stays
    page.locator(f"#edit-change-list li[data-id='{kiste['id']}'] .edit-revert").click()
    staff.wait_for("!s.edit.itemList.some((i) => i.id === arg) && !s.edit.busy", kiste["id"])
    assert station["id"] in ids(staff)
    assert kiste["id"] not in (site_of(hub) / "layout.toml").read_text(encoding="utf-8")

    # a lab shelf nudged into the wall it shares with the auditorium: refused in the lab
    page.select_option("#edit-item", "lab-shelf-1")
    page.locator("#edit-grid").uncheck()
    for _ in range(4):  # 0.35 m from the west edge, four 10 cm steps west
        page.locator("#edit-west").click()
    staff.wait_for("s.edit.error && !s.edit.busy", timeout_ms=60000)
    words = staff.state()["edit"]["status"]
    assert "lab" in words and "west" in words and "auditorium" not in words, words
    expected_refusals(staff, "move")
    spots_tried(staff)


@pytest.mark.timeout(480)
def test_publish_preview_an_old_version_and_roll_back_to_version_0(
    hub: HubServer, visitors: Visitors
) -> None:
    guest = visitors.open("Gast")  # someone inside meanwhile (slow to enter on a busy machine)
    guest.page.set_default_timeout(SLOW_MACHINE_MS)
    visitors.enter(guest)
    staff = editing(visitors)
    page = staff.page
    page.set_viewport_size({"width": 1280, "height": 800})  # the preview's banner beside the panel
    world_dir = hub.data_dir / "world"
    before = ids(staff)
    page.locator("#edit-add-spawn").click()
    new_item(staff, before)
    before = ids(staff)
    page.fill("#edit-station-de", "Vorschau")
    page.fill("#edit-station-en", "Preview")
    page.locator("#edit-add-station button[type=submit]").click()
    station = new_item(staff, before)["id"]
    reloads = staff.state()["world"]["reloads"]
    page.fill("#edit-message", "Startpunkt im Empfang")
    page.locator("#edit-publish-button").click()
    staff.wait_for("s.world.reloads > arg && !s.edit.busy", reloads, timeout_ms=180000)
    staff.wait_for("s.edit.changes === 0", timeout_ms=30000)

    page.locator("#edit-versions-button").click()
    staff.wait_for("s.edit.versions.length >= 2 && !s.edit.busy", timeout_ms=30000)
    versions = staff.state()["edit"]["versions"]
    assert versions[-1] == {"version": 0, "current": False, "kind": "built"}
    assert versions[0]["current"] and versions[0]["version"] >= 1

    current = staff.state()["world"]["digest"]
    assert station in staff.state()["edit"]["view3d"]["anchors"]["station"]
    guest.wait_for("s.world.digest === arg", current, timeout_ms=120000)
    guest_reloads = guest.state()["world"]["reloads"]
    built = read_version(versions_dir(world_dir) / "0000")
    assert built is not None

    # the preview of version 0: what going back to it changes (the spawn points go), and
    # that version itself in the staff member's 3D view
    page.locator("#edit-versions li[data-version='0'] .edit-preview-button").click()
    staff.wait_for("s.edit.preview && s.edit.preview.version === 0", timeout_ms=30000)
    preview = staff.state()["edit"]["preview"]["changes"]
    assert preview and any("spawn" in line for line in preview), preview
    assert page.locator("#edit-version-preview").is_visible()
    staff.wait_for("s.edit.view3d.version === 0 && !s.edit.busy", timeout_ms=120000)
    shown = staff.state()["edit"]["view3d"]
    assert shown["digest"] == built.sha256 == load_world(built.model).digest, shown
    assert not shown["currentVisible"] and station not in shown["anchors"].get("station", [])
    assert shown["banner"].startswith("Vorschau Version 0"), shown
    assert page.locator("#edit-preview-banner").is_visible()
    assert staff.state()["world"]["digest"] == current  # the hub still serves the current one
    # someone inside meanwhile: still in the current world, nothing loaded again
    assert guest.state()["world"]["digest"] == current
    assert guest.state()["world"]["reloads"] == guest_reloads
    assert page.locator("#edit-preview-banner").count() == 1
    assert guest.page.locator("#edit-preview-banner").count() == 0
    # read-only meanwhile: an edit is not made, the panel says why
    page.locator("#edit-add-spawn").click()
    staff.wait_for("s.edit.error && s.edit.status.includes('Version 0')", timeout_ms=30000)
    assert staff.state()["edit"]["changes"] == 0

    # the way back to the current world, then the preview again and its rollback button
    page.locator("#edit-preview-back").click()
    staff.wait_for("s.edit.view3d.version === null && s.edit.view3d.currentVisible")
    assert station in staff.state()["edit"]["view3d"]["anchors"]["station"]
    assert not page.locator("#edit-preview-banner").is_visible()
    page.locator("#edit-versions li[data-version='0'] .edit-preview-button").click()
    staff.wait_for("s.edit.view3d.version === 0 && !s.edit.busy", timeout_ms=120000)

    reloads = staff.state()["world"]["reloads"]
    page.locator("#edit-preview-rollback").click()
    staff.wait_for("s.world.reloads > arg && !s.edit.busy", reloads, timeout_ms=120000)
    staff.wait_for("s.edit.versions[0].current && s.edit.versions[0].kind === 'rollback'")
    served = current_world_file(world_dir)
    assert served is not None
    assert load_world(served).digest == load_world(built.model).digest
    staff.wait_for("s.edit.view3d.version === null && s.edit.view3d.currentVisible")
    assert station not in staff.state()["edit"]["view3d"]["anchors"].get("station", [])
    guest.wait_for("s.world.digest === arg", built.sha256, timeout_ms=120000)
    # the new station has no content yet: a page near it asked for it and got 404 (meant)
    for person in (staff, guest):
        person.problems[:] = [
            p for p in person.problems if not (f"/api/stations/{station}" in p and "404" in p)
        ]
    assert staff.state()["world"]["digest"] == load_world(served).digest
    assert "0" in staff.state()["edit"]["status"] and not staff.state()["edit"]["error"]
    spots_tried(staff)


@pytest.mark.timeout(300)
def test_a_refused_step_puts_the_item_back_where_the_server_has_it(visitors: Visitors) -> None:
    """Two quick steps on a slow connection: the first is saved, the second refused. The
    item goes back to where the first put it, not to where it stood before both."""
    staff = editing(visitors)
    page = staff.page
    page.select_option("#edit-item", "lab-shelf-1")
    staff.wait_for("s.edit.selected === 'lab-shelf-1'")
    page.locator("#edit-grid").uncheck()
    for _ in range(8):  # west, step by step, until the wall refuses a step
        page.locator("#edit-west").click()
        staff.wait_for("!s.edit.busy", timeout_ms=60000)
        if staff.state()["edit"]["error"]:
            break
    assert staff.state()["edit"]["error"], "the wall refused no step"
    expected_refusals(staff, "move")
    page.locator("#edit-east").click()
    staff.wait_for("!s.edit.busy && !s.edit.error", timeout_ms=60000)
    shelf = item(staff, "lab-shelf-1")
    assert shelf is not None
    last_free = shelf["at"][0] - 0.1  # one step west is still free, two are not

    held = staff.hold_requests("**/api/world/move")
    page.locator("#edit-west").click()
    staff.until_held(held, 1)
    page.locator("#edit-west").click()
    staff.wait_for("s.edit.queued === 2")  # the second step waits behind the first
    held[0].continue_()
    staff.until_held(held, 2)
    held[1].continue_()
    staff.wait_for("!s.edit.busy && s.edit.error", timeout_ms=60000)
    page.unroute("**/api/world/move")
    expected_refusals(staff, "move")
    shelf = item(staff, "lab-shelf-1")
    assert shelf is not None and abs(shelf["at"][0] - last_free) < 0.01, shelf
    shown = staff.state()["edit"]["selectedAt"]
    assert abs(shown["at"][0] - last_free) < 0.01, shown
    assert staff.problems == [], staff.problems
