"""What the hub core lets the code around it see and do: the narrow interface between the
core (``server/hub.py``) and the features that lead, moderate or host (workshops, boards,
polls, consulting desks, voice) and the cluster layer's placement of room instances.

- ``FeatureCore``: what a feature may read (read-only views of the sessions, the room
  instances, the world, the rules) and the few powers it may use (``place``, ``relocate``,
  ``open_instance``, ``end_session``). A feature is given it by ``attach``; it never holds
  the core itself, so nothing outside the core changes the core's books.
- ``InstancePlacement``: what the core asks the cluster layer when the process is one of
  several (which room instances live here).

Both are ``Protocol`` classes: ``HubCore`` has this shape, and tests may pass a stand-in.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from server.effects import Effects
    from server.features import HubFeature
    from server.room import RoomInstance, Session
    from server.room_rules import RoomRules
    from server.worldview import WorldView


class InstancePlacement(Protocol):
    """Which room instances this process owns, when it is one of several (``None`` in the
    core when it is the only one). Answers at once, from what the cluster already knows."""

    def is_here(self, room: str, instance: int) -> bool: ...

    def may_offer(self, room: str, instance: int) -> bool:
        """Whether a local instance may be suggested to someone facing a full room: it is
        here, or it was opened here and no other process is known to have it (its lease is
        taken when the first person goes in)."""
        ...

    def overflow_number(self, room: str, taken: Collection[int]) -> int:
        """A new overflow instance number, not in ``taken`` nor known elsewhere."""
        ...

    def rooms_summary(self, local: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The room list for clients: this process's with the others' instances."""
        ...


class FeatureCore(Protocol):
    """The core as a feature sees it (``HubCore`` has this shape)."""

    @property
    def world(self) -> WorldView:
        """The world in use (it changes when a new version is published)."""
        ...

    @property
    def entrance(self) -> str:
        """The entrance room's id: never refused, where the removed and banned land."""
        ...

    @property
    def sessions(self) -> Mapping[str, Session]:
        """Every session of this process by session id (away ones included)."""
        ...

    @property
    def instances(self) -> Mapping[str, Mapping[int, RoomInstance]]:
        """The open room instances: room id, then instance number (0 is the main one)."""
        ...

    @property
    def rules(self) -> Sequence[RoomRules]:
        """The room rules the core asks before an entry, a chat line or a reaction."""
        ...

    @property
    def features(self) -> Sequence[HubFeature]:
        """The features plugged in (a feature may look for one it works beside)."""
        ...

    @property
    def placement(self) -> InstancePlacement | None:
        """Which instances are this process's, with several processes; else None."""
        ...

    def place(
        self,
        session: Session,
        position: NDArray[np.floating],
        yaw: float,
        reason: str,
        fx: Effects,
        *,
        snap: bool = True,
    ) -> None:
        """Put a session's avatar at a pose in its room instance (told with ``pose_fix``)."""
        ...

    def relocate(
        self,
        session: Session,
        room_id: str,
        number: int | None,
        now: float,
        fx: Effects,
        *,
        position: NDArray[np.floating] | None = None,
        yaw: float | None = None,
    ) -> bool:
        """Move a session into a room instance (no rules asked); False when it is full."""
        ...

    def open_instance(self, room_id: str, now: float, number: int | None = None) -> RoomInstance:
        """A new, empty instance of a room (a breakout group's or a booth's)."""
        ...

    def end_session(self, session: Session, code: str, fx: Effects, now: float) -> None:
        """End a session at once, without a reconnection grace (a ban)."""
        ...
