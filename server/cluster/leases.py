"""Room-instance leases: which process owns which room instance, recorded in Redis.

A lease is one key, ``<prefix>cluster:lease:<room>:<instance>``, holding the owner's token
``<process id>/<n>`` and expiring after ``ttl`` unless renewed. Taking one is ``SET NX PX``;
renewing is a Lua compare-and-extend, so only the holder extends it; releasing is a Lua
compare-and-delete. A process that stops renewing (it died, or cannot reach Redis) loses
its leases after ``ttl``, and the next process that needs the room takes it.

Two halves:

* ``LeaseBook`` (no I/O): the leases this process holds, their tokens, and since when
  each is confirmed; what a renewal's answers mean.
* ``LeaseStore`` (I/O): the Lua scripts. ``renew`` also restores a lease that vanished
  (a Redis restart without persistence): nobody else holds it, so the owner keeps it.

>>> book = LeaseBook("p1", ttl_s=5.0)
>>> key = InstanceKey("foyer", 0)
>>> book.took(key, book.next_token(), sent_at=10.0)
>>> book.renewed({key: RenewResult.LOST}, sent_at=11.0)
[InstanceKey(room='foyer', instance=0)]
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum
from typing import Any, cast

from server.base.redis_link import RedisLink
from server.base.redis_names import RedisNames

#: Overflow instance numbers a room may use (instance 0 is the main one).
MAX_INSTANCE = 999

# KEYS: lease. ARGV: token, ttl ms, registry key prefix, own token prefix.
# Returns {won, holder token, holder's ws url or false, lease ms left, heartbeat ms left}.
_ACQUIRE = """
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return {1, ARGV[1], false, 0, 0}
end
local holder = redis.call('GET', KEYS[1])
if string.sub(holder, 1, #ARGV[4]) == ARGV[4] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return {1, ARGV[1], false, 0, 0}
end
local registry = ARGV[3] .. (string.match(holder, '^(.*)/') or holder)
return {0, holder, redis.call('HGET', registry, 'ws_url'), redis.call('PTTL', KEYS[1]),
        redis.call('PTTL', registry)}
"""

# ARGV: key prefix of the room's leases, token, ttl ms, first, last number.
_ACQUIRE_LOWEST_FREE = """
for n = tonumber(ARGV[4]), tonumber(ARGV[5]) do
  if redis.call('SET', ARGV[1] .. n, ARGV[2], 'NX', 'PX', ARGV[3]) then return n end
end
return -1
"""

# KEYS: leases. ARGV: ttl ms, then one token per lease. 1 extended, 2 restored, 0 lost.
_RENEW = """
local out = {}
for i, key in ipairs(KEYS) do
  local token = ARGV[i + 1]
  local holder = redis.call('GET', key)
  if holder == token then
    redis.call('PEXPIRE', key, ARGV[1])
    out[i] = 1
  elseif not holder then
    redis.call('SET', key, token, 'PX', ARGV[1])
    out[i] = 2
  else
    out[i] = 0
  end
end
return out
"""

_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""

# KEYS: lease. ARGV: registry key prefix.
# Returns {holder, ws url or false, lease ms left, heartbeat ms left}.
_OWNER = """
local holder = redis.call('GET', KEYS[1])
if not holder then return false end
local registry = ARGV[1] .. (string.match(holder, '^(.*)/') or holder)
return {holder, redis.call('HGET', registry, 'ws_url'), redis.call('PTTL', KEYS[1]),
        redis.call('PTTL', registry)}
"""


@dataclass(frozen=True, order=True)
class InstanceKey:
    """One instance of one room of the world: ``foyer#0`` is the foyer's main instance."""

    room: str
    instance: int

    def __str__(self) -> str:
        return f"{self.room}#{self.instance}"

    @classmethod
    def parse(cls, text: str) -> InstanceKey:
        room, sep, number = text.rpartition("#")
        if not sep or not room or not number.isdigit():
            raise ValueError(f"{text!r} is not room#instance")
        return cls(room, int(number))


def process_of(token: str) -> str:
    """The process id in a lease token ``<process id>/<n>``."""
    return token.rpartition("/")[0] or token


@dataclass(frozen=True)
class Owner:
    """Who holds a lease: the process, its token, the realtime URL it registered (None when
    its registry entry is gone), when the lease runs out unless renewed, and when the
    owner's last heartbeat runs out (0 when gone): a heartbeat older than a couple of
    rounds means the owner has most likely stopped."""

    process_id: str
    token: str
    ws_url: str | None
    expires_in_s: float
    heartbeat_expires_in_s: float = 0.0


@dataclass
class Lease:
    """A lease this process holds; ``confirmed_at`` is when the last acquire or renewal
    that succeeded was sent (local monotonic clock): Redis keeps it at least ``ttl`` from
    then."""

    key: InstanceKey
    token: str
    confirmed_at: float


class RenewResult(IntEnum):
    LOST = 0  # someone else holds it now
    EXTENDED = 1
    RESTORED = 2  # it had vanished (Redis lost it); set again


class LeaseBook:
    """The leases of one process (no I/O)."""

    def __init__(self, process_id: str, ttl_s: float) -> None:
        if "/" in process_id:
            raise ValueError("a process id may not contain '/'")
        self.process_id = process_id
        self.ttl_s = ttl_s
        self._counter = itertools.count(1)
        self._held: dict[InstanceKey, Lease] = {}

    @property
    def token_prefix(self) -> str:
        return f"{self.process_id}/"

    def next_token(self) -> str:
        """A token no earlier lease of this process had."""
        return f"{self.token_prefix}{next(self._counter)}"

    def held(self, key: InstanceKey) -> Lease | None:
        return self._held.get(key)

    def leases(self) -> list[Lease]:
        return sorted(self._held.values(), key=lambda lease: lease.key)

    def held_keys(self) -> list[InstanceKey]:
        return sorted(self._held)

    def took(self, key: InstanceKey, token: str, sent_at: float) -> None:
        self._held[key] = Lease(key, token, sent_at)

    def dropped(self, key: InstanceKey) -> Lease | None:
        return self._held.pop(key, None)

    def renewed(
        self, results: Mapping[InstanceKey, RenewResult], sent_at: float
    ) -> list[InstanceKey]:
        """Apply a renewal's answers; returns the leases lost (and forgets them)."""
        lost = []
        for key, result in results.items():
            lease = self._held.get(key)
            if lease is None:
                continue
            if result is RenewResult.LOST:
                del self._held[key]
                lost.append(key)
            else:
                lease.confirmed_at = max(lease.confirmed_at, sent_at)
        return sorted(lost)

    def unconfirmed(self, now: float) -> list[InstanceKey]:
        """Leases whose confirmation is older than ``ttl``: Redis may have let them expire
        (renewals failing); another process could hold them by now."""
        return sorted(
            k for k, lease in self._held.items() if now - lease.confirmed_at >= self.ttl_s
        )


@dataclass(frozen=True)
class Acquired:
    """The answer to an acquire: ``won``, or who holds the lease."""

    won: bool
    token: str
    owner: Owner | None


class LeaseStore:
    """The lease scripts against one Redis (I/O)."""

    def __init__(self, link: RedisLink, names: RedisNames) -> None:
        self._link = link
        self._names = names
        register = link.client.register_script
        self._acquire = register(_ACQUIRE)
        self._acquire_lowest = register(_ACQUIRE_LOWEST_FREE)
        self._renew = register(_RENEW)
        self._release = register(_RELEASE)
        self._owner = register(_OWNER)

    def key(self, key: InstanceKey) -> str:
        return self._names.cluster("lease", key.room, str(key.instance))

    @property
    def _registry_prefix(self) -> str:
        return self._names.cluster("process", "")

    async def acquire(
        self, key: InstanceKey, token: str, ttl_s: float, own_prefix: str
    ) -> Acquired:
        """Take the lease if it is free (or an older lease of this process); otherwise
        say who holds it."""
        async with self._link.attempt():
            won, holder, url, remaining, heartbeat = await self._acquire(
                keys=[self.key(key)],
                args=[token, _ms(ttl_s), self._registry_prefix, own_prefix],
            )
        if won:
            return Acquired(True, token, None)
        owner = Owner(process_of(holder), holder, url, _seconds(remaining), _seconds(heartbeat))
        return Acquired(False, holder, owner)

    async def acquire_lowest_free(
        self, room: str, token: str, ttl_s: float, first: int = 1, last: int = MAX_INSTANCE
    ) -> int | None:
        """Take the lease of the lowest-numbered free instance of ``room`` in
        ``first..last`` (atomically: two processes never get the same number)."""
        prefix = self._names.cluster("lease", room, "")
        async with self._link.attempt():
            number = int(await self._acquire_lowest(args=[prefix, token, _ms(ttl_s), first, last]))
        return None if number < 0 else number

    async def renew(self, leases: list[Lease], ttl_s: float) -> dict[InstanceKey, RenewResult]:
        """Extend every lease in one script run."""
        if not leases:
            return {}
        async with self._link.attempt():
            answers = await self._renew(
                keys=[self.key(lease.key) for lease in leases],
                args=[_ms(ttl_s), *(lease.token for lease in leases)],
            )
        return {
            lease.key: RenewResult(int(answer))
            for lease, answer in zip(leases, answers, strict=True)
        }

    async def release(self, key: InstanceKey, token: str) -> bool:
        """Give the lease up if it is still ``token``'s."""
        async with self._link.attempt():
            return bool(await self._release(keys=[self.key(key)], args=[token]))

    async def owner(self, key: InstanceKey) -> Owner | None:
        async with self._link.attempt():
            found = await self._owner(keys=[self.key(key)], args=[self._registry_prefix])
        if not found:
            return None
        holder, url, remaining, heartbeat = cast(list[Any], found)
        token = str(holder)
        return Owner(
            process_of(token),
            token,
            None if url is None else str(url),
            _seconds(remaining),
            _seconds(heartbeat),
        )


def _ms(seconds: float) -> int:
    return max(1, round(seconds * 1000))


def _seconds(pttl: Any) -> float:
    """A PTTL answer in seconds (its -1/-2 for "no expiry"/"no key" as 0)."""
    return max(int(pttl or 0), 0) / 1000
