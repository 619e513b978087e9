"""Moving between processes of one hub: ``go`` and a door into a room another process owns
(redirect, same session, at the door), a room taken over while its owner was stopped
(its people redirected to the new owner), and hub-wide announcements and bans over the bus.

Real ``hubtwin serve --redis`` processes, a real redis-server, real WebSocket visitors.
"""

from __future__ import annotations

import asyncio
import collections
import json
import time
import urllib.request
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hub_processes import HubProcess, Visitor, token

from server.base.identity import Role
from server.cluster.cluster import ClusterTimings
from world.model import World, load

#: metres per pose at 20 poses a second: 4 m/s, under the speed limit
STEP_M = 0.2
DOOR_X = 30.0
HALL_SIDE_Z = 37.0
ENTRANCE_SIDE_Z = 42.0


@pytest.fixture(scope="module")
def world(site: tuple[Path, Path]) -> World:
    return load(site[1] / "hub.glb")


def route_to_door(world: World, start: list[float]) -> list[np.ndarray]:
    """Poses from ``start`` through the door into the entrance, around the furniture: a
    shortest route over a 0.2 m grid of the hall whose cells keep 0.3 m of walkable floor
    around them, then straight through the door."""
    x, y, z = start
    hall = next(room for room in world.rooms if room.id == "hall")
    low, high = np.asarray(hall.bounds_min), np.asarray(hall.bounds_max)
    xs = np.arange(low[0] + 0.4, high[0] - 0.4, STEP_M)
    zs = np.arange(low[2] + 0.4, high[2] - 0.4, STEP_M)
    gx, gz = np.meshgrid(xs, zs, indexing="ij")
    cells = np.stack([gx.ravel(), np.full(gx.size, y), gz.ravel()], axis=1)
    free = np.ones(len(cells), dtype=bool)
    for dx, dz in [(0, 0), (0.3, 0), (-0.3, 0), (0, 0.3), (0, -0.3)]:
        free &= np.asarray(world.is_walkable(cells + np.array([dx, 0.0, dz])), dtype=bool)
    free_grid = free.reshape(gx.shape)

    def nearest_free(px: float, pz: float) -> tuple[int, int]:
        distance = np.where(free_grid, np.hypot(gx - px, gz - pz), np.inf)
        i, k = np.unravel_index(int(np.argmin(distance)), distance.shape)
        return int(i), int(k)

    begin, goal = nearest_free(x, z), nearest_free(DOOR_X, HALL_SIDE_Z)
    came: dict[tuple[int, int], tuple[int, int] | None] = {begin: None}
    queue = collections.deque([begin])
    while queue and goal not in came:
        i, k = queue.popleft()
        for cell in ((i + 1, k), (i - 1, k), (i, k + 1), (i, k - 1)):
            inside = 0 <= cell[0] < gx.shape[0] and 0 <= cell[1] < gx.shape[1]
            if inside and cell not in came and free_grid[cell]:
                came[cell] = (i, k)
                queue.append(cell)
    if goal not in came:
        raise AssertionError(f"no free route from {start} to the door")
    cells_back: list[tuple[int, int]] = []
    at: tuple[int, int] | None = goal
    while at is not None:
        cells_back.append(at)
        at = came[at]
    steps = [np.array([gx[c], y, gz[c]]) for c in reversed(cells_back)]
    last = steps[-1]
    count = max(1, int(abs(ENTRANCE_SIDE_Z - last[2]) / STEP_M))
    for i in range(1, count + 1):
        steps.append(np.array([last[0], y, last[2] + (ENTRANCE_SIDE_Z - last[2]) * i / count]))
    return steps


async def test_go_into_a_room_on_another_process_redirects_with_the_same_session(
    two: list[HubProcess],
) -> None:
    first, second = two
    anna, carl = Visitor("Anna"), Visitor("Carl")
    try:
        await carl.enter(second.ws_url, room="entrance")
        await anna.enter(first.ws_url, room="hall")
        session, resume = anna.session, anna.resume
        await anna.send("go", room="entrance")
        redirect = await anna.next(("redirect",))
        assert redirect == {
            "t": "redirect",
            "url": second.ws_url,
            "room": "entrance",
            "instance": 0,
            "reason": "owner",
        }
        await anna.closed()
        joined = await anna.enter(
            redirect["url"], room=redirect["room"], instance=redirect["instance"], resume=resume
        )
        assert anna.welcome["resumed"] is True and anna.session == session
        assert (joined["room"], joined["instance"]) == ("entrance", 0)
        assert carl.session in {p["session"] for p in joined["presence"]}
        seen = await carl.next(("presence_join",))
        assert seen["session"] == session
    finally:
        await anna.close()
        await carl.close()


async def test_a_door_into_a_room_on_another_process_lands_you_behind_the_door(
    two: list[HubProcess], world: World
) -> None:
    first, second = two
    anna, carl = Visitor("Anna"), Visitor("Carl")
    try:
        await carl.enter(second.ws_url, room="entrance")
        joined = await anna.enter(first.ws_url, room="hall")
        session = anna.session
        redirect = None
        for seq, pose in enumerate(route_to_door(world, joined["pose"]["pos"]), start=1):
            await anna.pose(seq, float(pose[0]), float(pose[1]), float(pose[2]))
            await asyncio.sleep(0.05)
            fixes = [m for m in anna.messages if m["t"] == "pose_fix" and m["reason"] != "full"]
            assert not fixes, fixes
            if any(m["t"] == "redirect" for m in anna.messages):
                redirect = await anna.next(("redirect",))
                break
        assert redirect is not None, [m["t"] for m in anna.messages]
        assert (redirect["room"], redirect["url"], redirect["reason"]) == (
            "entrance",
            second.ws_url,
            "owner",
        )
        arrived = await anna.enter(
            redirect["url"], room="entrance", instance=redirect["instance"], resume=anna.resume
        )
        assert anna.session == session
        x, _, z = arrived["pose"]["pos"]
        assert abs(x - DOOR_X) < 1.0 and 40.0 <= z < 41.5  # just behind the door
    finally:
        await anna.close()
        await carl.close()


async def test_a_room_taken_over_while_its_owner_was_stopped_sends_its_people_on(
    two: list[HubProcess],
) -> None:
    first, second = two
    anna, ben = Visitor("Anna"), Visitor("Ben")
    try:
        joined = await anna.enter(first.ws_url, room="hall")
        await asyncio.sleep(1.5)  # a round writes Anna's grace state
        first.pause()
        try:
            # once the owner has been silent for a while, nobody is sent to it any more:
            # Ben's process waits for its lease to run out and takes the hall
            await asyncio.sleep(ClusterTimings().stale_after_s + 0.3)
            started = time.monotonic()
            await ben.enter(second.ws_url, room="hall")
            assert time.monotonic() - started < 4.0
            assert ben.redirects == [] and ben.unavailable == 0
        finally:
            first.carry_on()
        # the old owner finds its lease taken and sends Anna to the new owner
        redirect = await anna.next(("redirect",), timeout_s=10)
        assert (redirect["url"], redirect["room"], redirect["reason"]) == (
            second.ws_url,
            "hall",
            "moved",
        )
        back = await anna.enter(redirect["url"], room="hall", instance=0, resume=anna.resume)
        assert anna.welcome["resumed"] is True
        assert np.allclose(back["pose"]["pos"], joined["pose"]["pos"], atol=0.05)
        assert ben.session in {p["session"] for p in back["presence"]}
    finally:
        await anna.close()
        await ben.close()


async def test_announcements_and_bans_reach_every_process(two: list[HubProcess]) -> None:
    first, second = two
    dora = Visitor("Dora", token=token("Dora", Role.STAFF))
    eve_here, eve_there = Visitor("Eve"), Visitor("Eve")
    carl = Visitor("Carl")
    try:
        await dora.enter(first.ws_url, room="hall")
        await eve_here.enter(first.ws_url, room="hall")
        await carl.enter(second.ws_url, room="entrance")
        await eve_there.enter(second.ws_url, room="entrance")
        await dora.send("announce", text="Gleich geht es los", scope="hub")
        heard = await carl.next(("announcement",))
        assert (heard["text"], heard["scope"], heard["name"]) == (
            "Gleich geht es los",
            "hub",
            "Dora",
        )
        await dora.send("ban", session=eve_here.session, reason="Test")
        assert (await eve_here.next(("error",), code="banned"))["code"] == "banned"
        # Eve's other session, on the other process, ends too
        assert (await eve_there.next(("error",), code="banned"))["code"] == "banned"
        await eve_there.closed()
        # refused again: as banned, or (once the ban's revocation has arrived) her token
        with pytest.raises(AssertionError, match=r"'banned'|'token_revoked'"):
            await eve_there.enter(second.ws_url, room="entrance")
    finally:
        for person in (dora, eve_here, eve_there, carl):
            await person.close()


def _call(method: str, url: str, bearer: str, body: dict[str, object] | None = None) -> Any:
    request = urllib.request.Request(
        url,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {bearer}", "Content-Type": "application/json"},
        method=method,
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read())


async def test_a_workshop_saved_on_one_process_is_on_every_board_at_once(
    two: list[HubProcess],
) -> None:
    first, second = two
    mara = token("Mara", Role.STAFF)
    workshop = {
        "title": "Klimabilanz für Betriebsräte",
        "room": "entrance",
        "starts": "2031-05-06T10:00",
        "minutes": 60,
        "agenda": [{"title": "Ankommen", "minutes": 10}],
        "access": "open",
    }
    made = await asyncio.to_thread(_call, "POST", first.http_url + "api/workshops", mara, workshop)
    # the other process lists it long before its 30-second refresh of the store
    deadline = time.monotonic() + 3
    listed: list[str] = []
    while made["id"] not in listed and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
        found = await asyncio.to_thread(_call, "GET", second.http_url + "api/workshops", mara)
        listed = [w["id"] for w in found["workshops"]]
    assert made["id"] in listed
