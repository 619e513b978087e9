"""Hub features: what a feature module gives the hub core, so it plugs in without touching
the core's dispatch.

A feature (learning stations, the screens' playback, later workshops or live world edits)
is an object with the ``HubFeature`` shape, passed to ``HubCore(world, settings,
features=[...])``. Its messages and error codes are declared in a module of their own as
``FeatureMessages`` (its ``messages``); the core registers them with the one protocol table
(``server.protocol.table.register``), so the edge decodes them, and refuses a feature whose
message types or error codes are already taken. The composition root lists every feature's
(``server/app/protocol_features.py``) for ``/api/protocol`` and docs/protocol.md.

The core calls the hooks at fixed points, always with the ``Effects`` of the moment, so a
feature answers the way the core does (frames to send, errors), without I/O:

- ``on_join(session, fx, now)``: the session is now in ``session.instance`` (it entered, or
  its connection resumed); its ``joined`` has been sent.
- ``on_leave(session, fx, now)``: the session is about to leave ``session.instance`` (a room
  change or the end of the session); it is still a member.
- ``handle(session, message, fx, now) -> bool``: one of the feature's client messages from a
  welcomed session; True when the feature took it.
- ``on_tick(now, rooms, fx)``: once per tick, after the poses were applied, with the room
  instances that have people in them and everyone's position.

>>> core = HubCore(world, settings, features=[StationVisits(catalogue)])   # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import numpy as np
from numpy.typing import NDArray

from server.protocol.message_spec import FeatureMessage, FeatureMessages

if TYPE_CHECKING:
    from server.core.effects import Effects
    from server.core.room import RoomInstance, Session


class RoomPositions:
    """One room instance at a tick: its members and where they stand (one row each, read
    from the instance's pose array when first asked for)."""

    def __init__(self, instance: RoomInstance) -> None:
        self.instance = instance
        self._slots = list(instance.members)

    @property
    def room_id(self) -> str:
        return self.instance.room_id

    @cached_property
    def sessions(self) -> list[Session]:
        return [self.instance.members[slot] for slot in self._slots]

    @cached_property
    def positions(self) -> NDArray[np.float64]:
        return np.asarray(self.instance.poses.pos[self._slots], dtype=np.float64)


class HubFeature(Protocol):
    """What the hub core needs from a feature (see the module docstring for when each hook
    is called)."""

    @property
    def messages(self) -> FeatureMessages: ...

    def on_join(self, session: Session, fx: Effects, now: float) -> None: ...

    def on_leave(self, session: Session, fx: Effects, now: float) -> None: ...

    def handle(
        self, session: Session, message: FeatureMessage, fx: Effects, now: float
    ) -> bool: ...

    def on_tick(self, now: float, rooms: Sequence[RoomPositions], fx: Effects) -> None: ...


F = TypeVar("F")


def handled_by_type(
    handlers: Mapping[type, Callable[[F, Session, Any, Effects, float], None]],
    feature: F,
    session: Session,
    message: FeatureMessage,
    fx: Effects,
    now: float,
) -> bool:
    """``HubFeature.handle`` for a feature with a table of handlers by message type: the
    one for ``message`` runs; False when the table has none."""
    handler = handlers.get(type(message))
    if handler is None:
        return False
    handler(feature, session, message, fx, now)
    return True
