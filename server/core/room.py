"""Room sessions: one person's session, and one instance of a world room (no I/O).

A ``RoomInstance`` is a room of the world as one group of people experiences it: its
members (each in a slot; the slot is the avatar's ``net`` number in snapshots), its
capacity, its queue of people waiting for a place, its poses and its chat history. The
main instance of a room is number 0; overflow instances are numbered from 1.

Capacity is checked and taken in one step (``admit``), so the server never lets more people
in than fit, whatever order requests arrive in.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from server.base.identity import Identity
from server.base.ratelimit import TokenBucket
from server.core.chat import ChatHistory, ChatLimits
from server.core.sync import PoseBuffer
from server.protocol.table import MOVE_BURST, MOVE_PER_S, Appearance

#: Frames kept for one person while they reconnect (``Session.hold``).
HELD_MAX = 64


@dataclass(eq=False)
class Session:
    """One person in the hub, from hello until they leave or their grace period ends.

    A session outlives its connection: ``conn`` is None while the person is reconnecting."""

    id: str
    identity: Identity
    appearance: Appearance
    lang: str
    resume_key: str
    limits: ChatLimits
    conn: int | None = None
    instance: RoomInstance | None = None
    slot: int = -1
    waiting: RoomInstance | None = None
    away_since: float | None = None
    #: when its connection of the moment said hello (one identity, one live session: on
    #: several processes the later one wins)
    live_since: float = 0.0
    needs_full: bool = False
    last_offer: float = field(default=float("-inf"))
    #: limits go and wait: every room change is announced to everyone in two rooms
    moves: TokenBucket = field(default_factory=lambda: TokenBucket(MOVE_PER_S, MOVE_BURST))
    #: frames for this person alone that came while they were reconnecting (a decision on
    #: their admission, a direct message): sent when they are back
    held: list[bytes] = field(default_factory=list)

    def hold(self, frame: bytes) -> None:
        """Keep a frame until the reconnection; beyond ``HELD_MAX`` the oldest go (what
        the room shows is sent afresh on the way back anyway)."""
        self.held.append(frame)
        del self.held[:-HELD_MAX]

    def take_held(self) -> list[bytes]:
        held, self.held = self.held, []
        return held

    def person(self) -> dict[str, Any]:
        """This person as a presence entry."""
        return {
            "net": self.slot,
            "session": self.id,
            "name": self.identity.name,
            "role": self.identity.role.value,
            "guest": self.identity.guest,
            "appearance": self.appearance.as_dict(),
            "away": self.away_since is not None,
        }


class RoomInstance:
    """One instance of a world room: members, capacity, queue, poses, chat history."""

    def __init__(
        self,
        room_id: str,
        room_index: int,
        number: int,
        serial: int,
        capacity: int,
        chat_history: int,
        now: float,
    ) -> None:
        self.room_id = room_id
        self.room_index = room_index
        self.number = number
        self.serial = serial
        self.capacity = capacity
        self.members: dict[int, Session] = {}
        self.queue: deque[Session] = deque()
        self.poses = PoseBuffer(min(max(capacity, 1), 64))
        self.chat = ChatHistory(chat_history)
        self.empty_since: float | None = now
        self._free_slots: deque[int] = deque()
        self._next_slot = 0
        self._recipients: tuple[NDArray[np.intp], list[int], list[Session]] | None = None

    @property
    def occupancy(self) -> int:
        return len(self.members)

    @property
    def has_room(self) -> bool:
        return len(self.members) < self.capacity

    def admit(
        self,
        session: Session,
        position: NDArray[np.floating] | tuple[float, float, float],
        yaw: float,
        pitch: float,
        tick: int,
        *,
        snap: bool,
    ) -> bool:
        """Take a place for ``session`` if there is one (check and take in one step)."""
        if not self.has_room or session.instance is not None:
            return False
        slot = self._free_slots.popleft() if self._free_slots else self._take_new_slot()
        self.members[slot] = session
        session.instance = self
        session.slot = slot
        self.poses.place(slot, position, yaw, pitch, tick, snap=snap)
        self.poses.away[slot] = session.away_since is not None
        self.empty_since = None
        self.changed()
        return True

    def _take_new_slot(self) -> int:
        slot = self._next_slot
        if slot > 0xFFFF:
            raise RuntimeError("a room instance ran out of avatar numbers")
        self._next_slot += 1
        return slot

    def remove(self, session: Session, now: float) -> int:
        """Free ``session``'s place; returns the slot it had."""
        slot = session.slot
        if self.members.get(slot) is not session:
            raise ValueError(f"session {session.id} is not in {self.room_id}#{self.number}")
        del self.members[slot]
        self.poses.clear(slot)
        self._free_slots.append(slot)
        session.instance = None
        session.slot = -1
        if not self.members:
            self.empty_since = now
        self.changed()
        return slot

    def enqueue(self, session: Session) -> int:
        """Put ``session`` at the end of the queue; its position (1 is next)."""
        if session not in self.queue:
            self.queue.append(session)
        return self.position(session)

    def dequeue(self, session: Session) -> bool:
        try:
            self.queue.remove(session)
        except ValueError:
            return False
        return True

    def position(self, session: Session) -> int:
        """1-based place in the queue, 0 when not waiting here."""
        for i, waiting in enumerate(self.queue, start=1):
            if waiting is session:
                return i
        return 0

    def changed(self) -> None:
        """Forget the cached list of connected members (after joins, leaves, reconnects)."""
        self._recipients = None

    def recipients(self) -> tuple[NDArray[np.intp], list[int], list[Session]]:
        """Slots, connection ids and sessions of the members who are connected."""
        if self._recipients is None:
            slots: list[int] = []
            conns: list[int] = []
            sessions: list[Session] = []
            for slot, session in self.members.items():
                if session.conn is not None:
                    slots.append(slot)
                    conns.append(session.conn)
                    sessions.append(session)
            self._recipients = (np.array(slots, dtype=np.intp), conns, sessions)
        return self._recipients

    def conns(self, *, but: Session | None = None) -> list[int]:
        """Connection ids of the connected members, optionally leaving one out."""
        _, conns, sessions = self.recipients()
        if but is None or but.conn is None:
            return conns
        return [c for c, s in zip(conns, sessions, strict=True) if s is not but]

    def presence(self) -> list[dict[str, Any]]:
        return [session.person() for session in self.members.values()]

    def summary(self) -> dict[str, int]:
        return {"instance": self.number, "occupancy": self.occupancy, "waiting": len(self.queue)}
