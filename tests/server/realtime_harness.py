"""Drives a ``HubCore`` without sockets and records what each connection would receive.

Every control frame the core produces is checked against the protocol table on the way.
Chat records count as stored at once (``HubCore.chat_stored``), as a store that never
fails would have them, unless ``store_chat`` is False: then they wait in ``unstored``
until a test calls ``commit``.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from realtime_world import box_world

from server.base.identity import Identity, Role
from server.base.records import ChatRecord
from server.base.settings import Settings
from server.core.hub import Closing, Effects, HubCore
from server.protocol import table as protocol
from server.protocol.table import Appearance, Hello, Snapshot


def person(name: str, role: Role = Role.VISITOR) -> Identity:
    return Identity(f"id-{name}", name, role, role is Role.VISITOR)


def hello(room: str | None = None, resume: str | None = None, lang: str = "de") -> Hello:
    return Hello(
        protocol.PROTOCOL_VERSION, "token", lang, Appearance("#336699", "capsule"), room, resume
    )


class Harness:
    """A core plus the inboxes of its connections."""

    def __init__(self, core: HubCore | None = None, **settings: Any) -> None:
        self.core = core or HubCore(box_world(), Settings(**settings), seed=7)
        self.now = 1000.0
        self.inbox: dict[int, list[dict[str, Any]]] = defaultdict(list)
        self.snapshots: dict[int, list[Snapshot]] = defaultdict(list)
        self.closed: dict[int, Closing] = {}
        self.records: list[ChatRecord] = []
        self.errors: list[str] = []
        self.store_chat = True
        self.unstored: list[ChatRecord] = []

    def apply(self, fx: Effects) -> Effects:
        for frame, conns in fx.sends:
            message = protocol.decode_server(frame)
            protocol.validate_server(message)
            for conn in conns:
                assert conn not in self.closed, f"frame for closed connection {conn}"
                self.inbox[conn].append(message)
        for frame, conns in fx.snapshots:
            snap = protocol.decode_snapshot(frame)
            for conn in conns:
                self.snapshots[conn].append(snap)
        for closing in fx.closes:
            self.closed[closing.conn] = closing
        self.records += fx.records
        self.errors += fx.errors
        self.unstored += fx.records
        if self.store_chat and fx.records:
            self.commit()
        return fx

    def commit(self, failed: bool = False) -> Effects:
        """The store's answer for every chat record handed out so far: stored, or not."""
        ids, self.unstored = [r.id for r in self.unstored], []
        fx = self.core.chat_stored([], ids) if failed else self.core.chat_stored(ids)
        return self.apply(fx)

    def hello(self, conn: int, name: str, **kw: Any) -> list[dict[str, Any]]:
        identity = kw.pop("identity", None) or person(name)
        self.apply(self.core.hello(conn, identity, hello(**kw), self.now))
        return self.take(conn)

    def send(self, conn: int, message: protocol.ClientMessage) -> list[dict[str, Any]]:
        self.apply(self.core.handle(conn, message, self.now))
        return self.take(conn)

    def drop(self, conn: int) -> None:
        self.apply(self.core.disconnected(conn, self.now))
        self.closed[conn] = Closing(conn, 1006, "dropped", None)

    def tick(self, dt: float = 0.05, behind: tuple[int, ...] = ()) -> Effects:
        self.now += dt
        return self.apply(self.core.tick(self.now, behind))

    def take(self, conn: int, kind: str | None = None) -> list[dict[str, Any]]:
        """The messages received so far (of one kind, if given), removing them."""
        box = self.inbox[conn]
        if kind is None:
            taken, box[:] = list(box), []
            return taken
        taken = [m for m in box if m["t"] == kind]
        box[:] = [m for m in box if m["t"] != kind]
        return taken

    def kinds(self, conn: int) -> list[str]:
        return [m["t"] for m in self.inbox[conn]]

    def session(self, conn: int) -> str:
        session = self.core.session_of(conn)
        assert session is not None
        return session.id
