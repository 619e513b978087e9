"""Voice and a facilitator's removal, a ban and breakout groups, for real: the hub with its
own Janus, Chromium with fake microphones (a tone per speaker), media only inside the
test's own network namespace (how: test_voice.py, whose fixtures and helpers this module
uses).

What is checked, from what the browsers actually receive (their getStats' packet arrival
times and WebAudio's loudest frequency per voice):

- a facilitator mutes a speaker in the lounge: the listener's last packet of that speaker
  arrives within a second of the facilitator's message (the behaviour asked for; the test
  waits until no more packets arrive, then compares the browser's own arrival time of the
  last one with the moment the message was sent, and prints it), the voice is taken out
  of the listener's connection, the muted person's page shows it, and once let again the
  listener hears them again. (That the server, not the muted browser, stops the audio is
  shown by bench.voice_media --mute, whose speaker goes on sending whatever it is told.)
- a facilitator removes a speaker from the lounge: the listener's last packet of that
  speaker arrives within a second of the removal, while the speaker's page is stalled
  (its main thread busy for 4 s, so it cannot react; its WebRTC goes on sending): only
  the server can have cut it. The removed person's browser gets nothing more of the
  listener either; set up again in the entrance, they receive nothing of the lounge and
  the lounge nothing of them;
- a ban likewise, both ways within a second, measured from the moment the facilitator
  sent it (the hub kicks the banned person out of Janus in the same step that ends their
  session, before their realtime connection is closed);
- breakout groups: people in different groups stop receiving each other, people of the
  same group hear each other, and once the groups are called back everyone hears again.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from conftest import HubServer, Visitor
from playwright.sync_api import Playwright
from test_voice import (
    TONES,
    ProtocolClient,
    Speakers,
    go_to,
    hears,
    netns,
    packets_from,
    playwright,
    receives,
    session_of,
    stand,
    stops_arriving,
    unmute_everyone,
    voice_hub,
    voice_on,
    watch_arrivals,
)
from test_workshop import account, post

from server.base.identity import Role

__all__ = ["netns", "playwright", "voice_hub"]  # fixtures used here, made in test_voice

pytestmark = pytest.mark.timeout(600)

LISTENER_TONE = 250.0
#: the tones of the people who are removed or banned (a browser each, made in the test)
OWN_TONES = {"Rita": 970.0, "Bernd": 820.0}
#: two spots of the lounge 3 m apart, and two of the workshop room
LOUNGE = ((9.0, 7.0), (12.0, 7.0))
WORKSHOP = ((12.0, -6.0), (15.0, -6.0), (17.0, -4.0))


@pytest.fixture(scope="module")
def speakers(
    playwright: Playwright, voice_hub: HubServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Speakers]:
    made = Speakers(playwright, voice_hub, tmp_path_factory.mktemp("tones"))
    try:
        yield made
    finally:
        made.close()


@pytest.fixture(scope="module")
def trio(speakers: Speakers) -> Iterator[dict[str, Visitor]]:
    people = {
        "listener": speakers.person("Lena", LISTENER_TONE),
        "near": speakers.person("Nils", TONES["near"]),
        "far": speakers.person("Fiona", TONES["far"]),
    }
    yield people
    # a banned or removed person's browser says so in its console; nothing else may go wrong
    problems = [
        p
        for p in speakers.problems()
        if "voice connection failed" not in p and not p.startswith(tuple(OWN_TONES))
    ]
    assert problems == [], "the browsers reported errors"


@pytest.fixture
def people(trio: dict[str, Visitor], voice_hub: HubServer) -> Iterator[dict[str, Visitor]]:
    yield trio
    unmute_everyone(trio.values(), voice_hub)


def in_the_lounge(listener: Visitor, speaker: Visitor) -> None:
    """Both in the lounge, 3 m apart, voice on, each hearing the other."""
    for visitor, at in ((listener, LOUNGE[0]), (speaker, LOUNGE[1])):
        go_to(visitor, "lounge")
        stand(visitor, at, within=2.5)
        voice_on(visitor)
    hears(listener, session_of(speaker), OWN_TONES[speaker.name])
    hears(speaker, session_of(listener), LISTENER_TONE)


#: the page's main thread busy for 4 s: the browser cannot react to anything the hub says
#: (its WebRTC goes on sending and receiving on threads of its own)
STALL = """() => {
  window.stalled = null;
  setTimeout(() => {
    const end = Date.now() + 4000;
    window.stalled = { from: Date.now(), until: end };
    while (Date.now() < end) {}
  }, 0);
}"""


def cut_both_ways(
    listener: Visitor, speaker: Visitor, act: ProtocolClient, message: dict[str, object]
) -> tuple[float, float]:
    """The facilitator ``act`` sends ``message`` about ``speaker`` while the speaker's page
    is stalled (so what stops, the server stopped); seconds until the last packet of the
    speaker arrived at the listener, and of the listener at the speaker."""
    listener_session, speaker_session = session_of(listener), session_of(speaker)
    watch_arrivals(listener, speaker_session)
    watch_arrivals(speaker, listener_session)
    speaker.page.evaluate(STALL)
    sent_ms = time.time() * 1000
    act.send(message)
    heard = stops_arriving(listener, speaker_session, since_ms=sent_ms)
    got = stops_arriving(speaker, listener_session, since_ms=sent_ms)
    stalled = speaker.page.evaluate("window.stalled")
    assert stalled and stalled["from"] <= sent_ms + 200, f"not stalled in time: {stalled}"
    assert stalled["until"] >= sent_ms + 1000 * max(heard, 1.0), "the stall ended too soon"
    print(f"measured: {message['t']}: last packet at the listener {heard:.3f} s after it")
    return heard, got


def test_a_facilitators_mute_stops_the_speakers_audio_within_a_second(
    people: dict[str, Visitor], voice_hub: HubServer
) -> None:
    listener, nils = people["listener"], people["near"]
    for visitor, at in ((listener, LOUNGE[0]), (nils, LOUNGE[1])):
        go_to(visitor, "lounge")
        stand(visitor, at, within=2.5)
        voice_on(visitor)
    hears(listener, session_of(nils), TONES["near"])
    watch_arrivals(listener, session_of(nils))
    with ProtocolClient(voice_hub, "Frieda", Role.FACILITATOR, room="lounge") as facilitator:
        try:
            sent_ms = time.time() * 1000
            facilitator.send({"t": "mute", "session": session_of(nils), "on": True, "minutes": 5})
            heard = stops_arriving(listener, session_of(nils), since_ms=sent_ms)
            print(f"measured: mute: last packet at the listener {heard:.3f} s after it")
            assert heard <= 1.0, f"the muted speaker's audio still arrived for {heard:.2f} s"
            # the muted person's page says so, and so does the listener's
            nils.wait_for("s.voice.held && s.voice.own === 'held'", timeout_ms=20000)
            listener.wait_for("s.voice.people[arg] === 'held'", session_of(nils))
            # and the hub took the voice out of the listener's connection
            listener.wait_for("!s.voice.streams.some((x) => x.session === arg)", session_of(nils))
        finally:  # let again by a facilitator of the lounge, whatever happened
            facilitator.send({"t": "mute", "session": session_of(nils), "on": False})
            nils.wait_for("!s.voice.held", timeout_ms=20000)
    hears(listener, session_of(nils), TONES["near"])


def test_a_removed_speaker_is_cut_out_of_the_room_within_a_second(
    people: dict[str, Visitor], speakers: Speakers, voice_hub: HubServer
) -> None:
    listener = people["listener"]
    rita = speakers.person("Rita", OWN_TONES["Rita"])
    in_the_lounge(listener, rita)
    with ProtocolClient(voice_hub, "Frieda", Role.FACILITATOR, room="lounge") as facilitator:
        heard, got = cut_both_ways(
            listener, rita, facilitator, {"t": "remove", "session": session_of(rita), "minutes": 1}
        )
    assert heard <= 1.0, f"the removed speaker's audio still arrived for {heard:.2f} s"
    assert got <= 1.0, f"the removed person still received the room for {got:.2f} s"
    # out in the entrance: set up there, nobody of the lounge given to or from her
    rita.wait_for("s.room === 'foyer'", timeout_ms=20000)
    rita.wait_for("s.voice.state === 'ready'", timeout_ms=20000)
    listener.page.wait_for_timeout(1500)
    assert not receives(listener, session_of(rita)), "the lounge still gets the removed voice"
    assert not receives(rita, session_of(listener)), "the removed person still gets the lounge"
    assert packets_from(rita, session_of(listener)) == 0


# A bound in wall-clock time on a shared 2-core runner: with the whole suite's browsers
# drawing, the last packet was once seen 1.42 s after the ban (0.000 s when not loaded).
@pytest.mark.flaky(reruns=1)
def test_a_banned_speaker_is_cut_out_within_a_second(
    people: dict[str, Visitor], speakers: Speakers, voice_hub: HubServer
) -> None:
    listener = people["listener"]
    bernd = speakers.person("Bernd", OWN_TONES["Bernd"])
    in_the_lounge(listener, bernd)
    with ProtocolClient(voice_hub, "Frieda", Role.FACILITATOR, room="lounge") as facilitator:
        heard, got = cut_both_ways(
            listener, bernd, facilitator, {"t": "ban", "session": session_of(bernd), "hours": 1}
        )
    assert heard <= 1.0, f"the banned speaker's audio still arrived for {heard:.2f} s"
    assert got <= 1.0, f"the banned person still received the room for {got:.2f} s"
    listener.wait_for("!(arg in s.voice.people)", session_of(bernd), timeout_ms=10000)
    assert not receives(listener, session_of(bernd))


def in_the_workshop(people: dict[str, Visitor]) -> None:
    for visitor, at in zip(people.values(), WORKSHOP, strict=True):
        go_to(visitor, "workshop")
        stand(visitor, at, within=2.5)
        voice_on(visitor)


def test_breakout_groups_hear_only_their_own_and_everyone_again_after(
    people: dict[str, Visitor], voice_hub: HubServer
) -> None:
    lena, nils, fiona = people["listener"], people["near"], people["far"]
    username, password = account(voice_hub, "Mara")
    token = post(voice_hub, "/api/session", {"username": username, "password": password})["token"]
    workshop = post(
        voice_hub,
        "/api/workshops",
        {"title": "Stimmen", "room": "workshop", "starts": time.time() - 60}
        | {"minutes": 60, "force": True},
        token,
    )
    in_the_workshop(people)
    hears(lena, session_of(fiona), TONES["far"])
    hears(fiona, session_of(lena), LISTENER_TONE)
    with ProtocolClient(voice_hub, "Stella", Role.STAFF, room="workshop") as staff:
        staff.send({"t": "workshop_start", "workshop": workshop["id"]})
        staff.wait("workshop_state")
        groups = [[session_of(lena), session_of(nils)], [session_of(fiona)]]
        staff.send(
            {"t": "breakout", "groups": 2, "mode": "chosen", "minutes": 10} | {"assign": groups}
        )
        for visitor in (lena, nils, fiona):
            visitor.wait_for("s.instance !== 0", timeout_ms=20000)
        # the same group hears each other, in a Janus room of its own
        hears(lena, session_of(nils), TONES["near"], timeout_s=40)
        hears(nils, session_of(lena), LISTENER_TONE, timeout_s=40)
        assert fiona.state()["instance"] != lena.state()["instance"]
        for listener, other in ((lena, fiona), (fiona, lena), (nils, fiona)):
            assert not receives(listener, session_of(other)), "a voice crossed between groups"
        fiona.page.wait_for_timeout(1500)  # and it stays so
        for listener, other in ((lena, fiona), (fiona, lena), (fiona, nils)):
            assert not receives(listener, session_of(other)), "a voice crossed between groups"
            assert packets_from(listener, session_of(other)) == 0
        staff.send({"t": "breakout_recall"})
        for visitor in (lena, nils, fiona):
            visitor.wait_for("s.instance === 0", timeout_ms=20000)
        for visitor, at in zip((lena, nils, fiona), WORKSHOP, strict=True):
            stand(visitor, at, within=2.5)
        hears(lena, session_of(fiona), TONES["far"], timeout_s=40)
        hears(fiona, session_of(lena), LISTENER_TONE, timeout_s=40)
        hears(fiona, session_of(nils), TONES["near"], timeout_s=40)
