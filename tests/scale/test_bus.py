"""The batched pub/sub bus: the wire format and batching (no I/O), then three buses on a
real redis-server: one message per channel per flush, hub-wide and direct delivery, no
echo, bad messages refused, and resubscribing after Redis restarts."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import msgpack
import pytest
from redis_process import RedisProcess

from server.base.redis_link import RedisLink
from server.base.redis_names import RedisNames
from server.cluster.bus import BusMessageError, ClusterBus, Outbox, pack_batch, unpack_batch


def test_a_batch_unpacks_to_what_was_packed() -> None:
    events = [("announce", {"text": "Willkommen 👋"}), ("kick", "g-1"), ("board", None)]
    assert unpack_batch(pack_batch("pa", events)) == ("pa", events)


@pytest.mark.parametrize(
    "data",
    [
        b"\xc1",
        msgpack.packb("hello"),
        msgpack.packb({"v": 99, "from": "pa", "events": []}),
        msgpack.packb({"v": 1, "from": 3, "events": []}),
        msgpack.packb({"v": 1, "from": "pa", "events": [["kind"]]}),
        msgpack.packb({"v": 1, "from": "pa", "events": [[1, 2]]}),
    ],
)
def test_what_is_not_a_batch_is_refused(data: bytes) -> None:
    with pytest.raises(BusMessageError):
        unpack_batch(data)


def test_the_outbox_makes_one_batch_per_channel() -> None:
    box = Outbox()
    assert not box and box.take("pa") == {}
    for n in range(50):
        box.post("hub", "presence", n)
    box.post("to:pb", "chat", "hallo")
    batches = box.take("pa")
    assert sorted(batches) == ["hub", "to:pb"]
    assert unpack_batch(batches["hub"])[1] == [("presence", n) for n in range(50)]
    assert not box and box.events == 0


class Node:
    """A bus and the events it handed to its handlers."""

    def __init__(self, url: str, names: RedisNames, process_id: str) -> None:
        self.link = RedisLink(url)
        self.bus = ClusterBus(self.link, names, process_id, flush_every_s=0.02)
        self.got: list[tuple[str, str, Any]] = []
        for kind in ("announce", "chat", "board"):
            self.bus.on(kind, self._recorder(kind))
        self.tasks = [
            asyncio.create_task(self.bus.run_subscriber()),
            asyncio.create_task(self.bus.run_flusher()),
        ]

    def _recorder(self, kind: str) -> Callable[[str, Any], None]:
        return lambda sender, payload: self.got.append((kind, sender, payload))

    async def close(self) -> None:
        self.bus.stop()
        for task in self.tasks:
            task.cancel()
        await asyncio.wait(self.tasks, timeout=3.0)
        assert all(task.done() for task in self.tasks)
        await self.link.close()


async def until(check: Callable[[], bool], timeout_s: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)


async def published(pubsub: Any, window_s: float) -> list[tuple[str, list[Any]]]:
    """The batches a raw subscriber sees within ``window_s``."""
    seen = []
    deadline = asyncio.get_running_loop().time() + window_s
    while asyncio.get_running_loop().time() < deadline:
        message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.05)
        if message is not None:
            seen.append(unpack_batch(message["data"]))
    return seen


@pytest.fixture
async def nodes(redis_url: str, names: RedisNames) -> AsyncIterator[list[Node]]:
    made = [Node(redis_url, names, pid) for pid in ("pa", "pb", "pc")]
    for node in made:
        await asyncio.wait_for(node.bus.subscribed.wait(), 5)
    yield made
    for node in made:
        await node.close()


@pytest.mark.scale
async def test_hub_events_reach_every_other_process_in_order(nodes: list[Node]) -> None:
    a, b, c = nodes
    for n in range(5):
        a.bus.post("announce", {"n": n})
    await until(lambda: len(b.got) == 5 and len(c.got) == 5)
    assert b.got == [("announce", "pa", {"n": n}) for n in range(5)]
    assert c.got == b.got
    await asyncio.sleep(0.1)
    assert a.got == []  # no echo


@pytest.mark.scale
async def test_a_direct_event_reaches_only_its_process(nodes: list[Node]) -> None:
    a, b, c = nodes
    a.bus.post("chat", {"to": "s-9", "text": "hallo"}, to="pc")
    await until(lambda: len(c.got) == 1)
    assert c.got == [("chat", "pa", {"to": "s-9", "text": "hallo"})]
    await asyncio.sleep(0.1)
    assert b.got == [] and a.got == []


@pytest.mark.scale
async def test_a_burst_goes_out_as_one_message_per_channel(
    nodes: list[Node], redis_url: str, names: RedisNames
) -> None:
    a, b, c = nodes
    listener = RedisLink(redis_url)
    pubsub = listener.raw.pubsub()
    await pubsub.subscribe(a.bus.hub_channel, a.bus.inbox("pb"))
    try:
        await a.bus.flush()
        for n in range(200):
            a.bus.post("board", n)
        a.bus.post("chat", "direct", to="pb")
        assert await a.bus.flush() == 2
        seen = await published(pubsub, 0.5)
        assert len(seen) == 2
        assert sorted(len(events) for _, events in seen) == [1, 200]
        await until(lambda: len(b.got) == 201 and len(c.got) == 200)
    finally:
        await pubsub.aclose()
        await listener.close()


@pytest.mark.scale
async def test_the_flusher_batches_what_a_tick_posts(nodes: list[Node]) -> None:
    a, b, _ = nodes
    before = a.bus.published
    for n in range(100):
        a.bus.post("board", n)
        if n % 25 == 24:
            await asyncio.sleep(0)
    await until(lambda: len(b.got) == 100)
    assert a.bus.published - before <= 3  # a few flushes, not a hundred messages
    assert [p for _, _, p in b.got] == list(range(100))


@pytest.mark.scale
async def test_bad_messages_and_failing_handlers_do_not_stop_the_bus(
    nodes: list[Node], link: RedisLink, caplog: pytest.LogCaptureFixture
) -> None:
    a, b, _ = nodes

    def broken(sender: str, payload: Any) -> None:
        raise RuntimeError("handler bug")

    b.bus.on("announce", broken)
    await link.client.publish(a.bus.hub_channel, b"not msgpack \xc1")
    a.bus.post("announce", "boom")
    a.bus.post("board", "still here")
    with caplog.at_level(logging.WARNING, logger="hubtwin.cluster"):
        await until(lambda: ("board", "pa", "still here") in b.got)
    assert b.bus.rejected == 1
    assert "a handler failed" in caplog.text and "message refused" in caplog.text


@pytest.mark.scale
async def test_the_bus_comes_back_after_redis_restarts(
    private_redis: Callable[[], RedisProcess], names: RedisNames
) -> None:
    server = private_redis()
    a, b = Node(server.url, names, "pa"), Node(server.url, names, "pb")
    try:
        for node in (a, b):
            await asyncio.wait_for(node.bus.subscribed.wait(), 5)
        server.stop()
        await until(lambda: not b.bus.subscribed.is_set())
        a.bus.post("announce", "lost in the outage")
        await until(lambda: a.bus.dropped_events == 1)
        assert b.link.health()["redis"] == "unreachable"
        server.start()
        for node in (a, b):
            await asyncio.wait_for(node.bus.subscribed.wait(), 10)
        a.bus.post("announce", "after")
        await until(lambda: b.got == [("announce", "pa", "after")])
        assert b.bus.resubscribes >= 1 and b.link.health()["redis"] == "ok"
    finally:
        await a.close()
        await b.close()
