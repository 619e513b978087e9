"""Consulting across two real ``hubtwin serve --redis`` processes and a real redis-server:
the advisor (an account marked as advisor in Redis) opens a desk on the process that serves
them; "who advises now" (GET /api/consulting: the open desks, and the corners with a
conversation running, which the signs show) is the same through either process, and
follows a visitor queueing, a conversation beginning and the desk closing. A facilitator
without the mark is refused.

Visitors on the other process than the advisor's queue, in order, leave the queue and queue
again, and are told their place; the one called in is handed over to the advisor's process
into the booth, where they talk; a third who asks to go into the booth is refused there
(``booth_private``), sent back, and still waits his turn."""

from __future__ import annotations

import asyncio
import json
import shutil
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from hub_processes import PROJECT_ROOT, HubProcess, Visitor, start_processes, token

from server.base.identity import Role
from server.store.redis import RedisStore
from world.builder import build_world
from world.site import load_site

pytestmark = pytest.mark.scale

#: how long a change may take to show through the other process (a round is 1 s)
SPREAD_S = 10.0
PASSWORD = "ein-langes-passwort"
BOOTH = """
[[anchors]]
id = "corner-a"
kind = "booth"
room = "entrance"
at = [6, 4]
facing = "east"
title = { de = "Beratung A", en = "Consulting A" }
"""
CONSULTING = """
[[topics]]
id = "bericht"
names = { de = "Nachhaltigkeitsbericht", en = "Sustainability reporting" }

[[corners]]
anchor = "corner-a"
names = { de = "Ecke A", en = "Corner A" }
"""


@pytest.fixture(scope="module")
def consulting_site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("consulting-cluster-site")
    site = folder / "site"
    shutil.copytree(PROJECT_ROOT / "bench" / "bench-hall", site)
    building = site / "building.toml"
    building.write_text(building.read_text(encoding="utf-8") + BOOTH, encoding="utf-8")
    (site / "consulting.toml").write_text(CONSULTING, encoding="utf-8")
    world = folder / "world"
    build_world(load_site(site), world / "hub.glb", quiet=True)
    return site, world


@pytest.fixture
async def hubs(
    redis_url: str, consulting_site: tuple[Path, Path], tmp_path: Path
) -> AsyncIterator[list[HubProcess]]:
    store = await RedisStore.connect(redis_url, site="site")
    try:
        await store.create_account("beratung", PASSWORD, Role.FACILITATOR, "Beratung", True)
        await store.create_account("moderation", PASSWORD, Role.FACILITATOR, "Moderation")
    finally:
        await store.close()
    started = await asyncio.to_thread(start_processes, 2, *consulting_site, tmp_path, redis_url)
    try:
        yield started
    finally:
        for hub in started:
            await asyncio.to_thread(hub.stop)


def http(hub: HubProcess, method: str, path: str, who: str | None, body: Any = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(hub.http_url.rstrip("/") + path, data=data, method=method)
    if who is not None:
        request.add_header("Authorization", f"Bearer {who}")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


async def call(hub: HubProcess, method: str, path: str, who: str | None = None) -> Any:
    return await asyncio.to_thread(http, hub, method, path, who)


async def sign_in(hub: HubProcess, username: str) -> str:
    status, answer = await asyncio.to_thread(
        http, hub, "POST", "/api/session", None, {"username": username, "password": PASSWORD}
    )
    assert status == 200, answer
    return str(answer["token"])


def now_seen(overview: dict[str, Any]) -> Any:
    """What "who advises now" is made of: the open desks and which corners are taken."""
    return overview["desks"], [(c["id"], c["taken"]) for c in overview["corners"]]


async def alike(hubs: list[HubProcess], check: Any) -> Any:
    """GET /api/consulting through both processes until both say the same and it passes
    ``check``; what they say."""
    deadline = time.monotonic() + SPREAD_S
    while True:
        seen = []
        for hub in hubs:
            status, overview = await call(hub, "GET", "/api/consulting")
            assert status == 200
            seen.append(now_seen(overview))
        if seen[0] == seen[1] and check(seen[0]):
            return seen[0]
        assert time.monotonic() < deadline, f"the processes differ or do not pass: {seen}"
        await asyncio.sleep(0.2)


@pytest.mark.timeout(600)
async def test_who_advises_now_is_the_same_through_every_process(
    hubs: list[HubProcess],
) -> None:
    advisor = Visitor("Beratung", token=await sign_in(hubs[0], "beratung"))
    mo = Visitor("Moderation", token=await sign_in(hubs[1], "moderation"))
    ada = Visitor("ada", token=token("ada"))
    try:
        await advisor.enter(hubs[0].ws_url, room="entrance")
        served = next(hub for hub in hubs if hub.ws_url == advisor.url)
        other = next(hub for hub in hubs if hub is not served)
        await alike(hubs, lambda seen: seen == ([], [("corner-a", False)]))

        await advisor.send("consult_desk", open=True, corner="corner-a")
        assert (await advisor.next(("consult_state",)))["desk"]["corner"] == "corner-a"
        desks, _ = await alike(hubs, lambda seen: len(seen[0]) == 1)
        assert desks == [
            {
                "session": advisor.session,
                "name": "Beratung",
                "corner": "corner-a",
                "waiting": 0,
                "busy": False,
            }
        ]
        # the other process's answer is the advisor's process's, not an empty list of its own
        _, through_other = await call(other, "GET", "/api/consulting")
        assert through_other["desks"] == desks

        # a facilitator without the mark is refused (wherever the hall is served)
        await mo.enter(other.ws_url, room="hall")
        await mo.send("consult_desk", open=True, corner="corner-a")
        assert (await mo.next(("error",)))["code"] == "not_advisor"

        # Ada queues and is called in: both processes show the desk busy and the corner taken
        await ada.enter(served.ws_url, room="entrance")
        await ada.send("consult_queue", advisor=advisor.session, topic="Bericht")
        await alike(hubs, lambda seen: seen[0][0]["waiting"] == 1)
        await advisor.send("consult_call")
        await alike(
            hubs,
            lambda seen: seen[0][0]["busy"] and seen[0][0]["waiting"] == 0
            and seen[1] == [("corner-a", True)],
        )  # fmt: skip

        # the conversation ends and the desk closes: nobody advises, from either process
        await ada.send("consult_end")
        await advisor.next(("consult_ended",))
        await advisor.send("consult_desk", open=False)
        await alike(hubs, lambda seen: seen == ([], [("corner-a", False)]))
    finally:
        for person in (advisor, mo, ada):
            await person.close()


async def state_where(person: Visitor, check: Any) -> dict[str, Any]:
    """The next ``consult_state`` of ``person`` that passes ``check``."""
    deadline = time.monotonic() + SPREAD_S
    while True:
        state = await person.next(("consult_state",), timeout_s=deadline - time.monotonic())
        if check(state):
            return state


@pytest.mark.timeout(600)
async def test_a_visitor_of_another_process_queues_and_is_called_into_the_booth(
    hubs: list[HubProcess],
) -> None:
    advisor = Visitor("Beratung", token=await sign_in(hubs[0], "beratung"))
    ada, ben = Visitor("ada", token=token("ada")), Visitor("ben", token=token("ben"))
    try:
        await advisor.enter(hubs[0].ws_url, room="entrance")
        served = next(hub for hub in hubs if hub.ws_url == advisor.url)
        other = next(hub for hub in hubs if hub is not served)
        await advisor.send("consult_desk", open=True, corner="corner-a")
        await state_where(advisor, lambda s: s["desk"] is not None)
        await alike(hubs, lambda seen: len(seen[0]) == 1)
        for person in (ada, ben):
            await person.enter(other.ws_url, room="hall")
            assert person.url == other.ws_url, "the visitors must be on the other process"

        # a desk nobody has open: refused at once
        await ada.send("consult_queue", advisor="no-such-session", topic="Bericht")
        refused = await ada.next(("error",))
        assert (refused["code"], refused["about"]) == ("desk_closed", "consult_queue")

        # Ada and Ben queue from the other process; the advisor's process keeps the order
        await ada.send("consult_queue", advisor=advisor.session, topic="Bericht 2026")
        mine = await state_where(ada, lambda s: s["queued"] is not None)
        assert mine["queued"] == {
            "advisor": advisor.session,
            "name": "Beratung",
            "position": 1,
            "topic": "Bericht 2026",
        }
        await ben.send("consult_queue", advisor=advisor.session, topic="Förderung")
        await state_where(ben, lambda s: (s["queued"] or {}).get("position") == 2)
        desk = await state_where(advisor, lambda s: len(s["desk"]["queue"]) == 2)
        assert [(w["session"], w["name"], w["topic"]) for w in desk["desk"]["queue"]] == [
            (ada.session, "ada", "Bericht 2026"),
            (ben.session, "ben", "Förderung"),
        ]
        await alike(hubs, lambda seen: seen[0][0]["waiting"] == 2)

        # Ada leaves the queue and queues again: now after Ben
        await ada.send("consult_leave")
        await state_where(ada, lambda s: s["queued"] is None)
        desk = await state_where(advisor, lambda s: len(s["desk"]["queue"]) == 1)
        assert desk["desk"]["queue"][0]["session"] == ben.session
        await state_where(ben, lambda s: (s["queued"] or {}).get("position") == 1)
        await ada.send("consult_queue", advisor=advisor.session, topic="Bericht 2026")
        await state_where(ada, lambda s: (s["queued"] or {}).get("position") == 2)
        await state_where(advisor, lambda s: len(s["desk"]["queue"]) == 2)

        # the advisor calls Ada (not the first) in: her process hands her over into the booth
        await advisor.send("consult_call", visitor=ada.session)
        mine = await state_where(advisor, lambda s: s["booth"] is not None)
        booth = mine["booth"]
        assert (booth["with"], booth["role"], booth["topic"]) == ("ada", "advisor", "Bericht 2026")
        assert [w["session"] for w in mine["desk"]["queue"]] == [ben.session]
        redirect = await ada.next(("redirect",))
        assert (redirect["url"], redirect["room"], redirect["instance"]) == (
            served.ws_url,
            booth["room"],
            booth["instance"],
        )
        joined = await ada.enter(
            redirect["url"],
            room=redirect["room"],
            instance=redirect["instance"],
            resume=ada.resume,
        )
        assert (joined["room"], joined["instance"]) == (booth["room"], booth["instance"])
        assert ada.url == served.ws_url
        theirs = await state_where(ada, lambda s: s["booth"] is not None)
        assert (theirs["booth"]["with"], theirs["booth"]["role"]) == ("Beratung", "visitor")
        await state_where(ben, lambda s: (s["queued"] or {}).get("position") == 1)
        await alike(
            hubs,
            lambda seen: seen[0][0]["busy"] and seen[0][0]["waiting"] == 1
            and seen[1] == [("corner-a", True)],
        )  # fmt: skip

        # nobody else walks in: Ben, on the other process, asks to go into the booth
        # (his process sends him to the booth's, which refuses him and sends him back)
        await ben.send("go", room=booth["room"], instance=booth["instance"])
        # (his process sends him to the booth's, which refuses him and sends him back)
        sent = await ben.next(("redirect",))
        assert (sent["url"], sent["instance"]) == (served.ws_url, booth["instance"])
        with pytest.raises(AssertionError, match="booth_private"):
            await ben.enter(
                sent["url"], room=sent["room"], instance=sent["instance"], resume=ben.resume
            )
        back = await ben.next(("redirect",))
        assert (back["url"], back["room"], back["instance"]) == (other.ws_url, "hall", 0)
        joined = await ben.enter(back["url"], room="hall", instance=0, resume=ben.resume)
        assert (joined["room"], joined["instance"]) == ("hall", 0)

        # the booth is theirs: its chat reaches the advisor; either ends it
        await ada.send("consult_say", text="Danke für die Zeit")
        line = await advisor.next(("consult_line",))
        assert (line["name"], line["text"], line["mine"]) == ("ada", "Danke für die Zeit", False)
        await advisor.send("consult_end")
        assert (await ada.next(("consult_ended",)))["reason"] == "ended"
        await advisor.next(("consult_ended",))
        # the corner is free again, and Ben, who tried to walk in, still waits his turn
        await alike(
            hubs,
            lambda seen: seen[1] == [("corner-a", False)]
            and seen[0][0]["waiting"] == 1 and not seen[0][0]["busy"],
        )  # fmt: skip
    finally:
        for person in (advisor, ada, ben):
            await person.close()
