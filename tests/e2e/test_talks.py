"""Watching together in the browser: in the auditorium (a moderated room) a facilitator
starts a talk on the big screen; a visitor who comes in late (and whose browser holds the
sound back until a click) sees the room's moment within 0.5 s, may not control the screen,
and is paused with everyone when the facilitator pauses; the facilitator sees the room's
station progress; a talk watched alone in the overlay leaves the screen as it is."""

from __future__ import annotations

import subprocess
import time
import uuid
from typing import Any

import pytest
from conftest import HubServer, Visitor, Visitors

from world.model import World
from world.site import PROJECT_ROOT

pytestmark = pytest.mark.e2e

TALK = "klimabilanz-in-5-schritten"
# What a browser does that allows no autoplay with sound (and what it does after a click).
BLOCK_AUTOPLAY = """() => {
  window.realPlay = HTMLMediaElement.prototype.play;
  HTMLMediaElement.prototype.play = () =>
    Promise.reject(new DOMException("autoplay with sound is not allowed", "NotAllowedError"));
}"""
ALLOW_AUTOPLAY = "() => { HTMLMediaElement.prototype.play = window.realPlay; }"
CLOSE_PANELS = """() => {
  for (const id of ["panel-rooms", "panel-station", "panel-talks"]) {
    const panel = document.getElementById(id);
    if (!panel.hidden) panel.querySelector(".close").click();
  }
}"""
ROOM = "auditorium"  # moderated: its facilitators control the screen


def go_to(visitor: Visitor, room: str) -> None:
    page = visitor.page
    page.locator("#toggle-rooms").click()
    page.locator(f'#room-list li[data-room-id="{room}"] button').click()
    visitor.wait_for("s.room === arg", room)


def facilitator(visitors: Visitors, hub: HubServer, name: str) -> Visitor:
    """A facilitator account made with the CLI, signed in on the start page."""
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
    visitor = visitors.open(name)
    page = visitor.page
    page.locator(".staff-login summary").click()
    page.fill("#staff-username", username)
    page.fill("#staff-password", password)
    page.locator("#staff-form button[type=submit]").click()
    visitor.wait_for(
        "s.phase === 'hub' && s.room !== null && s.connection === 'open' && s.fps > 0",
        timeout_ms=60000,
    )
    assert visitor.state()["identity"]["role"] == "facilitator"
    return visitor


def screen(visitor: Visitor) -> dict[str, Any]:
    screens = visitor.state()["talks"]["screens"]
    assert len(screens) == 1, screens
    result: dict[str, Any] = screens[0]
    return result


def at_same_moment(a: dict[str, Any], b: dict[str, Any]) -> float:
    """How far apart two screens' videos are, both taken to the later sample's server time."""
    when = max(a["serverNow"], b["serverNow"])
    rate_a = 0.0 if a["paused"] else a["rate"]
    rate_b = 0.0 if b["paused"] else b["rate"]
    pos_a = a["position"] + (when - a["serverNow"]) * rate_a
    pos_b = b["position"] + (when - b["serverNow"]) * rate_b
    return float(abs(pos_a - pos_b))


def playing_on_screen(visitor: Visitor) -> None:
    visitor.wait_for(
        "s.talks.screens.length === 1 && s.talks.screens[0].talk === arg"
        " && s.talks.screens[0].playing && !s.talks.screens[0].paused"
        " && s.talks.screens[0].onScreen && s.talks.screens[0].position > 0.3",
        TALK,
        timeout_ms=30000,
    )


# Two browsers decoding and drawing at once: on a busy machine this takes a while.
@pytest.mark.timeout(240)
def test_a_facilitator_starts_and_pauses_a_talk_for_a_late_joiner_at_the_same_moment(
    visitors: Visitors, hub: HubServer, world_model: World
) -> None:
    fee = facilitator(visitors, hub, "Fee")
    go_to(fee, ROOM)
    fee.page.locator("#toggle-talks").click()
    show = fee.page.locator(f'#talk-list li[data-talk="{TALK}"] button', has_text="Bildschirm")
    show.click()
    playing_on_screen(fee)
    assert not fee.state()["talks"]["prompt"]
    fee.wait_for("s.talks.screens[0].expected > 2.5")  # the room is well into the talk

    ada = visitors.new("Ada")
    # Ada's browser refuses to start a video with sound until she clicks: she gets the prompt.
    ada.page.evaluate(BLOCK_AUTOPLAY)
    go_to(ada, ROOM)
    ada.wait_for("s.talks.prompt && s.talks.screens[0].blocked", timeout_ms=30000)
    prompt = ada.page.locator("#join-playback")
    assert prompt.is_visible() and prompt.inner_text() == "Wiedergabe beitreten"
    ada.page.evaluate(ALLOW_AUTOPLAY)
    prompt.click()
    playing_on_screen(ada)
    assert not ada.state()["talks"]["prompt"]
    assert screen(ada)["expected"] > 2.5, "Ada starts where the room is, not at the beginning"
    gaps = []
    deadline = time.monotonic() + 6
    while time.monotonic() < deadline:
        gaps.append(at_same_moment(screen(fee), screen(ada)))
        if len(gaps) >= 3 and max(gaps[-3:]) < 0.5:
            break
        ada.page.wait_for_timeout(400)
    assert max(gaps[-3:]) < 0.5, (gaps, screen(fee), screen(ada))
    x, _, z = world_model.anchors_of("screen", ROOM)[0].position
    ada.page.evaluate(CLOSE_PANELS)
    ada.page.evaluate("([x, z]) => window.hubtwin.lookAt(x, z)", [float(x), float(z)])
    ada.frames(3)
    ada.screenshot("talk-late-joiner.png")

    # A visitor may not control the auditorium's screen; the panel says so.
    ada.page.locator("#toggle-talks").click()
    assert ada.page.locator('#screen-controls button[data-role="play-pause"]').is_disabled()
    assert ada.page.get_by_text("In diesem Raum steuern Moderierende den Bildschirm.").is_visible()

    # The facilitator pauses: both videos stop at the same place.
    fee.page.locator('#screen-controls button[data-role="play-pause"]').click()
    for visitor in (fee, ada):
        visitor.wait_for(
            "!s.talks.screens[0].playing && s.talks.screens[0].paused"
            " && Math.abs(s.talks.screens[0].position - s.talks.screens[0].expected) < 0.15"
        )
    a, b = screen(fee), screen(ada)
    assert abs(a["position"] - b["position"]) < 0.3, (a, b)
    assert a["expected"] == b["expected"]

    # The facilitator sees the station progress of the people in the room.
    fee.page.locator("#toggle-station").click()
    fee.wait_for("s.stations.showingPassport")
    fee.page.locator(".room-progress li", has_text="Ada").wait_for()

    # Ada watches the talk alone in the overlay: the room's screen stays as it was.
    ada.page.locator(f'#talk-list li[data-talk="{TALK}"] button', has_text="Allein").click()
    ada.wait_for(
        "s.talks.overlay.open && s.talks.overlay.talk === arg && s.talks.overlay.position > 0.5",
        TALK,
        timeout_ms=30000,
    )
    assert ada.state()["talks"]["overlay"]["captions"] is True
    ada.page.locator("#overlay-captions").uncheck()
    ada.wait_for("!s.talks.overlay.captions")
    for visitor, before in ((fee, a), (ada, b)):
        after = screen(visitor)
        assert after["talk"] == TALK and not after["playing"] and after["paused"]
        assert after["position"] == pytest.approx(before["position"], abs=0.05)
    ada.page.keyboard.press("Escape")
    ada.wait_for("!s.talks.overlay.open")
