"""One text per live hub process in Redis, written by its process and read by the others:
what "people to meet" (``server/features/people/presence.py``) and the consulting desks
(``server/features/consulting/cluster_side.py``) share across processes.

Each process keeps one key, ``<prefix>cluster:<name>:<process id>``, expiring with the
process's heartbeat (``process_ttl_s``). Once per maintenance round it is written again
only if the text changed, otherwise only its expiry is renewed: one command a second per
process, however much the text holds. Reading is on demand: the other live processes'
texts in one ``MGET``, at most a round old. A process that stops leaves the registry, so
its text drops out at once; one that dies drops out when its key expires.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import cast

from server.base.redis_link import Backoff, ClusterUnavailable
from server.cluster.cluster import Cluster


class ProcessTexts:
    """This process's text (``text()``) published under ``name``; the others' read back."""

    def __init__(self, cluster: Cluster, name: str, text: Callable[[], str]) -> None:
        self.cluster = cluster
        self.name = name
        self.text = text
        self._written = ""
        self.writes = 0

    def key(self, process_id: str) -> str:
        return self.cluster.names.cluster(self.name, process_id)

    async def publish(self) -> None:
        """Write this process's text if it changed since the last write, else renew it."""
        link = self.cluster.link
        text = self.text()
        ttl_ms = max(1, round(self.cluster.timings.process_ttl_s * 1000))
        key = self.key(self.cluster.process_id)
        async with link.attempt():
            if text != self._written or not await link.client.pexpire(key, ttl_ms):
                await link.client.set(key, text, px=ttl_ms)
                self._written = text
                self.writes += 1

    async def run(self) -> None:
        """Publish once per maintenance round until cancelled; retry when Redis is away."""
        backoff = Backoff(first_s=0.1, cap_s=max(self.cluster.timings.round_every_s, 0.2))
        while True:
            try:
                await self.publish()
                backoff.reset()
                await asyncio.sleep(self.cluster.timings.round_every_s)
            except ClusterUnavailable:
                self._written = ""
                await asyncio.sleep(backoff.next())

    async def others(self) -> list[str]:
        """The other live processes' texts as last written (none while Redis is away)."""
        return list((await self.by_process()).values())

    async def by_process(self) -> dict[str, str]:
        """The other live processes' texts by process id (none while Redis is away)."""
        others = [p.id for p in self.cluster.processes() if p.id != self.cluster.process_id]
        if not others:
            return {}
        link = self.cluster.link
        try:
            async with link.attempt():
                texts = cast(
                    list[str | None], await link.client.mget([self.key(p) for p in others])
                )
        except ClusterUnavailable:
            return {}
        return {p: t for p, t in zip(others, texts, strict=True) if t is not None}
