"""The coordination connection to Redis, and whether Redis answers.

Every coordination command goes through ``RedisLink.attempt()``: a command that fails
because Redis is down, unreachable or too slow marks the link down (logged once, with the
reason) and raises ``ClusterUnavailable``; the next command that succeeds marks it up again
(logged with how long it was down). Commands fail fast (one-second timeout, no retries
inside redis-py): the callers are background loops that retry on their own with
``Backoff``, and a hub process keeps serving its own rooms meanwhile.

>>> link = RedisLink("redis://127.0.0.1:6379/0")        # doctest: +SKIP
>>> async with link.attempt():                          # doctest: +SKIP
...     await link.client.ping()
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import redis.asyncio as aioredis
from redis.asyncio.connection import BlockingConnectionPool
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from world.errors import HubError

log = logging.getLogger("hubtwin.cluster")

#: How long one coordination command may take before Redis counts as unreachable.
COMMAND_TIMEOUT_S = 1.0
#: Connections per client; commands beyond that wait for a free one, up to POOL_WAIT_S
#: (a burst of commands is not an outage: this is longer than the command timeout).
POOL_SIZE = 8
POOL_WAIT_S = 5.0


class ClusterUnavailable(HubError):
    """Redis did not answer a coordination command (a process that cannot join its hub at
    start refuses to start with this message)."""


def safe_url(url: str) -> str:
    """``url`` with any password replaced by ``***``, for logs and health output."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


class Backoff:
    """Waits between reconnection attempts: doubling from ``first_s`` up to ``cap_s``, each
    drawn between half and all of that (so processes do not retry in step).

    >>> backoff = Backoff(first_s=0.1, cap_s=1.0, rng=random.Random(1))
    >>> [round(backoff.next(), 2) for _ in range(6)]
    [0.06, 0.18, 0.35, 0.5, 0.75, 0.72]
    """

    def __init__(
        self, first_s: float = 0.1, cap_s: float = 5.0, rng: random.Random | None = None
    ) -> None:
        self.first_s = first_s
        self.cap_s = cap_s
        self._rng = rng or random.Random()
        self._failures = 0

    def next(self) -> float:
        """The wait before the next attempt (each call counts one more failure)."""
        ceiling = min(self.cap_s, self.first_s * 2**self._failures)
        self._failures = min(self._failures + 1, 30)
        return ceiling * self._rng.uniform(0.5, 1.0)

    def reset(self) -> None:
        self._failures = 0


def coordination_client(url: str, *, decode: bool, timeout_s: float | None) -> aioredis.Redis:
    """A redis-py client that fails fast (no retries, short timeouts) and keeps at most
    ``POOL_SIZE`` connections: a burst of commands waits for a free one instead of opening
    a connection each."""
    try:
        pool = BlockingConnectionPool.from_url(
            url,
            max_connections=POOL_SIZE,
            timeout=POOL_WAIT_S,
            decode_responses=decode,
            socket_timeout=timeout_s,
            socket_connect_timeout=COMMAND_TIMEOUT_S,
            retry=Retry(NoBackoff(), 0),
        )
    except ValueError as exc:
        raise ValueError(f"{safe_url(url)}: not a Redis URL: {exc}") from None
    return aioredis.Redis.from_pool(pool)


class RedisLink:
    """One coordination connection pool, and the state of Redis as this process sees it."""

    def __init__(
        self,
        url: str,
        *,
        timeout_s: float = COMMAND_TIMEOUT_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = url
        self.client = coordination_client(url, decode=True, timeout_s=timeout_s)
        #: the same Redis, replies as bytes (packed values)
        self.raw = coordination_client(url, decode=False, timeout_s=timeout_s)
        self._clock = clock
        self.up = True
        self.down_since: float | None = None
        self.outages = 0
        self.last_error = ""
        self.last_outage_s = 0.0

    @asynccontextmanager
    async def attempt(self) -> AsyncIterator[None]:
        """Run Redis commands; a connection failure marks the link down and raises
        ``ClusterUnavailable``, success marks it up."""
        try:
            yield
        except (RedisConnectionError, RedisTimeoutError, OSError) as exc:
            self.failed(exc)
            reason = str(exc) or type(exc).__name__
            raise ClusterUnavailable(
                f"{safe_url(self.url)}: Redis is not answering: {reason}"
            ) from None
        self.succeeded()

    def failed(self, exc: BaseException) -> None:
        self.last_error = f"{type(exc).__name__}: {exc}"[:300]
        if self.up:
            self.up = False
            self.down_since = self._clock()
            self.outages += 1
            log.warning(
                "redis unreachable: serving own rooms only until it returns",
                extra={"redis": safe_url(self.url), "error": self.last_error},
            )

    def succeeded(self) -> None:
        if not self.up:
            self.last_outage_s = self._clock() - (self.down_since or self._clock())
            self.up = True
            self.down_since = None
            log.info(
                "redis reachable again",
                extra={"redis": safe_url(self.url), "down_s": round(self.last_outage_s, 2)},
            )

    def health(self) -> dict[str, Any]:
        down_for = None if self.down_since is None else self._clock() - self.down_since
        return {
            "redis": "ok" if self.up else "unreachable",
            "url": safe_url(self.url),
            "down_for_s": None if down_for is None else round(down_for, 2),
            "outages": self.outages,
            "last_outage_s": round(self.last_outage_s, 2),
            "last_error": self.last_error or None,
        }

    async def close(self) -> None:
        await self.client.aclose()
        await self.raw.aclose()
