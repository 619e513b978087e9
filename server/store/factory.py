"""Which store a hub process opens: SQLite by default, Redis when ``redis_url`` is set.

>>> store = await open_store(settings)      # doctest: +SKIP
>>> run_on_store(settings, lambda store: store.list_accounts())  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

from server.base.settings import Settings
from server.store.backend import StoreBackend
from server.store.redis import RedisStore
from server.store.sqlite import Store

log = logging.getLogger("hubtwin.store")

T = TypeVar("T")


async def open_store(settings: Settings) -> StoreBackend:
    """The store ``settings`` ask for, opened (and migrated or version-checked).

    With ``settings.redis_url`` every process of the hub shares one ``RedisStore`` under
    the site's key prefix; otherwise the process keeps its own SQLite file. Both are a
    ``StoreBackend`` (mypy holds both to the protocol below, the conformance tests hold
    them to each other)."""
    if settings.redis_url:
        store = await RedisStore.connect(settings.redis_url, site=settings.site.name)
        log.info("store: redis", extra={"site": settings.site.name})
        return store
    log.info("store: sqlite", extra={"path": str(settings.database_path)})
    return await Store.open(settings.database_path)


def run_on_store(settings: Settings, work: Callable[[StoreBackend], Awaitable[T]]) -> T:
    """For a command line: open the store ``settings`` ask for, run ``work`` on it in an
    event loop of its own and close the store again (also when ``work`` fails)."""

    async def main() -> T:
        store = await open_store(settings)
        try:
            return await work(store)
        finally:
            await store.close()

    return asyncio.run(main())


if TYPE_CHECKING:

    def _conforming(sqlite: Store, redis: RedisStore) -> tuple[StoreBackend, StoreBackend]:
        return sqlite, redis
