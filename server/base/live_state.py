"""What runs now and must outlive a restart of the process or a takeover of its rooms by
another process (no I/O): a running workshop, a room's screens, removals, the world's
undo history.

Each kind is a set of JSON-ready documents by key (a workshop id, a room id). A feature
says what its documents are now; ``LiveDocuments`` hands on only those that changed since
they were last handed on (a document gone is forgotten: ``data`` None), at most every
``every_s`` seconds, so the store is written on change and in batches, never every tick.

>>> kept = LiveDocuments("workshop", every_s=0.5)
>>> kept.changes({"w1": {"item": 0}}, now=1.0)
[LiveStateChange(kind='workshop', key='w1', data={'item': 0})]
>>> kept.changes({"w1": {"item": 0}}, now=2.0)
[]
>>> kept.changes({}, now=3.0)
[LiveStateChange(kind='workshop', key='w1', data=None)]
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

#: The kinds of live documents (the store's ``live_state`` table, the Redis hash names).
WORKSHOP: Final = "workshop"
SCREENS: Final = "screens"
REMOVALS: Final = "removals"
WORLD_UNDO: Final = "world_undo"
#: a workshop's polls (kept after the workshop ends: ``server/features/polls/realtime.py``)
POLLS: Final = "polls"
#: a workshop's boards (kept after the workshop ends: ``server/features/board/realtime.py``)
BOARD: Final = "board"
KINDS: Final = (WORKSHOP, SCREENS, REMOVALS, WORLD_UNDO, POLLS, BOARD)


@dataclass(frozen=True)
class LiveStateChange:
    """One live document now (``data``), or forgotten (None), for the store."""

    kind: str
    key: str
    data: dict[str, Any] | None


LiveSink = Callable[[LiveStateChange], None]
"""Where live documents go to be stored (the record writer's ``put``; ``list.append`` in
tests)."""


class LiveDocuments:
    """The documents of one kind as last handed to the store, and what changed since."""

    def __init__(self, kind: str, *, every_s: float = 0.5) -> None:
        if kind not in KINDS:
            raise ValueError(f"unknown live state kind {kind!r}")
        self.kind = kind
        self.every_s = every_s
        self._kept: dict[str, dict[str, Any]] = {}
        self._next = float("-inf")

    def know(self, kept: Mapping[str, dict[str, Any]]) -> None:
        """These documents are in the store already (read at start)."""
        self._kept.update(kept)

    def due(self, now: float) -> bool:
        return now >= self._next

    def soon(self) -> None:
        """Hand the documents on at the next look, not at the usual pace (a workshop just
        started: a crash a moment later must not lose it)."""
        self._next = float("-inf")

    def changes(self, current: Mapping[str, dict[str, Any]], now: float) -> list[LiveStateChange]:
        """What differs from what was last handed on: new or changed documents, and the
        keys no longer there."""
        self._next = now + self.every_s
        out = [
            LiveStateChange(self.kind, key, data)
            for key, data in current.items()
            if self._kept.get(key) != data
        ]
        out += [LiveStateChange(self.kind, key, None) for key in self._kept if key not in current]
        self._kept = {key: data for key, data in current.items()}
        return out
