"""The open consulting desks across the hub's processes, so that "who advises now" (the
panel, the signs over the corners, GET /api/consulting) is the same whichever process
answers.

Desks, queues and booths live in the process that holds the advisor's session
(``server/consulting_live.py``). Each process keeps one key,
``<prefix>cluster:consult-desks:<process id>``: its open desks (advisor session and name,
corner, how many wait, whether a conversation runs) and the corners with a conversation
running, as JSON, expiring with the process's heartbeat (``process_ttl_s``). As
``server/hub_presence.py`` does for people, it is written once per maintenance round only
if it changed, else its expiry is renewed; reading is on demand: this process's desks as
they are now and the other live processes' as last written (one ``MGET``), at most a round
old. A process that stops leaves the registry and its desks drop out at once; one that dies
drops out when its key expires. While Redis is away a process answers with its own desks.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from server.cluster import Cluster
from server.consulting_live import ConsultingDesks
from server.process_texts import ProcessTexts


@dataclass
class DeskView:
    """Open desks (as ``ConsultingDesks.open_desks`` gives them) and corners taken."""

    desks: list[dict[str, Any]] = field(default_factory=list)
    taken: set[str] = field(default_factory=set)


def local_view(desks: ConsultingDesks) -> DeskView:
    return DeskView(desks.open_desks(), set(desks.corners_taken()))


def pack_view(view: DeskView) -> str:
    rows = sorted(view.desks, key=lambda d: d["session"])
    data = {"desks": rows, "taken": sorted(view.taken)}
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def unpack_view(text: str) -> DeskView:
    """A process's desks; entries not of the form are left out."""
    try:
        data = json.loads(text)
    except ValueError:
        return DeskView()
    if not isinstance(data, dict):
        return DeskView()
    desks = [
        d
        for d in data.get("desks", [])
        if isinstance(d, dict)
        and all(isinstance(d.get(k), str) for k in ("session", "name", "corner"))
        and isinstance(d.get("waiting"), int)
        and isinstance(d.get("busy"), bool)
    ]
    taken = {c for c in data.get("taken", []) if isinstance(c, str)}
    return DeskView(desks, taken)


def merge_views(local: DeskView, remote: Iterable[DeskView]) -> DeskView:
    """Every process's desks, ordered by corner then advisor (the same from every
    process); a session listed twice counts once, this process's entry first.

    >>> a = DeskView([{"session": "s1", "corner": "b", "name": "A", "waiting": 0,
    ...     "busy": False}], {"b"})
    >>> b = DeskView([{"session": "s2", "corner": "a", "name": "B", "waiting": 1,
    ...     "busy": False}])
    >>> [d["session"] for d in merge_views(a, [b]).desks], sorted(merge_views(a, [b]).taken)
    (['s2', 's1'], ['b'])
    """
    seen: dict[str, dict[str, Any]] = {d["session"]: d for d in local.desks}
    taken = set(local.taken)
    for view in remote:
        for desk in view.desks:
            seen.setdefault(desk["session"], desk)
        taken |= view.taken
    ordered = sorted(seen.values(), key=lambda d: (d["corner"], d["name"], d["session"]))
    return DeskView(ordered, taken)


class DeskBoard(ProcessTexts):
    """This process's open desks published into Redis, and every process's read back."""

    def __init__(self, cluster: Cluster, desks: ConsultingDesks) -> None:
        super().__init__(cluster, "consult-desks", lambda: pack_view(local_view(desks)))
        self.desks = desks

    async def everywhere(self) -> DeskView:
        """Every live process's open desks (only this process's while Redis is away)."""
        local = local_view(self.desks)
        return merge_views(local, [unpack_view(t) for t in await self.others()])
