"""Moderation across processes of one hub, with real ``hubtwin serve --redis`` processes, a
real redis-server and real WebSocket visitors: a mute made on one process holds when the
muted visitor chats in a room another process owns; a locked room stays locked when its
process is killed and a process started afterwards (reading the store) takes it over.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hub_processes import HubProcess, Visitor, start_processes, token

from server.base.identity import Role
from server.store.redis import RedisStore

STORED_WITHIN_S = 5.0


@pytest.fixture
def hubs(redis_url: str, site: tuple[Path, Path], tmp_path: Path) -> Iterator[list[HubProcess]]:
    """Two processes now; the test adds a third (stopped at the end with the others)."""
    started = start_processes(2, *site, tmp_path, redis_url)
    yield started
    for hub in started:
        hub.stop()


async def stored_settings(redis_url: str, room: str) -> dict[str, object]:
    """The room's settings once the store has them."""
    store = await RedisStore.connect(redis_url, site="site")
    try:
        deadline = time.monotonic() + STORED_WITHIN_S
        while time.monotonic() < deadline:
            settings = (await store.room_settings()).get(room)
            if settings is not None:
                return settings
            await asyncio.sleep(0.05)
    finally:
        await store.close()
    raise AssertionError(f"no settings of {room} stored within {STORED_WITHIN_S} s")


async def test_a_mute_holds_on_another_process_and_a_lock_survives_a_crash(
    hubs: list[HubProcess], redis_url: str, site: tuple[Path, Path], tmp_path: Path
) -> None:
    first, second = hubs
    sven = Visitor("Sven", token=token("Sven", Role.STAFF))
    dora = Visitor("Dora", token=token("Dora", Role.STAFF))
    eve, carl, fritz = Visitor("Eve"), Visitor("Carl"), Visitor("Fritz")
    try:
        await sven.enter(first.ws_url, room="entrance")
        await eve.enter(first.ws_url, room="entrance")
        await carl.enter(second.ws_url, room="hall")
        # the entrance room is on one process, the hall on the other
        assert eve.redirects == [] and carl.redirects == []

        # muted on the first process ...
        await sven.send("mute", session=eve.session, on=True)
        assert (await eve.next(("moderated",)))["action"] == "muted"
        await eve.send("chat", text="Hallo Eingang")
        await eve.next(("error",), code="chat_muted")
        # ... walks into the hall, which the second process owns ...
        await eve.send("go", room="hall")
        redirect = await eve.next(("redirect",))
        assert (redirect["url"], redirect["reason"]) == (second.ws_url, "owner")
        await eve.closed()
        resume = eve.resume
        joined = await eve.enter(redirect["url"], room="hall", instance=0, resume=resume)
        assert joined["room"] == "hall" and eve.welcome["resumed"] is True
        # ... and is still muted there: the second process refuses her chat
        assert (await eve.next(("room_rules",), muted=True))["muted_until"] is None
        await eve.send("chat", text="Hallo Halle")
        await eve.next(("error",), code="chat_muted")
        await carl.send("chat", text="Ist hier jemand?")
        assert (await carl.next(("chat",)))["text"] == "Ist hier jemand?"  # nothing of Eve's

        # the entrance room is locked on the first process, which is then killed
        await sven.send("lock", on=True)
        await sven.next(("room_rules",), locked=True)
        assert (await stored_settings(redis_url, "entrance"))["locked"] is True
        first.kill()
        # a process started afterwards reads the store and takes the room over
        place = tmp_path / "process-late"
        place.mkdir()
        third = HubProcess(*site, place, redis_url)
        hubs.append(third)
        third.start()
        third.wait_ready()
        # (sent to the dead owner while its heartbeat is fresh, she comes back, as a browser
        # does, until its lease has run out)
        await dora.enter(third.ws_url, room="entrance")
        assert dora.url == third.ws_url
        rules = await dora.next(("room_rules",))
        assert (rules["room"], rules["locked"]) == ("entrance", True)
        # a visitor is kept out of the locked room
        with pytest.raises(AssertionError, match="room_locked"):
            await fritz.enter(third.ws_url, room="entrance")
    finally:
        for person in (sven, dora, eve, carl, fritz):
            await person.close()
