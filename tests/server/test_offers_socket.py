"""The hub's offers through a real ``hubtwin serve`` (HTTP, SQLite): filtering, signing up
with consent (and refused without), the seat limit under many sign-ups at once, the CSV
field by field over HTTP and from ``hubtwin offers signups``, editing and exporting for staff
only, bad input as 4xx with a message, and a person's sign-ups in their export and gone
after they erase their data.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scale"))
from hub_processes import HubProcess, small_site, token

from server.base.identity import Role
from world.site import DEFAULT_SITE, PROJECT_ROOT

ZONE = ZoneInfo("Europe/Berlin")
HUBTWIN = str(PROJECT_ROOT / ".venv" / "bin" / "hubtwin")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder, world = small_site(tmp_path_factory.mktemp("offers-site"))
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


def ids(answer: dict[str, Any]) -> list[str]:
    return [offer["id"] for offer in answer["offers"]]


def signup(name: str) -> dict[str, Any]:
    return {"name": name, "contact": f"{name.lower()}@example.org", "consent": True}


async def test_filters_by_topic_audience_place_and_date(hub: HubProcess) -> None:
    status, everything = await call(hub, "GET", "/api/offers")
    assert status == 200 and len(everything["offers"]) == 8
    assert everything["vocabulary"]["topics"]["klimabilanz"]["de"].startswith("Klimabilanz")
    _, topic = await call(hub, "GET", "/api/offers?topic=foerderung")
    assert ids(topic) == ["foerderlotse", "kompetenzregion-gruene-produktion"]
    _, audience = await call(hub, "GET", "/api/offers?audience=betriebsraete")
    assert ids(audience) == ["betriebsrat-transformation", "handlungsplan-coaching"]
    _, online = await call(hub, "GET", "/api/offers?place=online")
    assert "betriebsrat-transformation" not in ids(online)  # in person only
    assert {"berichterstattung-einstieg", "klimabilanz-grundlagen"} <= set(ids(online))
    _, in_person = await call(hub, "GET", "/api/offers?place=in_person")
    assert "berichterstattung-einstieg" not in ids(in_person)  # online only
    _, february = await call(hub, "GET", "/api/offers?from=2027-02-10&to=2027-02-17")
    assert ids(february) == [
        "klimabilanz-grundlagen",  # runs until the 23rd
        "betriebsrat-transformation",  # on the 17th, the last day asked for
        "foerderlotse",  # ongoing
        "kompetenzregion-gruene-produktion",
    ]
    _, both = await call(hub, "GET", "/api/offers?topic=vernetzung&place=in_person")
    assert ids(both) == [
        "austauschreihe-maerz",
        "fachkraefte-von-morgen",
        "kompetenzregion-gruene-produktion",
    ]
    for query, word in (
        ("topic=nix", "topic"),
        ("place=mars", "place"),
        ("from=morgen", "from"),
        ("audience=x", "audience"),
    ):
        status, refused = await call(hub, "GET", f"/api/offers?{query}")
        assert status == 400 and word in refused["error"]["message"], (query, refused)


async def test_sign_up_needs_a_session_and_consent(hub: HubProcess) -> None:
    ada = token("ada")
    path = "/api/offers/berichterstattung-einstieg/signup"
    status, _ = await call(hub, "POST", path, None, signup("Ada"))
    assert status == 401
    status, refused = await call(hub, "POST", path, ada, {**signup("Ada"), "consent": False})
    assert status == 400 and "consent" in refused["error"]["message"]
    status, refused = await call(hub, "POST", path, ada, {**signup("Ada"), "contact": ""})
    assert status == 400 and "contact" in refused["error"]["message"]
    status, refused = await call(hub, "POST", "/api/offers/nix/signup", ada, signup("Ada"))
    assert status == 404 and refused["error"]["code"] == "offer_unknown"
    status, refused = await call(
        hub, "POST", "/api/offers/kompetenzregion-gruene-produktion/signup", ada, signup("Ada")
    )
    assert status == 400 and "link" in refused["error"]["message"]
    # nothing kept of the refused tries
    assert (await call(hub, "GET", "/api/me/export", ada))[1]["offer_signups"] == []
    status, done = await call(hub, "POST", path, ada, signup("Ada"))
    assert status == 201 and done["offer"]["signed_up"] and done["offer"]["taken"] == 1
    status, again = await call(hub, "POST", path, ada, signup("Ada"))
    assert status == 200 and again["offer"]["taken"] == 1
    _, listed = await call(hub, "GET", "/api/offers?topic=berichterstattung", ada)
    assert listed["offers"][0]["signed_up"] is True
    _, other = await call(hub, "GET", "/api/offers?topic=berichterstattung", token("bob"))
    assert other["offers"][0]["signed_up"] is False
    status, _ = await call(hub, "DELETE", path, ada)
    assert status == 200
    assert (await call(hub, "DELETE", path, ada))[0] == 404


async def test_seats_and_waiting_list_hold_under_many_sign_ups_at_once(hub: HubProcess) -> None:
    offer_path = "/api/offers/handlungsplan-coaching"  # six seats, six on the waiting list
    path = f"{offer_path}/signup"
    people = [f"P{n:02d}" for n in range(30)]
    answers = await asyncio.gather(
        *(call(hub, "POST", path, token(name.lower()), signup(name)) for name in people)
    )
    statuses = [status for status, _ in answers]
    assert statuses.count(201) == 12 and statuses.count(409) == 18, statuses
    full = next(a for s, a in answers if s == 409)
    assert full["error"]["code"] == "offer_full"
    assert "Warteliste" in full["error"]["message"]
    _, offer = await call(hub, "GET", offer_path)
    assert (offer["seats"], offer["waiting_list"], offer["taken"], offer["waiting"]) == (6, 6, 6, 6)
    standings = {}
    for name, (status, _) in zip(people, answers, strict=True):
        if status == 201:
            standings[name] = (await call(hub, "GET", offer_path, token(name.lower())))[1][
                "standing"
            ]
    assert sorted(s["status"] for s in standings.values()).count("seat") == 6
    places = sorted(s["place"] for s in standings.values() if s["status"] == "waiting")
    assert places == [1, 2, 3, 4, 5, 6]
    # one with a seat takes it back: the first on the waiting list gets it, the rest move up
    first_waiting = next(n for n, s in standings.items() if s == {"status": "waiting", "place": 1})
    second = next(n for n, s in standings.items() if s == {"status": "waiting", "place": 2})
    seated = next(n for n, s in standings.items() if s["status"] == "seat")
    assert (await call(hub, "DELETE", path, token(seated.lower())))[0] == 200
    _, moved = await call(hub, "GET", offer_path, token(first_waiting.lower()))
    assert moved["standing"] == {"status": "seat"} and (moved["taken"], moved["waiting"]) == (6, 5)
    _, behind = await call(hub, "GET", offer_path, token(second.lower()))
    assert behind["standing"] == {"status": "waiting", "place": 1}
    # exactly one more place on the waiting list
    late = await asyncio.gather(
        *(call(hub, "POST", path, token(f"late{n}"), signup(f"Late{n}")) for n in range(5))
    )
    assert sorted(s for s, _ in late) == [201, 409, 409, 409, 409]
    joined = next(a for s, a in late if s == 201)
    assert joined["offer"]["standing"] == {"status": "waiting", "place": 6}


async def test_csv_field_by_field_over_http_and_the_command_line(
    hub: HubProcess, site: tuple[Path, Path]
) -> None:
    path = "/api/offers/klimabilanz-grundlagen"
    people = [("ada", "Ada Lovelace", "ada@example.org"), ("bob", "=Bob", "+49 231 1234567")]
    before = datetime.now(ZONE).replace(microsecond=0)
    for who, name, contact in people:
        body = {"name": name, "contact": contact, "consent": True}
        assert (await call(hub, "POST", f"{path}/signup", token(who), body))[0] == 201
    after = datetime.now(ZONE)
    assert (await call(hub, "GET", f"{path}/signups.csv", token("ada")))[0] == 403
    assert (await call(hub, "GET", f"{path}/signups.csv"))[0] == 401
    status, text = await call(hub, "GET", f"{path}/signups.csv", token("sven", Role.STAFF))
    assert status == 200
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == [
        "Nr / No",
        "Angebot / Offer",
        "Status",
        "Name",
        "Kontakt / Contact",
        "Angemeldet und eingewilligt (Europe/Berlin) / Signed up and consented (Europe/Berlin)",
    ]
    assert [row[:5] for row in rows[1:]] == [
        ["1", "klimabilanz-grundlagen", "Platz / seat", "Ada Lovelace", "ada@example.org"],
        ["2", "klimabilanz-grundlagen", "Platz / seat", "'=Bob", "'+49 231 1234567"],
    ]
    for row in rows[1:]:
        at = datetime.strptime(row[5], "%Y-%m-%d %H:%M:%S").replace(tzinfo=ZONE)
        assert before <= at <= after
    status, everything = await call(
        hub, "GET", "/api/offers/signups.csv", token("sven", Role.STAFF)
    )
    assert status == 200 and list(csv.reader(io.StringIO(everything)))[1:] == rows[1:]
    done = subprocess.run(
        [
            HUBTWIN,
            "offers",
            "--site",
            str(site[0]),
            "--data-dir",
            str(hub.folder / "data"),
            "signups",
            "klimabilanz-grundlagen",
        ],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert list(csv.reader(io.StringIO(done.stdout))) == rows
    unknown = subprocess.run(
        [
            HUBTWIN,
            "offers",
            "--site",
            str(site[0]),
            "--data-dir",
            str(hub.folder / "data"),
            "signups",
            "nix",
        ],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        timeout=60,
    )
    assert unknown.returncode == 4 and unknown.stderr.count("\n") == 1, unknown.stderr
    assert "no offer 'nix'" in unknown.stderr


async def test_staff_edit_add_and_remove_others_may_not(hub: HubProcess) -> None:
    staff, ada = token("sven", Role.STAFF), token("ada")
    _, offer = await call(hub, "GET", "/api/offers/austauschreihe-maerz")
    changed = {**offer, "seats": 2, "starts": "2027-03-18T17:00", "ends": "2027-03-18T19:00"}
    assert (await call(hub, "PUT", "/api/offers/austauschreihe-maerz", ada, changed))[0] == 403
    assert (await call(hub, "PUT", "/api/offers/austauschreihe-maerz", None, changed))[0] == 401
    status, saved = await call(hub, "PUT", "/api/offers/austauschreihe-maerz", staff, changed)
    assert status == 200 and saved["starts"] == "2027-03-18T17:00" and saved["seats"] == 2
    _, again = await call(hub, "GET", "/api/offers/austauschreihe-maerz")
    assert (again["starts"], again["seats"], again["taken"]) == ("2027-03-18T17:00", 2, 0)
    status, refused = await call(
        hub, "PUT", "/api/offers/austauschreihe-maerz", staff, {**changed, "place": "mond"}
    )
    assert status == 400 and "place" in refused["error"]["message"]
    status, refused = await call(
        hub, "PUT", "/api/offers/austauschreihe-maerz", staff, {**changed, "topics": ["x"]}
    )
    assert status == 400 and "topics 'x'" in refused["error"]["message"]
    new = {**changed, "id": "sprechstunde", "title": {"de": "Sprechstunde", "en": "Office hour"}}
    assert (await call(hub, "PUT", "/api/offers/sprechstunde", staff, new))[0] == 200
    assert "sprechstunde" in ids((await call(hub, "GET", "/api/offers"))[1])
    assert (await call(hub, "DELETE", "/api/offers/sprechstunde", ada))[0] == 403
    assert (await call(hub, "DELETE", "/api/offers/sprechstunde", staff))[0] == 200
    assert (await call(hub, "GET", "/api/offers/sprechstunde"))[0] == 404
    assert "sprechstunde" not in ids((await call(hub, "GET", "/api/offers"))[1])


async def test_sign_ups_are_in_the_export_and_gone_after_erasure(hub: HubProcess) -> None:
    ina, bob = token("ina"), token("bob")
    path = "/api/offers/fachkraefte-von-morgen/signup"
    assert (await call(hub, "POST", path, ina, signup("Ina")))[0] == 201
    assert (await call(hub, "POST", path, bob, signup("Bob")))[0] == 201
    status, exported = await call(hub, "GET", "/api/me/export", ina)
    assert status == 200
    mine = exported["offer_signups"]
    assert [(s["offer_id"], s["name"], s["contact"]) for s in mine] == [
        ("fachkraefte-von-morgen", "Ina", "ina@example.org")
    ]
    assert (await call(hub, "DELETE", "/api/me", ina))[0] == 200
    _, text = await call(
        hub, "GET", "/api/offers/fachkraefte-von-morgen/signups.csv", token("sven", Role.STAFF)
    )
    assert [row[3] for row in list(csv.reader(io.StringIO(text)))[1:]] == ["Bob"]
    _, offer = await call(hub, "GET", "/api/offers/fachkraefte-von-morgen")
    assert offer["taken"] == 1
