"""The speaking indicator on the avatars, with real voice: the hub with its own Janus and
two Chromiums with fake microphones (a tone each), as in test_voice.py, whose network
namespace, hub and helpers this file uses.

While a person's voice arrives at the listener's browser (its WebAudio analyser hears
their tone), their avatar there shows it (the avatar's ``voice`` in the test hook: the
nod and the sound waves on their name tag) and the people list marks them as speaking;
muted, both go away. Before they turn their voice on, nothing shows.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest
from conftest import HubServer, Visitor
from playwright.sync_api import Playwright
from test_voice import (  # the voice tests' fixtures and helpers, one copy
    LISTENER_AT,
    NEAR_AT,
    TONES,
    Speakers,
    hears,
    netns,
    playwright,
    session_of,
    stand,
    voice_hub,
    voice_on,
)

pytestmark = [
    pytest.mark.timeout(400),
    pytest.mark.skipif(shutil.which("janus") is None, reason="Debian package janus"),
    pytest.mark.skipif(os.geteuid() != 0, reason="a network namespace of its own needs root"),
]

__all__ = ["netns", "playwright", "voice_hub"]  # fixtures this module uses by name


@pytest.fixture
def pair(
    playwright: Playwright, voice_hub: HubServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Visitor, Visitor]]:
    speakers = Speakers(playwright, voice_hub, tmp_path_factory.mktemp("tones"))
    try:
        yield speakers.person("Lena", 250.0), speakers.person("Nils", TONES["near"])
        assert speakers.problems() == [], "the browsers reported errors"
    finally:
        speakers.close()


def shown(name: str) -> str:
    """Nils as Lena's page drew him in its last frame."""
    return f"s.others.find((o) => o.name === {name!r})"


def test_a_speakers_avatar_shows_their_voice_while_it_arrives(
    pair: tuple[Visitor, Visitor],
) -> None:
    lena, nils = pair
    stand(lena, LISTENER_AT)
    stand(nils, NEAR_AT)
    nils_session = session_of(nils)
    # his mark in the people list (the list is kept while its panel is closed)
    badge = f'#people-list li[data-person-id="{nils_session}"] .person-voice'

    # no voice yet: drawn, but nothing shows
    lena.wait_for(f"{shown('Nils')}?.anim?.lod === 'near'")
    assert lena.first(f"{shown('Nils')}")["voice"] is False

    voice_on(lena, mic=False)
    voice_on(nils)
    hears(lena, nils_session, TONES["near"])
    lena.wait_for(f"{shown('Nils')}?.voice === true")
    lena.page.locator(f"{badge}.speaking").wait_for(state="attached", timeout=15000)
    him = lena.first(shown("Nils"))
    lena.page.evaluate("([x, z]) => window.hubtwin.lookAt(x, z)", [him["x"], him["z"]])
    lena.clear_view()
    lena.frames(3)
    lena.screenshot("avatar-speaking.png")  # the sound waves on his name tag

    # muted (key N): his voice stops arriving and the indicator goes
    nils.page.locator("#view").focus()
    nils.page.keyboard.press("n")
    nils.wait_for("s.voice.muted")
    lena.wait_for(f"{shown('Nils')}?.voice === false", timeout_ms=15000)
    lena.page.locator(f"{badge}:not(.speaking)").wait_for(state="attached", timeout=15000)
