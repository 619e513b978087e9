"""Workshop polls with two real ``hubtwin serve --redis`` processes and a real redis-server:
the process that owns the workshop's room counts (people reaching the other process are
sent there); erasing one's data through the other process takes the answer out of the
running poll too (the ``poll_forget`` event); and when the owner is killed (SIGKILL), the
process that takes the room over goes on with the poll as kept: its counts, one's own
answer, one answer per person, the close.
"""

from __future__ import annotations

import asyncio
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgpack
import pytest
from hub_processes import HubProcess, Visitor, led_by_sven, processes_after_planning, token

from server.base.identity import Role
from server.base.live_state import POLLS
from server.domain.workshops import AgendaItem
from server.store.redis import RedisStore

WORKSHOP_ID = "w-polls"
STORED_WITHIN_S = 10.0


@pytest.fixture
def hubs(redis_url: str, site: tuple[Path, Path], tmp_path: Path) -> Iterator[list[HubProcess]]:
    """Two processes, started after the workshop was planned."""
    agenda = (AgendaItem("Maßnahmen", 30),)
    workshop = led_by_sven(WORKSHOP_ID, "Grüner Aktionsplan", "entrance", agenda=agenda)
    with processes_after_planning(workshop, redis_url, site, tmp_path) as started:
        yield started


async def kept(redis_url: str, ready: Any) -> dict[str, Any]:
    store = await RedisStore.connect(redis_url, site="site")
    try:
        deadline = time.monotonic() + STORED_WITHIN_S
        while time.monotonic() < deadline:
            found = await store.live_states(POLLS)
            if WORKSHOP_ID in found and ready(found[WORKSHOP_ID]):
                return dict(found[WORKSHOP_ID])
            await asyncio.sleep(0.1)
    finally:
        await store.close()
    raise AssertionError("the polls were not kept as expected")


def delete_me(hub: HubProcess, who: str) -> int:
    request = urllib.request.Request(hub.http_url + "api/me", method="DELETE")
    request.add_header("Authorization", f"Bearer {who}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


async def send(person: Visitor, message_type: str, **fields: Any) -> None:
    assert person.connection is not None
    await person.connection.send(msgpack.packb({"t": message_type, **fields}))


async def counts(person: Visitor, expected: list[int]) -> dict[str, Any]:
    """The next poll_state whose counts are ``expected``."""
    while True:
        poll = (await person.next(("poll_state",)))["poll"]
        if poll["counts"] == expected:
            return dict(poll)


async def test_the_owner_counts_erasure_reaches_it_and_a_takeover_goes_on(
    hubs: list[HubProcess], redis_url: str
) -> None:
    sven = Visitor("Sven", token=token("Sven", Role.STAFF))
    ina, olga, kim = Visitor("Ina"), Visitor("Olga"), Visitor("Kim")
    people = (sven, ina, olga, kim)
    try:
        await sven.enter(hubs[0].ws_url, room="entrance")
        owner = next(h for h in hubs if h.ws_url == sven.url)
        other = next(h for h in hubs if h is not owner)
        for _ in range(100):  # the process reads the workshop at start or on its refresh
            await sven.send("workshop_start", workshop=WORKSHOP_ID)
            if (await sven.next(("workshop_state", "error")))["t"] == "workshop_state":
                break
            await asyncio.sleep(0.5)
        for person in (ina, olga, kim):  # through the other process: sent to the owner
            await person.enter(other.ws_url, room="entrance")
            assert person.url == owner.ws_url
        for _ in range(40):  # the owner reads the workshop's polls as it starts: a moment
            await send(sven, "poll_open", question="Womit anfangen?", kind="single",
                       options=["LED", "PV", "Jobrad"])  # fmt: skip
            answer = await sven.next(("poll_state", "error"))
            if answer["t"] == "poll_state":
                break
            assert answer["code"] == "polls_loading", answer
            await asyncio.sleep(0.25)
        pid = (await ina.next(("poll_state",), timeout_s=15))["poll"]["id"]
        for person, choice in ((ina, 1), (olga, 1), (kim, 2)):
            await person.send("poll_answer", poll=pid, choices=[choice])
            await person.next(("poll_answered",))
        await counts(sven, [0, 2, 1])

        # Olga erases her data through the other process: the owner drops her answer
        assert await asyncio.to_thread(delete_me, other, olga.token) == 200
        await counts(sven, [0, 1, 1])
        doc = await kept(
            redis_url,
            lambda d: set(d["polls"][0]["answers"]) == {"id-Ina", "id-Kim"},
        )
        assert doc["polls"][0]["closed_at"] is None

        owner.kill()
        for person in people:
            await person.close()
        # the other process takes the room over and goes on with the poll as kept
        await ina.enter(other.ws_url, room="entrance")
        assert ina.url == other.ws_url
        poll = (await ina.next(("poll_state",), timeout_s=15))["poll"]
        assert (poll["id"], poll["open"], poll["counts"]) == (pid, True, [0, 1, 1])
        assert (await ina.next(("poll_answered",)))["choices"] == [1]
        await ina.send("poll_answer", poll=pid, choices=[0])  # replaces hers
        await ina.next(("poll_answered",))
        await sven.enter(other.ws_url, room="entrance")
        await counts(sven, [1, 0, 1])
        await send(sven, "poll_close", poll=pid)
        closed = await counts(ina, [1, 0, 1])
        while closed["open"]:
            closed = (await ina.next(("poll_state",)))["poll"]
        await ina.send("poll_answer", poll=pid, choices=[2])
        assert (await ina.next(("error",), about="poll_answer"))["code"] == "poll_closed"
        await kept(redis_url, lambda d: d["polls"][0]["closed_at"] is not None)
    finally:
        for person in people:
            await person.close()
