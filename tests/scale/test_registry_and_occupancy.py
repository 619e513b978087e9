"""The process registry (heartbeats that expire by themselves) and the hub-wide occupancy
table (published per process, merged into the room list)."""

from __future__ import annotations

import asyncio
import os
import re
from typing import Any

import pytest

from server.base.redis_link import RedisLink
from server.base.redis_names import RedisNames
from server.cluster.leases import InstanceKey
from server.cluster.occupancy import InstanceLoad, OccupancyTable, merge_rooms_summary, room_totals
from server.cluster.process_registry import ProcessInfo, ProcessRegistry, make_process_id

FOYER0 = InstanceKey("foyer", 0)
FOYER1 = InstanceKey("foyer", 1)
LAB0 = InstanceKey("lab", 0)


def test_process_ids_are_readable_safe_and_unique() -> None:
    first = make_process_id("web-1.example.org")
    assert first.startswith(f"web-1.example.org.{os.getpid()}.")
    assert make_process_id("web-1.example.org") != first
    odd = make_process_id("bad host/with:colons")
    assert re.fullmatch(r"[A-Za-z0-9._-]+", odd) and "/" not in odd


def summary() -> list[dict[str, Any]]:
    """What ``HubCore.rooms_summary()`` gives on a process that owns lab#0 only."""
    return [
        {
            "id": "foyer",
            "names": {"de": "Foyer", "en": "Foyer"},
            "kind": "foyer",
            "capacity": 24,
            "instances": [{"instance": 0, "occupancy": 0, "waiting": 0}],
        },
        {
            "id": "lab",
            "names": {"de": "Labor", "en": "Lab"},
            "kind": "lab",
            "capacity": 12,
            "instances": [{"instance": 0, "occupancy": 3, "waiting": 0}],
        },
    ]


def test_the_room_list_takes_each_instance_from_its_owner() -> None:
    remote = [
        InstanceLoad(FOYER0, 24, 2, 24, "pb"),
        InstanceLoad(FOYER1, 5, 0, 24, "pc"),
        InstanceLoad(LAB0, 9, 0, 12, "pb"),  # stale: this process owns lab#0 now
        InstanceLoad(InstanceKey("attic", 0), 1, 0, 4, "pb"),  # not in this world
    ]
    merged = merge_rooms_summary(summary(), remote, owned_here={LAB0})
    foyer, lab = merged
    assert foyer["instances"] == [
        {"instance": 0, "occupancy": 24, "waiting": 2},
        {"instance": 1, "occupancy": 5, "waiting": 0},
    ]
    assert lab["instances"] == [{"instance": 0, "occupancy": 3, "waiting": 0}]
    assert foyer["names"] == {"de": "Foyer", "en": "Foyer"} and foyer["capacity"] == 24
    assert summary()[0]["instances"] == [{"instance": 0, "occupancy": 0, "waiting": 0}]
    assert room_totals(remote) == {"foyer": 29, "lab": 9, "attic": 1}


def test_loads_are_written_and_read_in_a_compact_field() -> None:
    load = InstanceLoad(InstanceKey("werk#statt", 3), 7, 1, 24, "pa")
    assert load.field() == "7,1,24"
    assert InstanceLoad.from_field(str(load.key), load.field(), "pa") == load


@pytest.mark.scale
async def test_heartbeats_list_live_processes_and_expire(
    link: RedisLink, names: RedisNames
) -> None:
    registry = ProcessRegistry(link, names)
    a = ProcessInfo("pa", "wss://hub/ws/pa", "https://hub/", 100.0, 3, 4, ("foyer#0", "lab#0"))
    await registry.beat(a, ttl_s=0.3)
    await registry.beat(ProcessInfo("pb", "wss://hub/ws/pb"), ttl_s=5.0)
    live = await registry.live()
    assert [p.id for p in live] == ["pa", "pb"]
    assert live[0] == a
    await asyncio.sleep(0.4)
    assert [p.id for p in await registry.live()] == ["pb"]
    assert await link.client.smembers(names.cluster("processes")) == {"pb"}  # pruned
    await registry.remove("pb")
    assert await registry.live() == []


@pytest.mark.scale
async def test_occupancy_is_replaced_whole_and_goes_with_its_process(
    link: RedisLink, names: RedisNames
) -> None:
    table = OccupancyTable(link, names)
    await table.publish("pa", [InstanceLoad(FOYER0, 3, 0, 24), InstanceLoad(FOYER1, 1, 0, 24)], 5)
    await table.publish("pb", [InstanceLoad(LAB0, 2, 1, 12)], ttl_s=0.3)
    loads = await table.read(["pa", "pb", "pc"])
    assert loads == [
        InstanceLoad(FOYER0, 3, 0, 24, "pa"),
        InstanceLoad(FOYER1, 1, 0, 24, "pa"),
        InstanceLoad(LAB0, 2, 1, 12, "pb"),
    ]
    await table.publish("pa", [InstanceLoad(FOYER0, 4, 0, 24)], ttl_s=5.0)
    await link.client.hset(table.key("pa"), "garbage", "x")
    await asyncio.sleep(0.4)
    assert await table.read(["pa", "pb"]) == [InstanceLoad(FOYER0, 4, 0, 24, "pa")]
    await table.publish("pa", [], ttl_s=5.0)
    assert await table.read(["pa"]) == []
