"""The hub-wide message bus between processes: Redis pub/sub, batched.

Two kinds of channel: ``<prefix>cluster:bus:hub`` reaches every process (announcements,
the hub-wide board, moderation, room-list changes), ``<prefix>cluster:bus:to:<id>`` one
process (a direct chat message for someone it serves, a handover). Events are
``(kind, payload)`` pairs, payloads anything msgpack packs.

Posting never waits: ``post`` queues the event, and a flusher sends what has queued as
**one message per channel**, at most once per ``flush_every_s`` (a tick). That keeps the
message rate per process near the tick rate whatever the traffic: a redis-py subscriber
costs about 30-40 µs per message but little per byte (see docs/scale-out.md).

Receiving: one subscriber connection per process; each batch's events go, in order, to the
handler registered for their kind (``on``). A process does not get its own hub-wide
batches back. If Redis goes away the subscriber reconnects with backoff and subscribes
again; batches posted meanwhile are dropped and counted (pub/sub keeps nothing), which is
why nothing that must survive travels only on the bus: it goes to the store first.

* ``Outbox``, ``pack_batch``, ``unpack_batch``: the batching and the wire format (no I/O).
* ``ClusterBus``: the flusher and subscriber loops (I/O).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any, cast

import msgpack
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from server.base.redis_link import Backoff, ClusterUnavailable, RedisLink, coordination_client
from server.base.redis_names import RedisNames

log = logging.getLogger("hubtwin.cluster")

BATCH_VERSION = 1
#: How long the subscriber waits for a message before looking around (stop, reconnect).
LISTEN_POLL_S = 0.5

Handler = Callable[[str, Any], None]
"""A bus handler: called with the sending process's id and the event's payload."""


class BusMessageError(ValueError):
    """A message on a bus channel that is not a batch this program wrote."""


def pack_batch(sender: str, events: list[tuple[str, Any]]) -> bytes:
    return cast(
        bytes,
        msgpack.packb({"v": BATCH_VERSION, "from": sender, "events": [list(e) for e in events]}),
    )


def unpack_batch(data: bytes) -> tuple[str, list[tuple[str, Any]]]:
    """The sender and events of a batch; ``BusMessageError`` if it is not one."""
    try:
        raw = msgpack.unpackb(data)
    except (ValueError, msgpack.UnpackException) as exc:
        raise BusMessageError(f"not msgpack: {exc}") from None
    if not isinstance(raw, dict) or raw.get("v") != BATCH_VERSION:
        raise BusMessageError("not a bus batch of this version")
    sender, events = raw.get("from"), raw.get("events")
    if not isinstance(sender, str) or not isinstance(events, list):
        raise BusMessageError("a batch needs a sender and a list of events")
    out = []
    for event in events:
        if not isinstance(event, list) or len(event) != 2 or not isinstance(event[0], str):
            raise BusMessageError("an event is [kind, payload]")
        out.append((event[0], event[1]))
    return sender, out


class Outbox:
    """Events waiting to be sent, by channel (no I/O).

    >>> box = Outbox()
    >>> box.post("hub", "announce", {"text": "Willkommen"})
    >>> box.post("hub", "board", {"id": 3})
    >>> sorted(box.take("p1"))
    ['hub']
    """

    def __init__(self) -> None:
        self._pending: dict[str, list[tuple[str, Any]]] = {}
        self.events = 0

    def post(self, channel: str, kind: str, payload: Any) -> None:
        self._pending.setdefault(channel, []).append((kind, payload))
        self.events += 1

    def take(self, sender: str) -> dict[str, bytes]:
        """One packed batch per channel with everything posted since the last take."""
        batches = {ch: pack_batch(sender, events) for ch, events in self._pending.items()}
        self._pending.clear()
        self.events = 0
        return batches

    def __bool__(self) -> bool:
        return bool(self._pending)


class ClusterBus:
    """Batched pub/sub between the processes of one hub."""

    def __init__(
        self,
        link: RedisLink,
        names: RedisNames,
        process_id: str,
        *,
        flush_every_s: float = 0.05,
    ) -> None:
        self._link = link
        self._names = names
        self.process_id = process_id
        self.flush_every_s = flush_every_s
        self._outbox = Outbox()
        self._handlers: dict[str, Handler] = {}
        self._wake = asyncio.Event()
        self.subscribed = asyncio.Event()
        self.published = 0
        self.received = 0
        self.dropped_events = 0
        self.rejected = 0
        self.resubscribes = 0
        self._stopping = False

    @property
    def hub_channel(self) -> str:
        return self._names.cluster("bus", "hub")

    def inbox(self, process_id: str) -> str:
        return self._names.cluster("bus", "to", process_id)

    # --- posting ------------------------------------------------------------------------

    def on(self, kind: str, handler: Handler) -> None:
        """Call ``handler(sender, payload)`` for every event of ``kind`` (one per kind)."""
        self._handlers[kind] = handler

    def post(self, kind: str, payload: Any, *, to: str | None = None) -> None:
        """Queue an event for every other process (``to=None``) or for one."""
        channel = self.hub_channel if to is None else self.inbox(to)
        self._outbox.post(channel, kind, payload)
        self._wake.set()

    async def flush(self) -> int:
        """Publish what is queued, one message per channel; returns how many."""
        if not self._outbox:
            return 0
        events = self._outbox.events
        batches = self._outbox.take(self.process_id)
        try:
            async with (
                self._link.attempt(),
                self._link.client.pipeline(transaction=False) as pipe,
            ):
                for channel, data in batches.items():
                    pipe.publish(channel, data)
                await pipe.execute()
        except ClusterUnavailable:
            self.dropped_events += events
            return 0
        self.published += len(batches)
        return len(batches)

    async def run_flusher(self) -> None:
        """Flush whenever something was posted, at most once per ``flush_every_s``."""
        while not self._stopping:
            await self._wake.wait()
            self._wake.clear()
            await self.flush()
            await asyncio.sleep(self.flush_every_s)

    def stop(self) -> None:
        """Make the loops end at their next turn (cancelling them alone is not enough:
        a cancellation can be swallowed inside a redis-py read)."""
        self._stopping = True
        self._wake.set()

    # --- receiving ----------------------------------------------------------------------

    def deliver(self, data: bytes) -> int:
        """Hand a received batch's events to their handlers; returns how many."""
        try:
            sender, events = unpack_batch(data)
        except BusMessageError as exc:
            self.rejected += 1
            if self.rejected == 1 or self.rejected % 1000 == 0:
                log.warning(
                    "bus: message refused", extra={"error": str(exc), "count": self.rejected}
                )
            return 0
        if sender == self.process_id:
            return 0
        self.received += 1
        handled = 0
        for kind, payload in events:
            handler = self._handlers.get(kind)
            if handler is None:
                continue
            try:
                handler(sender, payload)
            except Exception:
                log.exception("bus: a handler failed", extra={"kind": kind, "from": sender})
            handled += 1
        return handled

    async def run_subscriber(self) -> None:
        """Listen on the hub channel and this process's inbox; reconnect when Redis goes
        away, and again after any outage the link noticed (the old connection may be
        half-dead)."""
        backoff = Backoff()
        while not self._stopping:
            client = coordination_client(self._link.url, decode=False, timeout_s=None)
            pubsub = client.pubsub()
            outages = self._link.outages
            try:
                await pubsub.subscribe(self.hub_channel, self.inbox(self.process_id))
                self.subscribed.set()
                backoff.reset()
                self._link.succeeded()
                while self._link.outages == outages and not self._stopping:
                    message = await pubsub.get_message(
                        ignore_subscribe_messages=True, timeout=LISTEN_POLL_S
                    )
                    if message is not None and message.get("type") == "message":
                        self.deliver(message["data"])
            except (RedisConnectionError, RedisTimeoutError, OSError) as exc:
                self._link.failed(exc)
            finally:
                self.subscribed.clear()
                with contextlib.suppress(Exception):
                    await pubsub.aclose()
                with contextlib.suppress(Exception):
                    await client.aclose()
            self.resubscribes += 1
            await asyncio.sleep(backoff.next())

    def health(self) -> dict[str, Any]:
        return {
            "subscribed": self.subscribed.is_set(),
            "published": self.published,
            "received": self.received,
            "dropped_events": self.dropped_events,
            "rejected": self.rejected,
            "resubscribes": self.resubscribes,
        }
