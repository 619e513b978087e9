"""Registration with a seat limit and invitations by name, over real sockets with the
realtime core behind: thirty people registering at the same moment for five seats get
exactly five seats and a waiting list in order, taking one back lets the first waiting in,
the facilitator's list and CSV, the calendar file for the registered, the person's export
and erasure; invitations name accounts by username or display name, the invited person
sees it in the list and may join, others may not."""

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
from realtime_harness import hello
from test_workshops_http import WORKSHOP, Hub, open_hub

from server.base.identity import Identity, Role
from server.protocol.table import decode_client
from server.web.http import CONTEXT

PLANNED = {**WORKSHOP, "access": "open", "seats": 5}
PLANNED.pop("code")


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


async def guests(hub: Hub, count: int) -> list[str]:
    """Guests signed in as POST /api/session signs them in (past its limit per address)."""
    names = [f"gast{n:02d}" for n in range(count)]
    sessions = hub.client.server.app[CONTEXT].sessions
    for name in names:
        hub.tokens[name] = (await sessions.sign_in({"name": name.capitalize()})).token
    return names


async def test_thirty_at_once_for_five_seats(hub: Hub) -> None:
    await hub.account("mara", Role.FACILITATOR)
    status, made = await hub.call("POST", "/api/workshops", "mara", PLANNED)
    assert status == 201 and made["seats"] == 5, made
    path = f"/api/workshops/{made['id']}/registration"
    names = await guests(hub, 30)
    answers = await asyncio.gather(*(hub.call("POST", path, name) for name in names))
    assert [status for status, _ in answers] == [201] * 30
    seated = [a for _, a in answers if a["status"] == "registered"]
    waiting = sorted(a["position"] for _, a in answers if a["status"] == "waitlist")
    assert len(seated) == 5 and waiting == list(range(1, 26))
    assert all(a["calendar"] == f"/api/workshops/{made['id']}/calendar.ics" for _, a in answers)
    # a second try changes nothing
    first_waiting = next(n for n, (_, a) in zip(names, answers, strict=True) if a["position"] == 1)
    status, again = await hub.call("POST", path, first_waiting)
    assert status == 200 and (again["status"], again["position"]) == ("waitlist", 1)
    assert (again["seats"], again["taken"], again["waiting"]) == (5, 5, 25)
    # one with a seat takes it back: the first waiting has it
    seated_name = next(n for n, (_, a) in zip(names, answers, strict=True) if a["position"] == 0)
    status, gone = await hub.call("DELETE", path, seated_name)
    assert status == 200 and gone["status"] is None
    assert (await hub.call("DELETE", path, seated_name))[0] == 404
    _, mine = await hub.call("GET", path, first_waiting)
    assert (mine["status"], mine["position"]) == ("registered", 0)
    # the public list shows the figures, a signed-in person their own place
    _, listed = await hub.call("GET", "/api/workshops", first_waiting)
    (shown,) = listed["workshops"]
    assert shown["registration"] == {"seats": 5, "taken": 5, "waiting": 24}
    assert shown["your_registration"] == {"status": "registered", "position": 0}
    # the registered get the calendar file
    response = await hub.client.get(mine["calendar"])
    assert response.status == 200 and b"BEGIN:VEVENT" in await response.read()


async def test_the_facilitator_sees_and_exports_the_list(hub: Hub) -> None:
    await hub.account("mara", Role.FACILITATOR)
    await hub.account("fritz", Role.FACILITATOR)
    _, made = await hub.call("POST", "/api/workshops", "mara", {**PLANNED, "seats": 2})
    path = f"/api/workshops/{made['id']}"
    names = await guests(hub, 3)
    for name in names:  # one after the other: the order is known
        assert (await hub.call("POST", f"{path}/registration", name))[0] == 201
    assert (await hub.call("GET", f"{path}/registrations", "fritz"))[0] == 403
    assert (await hub.call("GET", f"{path}/registrations", names[0]))[0] == 403
    status, listing = await hub.call("GET", f"{path}/registrations", "mara")
    assert status == 200 and (listing["taken"], listing["waiting"]) == (2, 1)
    assert [(p["display_name"], p["status"], p["position"]) for p in listing["people"]] == [
        ("Gast00", "registered", 0),
        ("Gast01", "registered", 0),
        ("Gast02", "waitlist", 1),
    ]
    status, text = await hub.call("GET", f"{path}/registrations.csv", "mara")
    assert status == 200
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == [
        "Nr / No",
        "Kennung / Key",
        "Name",
        "Gast / Guest",
        "Stand / Status",
        "Warteplatz / Waiting place",
        "Angemeldet (Europe/Berlin) / Registered (Europe/Berlin)",
    ]
    assert [row[2:6] for row in rows[1:]] == [
        ["Gast00", "ja / yes", "Platz / seat", ""],
        ["Gast01", "ja / yes", "Platz / seat", ""],
        ["Gast02", "ja / yes", "Warteliste / waiting list", "1"],
    ]
    assert [row[1] for row in rows[1:]] == [p["key"] for p in listing["people"]]
    assert all(len(row[1]) == 8 for row in rows[1:])
    # more seats: the waiting one is let in
    assert (await hub.call("PUT", path, "mara", {"seats": 3}))[0] == 200
    _, listing = await hub.call("GET", f"{path}/registrations", "mara")
    assert [p["status"] for p in listing["people"]] == ["registered"] * 3


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"seats": None}, "registration_closed"),
        ({"starts": time.time() - 60}, "registration_closed"),
    ],
)
async def test_no_registration_without_seats_or_once_begun(
    hub: Hub, change: dict[str, Any], code: str
) -> None:
    await hub.account("mara", Role.FACILITATOR)
    _, made = await hub.call("POST", "/api/workshops", "mara", {**PLANNED, **change})
    (name,) = await guests(hub, 1)
    status, answer = await hub.call("POST", f"/api/workshops/{made['id']}/registration", name)
    assert status == 409 and answer["error"]["code"] == code
    assert (await hub.call("POST", f"/api/workshops/{made['id']}/registration"))[0] == 401


async def test_a_code_protected_workshop_takes_registrations_with_its_code(hub: Hub) -> None:
    await hub.account("mara", Role.FACILITATOR)
    body = {**PLANNED, "access": "code", "code": "KLIMA-31"}
    _, made = await hub.call("POST", "/api/workshops", "mara", body)
    path = f"/api/workshops/{made['id']}/registration"
    (name,) = await guests(hub, 1)
    for refused in (None, {}, {"code": "KLIMA-30"}):
        status, answer = await hub.call("POST", path, name, refused)
        assert status == 403 and answer["error"]["code"] == "workshop_access", refused
        assert "code" in answer["error"]["message"]
    status, answer = await hub.call("POST", path, name, {"code": 31})
    assert status == 400 and answer["error"]["code"] == "code_invalid"
    _, shown = await hub.call("GET", path, name)
    assert shown["status"] is None and shown["taken"] == 0
    status, answer = await hub.call("POST", path, name, {"code": "KLIMA-31"})
    assert status == 201 and answer["status"] == "registered"


@pytest.mark.parametrize("seats", [0, -1, 10001, "5", True])
async def test_bad_seat_limits_are_refused(hub: Hub, seats: Any) -> None:
    await hub.account("mara", Role.FACILITATOR)
    status, answer = await hub.call("POST", "/api/workshops", "mara", {**PLANNED, "seats": seats})
    assert status == 400 and answer["error"]["code"] == "field_invalid"


async def test_registrations_are_in_the_export_and_erased_with_the_person(hub: Hub) -> None:
    await hub.account("mara", Role.FACILITATOR)
    _, made = await hub.call("POST", "/api/workshops", "mara", PLANNED)
    (name,) = await guests(hub, 1)
    await hub.call("POST", f"/api/workshops/{made['id']}/registration", name)
    status, export = await hub.call("GET", "/api/me/export", name)
    assert status == 200
    assert [r["workshop_id"] for r in export["workshop_registrations"]] == [made["id"]]
    assert (await hub.call("DELETE", "/api/me", name))[0] == 200
    _, listing = await hub.call("GET", f"/api/workshops/{made['id']}/registrations", "mara")
    assert listing["people"] == [] and listing["taken"] == 0


async def test_invitations_by_username_or_display_name(hub: Hub) -> None:
    await hub.account("mara", Role.FACILITATOR)
    await hub.account("fritz", Role.VISITOR)
    await hub.store.create_account("vera", "ein-langes-passwort", Role.VISITOR, "Vera Grün")
    await hub.account("otto", Role.VISITOR)
    body = {**PLANNED, "access": "list", "invited": ["FRITZ", "vera  grün"]}
    status, made = await hub.call("POST", "/api/workshops", "mara", body)
    assert status == 201, made
    fritz, vera = hub.identities["fritz"], await hub.store.login("vera", "ein-langes-passwort")
    assert vera is not None
    assert made["invited"] == [fritz.id, vera.id]
    _, full = await hub.call("GET", f"/api/workshops/{made['id']}", "mara")
    assert [(p["name"], p["username"]) for p in full["invited_people"]] == [
        ("Fritz", "fritz"),
        ("Vera Grün", "vera"),
    ]
    # the invited person sees it; another does not, nor the list
    _, seen = await hub.call("GET", "/api/workshops", "fritz")
    assert [w["invited_you"] for w in seen["workshops"]] == [True]
    _, other = await hub.call("GET", "/api/workshops", "otto")
    assert [w["invited_you"] for w in other["workshops"]] == [False]
    assert "invited" not in other["workshops"][0]
    # joining: the server lets the invited in and refuses the others
    rt = hub.realtime
    rt.apply(rt.core.hello(1, fritz, hello(room="foyer"), rt.now))
    rt.apply(rt.core.hello(2, hub.identities["otto"], hello(room="foyer"), rt.now))
    join = {"t": "workshop_join", "workshop": made["id"]}
    refused = rt.send(2, decode_client(msgpack.packb(join)))
    assert any(m.get("code") == "workshop_access" for m in refused), refused
    joined = rt.send(1, decode_client(msgpack.packb(join)))
    assert not any(m.get("t") == "error" for m in joined), joined
    # registering for a list workshop is for the invited too
    path = f"/api/workshops/{made['id']}/registration"
    assert (await hub.call("POST", path, "fritz"))[0] == 201
    status, answer = await hub.call("POST", path, "otto")
    assert status == 403 and answer["error"]["code"] == "workshop_access"


@pytest.mark.parametrize(
    ("invited", "code", "named"),
    [(["niemand"], "invited_unknown", "niemand"), (["Zwilling"], "invited_ambiguous", "zw1, zw2")],
)
async def test_unknown_or_ambiguous_names_are_refused(
    hub: Hub, invited: list[str], code: str, named: str
) -> None:
    await hub.account("mara", Role.FACILITATOR)
    for username in ("zw1", "zw2"):
        await hub.store.create_account(username, "ein-langes-passwort", Role.VISITOR, "Zwilling")
    body = {**PLANNED, "access": "list", "invited": invited}
    status, answer = await hub.call("POST", "/api/workshops", "mara", body)
    assert status == 400 and answer["error"]["code"] == code
    assert named in answer["error"]["message"]


async def test_the_guest_identity_of_the_list_still_counts(hub: Hub) -> None:
    """An identity id on the list (a guest invited in the room) is kept as it is."""
    await hub.account("mara", Role.FACILITATOR)
    guest = await hub.guest("Lu")
    identity = Identity(guest["identity"]["id"], "Lu", Role.VISITOR, guest=True)
    await hub.store.remember_identity(identity)
    body = {**PLANNED, "access": "list", "invited": [identity.id]}
    status, made = await hub.call("POST", "/api/workshops", "mara", body)
    assert status == 201 and made["invited"] == [identity.id]
