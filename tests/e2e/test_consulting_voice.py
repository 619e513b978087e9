"""The consulting booth is private, heard for real: the hub with its own Janus, one Chromium
per person with a fake microphone playing a tone of its own, media inside the test's own
network namespace (how: test_voice.py, whose fixtures and helpers this module uses).

An advisor (a facilitator account marked as advisor) and visitor Ada stand in the
consulting room with visitor Bo, all three with voice on: Bo hears Ada (so this test can
tell hearing from not hearing). The advisor calls Ada in; in the booth the two hear each
other, each with their own tone. Bo stands where Ada sits in the booth, in the room's own
instance, the closest the building allows to the conversation: his browser receives no
stream of either of them (nothing the hub forwards, not merely quiet), and neither of them
receives his; his asking to go into the booth is refused (``booth_private``) and he stays
outside. Once the conversation ends and they are back in the room, Bo hears Ada again.
"""

from __future__ import annotations

import subprocess
import time
import uuid
from collections.abc import Iterator

import pytest
from conftest import HubServer, Visitor
from playwright.sync_api import Playwright
from test_consulting_browser import into_consulting, open_panel, press
from test_voice import (
    Speakers,
    hears,
    netns,
    playwright,
    receives,
    session_of,
    stand,
    voice_hub,
    voice_on,
)

from world.site import PROJECT_ROOT

__all__ = ["netns", "playwright", "voice_hub"]  # fixtures used here, made in test_voice

pytestmark = pytest.mark.timeout(600)

TONES = {"advisor": 520.0, "ada": 330.0, "bo": 880.0}
CORNER = "consulting-1"
#: in the middle of the consulting room, where the three first stand (within 2 m)
GATHER = {"advisor": (-15.5, 5.0), "ada": (-14.5, 5.5), "bo": (-15.0, 6.5)}
#: how long Bo listens at the booth for anything of theirs arriving
LISTEN_MS = 4000
WAIT_MS = 30000


def advisor_account(hub: HubServer) -> tuple[str, str]:
    username, password = f"beratung-{uuid.uuid4().hex[:6]}", uuid.uuid4().hex
    subprocess.run(
        [str(PROJECT_ROOT / ".venv" / "bin" / "hubtwin"), "accounts", "--data-dir",
         str(hub.data_dir), "add", username, "--name", "Team Beratung", "--role",
         "facilitator", "--advisor", "--password-stdin"],
        input=password.encode(),
        check=True,
        cwd=PROJECT_ROOT,
        capture_output=True,
    )  # fmt: skip
    return username, password


@pytest.fixture(scope="module")
def three(
    playwright: Playwright, voice_hub: HubServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Visitor]]:
    speakers = Speakers(playwright, voice_hub, tmp_path_factory.mktemp("tones"))
    try:
        username, password = advisor_account(voice_hub)
        advisor = speakers.group("Team Beratung", TONES["advisor"]).open("Team Beratung")
        advisor.sign_in_as_staff(username, password)
        people = {
            "advisor": advisor,
            "ada": speakers.person("Ada", TONES["ada"]),
            "bo": speakers.person("Bo", TONES["bo"]),
        }
        yield people
        problems = [p for p in speakers.problems() if "voice connection failed" not in p]
        assert problems == [], "the browsers reported errors"
    finally:
        speakers.close()


def nothing_of(listener: Visitor, sessions: list[str], ms: float = LISTEN_MS) -> None:
    """No stream of ``sessions`` arrives at ``listener``, checked again and again for
    ``ms`` (the hub's hearing rounds run meanwhile)."""
    deadline = time.monotonic() + ms / 1000
    while time.monotonic() < deadline:
        arriving = [s for s in sessions if receives(listener, s)]
        assert arriving == [], f"{listener.name} receives {arriving}: {listener.state()['voice']}"
        listener.page.wait_for_timeout(200)


def test_nobody_outside_the_booth_hears_in_and_nobody_walks_in(
    three: dict[str, Visitor],
) -> None:
    advisor, ada, bo = three["advisor"], three["ada"], three["bo"]
    for name, person in three.items():
        into_consulting(person)
        voice_on(person)
        stand(person, GATHER[name])
    ids = {name: session_of(person) for name, person in three.items()}

    # in the room, before: Bo hears Ada (the test can tell hearing from not hearing)
    hears(bo, ids["ada"], TONES["ada"])

    # the advisor opens the desk, Ada queues, the advisor calls her in
    for person in (advisor, ada):
        open_panel(person)
    advisor.page.select_option("#consult-corner", CORNER)
    press(advisor.page.locator("#consult-open"))
    advisor.wait_for("s.consulting.desk && s.consulting.desk.corner === arg", CORNER)
    ada.wait_for("s.consulting.desks.some((d) => d.session === arg)", ids["advisor"])
    ada.page.fill("#consult-topic", "Förderung für unsere Wärmepumpe")
    press(ada.page.locator(f'#consult-desks li[data-session="{ids["advisor"]}"] .consult-queue'))
    advisor.wait_for("s.consulting.desk.queue.length === 1")
    press(advisor.page.locator("#consult-call-next"))
    ada.wait_for(
        "s.consulting.booth && s.instance === s.consulting.booth.instance", timeout_ms=WAIT_MS
    )
    booth = ada.state()["consulting"]["booth"]
    assert booth["room"] == "consulting" and booth["instance"] != 0
    advisor.wait_for("s.instance === arg", booth["instance"], timeout_ms=WAIT_MS)

    # in the booth the two hear each other, each with their own voice
    hears(advisor, ids["ada"], TONES["ada"], timeout_s=40)
    hears(ada, ids["advisor"], TONES["advisor"], timeout_s=40)

    # Bo stands where Ada sits, in the room's own instance: right outside the booth
    seat = ada.state()["position"]
    stand(bo, (seat["x"], seat["z"]), within=1.0)
    assert bo.state()["room"] == "consulting" and bo.state()["instance"] == 0
    bo.wait_for(
        "!s.voice.streams.some((x) => x.session === arg[0] || x.session === arg[1])",
        [ids["ada"], ids["advisor"]],
        timeout_ms=WAIT_MS,
    )
    nothing_of(bo, [ids["ada"], ids["advisor"]])
    for inside in (advisor, ada):
        assert not receives(inside, ids["bo"]), f"{inside.name} receives Bo in the booth"
    # and all the while the two inside go on hearing each other
    hears(ada, ids["advisor"], TONES["advisor"])

    # Bo cannot walk in while it is taken: refused, he stays outside
    bo.page.evaluate("([room, n]) => window.hubtwin.go(room, n)", ["consulting", booth["instance"]])
    bo.page.locator("#banner-text", has_text="vertrauliches Beratungsgespräch").wait_for()
    nothing_of(bo, [ids["ada"], ids["advisor"]], ms=1500)
    assert (bo.state()["room"], bo.state()["instance"]) == ("consulting", 0)

    # the conversation ends: back in the room, Bo hears Ada again
    press(ada.page.locator("#consult-end"))
    ada.wait_for("s.consulting.booth === null && s.instance === 0", timeout_ms=WAIT_MS)
    advisor.wait_for("s.instance === 0", timeout_ms=WAIT_MS)
    hears(bo, ids["ada"], TONES["ada"], timeout_s=40)
