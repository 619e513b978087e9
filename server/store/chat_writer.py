"""Chat records on their way to the store: written in batches, each batch one commit, and
each batch's outcome reported back.

The realtime transport puts the records the core hands out (``Effects.records``) here and
gets told, batch by batch, which ids the store has committed and which it could not keep;
it then asks the core to send the lines (``HubCore.chat_stored``). One write is in flight at
a time; whatever arrives meanwhile goes into the next batch, so under load many messages
share one commit and an idle hub commits a single message at once (no timer, no waiting
for company).

>>> writer = ChatWriter(store, lambda stored, failed: ...)   # doctest: +SKIP
>>> task = asyncio.create_task(writer.run())                 # doctest: +SKIP
>>> writer.put(record)                                       # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable, Sequence
from typing import Protocol

from server.base.records import ChatRecord

log = logging.getLogger("hubtwin.chat")

#: At most this many messages go into one commit.
MAX_BATCH = 500


class ChatSink(Protocol):
    """What the writer needs of a store (``StoreBackend`` has it)."""

    async def add_chats(self, records: Sequence[ChatRecord]) -> None: ...


#: Called with the ids committed and the ids not kept, each in the order they were put.
Outcome = Callable[[list[str], list[str]], None]


class ChatWriter:
    """Batches chat records into commits; ``store`` None keeps nothing and reports every
    record as stored (a hub run without a store, in tests)."""

    def __init__(self, store: ChatSink | None, done: Outcome, max_batch: int = MAX_BATCH) -> None:
        self.store = store
        self._done = done
        self.max_batch = max_batch
        self._queue: deque[ChatRecord] = deque()
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        #: counted for the benchmark and the metrics: messages committed, not kept, commits
        self.committed = 0
        self.failed = 0
        self.batches = 0

    def put(self, record: ChatRecord) -> None:
        self._queue.append(record)
        self._idle.clear()
        self._wake.set()

    @property
    def waiting(self) -> int:
        """Records not yet handed to the store."""
        return len(self._queue)

    async def run(self) -> None:
        """Write batches until cancelled (``drain`` first to lose nothing)."""
        queue = self._queue
        while True:
            if not queue:
                self._idle.set()
                self._wake.clear()
                await self._wake.wait()
                continue
            batch = [queue.popleft() for _ in range(min(len(queue), self.max_batch))]
            ids = [record.id for record in batch]
            try:
                if self.store is not None:
                    await self.store.add_chats(batch)
            except Exception:
                log.exception("could not store chat messages", extra={"count": len(batch)})
                stored, failed = [], ids
            else:
                stored, failed = ids, []
            self.batches += 1
            self.committed += len(stored)
            self.failed += len(failed)
            try:
                self._done(stored, failed)
            except Exception:
                log.exception("handling stored chat messages failed", extra={"count": len(ids)})

    async def drain(self) -> None:
        """Return once everything put so far has been written (or refused) and reported."""
        await self._idle.wait()
