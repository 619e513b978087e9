"""Who is an advisor in a running hub: the accounts marked as advisors in the store.

The mark is kept with the account (``hubtwin accounts advisor USERNAME``, or staff in the
browser's accounts panel: POST /api/accounts/{username}/advisor); a disabled account is no
advisor. A hub reads the marks when it starts and again every ``ADVISORS_REFRESH_S``, so a
mark given or taken on the command line, or through another process, holds everywhere
within that time; one given through this process's REST holds here at once
(``ConsultingDesks.advisor_marked``). A read that started before such a change is not
applied (it would undo it), and a store that cannot be read leaves the marks as they were.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Final

from server.features.consulting.realtime import ConsultingDesks
from server.store.backend import StoreBackend
from world.errors import HubError

log = logging.getLogger("hubtwin.consulting")

ADVISORS_REFRESH_S: Final = 2.0


async def advisors_in(store: StoreBackend) -> frozenset[str]:
    """The identity ids of the enabled accounts marked as advisors."""
    return frozenset(
        str(row["id"])
        for row in await store.list_accounts()
        if row["advisor"] and not row["disabled"]
    )


async def refresh_advisors(store: StoreBackend, desks: ConsultingDesks) -> bool:
    """Read the marks once into ``desks``; False when a change here came meanwhile."""
    changes = desks.advisor_changes
    found = await advisors_in(store)
    if desks.advisor_changes != changes:
        return False
    desks.advisors = found
    return True


async def keep_advisors(
    store: StoreBackend, desks: ConsultingDesks, every_s: float = ADVISORS_REFRESH_S
) -> None:
    """Read the marks again every ``every_s`` until cancelled."""
    while True:
        await asyncio.sleep(every_s)
        try:
            await refresh_advisors(store, desks)
        except (HubError, OSError) as exc:
            log.warning("advisors not read again (kept as they were): %s", exc)
