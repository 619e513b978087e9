"""A chat line goes out only once its record is stored: the hub core's part without sockets
(``HubCore.chat_stored``), and the batching writer between the transport and the store
(``server/store/chat_writer.py``) against a real SQLite store and against one that fails."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

from realtime_harness import Harness

from server.base.records import ChatRecord
from server.core.chat import excerpt
from server.protocol.table import Chat, Go
from server.store.chat_writer import ChatWriter
from server.store.sqlite import Store


def holding() -> Harness:
    """Three people in the foyer; chat records wait for ``commit``."""
    h = Harness(chat_history=5)
    for conn in (1, 2, 3):
        h.hello(conn, f"p{conn}", room="foyer")
    for conn in (1, 2, 3):
        h.take(conn)
    h.store_chat = False
    return h


def test_a_room_line_goes_out_only_once_stored() -> None:
    h = holding()
    assert h.send(1, Chat("Hallo")) == []
    assert h.take(2) == [] and h.take(3) == []
    (record,) = h.unstored
    assert record.text == "Hallo" and record.room == "foyer" and record.to_id is None
    assert len(h.core.unstored_chat) == 1
    h.commit()
    (ack,) = h.take(1)
    assert ack["t"] == "chat" and ack["id"] == record.id and ack["from"] == h.session(1)
    assert h.take(2) == [ack] and h.take(3) == [ack]
    assert len(h.core.unstored_chat) == 0


def test_the_history_has_a_line_once_stored_and_latecomers_get_it_once() -> None:
    h = holding()
    h.send(1, Chat("eins"))
    # someone arriving while the line is on its way to the store: not in their history yet,
    # but they are in the room when it is stored, so they get it live (once)
    late = h.hello(4, "p4", room="foyer")[1]
    assert late["chat"] == []
    h.commit()
    assert [m["text"] for m in h.take(4, "chat")] == ["eins"]
    later = h.hello(5, "p5", room="foyer")[1]
    assert [line["text"] for line in later["chat"]] == ["eins"]


def test_a_line_the_store_could_not_keep_is_an_error_for_the_sender_only() -> None:
    h = holding()
    h.send(1, Chat("Das geht verloren\nzweite Zeile"))
    h.commit(failed=True)
    (error,) = h.take(1)
    assert error["t"] == "error" and error["code"] == "chat_not_stored"
    assert error["about"] == "chat" and "„Das geht verloren…“" in error["message"]
    assert h.take(2) == [] and h.take(3) == []
    assert 1 not in h.closed
    late = h.hello(4, "p4", room="foyer")[1]
    assert late["chat"] == []


def test_lines_go_out_in_the_order_they_were_sent() -> None:
    h = holding()
    for text in ("a", "b", "c"):
        h.send(1, Chat(text))
    h.send(2, Chat("d"))
    ids = [r.id for r in h.unstored]
    h.unstored = []
    h.apply(h.core.chat_stored(ids[:2]))
    assert [m["text"] for m in h.take(3)] == ["a", "b"]
    h.apply(h.core.chat_stored(ids[2:], []))
    assert [m["text"] for m in h.take(3)] == ["c", "d"]
    assert [m["text"] for m in h.take(1)] == ["a", "b", "c", "d"]
    # an id reported twice (or never held) sends nothing again
    h.apply(h.core.chat_stored(ids, ids))
    assert h.take(1) == [] and h.take(3) == []


def test_a_direct_line_goes_to_both_once_stored_and_nobody_else() -> None:
    h = holding()
    h.send(2, Chat("psst", to=h.session(3)))
    assert h.take(2) == [] and h.take(3) == []
    (record,) = h.unstored
    assert record.to_id == "id-p3"
    h.commit()
    (ack,) = h.take(2)
    assert ack["to"] == h.session(3) and h.take(3) == [ack] and h.take(1) == []


def test_the_acknowledgement_follows_the_sender_to_a_new_connection_and_room() -> None:
    h = holding()
    resume = h.hello(9, "p9", room="foyer")[0]["resume"]
    h.take(9)
    h.send(9, Chat("unterwegs"))
    h.drop(9)
    h.hello(10, "p9", resume=resume)
    h.take(10)
    h.commit()
    assert [m["text"] for m in h.take(10, "chat")] == ["unterwegs"]
    h.take(1)
    h.send(10, Chat("noch einer"))
    h.send(10, Go("hall"))
    h.take(10)
    h.commit()
    # the sender has left the room: the line still goes to the room it was said in
    assert [m["text"] for m in h.take(1, "chat")] == ["noch einer"]
    assert h.take(10, "chat") == []


def test_excerpt_names_a_message_briefly() -> None:
    assert excerpt("kurz") == "„kurz“"
    assert excerpt("x" * 50) == "„" + "x" * 40 + "…“"
    assert excerpt("oben\nunten") == "„oben…“"


# --- the writer -------------------------------------------------------------------------


def record(n: int) -> ChatRecord:
    return ChatRecord(f"m{n:04d}", "foyer", 0, "id-a", "A", f"text {n}", None, float(n))


class GatedSink:
    """A store stand-in whose writes wait for the test to let them through."""

    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.batches: list[list[str]] = []
        self.started = asyncio.Event()
        self.gate = asyncio.Event()

    async def add_chats(self, records: Sequence[ChatRecord]) -> None:
        self.batches.append([r.id for r in records])
        self.started.set()
        await self.gate.wait()
        if self.fail:
            raise OSError("disk full")


async def test_messages_that_arrive_during_a_write_share_the_next_commit() -> None:
    sink = GatedSink()
    outcomes: list[tuple[list[str], list[str]]] = []
    writer = ChatWriter(sink, lambda ok, failed: outcomes.append((ok, failed)), max_batch=4)
    task = asyncio.create_task(writer.run())
    try:
        writer.put(record(0))
        await sink.started.wait()
        for n in range(1, 7):
            writer.put(record(n))
        assert outcomes == [] and writer.waiting == 6
        sink.gate.set()
        await asyncio.wait_for(writer.drain(), 5)
        assert sink.batches == [["m0000"], ["m0001", "m0002", "m0003", "m0004"], ["m0005", "m0006"]]
        assert outcomes == [(batch, []) for batch in sink.batches]
        assert (writer.committed, writer.failed, writer.batches) == (7, 0, 3)
    finally:
        task.cancel()


async def test_a_failed_commit_reports_every_message_of_its_batch() -> None:
    sink = GatedSink(fail=True)
    outcomes: list[tuple[list[str], list[str]]] = []
    writer = ChatWriter(sink, lambda ok, failed: outcomes.append((ok, failed)))
    task = asyncio.create_task(writer.run())
    try:
        writer.put(record(1))
        writer.put(record(2))
        sink.gate.set()
        await asyncio.wait_for(writer.drain(), 5)
        assert outcomes == [([], ["m0001", "m0002"])]
        assert (writer.committed, writer.failed) == (0, 2)
    finally:
        task.cancel()


async def test_a_burst_is_committed_in_few_transactions(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "hub.sqlite3")
    reported: list[str] = []
    writer = ChatWriter(store, lambda ok, failed: reported.extend(ok + failed))
    task = asyncio.create_task(writer.run())
    try:
        for n in range(300):
            writer.put(record(n))
            if n % 50 == 0:
                await asyncio.sleep(0)
        await asyncio.wait_for(writer.drain(), 10)
        assert (writer.committed, writer.failed) == (300, 0) and writer.batches < 300
        assert reported == [record(n).id for n in range(300)]
        assert [r.id for r in await store.recent_chat("foyer", 0, -1)] == reported
    finally:
        task.cancel()
        await store.close()


async def test_without_a_store_everything_counts_as_stored() -> None:
    outcomes: list[tuple[list[str], list[str]]] = []
    writer = ChatWriter(None, lambda ok, failed: outcomes.append((ok, failed)))
    task = asyncio.create_task(writer.run())
    try:
        writer.put(record(1))
        await asyncio.wait_for(writer.drain(), 5)
        assert outcomes == [(["m0001"], [])]
    finally:
        task.cancel()
