"""Watching together in the browser: a talk started on the lounge screen plays for a second
visitor who comes in late at the room's moment (within 0.5 s), a pause by one pauses both,
and a talk watched alone in the overlay leaves the screen as it is."""

from __future__ import annotations

import time
from typing import Any

import pytest
from conftest import Visitor, Visitors

from world.model import World

pytestmark = pytest.mark.e2e

TALK = "klimabilanz-in-5-schritten"
# What a browser does that allows no autoplay with sound (and what it does after a click).
BLOCK_AUTOPLAY = """() => {
  window.realPlay = HTMLMediaElement.prototype.play;
  HTMLMediaElement.prototype.play = () =>
    Promise.reject(new DOMException("autoplay with sound is not allowed", "NotAllowedError"));
}"""
ALLOW_AUTOPLAY = "() => { HTMLMediaElement.prototype.play = window.realPlay; }"
CLOSE_STATION = """() => {
  const panel = document.getElementById("panel-station");
  if (!panel.hidden) panel.querySelector(".close").click();
}"""
ROOM = "lounge"  # not moderated: anyone there may control its screen


def go_to(visitor: Visitor, room: str) -> None:
    page = visitor.page
    page.locator("#toggle-rooms").click()
    page.locator(f'#room-list li[data-room-id="{room}"] button').click()
    visitor.wait_for("s.room === arg", room)


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


def test_a_late_joiner_sees_the_same_moment_a_pause_reaches_both_and_watching_alone_changes_nothing(
    visitors: Visitors, world_model: World
) -> None:
    ada = visitors.new("Ada")
    go_to(ada, ROOM)
    ada.page.locator("#toggle-talks").click()
    show = ada.page.locator(f'#talk-list li[data-talk="{TALK}"] button', has_text="Bildschirm")
    show.click()
    playing_on_screen(ada)
    assert not ada.state()["talks"]["prompt"]
    ada.page.wait_for_timeout(2500)

    ben = visitors.new("Ben")
    # Ben's browser refuses to start a video with sound until he clicks: he gets the prompt.
    ben.page.evaluate(BLOCK_AUTOPLAY)
    go_to(ben, ROOM)
    ben.wait_for("s.talks.prompt && s.talks.screens[0].blocked", timeout_ms=30000)
    prompt = ben.page.locator("#join-playback")
    assert prompt.is_visible() and prompt.inner_text() == "Wiedergabe beitreten"
    ben.page.evaluate(ALLOW_AUTOPLAY)
    prompt.click()
    playing_on_screen(ben)
    assert not ben.state()["talks"]["prompt"]
    assert screen(ben)["expected"] > 2.5, "Ben starts where the room is, not at the beginning"
    gaps = []
    deadline = time.monotonic() + 6
    while time.monotonic() < deadline:
        gaps.append(at_same_moment(screen(ada), screen(ben)))
        if len(gaps) >= 3 and max(gaps[-3:]) < 0.5:
            break
        ben.page.wait_for_timeout(400)
    assert max(gaps[-3:]) < 0.5, gaps
    x, _, z = world_model.anchors_of("screen", ROOM)[0].position
    ben.page.evaluate(CLOSE_STATION)
    ben.page.evaluate("([x, z]) => window.hubtwin.lookAt(x, z)", [float(x), float(z)])
    ben.page.wait_for_timeout(300)
    ben.screenshot("talk-late-joiner.png")

    # Ben pauses (anyone may in the lounge): both videos stop at the same place.
    ben.page.locator("#toggle-talks").click()
    ben.page.locator('#screen-controls button[data-role="play-pause"]').click()
    for visitor in (ada, ben):
        visitor.wait_for(
            "!s.talks.screens[0].playing && s.talks.screens[0].paused"
            " && Math.abs(s.talks.screens[0].position - s.talks.screens[0].expected) < 0.15"
        )
    a, b = screen(ada), screen(ben)
    assert abs(a["position"] - b["position"]) < 0.3, (a, b)
    assert a["expected"] == b["expected"]

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
    for visitor, before in ((ada, a), (ben, b)):
        after = screen(visitor)
        assert after["talk"] == TALK and not after["playing"] and after["paused"]
        assert after["position"] == pytest.approx(before["position"], abs=0.05)
    ada.page.keyboard.press("Escape")
    ada.wait_for("!s.talks.overlay.open")
