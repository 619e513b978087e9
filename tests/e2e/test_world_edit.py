"""Staff edit mode in the browser: a staff member moves a station by keyboard in edit mode and
publishes; a visitor already inside loads the new world without leaving, and it has the
station where it was moved to."""

from __future__ import annotations

import secrets
import shutil
import subprocess
from collections.abc import Iterator

import pytest
from conftest import HubServer, Visitor, Visitors, copy_built, running_hub

from world.model import load as load_world
from world.site import DEFAULT_SITE, PROJECT_ROOT
from world.versions import current_world_file

pytestmark = pytest.mark.e2e

HUBTWIN = str(PROJECT_ROOT / ".venv" / "bin" / "hubtwin")
PASSWORD = "ein-langes-passwort"
STATION = "foyer-1"
# SwiftShader on a busy machine can take seconds per frame; actions wait that long.
SLOW_MACHINE_MS = 90000


#: The page's fetch, with the answer to the first move held back until the fifth step east
#: (it comes at once after that step, before the step is sent; moves are counted in
#: window.movesSent).
HOLD_FIRST_MOVE_ANSWER = """() => {
  const fetchNow = window.fetch;
  let answer = null;
  const held = new Promise((resolve) => { answer = resolve; });
  let steps = 0;
  document.getElementById("edit-east").addEventListener("click", () => {
    steps += 1;
    if (steps === 5) answer();
  });
  window.movesSent = 0;
  window.fetch = async (url, options) => {
    if (!String(url).endsWith("/api/world/move")) return fetchNow(url, options);
    window.movesSent += 1;
    const response = await fetchNow(url, options);
    if (window.movesSent === 1) await held;
    return response;
  };
}"""


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubServer]:
    """A hub of its own on a copy of the site: publishing writes the draft and new versions."""
    root = tmp_path_factory.mktemp("edit-hub")
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


def enter_as_staff(visitors: Visitors) -> Visitor:
    staff = visitors.open("Chefin")
    page = staff.page
    page.set_default_timeout(SLOW_MACHINE_MS)
    page.locator("details.staff-login summary").click()
    page.fill("#staff-username", "chefin")
    page.fill("#staff-password", PASSWORD)
    page.locator("#staff-form button[type=submit]").click()
    staff.wait_for(
        "s.phase === 'hub' && s.room !== null && s.connection === 'open' && s.edit !== null",
        timeout_ms=60000,
    )
    return staff


# Two browsers, a real publish (build and Khronos validator) and two reloads of the model.
@pytest.mark.timeout(240)
def test_staff_moves_a_station_publishes_and_a_visitor_reloads(
    hub: HubServer, visitors: Visitors
) -> None:
    visitor = visitors.new("Vera")
    visitor.page.set_default_timeout(SLOW_MACHINE_MS)
    assert visitor.state()["edit"] is None, "a visitor has no edit mode"
    assert visitor.page.locator("#toggle-edit").count() == 0
    before = visitor.state()["world"]["digest"]
    # what is published now (an earlier attempt may have published already)
    published_before = current_world_file(hub.data_dir / "world")
    staff = enter_as_staff(visitors)
    page = staff.page

    page.locator("#toggle-edit").press("Enter")
    staff.wait_for("s.edit.open && s.edit.items > 0", timeout_ms=60000)
    page.select_option("#edit-item", STATION)
    staff.wait_for("s.edit.selected === arg", STATION, timeout_ms=30000)
    start = staff.state()["edit"]["selectedAt"]
    # The server's answer to the first move comes late (a busy server), just after two more
    # steps: they must not be undone when it comes.
    page.evaluate(HOLD_FIRST_MOVE_ANSWER)
    for _ in range(3):  # 5 x 10 cm east, by keyboard: three, a pause, then two more
        page.locator("#edit-east").press("Enter")
    staff.wait_for("window.movesSent === 1", timeout_ms=30000)
    for _ in range(2):
        page.locator("#edit-east").press("Enter")
    staff.wait_for(
        "!s.edit.busy && s.edit.status.includes(arg) && !s.edit.error", STATION, timeout_ms=60000
    )
    moved = staff.state()["edit"]["selectedAt"]
    assert moved["at"][0] == pytest.approx(start["at"][0] + 0.5, abs=0.01)
    assert staff.state()["edit"]["changes"] == 1

    page.fill("#edit-message", "Begrüßungsstation ein Stück nach Osten")
    page.locator("#edit-publish-button").press("Enter")
    visitor.wait_for("s.world.reloads === 1 && s.world.digest !== arg", before, timeout_ms=60000)
    staff.wait_for("s.world.reloads === 1 && !s.edit.busy", timeout_ms=60000)
    assert visitor.state()["world"]["digest"] == staff.state()["world"]["digest"]
    version = visitor.state()["world"]["version"]
    assert isinstance(version, int) and version >= 1
    assert visitor.state()["connection"] == "open" and visitor.state()["room"] is not None
    staff.wait_for("s.edit.changes === 0", timeout_ms=30000)

    published = current_world_file(hub.data_dir / "world")
    assert published is not None
    world = load_world(published)
    assert world.digest == visitor.state()["world"]["digest"]
    assert published != published_before
    # where the staff member put it (the draft an earlier attempt left is published too)
    room = next(r for r in staff.venue()["rooms"] if r["id"] == moved["room"])
    east = room["bounds"]["x0"] + moved["at"][0]
    assert world.anchor(STATION).position[0] == pytest.approx(east, abs=0.01)


@pytest.mark.timeout(240)
def test_a_screen_added_on_the_command_line_plays_for_a_visitor_inside(
    hub: HubServer, visitors: Visitors
) -> None:
    """A version published from the command line reaches a visitor inside, and the screen it
    adds to their room is one they can use at once (no page reload)."""
    visitor = visitors.new("Vera")
    visitor.page.set_default_timeout(SLOW_MACHINE_MS)
    assert visitor.state()["room"] == "foyer"
    reloads = visitor.state()["world"]["reloads"]
    site = str(hub.data_dir.parent / "site")
    screen = f"foyer-screen-{secrets.token_hex(2)}"  # an earlier attempt may have added one
    add = ["world", "add", "screen", screen, "--room", "foyer", "--at", "3,0.6"]  # hung on the wall
    add += ["--size", "1.6,0.9", "--facing", "south", "--site", site]
    publish = ["world", "publish", "-m", "Bildschirm im Empfang", "--quiet", "--site", site]
    publish += ["--data-dir", str(hub.data_dir)]
    for command in (add, publish):
        done = subprocess.run([HUBTWIN, *command], capture_output=True, text=True, cwd=PROJECT_ROOT)
        assert done.returncode == 0, done.stderr
    visitor.wait_for("s.world.reloads === arg", reloads + 1, timeout_ms=60000)
    # the player exists and follows the state the server sent for the new screen
    visitor.wait_for(
        "s.talks.screens.some((screen) => screen.screen === arg && screen.control)",
        screen,
        timeout_ms=30000,
    )
