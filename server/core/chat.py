"""Chat: the last messages of a room instance, reactions, chat rate limits,
and the lines waiting for the store.

Text is plain text from end to end: the server never interprets it and the client renders
it with ``textContent``. No I/O: records to keep are handed back to the caller, and a line
goes out only once its record is committed (``UnstoredLines``): the sender's own copy is
the acknowledgement, so an acknowledged message is a stored one.
"""

from __future__ import annotations

import uuid
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from server.base.ratelimit import TokenBucket
from server.base.records import ChatRecord
from server.base.text_rules import ChatRefused
from server.protocol.table import CHAT_BURST, CHAT_PER_S, EMOJI, REACT_BURST, REACT_PER_S


def check_emoji(emoji: str) -> str:
    if emoji not in EMOJI:
        raise ChatRefused("emoji_unknown", "allowed: " + " ".join(EMOJI))
    return emoji


@dataclass(frozen=True)
class ChatLine:
    """A message as it goes on the wire: the stored record plus the session ids (which the
    store does not keep)."""

    record: ChatRecord
    from_session: str | None
    to_session: str | None

    def as_dict(self) -> dict[str, Any]:
        r = self.record
        return {
            "id": r.id,
            "room": r.room,
            "instance": r.instance,
            "from": self.from_session,
            "name": r.sender_name,
            "text": r.text,
            "to": self.to_session,
            "ts": r.ts,
        }


def excerpt(text: str, limit: int = 40) -> str:
    """The start of a message, quoted, to name it in an error."""
    first = text.split("\n", 1)[0]
    if len(first) > limit or first != text:
        first = first[:limit].rstrip() + "…"
    return f"„{first}“"


def new_record(
    *,
    room: str,
    instance: int,
    sender_id: str,
    sender_name: str,
    text: str,
    to_id: str | None,
    now: float,
) -> ChatRecord:
    return ChatRecord(uuid.uuid4().hex, room, instance, sender_id, sender_name, text, to_id, now)


@dataclass(frozen=True)
class UnstoredLine:
    """A chat line decided on, waiting for its record to be committed; ``frame`` is the
    encoded ``chat`` message."""

    line: ChatLine
    frame: bytes


class UnstoredLines:
    """The chat lines whose records are on their way to the store, by record id, in the
    order they were decided. Nobody sees a line before it is stored: ``release`` hands
    back the lines of the records the store has committed (to be sent and added to the
    history) or could not keep (their senders get an error instead)."""

    def __init__(self) -> None:
        self._lines: dict[str, UnstoredLine] = {}

    def hold(self, line: ChatLine, frame: bytes) -> ChatRecord:
        """Keep ``line`` until its record is stored; the record to hand to the store."""
        self._lines[line.record.id] = UnstoredLine(line, frame)
        return line.record

    def release(self, record_ids: Iterable[str]) -> list[UnstoredLine]:
        """The held lines of ``record_ids``, in that order, no longer held (ids not held,
        e.g. given twice, are skipped)."""
        lines = self._lines
        return [held for held in (lines.pop(i, None) for i in record_ids) if held is not None]

    def __len__(self) -> int:
        return len(self._lines)


class ChatHistory:
    """The last room messages of one room instance, for people who arrive later."""

    def __init__(self, limit: int) -> None:
        self._lines: deque[ChatLine] = deque(maxlen=max(limit, 0))

    def add(self, line: ChatLine) -> None:
        if line.record.to_id is None:
            self._lines.append(line)

    def seed(self, records: Iterable[ChatRecord]) -> None:
        """Fill from the store (oldest first), before anyone has spoken."""
        for record in records:
            self.add(ChatLine(record, None, None))

    def recent(self) -> list[dict[str, Any]]:
        return [line.as_dict() for line in self._lines]

    def forget(self, identity_id: str) -> int:
        """Drop an identity's messages (after they deleted their data); how many went."""
        kept = [line for line in self._lines if line.record.sender_id != identity_id]
        removed = len(self._lines) - len(kept)
        self._lines = deque(kept, maxlen=self._lines.maxlen)
        return removed

    def __len__(self) -> int:
        return len(self._lines)


class ChatLimits:
    """One person's chat and reaction rate limits."""

    def __init__(self, now: float) -> None:
        self.chat = TokenBucket(CHAT_PER_S, CHAT_BURST, updated=now)
        self.react = TokenBucket(REACT_PER_S, REACT_BURST, updated=now)

    def allow_chat(self, now: float) -> None:
        if not self.chat.allow(now):
            raise ChatRefused("rate_limited", "chat")

    def allow_react(self, now: float) -> None:
        if not self.react.allow(now):
            raise ChatRefused("rate_limited", "reactions")
