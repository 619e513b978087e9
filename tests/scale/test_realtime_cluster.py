"""Two and three real ``hubtwin serve --redis`` processes with a real redis-server and real
WebSocket visitors: one hub across processes.

The site is the benchmark hall (a hall and an entrance behind a door; the entrance holds
``ENTRANCE_CAPACITY``). Each process has its own data folder; they share Redis (the store
and the coordination) and the token secret.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from hub_processes import ENTRANCE_CAPACITY, HubProcess, Visitor, start_processes
from redis_process import RedisProcess

from server.base.redis_link import RedisLink
from server.base.redis_names import RedisNames
from server.cluster.grace_state import GraceStates
from server.store.redis import RedisStore


async def test_visitors_on_two_processes_meet_in_one_room(two: list[HubProcess]) -> None:
    first, second = two
    anna, ben = Visitor("Anna"), Visitor("Ben")
    try:
        joined = await anna.enter(first.ws_url, room="hall")
        assert anna.redirects == [] and joined["room"] == "hall"
        # Ben asks the other process: it does not own the hall, so it sends him to the owner
        joined_ben = await ben.enter(second.ws_url, room="hall")
        assert [r["reason"] for r in ben.redirects] == ["owner"]
        assert ben.redirects[0]["url"] == first.ws_url
        assert (joined_ben["room"], joined_ben["instance"]) == ("hall", 0)
        assert joined_ben["serial"] == joined["serial"]
        assert ben.session in {p["session"] for p in joined_ben["presence"]} | {ben.session}
        assert anna.session in {p["session"] for p in joined_ben["presence"]}
        seen = await anna.next(("presence_join",))
        assert seen["session"] == ben.session
        # poses travel: Anna's snapshots carry Ben's avatar
        x, y, z = joined_ben["pose"]["pos"]
        for seq in range(1, 6):
            await ben.pose(seq, x + 0.1 * seq, y, z)
            await asyncio.sleep(0.06)
        deadline = time.monotonic() + 5
        while joined_ben["you"] not in anna.seen_nets and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert joined_ben["you"] in anna.seen_nets
        await ben.send("chat", text="Hallo Anna")
        line = await anna.next(("chat",))
        assert (line["text"], line["from"]) == ("Hallo Anna", ben.session)
    finally:
        await anna.close()
        await ben.close()


async def test_direct_chat_room_list_and_announcements_cross_processes(
    two: list[HubProcess], redis_url: str
) -> None:
    first, second = two
    anna, carl = Visitor("Anna"), Visitor("Carl")
    try:
        await anna.enter(first.ws_url, room="hall")
        # Carl opens the entrance on the second process (nobody held it)
        joined = await carl.enter(second.ws_url, room="entrance")
        assert carl.redirects == [] and joined["room"] == "entrance"
        # the hall's room list shows Carl in the entrance, which the other process owns
        deadline = time.monotonic() + 6
        occupancy = 0
        while occupancy != 1 and time.monotonic() < deadline:
            rooms = await anna.next(("rooms",), timeout_s=max(0.1, deadline - time.monotonic()))
            entrance = next(r for r in rooms["rooms"] if r["id"] == "entrance")
            occupancy = sum(i["occupancy"] for i in entrance["instances"])
        assert occupancy == 1
        # a direct message across processes: stored, then delivered
        await anna.send("chat", text="Hallo Carl, direkt", to=carl.session)
        mine = await anna.next(("chat",))
        theirs = await carl.next(("chat",))
        assert theirs["id"] == mine["id"]
        assert (theirs["from"], theirs["to"]) == (anna.session, carl.session)
        store = await RedisStore.connect(redis_url, site="site")
        try:
            assert await store.ping()
        finally:
            await store.close()
        # and a direct message to nobody is refused
        await anna.send("chat", text="an niemanden", to="no-such-session")
        error = await anna.next(("error",))
        assert error["code"] == "recipient_unknown"
    finally:
        await anna.close()
        await carl.close()


async def test_capacity_stays_exact_with_joins_spread_over_three_processes(
    three: list[HubProcess],
) -> None:
    people = [Visitor(f"Gast {n}") for n in range(ENTRANCE_CAPACITY * 3)]
    try:
        answers = await asyncio.gather(
            *(
                person.enter(
                    three[n % 3].ws_url,
                    room="entrance",
                    instance=0,
                    until=("joined", "room_full"),
                )
                for n, person in enumerate(people)
            )
        )
        inside = [a for a in answers if a["t"] == "joined"]
        assert len(inside) == ENTRANCE_CAPACITY
        assert all((a["room"], a["instance"]) == ("entrance", 0) for a in inside)
        assert len({p.url for p, a in zip(people, answers, strict=True) if a["t"] == "joined"}) == 1
        assert sum(1 for a in answers if a["t"] == "room_full") == len(people) - ENTRANCE_CAPACITY
    finally:
        await asyncio.gather(*(person.close() for person in people))


async def kept_at(
    redis_url: str, resume: str, target: tuple[float, float, float], timeout_s: float = 20.0
) -> None:
    """Wait until the session's grace state in Redis has it standing at target."""
    link = RedisLink(redis_url)
    try:
        graces = GraceStates(link, RedisNames("site"))
        deadline = time.monotonic() + timeout_s
        while True:
            state = await graces.find(resume)
            at = state.position if state is not None else None
            if at is not None and abs(at[0] - target[0]) < 0.3 and abs(at[2] - target[2]) < 0.3:
                return
            assert time.monotonic() < deadline, f"the grace state stands at {at}, not {target}"
            await asyncio.sleep(0.1)
    finally:
        await link.close()


async def test_people_come_back_after_their_process_is_killed(
    two: list[HubProcess], redis_url: str
) -> None:
    first, second = two
    anna, ben = Visitor("Anna"), Visitor("Ben")
    try:
        joined = await anna.enter(first.ws_url, room="hall")
        await ben.enter(first.ws_url, room="hall")
        x, y, z = joined["pose"]["pos"]
        target = (x + 1.0, y, z + 0.5)
        for seq in range(1, 30):
            step = min(1.0, seq / 10)
            await anna.pose(seq, x + step * 1.0, y, z + step * 0.5, 0.25)
            await asyncio.sleep(0.05)
        await anna.send("chat", text="Bevor der Prozess stirbt")
        await anna.next(("chat",))
        await kept_at(redis_url, anna.resume, target)  # a round writes Anna's grace state
        session, identity = anna.session, anna.welcome["identity"]

        first.kill()
        started = time.monotonic()
        back = await anna.enter(second.ws_url, resume=anna.resume)
        took = time.monotonic() - started
        assert anna.welcome["resumed"] is True
        assert anna.session == session and anna.welcome["identity"] == identity
        assert (back["room"], back["instance"], back["via"]) == ("hall", 0, "resume")
        position = back["pose"]["pos"]
        assert abs(position[0] - target[0]) < 0.3 and abs(position[2] - target[2]) < 0.3
        assert took < 8.0
        # the room's chat came along from the store
        assert "Bevor der Prozess stirbt" in [line["text"] for line in back["chat"]]
        await ben.enter(second.ws_url, resume=ben.resume)
        assert ben.welcome["resumed"] is True
        seen = await anna.next(("presence_join",))
        assert seen["session"] == ben.session

        store = await RedisStore.connect(redis_url, site="site")
        try:
            texts = [r.text for r in await store.recent_chat("hall", 0, 50)]
        finally:
            await store.close()
        assert "Bevor der Prozess stirbt" in texts
    finally:
        await anna.close()
        await ben.close()


async def test_a_process_that_stops_hands_its_rooms_on_at_once(two: list[HubProcess]) -> None:
    first, second = two
    anna = Visitor("Anna")
    try:
        joined = await anna.enter(first.ws_url, room="hall")
        x, y, z = joined["pose"]["pos"]
        for seq in range(1, 6):
            await anna.pose(seq, x + 0.1 * seq, y, z)
            await asyncio.sleep(0.05)
        first.stop()  # SIGTERM: the states are written and the leases given back
        closing = await anna.next(("error",))
        assert closing["code"] == "server_closing"
        started = time.monotonic()
        back = await anna.enter(second.ws_url, resume=anna.resume)
        assert time.monotonic() - started < 1.0  # no lease to wait for
        assert anna.welcome["resumed"] is True and anna.redirects == []
        assert np.allclose(back["pose"]["pos"], [x + 0.5, y, z], atol=0.05)
    finally:
        await anna.close()


async def test_processes_keep_serving_through_a_redis_restart(
    private_redis: Callable[[], RedisProcess], site: tuple[Path, Path], tmp_path: Path
) -> None:
    redis = private_redis()
    hubs = start_processes(2, *site, tmp_path, redis.url)
    first, second = hubs
    anna, ben = Visitor("Anna"), Visitor("Ben")
    try:
        await anna.enter(first.ws_url, room="hall")
        await ben.enter(first.ws_url, room="hall")
        redis.stop()
        deadline = time.monotonic() + 8
        status, report = first.health()
        while status == 200 and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
            status, report = first.health()
        assert status == 503
        assert report["checks"]["cluster"]["redis"] == "unreachable"
        # the process goes on serving its room, but a chat line the store cannot keep is
        # shown to nobody: its sender is told (an acknowledgement means stored)
        await ben.send("chat", text="Redis ist weg")
        refused = await ben.next(("error",), timeout_s=15)
        assert refused["code"] == "chat_not_stored"

        redis.start()
        deadline = time.monotonic() + 10
        while status != 200 and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
            status, report = first.health()
        assert status == 200, report
        assert report["checks"]["cluster"]["outages"] >= 1
        assert "redis unreachable" in first.log() and "redis reachable again" in first.log()
        # the hall is still the first process's: a newcomer at the second is sent there
        carl = Visitor("Carl")
        try:
            await carl.enter(second.ws_url, room="hall")
            assert [r["url"] for r in carl.redirects] == [first.ws_url]
        finally:
            await carl.close()
    finally:
        await anna.close()
        await ben.close()
        for hub in hubs:
            hub.stop()


async def test_a_busy_process_lets_a_less_busy_one_open_a_free_room(
    two: list[HubProcess],
) -> None:
    first, second = two
    crowd = [Visitor(f"Gast {n}") for n in range(12)]
    newcomer = Visitor("Nora")
    try:
        await asyncio.gather(*(person.enter(first.ws_url, room="hall") for person in crowd))
        assert all(person.url == first.ws_url for person in crowd)
        await asyncio.sleep(2.2)  # the registry has everyone's session counts
        joined = await newcomer.enter(first.ws_url, room="entrance")
        assert [(r["reason"], r["url"]) for r in newcomer.redirects] == [("balance", second.ws_url)]
        assert (joined["room"], joined["instance"]) == ("entrance", 0)
        assert newcomer.url == second.ws_url
    finally:
        await asyncio.gather(*(person.close() for person in [*crowd, newcomer]))
