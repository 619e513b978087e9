"""An acknowledged chat message is a stored one, even when the hub process dies.

A real ``hubtwin serve`` (on its own SQLite file, or with ``--redis``), many visitors in one
room each sending their whole chat burst at once; as soon as the first acknowledgements
(the senders' own copies) come back, while the rest of the burst is still on its way to the
store, the process gets SIGKILL. After a restart on the same database every message any
sender saw acknowledged is there. Several rounds, so the kill lands at different points.
And with ``--redis``, a message Redis cannot keep (it has stopped) is an error for its
sender, not an acknowledgement.
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any

import pytest
from hub_processes import HubProcess, Visitor
from websockets.exceptions import ConnectionClosed

from server.protocol.table import CHAT_BURST
from server.store.redis import RedisStore
from server.store.sqlite import Store

PEOPLE = 100
ROUNDS = 3
#: the kill comes once this many acknowledgements are in
KILL_AFTER = 1
#: a restart on a busy machine may take longer than the usual start
STARTING_S = 120.0


async def stored_ids(hub: HubProcess, instances: set[int]) -> set[str]:
    """The ids of every message in those instances of the hall (a restarted process may
    have opened another one while the dead one's lease ran out), read from the database."""
    store: Store | RedisStore = (
        await RedisStore.connect(hub.redis_url, site=hub.site.name)
        if hub.redis_url
        else await Store.open(hub.folder / "data" / "hub.sqlite3")
    )
    try:
        return {r.id for n in instances for r in await store.recent_chat("hall", n, -1)}
    finally:
        await store.close()


def acknowledged(person: Visitor) -> dict[str, int]:
    """The person's own messages that came back to them: id -> room instance."""
    return {
        m["id"]: m["instance"]
        for m in person.messages
        if m.get("t") == "chat" and m.get("from") == person.welcome["session"]
    }


async def acknowledgements(people: list[Visitor], count: int) -> None:
    """Return once the people have at least ``count`` acknowledgements between them."""
    while True:
        for person in people:
            person._arrived.clear()
        if sum(len(acknowledged(p)) for p in people) >= count:
            return
        waits = [asyncio.create_task(p._arrived.wait()) for p in people]
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for wait in waits:
                wait.cancel()


async def burst_and_kill(hub: HubProcess, round_number: int) -> tuple[dict[str, int], int]:
    """Everyone sends a full burst; SIGKILL as the first acknowledgements arrive. The ids
    acknowledged before the process died, and how many messages were sent."""
    people = [Visitor(f"r{round_number}-p{n}") for n in range(PEOPLE)]
    await asyncio.gather(*(person.enter(hub.ws_url, room="hall") for person in people))

    async def kill_once_acknowledged() -> None:
        await acknowledgements(people, KILL_AFTER)
        hub.kill()

    killer = asyncio.create_task(kill_once_acknowledged())
    sent = 0
    with contextlib.suppress(ConnectionClosed):
        for k in range(CHAT_BURST):
            for person in people:
                await person.send("chat", text=f"{person.name}: {k}")
                sent += 1
    await asyncio.wait_for(killer, 30)
    # what was already on its way to the clients still arrives; then the connections end
    for person in people:
        if person._reader is not None:
            await asyncio.wait_for(person._reader, 30)
    acked = {k: v for p in people for k, v in acknowledged(p).items()}
    for person in people:
        await person.close()
    return acked, sent


@pytest.mark.parametrize("backend", ["sqlite", "redis"])
async def test_every_acknowledged_message_survives_a_kill(
    backend: str, request: pytest.FixtureRequest, site: tuple[Path, Path], tmp_path: Path
) -> None:
    redis_url = request.getfixturevalue("redis_url") if backend == "redis" else ""
    hub = HubProcess(*site, tmp_path, redis_url)
    try:
        all_acked: dict[str, int] = {}
        for round_number in range(ROUNDS):
            hub.start()
            hub.wait_ready(STARTING_S)
            acked, sent = await burst_and_kill(hub, round_number)
            assert KILL_AFTER <= len(acked) <= sent
            all_acked.update(acked)
            hub.start()  # the restart, on the same database
            hub.wait_ready(STARTING_S)
            missing = all_acked.keys() - await stored_ids(hub, set(all_acked.values()))
            assert not missing, f"round {round_number}: {len(missing)} acknowledged, not stored"
            hub.kill()
    finally:
        hub.stop()


async def test_a_message_redis_cannot_keep_is_an_error_for_its_sender(
    private_redis: Any, site: tuple[Path, Path], tmp_path: Path
) -> None:
    redis = private_redis()
    hub = HubProcess(*site, tmp_path, redis.url)
    hub.start()
    hub.wait_ready(STARTING_S)
    ada, bob = Visitor("ada"), Visitor("bob")
    try:
        await ada.enter(hub.ws_url, room="hall")
        await bob.enter(hub.ws_url, room="hall")
        await ada.send("chat", text="vorher")
        assert (await ada.next(("chat",)))["text"] == "vorher"
        assert (await bob.next(("chat",)))["text"] == "vorher"
        redis.stop()
        await ada.send("chat", text="Ist Redis noch da?")
        refused = await ada.next(("chat", "error"), timeout_s=30)
        assert refused["t"] == "error" and refused["code"] == "chat_not_stored", refused
        assert refused["about"] == "chat"
        assert not [m for m in bob.messages if m.get("t") == "chat"]
    finally:
        await ada.close()
        await bob.close()
        hub.stop()
