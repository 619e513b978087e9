"""People to meet across two real ``hubtwin serve --redis`` processes and a real
redis-server: Ada is served by one process, Bob and Eve by the other. Each sees the other
in "who is here" (never Eve, whose profile is hidden); Ada asks Bob through her process, Bob
is told on his socket, answers through his, and Ada downloads his vCard through hers; Eve
gets nothing of it; an erasure removes the person's exchanges from Redis."""

from __future__ import annotations

import asyncio
import json
import shutil
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis
from hub_processes import HubProcess, Visitor, small_site, start_processes, token

from world.site import DEFAULT_SITE

pytestmark = pytest.mark.scale

#: how long a change may take to reach the other process (a maintenance round is 1 s)
SPREAD_S = 10.0

ADA, BOB, EVE, OLAF = token("ada"), token("bob"), token("eve"), token("olaf")
ADA_PROFILE = {"visible": True, "industry": "Handwerk", "interests": ["klimabilanz"]}
BOB_PROFILE = {
    "visible": True,
    "organisation": "Energieagentur",
    "role": "trainer",
    "helps_with": ["klimabilanz"],
}
EVE_PROFILE = {"visible": False, "organisation": "Geheimfirma", "helps_with": ["klimabilanz"]}
ADA_CARD = {"name": "Ada Muster", "email": "ada@example.org"}
BOB_CARD = {"name": "Bob Berater", "organisation": "Energieagentur", "phone": "+49 231 1"}


@pytest.fixture(scope="module")
def people_site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder, world = small_site(tmp_path_factory.mktemp("people-cluster-site"))
    shutil.copy(DEFAULT_SITE / "offers.toml", folder / "offers.toml")
    return folder, world


@pytest.fixture
def hubs(
    redis_url: str, people_site: tuple[Path, Path], tmp_path: Path
) -> Iterator[list[HubProcess]]:
    started = start_processes(2, *people_site, tmp_path, redis_url)
    yield started
    for hub in started:
        hub.stop()


def http(hub: HubProcess, method: str, path: str, who: str, body: Any = None) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(hub.http_url.rstrip("/") + path, data=data, method=method)
    request.add_header("Authorization", f"Bearer {who}")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            raw, status, headers = response.read(), response.status, response.headers
    except urllib.error.HTTPError as exc:
        raw, status, headers = exc.read(), exc.code, exc.headers
    text = raw.decode("utf-8")
    return status, json.loads(text) if headers.get_content_type() == "application/json" else text


async def call(
    hub: HubProcess, method: str, path: str, who: str, body: Any = None
) -> tuple[int, Any]:
    return await asyncio.to_thread(http, hub, method, path, who, body)


def names(answer: dict[str, Any], key: str = "people") -> list[str]:
    return [person["name"] for person in answer[key]]


async def seen_by(hub: HubProcess, who: str, expected: list[str]) -> dict[str, Any]:
    """GET /api/people through ``hub`` until it lists ``expected`` (the other process's
    people arrive within a maintenance round or two)."""
    deadline = time.monotonic() + SPREAD_S
    while True:
        status, seen = await call(hub, "GET", "/api/people", who)
        assert status == 200, seen
        if names(seen) == expected or time.monotonic() > deadline:
            assert names(seen) == expected
            return seen
        await asyncio.sleep(0.2)


@pytest.fixture
async def visitors(hubs: list[HubProcess]) -> AsyncIterator[list[Visitor]]:
    """Ada in the hall on the first process, Bob and Eve in the entrance on the second, each
    with a profile saved (Eve's hidden); Olaf has a visible profile but is not in the hub."""
    for hub, who, profile in (
        (hubs[0], ADA, ADA_PROFILE),
        (hubs[1], BOB, BOB_PROFILE),
        (hubs[1], EVE, EVE_PROFILE),
        (hubs[0], OLAF, BOB_PROFILE),
    ):
        assert (await call(hub, "PUT", "/api/me/profile", who, profile))[0] == 200
    ada, bob, eve = Visitor("ada", token=ADA), Visitor("bob", token=BOB), Visitor("eve", token=EVE)
    try:
        await ada.enter(hubs[0].ws_url, room="hall")
        await bob.enter(hubs[1].ws_url, room="entrance")
        await eve.enter(hubs[1].ws_url, room="entrance")
        assert (ada.url, bob.url, eve.url) == (hubs[0].ws_url, hubs[1].ws_url, hubs[1].ws_url)
        yield [ada, bob, eve]
    finally:
        for person in (ada, bob, eve):
            await person.close()


async def test_who_is_here_lists_the_people_of_every_process(
    hubs: list[HubProcess], visitors: list[Visitor]
) -> None:
    ada, bob, _ = visitors
    seen = await seen_by(hubs[0], ADA, ["bob"])  # not Eve (hidden), Olaf (away), Ada
    found = seen["people"][0]
    assert (found["session"], found["room"], found["instance"]) == (bob.session, "entrance", 0)
    assert found["profile"]["organisation"] == "Energieagentur"
    from_bob = await seen_by(hubs[1], BOB, ["ada"])
    assert (from_bob["people"][0]["session"], from_bob["people"][0]["room"]) == (
        ada.session,
        "hall",
    )
    await seen_by(hubs[1], EVE, ["ada", "bob"])
    _, suggested = await call(hubs[0], "GET", "/api/people/suggestions", ADA)
    assert names(suggested, "suggestions") == ["bob"]
    assert suggested["suggestions"][0]["helps_me"] == ["klimabilanz"]
    for hub in hubs:
        for path in ("/api/people", "/api/people/suggestions"):
            assert "Geheimfirma" not in json.dumps((await call(hub, "GET", path, ADA))[1])
    # Bob leaves: he is gone from Ada's list through her process too
    await bob.send("bye")
    await bob.closed()
    await seen_by(hubs[0], ADA, [])


async def test_a_contact_exchange_between_two_processes(
    hubs: list[HubProcess], visitors: list[Visitor]
) -> None:
    ada_ws, bob_ws, eve_ws = visitors
    await seen_by(hubs[0], ADA, ["bob"])
    await seen_by(hubs[1], BOB, ["ada"])
    status, refused = await call(
        hubs[0], "POST", "/api/contacts", ADA, {"to": "id-eve", "card": ADA_CARD}
    )
    assert status == 404 and refused["error"]["code"] == "person_unknown"  # hidden profile
    status, asked = await call(
        hubs[0], "POST", "/api/contacts", ADA, {"to": "id-bob", "card": ADA_CARD}
    )
    assert status == 201 and asked["exchange"]["state"] == "asked", asked
    rid = asked["exchange"]["id"]
    assert asked["exchange"]["other_name"] == "bob"
    # a second request between the two, through the other process, is refused
    status, again = await call(
        hubs[1], "POST", "/api/contacts", BOB, {"to": "id-ada", "card": BOB_CARD}
    )
    assert status == 409 and again["error"]["code"] == "exchange_refused"

    told = await bob_ws.next(("contact_request",), exchange=rid)
    assert told == {"t": "contact_request", "exchange": rid, "state": "asked", "name": "ada"}
    _, incoming = await call(hubs[1], "GET", "/api/contacts", BOB)
    rows = [(ex["id"], ex["state"], ex["incoming"], ex["card"]) for ex in incoming["exchanges"]]
    assert rows == [(rid, "asked", True, None)]
    assert incoming["exchanges"][0]["other_name"] == "ada"
    assert "ada@example.org" not in json.dumps(incoming)
    for hub in hubs:  # no card before the answer, for anyone
        for who in (ADA, BOB, EVE):
            assert (await call(hub, "GET", f"/api/contacts/{rid}/card.vcf", who))[0] == 404
    status, refused = await call(
        hubs[0], "POST", f"/api/contacts/{rid}/answer", ADA, {"accept": True, "card": ADA_CARD}
    )
    assert status == 409  # only the person asked answers

    status, answered = await call(
        hubs[1], "POST", f"/api/contacts/{rid}/answer", BOB, {"accept": True, "card": BOB_CARD}
    )
    assert status == 200 and answered["exchange"]["card"]["email"] == "ada@example.org"
    status, twice = await call(
        hubs[0], "POST", f"/api/contacts/{rid}/answer", BOB, {"accept": False}
    )
    assert status == 409 and "already answered" in twice["error"]["message"]
    told = await ada_ws.next(("contact_request",), exchange=rid)
    assert told == {"t": "contact_request", "exchange": rid, "state": "accepted", "name": "bob"}

    status, card = await call(hubs[0], "GET", f"/api/contacts/{rid}/card.vcf", ADA)
    assert status == 200 and "FN:Bob Berater" in card and "TEL;VALUE=text:+49 231 1" in card
    status, card = await call(hubs[1], "GET", f"/api/contacts/{rid}/card.vcf", BOB)
    assert status == 200 and "EMAIL:ada@example.org" in card
    for hub in hubs:
        assert (await call(hub, "GET", f"/api/contacts/{rid}/card.vcf", EVE))[0] == 404
        _, of_eve = await call(hub, "GET", "/api/contacts", EVE)
        assert of_eve["exchanges"] == []
    # Eve, on Bob's process, was told nothing of it
    assert not [m for m in eve_ws.messages if m.get("t") == "contact_request"]


async def test_an_erasure_removes_the_person_s_exchanges(
    hubs: list[HubProcess], visitors: list[Visitor], redis_url: str
) -> None:
    await seen_by(hubs[0], ADA, ["bob"])
    status, asked = await call(
        hubs[0], "POST", "/api/contacts", ADA, {"to": "id-bob", "card": ADA_CARD}
    )
    assert status == 201, asked
    client = aioredis.from_url(redis_url, decode_responses=True)
    try:
        kept = [key async for key in client.scan_iter(match="*contacts*")]
        assert kept, "the exchange is kept in Redis"
        _, listed = await call(hubs[0], "GET", "/api/contacts", ADA)
        assert len(listed["exchanges"]) == 1
        assert (await call(hubs[1], "DELETE", "/api/me", BOB))[0] == 200
        _, listed = await call(hubs[0], "GET", "/api/contacts", ADA)
        assert listed["exchanges"] == []
        assert [key async for key in client.scan_iter(match="*contacts*")] == []
    finally:
        await client.aclose()


async def test_going_to_someone_on_the_other_process(
    hubs: list[HubProcess], visitors: list[Visitor]
) -> None:
    ada, bob, _ = visitors
    found = (await seen_by(hubs[0], ADA, ["bob"]))["people"][0]
    session, resume = ada.session, ada.resume
    # the web client's "go to": go with the room and instance who is here names
    await ada.send("go", room=found["room"], instance=found["instance"])
    redirect = await ada.next(("redirect",))
    assert (redirect["url"], redirect["room"], redirect["instance"]) == (
        hubs[1].ws_url,
        "entrance",
        0,
    )
    await ada.closed()
    joined = await ada.enter(
        redirect["url"], room=redirect["room"], instance=redirect["instance"], resume=resume
    )
    assert ada.welcome["resumed"] is True and ada.session == session
    assert (joined["room"], joined["instance"]) == ("entrance", 0)
    assert bob.session in {p["session"] for p in joined["presence"]}
    # and she is listed where she is now, through either process
    for hub in hubs:
        deadline = time.monotonic() + SPREAD_S
        while True:
            _, seen = await call(hub, "GET", "/api/people", BOB)
            rooms = [(p["name"], p["room"]) for p in seen["people"]]
            if rooms == [("ada", "entrance")] or time.monotonic() > deadline:
                assert rooms == [("ada", "entrance")]
                break
            await asyncio.sleep(0.2)
