"""The hub-wide occupancy table: how full every room instance is, whichever process owns it.

Each process publishes the loads of the instances it owns into its own hash,
``<prefix>cluster:occupancy:<process id>`` (field ``room#instance``, value
``occupancy,waiting,capacity``), replaced whole and expiring with the process's heartbeat,
so a dead process's rooms drop out by themselves. Readers merge the hashes of the live
processes. ``merge_rooms_summary`` (no I/O) lays the remote loads over a process's own
``HubCore.rooms_summary()``, which is what the room list sent to browsers is made from.

Occupancy here is for showing and choosing (room lists, presence counts, which overflow
instance to suggest). Admission is not decided from it: only the owner of an instance
admits into it, in one step (``RoomInstance.admit``), so capacity stays exact however
stale this table is.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from server.base.redis_link import RedisLink
from server.base.redis_names import RedisNames
from server.cluster.leases import InstanceKey


@dataclass(frozen=True)
class InstanceLoad:
    """How full one room instance is, and which process owns it."""

    key: InstanceKey
    occupancy: int
    waiting: int
    capacity: int
    process_id: str = ""

    def field(self) -> str:
        return f"{self.occupancy},{self.waiting},{self.capacity}"

    @classmethod
    def from_field(cls, name: str, value: str, process_id: str) -> InstanceLoad:
        occupancy, waiting, capacity = (int(v) for v in value.split(","))
        return cls(InstanceKey.parse(name), occupancy, waiting, capacity, process_id)


def merge_rooms_summary(
    local: Sequence[dict[str, Any]],
    remote: Iterable[InstanceLoad],
    owned_here: Collection[InstanceKey],
) -> list[dict[str, Any]]:
    """The room list of the whole hub: ``local`` (``HubCore.rooms_summary()`` of this
    process) with each instance this process does not own replaced by its owner's load,
    and instances that exist only elsewhere added. Instances are sorted by number; an
    instance nobody owns keeps this process's (idle) entry."""
    by_room: dict[str, dict[int, dict[str, int]]] = {}
    for load in remote:
        if load.key not in owned_here:
            by_room.setdefault(load.key.room, {})[load.key.instance] = {
                "instance": load.key.instance,
                "occupancy": load.occupancy,
                "waiting": load.waiting,
            }
    merged = []
    for room in local:
        instances = {entry["instance"]: entry for entry in room["instances"]}
        for number, entry in by_room.get(room["id"], {}).items():
            instances[number] = entry
        merged.append({**room, "instances": [instances[n] for n in sorted(instances)]})
    return merged


def room_totals(loads: Iterable[InstanceLoad]) -> dict[str, int]:
    """People per room across all its instances (presence counts)."""
    totals: dict[str, int] = {}
    for load in loads:
        totals[load.key.room] = totals.get(load.key.room, 0) + load.occupancy
    return totals


class OccupancyTable:
    """Publishing this process's loads and reading everyone's (I/O)."""

    def __init__(self, link: RedisLink, names: RedisNames) -> None:
        self._link = link
        self._names = names

    def key(self, process_id: str) -> str:
        return self._names.cluster("occupancy", process_id)

    async def publish(self, process_id: str, loads: Iterable[InstanceLoad], ttl_s: float) -> None:
        """Replace this process's loads (all of them, in one transaction)."""
        key = self.key(process_id)
        mapping = {str(load.key): load.field() for load in loads}
        async with self._link.attempt(), self._link.client.pipeline(transaction=True) as pipe:
            pipe.delete(key)
            if mapping:
                pipe.hset(key, items=[text for pair in mapping.items() for text in pair])
                pipe.pexpire(key, max(1, round(ttl_s * 1000)))
            await pipe.execute()

    async def read(self, process_ids: Iterable[str]) -> list[InstanceLoad]:
        """The loads published by ``process_ids`` (sorted by instance)."""
        ids = list(process_ids)
        async with self._link.attempt(), self._link.client.pipeline(transaction=False) as pipe:
            for process_id in ids:
                pipe.hgetall(self.key(process_id))
            found = cast(list[dict[str, str]], await pipe.execute())
        loads = []
        for process_id, fields in zip(ids, found, strict=True):
            for name, value in fields.items():
                try:
                    loads.append(InstanceLoad.from_field(name, value, process_id))
                except ValueError:
                    continue  # written by something else than a hub process: not ours
        return sorted(loads, key=lambda load: load.key)
