"""What the hub core lets the code around it see and do: the narrow interface between the
core (``server/core/hub.py``) and the features that lead, moderate or host (workshops, boards,
polls, consulting desks, voice) and the cluster layer's placement of room instances.

- ``FeatureCore``: what a feature may read (read-only views of the sessions, the room
  instances, the world, the rules) and the few powers it may use (``place``, ``relocate``,
  ``open_instance``, ``end_session``). A feature is given it by ``attach``; it never holds
  the core itself, so nothing outside the core changes the core's books.
- ``ClusterCore``: what the cluster layer (``server/cluster/realtime.py``) may ask of the
  core and hand it when the process is one of several: hellos and sessions coming back
  from another process, hand-offs, direct chat across processes, who is where.
- ``InstancePlacement``: what the core asks the cluster layer in return (which room
  instances live here); ``Returning``: a session coming back from another process.

Both are ``Protocol`` classes: ``HubCore`` has this shape, and tests may pass a stand-in.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from server.base.identity import Identity
    from server.base.records import ChatRecord
    from server.core.chat import ChatLine
    from server.core.effects import Effects, Handoff, RemoteChat
    from server.core.hooks import HubFeature
    from server.core.room import RoomInstance, Session
    from server.core.room_rules import RoomRules
    from server.core.worldview import WorldView
    from server.protocol import table as protocol
    from server.protocol.table import Hello


@dataclass(frozen=True)
class Returning:
    """A session coming back on this process from another one (its grace state): the
    same session id, its appearance, and where it stood (``position`` None: at a spawn
    point of the room)."""

    session_id: str
    appearance: protocol.Appearance
    room: str
    instance: int
    position: tuple[float, float, float] | None
    yaw: float
    pitch: float


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


class WorldSwitchingCore(FeatureCore, Protocol):
    """What the served world may do besides a feature's powers: switch the core to a newly
    published version of the world."""

    def replace_world(self, world: WorldView, now: float) -> Effects:
        """Use a new version of the world (the same rooms with the same bounds, else
        ``ValueError``); whoever now stands where one may not is moved and told."""
        ...


class ClusterCore(Protocol):
    """The core as the cluster layer sees it (``HubCore`` has this shape): every call
    answers at once with the ``Effects`` to carry out, as the core's own entry points do."""

    @property
    def world(self) -> WorldView: ...

    @property
    def entrance(self) -> str: ...

    @property
    def sessions(self) -> Mapping[str, Session]: ...

    @property
    def instances(self) -> Mapping[str, Mapping[int, RoomInstance]]: ...

    def session_of(self, conn: int) -> Session | None: ...

    def has_resume(self, resume_key: str) -> bool: ...

    def has_session_of(self, identity_id: str) -> bool: ...

    def people_in(self, room_id: str, number: int) -> list[Session]: ...

    def hello(self, conn: int, identity: Identity, hello: Hello, now: float) -> Effects:
        """A verified hello of a session that lives (or starts) on this process."""
        ...

    def adopt(
        self, conn: int, identity: Identity, hello: Hello, returning: Returning, now: float
    ) -> Effects:
        """A session another process had comes back here, where it stood."""
        ...

    def live_elsewhere(
        self, identity_id: str, session_id: str, since: float, now: float
    ) -> Effects:
        """Another process welcomed this identity: its session here ends or leaves."""
        ...

    def reload_chat(
        self, room_id: str, number: int, records: Iterable[ChatRecord], now: float
    ) -> None:
        """An instance just taken over: its history as the process before left it."""
        ...

    def continue_handoff(self, handoff: Handoff, now: float) -> Effects: ...

    def handoff_failed(self, handoff: Handoff, code: str, now: float) -> Effects: ...

    def hand_over(
        self, session_id: str, url: str, room: str, instance: int, reason: str, now: float
    ) -> Effects:
        """The session goes on in the process at ``url`` (``redirect``)."""
        ...

    def rooms_changed(self) -> None:
        """The room list changed elsewhere: send it again."""
        ...

    def remote_chat_line(self, chat: RemoteChat, recipient_id: str | None) -> ChatLine | Effects:
        """Make the line of a direct message to someone on another process."""
        ...

    def remote_chat_sent(self, line: ChatLine, stored: bool) -> Effects: ...

    def remote_chat_arrived(self, fields: dict[str, Any]) -> Effects: ...


class UsesCore:
    """A feature that uses the core's powers: the core is made with its features, so it
    comes afterwards, by ``attach``; ``core`` refuses to be read before."""

    _core: FeatureCore | None = None

    def attach(self, core: FeatureCore) -> None:
        self._core = core

    @property
    def core(self) -> FeatureCore:
        if self._core is None:
            raise RuntimeError(f"{type(self).__name__}.attach(core) was not called")
        return self._core
