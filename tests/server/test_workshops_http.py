"""The workshops' REST API over real sockets, with the realtime core behind it: who may
create and change workshops and series, what the public sees, attendance as a summary and
as CSV, the audit log and bans (a ban made over REST disconnects at once, a banned person
gets no token, and bans survive reopening the store)."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import msgpack
import pytest
from aiohttp.test_utils import TestClient, TestServer
from realtime_harness import Harness, hello, person
from realtime_world import box_world

from server.base.identity import Identity, Role
from server.base.settings import Settings
from server.base.tokens import TokenSigner
from server.core.hub import HubCore
from server.domain.station_progress import ProgressEvent, ProgressRecord
from server.protocol.table import decode_client
from server.store.sqlite import Store
from server.web.http import HttpContext, make_http_app
from server.web.sessions import SessionIssuer
from server.workshop.service import WorkshopService
from world.site import load_site

SECRET = "test-secret-of-enough-length"
PASSWORD = "ein-langes-passwort"


class StageWorld:
    """The box world with the one method the workshop service reads besides rooms."""

    def __init__(self) -> None:
        self.world = box_world()
        self.rooms = self.world.rooms

    def anchors_of(self, kind: str) -> list[Any]:
        return []


class Hub:
    """HTTP on a real socket, the core and store behind it, and signed-in accounts."""

    def __init__(
        self, client: TestClient, store: Store, service: WorkshopService, realtime: Harness
    ) -> None:
        self.client = client
        self.store = store
        self.service = service
        self.realtime = realtime
        self.tokens: dict[str, str] = {}
        self.identities: dict[str, Identity] = {}

    async def account(self, username: str, role: Role) -> str:
        identity = await self.store.create_account(username, PASSWORD, role, username.capitalize())
        response = await self.client.post(
            "/api/session", json={"username": username, "password": PASSWORD}
        )
        assert response.status == 200
        self.tokens[username] = (await response.json())["token"]
        self.identities[username] = identity
        return self.tokens[username]

    async def guest(self, name: str) -> dict[str, Any]:
        response = await self.client.post("/api/session", json={"name": name})
        assert response.status == 200
        return dict(await response.json())

    async def call(
        self, method: str, path: str, who: str | None = None, body: Any = None
    ) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"} if who else {}
        response = await self.client.request(method, path, json=body, headers=headers)
        if response.content_type == "application/json":
            return response.status, await response.json()
        return response.status, await response.text()


async def open_hub(tmp_path: Path) -> Hub:
    settings = Settings(data_dir=tmp_path, secret=SECRET, public_ws_url=None)
    store = await Store.open(tmp_path / "hub.sqlite3")
    world = StageWorld()
    service = await WorkshopService.open(store, world, station_ids=lambda: {"lab-1", "lab-2"})
    core = HubCore(world.world, settings, seed=7, features=service.features, rules=service.rules)
    realtime = Harness(core)
    service.attach(core, realtime.apply)

    async def health() -> dict[str, Any]:
        return {"ready": True, "checks": {}}

    context = HttpContext(
        settings=settings,
        site=load_site(),
        store=store,
        sessions=SessionIssuer(settings, TokenSigner(SECRET), store),
        world_file=lambda: tmp_path / "hub.glb",
        world_digest=lambda: "abc",
        protocol_version=1,
        protocol_description=lambda: {},
        ws_port=lambda: 9999,
        metrics=lambda: "",
        health=health,
    )
    client = TestClient(TestServer(make_http_app(context, [service.routes()])))
    await client.start_server()
    return Hub(client, store, service, realtime)


@pytest.fixture
async def hub(tmp_path: Path) -> AsyncIterator[Hub]:
    opened = await open_hub(tmp_path)
    tasks = opened.service.start()
    try:
        yield opened
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await opened.client.close()
        await opened.store.close()


WORKSHOP = {
    "title": "Klimabilanz für Betriebsräte",
    "description": "Wir rechnen gemeinsam.",
    "room": "workshop",
    "starts": "2031-05-06T10:00",
    "minutes": 120,
    "agenda": [
        {"title": "Ankommen", "minutes": 10},
        {"title": "An der Station", "minutes": 30, "station": "lab-1"},
    ],
    "access": "code",
    "code": "KLIMA-31",
}


async def test_facilitators_create_and_the_public_sees_no_code(hub: Hub) -> None:
    await hub.account("mara", Role.FACILITATOR)
    status, made = await hub.call("POST", "/api/workshops", "mara", WORKSHOP)
    assert status == 201, made
    assert made["facilitators"] == [{"id": hub.identities["mara"].id, "name": "Mara"}]
    assert made["code"] == "KLIMA-31" and made["starts"] == "2031-05-06T10:00:00+02:00"
    assert made["link"] == f"/?workshop={made['id']}"
    status, listed = await hub.call("GET", "/api/workshops")
    assert status == 200
    (public,) = listed["workshops"]
    assert "code" not in public and "invited" not in public
    assert public["facilitators"] == ["Mara"] and public["access"] == "code"
    status, mine = await hub.call("GET", f"/api/workshops/{made['id']}", "mara")
    assert mine["code"] == "KLIMA-31"
    # the realtime side knows it at once
    assert hub.service.book.get(made["id"]) is not None


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"room": "cellar"}, "room_unknown"),
        ({"starts": "next tuesday"}, "time_invalid"),
        ({"minutes": 2}, "field_invalid"),
        ({"title": ""}, "field_invalid"),
        ({"agenda": [{"title": "x", "minutes": 5, "station": "nope"}]}, "agenda_invalid"),
        ({"access": "secret"}, "access_invalid"),
        ({"access": "code", "code": "ü"}, "access_invalid"),
        ({"facilitators": ["nobody"]}, "facilitators_invalid"),
    ],
)
async def test_bad_workshops_are_refused_with_the_reason(
    hub: Hub, change: dict[str, Any], code: str
) -> None:
    await hub.account("mara", Role.FACILITATOR)
    status, answer = await hub.call("POST", "/api/workshops", "mara", {**WORKSHOP, **change})
    assert status == 400 and answer["error"]["code"] == code, answer


async def test_only_its_facilitators_and_staff_change_a_workshop(hub: Hub) -> None:
    await hub.account("mara", Role.FACILITATOR)
    await hub.account("fritz", Role.FACILITATOR)
    await hub.account("sven", Role.STAFF)
    guest = await hub.guest("Vera")
    hub.tokens["vera"] = guest["token"]
    _, made = await hub.call("POST", "/api/workshops", "mara", WORKSHOP)
    path = f"/api/workshops/{made['id']}"
    assert (await hub.call("POST", "/api/workshops", "vera", WORKSHOP))[0] == 403
    assert (await hub.call("POST", "/api/workshops", None, WORKSHOP))[0] == 401
    assert (await hub.call("PUT", path, "vera", {"title": "Meins"}))[0] == 403
    assert (await hub.call("PUT", path, "fritz", {"title": "Meins"}))[0] == 403
    status, changed = await hub.call(
        "PUT", path, "mara", {"title": "Neu", "facilitators": ["fritz"]}
    )
    assert status == 200 and changed["title"] == "Neu"
    assert [p["name"] for p in changed["facilitators"]] == ["Mara", "Fritz"]
    assert changed["minutes"] == 120 and changed["code"] == "KLIMA-31"  # the rest stays
    assert (await hub.call("PUT", path, "fritz", {"minutes": 90}))[1]["minutes"] == 90
    assert (await hub.call("DELETE", path, "sven"))[0] == 200
    assert (await hub.call("GET", path))[0] == 404
    assert await hub.store.workshop(made["id"]) is None


async def test_a_series_makes_its_sessions_and_keeps_their_links(hub: Hub) -> None:
    await hub.account("mara", Role.FACILITATOR)
    body = {
        "title": "Austauschreihe",
        "room": "hall",
        "first": "2031-03-11T17:00",  # the second Tuesday of March
        "minutes": 90,
        "repeat": "monthly",
        "count": 4,
    }
    status, series = await hub.call("POST", "/api/workshop-series", "mara", body)
    assert status == 201, series
    starts = [s["starts"] for s in series["sessions"]]
    assert starts == [
        "2031-03-11T17:00:00+01:00",
        "2031-04-08T17:00:00+02:00",  # summer time: still 17:00 on the wall
        "2031-05-13T17:00:00+02:00",
        "2031-06-10T17:00:00+02:00",
    ]
    ids = [s["id"] for s in series["sessions"]]
    assert all(i.startswith(series["id"]) for i in ids)
    _, listed = await hub.call("GET", "/api/workshops")
    assert [w["id"] for w in listed["workshops"]] == ids
    status, edited = await hub.call(
        "PUT", f"/api/workshop-series/{series['id']}", "mara", {"count": 2, "title": "Austausch"}
    )
    assert status == 200 and [s["id"] for s in edited["sessions"]] == ids[:2]
    _, listed = await hub.call("GET", "/api/workshops")
    assert [(w["id"], w["title"]) for w in listed["workshops"]] == [
        (i, "Austausch") for i in ids[:2]
    ]
    _, all_series = await hub.call("GET", "/api/workshop-series", "mara")
    assert [s["count"] for s in all_series["series"]] == [2]
    assert (await hub.call("DELETE", f"/api/workshop-series/{series['id']}", "mara"))[0] == 200
    assert (await hub.call("GET", "/api/workshops"))[1]["workshops"] == []


async def test_attendance_summary_and_csv_for_its_facilitators_only(hub: Hub) -> None:
    await hub.account("mara", Role.FACILITATOR)
    await hub.account("fritz", Role.FACILITATOR)
    _, made = await hub.call(
        "POST", "/api/workshops", "mara", {**WORKSHOP, "starts": time.time() - 60}
    )
    mara = hub.identities["mara"]
    rt = hub.realtime
    rt.apply(rt.core.hello(1, mara, hello(room="workshop"), rt.now))
    rt.apply(rt.core.hello(2, person("=Vera"), hello(room="workshop"), rt.now))
    rt.send(1, decode_client(msgpack.packb({"t": "workshop_start", "workshop": made["id"]})))
    await hub.store.record_progress(
        [ProgressRecord("id-=Vera", "=Vera", True, "lab-1", ProgressEvent.QUIZ_PASSED, time.time())]
    )
    rt.now += 600
    rt.send(2, decode_client(msgpack.packb({"t": "go", "room": "foyer"})))
    rt.tick()
    await hub.service.writer.flush()
    path = f"/api/workshops/{made['id']}/attendance"
    assert (await hub.call("GET", path, "fritz"))[0] == 403
    status, report = await hub.call("GET", path, "mara")
    assert status == 200, report
    # Mara leads it: marked, not counted
    assert report["participants"] == 1 and report["peak"] == 1 and report["guests"] == 1
    vera = next(p for p in report["people"] if p["name"] == "=Vera")
    assert vera["minutes"] == pytest.approx(10.0, abs=0.1)
    assert vera["quizzes_passed"] == 1 and vera["agenda_stations_opened"] == 1
    status, text = await hub.call("GET", path + ".csv", "mara")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][0] == "Nr / No" and len(rows) == 3
    assert {row[2] for row in rows[1:]} == {"Mara", "'=Vera"}  # no formula, no ids
    assert "id-=Vera" not in text and mara.id not in text


async def test_staff_see_the_audit_log_and_ban_over_rest(hub: Hub) -> None:
    await hub.account("mara", Role.FACILITATOR)
    await hub.account("sven", Role.STAFF)
    vera = await hub.guest("Vera")
    rt = hub.realtime
    identity = Identity(vera["identity"]["id"], "Vera", Role.VISITOR, guest=True)
    rt.apply(rt.core.hello(5, identity, hello(room="foyer"), rt.now))
    assert (await hub.call("GET", "/api/moderation/audit", "mara"))[0] == 403
    status, made = await hub.call(
        "POST",
        "/api/moderation/bans",
        "sven",
        {"identity": identity.id, "name": "Vera", "hours": 2},
    )
    assert status == 201 and made["by_name"] == "Sven"
    assert rt.closed[5].code == 4009  # disconnected at once
    await hub.service.writer.flush()
    _, bans = await hub.call("GET", "/api/moderation/bans", "sven")
    assert [b["identity_id"] for b in bans["bans"]] == [identity.id]
    _, audit = await hub.call("GET", "/api/moderation/audit", "sven")
    assert [(e["action"], e["target_name"]) for e in audit["entries"]] == [("ban", "Vera")]
    # their kept token gets no new session
    response = await hub.client.post("/api/session", json={"name": "Vera", "token": vera["token"]})
    assert response.status == 403 and (await response.json())["error"]["code"] == "banned"
    # staff lift it
    status, _ = await hub.call("DELETE", f"/api/moderation/bans/{made['id']}", "sven")
    assert status == 200
    response = await hub.client.post("/api/session", json={"name": "Vera", "token": vera["token"]})
    assert response.status == 200
    fx = rt.apply(rt.core.hello(6, identity, hello(), rt.now))
    assert fx.closes == []
    _, audit = await hub.call("GET", "/api/moderation/audit", "sven")
    assert [e["action"] for e in audit["entries"]] == ["unban", "ban"]
    assert (await hub.call("GET", "/api/moderation/audit?limit=0", "sven"))[0] == 400
    status, _ = await hub.call(
        "POST", "/api/moderation/bans", "sven", {"identity": hub.identities["sven"].id}
    )
    assert status == 400


async def test_a_ban_survives_reconnecting_and_reopening_the_store(tmp_path: Path) -> None:
    first = await open_hub(tmp_path)
    await first.account("mara", Role.FACILITATOR)
    vera = await first.guest("Vera")
    identity = Identity(vera["identity"]["id"], "Vera", Role.VISITOR, guest=True)
    rt = first.realtime
    rt.apply(rt.core.hello(1, first.identities["mara"], hello(room="workshop"), rt.now))
    rt.apply(rt.core.hello(2, identity, hello(room="workshop"), rt.now))
    session = rt.core.session_of(2)
    assert session is not None
    rt.send(1, decode_client(msgpack.packb({"t": "ban", "session": session.id})))
    assert rt.closed[2].code == 4009
    fx = rt.apply(rt.core.hello(3, identity, hello(resume=session.resume_key), rt.now))
    assert [c.code for c in fx.closes] == [4009]
    await first.service.writer.flush()
    await first.client.close()
    await first.store.close()
    # a restart: everything built again from the same data folder
    again = await open_hub(tmp_path)
    try:
        fx = again.realtime.apply(again.realtime.core.hello(1, identity, hello(), time.time()))
        assert [c.code for c in fx.closes] == [4009]
        response = await again.client.post(
            "/api/session", json={"name": "Vera", "token": vera["token"]}
        )
        assert response.status == 403
    finally:
        await again.client.close()
        await again.store.close()


async def test_calendar_files_of_a_workshop_and_a_series_feed(hub: Hub) -> None:
    from icalendar import Calendar

    await hub.account("mara", Role.FACILITATOR)
    body = {"title": "Klimabilanz", "room": "hall", "starts": "2031-03-05T10:00"}
    body |= {"minutes": 90, "access": "code", "code": "GEHEIM-42", "description": "Mit Übung"}
    status, made = await hub.call("POST", "/api/workshops", "mara", body)
    assert status == 201, made
    response = await hub.client.get(f"/api/workshops/{made['id']}/calendar.ics")
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/calendar")
    raw = await response.read()
    assert b"GEHEIM-42" not in raw  # the code is not for everyone
    (event,) = Calendar.from_ical(raw).walk("VEVENT")
    assert str(event["summary"]) == "Klimabilanz"
    assert event["dtstart"].dt.timestamp() == made["starts_at"]
    assert event["dtend"].dt.timestamp() == made["ends_at"]
    assert str(event["uid"]).startswith(f"{made['id']}@")
    assert f"/?workshop={made['id']}" in str(event["url"]) and "Mit Übung" in str(
        event["description"]
    )
    assert (await hub.client.get("/api/workshops/w-gibt-es-nicht/calendar.ics")).status == 404

    series = {"title": "Austausch", "room": "hall", "first": "2031-03-11T17:00", "minutes": 60}
    series |= {"repeat": "weekly", "count": 3}
    _, planned = await hub.call("POST", "/api/workshop-series", "mara", series)
    moved = planned["sessions"][1]
    status, _ = await hub.call(
        "PUT", f"/api/workshops/{moved['id']}", "mara", {"starts": "2031-03-19T18:00"}
    )
    assert status == 200
    response = await hub.client.get(f"/api/workshop-series/{planned['id']}/calendar.ics")
    assert response.status == 200
    events = Calendar.from_ical(await response.read()).walk("VEVENT")
    assert [str(e["uid"]).split("@")[0] for e in events] == [s["id"] for s in planned["sessions"]]
    assert events[1]["dtstart"].dt.isoformat() == "2031-03-19T17:00:00+00:00"  # moved
    assert (await hub.client.get("/api/workshop-series/s-nein/calendar.ics")).status == 404
