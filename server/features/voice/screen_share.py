"""Sharing a screen: who presents on which in-world screen, and who may watch (no I/O).

A room instance's screens (the world's ``screen`` anchors) each carry at most one shared
screen or window at a time. ``ScreenShares`` holds, per room instance, the share on each
screen (``Share``: the presenter's session, a number ``gen`` of its own) and which
visitors a facilitator allowed to present. Its rules:

- facilitators and staff may present; a visitor only once a facilitator of that room
  instance allowed them (``allow``), and only while they stay in it;
- one presenter per screen: a second is refused (``share_taken``); a presenter shares
  one screen at a time (``share_busy``);
- the presenter or a facilitator stops a share; leaving the room instance (a room
  change, a removal, the end of the session) stops every share of that person and takes
  back what they were allowed;
- only people in the share's room instance may watch it (``viewable``).

Refusals raise ``ShareError`` with a protocol error code. The hub feature
(``server/features/voice/screen_realtime.py``) does what the decisions mean: tells the room, sets
up the media server, pauses a talk on that screen.

>>> shares = ScreenShares()
>>> share = shares.start(("workshop", 0), "screen-a", "s1", Role.FACILITATOR, {"screen-a"})
>>> share.presenter, share.gen
('s1', 1)
>>> try:
...     shares.start(("workshop", 0), "screen-a", "s2", Role.FACILITATOR, {"screen-a"})
... except ShareError as refused:
...     refused.code
'share_taken'
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field

from server.base.identity import Role
from server.core.workshop_context import InstanceKey


class ShareError(Exception):
    """A refused share request; ``code`` is its protocol error code."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Share:
    """One screen or window shared onto one in-world screen."""

    room: InstanceKey
    screen: str
    presenter: str
    gen: int


def leads(role: Role) -> bool:
    """Whether this role runs a room's sharing (facilitators and staff)."""
    return role is not Role.VISITOR


@dataclass
class ScreenShares:
    """The shares of every room instance (see the module docstring)."""

    shares: dict[tuple[InstanceKey, str], Share] = field(default_factory=dict)
    allowed: dict[InstanceKey, set[str]] = field(default_factory=dict)
    _gen: int = 0

    def may_present(self, room: InstanceKey, session_id: str, role: Role) -> bool:
        return leads(role) or session_id in self.allowed.get(room, set())

    def start(
        self,
        room: InstanceKey,
        screen: str,
        session_id: str,
        role: Role,
        screens: Collection[str],
    ) -> Share:
        """``session_id`` begins presenting on ``screen`` (one of ``screens``, the room's)."""
        if screen not in screens:
            raise ShareError("screen_unknown")
        if not self.may_present(room, session_id, role):
            raise ShareError("share_forbidden")
        current = self.shares.get((room, screen))
        if current is not None:
            if current.presenter == session_id:
                return current
            raise ShareError("share_taken")
        if any(share.presenter == session_id for share in self.shares.values()):
            raise ShareError("share_busy")
        self._gen += 1
        share = Share(room, screen, session_id, self._gen)
        self.shares[(room, screen)] = share
        return share

    def renew(self, share: Share) -> Share:
        """The same presenter on the same screen with a new ``gen``: the share is published
        anew (its media server was lost, or the presenter's connection to it)."""
        self._gen += 1
        again = Share(share.room, share.screen, share.presenter, self._gen)
        self.shares[(share.room, share.screen)] = again
        return again

    def stop(self, room: InstanceKey, screen: str, session_id: str, role: Role) -> Share:
        """The presenter, or whoever leads the room, ends the share on ``screen``."""
        share = self.shares.get((room, screen))
        if share is None:
            raise ShareError("share_none")
        if share.presenter != session_id and not leads(role):
            raise ShareError("share_forbidden")
        del self.shares[(room, screen)]
        return share

    def allow(self, room: InstanceKey, target: str, on: bool, role: Role) -> list[Share]:
        """A facilitator lets a visitor present here (on) or takes it back; taking it back
        ends that visitor's shares in this room, which are returned."""
        if not leads(role):
            raise ShareError("share_forbidden")
        people = self.allowed.setdefault(room, set())
        if on:
            people.add(target)
            return []
        people.discard(target)
        if not people:
            del self.allowed[room]
        return self._end(lambda share: share.room == room and share.presenter == target)

    def left(self, room: InstanceKey, session_id: str) -> list[Share]:
        """``session_id`` left the room instance: their shares there end, and what they were
        allowed there is taken back."""
        people = self.allowed.get(room)
        if people is not None:
            people.discard(session_id)
            if not people:
                del self.allowed[room]
        return self._end(lambda share: share.room == room and share.presenter == session_id)

    def viewable(self, room: InstanceKey, screen: str, viewer_room: InstanceKey | None) -> Share:
        """The share a viewer may watch: only one of the viewer's own room instance."""
        share = self.shares.get((room, screen))
        if share is None or viewer_room != room:
            raise ShareError("share_none")
        return share

    def of_room(self, room: InstanceKey) -> list[Share]:
        return [share for (key, _), share in self.shares.items() if key == room]

    def allowed_in(self, room: InstanceKey) -> list[str]:
        return sorted(self.allowed.get(room, set()))

    def _end(self, which: Callable[[Share], bool]) -> list[Share]:
        ended = [share for share in self.shares.values() if which(share)]
        for share in ended:
            del self.shares[(share.room, share.screen)]
        return ended
