"""People to meet through a real ``hubtwin serve`` (HTTP and WebSocket, SQLite): a profile
is off until its owner shows it, "who is here" lists only people in the hub with a visible
profile (never a hidden one, never oneself) and filters them, suggestions come from the
server, a contact card is given only after the asked person accepts (and never to anyone
else), and the profile is in the person's export and gone after their erasure.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import sys
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scale"))
from hub_processes import HubProcess, Visitor, small_site, token

from world.site import DEFAULT_SITE


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder, world = small_site(tmp_path_factory.mktemp("people-site"))
    shutil.copy(DEFAULT_SITE / "offers.toml", folder / "offers.toml")
    return folder, world


@pytest.fixture
def hub(site: tuple[Path, Path], tmp_path: Path) -> Iterator[HubProcess]:
    process = HubProcess(*site, tmp_path, redis_url="")
    process.start()
    process.wait_ready()
    yield process
    process.stop()


def http(
    hub: HubProcess, method: str, path: str, who: str | None, body: Any = None
) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(hub.http_url.rstrip("/") + path, data=data, method=method)
    if who is not None:
        request.add_header("Authorization", f"Bearer {who}")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            raw, status, kind = response.read(), response.status, response.headers
    except urllib.error.HTTPError as exc:
        raw, status, kind = exc.read(), exc.code, exc.headers
    text = raw.decode("utf-8")
    return status, json.loads(text) if kind.get_content_type() == "application/json" else text


async def call(
    hub: HubProcess, method: str, path: str, who: str | None = None, body: Any = None
) -> tuple[int, Any]:
    return await asyncio.to_thread(http, hub, method, path, who, body)


ADA, BOB, EVE = token("ada"), token("bob"), token("eve")
ADA_PROFILE = {
    "visible": True,
    "industry": "Handwerk",
    "role": "owner",
    "region": "Dortmund",
    "interests": ["klimabilanz", "foerderung"],
    "languages": ["de"],
}
BOB_PROFILE = {
    "visible": True,
    "organisation": "Energieagentur",
    "industry": "Beratung",
    "role": "trainer",
    "helps_with": ["klimabilanz"],
    "languages": ["de", "en"],
}
EVE_PROFILE = {
    "visible": False,
    "organisation": "Geheimfirma",
    "industry": "Beratung",
    "role": "trainer",
    "helps_with": ["klimabilanz", "foerderung"],
}
ADA_CARD = {"name": "Ada Muster", "email": "ada@example.org"}
BOB_CARD = {"name": "Bob Berater; Energie", "organisation": "Energieagentur", "phone": "+49 231 1"}


@pytest.fixture
async def visitors(hub: HubProcess) -> AsyncIterator[list[Visitor]]:
    people = [Visitor("Ada", token=ADA), Visitor("Bob", token=BOB), Visitor("Eve", token=EVE)]
    try:
        for person in people:
            await person.enter(hub.ws_url, room="entrance")
        yield people
    finally:
        for person in people:
            await person.close()


def names(answer: dict[str, Any], key: str = "people") -> list[str]:
    return [person["name"] for person in answer[key]]


async def test_a_profile_is_off_by_default_and_checked(hub: HubProcess) -> None:
    assert (await call(hub, "GET", "/api/me/profile"))[0] == 401
    status, mine = await call(hub, "GET", "/api/me/profile", ADA)
    assert status == 200 and mine["profile"]["visible"] is False
    assert "klimabilanz" in mine["vocabulary"]["topics"]
    assert "works_council" in mine["vocabulary"]["roles"]
    status, refused = await call(hub, "PUT", "/api/me/profile", ADA, {"interests": ["nix"]})
    assert status == 400 and "unknown topic 'nix'" in refused["error"]["message"]
    status, refused = await call(hub, "PUT", "/api/me/profile", ADA, {"role": "king"})
    assert status == 400 and refused["error"]["code"] == "profile_invalid"
    assert (await call(hub, "PUT", "/api/me/profile", ADA, ADA_PROFILE))[0] == 200
    status, mine = await call(hub, "GET", "/api/me/profile", ADA)
    assert mine["profile"]["interests"] == ["klimabilanz", "foerderung"]


async def test_who_is_here_shows_only_visible_profiles_of_people_in_the_hub(
    hub: HubProcess, visitors: list[Visitor]
) -> None:
    for who, profile in ((ADA, ADA_PROFILE), (BOB, BOB_PROFILE), (EVE, EVE_PROFILE)):
        assert (await call(hub, "PUT", "/api/me/profile", who, profile))[0] == 200
    assert (await call(hub, "PUT", "/api/me/profile", token("olaf"), BOB_PROFILE))[0] == 200
    assert (await call(hub, "GET", "/api/people"))[0] == 401
    status, seen = await call(hub, "GET", "/api/people", ADA)
    assert status == 200 and names(seen) == ["bob"]  # not Eve (hidden), Olaf (away), Ada
    bob = seen["people"][0]
    assert bob["session"] == visitors[1].session and bob["room"] == "entrance"
    assert bob["profile"]["organisation"] == "Energieagentur"
    assert "visible" not in bob["profile"]
    _, from_eve = await call(hub, "GET", "/api/people", EVE)
    assert names(from_eve) == ["ada", "bob"]
    for query, expected in (
        ("topic=klimabilanz", ["bob"]),
        ("topic=foerderung", []),
        ("role=trainer", ["bob"]),
        ("role=owner", []),
        ("industry=berat", ["bob"]),
        ("industry=Handel", []),
    ):
        assert names((await call(hub, "GET", f"/api/people?{query}", ADA))[1]) == expected
    for query in ("topic=nix", "role=king"):
        status, refused = await call(hub, "GET", f"/api/people?{query}", ADA)
        assert status == 400 and refused["error"]["code"] == "bad_filter"
    _, suggested = await call(hub, "GET", "/api/people/suggestions", ADA)
    assert names(suggested, "suggestions") == ["bob"]
    assert suggested["suggestions"][0]["helps_me"] == ["klimabilanz"]
    for path in ("/api/people", "/api/people/suggestions", "/api/people?role=trainer"):
        for who in (ADA, BOB):
            assert "Geheimfirma" not in json.dumps((await call(hub, "GET", path, who))[1])
    assert (await call(hub, "PUT", "/api/me/profile", BOB, {**BOB_PROFILE, "visible": False}))[
        0
    ] == 200
    assert names((await call(hub, "GET", "/api/people", ADA))[1]) == []
    assert names((await call(hub, "GET", "/api/people/suggestions", ADA))[1], "suggestions") == []


async def test_a_contact_is_given_only_after_consent(
    hub: HubProcess, visitors: list[Visitor]
) -> None:
    for who, profile in ((ADA, ADA_PROFILE), (BOB, BOB_PROFILE), (EVE, EVE_PROFILE)):
        await call(hub, "PUT", "/api/me/profile", who, profile)
    status, refused = await call(
        hub, "POST", "/api/contacts", ADA, {"to": "id-eve", "card": ADA_CARD}
    )
    assert status == 404 and refused["error"]["code"] == "person_unknown"  # hidden profile
    status, refused = await call(hub, "POST", "/api/contacts", ADA, {"to": "id-bob", "card": {}})
    assert status == 400 and refused["error"]["code"] == "card_invalid"
    status, asked = await call(
        hub, "POST", "/api/contacts", ADA, {"to": "id-bob", "card": ADA_CARD}
    )
    assert status == 201 and asked["exchange"]["state"] == "asked"
    rid = asked["exchange"]["id"]
    ada_ws, bob_ws, eve_ws = visitors
    # Bob learns of it at once over the WebSocket, without the card
    told = await bob_ws.next(("contact_request",), exchange=rid)
    assert told == {"t": "contact_request", "exchange": rid, "state": "asked", "name": "ada"}
    _, incoming = await call(hub, "GET", "/api/contacts", BOB)
    assert incoming["exchanges"] == [
        {
            "id": rid,
            "from_id": "id-ada",
            "to_id": "id-bob",
            "state": "asked",
            "card": None,
            "other_name": "ada",
            "incoming": True,
        }
    ]
    assert "ada@example.org" not in json.dumps(incoming)
    for who in (ADA, BOB, EVE):
        assert (await call(hub, "GET", f"/api/contacts/{rid}/card.vcf", who))[0] == 404
    status, refused = await call(
        hub, "POST", f"/api/contacts/{rid}/answer", ADA, {"accept": True, "card": ADA_CARD}
    )
    assert status == 409 and refused["error"]["code"] == "exchange_refused"
    status, refused = await call(
        hub, "POST", f"/api/contacts/{rid}/answer", EVE, {"accept": True, "card": ADA_CARD}
    )
    assert status == 409
    status, accepted = await call(
        hub, "POST", f"/api/contacts/{rid}/answer", BOB, {"accept": True, "card": BOB_CARD}
    )
    assert status == 200 and accepted["exchange"]["card"]["email"] == "ada@example.org"
    told = await ada_ws.next(("contact_request",), exchange=rid)
    assert (told["state"], told["name"]) == ("accepted", "bob")
    status, card = await call(hub, "GET", f"/api/contacts/{rid}/card.vcf", ADA)
    assert status == 200
    assert "FN:Bob Berater\\; Energie\r\n" in card and "TEL;VALUE=text:+49 231 1\r\n" in card
    status, card = await call(hub, "GET", f"/api/contacts/{rid}/card.vcf", BOB)
    assert status == 200 and "EMAIL:ada@example.org\r\n" in card
    assert (await call(hub, "GET", f"/api/contacts/{rid}/card.vcf", EVE))[0] == 404
    assert (await call(hub, "GET", "/api/contacts", EVE))[1]["exchanges"] == []

    _, again = await call(hub, "POST", "/api/contacts", BOB, {"to": "id-ada", "card": BOB_CARD})
    rid2 = again["exchange"]["id"]
    status, declined = await call(
        hub, "POST", f"/api/contacts/{rid2}/answer", ADA, {"accept": False}
    )
    assert status == 200 and declined["exchange"]["state"] == "declined"
    told = await bob_ws.next(("contact_request",), exchange=rid2, state="declined")
    assert told["name"] == "ada"
    assert await ada_ws.next(("contact_request",), exchange=rid2, state="asked")
    # nobody else heard anything of it
    assert [m for m in eve_ws.messages if m.get("t") == "contact_request"] == []
    assert declined["exchange"]["card"] is None
    for who in (ADA, BOB):
        assert (await call(hub, "GET", f"/api/contacts/{rid2}/card.vcf", who))[0] == 404


async def test_the_profile_is_exported_and_gone_after_erasure(
    hub: HubProcess, visitors: list[Visitor]
) -> None:
    await call(hub, "PUT", "/api/me/profile", ADA, ADA_PROFILE)
    await call(hub, "PUT", "/api/me/profile", BOB, BOB_PROFILE)
    await call(hub, "POST", "/api/contacts", BOB, {"to": "id-ada", "card": BOB_CARD})
    status, exported = await call(hub, "GET", "/api/me/export", ADA)
    assert status == 200 and exported["profile"]["industry"] == "Handwerk"
    assert (await call(hub, "DELETE", "/api/me", ADA))[0] == 200
    assert names((await call(hub, "GET", "/api/people", BOB))[1]) == []
    assert (await call(hub, "GET", "/api/contacts", BOB))[1]["exchanges"] == []
    status, _ = await call(hub, "GET", "/api/me/profile", ADA)
    assert status == 401
    assert (await call(hub, "GET", "/api/me/export", BOB))[1]["profile"]["role"] == "trainer"
