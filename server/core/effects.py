"""What the hub core returns: ``Effects``, the frames to send, connections to close,
chat records to persist and, with several processes, the hand-offs and direct messages the
cluster layer carries on. The core, the features and the room rules fill them in; the
transport (and the cluster layer) carry them out. Plain data, no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from server.base.records import ChatRecord
from server.protocol import table as protocol

if TYPE_CHECKING:
    from server.core.room import Session


@dataclass(frozen=True)
class Closing:
    """Close a connection: WebSocket close code and reason; ``error`` is the error code."""

    conn: int
    code: int
    reason: str
    error: str | None


@dataclass(frozen=True)
class Handoff:
    """A session wants into a room instance this process does not own (several processes,
    ``InstancePlacement``): the transport's cluster side finds out where it lives and
    either calls ``HubCore.continue_handoff`` (it is ours now) or hands the session over.
    ``via`` is how it got there (``go``, ``wait``, ``door``, ``hello``); a door crossing
    carries the pose it crossed at."""

    session_id: str
    room: str
    instance: int
    via: str
    position: tuple[float, float, float] | None = None
    yaw: float = 0.0
    pitch: float = 0.0


@dataclass(frozen=True)
class RemoteChat:
    """A direct message to a session this process does not have (several processes): the
    text is checked and cleaned; the cluster side finds the recipient, stores and sends."""

    session_id: str
    to: str
    text: str
    now: float


@dataclass
class Effects:
    """What the core wants done: control frames in order, snapshot frames (latest wins),
    closes, chat records to persist (their lines go out once the store has committed them:
    ``HubCore.chat_stored``) and the error codes it answered with (for metrics). With
    several processes also: hand-offs to resolve, direct messages for sessions elsewhere
    and sessions that ended (``(session id, resume key)``)."""

    sends: list[tuple[bytes, list[int]]] = field(default_factory=list)
    snapshots: list[tuple[bytes, list[int]]] = field(default_factory=list)
    closes: list[Closing] = field(default_factory=list)
    records: list[ChatRecord] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    handoffs: list[Handoff] = field(default_factory=list)
    remote_chats: list[RemoteChat] = field(default_factory=list)
    ended: list[tuple[str, str]] = field(default_factory=list)

    def send(self, frame: bytes, conns: Sequence[int]) -> None:
        if conns:
            self.sends.append((frame, list(conns)))

    def send_to(self, session: Session, frame: bytes) -> None:
        """A frame for one person; while they are reconnecting it is held for them
        (``Session.hold``) and sent after their welcome when they are back."""
        if session.conn is not None:
            self.sends.append((frame, [session.conn]))
        elif session.away_since is not None:
            session.hold(frame)

    def error(
        self,
        conn: int | None,
        lang: str,
        code: str,
        detail: str | None = None,
        about: str | None = None,
    ) -> None:
        self.errors.append(code)
        if conn is None:
            return
        self.sends.append((protocol.error_frame(code, lang, detail, about), [conn]))
        if protocol.ERRORS[code].close is not None:
            close, reason = protocol.close_reason(code, detail)
            self.closes.append(Closing(conn, close, reason, code))

    def close(self, conn: int, code: str, detail: str | None = None) -> None:
        """Close with a fatal error code (an error message first, then the close)."""
        self.error(conn, "de", code, detail)
