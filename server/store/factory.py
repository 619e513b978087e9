"""Which store a hub process opens: SQLite by default, Redis when ``redis_url`` is set.

>>> store = await open_store(settings)      # doctest: +SKIP
>>> run_on_store(settings, lambda store: store.list_accounts())  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar, cast

from server.base.settings import Settings
from server.store.redis import RedisStore
from server.store.sqlite import Store

log = logging.getLogger("hubtwin.store")

T = TypeVar("T")


async def open_store(settings: Settings) -> Store:
    """The store ``settings`` ask for, opened (and migrated or version-checked).

    With ``settings.redis_url`` every process of the hub shares one ``RedisStore`` under
    the site's key prefix; otherwise the process keeps its own SQLite file. The result is
    typed as ``Store`` because that is the name the callers use; ``RedisStore`` has the
    same public coroutines (``server.store.backend`` has mypy and the conformance tests
    hold both to one protocol)."""
    if settings.redis_url:
        store = await RedisStore.connect(settings.redis_url, site=settings.site.name)
        log.info("store: redis", extra={"site": settings.site.name})
        return cast(Store, store)
    log.info("store: sqlite", extra={"path": str(settings.database_path)})
    return await Store.open(settings.database_path)


def run_on_store(settings: Settings, work: Callable[[Store], Awaitable[T]]) -> T:
    """For a command line: open the store ``settings`` ask for, run ``work`` on it in an
    event loop of its own and close the store again (also when ``work`` fails)."""

    async def main() -> T:
        store = await open_store(settings)
        try:
            return await work(store)
        finally:
            await store.close()

    return asyncio.run(main())
