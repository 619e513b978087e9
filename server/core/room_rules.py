"""Room rules: what the hub core asks before it lets someone into the hub or a room, lets
them chat or react (moderation and workshops decide; the core enforces).

A rule answers with an error code from the protocol table (the refusal) or None (no
objection). The core asks every rule and refuses on the first objection, so a client can
never get round a ban, a lock, a mute or a room's chat setting: the server simply does not
do what was asked.

- ``refuse_hello(identity, now)``: a verified hello; a refusal ends the connection if its
  code closes (``banned``).
- ``refuse_entry(session, instance, now)``: entering a room instance by hello, ``go``,
  ``wait``, a queue or a door. The entrance room is never asked: whoever is refused
  elsewhere lands there. Moves a facilitator or moderator makes (``HubCore.relocate``)
  are not asked either.
- ``refuse_chat(session, direct, now)``: a chat message (``direct``: to one person).
- ``refuse_reaction(session, now)``: an emoji reaction.
- ``reacted(session, emoji, fx, now)``: a reaction went out (for counts).

>>> rules = [moderation, lead]                                         # doctest: +SKIP
>>> core = HubCore(world, settings, features=[lead, moderation], rules=rules)  # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from server.base.identity import Identity
    from server.core.effects import Effects
    from server.core.room import RoomInstance, Session


class RoomRules(Protocol):
    """What the hub core asks (see the module docstring for when)."""

    def refuse_hello(self, identity: Identity, now: float) -> str | None: ...

    def refuse_entry(self, session: Session, instance: RoomInstance, now: float) -> str | None: ...

    def refuse_chat(self, session: Session, direct: bool, now: float) -> str | None: ...

    def refuse_reaction(self, session: Session, now: float) -> str | None: ...

    def reacted(self, session: Session, emoji: str, fx: Effects, now: float) -> None: ...
