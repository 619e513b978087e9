"""A running workshop survives the crash of the process that runs it, with real
``hubtwin serve --redis`` processes and a real redis-server: the workshop's process is
killed (SIGKILL), the other process takes its room over once the lease has run out, and
the workshop goes on there with its leader, agenda position, countdown, spotlight, raised
hand, breakout groups and their timer; its invite code still keeps strangers out, and a
person sent out of the room stays out.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hub_processes import HubProcess, Visitor, led_by_sven, processes_after_planning, token

from server.base.identity import Role
from server.base.live_state import REMOVALS, WORKSHOP
from server.domain.workshops import Access, AgendaItem
from server.store.redis import RedisStore

CODE = "KLIMA-24"
WORKSHOP_ID = "w-takeover"
STORED_WITHIN_S = 10.0


@pytest.fixture
def hubs(redis_url: str, site: tuple[Path, Path], tmp_path: Path) -> Iterator[list[HubProcess]]:
    """Two processes, started after the workshop was planned: one with an invite code in the
    small room, begun a minute ago."""
    agenda = (AgendaItem("Ankommen", 10), AgendaItem("An der Station", 30))
    workshop = led_by_sven(
        WORKSHOP_ID, "Klimabilanz", "entrance", agenda=agenda, access=Access.CODE, code=CODE
    )
    with processes_after_planning(workshop, redis_url, site, tmp_path) as started:
        yield started


async def kept(redis_url: str, ready: Any, kind: str = WORKSHOP) -> dict[str, Any]:
    """The live documents of ``kind`` once ``ready`` says they are as expected."""
    store = await RedisStore.connect(redis_url, site="site")
    try:
        deadline = time.monotonic() + STORED_WITHIN_S
        while time.monotonic() < deadline:
            found = await store.live_states(kind)
            if found and ready(found):
                return found
            await asyncio.sleep(0.1)
    finally:
        await store.close()
    raise AssertionError("the workshop was not kept as expected")


async def test_a_running_workshop_goes_on_where_its_room_is_taken_over_after_a_crash(
    hubs: list[HubProcess], redis_url: str
) -> None:
    first, second = hubs
    wid = WORKSHOP_ID
    sven = Visitor("Sven", token=token("Sven", Role.STAFF))
    ina, olga, kim, eve, fritz, carl = (
        Visitor(n) for n in ("Ina", "Olga", "Kim", "Eve", "Fritz", "Carl")
    )
    people = (sven, ina, olga, kim, eve, fritz, carl)
    try:
        for person in (ina, olga, kim, fritz):  # into the hall, which the first process owns
            await person.enter(first.ws_url)
            assert person.redirects == []
        await sven.enter(first.ws_url, room="entrance")
        started = None
        for _ in range(100):  # the first process reads the workshop on its next refresh
            await sven.send("workshop_start", workshop=wid)
            answer = await sven.next(("workshop_state", "error"))
            if answer["t"] == "workshop_state":
                started = answer
                break
            await asyncio.sleep(0.5)
        assert started is not None, "the workshop never started"
        for person in (ina, olga, kim, fritz):
            await person.send("workshop_join", workshop=wid, code=CODE)
            await person.next(("joined",), room="entrance", instance=0)
        await sven.send("remove", session=fritz.session, minutes=30)
        await fritz.next(("moderated",), action="removed")
        await sven.send("agenda", item=1)
        await sven.send("timer", seconds=900)
        await sven.send("breakout", groups=2, mode="chosen", minutes=20,
                        assign=[[olga.session], [ina.session]])  # fmt: skip
        breakout = None
        while breakout is None:
            breakout = (await sven.next(("workshop_state",)))["workshop"]["breakout"]
        instance_of = {g["group"]: g["instance"] for g in breakout["groups"]}
        await olga.next(("joined",), room="entrance", instance=instance_of[0])
        await olga.send("hand", up=True)
        await sven.send("spotlight", on=True, session=ina.session)
        await kept(redis_url, lambda found: "id-Fritz" in found.get("entrance", {}), REMOVALS)
        doc = (
            await kept(
                redis_url,
                lambda found: (
                    (d := found.get(wid)) is not None
                    and d["spotlight"] == [ina.session]
                    and d["hands"].get(str(instance_of[0])) == [olga.session]
                ),
            )
        )[wid]

        first.kill()
        for person in people:
            await person.close()

        # the second process takes the hall over (where whoever is refused lands) ...
        await carl.enter(second.ws_url, room="hall")
        assert carl.url == second.ws_url
        # ... and the workshop's room: the code still keeps a stranger out ...
        with pytest.raises(AssertionError, match="workshop_access"):
            await eve.enter(second.ws_url, room="entrance")
        # ... and the one sent out stays out (back in the hall, he may not go in)
        await fritz.enter(second.ws_url)
        assert fritz.url == second.ws_url and fritz.joined["room"] == "hall"
        await fritz.send("go", room="entrance")
        assert (await fritz.next(("error",)))["code"] == "removed_from_room"
        await sven.enter(second.ws_url, room="entrance")
        assert sven.url == second.ws_url
        state = (await sven.next(("workshop_state",)))["workshop"]
        assert (state["id"], state["item"], state["you_lead"]) == (wid, 1, True)
        assert state["timer_ends"] == doc["timer_ends"]
        assert state["breakout"]["ends_at"] == doc["breakout"]["ends_at"]
        assert state["leaders"] == [sven.session]
        assert state["spotlight"] == [ina.session]  # the session ids live on in Redis
        # Olga comes back into her group's room, her hand still up
        await olga.enter(second.ws_url, room="entrance", instance=instance_of[0])
        assert olga.joined["instance"] == instance_of[0]
        assert (await olga.next(("hand_queue",)))["sessions"] == [olga.session]
    finally:
        for person in people:
            await person.close()
