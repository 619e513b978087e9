"""A workshop in the browser: a visitor comes in by the workshop's link (a second one speaks
the protocol from Python, to keep the test light), the facilitator starts it from the panel,
gathers both (they end up around the facilitator, not stacked) and leads a follow-me tour
across the room (they end up near the facilitator again, as the visitor's own client and the
facilitator's view both show); an announcement arrives; a workshop planned in the panel is
listed; the foyer board lists the workshop."""

from __future__ import annotations

import json
import math
import subprocess
import time
import urllib.request
import uuid
from typing import Any

import numpy as np
import pytest
from conftest import Guests, HubServer, Visitor, Visitors

from world.model import World
from world.site import PROJECT_ROOT

pytestmark = pytest.mark.e2e


def account(hub: HubServer, name: str) -> tuple[str, str]:
    """A facilitator account made with the CLI: (username, password)."""
    username, password = f"{name.lower()}-{uuid.uuid4().hex[:6]}", uuid.uuid4().hex
    subprocess.run(
        [
            str(PROJECT_ROOT / ".venv" / "bin" / "hubtwin"),
            "accounts",
            "--data-dir",
            str(hub.data_dir),
            "add",
            username,
            "--name",
            name,
            "--role",
            "facilitator",
            "--password-stdin",
        ],
        input=password.encode(),
        check=True,
        cwd=PROJECT_ROOT,
        capture_output=True,
    )
    return username, password


def post(hub: HubServer, path: str, body: dict[str, Any], token: str | None = None) -> Any:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(
        hub.url + path.lstrip("/"), data=json.dumps(body).encode(), headers=headers, method="POST"
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def by_link(visitors: Visitors, hub: HubServer, name: str, workshop_id: str) -> Visitor:
    """Someone who opened the workshop's link (/?workshop=ID), still on the start page."""
    visitor = visitors.open(name)
    visitor.page.goto(f"{hub.url}?workshop={workshop_id}")
    deadline = time.monotonic() + 15
    while not visitor.page.evaluate("window.hubtwin !== undefined"):
        assert time.monotonic() < deadline, f"{name}: the client did not start"
        visitor.page.wait_for_timeout(50)
    return visitor


def open_spot(world: World, room: str, x: float, z: float) -> tuple[float, float]:
    """A walkable spot of the room near (x, z)."""
    spot = world.nearest_walkable(np.array([[x, 0.0, z]]))[0]
    assert world.room_at(spot[None, :])[0] == world.room_index(room)
    return float(spot[0]), float(spot[2])


def near(a: dict[str, float], b: dict[str, float]) -> float:
    return math.hypot(a["x"] - b["x"], a["z"] - b["z"])


def test_a_facilitator_gathers_two_visitors_and_leads_them_on_a_tour(
    visitors: Visitors, guests: Guests, hub: HubServer, world_model: World
) -> None:
    username, password = account(hub, "Mara")
    token = post(hub, "/api/session", {"username": username, "password": password})["token"]
    workshop = post(
        hub,
        "/api/workshops",
        {
            "title": "Rundgang Werkstatt",
            "room": "workshop",
            "starts": time.time() - 60,
            "minutes": 60,
            "agenda": [{"title": "Ankommen", "minutes": 5}, {"title": "Rundgang", "minutes": 20}],
        },
        token,
    )

    # everyone comes in by the link; the server takes them to the workshop's room
    mara = by_link(visitors, hub, "Mara", workshop["id"])
    mara.sign_in_as_staff(username, password)
    anna = by_link(visitors, hub, "Anna", workshop["id"])
    Visitors.enter(anna)
    for person in (mara, anna):
        person.wait_for("s.room === 'workshop'", timeout_ms=20000)
    guests.join("Ben", "workshop")
    # the foyer board and the panel list it
    assert any("Rundgang Werkstatt" in line for line in mara.state()["workshops"]["board"])

    # the facilitator starts it from the panel
    mara.page.locator("#toggle-workshop").click()
    mara.page.locator("#ws-start").click()
    for person in (mara, anna):
        person.wait_for("s.workshops.live && s.workshops.live.id === arg", workshop["id"])
    assert mara.state()["workshops"]["live"]["youLead"] is True
    assert anna.state()["workshops"]["live"]["youLead"] is False

    # gather: the facilitator walks off, then brings both to where they stand
    x, z = open_spot(world_model, "workshop", 15.0, -4.0)
    assert mara.walk_to(x, z)["arrived"]
    mara.page.locator("#ws-gather").click()
    here = mara.state()["position"]
    anna.wait_for("Math.hypot(s.position.x - arg.x, s.position.z - arg.z) < 3.5", here)
    mara.wait_for(
        "s.others.length === 2"
        " && s.others.every((o) => Math.hypot(o.x - arg.x, o.z - arg.z) < 3.5)",
        here,
    )
    first, second = mara.state()["others"]
    assert near(first, second) >= 0.6  # side by side, not stacked
    assert near(anna.state()["position"], here) >= 0.6

    # follow me: the facilitator walks across the room, the server walks them behind
    mara.page.locator("#ws-follow").click()
    anna.wait_for("s.workshops.live.follow !== null")
    x, z = open_spot(world_model, "workshop", 12.0, -10.0)
    assert mara.walk_to(x, z)["arrived"]
    end = mara.state()["position"]
    anna.wait_for("Math.hypot(s.position.x - arg.x, s.position.z - arg.z) < 4.0", end)
    assert "follow" in anna.state()["corrections"]
    # and the facilitator sees both avatars there
    mara.wait_for(
        "s.others.length === 2"
        " && s.others.every((o) => Math.hypot(o.x - arg.x, o.z - arg.z) < 4.5)",
        end,
        timeout_ms=10000,
    )
    mara.screenshot("workshop-tour.png")
    mara.page.locator("#ws-follow").click()
    anna.wait_for("s.workshops.live.follow === null")

    # an announcement reaches the workshop; a workshop planned in the panel is listed
    mara.page.fill("#ws-announce-text", "Gleich geht es weiter")
    mara.page.locator("#ws-announce-room").click()
    anna.wait_for(
        "s.workshops.announcement && s.workshops.announcement.text === arg", "Gleich geht es weiter"
    )
    form = mara.page.locator("#workshop-plan form")
    form.locator("input[type=text]").first.fill("Austausch am Nachmittag")
    form.locator("select").first.select_option("lounge")  # the workshop room is taken then
    form.locator("button[type=submit]").click()
    mara.wait_for("s.workshops.upcoming.some((w) => w.title === arg)", "Austausch am Nachmittag")
