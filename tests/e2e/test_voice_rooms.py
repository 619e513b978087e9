"""Voice and the room's rules, for real: the hub with its own Janus, Chromium with fake
microphones, media only inside the test's own network namespace (how: test_voice.py, whose
fixtures and helpers this module uses).

What is checked, from what the listener's browser actually receives:

- a quiet room (set by a facilitator): a near speaker who holds no stage is no longer
  received at all; the room made loud again, they are heard again;
- voice reconnects by itself after the realtime connection drops: the listener hears the
  near speaker again without doing anything.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from conftest import HubServer, Visitor
from playwright.sync_api import Playwright
from test_voice import (
    TONES,
    ProtocolClient,
    Speakers,
    hears,
    near_by,
    netns,
    playwright,
    receives,
    session_of,
    unmute_everyone,
    voice_hub,
)

from server.base.identity import Role

__all__ = ["netns", "playwright", "voice_hub"]  # fixtures used here, made in test_voice

pytestmark = pytest.mark.timeout(400)


@pytest.fixture(scope="module")
def pair(
    playwright: Playwright, voice_hub: HubServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Visitor, Visitor]]:
    speakers = Speakers(playwright, voice_hub, tmp_path_factory.mktemp("tones"))
    try:
        listener = speakers.person("Lena", 250.0)
        near = speakers.person("Nils", TONES["near"])
        yield listener, near
        problems = [p for p in speakers.problems() if "voice connection failed" not in p]
        assert problems == [], "the browsers reported errors"
    finally:
        speakers.close()


@pytest.fixture
def people(
    pair: tuple[Visitor, Visitor], voice_hub: HubServer
) -> Iterator[tuple[Visitor, Visitor]]:
    """Listener and near speaker 2 m apart in the foyer, voice on; nobody muted after."""
    near_by(*pair)
    yield pair
    unmute_everyone(pair, voice_hub)


def test_in_a_quiet_room_no_voice_is_received_and_loud_again_it_is(
    people: tuple[Visitor, Visitor], voice_hub: HubServer
) -> None:
    listener, near = people
    hears(listener, session_of(near), TONES["near"])
    with ProtocolClient(voice_hub, "Frieda", Role.FACILITATOR) as facilitator:
        facilitator.send({"t": "voice_quiet", "on": True})
        try:
            listener.wait_for("s.voice.quiet", timeout_ms=10000)
            listener.wait_for(
                "!s.voice.streams.some((x) => x.session === arg)",
                session_of(near),
                timeout_ms=10000,
            )
            listener.page.wait_for_timeout(1500)  # and it stays so
            assert not receives(listener, session_of(near)), "a voice was forwarded in quiet"
        finally:
            facilitator.send({"t": "voice_quiet", "on": False})
    listener.wait_for("!s.voice.quiet", timeout_ms=10000)
    hears(listener, session_of(near), TONES["near"])


def test_voice_comes_back_by_itself_after_a_network_drop(
    people: tuple[Visitor, Visitor],
) -> None:
    listener, near = people
    hears(listener, session_of(near), TONES["near"])
    gen = listener.state()["voice"]["gen"]
    listener.page.evaluate("window.hubtwin.dropConnection()")
    # the hub sets voice up again (a new generation, new connections to Janus)
    listener.wait_for("s.connection === 'open' && s.voice.gen !== arg", gen, timeout_ms=30000)
    listener.wait_for("s.voice.state === 'ready'", timeout_ms=30000)
    hears(listener, session_of(near), TONES["near"], timeout_s=40)
    # and the near speaker hears the listener's microphone again too
    hears(near, session_of(listener), 250.0, timeout_s=40)
    assert listener.state()["voice"]["wanted"], "voice was turned off by the drop"
