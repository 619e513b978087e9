"""The processes of a hub: who is alive, where browsers reach each, what each serves.

Each process keeps one hash, ``<prefix>cluster:process:<id>``, that it rewrites on every
heartbeat and that expires ``ttl`` after the last one: a process that dies drops out of
the registry by itself, judged by Redis's clock alone. ``<prefix>cluster:processes`` is a
set of ids to find the hashes; ids whose hash has expired are pruned when listed.

>>> registry = ProcessRegistry(link, names)                    # doctest: +SKIP
>>> await registry.beat(ProcessInfo(make_process_id(), "wss://hub/ws/p1"), ttl_s=5.0)
"""

from __future__ import annotations

import os
import re
import secrets
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import cast

from server.base.redis_link import RedisLink
from server.base.redis_names import RedisNames

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def make_process_id(hostname: str | None = None) -> str:
    """A new process id: ``<host>.<pid>.<random>``, readable in logs, unique per start."""
    host = _UNSAFE.sub("-", hostname or socket.gethostname())[:40] or "host"
    return f"{host}.{os.getpid()}.{secrets.token_hex(3)}"


@dataclass(frozen=True)
class ProcessInfo:
    """What a process tells the others about itself."""

    id: str
    ws_url: str
    http_url: str = ""
    started_at: float = field(default_factory=time.time)
    clients: int = 0
    sessions: int = 0
    instances: tuple[str, ...] = ()

    def fields(self) -> dict[str, str]:
        return {
            "id": self.id,
            "ws_url": self.ws_url,
            "http_url": self.http_url,
            "started_at": repr(self.started_at),
            "clients": str(self.clients),
            "sessions": str(self.sessions),
            "instances": ",".join(self.instances),
            "beat_at": repr(time.time()),
        }

    @classmethod
    def from_fields(cls, found: dict[str, str]) -> ProcessInfo:
        return cls(
            id=found["id"],
            ws_url=found.get("ws_url", ""),
            http_url=found.get("http_url", ""),
            started_at=float(found.get("started_at", "0")),
            clients=int(found.get("clients", "0")),
            sessions=int(found.get("sessions", "0")),
            instances=tuple(i for i in found.get("instances", "").split(",") if i),
        )


class ProcessRegistry:
    """Heartbeats in, the live processes out (I/O)."""

    def __init__(self, link: RedisLink, names: RedisNames) -> None:
        self._link = link
        self._names = names

    def key(self, process_id: str) -> str:
        return self._names.cluster("process", process_id)

    @property
    def _index(self) -> str:
        return self._names.cluster("processes")

    async def beat(self, info: ProcessInfo, ttl_s: float) -> None:
        """Say this process is alive (for ``ttl_s`` more seconds) and what it serves."""
        key = self.key(info.id)
        async with self._link.attempt(), self._link.client.pipeline(transaction=True) as pipe:
            pipe.delete(key)
            pipe.hset(key, items=[text for pair in info.fields().items() for text in pair])
            pipe.pexpire(key, max(1, round(ttl_s * 1000)))
            pipe.sadd(self._index, info.id)
            await pipe.execute()

    async def remove(self, process_id: str) -> None:
        async with self._link.attempt(), self._link.client.pipeline(transaction=True) as pipe:
            pipe.delete(self.key(process_id))
            pipe.srem(self._index, process_id)
            await pipe.execute()

    async def live(self) -> list[ProcessInfo]:
        """Every process whose heartbeat has not run out, by id."""
        async with self._link.attempt():
            ids = sorted(cast(set[str], await self._link.client.smembers(self._index)))
            found = await self._hashes(ids)
            gone = [pid for pid, fields in zip(ids, found, strict=True) if not fields]
            if gone:
                await self._link.client.srem(self._index, *gone)
        return [ProcessInfo.from_fields(fields) for fields in found if fields]

    async def _hashes(self, ids: Sequence[str]) -> list[dict[str, str]]:
        async with self._link.client.pipeline(transaction=False) as pipe:
            for process_id in ids:
                pipe.hgetall(self.key(process_id))
            return cast(list[dict[str, str]], await pipe.execute())
