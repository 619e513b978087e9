"""Sharing a screen for real: the hub with its own Janus, two Chromiums whose screen capture
is Chromium's fake one (a moving test pattern), WebRTC video between them and Janus.

As in tests/e2e/test_voice.py, everything runs in a network namespace the test makes (a
veth pair of its own; Janus offers only its first end): media never reaches the machine's
own addresses.

In the auditorium a facilitator starts a talk on the big screen, then shares a screen
onto it from the share panel. Shown from what the browsers actually do:

- the talk on that screen pauses while the share lasts;
- a visitor's browser receives the shared screen and decodes its frames (getStats'
  framesDecoded rising, the video's size), shows it on the in-world screen, and opens it
  full size in a dialog;
- a second presenter on the same screen is refused (share_taken), someone in another
  room cannot watch it (share_none), a visitor who was not allowed cannot present
  (share_forbidden);
- the presenter leaving the room ends the share for the visitor, and the talk plays on;
- a visitor the facilitator allows shares too, and another facilitator stops that share;
- the presenter's WebSocket drops and comes back: the share goes on (same ``gen``), the
  visitor goes on decoding it.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import CHROMIUM, CHROMIUM_ARGS, HubServer, Visitor, Visitors, copy_built, running_hub
from playwright.sync_api import Playwright, sync_playwright
from test_accessibility import assert_clean
from test_talks import TALK, facilitator, go_to, playing_on_screen
from test_voice import VETH, ProtocolClient, network_namespace

from server.base.identity import Role

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.timeout(400),
    pytest.mark.skipif(shutil.which("janus") is None, reason="Debian package janus"),
    pytest.mark.skipif(os.geteuid() != 0, reason="a network namespace of its own needs root"),
]

ROOM = "auditorium"
FAKE_CAPTURE = [
    *CHROMIUM_ARGS,
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
    "--allow-loopback-in-peer-connection",
    "--autoplay-policy=no-user-gesture-required",
]


@pytest.fixture(scope="module")
def netns() -> Iterator[None]:
    with network_namespace():
        yield


@pytest.fixture(scope="module")
def share_hub(netns: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubServer]:
    data_dir = tmp_path_factory.mktemp("share-hub")
    copy_built(data_dir)
    with running_hub(
        data_dir,
        "--voice-ice-enforce-list",
        VETH[0],
        env={"HUBTWIN_VOICE_RTP_PORTS": "30"},
    ) as server:
        yield server


@pytest.fixture(scope="module")
def playwright(netns: None) -> Iterator[Playwright]:
    with sync_playwright() as instance:
        yield instance


def decoded(visitor: Visitor, screen: str) -> int:
    inbound: dict[str, Any] = visitor.page.evaluate("window.hubtwin.shareInbound()")
    return int(inbound.get(screen, {}).get("framesDecoded", 0))


def errors_of(client: ProtocolClient, about: str) -> list[str]:
    return [m["code"] for m in client.of("error") if m.get("about") == about]


def wait_error(client: ProtocolClient, about: str, timeout_s: float = 10) -> str:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = errors_of(client, about)
        if found:
            return found[-1]
        time.sleep(0.05)
    raise AssertionError(f"no error about {about}: {client.messages[-5:]}")


def test_a_facilitator_shares_a_screen_a_visitor_decodes_it_and_leaving_ends_it(
    playwright: Playwright, share_hub: HubServer
) -> None:
    browsers = [
        playwright.chromium.launch(executable_path=CHROMIUM, args=FAKE_CAPTURE) for _ in range(2)
    ]
    groups = [Visitors(browser, share_hub) for browser in browsers]
    try:
        fee = facilitator(groups[0], share_hub, "Fee")
        go_to(fee, ROOM)
        fee.page.locator("#toggle-talks").click()
        show = fee.page.locator(f'#talk-list li[data-talk="{TALK}"] button', has_text="Bildschirm")
        show.click()
        playing_on_screen(fee)
        fee.page.locator("#panel-talks .close").click()
        screen = fee.state()["talks"]["screens"][0]["screen"]

        ada = groups[1].new("Ada")
        go_to(ada, ROOM)
        ada.page.locator("#panel-rooms .close").click()
        ada.wait_for("s.talks.screens.length === 1 && s.talks.screens[0].playing")

        # a visitor not allowed to present sees no button and is refused by the server
        ada.page.locator("#toggle-share").click()
        ada.page.locator("#share-status", has_text="Moderierende").wait_for()
        assert ada.page.locator('button[data-share-action="share"]').count() == 0
        ada.page.locator("#panel-share .close").click()

        # the facilitator shares onto the auditorium's screen (Chromium's fake capture)
        fee.page.locator("#toggle-share").click()
        fee.page.locator(f'button[data-share-action="share"][data-screen="{screen}"]').click()
        fee.wait_for(
            "s.share.presenting && s.share.presenting.send === 'connected'", timeout_ms=30000
        )
        fee.page.locator(f'button[data-share-action="stop"][data-screen="{screen}"]').wait_for()
        fee.page.locator("#share-people li", has_text="Ada").wait_for()
        assert_clean(fee.page, "#panel-share")
        # the talk on that screen pauses meanwhile, for everyone
        for visitor in (fee, ada):
            visitor.wait_for("!s.talks.screens[0].playing && s.talks.screens[0].talk === arg", TALK)

        # the visitor's browser receives and decodes the shared screen
        ada.wait_for(
            "s.share.shares.length === 1 && s.share.shares[0].live"
            " && s.share.shares[0].receive === 'connected' && s.share.shares[0].width > 0",
            timeout_ms=30000,
        )
        first = decoded(ada, screen)
        assert first > 0, "no frame decoded"
        deadline = time.monotonic() + 10
        while decoded(ada, screen) <= first:
            assert time.monotonic() < deadline, f"frames decoded did not rise from {first}"
            ada.page.wait_for_timeout(50)
        shown = ada.state()["share"]["shares"][0]
        assert shown["presenter"] == fee.state()["session"] and shown["name"] == "Fee"
        assert shown["covered"], "the shared screen is not on the in-world screen"

        # full size: a dialog with the video, named, closed with Escape
        ada.page.locator("#toggle-share").click()
        ada.page.locator(f'button[data-share-action="full"][data-screen="{screen}"]').click()
        dialog = ada.page.locator("#share-overlay")
        dialog.wait_for(state="visible")
        assert "Fee" in ada.page.locator("#share-overlay-title").inner_text()
        assert_clean(ada.page, "#share-overlay")
        full_video = "() => { const v = document.querySelector('#share-overlay video');"
        full_video += " return [v.videoWidth, v.currentTime]; }"
        deadline = time.monotonic() + 15
        while True:
            width, played = ada.page.evaluate(full_video)
            if width > 0 and played > 0:
                break
            assert time.monotonic() < deadline, f"the full-size video shows nothing: {width}"
            ada.page.wait_for_timeout(50)
        ada.page.keyboard.press("Escape")
        dialog.wait_for(state="hidden")

        # a second presenter on the same screen is refused; another room cannot watch
        with ProtocolClient(share_hub, "Frieda", Role.FACILITATOR, room=ROOM) as second:
            state = second.wait("share_state")
            assert state["presenter"] == fee.state()["session"] and state["live"]
            second.send({"t": "share", "screen": screen, "on": True})
            assert wait_error(second, "share") == "share_taken"
        with ProtocolClient(share_hub, "Outsider", room="foyer") as outsider:
            outsider.send({"t": "share_view", "screen": screen, "gen": state["gen"], "on": True})
            assert wait_error(outsider, "share_view") == "share_none"
            outsider.send({"t": "share", "screen": screen, "on": True})
            assert wait_error(outsider, "share") in ("share_forbidden", "screen_unknown")
            assert not outsider.of("share_sdp")

        # the presenter leaves the room: the share ends, the talk plays on
        fee.page.locator("#panel-share .close").click()
        go_to(fee, "foyer")
        ada.wait_for("s.share.shares.length === 0", timeout_ms=15000)
        assert not ada.state()["share"]["full"]
        ada.wait_for("s.talks.screens[0].playing && s.talks.screens[0].onScreen", timeout_ms=30000)
        assert fee.state()["share"]["presenting"] is None

        # back in the room the facilitator lets Ada share; she shares; another facilitator
        # stops it
        fee.page.locator(f'#room-list li[data-room-id="{ROOM}"] button').click()  # still open
        fee.wait_for("s.room === arg", ROOM)
        fee.page.locator("#panel-rooms .close").click()
        fee.page.locator("#toggle-share").click()
        fee.page.locator("#share-people li", has_text="Ada").locator("input").check()
        ada.wait_for("s.share.allowed.includes(s.session)")
        if not ada.page.locator("#panel-share").is_visible():
            ada.page.locator("#toggle-share").click()
        ada.page.locator(f'button[data-share-action="share"][data-screen="{screen}"]').click()
        ada.wait_for(
            "s.share.presenting && s.share.presenting.send === 'connected'", timeout_ms=30000
        )
        fee.wait_for(
            "s.share.shares.length === 1 && s.share.shares[0].name === 'Ada'"
            " && s.share.shares[0].width > 0 && !s.talks.screens[0].playing",
            timeout_ms=30000,
        )
        with ProtocolClient(share_hub, "Frieda", Role.FACILITATOR, room=ROOM) as third:
            third.wait("share_state")
            third.send({"t": "share", "screen": screen, "on": False})
            ada.wait_for("s.share.presenting === null && s.share.shares.length === 0")
            fee.wait_for("s.share.shares.length === 0 && s.talks.screens[0].playing")
        # Chromium's fake screen capture is a fake camera underneath, and the page rightly
        # allows no camera (Permissions-Policy camera=()): Chromium notes that, and still
        # captures; a real screen capture is governed by display-capture=(self).
        problems = [
            p
            for group in groups
            for p in group.problems()
            if "Permissions policy violation: camera is not allowed" not in p
        ]
        assert problems == [], "the browsers reported errors"
    finally:
        for group in groups:
            group.close()
        for browser in browsers:
            browser.close()


def test_a_share_goes_on_through_its_presenters_dropped_connection(
    playwright: Playwright, share_hub: HubServer
) -> None:
    """The presenter's WebSocket drops and comes back within the grace: the browser keeps
    its screen going to Janus, the hub kept the share, the visitor goes on decoding the same
    share (it never ended)."""
    browsers = [
        playwright.chromium.launch(executable_path=CHROMIUM, args=FAKE_CAPTURE) for _ in range(2)
    ]
    groups = [Visitors(browser, share_hub) for browser in browsers]
    try:
        fee = facilitator(groups[0], share_hub, "Fenja")
        go_to(fee, ROOM)
        fee.page.locator("#panel-rooms .close").click()
        ada = groups[1].new("Anna")
        go_to(ada, ROOM)
        ada.page.locator("#panel-rooms .close").click()
        fee.wait_for("s.talks.screens.length === 1")
        screen = fee.state()["talks"]["screens"][0]["screen"]
        fee.page.locator("#toggle-share").click()
        fee.page.locator(f'button[data-share-action="share"][data-screen="{screen}"]').click()
        fee.wait_for(
            "s.share.presenting && s.share.presenting.send === 'connected'", timeout_ms=30000
        )
        ada.wait_for(
            "s.share.shares.length === 1 && s.share.shares[0].live"
            " && s.share.shares[0].receive === 'connected' && s.share.shares[0].width > 0",
            timeout_ms=30000,
        )
        gen = ada.state()["share"]["shares"][0]["gen"]
        session = fee.state()["session"]
        sockets: list[Any] = []
        fee.page.on("websocket", lambda socket: sockets.append(socket))
        fee.page.evaluate("window.hubtwin.dropConnection()")
        deadline = time.monotonic() + 30
        while not sockets:
            assert time.monotonic() < deadline, "the presenter's page did not reconnect"
            fee.page.wait_for_timeout(50)
        fee.wait_for("s.connection === 'open' && s.room === arg", ROOM, timeout_ms=30000)
        assert fee.state()["session"] == session, "not resumed but a new session"
        # the visitor goes on decoding the same share; the presenter still presents it
        base = decoded(ada, screen)
        ada.wait_for(
            "s.share.shares.length === 1 && s.share.shares[0].gen === arg[0]"
            " && s.share.shares[0].receive === 'connected'",
            [gen],
            timeout_ms=10000,
        )
        deadline = time.monotonic() + 20
        while decoded(ada, screen) < base + 30:
            assert time.monotonic() < deadline, "the shared screen stopped after the reconnect"
            assert ada.state()["share"]["shares"], "the share ended for the room"
            ada.page.wait_for_timeout(100)
        presenting = fee.state()["share"]["presenting"]
        assert presenting is not None and presenting["gen"] == gen, presenting
        assert presenting["send"] == "connected"
        assert [s["gen"] for s in ada.state()["share"]["shares"]] == [gen]
    finally:
        for group in groups:
            group.close()
        for browser in browsers:
            browser.close()
