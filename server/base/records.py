"""What the realtime core hands to the store to keep: plain records, no behaviour."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ChatRecord:
    """One chat message: to a room instance, or directly to one person (``to_id``)."""

    id: str
    room: str
    instance: int
    sender_id: str
    sender_name: str
    text: str
    to_id: str | None
    ts: float
