"""Who is in the hub, across its processes: for "people to meet", not for the 20 Hz path.

Each process keeps one key, ``<prefix>cluster:present:<process id>``: the people it serves
in a room now (identity id, session, name, room, instance), as JSON, expiring with the
process's heartbeat (``process_ttl_s``). Once per maintenance round it writes the list
again only if it changed, and otherwise only renews the key's expiry: one command a
second per process, whatever the number of people; the list travels only when someone
came, left or moved. Reading ("who is here") is on demand: this process's own people as
they are now, and the lists of the other live processes (one ``MGET``), at most a round
old. A process that stops leaves the registry, so its people drop out at once; one that
dies drops out when its key expires.

``merge_present`` (no I/O) lays the lists over one another: this process's entry wins,
then the first process's in registry order.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable

from server.cluster.cluster import Cluster
from server.cluster.process_texts import ProcessTexts
from server.features.people.http import Present

log = logging.getLogger("hubtwin.cluster")

Here = dict[str, Present]


def pack_present(here: Here) -> str:
    rows = [[i, p.session, p.name, p.room, p.instance] for i, p in sorted(here.items())]
    return json.dumps(rows, ensure_ascii=False, separators=(",", ":"))


def unpack_present(text: str) -> Here:
    """A process's list; rows that are not of the form are left out."""
    here: Here = {}
    try:
        rows = json.loads(text)
    except ValueError:
        return here
    for row in rows if isinstance(rows, list) else []:
        if (
            isinstance(row, list)
            and len(row) == 5
            and all(isinstance(v, str) for v in row[:4])
            and isinstance(row[4], int)
        ):
            here[row[0]] = Present(row[1], row[2], row[3], row[4])
    return here


def merge_present(local: Here, remote: Iterable[Here]) -> Here:
    """Everyone: ``local`` first, then each remote list's people not seen yet.

    >>> a, b = Present("s1", "Ada", "hall"), Present("s2", "Ada", "entrance")
    >>> merge_present({"id-ada": a}, [{"id-ada": b, "id-bob": b}])["id-ada"].room
    'hall'
    """
    merged = dict(local)
    for here in remote:
        for identity_id, present in here.items():
            merged.setdefault(identity_id, present)
    return merged


class HubPresence(ProcessTexts):
    """This process's people published into Redis, and everyone's read back."""

    def __init__(self, cluster: Cluster, local: Callable[[], Here]) -> None:
        super().__init__(cluster, "present", lambda: pack_present(local()))
        self.local = local

    async def everyone(self) -> Here:
        """Everyone in the hub in a room now: this process's people as they are, the other
        live processes' as last published (only this process's while Redis is away)."""
        local = self.local()
        return merge_present(local, [unpack_present(t) for t in await self.others()])
