"""A shared screen moves with its room to another Janus, for real: two Janus processes the
test starts (``--janus`` twice), two Chromiums with fake screen capture, all in a network
namespace of its own (as tests/e2e/test_screen_share_browser.py).

A facilitator and a visitor are in voice in the auditorium (Chromium's fake microphone),
the facilitator shares onto the auditorium's screen and the visitor decodes it; the Janus
holding the auditorium's room is killed with SIGKILL. The room moves to the other Janus:
both are set up in voice again there (a new ``gen``) and the facilitator's voice arrives
at the visitor again; the share is renewed there: the presenter's browser publishes again
on the new ``gen``, the visitor's browser watches the new one and decodes its frames.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import CHROMIUM, HubServer, Visitors, copy_built, running_hub
from playwright.sync_api import Playwright, sync_playwright
from test_screen_share_browser import FAKE_CAPTURE, ROOM, decoded
from test_talks import facilitator, go_to
from test_voice import VETH, network_namespace, packets_from, session_of, stand, voice_on
from test_voice_failover import Janus, servers, until

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.timeout(400),
    pytest.mark.skipif(shutil.which("janus") is None, reason="Debian package janus"),
    pytest.mark.skipif(os.geteuid() != 0, reason="a network namespace of its own needs root"),
]


@pytest.fixture(scope="module")
def netns() -> Iterator[None]:
    with network_namespace():
        yield


@pytest.fixture(scope="module")
def janus_pair(
    netns: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Janus, Janus]]:
    folder: Path = tmp_path_factory.mktemp("janus")
    pair = (Janus(folder / "a", VETH[0]), Janus(folder / "b", VETH[0]))
    try:
        for janus in pair:
            janus.start()
        yield pair
    finally:
        for janus in pair:
            janus.stop()


@pytest.fixture(scope="module")
def hub(
    janus_pair: tuple[Janus, Janus], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[HubServer]:
    data = tmp_path_factory.mktemp("failover-hub")
    copy_built(data)
    a, b = janus_pair
    with running_hub(data, "--janus", a.url, "--janus", b.url) as server:
        yield server


@pytest.fixture(scope="module")
def playwright(netns: None) -> Iterator[Playwright]:
    with sync_playwright() as instance:
        yield instance


def test_a_share_moves_to_the_other_janus_and_the_visitor_sees_it_again(
    playwright: Playwright, hub: HubServer, janus_pair: tuple[Janus, Janus]
) -> None:
    a, b = janus_pair
    until(lambda: all(s["up"] for s in servers(hub)), "the hub did not connect to both")
    browsers = [
        playwright.chromium.launch(executable_path=CHROMIUM, args=FAKE_CAPTURE) for _ in range(2)
    ]
    groups = [Visitors(browser, hub) for browser in browsers]
    try:
        fee = facilitator(groups[0], hub, "Fee")
        go_to(fee, ROOM)
        fee.page.locator("#panel-rooms .close").click()
        fee.wait_for("s.talks.screens.length === 1")
        screen = fee.state()["talks"]["screens"][0]["screen"]
        ada = groups[1].new("Ada")
        go_to(ada, ROOM)
        ada.page.locator("#panel-rooms .close").click()
        # the spawn points lie up to 20 m apart, beyond hearing: Ada goes over to Fee
        there = fee.state()["position"]
        stand(ada, (there["x"], there["z"]), within=4.0)
        for visitor in (fee, ada):
            voice_on(visitor)
        speaker = session_of(fee)
        until(lambda: packets_from(ada, speaker) > 0, "the facilitator's voice does not arrive", 60)
        voice_gen = ada.state()["voice"]["gen"]
        fee.page.locator("#toggle-share").click()
        fee.page.locator(f'button[data-share-action="share"][data-screen="{screen}"]').click()
        fee.wait_for(
            "s.share.presenting && s.share.presenting.send === 'connected'", timeout_ms=60000
        )
        ada.wait_for(
            "s.share.shares.length === 1 && s.share.shares[0].live"
            " && s.share.shares[0].receive === 'connected' && s.share.shares[0].width > 0",
            timeout_ms=60000,
        )
        gen = ada.state()["share"]["shares"][0]["gen"]
        assert [s["rooms"] for s in servers(hub)] == [1, 0], "the room is not on the first"

        a.kill()

        # the presenter publishes again on the new gen, through the other Janus
        fee.wait_for(
            "s.share.presenting && s.share.presenting.gen > arg[0]"
            " && s.share.presenting.send === 'connected'",
            [gen],
            timeout_ms=60000,
        )
        ada.wait_for(
            "s.share.shares.length === 1 && s.share.shares[0].gen > arg[0]"
            " && s.share.shares[0].live && s.share.shares[0].receive === 'connected'"
            " && s.share.shares[0].width > 0",
            [gen],
            timeout_ms=60000,
        )
        first = decoded(ada, screen)
        deadline = time.monotonic() + 40
        while decoded(ada, screen) <= first:
            assert time.monotonic() < deadline, "no frames decoded after the move"
            ada.page.wait_for_timeout(100)
        # voice set up again on the other Janus: the facilitator is heard again
        ada.wait_for(
            "s.voice.gen > arg[0] && s.voice.state === 'ready' && s.voice.send === 'connected'",
            [voice_gen],
            timeout_ms=60000,
        )
        until(lambda: packets_from(ada, speaker) > 0, "the voice did not come back", 30)
        health = servers(hub)
        assert health[0]["up"] is False and health[1]["rooms"] == 1, health
        assert health[0]["moved_away"] == 1
        assert b.rooms() == 1
    finally:
        for group in groups:
            group.close()
        for browser in browsers:
            browser.close()
