"""Telling the people in the hub that a new world version is live: a hub feature (no I/O).

``WorldUpdates.announce(notice, fx)`` sends ``world_changed`` to everyone connected and in a
room; whoever was away (reconnecting) or waiting in a queue gets it when they (re)join, so
no client keeps drawing an old model. A client that already has the announced digest (it
loaded the page after the change) ignores the message.

>>> updates = WorldUpdates()
>>> core = HubCore(world, settings, features=[updates])           # doctest: +SKIP
>>> notice = WorldNotice(7, digest, "/world/hub.glb", 1234, "new sofa")  # doctest: +SKIP
>>> updates.announce(notice, fx)                                   # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from server.core.effects import Effects
from server.core.hooks import RoomPositions
from server.core.room import Session
from server.features.world.messages import WORLD_MESSAGES
from server.protocol.message_spec import FeatureMessage, FeatureMessages
from server.protocol.table import encode


@dataclass(frozen=True)
class WorldNotice:
    """What ``world_changed`` says about the version that became current."""

    version: int
    digest: str
    url: str
    size: int  # bytes
    message: str

    def frame(self) -> bytes:
        return encode(
            "world_changed",
            version=self.version,
            digest=self.digest,
            url=self.url,
            bytes=self.size,
            message=self.message[:500],
        )


class WorldUpdates:
    """The ``HubFeature`` that announces world versions."""

    def __init__(self) -> None:
        self.notice: WorldNotice | None = None  # None: the world is the one we started with
        self._present: dict[str, Session] = {}
        # Who was told about ``notice`` (reset with every new notice).
        self._told: set[str] = set()

    @property
    def messages(self) -> FeatureMessages:
        return WORLD_MESSAGES

    def announce(self, notice: WorldNotice, fx: Effects) -> None:
        """A new version is live: tell everyone in a room now, the others when they join."""
        self.notice = notice
        self._told = set()
        frame = notice.frame()
        reached = [s for s in self._present.values() if s.conn is not None]
        fx.send(frame, [s.conn for s in reached if s.conn is not None])
        self._told.update(s.id for s in reached)

    def on_join(self, session: Session, fx: Effects, now: float) -> None:
        self._present[session.id] = session
        notice = self.notice
        if notice is not None and session.id not in self._told and session.conn is not None:
            fx.send_to(session, notice.frame())
            self._told.add(session.id)

    def on_leave(self, session: Session, fx: Effects, now: float) -> None:
        self._present.pop(session.id, None)

    def handle(self, session: Session, message: FeatureMessage, fx: Effects, now: float) -> bool:
        return False  # edits go over the staff REST API

    def on_tick(self, now: float, rooms: Sequence[RoomPositions], fx: Effects) -> None:
        return None
