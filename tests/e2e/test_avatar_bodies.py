"""People with bodies, in real Chromium: the start page previews the look being chosen; a
look chosen there is what another browser draws; a look kept by an older client still
opens the start page; a walking avatar swings its legs with its speed and stands idle when
it stops; a raised hand raises an arm and a reaction waves; someone beyond 15 m is the far
body (in their colours) and near again the jointed one; the view from behind (key F) shows
one's own body; a look changed in the settings reaches the others and the preview draws
it; and a crowd is saved as a picture (test-artifacts/avatar-crowd.png) to look at."""

from __future__ import annotations

import colorsys
import io
import math
import threading
import time
from typing import TYPE_CHECKING, Any

import msgpack
import numpy as np
import pytest
from PIL import Image

from world.model import World, load

if TYPE_CHECKING:
    from conftest import Guests, HubServer, Visitor, Visitors

pytestmark = pytest.mark.e2e

ORANGE = "#d9682b"
KHAKI = "#8a7a55"


def others_named(name: str) -> str:
    return f"s.others.find((o) => o.name === {name!r})"


def choose(visitor: Visitor, group: str, value: str) -> None:
    visitor.page.locator(f'#look-choices input[name="{group}"][value="{value}"]').check()


def test_a_look_chosen_on_the_start_page_is_what_the_others_see(visitors: Visitors) -> None:
    anna = visitors.open("Anna")
    anna.page.fill("#display-name", "Anna")
    for group, value in (
        ("colour", ORANGE),
        ("shape", "broad"),
        ("skin", "deep"),
        ("hair", "curly"),
        ("hairColour", "red"),
        ("legs", KHAKI),
        ("eyewear", "glasses"),
        ("headwear", "headphones"),
    ):
        choose(anna, group, value)
    anna.page.locator("#enter-button").click()
    visitors.wait_entered(anna)
    ben = visitors.new("Ben")
    seen = ben.first(f"{others_named('Anna')}?.look")
    assert seen == {
        "colour": ORANGE,
        "shape": "broad",
        "skin": "deep",
        "hair": "curly",
        "hairColour": "red",
        "legs": KHAKI,
        "eyewear": "glasses",
        "headwear": "headphones",
    }
    assert anna.state()["myLook"] == seen
    # near enough for the jointed body, not the far one
    assert ben.first(f"{others_named('Anna')}?.anim")["lod"] == "near"
    assert not visitors.problems()


def _preview_pixels(visitor: Visitor, selector: str) -> np.ndarray:
    """The preview canvas as the page shows it (RGB, float)."""
    png = visitor.page.locator(selector).screenshot()
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=np.float32)


def _proportions(colour: str) -> np.ndarray:
    """The shares of red, green and blue in a colour (#rrggbb)."""
    rgb = np.array([int(colour[i : i + 2], 16) for i in (1, 3, 5)], dtype=np.float32)
    return rgb / rgb.sum()


def _hue_apart(rgb: np.ndarray, colour: str) -> float:
    """Degrees between the hue of an (r, g, b) and that of a colour (#rrggbb)."""
    hue = colorsys.rgb_to_hsv(*(float(v) / 255 for v in rgb))[0]
    wanted = colorsys.rgb_to_hsv(*(int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)))[0]
    apart = abs(hue - wanted) % 1.0
    return 360 * min(apart, 1.0 - apart)


def _pixels_of(rgb: np.ndarray, colour: str) -> int:
    """How many pixels show this colour, lit or shaded: the same proportions of red, green
    and blue (light and shade scale all three alike), not too dark to tell."""
    total = rgb.sum(axis=2, keepdims=True)
    share = rgb / np.maximum(total, 1.0)
    near = np.abs(share - _proportions(colour)).max(axis=2) < 0.03
    return int((near & (total[..., 0] > 60)).sum())


def test_the_start_page_previews_the_look_being_chosen(visitors: Visitors) -> None:
    """The start page draws the avatar being chosen (decorative, beside the labelled
    choices), drawn when the look changes: the chosen top colour appears in the picture and
    the former one goes, and trousers too; it lets go of its drawing when the hub is
    entered."""
    eva = visitors.open("Eva")
    eva.wait_for("s.startPreview && s.startPreview.frames > 0 && s.startPreview.drawCalls > 5")
    canvas = eva.page.locator("#start-look-preview")
    assert canvas.is_visible()
    assert canvas.get_attribute("aria-hidden") == "true"
    green = eva.state()["startPreview"]["look"]["colour"]
    before = _preview_pixels(eva, "#start-look-preview")
    assert _pixels_of(before, green) > 300, "the chosen top is not drawn"
    assert _pixels_of(before, ORANGE) < 20

    frames = eva.state()["startPreview"]["frames"]
    for group, value in (("colour", ORANGE), ("legs", KHAKI)):
        choose(eva, group, value)
    eva.wait_for(
        f"s.startPreview.look.colour === {ORANGE!r} && s.startPreview.look.legs === {KHAKI!r}"
        f" && s.startPreview.frames > {frames}"
    )
    eva.frames(2)  # the second change's frame too
    after = _preview_pixels(eva, "#start-look-preview")
    assert _pixels_of(after, ORANGE) > 300, "the newly chosen top is not drawn"
    assert _pixels_of(after, green) < 20
    assert _pixels_of(after, KHAKI) > _pixels_of(before, KHAKI) + 200, "the trousers did not change"
    eva.screenshot("start-page-avatar-preview.png")

    visitors.enter(eva)
    eva.wait_for("s.startPreview.live === false")  # its drawing context let go
    assert eva.state()["myLook"]["colour"] == ORANGE
    assert not visitors.problems()


def test_a_look_kept_by_an_older_client_opens_the_start_page(visitors: Visitors) -> None:
    """Before bodies the browser kept {colour, shape: "capsule"}: the colour stays, the rest
    becomes the defaults, and entering works."""
    visitor = visitors.open("Old")
    visitor.page.evaluate(
        "() => localStorage.setItem('hubtwin.look',"
        " JSON.stringify({colour: '#1f5fae', shape: 'cone'}))"
    )
    visitor.page.reload()
    deadline = time.monotonic() + 15
    while not visitor.page.evaluate("window.hubtwin !== undefined"):
        assert time.monotonic() < deadline, "the start page did not come back"
        visitor.page.wait_for_timeout(50)
    checked = visitor.page.evaluate(
        "() => Object.fromEntries([...document.querySelectorAll('#look-choices input:checked')]"
        ".map((i) => [i.name, i.value]))"
    )
    assert checked["colour"] == "#1f5fae" and checked["shape"] == "average", checked
    visitors.enter(visitor)
    assert visitor.state()["myLook"]["colour"] == "#1f5fae"
    assert not visitors.problems()


def _clear_line(hub: HubServer, x: float, y: float, z: float, length: float) -> float:
    """A heading along which the floor is clear for length metres (in the same room)."""
    world = load(hub.data_dir / "world" / "hub.glb")
    angles = np.linspace(0, 2 * math.pi, 24, endpoint=False)
    ends = np.stack([x + np.cos(angles) * length, np.full(24, y), z + np.sin(angles) * length], 1)
    reached = world.clamp_step(np.tile([x, y, z], (24, 1)), ends)
    walked = np.hypot(reached[:, 0] - x, reached[:, 2] - z)
    here = world.room_at(np.array([[x, y, z]]))[0]
    for k in np.linspace(0.0, 1.0, 12):
        along = np.array([x, y, z]) + (ends - np.array([x, y, z])) * k
        walked[np.asarray(world.room_at(along)) != here] = 0.0
    best = int(np.argmax(walked))
    assert walked[best] > length - 0.05, "no clear straight line from this spawn point"
    return float(angles[best])


def test_a_walking_avatar_swings_its_legs_and_stands_idle_when_it_stops(
    visitors: Visitors, guests: Guests, hub: HubServer
) -> None:
    jana = visitors.new("Jana")
    room = jana.state()["room"]
    joined = guests.join("Walker", room)
    x, y, z = joined["pose"]["pos"]
    jana.wait_for(f"{others_named('Walker')}?.anim")
    standing = jana.state()
    walker = next(o for o in standing["others"] if o["name"] == "Walker")
    assert walker["anim"]["walk"] < 0.05

    heading = _clear_line(hub, x, y, z, 4.0)
    yaw = math.atan2(-math.cos(heading), -math.sin(heading))

    def walk(speed: float = 1.0, hz: int = 20) -> None:
        """Four metres at walking pace, poses at the tick rate (on a thread of its own, so
        the page's slow answers on this machine do not slow the walk)."""
        for step in range(1, int(4.0 / speed * hz) + 1):
            d = speed * step / hz
            guests.pose(0, x + math.cos(heading) * d, y, z + math.sin(heading) * d, yaw)
            time.sleep(1 / hz)

    walker_thread = threading.Thread(target=walk)
    walker_thread.start()
    swings: list[float] = []
    walks: list[float] = []
    phases: list[float] = []
    while walker_thread.is_alive():
        anim = jana.page.evaluate(
            "() => window.hubtwin.state().others.find((o) => o.name === 'Walker')?.anim"
        )
        if anim:
            swings.append(anim["legSwing"])
            walks.append(anim["walk"])
            phases.append(anim["phase"])
    walker_thread.join()
    assert max(walks) > 0.6, walks
    assert max(abs(s) for s in swings) > 0.2, f"the legs did not swing: {swings}"
    assert len({round(p, 2) for p in phases if p > 0}) >= 3, "the walk cycle did not advance"

    # standing again: the walk fades out and the cycle stops
    jana.wait_for(f"{others_named('Walker')}.anim.walk < 0.05", timeout_ms=8000)
    first = jana.first(f"{others_named('Walker')}.anim.phase + 1")
    jana.frames(10)
    assert jana.first(f"{others_named('Walker')}.anim.phase + 1") == pytest.approx(first, abs=0.05)


def test_a_raised_hand_raises_an_arm_and_a_reaction_waves(visitors: Visitors) -> None:
    anna, ben = visitors.together(("Anna", {}), ("Ben", {}))
    arm = f"{others_named('Ben')}?.anim?.armRaise"
    anna.wait_for(f"{arm} !== undefined && {arm} < 1")
    ben.page.locator("#toggle-hand").click()
    anna.wait_for(f"{arm} > 2.5")
    ben.page.locator("#toggle-hand").click()
    anna.wait_for(f"{arm} < 1")

    ben.page.locator("#toggle-chat").click()
    ben.page.locator("#reactions button").first.click()
    anna.wait_for(f"{others_named('Ben')}?.anim?.gesture >= 0", timeout_ms=5000)
    anna.wait_for(f"{arm} > 1.5", timeout_ms=5000)
    assert not visitors.problems()


PURPLE = "#7b4fa8"
YELLOW = "#e0b000"


def _room_floor(hub: HubServer, room: str) -> tuple[World, int, np.ndarray]:
    """The world, the room's index and a grid of the room's walkable spots."""
    world = load(hub.data_dir / "world" / "hub.glb")
    index = [r.id for r in world.rooms].index(room)
    bounds = world.rooms[index]
    xs = np.linspace(bounds.bounds_min[0] + 0.8, bounds.bounds_max[0] - 0.8, 40)
    zs = np.linspace(bounds.bounds_min[2] + 0.8, bounds.bounds_max[2] - 0.8, 12)
    grid = np.array([[gx, bounds.bounds_min[1], gz] for gx in xs for gz in zs])
    usable = np.asarray(world.is_walkable(grid)) & (np.asarray(world.room_at(grid)) == index)
    return world, index, grid[usable]


def _open_end(
    floor: tuple[World, int, np.ndarray], x: float, y: float, z: float
) -> tuple[float, float]:
    """How far one standing at (x, z) can walk straight along the room's length (x), to
    the end with the longer clear way, a metre short of where the floor stops being clear."""
    world, index, _ = floor
    bounds = world.rooms[index]
    best = (x, z)
    for end in (bounds.bounds_min[0] + 0.8, bounds.bounds_max[0] - 0.8):
        line = np.array([[lx, y, z] for lx in np.arange(x, end, 0.2 if end > x else -0.2)])
        if not len(line):
            continue
        clear = np.asarray(world.is_walkable(line)) & (np.asarray(world.room_at(line)) == index)
        run = len(clear) if clear.all() else int(np.argmin(clear))
        stop = line[max(run - 6, 0)]
        if abs(stop[0] - x) > abs(best[0] - x):
            best = (float(stop[0]), z)
    return best


def _far_spot(floor: tuple[World, int, np.ndarray], x: float, z: float) -> tuple[float, float]:
    """The walkable spot of the room nearest to (x, z) beyond 17.5 m: far enough for the far
    body, near enough that it covers more than a few pixels."""
    _, _, spots = floor
    apart = np.hypot(spots[:, 0] - x, spots[:, 2] - z)
    beyond = np.flatnonzero(apart > 17.5)
    assert beyond.size, f"the room has no spot 17.5 m from {x:.1f}, {z:.1f}"
    far = spots[beyond[np.argmin(apart[beyond])]]
    return float(far[0]), float(far[2])


def _go(visitor: Visitor, x: float, z: float, within: float = 1.0) -> dict[str, float]:
    """Walk there (again where the server stopped the walk: a pose_fix on a busy page)."""
    for _ in range(8):
        where: dict[str, float] = visitor.walk_to(x, z)["position"]
        if math.hypot(where["x"] - x, where["z"] - z) < within:
            return where
    raise AssertionError(f"{visitor.name} did not get to {x:.1f}, {z:.1f}: {where}")


def _changed(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    return np.abs(after - before).max(axis=2) > 40


def test_a_person_far_away_is_the_far_body_and_near_again_the_jointed_one(
    visitors: Visitors, guests: Guests, hub: HubServer
) -> None:
    """Beyond the level-of-detail distance (15 m) someone is drawn as the simple far body,
    small and in their colours (their top changed from purple to yellow changes only a few
    pixels, from purple to yellow); come close and they have their jointed body again."""
    jana = visitors.new("Jana")
    jana.page.click("#toggle-rooms")
    jana.page.click('#room-list li[data-room-id="terrace"] button')
    jana.wait_for("s.room === 'terrace'", timeout_ms=10000)
    jana.page.click("#toggle-rooms")
    look = dict(LOOKS[0], color=PURPLE, legs="#22252a")
    joined = guests.join("Fern", "terrace", appearance=look)
    x, y, z = joined["pose"]["pos"]
    # Fern walks to an end of the terrace (the spawn may be in its middle, from where no
    # spot is far enough), at a walker's pace
    terrace = _room_floor(hub, "terrace")
    ex, ez = _open_end(terrace, x, y, z)
    steps = max(int(abs(ex - x) / 0.15), 1)
    for step in range(1, steps + 1):
        guests.pose(0, x + (ex - x) * step / steps, y, z, 0.0)
        time.sleep(0.05)
    x, z = ex, ez
    jana.wait_for(f"Math.abs({others_named('Fern')}?.received?.x - {x}) < 0.3", timeout_ms=10000)
    # Fern stands still, saying so now and then (the server closes a silent connection)
    still = threading.Event()

    def stand_still() -> None:
        while not still.wait(1.0):
            guests.pose(0, x, y, z, 0.0)

    keeper = threading.Thread(target=stand_still, daemon=True)
    keeper.start()
    try:
        _far_and_near(jana, guests, terrace, x, z, look)
    finally:
        still.set()
        keeper.join()
    assert not visitors.problems()


def _far_and_near(
    jana: Visitor,
    guests: Guests,
    terrace: tuple[World, int, np.ndarray],
    x: float,
    z: float,
    look: dict[str, Any],
) -> None:
    jana.wait_for(f"{others_named('Fern')}?.anim")  # (the terrace's spawn points lie far apart)

    fx, fz = _far_spot(terrace, x, z)
    me = _go(jana, fx, fz)
    assert math.hypot(me["x"] - x, me["z"] - z) > 16
    jana.page.evaluate("([x, z]) => window.hubtwin.lookAt(x, z)", [x, z])
    jana.wait_for(f"{others_named('Fern')}?.anim?.lod === 'far'")
    jana.clear_view()
    jana.frames(5)
    purple = _preview_pixels(jana, "#view")
    guests.sockets[0].send(msgpack.packb({"t": "look", "appearance": dict(look, color=YELLOW)}))
    jana.wait_for(f"{others_named('Fern')}?.look?.colour === {YELLOW!r}")
    jana.frames(5)
    yellow = _preview_pixels(jana, "#view")
    jana.screenshot("avatar-far-body.png")
    changed = _changed(purple, yellow)
    assert 10 < int(changed.sum()) < 2000, f"{int(changed.sum())} pixels changed"
    # what changed was their purple and is their yellow (by hue: light and shade change
    # mostly the brightness)
    was, now = purple[changed].mean(axis=0), yellow[changed].mean(axis=0)
    assert _hue_apart(was, PURPLE) < 20, was
    assert _hue_apart(now, YELLOW) < 20, now

    # close again: the jointed body
    _go(jana, x + (fx - x) * 0.15, z + (fz - z) * 0.15, within=2.0)
    jana.wait_for(f"{others_named('Fern')}?.anim?.lod === 'near'")


def test_the_view_from_behind_shows_ones_own_body(visitors: Visitors) -> None:
    dora = visitors.new("Dora")
    dora.page.locator("#view").focus()
    eyes = dora.state()
    assert eyes["view"] == "eyes" and eyes["self"] is None
    dora.page.keyboard.press("f")
    dora.wait_for("s.view === 'behind' && s.self !== null && s.self.anim.lod === 'near'")
    dora.frames(3)
    behind = dora.state()
    assert behind["drawCalls"] > eyes["drawCalls"], "the own body is not drawn"
    assert dora.page.locator("#toggle-view").get_attribute("aria-pressed") == "true"
    path = dora.screenshot("avatar-from-behind.png")
    assert path.stat().st_size > 0
    # walking, the own legs move too
    dora.page.keyboard.down("w")
    dora.wait_for("s.self.anim.walk > 0.5", timeout_ms=8000)
    dora.page.keyboard.up("w")
    dora.page.keyboard.press("f")
    dora.wait_for("s.view === 'eyes' && s.self === null")
    # the choice is kept with the display preferences
    kept = dora.page.evaluate("() => JSON.parse(localStorage.getItem('hubtwin.preferences')).view")
    assert kept == "eyes"
    assert not visitors.problems()


def test_a_look_changed_in_the_settings_reaches_the_others(visitors: Visitors) -> None:
    anna, ben = visitors.together(("Anna", {}), ("Ben", {}))
    ben.wait_for(f"{others_named('Anna')}?.look?.headwear === 'none'")
    anna.page.locator("#toggle-settings").click()
    anna.wait_for("s.lookPreview && s.lookPreview.frames > 2 && s.lookPreview.drawCalls > 5")
    for group, value in (("headwear", "beanie"), ("shape", "slim")):
        anna.page.locator(
            f'#settings-look-choices input[name="settings-{group}"][value="{value}"]'
        ).check()
    ben.wait_for(
        f"{others_named('Anna')}?.look?.headwear === 'beanie'"
        f" && {others_named('Anna')}.look.shape === 'slim'"
    )
    assert anna.state()["lookPreview"]["look"]["headwear"] == "beanie"
    kept = anna.page.evaluate("() => JSON.parse(localStorage.getItem('hubtwin.look'))")
    assert kept["headwear"] == "beanie" and kept["shape"] == "slim"
    anna.screenshot("avatar-settings-preview.png")
    assert not visitors.problems()


FIELDS = ("color", "shape", "skin", "hair", "hair_color", "legs", "eyewear", "headwear")
LOOKS: list[dict[str, Any]] = [
    dict(zip(FIELDS, values, strict=True))
    for values in [
        ("#2f7d4f", "average", "light", "short", "brown", "#34404c", "none", "none"),
        ("#1f5fae", "slim", "brown", "long", "black", "#3b5b8c", "glasses", "none"),
        ("#d9682b", "broad", "medium", "curly", "black", "#22252a", "none", "cap"),
        ("#7b4fa8", "average", "fair", "bun", "blond", "#8a7a55", "sunglasses", "none"),
        ("#c23b3b", "slim", "deep", "none", "grey", "#34404c", "none", "beanie"),
        ("#1f8a8a", "broad", "olive", "short", "red", "#6b4a33", "glasses", "headphones"),
        ("#e0b000", "average", "medium", "long", "brown", "#22252a", "none", "none"),
        ("#6b7280", "slim", "light", "curly", "blond", "#3b5b8c", "none", "cap"),
    ]
]


def test_a_crowd_of_people_is_saved_as_a_picture(visitors: Visitors, guests: Guests) -> None:
    jana = visitors.new("Jana")
    room = jana.state()["room"]
    for n in range(16):
        guests.join(f"Gast {n}", room, appearance=LOOKS[n % len(LOOKS)])
    jana.wait_for("s.others.length === 16", timeout_ms=30000)
    others = jana.state()["others"]
    cx = sum(o["x"] for o in others) / len(others)
    cz = sum(o["z"] for o in others) / len(others)
    # a few steps back from the crowd's middle (as far as the room allows), then face it
    me = jana.state()["position"]
    away = math.atan2(me["z"] - cz, me["x"] - cx)
    jana.walk_to(cx + 6 * math.cos(away), cz + 6 * math.sin(away))
    jana.page.evaluate("([x, z]) => window.hubtwin.lookAt(x, z)", [cx, cz])
    jana.frames(5)
    path = jana.screenshot("avatar-crowd.png")
    rgb = np.asarray(Image.open(path).convert("RGB"), dtype=np.float32)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    # skin of the deep and brown tones: reddish brown, darker than the walls
    skin = int(((r > 1.25 * b) & (r > g) & (r < 170) & (r > 60)).sum())
    assert skin > 200, "no faces or hands in view"
    assert {o["anim"]["lod"] for o in jana.state()["others"]} <= {"near", "far"}
