"""A hub core with the workshop features (leading and moderation), driven without sockets.

``WorkshopHub`` wraps the realtime ``Harness``: it signs people in with roles, keeps the
records the features hand to their sink, and sends the features' messages through the real
decoder (so every message is checked against the protocol table on the way in too).
"""

from __future__ import annotations

from typing import Any

import msgpack
import numpy as np
from realtime_harness import Harness, hello, person
from realtime_world import box_world

from server.base.identity import Identity, Role
from server.base.settings import Settings
from server.core.hub import HubCore
from server.domain.workshop_records import AttendanceEvent, AuditEntry, Ban, WorkshopRecord
from server.domain.workshops import AgendaItem, Person, Workshop, WorkshopBook
from server.protocol.table import decode_client
from server.workshop.facilitation import Facilitation
from server.workshop.moderation import Moderation

FACILITATOR = person("Mara", Role.FACILITATOR)
STAFF = person("Sven", Role.STAFF)


def workshop(
    workshop_id: str = "w1",
    room: str = "workshop",
    leads: tuple[Identity, ...] = (FACILITATOR,),
    **kw: Any,
) -> Workshop:
    return Workshop(
        id=workshop_id,
        title="Klimabilanz im Betrieb",
        description="",
        room=room,
        starts_at=900.0,
        ends_at=900.0 + 5400,
        facilitators=tuple(Person(p.id, p.name) for p in leads),
        agenda=(AgendaItem("Einstieg", 10), AgendaItem("Station", 20, station="lab-1")),
        **kw,
    )


class WorkshopHub(Harness):
    """A ``Harness`` whose core has the workshop features."""

    def __init__(self, *workshops: Workshop, bans: tuple[Ban, ...] = (), **world: Any) -> None:
        self.kept: list[WorkshopRecord] = []
        self.book = WorkshopBook(workshops or (workshop(),))
        self.lead = Facilitation(self.book, sink=self.kept.append, seed=3)
        self.moderation = Moderation(sink=self.kept.append, lead=self.lead, bans=bans)
        core = HubCore(
            box_world(**world),
            Settings(),
            seed=7,
            features=[self.lead, self.moderation],
            rules=[self.moderation, self.lead],
        )
        self.lead.attach(core)
        self.moderation.attach(core)
        super().__init__(core)

    def enter(self, conn: int, name: str, role: Role = Role.VISITOR, room: str = "workshop") -> str:
        """Sign someone in into a room (what they got stays in their inbox); their
        session id."""
        self.apply(self.core.hello(conn, person(name, role), hello(room=room), self.now))
        return self.session(conn)

    def do(self, conn: int, kind: str, **fields: Any) -> list[dict[str, Any]]:
        """Send a message the way a client does (msgpack through the decoder); what the
        sender got back (it stays in their inbox too)."""
        message = decode_client(msgpack.packb({"t": kind, **fields}))
        before = len(self.inbox[conn])
        self.apply(self.core.handle(conn, message, self.now))
        return list(self.inbox[conn][before:])

    def codes(self, messages: list[dict[str, Any]]) -> list[str]:
        return [m["code"] for m in messages if m["t"] == "error"]

    def last(self, conn: int, kind: str) -> dict[str, Any]:
        found = self.take(conn, kind)
        assert found, f"{conn} got no {kind}: {self.kinds(conn)}"
        return found[-1]

    def where(self, conn: int) -> tuple[str, int]:
        session = self.core.session_of(conn)
        assert session is not None and session.instance is not None
        return session.instance.room_id, session.instance.number

    def position(self, conn: int) -> np.ndarray:
        session = self.core.session_of(conn)
        assert session is not None and session.instance is not None
        return np.array(session.instance.poses.pos[session.slot], dtype=np.float64)

    def attendance(self) -> list[AttendanceEvent]:
        return [r for r in self.kept if isinstance(r, AttendanceEvent)]

    def audit(self) -> list[AuditEntry]:
        return [r for r in self.kept if isinstance(r, AuditEntry)]
