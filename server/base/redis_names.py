"""Names in Redis: the key and channel prefix of a hub, and safe key parts.

Every key of a hub starts with ``hubtwin:<site>:``, so several sites can share one Redis.
The persistent store lives under ``<prefix>store:`` and the coordination of processes
under ``<prefix>cluster:``; an operator can tell them apart in ``redis-cli --scan``.

Parts that come from outside (usernames, room, station and identity ids) are quoted with
``part`` so that a ``:`` inside one can never make two different records share a key:

>>> part("a:b")
'a%3Ab'
>>> RedisNames("oekohub-dortmund").store("identity", "g-1")
'hubtwin:oekohub-dortmund:store:identity:g-1'
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property


def part(text: str) -> str:
    """``text`` usable as one part of a key: ``%`` and ``:`` escaped, nothing else."""
    return text.replace("%", "%25").replace(":", "%3A")


@dataclass(frozen=True)
class RedisNames:
    """The keys and channels of one hub (one site) in a shared Redis."""

    site: str

    def __post_init__(self) -> None:
        if not self.site:
            raise ValueError("the Redis key prefix needs a site name")

    @cached_property
    def prefix(self) -> str:
        return f"hubtwin:{part(self.site)}:"

    def store(self, *parts: str) -> str:
        """A key of the persistent store; each of ``parts`` is quoted."""
        return self.prefix + "store:" + ":".join(part(p) for p in parts)

    def cluster(self, *parts: str) -> str:
        """A key or channel of the process coordination; each of ``parts`` is quoted."""
        return self.prefix + "cluster:" + ":".join(part(p) for p in parts)
