"""Which store a hub process opens: SQLite by default, Redis when ``redis_url`` is set.

>>> store = await open_store(settings)      # doctest: +SKIP
"""

from __future__ import annotations

import logging
from typing import cast

from server.settings import Settings
from server.store import Store
from server.store_redis import RedisStore

log = logging.getLogger("hubtwin.store")


async def open_store(settings: Settings) -> Store:
    """The store ``settings`` ask for, opened (and migrated or version-checked).

    With ``settings.redis_url`` every process of the hub shares one ``RedisStore`` under
    the site's key prefix; otherwise the process keeps its own SQLite file. The result is
    typed as ``Store`` because that is the name the callers use; ``RedisStore`` has the
    same public coroutines (``server.store_backend`` has mypy and the conformance tests
    hold both to one protocol)."""
    if settings.redis_url:
        store = await RedisStore.connect(settings.redis_url, site=settings.site.name)
        log.info("store: redis", extra={"site": settings.site.name})
        return cast(Store, store)
    log.info("store: sqlite", extra={"path": str(settings.database_path)})
    return await Store.open(settings.database_path)
