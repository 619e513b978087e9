"""The workshop board with two real ``hubtwin serve --redis`` processes and a real
redis-server: the process that owns the workshop's room decides (people reaching the other
process are sent there); erasing one's data through the other process takes the notes and
dots off the running board too (the ``board_forget`` event); and when the owner is killed
(SIGKILL), the process that takes the room over goes on with the board as kept: its notes,
authors, dots and settings, and new notes get new ids.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hub_processes import HubProcess, Visitor, led_by_sven, processes_after_planning, token
from test_polls_cluster import delete_me

from server.base.identity import Role
from server.base.live_state import BOARD
from server.domain.workshops import AgendaItem
from server.store.redis import RedisStore

WORKSHOP_ID = "w-board"
STORED_WITHIN_S = 10.0


@pytest.fixture
def hubs(redis_url: str, site: tuple[Path, Path], tmp_path: Path) -> Iterator[list[HubProcess]]:
    """Two processes, started after the workshop was planned."""
    agenda = (AgendaItem("Maßnahmen", 30),)
    workshop = led_by_sven(WORKSHOP_ID, "Grüner Aktionsplan", "hall", agenda=agenda)
    with processes_after_planning(workshop, redis_url, site, tmp_path) as started:
        yield started


async def kept(redis_url: str, ready: Any) -> dict[str, Any]:
    store = await RedisStore.connect(redis_url, site="site")
    try:
        deadline = time.monotonic() + STORED_WITHIN_S
        while time.monotonic() < deadline:
            found = await store.live_states(BOARD)
            if WORKSHOP_ID in found and ready(found[WORKSHOP_ID]):
                return dict(found[WORKSHOP_ID])
            await asyncio.sleep(0.1)
    finally:
        await store.close()
    raise AssertionError("the board was not kept as expected")


async def board(
    person: Visitor, ready: Any, shown: dict[str, Any] | None = None, timeout_s: float = 15
) -> dict[str, Any]:
    """The board as the person has it (``shown`` so far) once ``ready(board)`` holds
    (board_state, then the board_note changes applied)."""
    while True:
        message = await person.next(("board_state", "board_note"), timeout_s=timeout_s)
        if message["t"] == "board_state":
            shown = message["board"]
        elif shown is not None:
            notes = [n for n in shown["notes"] if n["id"] != message["id"]]
            if message["note"] is not None:
                notes.insert(message["index"], message["note"])
            shown["notes"] = notes
        if shown is not None and ready(shown):
            return shown


def texts(shown: dict[str, Any]) -> list[tuple[str, int]]:
    return [(n["text"], n["dots"]) for n in shown["notes"]]


async def test_the_owner_decides_erasure_reaches_it_and_a_takeover_goes_on(
    hubs: list[HubProcess], redis_url: str
) -> None:
    sven = Visitor("Sven", token=token("Sven", Role.STAFF))
    ina, olga = Visitor("Ina"), Visitor("Olga")
    people = (sven, ina, olga)
    try:
        await sven.enter(hubs[0].ws_url, room="hall")
        owner = next(h for h in hubs if h.ws_url == sven.url)
        other = next(h for h in hubs if h is not owner)
        for _ in range(100):  # the process reads the workshop at start or on its refresh
            await sven.send("workshop_start", workshop=WORKSHOP_ID)
            if (await sven.next(("workshop_state", "error")))["t"] == "workshop_state":
                break
            await asyncio.sleep(0.5)
        for person in (ina, olga):  # through the other process: sent to the owner
            await person.enter(other.ws_url, room="hall")
            assert person.url == owner.ws_url
        await sven.send("board_setup", dots=2, columns=["Ideen", "Maßnahmen"])
        await ina.send("board_add", column=0, text="LED-Hallenlicht")
        await board(ina, lambda b: len(b["notes"]) == 1 and b["dots"] == 2)
        await olga.send("board_add", column=1, text="Jobrad")
        shown = await board(olga, lambda b: len(b["notes"]) == 2 and b["dots"] == 2)
        ina_note, olga_note = (n["id"] for n in shown["notes"])
        await olga.send("board_vote", note=ina_note, on=True)
        await ina.send("board_vote", note=olga_note, on=True)
        await board(sven, lambda b: texts(b) == [("LED-Hallenlicht", 1), ("Jobrad", 1)])

        # Olga erases her data through the other process: the owner drops her note and dot
        assert await asyncio.to_thread(delete_me, other, olga.token) == 200
        await board(sven, lambda b: texts(b) == [("LED-Hallenlicht", 0)])
        # kept as it is after the erasure: two notes were made, one is left (a copy kept
        # before Olga's note came would look the same but for the count)
        await kept(
            redis_url,
            lambda d: (
                [n["text"] for n in d["boards"]["-1"]] == ["LED-Hallenlicht"]
                and d["next_note"] == 3
            ),
        )

        owner.kill()
        for person in people:
            await person.close()
        # the other process takes the room over and goes on with the board as kept
        await ina.enter(other.ws_url, room="hall")
        assert ina.url == other.ws_url
        # (the workshop resumes once the room's lease is taken over: allow for it)
        shown = await board(ina, lambda b: True, timeout_s=45)
        assert (shown["columns"], shown["dots"], shown["dots_left"]) == (
            ["Ideen", "Maßnahmen"],
            2,
            2,
        )
        assert [(n["id"], n["text"], n["mine"], n["dots"]) for n in shown["notes"]] == [
            (ina_note, "LED-Hallenlicht", True, 0)
        ]
        await ina.send("board_add", column=1, text="Solardach")
        shown = await board(ina, lambda b: len(b["notes"]) == 2, shown)
        assert shown["notes"][1]["id"] not in (ina_note, olga_note)
        await kept(redis_url, lambda d: len(d["boards"]["-1"]) == 2)
    finally:
        for person in people:
            await person.close()
