"""The web client's 2D interface in a real browser: keyboard use, languages, settings,
privacy, moving and walls, jumping between rooms and the full-room choice."""

from __future__ import annotations

import json
import math
import time
import urllib.error
import urllib.request
from typing import TYPE_CHECKING, Any

import pytest
from conftest import VIEWPORT, Visitor
from playwright.sync_api import Page

if TYPE_CHECKING:
    from conftest import Guests, HubServer, Visitors

    from world.model import World

pytestmark = pytest.mark.e2e


def focused(visitor: Visitor) -> dict[str, Any]:
    """The focused element: id, name, value and its outline (the visible focus)."""
    result: dict[str, Any] = visitor.page.evaluate(
        """() => {
            const el = document.activeElement;
            const style = getComputedStyle(el);
            return {id: el.id, name: el.name || "", value: el.value || "",
                    language: el.dataset.language || "",
                    outline: style.outlineStyle, width: parseFloat(style.outlineWidth)};
        }"""
    )
    return result


def tab_until(visitor: Visitor, predicate: Any, limit: int = 40) -> dict[str, Any]:
    for _ in range(limit):
        visitor.page.keyboard.press("Tab")
        element = focused(visitor)
        if predicate(element):
            return element
    raise AssertionError("not reachable with the Tab key")


def test_the_start_page_works_by_keyboard_and_in_english(visitors: Visitors) -> None:
    dora = visitors.open("Dora")
    page = dora.page
    assert page.evaluate("document.documentElement.lang") == "de"
    page.evaluate("document.activeElement.blur()")

    tab_until(dora, lambda e: e["language"] == "en")
    page.keyboard.press("Enter")
    assert page.evaluate("document.documentElement.lang") == "en"
    assert page.locator("#start-heading").text_content() == "Welcome to the digital twin"

    name = tab_until(dora, lambda e: e["id"] == "display-name")
    assert name["outline"] != "none" and name["width"] >= 2, "no visible focus"
    colour = tab_until(dora, lambda e: e["name"] == "colour")
    assert colour["value"].startswith("#")
    page.keyboard.press("ArrowRight")
    assert focused(dora)["value"] != colour["value"], "arrow keys do not change the colour"
    tab_until(dora, lambda e: e["name"] == "shape")
    tab_until(dora, lambda e: e["id"] == "enter-button")
    page.keyboard.press("Enter")
    alert = page.locator("#display-name-error")
    assert alert.text_content() == "Please enter a display name."
    assert alert.get_attribute("role") == "alert"


def test_the_start_page_is_up_before_three_js_has_loaded(visitors: Visitors) -> None:
    """three.js and the hub's code are fetched while the start page is shown: with the
    three.js files held back, the start page still works; released, the visitor enters."""
    context = visitors.browser.new_context(viewport=VIEWPORT, locale="de-DE")
    held: list[Any] = []
    context.route("**/vendor/three/**", lambda route: held.append(route))
    page = context.new_page()
    tina = Visitor("Tina", context, page)
    visitors.opened.append(tina)
    page.goto(visitors.hub.url)
    page.wait_for_function("window.hubtwin !== undefined", timeout=15000)
    assert page.locator("#start-heading").is_visible()
    assert page.locator("#enter-button").is_enabled()
    deadline = time.monotonic() + 10
    while not held and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    assert held, "three.js was not asked for while the start page is shown"
    assert tina.state()["phase"] == "start"
    visitors.fill_in(tina)  # entering while three.js is held: it waits for it
    page.wait_for_timeout(500)
    assert tina.state()["phase"] != "hub"
    for route in held:
        route.continue_()
    context.unroute("**/vendor/three/**")
    visitors.wait_entered(tina)
    assert tina.state()["phase"] == "hub"


def root_font_size_becomes(page: Page, size: str, timeout_s: float = 15.0) -> None:
    """The page's root font size is size, or becomes it (a reloaded page applies the
    settings as its scripts run)."""
    deadline = time.monotonic() + timeout_s
    script = "getComputedStyle(document.documentElement).fontSize"
    while (now := page.evaluate(script)) != size:
        assert time.monotonic() < deadline, f"root font size {now}, not {size}"
        page.wait_for_timeout(50)


def test_panels_open_and_close_by_keyboard_and_settings_apply(visitors: Visitors) -> None:
    emil = visitors.new("Emil")
    page = emil.page
    page.locator("#view").focus()
    page.keyboard.press("c")
    assert page.locator("#panel-chat").is_visible()
    assert focused(emil)["id"] == "chat-input"
    page.keyboard.press("Escape")
    assert not page.locator("#panel-chat").is_visible()
    assert focused(emil)["id"] == "toggle-chat"
    assert page.get_attribute("#toggle-chat", "aria-expanded") == "false"

    page.locator("#view").focus()
    page.keyboard.press("p")
    assert page.locator("#panel-people").is_visible()
    assert "Emil (Sie)" in str(page.locator("#people-list").text_content())

    page.click("#toggle-settings")
    assert page.locator("#panel-settings").is_visible()
    page.select_option("#text-size", "1.5")
    root_font_size_becomes(page, "24px")
    page.check("#reduced-motion")
    assert page.evaluate("document.documentElement.classList.contains('reduced-motion')")
    page.keyboard.press("Escape")
    assert not page.locator("#panel-settings").is_visible()

    page.reload()
    root_font_size_becomes(page, "24px")
    assert page.evaluate("document.documentElement.classList.contains('reduced-motion')")


def test_a_visitor_downloads_and_deletes_their_data(visitors: Visitors, hub: HubServer) -> None:
    fritz = visitors.new("Fritz")
    page = fritz.page
    identity = fritz.state()["identity"]
    token = page.evaluate("JSON.parse(localStorage.getItem('hubtwin.session')).token")
    page.click("#toggle-settings")
    with page.expect_download() as download_info:
        page.click("#export-data")
    exported = json.loads(download_info.value.path().read_text(encoding="utf-8"))
    assert identity["id"] in json.dumps(exported)

    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#delete-data")
    page.wait_for_url(hub.url, timeout=10000)
    page.locator("#start").wait_for(state="visible")
    assert page.locator("#returning").is_hidden()
    assert page.evaluate("localStorage.getItem('hubtwin.session')") is None
    # the erased person's token is revoked: it reads nothing any more
    request = urllib.request.Request(
        hub.url + "api/me/export", headers={"Authorization": f"Bearer {token}"}
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request)
    assert refused.value.code == 401
    assert json.loads(refused.value.read())["error"]["code"] == "token_revoked"


def test_keys_move_and_walls_stop_without_server_corrections(visitors: Visitors) -> None:
    gina = visitors.new("Gina")
    page = gina.page
    page.locator("#view").focus()
    start = gina.state()

    # SwiftShader on a busy machine may draw only a few frames a second: hold each key
    # until its effect shows (or fail after a generous while).
    page.keyboard.down("ArrowLeft")
    gina.wait_for("Math.abs(s.yaw - arg) > 0.2", start["yaw"], timeout_ms=15000)
    page.keyboard.up("ArrowLeft")

    before = gina.state()["position"]
    page.keyboard.down("w")
    gina.wait_for("Math.hypot(s.position.x - arg.x, s.position.z - arg.z) > 0.5", before, 15000)

    # Keep walking into whatever wall is ahead: the visitor stops at it, stays inside the
    # hub's rooms, and the server never has to put them back.
    last, still_since = gina.state()["position"], time.monotonic()
    deadline = time.monotonic() + 40
    while time.monotonic() - still_since < 2.0:
        assert time.monotonic() < deadline, "the visitor never came to a stop"
        page.wait_for_timeout(200)
        now = gina.state()["position"]
        if math.hypot(now["x"] - last["x"], now["z"] - last["z"]) > 0.01:
            last, still_since = now, time.monotonic()
    page.keyboard.up("w")
    page.wait_for_timeout(500)
    state = gina.state()
    room = next(r for r in gina.venue()["rooms"] if r["id"] == state["room"])["bounds"]
    x, z = state["position"]["x"], state["position"]["z"]
    assert room["x0"] <= x <= room["x1"] and room["z0"] <= z <= room["z1"]
    assert not {"wall", "outside", "speed"} & set(state["corrections"]), state["corrections"]


def test_the_room_list_jumps_to_a_room(visitors: Visitors) -> None:
    hans = visitors.new("Hans")
    page = hans.page
    page.click("#toggle-rooms")
    target = next(r for r in hans.venue()["rooms"] if r["id"] != hans.state()["room"])
    page.click(f'#room-list li[data-room-id="{target["id"]}"] button')
    hans.wait_for("s.room === arg", target["id"], timeout_ms=10000)
    position = hans.state()["position"]
    bounds = target["bounds"]
    assert bounds["x0"] <= position["x"] <= bounds["x1"]
    assert bounds["z0"] <= position["z"] <= bounds["z1"]
    assert page.locator(f'#room-list li[data-room-id="{target["id"]}"].here').count() == 1
    hans.screenshot("ui-room-jump.png")


def test_a_full_room_offers_an_overflow_room(visitors: Visitors, guests: Guests) -> None:
    ida = visitors.new("Ida")
    rooms = ida.venue()["rooms"]
    small = min((r for r in rooms if r["id"] != ida.state()["room"]), key=lambda r: r["capacity"])
    assert small["capacity"] <= 12, "the hub has no small room to fill"
    for n in range(small["capacity"]):
        guests.join(f"Gast {n}", small["id"])
    page = ida.page
    page.click("#toggle-rooms")
    page.click(f'#room-list li[data-room-id="{small["id"]}"] button')
    dialog = page.locator("#room-full")
    dialog.wait_for(state="visible", timeout=10000)
    assert str(small["capacity"]) in str(page.locator("#room-full-text").text_content())
    ida.screenshot("ui-room-full.png")
    page.locator("#room-full-options button").first.click()
    ida.wait_for("s.room === arg && s.instance > 0", small["id"], timeout_ms=10000)
    assert not dialog.is_visible()


CONTRAST_SCRIPT = """() => {
  const parse = (c) => {
    const p = c.match(/rgba?\\(([^)]+)\\)/)[1].split(/[ ,\\/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const lum = ([r, g, b]) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const over = (top, bottom) =>
    [0, 1, 2].map((i) => top[i] * top[3] + bottom[i] * (1 - top[3])).concat(1);
  // Backgrounds up to the first opaque one; the hub's own background stands for the 3D view,
  // which can be anything, so text over it is judged on white and on black.
  const background = (el, base) => {
    const layers = [];
    for (let n = el; n && n.id !== "hub"; n = n.parentElement) {
      const c = parse(getComputedStyle(n).backgroundColor);
      if (c[3] > 0) layers.push(c);
      if (c[3] >= 1) break;
    }
    let colour = base;
    for (const layer of layers.reverse()) colour = over(layer, colour);
    return colour;
  };
  const failures = [];
  let checked = 0;
  for (const el of document.querySelectorAll("body *")) {
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own || el.closest(".visually-hidden, option, script, style") || el.disabled) continue;
    if (!el.checkVisibility({ checkOpacity: true, checkVisibilityCSS: true })) continue;
    const style = getComputedStyle(el);
    const size = parseFloat(style.fontSize);
    const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
    const need = large ? 3 : 4.5;
    for (const base of [[255, 255, 255, 1], [0, 0, 0, 1]]) {
      const bg = background(el, base);
      const fg = over(parse(style.color), bg);
      const [hi, lo] = [lum(fg), lum(bg)].sort((a, b) => b - a);
      const ratio = (hi + 0.05) / (lo + 0.05);
      const text = el.textContent.trim().slice(0, 30);
      if (ratio < need) failures.push(`${el.tagName}#${el.id}: ${ratio.toFixed(2)} "${text}"`);
    }
    checked += 1;
  }
  return { checked, failures: [...new Set(failures)] };
}"""


def test_text_contrast_meets_wcag_aa(visitors: Visitors) -> None:
    lena = visitors.open("Lena")
    start = lena.page.evaluate(CONTRAST_SCRIPT)
    assert start["checked"] > 20 and start["failures"] == [], start
    visitors.enter(lena)
    page = lena.page
    for panel in ("#toggle-rooms", "#toggle-people", "#toggle-chat"):
        page.click(panel)
    hub = page.evaluate(CONTRAST_SCRIPT)
    assert hub["checked"] > 20 and hub["failures"] == [], hub
    page.click("#toggle-settings")
    settings = page.evaluate(CONTRAST_SCRIPT)
    assert settings["failures"] == [], settings


def test_on_a_phone_the_joystick_walks(visitors: Visitors, world_model: World) -> None:
    mia = visitors.new("Mia", touch=True)
    page = mia.page
    joystick = page.locator("#joystick")
    assert joystick.is_visible()
    box = joystick.bounding_box()
    assert box is not None
    before = mia.state()["position"]
    # Facing open floor (the spawn spread may have put a table right in front of her), as a
    # person would turn before walking on.
    start = [before["x"], before["y"], before["z"]]
    for turn in range(8):
        angle = turn * math.pi / 4
        ahead = [start[0] + math.sin(angle) * 2.0, start[1], start[2] + math.cos(angle) * 2.0]
        reached = world_model.clamp_step([start], [ahead])[0]
        if math.hypot(reached[0] - start[0], reached[2] - start[2]) > 1.5:
            page.evaluate("([x, z]) => window.hubtwin.lookAt(x, z)", [ahead[0], ahead[2]])
            break
    else:
        raise AssertionError(f"no open floor around {before}")
    centre_x, centre_y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(centre_x, centre_y)
    page.mouse.down()
    page.mouse.move(centre_x, box["y"] + 4, steps=4)
    try:
        mia.wait_for("Math.hypot(s.position.x - arg.x, s.position.z - arg.z) > 0.4", before, 15000)
    finally:
        page.mouse.up()


def test_reduced_motion_stops_the_view_from_turning_by_itself(
    visitors: Visitors, world_model: World
) -> None:
    nils = visitors.new("Nils")
    here = nils.state()["position"]
    # A spot behind Nils (straight behind, or up to 1 rad either side where the spawn spread
    # put a table there): walking there turns the view towards it, unless motion is reduced.
    yaw = nils.state()["yaw"]
    start = [here["x"], here["y"], here["z"]]
    reached = None
    for offset in (0.0, 0.5, -0.5, 1.0, -1.0):
        angle = yaw + offset
        behind = [here["x"] + math.sin(angle) * 2.0, here["y"], here["z"] + math.cos(angle) * 2.0]
        candidate = world_model.clamp_step([start], [behind])[0]
        if math.hypot(candidate[0] - here["x"], candidate[2] - here["z"]) > 1.0:
            reached = candidate
            break
    assert reached is not None, "no room behind"
    target = (
        here["x"] + (reached[0] - here["x"]) * 0.7,
        here["z"] + (reached[2] - here["z"]) * 0.7,
    )

    # Normally the view turns towards where one walks...
    nils.walk_to(*target)
    turned = nils.state()["yaw"]
    assert abs(math.remainder(turned - yaw, 2 * math.pi)) > 1.0

    # ...with reduced motion it stays as it is: back to the start, facing away from it.
    nils.page.click("#toggle-settings")
    nils.page.check("#reduced-motion")
    nils.page.keyboard.press("Escape")
    walk = nils.walk_to(here["x"], here["z"])
    assert walk["arrived"], walk
    assert nils.state()["yaw"] == pytest.approx(turned)


def test_the_hub_switches_to_english_while_visiting(visitors: Visitors) -> None:
    olga = visitors.new("Olga")
    page = olga.page
    assert str(page.locator("#room-name").text_content()).startswith("Raum: ")
    page.click("#toggle-settings")
    page.locator('#language-switch-hub [data-language="en"]').click()
    page.keyboard.press("Escape")
    assert page.evaluate("document.documentElement.lang") == "en"
    assert str(page.locator("#room-name").text_content()).startswith("Room: ")
    assert page.locator("#toggle-people").text_content() == "People"
    page.click("#toggle-people")
    assert "Olga (you)" in str(page.locator("#people-list").text_content())
