"""Two people visit the hub in real browsers and meet: the scenarios of the web client.

Each visitor is a browser context of Debian's chromium (WebGL through SwiftShader) on the
real ``hubtwin serve``. The ``visitors`` fixture fails a test on any console error.
Screenshots are saved in test-artifacts/ and checked for content.
"""

from __future__ import annotations

import math
import secrets
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest
from PIL import Image, ImageStat

if TYPE_CHECKING:
    from conftest import Visitor, Visitors

    from world.model import World

pytestmark = pytest.mark.e2e

RED = "#c23b3b"


def reachable(
    world: World, start: dict[str, float], end: tuple[float, float]
) -> tuple[float, float]:
    """How far towards end one gets in a straight line from start, less half a metre."""
    a = np.array([[start["x"], start["y"], start["z"]]])
    b = np.array([[end[0], start["y"], end[1]]])
    reached = world.clamp_step(a, b)[0]
    dx, dz = reached[0] - a[0, 0], reached[2] - a[0, 2]
    length = math.hypot(dx, dz)
    assert length > 1.0, f"nothing reachable from {start} towards {end}"
    keep = (length - 0.5) / length
    return (a[0, 0] + dx * keep, a[0, 2] + dz * keep)


def open_spot_near(visitor: Visitor, world: World, distance: float) -> tuple[float, float]:
    """A spot up to distance metres from the visitor, in the same room, with open floor
    in a straight line."""
    here = visitor.state()["position"]
    angles = np.linspace(0, 2 * math.pi, 24, endpoint=False)
    start = np.tile([here["x"], here["y"], here["z"]], (24, 1))
    ends = start + np.stack([np.sin(angles), np.zeros(24), np.cos(angles)], 1) * distance
    reached = world.clamp_step(start, ends)
    walked = np.hypot(reached[:, 0] - here["x"], reached[:, 2] - here["z"])
    same_room = np.asarray(world.room_at(reached)) == world.room_at(start[:1])[0]
    best = int(np.argmax(np.where(same_room, walked, 0.0)))
    return reachable(world, here, (ends[best, 0], ends[best, 2]))


def people_list_text(visitor: Visitor) -> str:
    return str(visitor.page.locator("#people-list").text_content())


def assert_rendered(path: Path) -> Image.Image:
    """The screenshot shows a rendered scene: many colours, real contrast, no error text."""
    image = Image.open(path).convert("RGB")
    stat = ImageStat.Stat(image)
    assert max(stat.stddev) > 20, f"{path.name} is nearly uniform: {stat.stddev}"
    colours = image.quantize(colors=64).getcolors()
    assert colours is not None and len(colours) > 24, f"{path.name} has too few colours"
    return image


def reddish_pixels(image: Image.Image) -> int:
    """Pixels close to the avatar colour RED (lit or in shade)."""
    rgb = np.asarray(image, dtype=np.float32)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    return int(((r > 90) & (r > 2.2 * g) & (r > 2.2 * b)).sum())


def door_out_of(visitor: Visitor, world: World) -> tuple[dict[str, Any], str, tuple[float, float]]:
    """A door of the visitor's room, the room behind it and a spot up to 2.5 m inside it."""
    state = visitor.state()
    venue = visitor.venue()
    rooms = {room["id"]: room for room in venue["rooms"]}
    here = state["position"]
    candidates = []
    for door in venue["doors"]:
        if state["room"] not in door["rooms"]:
            continue
        other = next(r for r in door["rooms"] if r != state["room"])
        bounds = rooms[other]["bounds"]
        if min(abs(door["z"] - bounds["z0"]), abs(door["z"] - bounds["z1"])) < 0.5:
            inward = 1.0 if abs(door["z"] - bounds["z0"]) < 0.5 else -1.0
            target = (door["x"], door["z"] + 2.5 * inward)
        else:
            inward = 1.0 if abs(door["x"] - bounds["x0"]) < 0.5 else -1.0
            target = (door["x"] + 2.5 * inward, door["z"])
        distance = math.hypot(door["x"] - here["x"], door["z"] - here["z"])
        candidates.append((distance, door, other, reachable(world, door, target)))
    assert candidates, f"no door out of {state['room']}"
    _, door, other, target = min(candidates, key=lambda c: c[0])
    return door, other, target


def test_two_visitors_meet_see_each_other_move_and_chat(
    visitors: Visitors, world_model: World
) -> None:
    # names of their own: people of an earlier attempt may still be away in the room
    anna_name, ben_name = (f"{name} {secrets.token_hex(2)}" for name in ("Anna", "Ben"))
    anna, ben = visitors.together((anna_name, {}), (ben_name, {"colour": RED, "shape": "broad"}))

    # Each sees the other: in the people list (with the name as text) and as an avatar.
    anna.wait_for("s.others.some((o) => o.name === arg)", ben_name)
    ben.wait_for("s.others.some((o) => o.name === arg)", anna_name)
    assert ben_name in people_list_text(anna)
    assert anna_name in people_list_text(ben)
    assert anna.state()["room"] == ben.state()["room"]

    # Ben walks to an open spot near Anna, where she looks; she sees him arrive within a
    # second.
    x, z = open_spot_near(anna, world_model, 3.0)
    anna.page.evaluate("([x, z]) => window.hubtwin.lookAt(x, z)", [x, z])
    walk = ben.walk_to(x, z)
    assert walk["arrived"], (walk, (x, z), ben.state()["corrections"])
    ben.frames(3)  # the last pose goes out with the next frame
    stopped = ben.state()
    # Both pages run on this machine's clock. From Ben's last pose leaving his browser to
    # Anna's browser having it, plus the interpolation delay she draws others with: when a
    # browser drawing at full speed shows him there. (The test machine's software renderer
    # draws a few frames a second, so the drawn frame itself is only checked to come.)
    near = "Math.hypot(o.received.x - arg.x, o.received.z - arg.z) < 0.05"
    seen = anna.first(
        f"s.others.find((o) => o.name === '{ben_name}' && o.received && {near})",
        stopped["position"],
    )
    latency = (seen["received"]["wall"] + seen["delayMs"] - stopped["lastPoseSent"]) / 1000
    assert latency < 1.0, f"Anna would see Ben arrive {latency:.2f} s after he stopped"
    anna.wait_for(
        f"s.others.some((o) => o.name === '{ben_name}' && "
        "Math.hypot(o.x - arg.x, o.z - arg.z) < 0.2)",
        stopped["position"],
    )

    # Screenshots: the hub as Anna sees it, with Ben (red) in front of her.
    anna.clear_view()
    anna.frames(5)
    hub_shot = assert_rendered(anna.screenshot("visit-anna-sees-ben.png"))
    assert reddish_pixels(hub_shot) > 150, "Ben's red avatar is not in Anna's view"
    assert_rendered(ben.screenshot("visit-ben-view.png"))

    # A chat message each way; text that looks like HTML stays text.
    anna.page.click("#toggle-chat")
    anna.page.fill("#chat-input", "Hallo Ben! <b>fett</b> & <img src=x>")
    anna.page.press("#chat-input", "Enter")
    ben.wait_for(
        f"s.chat.some((m) => m.fromName === '{anna_name}' && m.text.startsWith('Hallo Ben!'))"
    )
    log = ben.page.locator("#chat-log")
    assert "Hallo Ben! <b>fett</b> & <img src=x>" in str(log.text_content())
    assert log.locator("b, img").count() == 0
    ben.wait_for("s.others.some((o) => o.name === arg && o.speaking)", anna_name)

    ben.page.click("#toggle-chat")
    reply = "Hallo Anna, schön dich zu sehen"
    ben.page.fill("#chat-input", reply)
    ben.page.click("#chat-form button[type=submit]")
    anna.wait_for(f"s.chat.some((m) => m.fromName === '{ben_name}' && m.text === arg)", reply)
    assert reply in str(anna.page.locator("#chat-log").text_content())

    # Anna raises her hand: Ben sees it on her avatar and first in his people list.
    anna.page.click("#toggle-hand")
    anna.page.locator('#toggle-hand[aria-pressed="true"]').wait_for()
    ben.wait_for("s.others.some((o) => o.name === arg && o.hand)", anna_name)
    ben.page.click("#toggle-people")
    first = ben.page.locator("#people-list li").nth(1)
    assert anna_name in str(first.text_content()) and "Hand gehoben (1.)" in str(
        first.text_content()
    )
    anna.page.click("#toggle-hand")
    ben.wait_for("s.others.some((o) => o.name === arg && !o.hand)", anna_name)

    # A direct message from the people list reaches Ben marked as private.
    anna.page.click("#toggle-people")
    anna.page.get_by_role("button", name=f"Nachricht an {ben_name}").click()
    assert anna.page.input_value("#chat-recipient") == ben.state()["session"]
    anna.page.fill("#chat-input", "Nur für dich")
    anna.page.press("#chat-input", "Enter")
    ben.wait_for("s.chat.some((m) => m.text === 'Nur für dich' && m.direct)")
    assert "privat" in str(ben.page.locator("#chat-log li.direct").last.text_content())
    anna.screenshot("visit-chat.png")


def test_one_walks_through_a_door_and_comes_back_after_a_reload(
    visitors: Visitors, world_model: World
) -> None:
    # names of their own: people of an earlier attempt may still be away in the foyer
    clara_name, david_name = (f"{name} {secrets.token_hex(2)}" for name in ("Clara", "David"))
    clara, david = visitors.together((clara_name, {}), (david_name, {}))
    clara.wait_for("s.people.some((p) => p.name === arg)", david_name)
    clara.page.click("#toggle-rooms")

    # David walks through a door into the next room.
    start_room = david.state()["room"]
    door, next_room, (x, z) = door_out_of(david, world_model)
    count = clara.page.locator(f'#room-list li[data-room-id="{next_room}"] .room-count')
    before = int(str(count.text_content()).split()[0])
    walk = david.walk_to(x, z)
    assert walk["arrived"], (door, walk, (x, z), david.state()["corrections"])
    david.wait_for("s.room === arg", next_room, timeout_ms=10000)

    # Both people lists follow: Clara no longer has David, David's new room has no Clara.
    clara.wait_for("!s.people.some((p) => p.name === arg)", david_name, timeout_ms=5000)
    david.wait_for("!s.people.some((p) => p.name === arg)", clara_name)
    assert david_name not in people_list_text(clara)
    assert clara_name not in people_list_text(david)
    assert david.state()["room"] != start_room

    # The room list shows where everyone is now (occupancy is sent at most once a second).
    deadline = time.monotonic() + 10
    while int(str(count.text_content()).split()[0]) != before + 1:
        assert time.monotonic() < deadline, f"the room list says {count.text_content()}"
        clara.page.wait_for_timeout(50)
    clara.screenshot("visit-room-list.png")

    # David reloads the page: the start page greets him by name and he keeps his identity.
    identity = david.state()["identity"]
    assert identity["guest"] is True and identity["name"] == david_name
    david.page.reload()
    returning = david.page.locator("#returning")
    returning.wait_for(state="visible")
    assert david_name in str(returning.text_content())
    assert david.page.input_value("#display-name") == david_name
    visitors.enter(david)
    assert david.state()["identity"]["id"] == identity["id"]


def test_a_dropped_connection_comes_back_without_leaving(visitors: Visitors) -> None:
    emma, felix = visitors.together(("Emma", {}), ("Felix", {}))
    emma.wait_for("s.people.some((p) => p.name === 'Felix')")
    session = felix.state()["session"]

    felix.page.evaluate("window.hubtwin.dropConnection()")
    felix.wait_for("s.connection === 'reconnecting'", timeout_ms=5000)
    assert felix.page.locator("#banner").is_visible()
    felix.wait_for("s.connection === 'open'", timeout_ms=15000)
    felix.page.locator("#banner.ok").wait_for(state="visible")
    assert felix.state()["session"] == session

    # For Emma, Felix never left: the same session, once, and no longer away.
    emma.wait_for("s.people.some((p) => p.id === arg && !p.away)", session, timeout_ms=5000)
    assert [p["id"] for p in emma.state()["people"] if p["name"] == "Felix"] == [session]
