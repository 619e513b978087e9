"""What workshops and moderation leave behind in the store: attendance events, audit-log
entries, bans and workshops made longer while they ran (plain records, no I/O).

The realtime side makes them and hands them to a sink (``RecordSink``); the hub process
writes them to the store in the background (``server/workshop/service.py``), so the core
never waits for a disk.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from server.base.identity import Identity
    from server.domain.workshops import Workshop


@dataclass(frozen=True)
class AttendanceEvent:
    """Someone came into (``joined`` True) or left one of a live workshop's room instances."""

    workshop_id: str
    identity_id: str
    display_name: str
    guest: bool
    joined: bool
    at: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class AuditEntry:
    """One moderation action: who did what to whom, where and when."""

    id: str
    at: float
    actor_id: str
    actor_name: str
    action: str
    target_id: str | None = None
    target_name: str | None = None
    room: str | None = None
    detail: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def of(
        cls,
        actor: Identity,
        action: str,
        now: float,
        *,
        target: Identity | None = None,
        room: str | None = None,
        detail: str = "",
    ) -> AuditEntry:
        """A new entry: ``actor`` did ``action`` (to ``target``, in ``room``) ``now``."""
        return cls(
            id=new_record_id("e"),
            at=now,
            actor_id=actor.id,
            actor_name=actor.name,
            action=action,
            target_id=target.id if target is not None else None,
            target_name=target.name if target is not None else None,
            room=room,
            detail=detail,
        )

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AuditEntry:
        return cls(
            id=str(data["id"]),
            at=float(data["at"]),
            actor_id=str(data["actor_id"]),
            actor_name=str(data["actor_name"]),
            action=str(data["action"]),
            target_id=data.get("target_id") or None,
            target_name=data.get("target_name") or None,
            room=data.get("room") or None,
            detail=str(data.get("detail") or ""),
        )


@dataclass(frozen=True)
class Ban:
    """An identity (a guest's kept identity or an account) kept out of the hub until
    ``expires_at`` (None: until lifted)."""

    id: str
    identity_id: str
    display_name: str
    by_id: str
    by_name: str
    reason: str
    created_at: float
    expires_at: float | None = None

    def active(self, now: float) -> bool:
        return self.expires_at is None or self.expires_at > now

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Ban:
        expires = data.get("expires_at")
        return cls(
            id=str(data["id"]),
            identity_id=str(data["identity_id"]),
            display_name=str(data["display_name"]),
            by_id=str(data["by_id"]),
            by_name=str(data["by_name"]),
            reason=str(data.get("reason") or ""),
            created_at=float(data["created_at"]),
            expires_at=None if expires in (None, "") else float(expires),
        )


@dataclass(frozen=True)
class WorkshopExtended:
    """A facilitator made a running workshop longer: the workshop as it is now (to save)."""

    workshop: Workshop


WorkshopRecord = AttendanceEvent | AuditEntry | Ban | WorkshopExtended
RecordSink = Callable[[WorkshopRecord], None]
"""Where the realtime side puts records to keep (``list.append`` in tests)."""


def new_record_id(prefix: str) -> str:
    return prefix + secrets.token_hex(8)
