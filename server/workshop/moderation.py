"""Moderation in the realtime rooms: a hub feature and room rule (no I/O).

Facilitators (in the rooms they may lead) and staff (anywhere) can mute someone (chat and
reactions),
send someone out of a room (they stay out for a while), ban someone from the hub (by their
guest identity or account, for some hours or until lifted), lock a room, and set what a
room allows: chat (everyone, or facilitators only: chat off), reactions, and who moves the
screens (the screens feature's ``ControlPolicy``). All of it is enforced by the core asking
this object (``server/core/room_rules.py``): a muted person's chat line is never sent, a banned
person's hello is refused (by reconnecting too; after a restart the bans come back from the
store), a locked room lets nobody new in but facilitators, staff, a workshop's invited and
whoever a facilitator invites.

Nobody can moderate someone of their own rank or above (a facilitator cannot mute staff or
another facilitator). Every action becomes an ``AuditEntry`` for the record sink (who, what,
to whom, where, when); bans go to the sink too, so the store keeps them.

What is kept, and how the other processes of a hub hear of it:

* bans: the record sink (``Ban``) and the bus event ``ban`` (``enforce``);
* mutes (identity id -> muted until): the state sink (``MuteChange``; ended mutes are
  dropped by the store and never come back) and the bus event ``mute``
  (``mute_elsewhere``); a muted person walking into a room another process owns stays muted;
* room settings (locked, chat, reactions, screens, the invited), one per room and for all
  its instances, so an overflow instance leaves nothing behind: the state sink
  (``RoomSettingsChange``; a room back to the usual settings is forgotten) and the bus event
  ``room_settings`` (``room_settings_elsewhere``). Every process holds every room's settings,
  so an instance taken over after a crash comes up locked if its room was.

The hub process hands both sinks to its record writer (``server/workshop/service.py``) and
loads the kept mutes and settings at start (the ``mutes`` and ``rooms`` arguments) and every
little while (``set_kept``, for events a process missed while Redis was away).
Removals (someone sent out of a room for a while; identity id -> until, one document per
room) go to the live sink (``live``) when they change, at most every ``KEEP_EVERY_S``, and
come back at start (``removals``); with several processes the kept ones are read again
every little while (``set_kept_removals``), so a process taking a room over after a crash
keeps the removed out too.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar, Final, Protocol

from server.base.identity import Identity, Role
from server.base.live_state import REMOVALS, LiveDocuments, LiveSink
from server.core.effects import Effects
from server.core.hooks import RoomPositions, handled_by_type
from server.core.powers import UsesCore
from server.core.room import RoomInstance, Session
from server.domain.playback import ControlMode, ControlPolicy, RoomScreens
from server.domain.workshop_records import AuditEntry, Ban, RecordSink, new_record_id
from server.protocol.message_spec import FeatureMessage, FeatureMessages
from server.protocol.table import encode
from server.workshop.moderation_messages import (
    MODERATION_MESSAGES,
    BanPerson,
    Invite,
    Lock,
    Mute,
    Permissions,
    Remove,
)

log = logging.getLogger("hubtwin.moderation")

#: How long someone sent out of a room stays out unless the facilitator says otherwise.
REMOVE_DEFAULT_MIN: Final = 30
#: A ban made here counts even if the store does not list it yet for this long.
RECENT_BAN_S: Final = 120.0
#: Ended mutes are noticed this often.
EXPIRY_EVERY_S: Final = 1.0
#: A mute or room setting changed here (or heard from the bus) in the last this many
#: seconds is kept even if the store does not have it yet (``set_kept``).
RECENT_CHANGE_S: Final = 120.0
#: Changed removals go to the store at most this often.
KEEP_EVERY_S: Final = 0.5
#: What ``chat`` and ``reactions`` of a room may be.
POLICIES: Final = ("everyone", "facilitators")


class LeadCheck(Protocol):
    """What moderation asks the workshops (``server.workshop.facilitation.Facilitation``)."""

    def may_lead(self, session: Session) -> bool: ...

    def admits(self, identity: Identity, room_id: str) -> bool: ...

    def invite(self, identity_id: str, room_id: str) -> None: ...

    def running_in(self, room_id: str) -> bool: ...

    def waits_in(self, room_id: str) -> bool: ...

    def removed(self, identity: Identity, room_id: str) -> None: ...

    @property
    def over_listeners(self) -> list[Callable[[str, Effects, float], None]]: ...


class ScreenControl(Protocol):
    """The screens feature's control rules (``server.features.talks.realtime.TalkScreens``)."""

    policies: Mapping[str, ControlPolicy]

    def screens_of(self, instance: RoomInstance) -> RoomScreens | None: ...


@dataclass
class RoomSettings:
    """What a room allows now (all its instances). ``screens`` is who moves the screens
    when a moderator set it (None: as the world says); ``invited`` may pass the lock (an
    unlocked room forgets them)."""

    locked: bool = False
    chat: str = "everyone"
    reactions: str = "everyone"
    screens: str | None = None
    invited: set[str] = field(default_factory=set)

    @property
    def usual(self) -> bool:
        """Nothing set: the room need not be kept."""
        return self == RoomSettings()

    def as_dict(self) -> dict[str, Any]:
        return {
            "locked": self.locked,
            "chat": self.chat,
            "reactions": self.reactions,
            "screens": self.screens,
            "invited": sorted(self.invited),
        }

    @classmethod
    def from_dict(cls, data: Any) -> RoomSettings:
        """Settings as the store or the bus has them; ValueError when they are not."""
        if not isinstance(data, Mapping):
            raise ValueError("room settings must be a mapping")
        chat, reactions = data.get("chat", "everyone"), data.get("reactions", "everyone")
        screens = data.get("screens")
        invited = data.get("invited", [])
        if chat not in POLICIES or reactions not in POLICIES:
            raise ValueError(f"unknown chat or reactions policy: {chat!r}, {reactions!r}")
        if screens is not None and screens not in {mode.value for mode in ControlMode}:
            raise ValueError(f"unknown screens mode: {screens!r}")
        if not isinstance(invited, list) or not all(isinstance(i, str) for i in invited):
            raise ValueError("invited must be a list of identity ids")
        return cls(bool(data.get("locked", False)), chat, reactions, screens, set(invited))


@dataclass(frozen=True)
class MuteChange:
    """A mute set (``on``; ``until`` None: until let again) or lifted, for the store."""

    identity_id: str
    until: float | None
    by_id: str
    at: float
    on: bool = True


@dataclass(frozen=True)
class RoomSettingsChange:
    """A room's settings now, for the store (None: the usual ones, nothing to keep)."""

    room: str
    settings: dict[str, Any] | None


ModerationState = MuteChange | RoomSettingsChange
StateSink = Callable[[ModerationState], None]
"""Where moderation puts the state the store keeps (``list.append`` in tests)."""


class Moderation(UsesCore):
    """The ``HubFeature`` and ``RoomRules`` of moderation."""

    def __init__(
        self,
        *,
        sink: RecordSink | None = None,
        lead: LeadCheck | None = None,
        screens: ScreenControl | None = None,
        bans: Iterable[Ban] = (),
        hub_events: Callable[[str, dict[str, Any]], None] | None = None,
        keep: StateSink | None = None,
        mutes: Mapping[str, float | None] | None = None,
        rooms: Mapping[str, Any] | None = None,
        live: LiveSink | None = None,
        removals: Mapping[str, Any] | None = None,
    ) -> None:
        self.sink: RecordSink = sink if sink is not None else (lambda record: None)
        #: where mutes and room settings go to be stored
        self.keep: StateSink = keep if keep is not None else (lambda state: None)
        #: hub-wide events for the other processes of the hub (the cluster bus), if any
        self.hub_events = hub_events or (lambda kind, payload: None)
        self.lead = lead
        self.screens = screens
        self._bans: dict[str, Ban] = {ban.id: ban for ban in bans}
        self.rooms: dict[str, RoomSettings] = {}
        #: identity id -> muted until (inf: until let again)
        self.mutes: dict[str, float] = {}
        #: (identity id, room id) -> kept out until
        self.barred: dict[tuple[str, str], float] = {}
        #: where removals go to be stored
        self.live: LiveSink = live if live is not None else (lambda change: None)
        self._removals = LiveDocuments(REMOVALS, every_s=KEEP_EVERY_S)
        #: removals lifted here (an invitation), and when: an older stored copy is ignored
        self._lifted: dict[tuple[str, str], float] = {}
        self.set_kept_removals(removals or {}, 0.0)
        self._next_expiry = float("-inf")
        #: ("mute", identity id) / ("room", room id) -> when it last changed here or on the bus
        self._changed: dict[tuple[str, str], float] = {}
        #: a room's settings before they were first changed during the workshop running
        #: there; put back when the workshop is over (``workshop_over``)
        self._before_workshop: dict[str, tuple[RoomSettings, str]] = {}
        self.mutes.update(_mutes_in_memory(mutes or {}))
        #: told (identity id) in the same step when a mute is set or lifted, here or on
        #: the bus (voice holds the speaker at once instead of at its next round)
        self.mute_listeners: list[Callable[[str, Effects, float], None]] = []
        if lead is not None:
            lead.over_listeners.append(self.workshop_over)
        for room, data in (rooms or {}).items():
            settings = _settings_or_none(room, data)
            if settings is not None:
                self._put_room(room, settings)

    @property
    def messages(self) -> FeatureMessages:
        return MODERATION_MESSAGES

    # --- bans (also used by the REST API) ---------------------------------------------------

    def set_bans(self, bans: Iterable[Ban], now: float) -> None:
        """Replace the bans held in memory with the store's (read now and then, so bans made
        or lifted by another process of the hub count here too). Bans made here in the last
        ``RECENT_BAN_S`` stay even if the store does not have them yet."""
        fresh = {ban.id: ban for ban in bans}
        for ban in self._bans.values():
            if ban.id not in fresh and ban.by_id and now - ban.created_at < RECENT_BAN_S:
                fresh[ban.id] = ban
        self._bans = fresh

    def ban_of(self, identity_id: str, now: float) -> Ban | None:
        """The ban in force for an identity, if any."""
        return next(
            (b for b in self._bans.values() if b.identity_id == identity_id and b.active(now)),
            None,
        )

    def ban(
        self,
        actor: Identity,
        target: Identity,
        hours: int | None,
        reason: str,
        fx: Effects,
        now: float,
    ) -> Ban:
        """Ban an identity: kept, audited, and every session of theirs ends at once."""
        ban = Ban(
            id=new_record_id("b"),
            identity_id=target.id,
            display_name=target.name,
            by_id=actor.id,
            by_name=actor.name,
            reason=reason,
            created_at=now,
            expires_at=None if hours is None else now + hours * 3600,
        )
        self.sink(ban)
        until = "" if ban.expires_at is None else f"until {ban.expires_at:.0f}"
        self._audit(actor, "ban", target, None, " ".join(p for p in (until, reason) if p), now)
        self.enforce(ban, fx, now)
        self.hub_events("ban", ban.as_dict())
        return ban

    def enforce(self, ban: Ban, fx: Effects, now: float) -> None:
        """A ban is in force here: kept in memory, and the person's sessions in this process
        end at once. Also what another process's ban (the ``ban`` event of the cluster bus,
        ``Ban.from_dict`` of its payload) comes to here."""
        self._bans[ban.id] = ban
        if self._core is None or not ban.active(now):
            return
        for session in [s for s in self.core.sessions.values() if s.identity.id == ban.identity_id]:
            by = Identity(ban.by_id, ban.by_name, Role.STAFF, guest=False)
            fx.send_to(session, self._moderated("banned", by, None, ban.expires_at))
            self.core.end_session(session, "banned", fx, now)

    def forget_ban(self, ban_id: str, actor: Identity, now: float) -> Ban | None:
        """A ban was lifted (the store has already dropped it): audited, no longer in force."""
        ban = self._bans.pop(ban_id, None)
        if ban is not None:
            target = Identity(ban.identity_id, ban.display_name, Role.VISITOR, guest=True)
            self._audit(actor, "unban", target, None, "", now)
        return ban

    # --- kept state and the other processes ------------------------------------------------

    def mute_elsewhere(self, event: Any, fx: Effects, now: float) -> None:
        """Another process of the hub muted or let someone again (the ``mute`` event of the
        cluster bus): in force here too; the person is told if they are here."""
        until = event.get("until") if isinstance(event, Mapping) else None
        if (
            not isinstance(event, Mapping)
            or not isinstance(event.get("identity_id"), str)
            or not (until is None or isinstance(until, int | float))
        ):
            log.warning("a mute event that is not one", extra={"event": repr(event)[:200]})
            return
        identity_id = event["identity_id"]
        by = Identity(
            str(event.get("by_id", "")), str(event.get("by", "")), Role.STAFF, guest=False
        )
        room = event.get("room") if isinstance(event.get("room"), str) else None
        self._changed[("mute", identity_id)] = now
        if event.get("on"):
            self.mutes[identity_id] = math.inf if until is None else float(until)
            frame = self._moderated("muted", by, room, None if until is None else float(until))
        else:
            self.mutes.pop(identity_id, None)
            frame = self._moderated("unmuted", by, room, None)
        for session in self._sessions_of(identity_id):
            fx.send_to(session, frame)
            self._send_rules(session, fx, now)
        for listener in self.mute_listeners:
            listener(identity_id, fx, now)

    def room_settings_elsewhere(self, event: Any, fx: Effects, now: float) -> None:
        """Another process of the hub changed what a room allows (the ``room_settings``
        event of the cluster bus): in force here too; the room's people here are told."""
        room = event.get("room") if isinstance(event, Mapping) else None
        settings = _settings_or_none(room, event) if isinstance(room, str) else None
        if not isinstance(room, str) or settings is None:
            log.warning("a room settings event that is not one", extra={"event": repr(event)})
            return
        before = self.rooms.get(room, RoomSettings())
        self._changed[("room", room)] = now
        self._put_room(room, settings)
        if self.lead is not None:
            for identity_id in settings.invited - before.invited:
                self.lead.invite(identity_id, room)
        if self._core is not None:
            self._send_room_rules(room, fx, now)

    def set_kept(
        self, mutes: Mapping[str, float | None], rooms: Mapping[str, Any], fx: Effects, now: float
    ) -> None:
        """Replace the mutes and room settings held in memory with the store's (read now
        and then: what another process changed while its bus event was lost counts here
        too). What changed here or on the bus in the last ``RECENT_CHANGE_S`` stays even if
        the store does not have it yet; whoever is affected here is told."""
        recent = {key for key, at in self._changed.items() if now - at < RECENT_CHANGE_S}
        self._changed = {key: self._changed[key] for key in recent}
        stored = _mutes_in_memory(mutes)
        for identity_id in set(stored) | set(self.mutes):
            if ("mute", identity_id) in recent:
                continue
            until = stored.get(identity_id)
            if until == self.mutes.get(identity_id):
                continue
            if until is None:
                self.mutes.pop(identity_id, None)
            else:
                self.mutes[identity_id] = until
            for session in self._sessions_of(identity_id):
                self._send_rules(session, fx, now)
        kept = {room: _settings_or_none(room, data) for room, data in rooms.items()}
        for room in set(kept) | set(self.rooms):
            if ("room", room) in recent:
                continue
            settings = kept.get(room) or RoomSettings()
            if settings == self.rooms.get(room, RoomSettings()):
                continue
            self._put_room(room, settings)
            if self._core is not None:
                self._send_room_rules(room, fx, now)

    def _put_room(self, room: str, settings: RoomSettings) -> None:
        self.rooms[room] = settings
        if settings.screens is not None:
            self._set_screens(room, ControlMode(settings.screens))

    def _sessions_of(self, identity_id: str) -> list[Session]:
        if self._core is None:
            return []
        return [s for s in self.core.sessions.values() if s.identity.id == identity_id]

    def _keep_mute(
        self, who: Identity, until: float | None, by: Identity, room: str, now: float, on: bool
    ) -> None:
        self._changed[("mute", who.id)] = now
        self.keep(MuteChange(who.id, until, by.id, now, on))
        self.hub_events(
            "mute",
            {
                "identity_id": who.id,
                "until": until,
                "on": on,
                "by_id": by.id,
                "by": by.name,
                "room": room,
            },
        )

    def _keep_room(self, room: str, now: float) -> None:
        settings = self.rooms.get(room, RoomSettings())
        self._changed[("room", room)] = now
        self.keep(RoomSettingsChange(room, None if settings.usual else settings.as_dict()))
        self.hub_events("room_settings", {"room": room, **settings.as_dict()})

    # --- hooks --------------------------------------------------------------------------

    def on_join(self, session: Session, fx: Effects, now: float) -> None:
        # A client takes a room without room_rules as one that allows everything; those who
        # moderate always get them (they show the settings, screens included).
        inst = session.instance
        if inst is None:
            return
        settings = self.rooms.get(inst.room_id)
        usual = settings is None or (
            not settings.locked and settings.chat == settings.reactions == "everyone"
        )
        muted = self.mutes.get(session.identity.id, 0.0) > now
        if not usual or muted or session.identity.role is not Role.VISITOR:
            fx.send_to(session, self._rules_frame(session, inst.room_id, now))

    def on_leave(self, session: Session, fx: Effects, now: float) -> None:
        return None

    def handle(self, session: Session, message: FeatureMessage, fx: Effects, now: float) -> bool:
        return handled_by_type(self._handlers, self, session, message, fx, now)

    def on_tick(self, now: float, rooms: Sequence[RoomPositions], fx: Effects) -> None:
        if self._removals.due(now):
            self.keep_removals(now)
        if now < self._next_expiry:
            return
        self._next_expiry = now + EXPIRY_EVERY_S
        ended = [who for who, until in self.mutes.items() if until <= now]
        for identity_id in ended:
            del self.mutes[identity_id]
            for session in self.core.sessions.values():
                if session.identity.id == identity_id and session.instance is not None:
                    fx.send_to(session, self._rules_frame(session, session.instance.room_id, now))
        for key in [k for k, until in self.barred.items() if until <= now]:
            del self.barred[key]

    # --- removals kept across restarts and takeovers ------------------------------------

    def keep_removals(self, now: float) -> None:
        """Hand the rooms whose removals changed to the live sink."""
        rooms: dict[str, dict[str, Any]] = {}
        for (identity_id, room), until in sorted(self.barred.items()):
            if until > now:
                rooms.setdefault(room, {})[identity_id] = until
        for change in self._removals.changes(rooms, now):
            self.live(change)

    def set_kept_removals(self, documents: Mapping[str, Any], now: float) -> None:
        """The store's removals (room -> identity id -> until): in force here too, unless
        lifted here since."""
        self._lifted = {k: at for k, at in self._lifted.items() if now - at < RECENT_CHANGE_S}
        for room, people in documents.items():
            if not isinstance(people, Mapping):
                continue
            for identity_id, until in people.items():
                key = (str(identity_id), str(room))
                if isinstance(until, int | float) and key not in self._lifted:
                    self.barred[key] = max(float(until), self.barred.get(key, 0.0))

    # --- room rules ---------------------------------------------------------------------

    def refuse_hello(self, identity: Identity, now: float) -> str | None:
        return "banned" if self.ban_of(identity.id, now) is not None else None

    def refuse_entry(self, session: Session, instance: RoomInstance, now: float) -> str | None:
        identity = session.identity
        room_id = instance.room_id
        # in a workshop's waiting room its facilitators decide (they see the removal)
        barred = self.barred.get((identity.id, room_id), 0.0) > now
        if barred and (self.lead is None or not self.lead.waits_in(room_id)):
            return "removed_from_room"
        settings = self.rooms.get(room_id)
        if settings is None or not settings.locked or identity.role is not Role.VISITOR:
            return None
        if identity.id in settings.invited:
            return None
        if self.lead is not None and self.lead.admits(identity, room_id):
            return None
        return "room_locked"

    def refuse_chat(self, session: Session, direct: bool, now: float) -> str | None:
        if self.mutes.get(session.identity.id, 0.0) > now:
            return "chat_muted"
        inst = session.instance
        settings = self.rooms.get(inst.room_id) if inst is not None else None
        if (
            not direct
            and settings is not None
            and settings.chat == "facilitators"
            and session.identity.role is Role.VISITOR
        ):
            return "chat_off"
        return None

    def refuse_reaction(self, session: Session, now: float) -> str | None:
        if self.mutes.get(session.identity.id, 0.0) > now:
            return "reactions_muted"
        inst = session.instance
        settings = self.rooms.get(inst.room_id) if inst is not None else None
        if (
            settings is not None
            and settings.reactions == "facilitators"
            and session.identity.role is Role.VISITOR
        ):
            return "reactions_off"
        return None

    def reacted(self, session: Session, emoji: str, fx: Effects, now: float) -> None:
        return None

    # --- who may moderate whom ------------------------------------------------------------

    def _moderator(self, session: Session, fx: Effects, about: str) -> RoomInstance | None:
        """The moderator's room instance, or None after the refusal."""
        role = session.identity.role
        allowed = role is Role.STAFF or (
            role is Role.FACILITATOR and (self.lead is None or self.lead.may_lead(session))
        )
        if not allowed:
            fx.error(session.conn, session.lang, "not_moderator", about=about)
            return None
        if session.instance is None:
            fx.error(session.conn, session.lang, "not_in_room", about=about)
            return None
        return session.instance

    def _target(
        self, actor: Session, target_id: str, fx: Effects, about: str, *, anywhere: bool
    ) -> Session | None:
        """The session to act on: known, here (staff and ``anywhere``: in the hub), and
        of a lower rank than the actor."""
        target = self.core.sessions.get(target_id)
        here = target is not None and (
            anywhere or actor.identity.role is Role.STAFF or target.instance is actor.instance
        )
        if target is None or not here:
            fx.error(actor.conn, actor.lang, "recipient_unknown", about=about)
            return None
        if target.identity.role.rank >= actor.identity.role.rank:
            fx.error(actor.conn, actor.lang, "target_protected", about=about)
            return None
        return target

    # --- the actions --------------------------------------------------------------------

    def _mute(self, session: Session, message: Mute, fx: Effects, now: float) -> None:
        inst = self._moderator(session, fx, "mute")
        if inst is None:
            return
        target = self._target(session, message.session, fx, "mute", anywhere=False)
        if target is None:
            return
        who = target.identity
        if message.on:
            until = math.inf if message.minutes is None else now + message.minutes * 60
            self.mutes[who.id] = until
            detail = "" if message.minutes is None else f"{message.minutes} min"
            self._audit(session.identity, "mute", who, inst.room_id, detail, now)
            shown = None if until == math.inf else until
            self._keep_mute(who, shown, session.identity, inst.room_id, now, on=True)
            self._tell(target, self._moderated("muted", session.identity, inst.room_id, shown), fx)
        else:
            self.mutes.pop(who.id, None)
            self._audit(session.identity, "unmute", who, inst.room_id, "", now)
            self._keep_mute(who, None, session.identity, inst.room_id, now, on=False)
            self._tell(target, self._moderated("unmuted", session.identity, inst.room_id, None), fx)
        self._send_rules(target, fx, now)
        for listener in self.mute_listeners:
            listener(who.id, fx, now)

    def _remove(self, session: Session, message: Remove, fx: Effects, now: float) -> None:
        inst = self._moderator(session, fx, "remove")
        if inst is not None and inst.room_id == self.core.entrance:
            fx.error(session.conn, session.lang, "entrance_protected", about="remove")
            return
        if inst is None:
            return
        target = self._target(session, message.session, fx, "remove", anywhere=False)
        if target is None:
            return
        minutes = message.minutes or REMOVE_DEFAULT_MIN
        until = now + minutes * 60
        room = target.instance.room_id if target.instance is not None else inst.room_id
        self.barred[(target.identity.id, room)] = until
        if self.lead is not None:
            self.lead.removed(target.identity, room)
        self._audit(session.identity, "remove", target.identity, room, f"{minutes} min", now)
        self._tell(target, self._moderated("removed", session.identity, room, until), fx)
        self.core.relocate(target, self.core.entrance, None, now, fx)

    def _ban(self, session: Session, message: BanPerson, fx: Effects, now: float) -> None:
        inst = self._moderator(session, fx, "ban")
        if inst is None:
            return
        target = self._target(session, message.session, fx, "ban", anywhere=False)
        if target is None:
            return
        self.ban(session.identity, target.identity, message.hours, message.reason, fx, now)

    def _lock(self, session: Session, message: Lock, fx: Effects, now: float) -> None:
        inst = self._moderator(session, fx, "lock")
        if inst is None:
            return
        if inst.room_id == self.core.entrance:
            fx.error(session.conn, session.lang, "entrance_protected", about="lock")
            return
        self._remember_usual(inst.room_id)
        settings = self.rooms.setdefault(inst.room_id, RoomSettings())
        settings.locked = message.on
        if not message.on:
            settings.invited.clear()
        action = "lock" if message.on else "unlock"
        self._audit(session.identity, action, None, inst.room_id, "", now)
        self._keep_room(inst.room_id, now)
        self._send_room_rules(inst.room_id, fx, now)

    def _permissions(self, session: Session, message: Permissions, fx: Effects, now: float) -> None:
        inst = self._moderator(session, fx, "permissions")
        if inst is None:
            return
        room = inst.room_id
        self._remember_usual(room)
        settings = self.rooms.setdefault(room, RoomSettings())
        changes = []
        if message.chat is not None:
            settings.chat = message.chat
            changes.append(f"chat={message.chat}")
        if message.reactions is not None:
            settings.reactions = message.reactions
            changes.append(f"reactions={message.reactions}")
        if message.screens is not None:
            settings.screens = message.screens
            self._set_screens(room, ControlMode(message.screens))
            changes.append(f"screens={message.screens}")
        self._audit(session.identity, "permissions", None, room, " ".join(changes), now)
        self._keep_room(room, now)
        self._send_room_rules(room, fx, now)

    def _invite(self, session: Session, message: Invite, fx: Effects, now: float) -> None:
        inst = self._moderator(session, fx, "invite")
        if inst is None:
            return
        target = self.core.sessions.get(message.session)
        if target is None:
            fx.error(session.conn, session.lang, "recipient_unknown", about="invite")
            return
        self._remember_usual(inst.room_id)
        self.rooms.setdefault(inst.room_id, RoomSettings()).invited.add(target.identity.id)
        if self.barred.pop((target.identity.id, inst.room_id), None) is not None:
            self._lifted[(target.identity.id, inst.room_id)] = now
        if self.lead is not None:
            self.lead.invite(target.identity.id, inst.room_id)
        self._audit(session.identity, "invite", target.identity, inst.room_id, "", now)
        self._keep_room(inst.room_id, now)
        self._tell(target, self._moderated("invited", session.identity, inst.room_id, None), fx)

    # --- the end of a workshop -----------------------------------------------------------

    def _remember_usual(self, room: str) -> None:
        """A room's settings are about to change: while a workshop runs there, what they
        were before is kept (once) to be put back when it is over."""
        if (
            self.lead is not None
            and room not in self._before_workshop
            and self.lead.running_in(room)
        ):
            before = self.rooms.get(room, RoomSettings())
            kept = replace(before, invited=set(before.invited))
            self._before_workshop[room] = (kept, self.screen_mode(room))

    def workshop_over(self, room: str, fx: Effects, now: float) -> None:
        """The workshop in ``room`` is over: the settings changed while it ran (a lock, chat
        or reactions off, invitations, screens) go back to what they were before it."""
        found = self._before_workshop.pop(room, None)
        if found is None:
            return
        before, screens = found
        if self.rooms.get(room, RoomSettings()) == before and self.screen_mode(room) == screens:
            return
        self._put_room(room, before)
        self._set_screens(room, ControlMode(screens))
        self._keep_room(room, now)
        if self._core is not None:
            self._send_room_rules(room, fx, now)

    # --- screens ------------------------------------------------------------------------

    def screen_mode(self, room_id: str) -> str:
        if self.screens is None:
            return ControlMode.ANYONE.value
        policy = self.screens.policies.get(room_id)
        return (policy or ControlPolicy()).mode.value

    def _set_screens(self, room_id: str, mode: ControlMode) -> None:
        if self.screens is None:
            return
        policy = ControlPolicy(mode)
        self.screens.policies = {**self.screens.policies, room_id: policy}
        if self._core is None:
            return
        for inst in self.core.instances.get(room_id, {}).values():
            screens = self.screens.screens_of(inst)
            if screens is not None:
                screens.policy = policy

    # --- outgoing and the audit log -----------------------------------------------------

    def _rules_frame(self, session: Session, room_id: str, now: float) -> bytes:
        settings = self.rooms.get(room_id) or RoomSettings()
        until = self.mutes.get(session.identity.id, 0.0)
        muted = until > now
        return encode(
            "room_rules",
            room=room_id,
            locked=settings.locked,
            chat=settings.chat,
            reactions=settings.reactions,
            screens=self.screen_mode(room_id),
            muted=muted,
            muted_until=until if muted and until != math.inf else None,
        )

    def _send_rules(self, session: Session, fx: Effects, now: float) -> None:
        if session.instance is not None:
            fx.send_to(session, self._rules_frame(session, session.instance.room_id, now))

    def _send_room_rules(self, room_id: str, fx: Effects, now: float) -> None:
        for inst in self.core.instances.get(room_id, {}).values():
            for member in inst.members.values():
                self._send_rules(member, fx, now)

    @staticmethod
    def _moderated(action: str, by: Identity, room: str | None, until: float | None) -> bytes:
        return encode("moderated", action=action, by=by.name, room=room, until=until)

    @staticmethod
    def _tell(target: Session, frame: bytes, fx: Effects) -> None:
        fx.send_to(target, frame)

    def _audit(
        self,
        actor: Identity,
        action: str,
        target: Identity | None,
        room: str | None,
        detail: str,
        now: float,
    ) -> None:
        self.sink(AuditEntry.of(actor, action, now, target=target, room=room, detail=detail))

    _handlers: ClassVar[
        Mapping[type, Callable[[Moderation, Session, Any, Effects, float], None]]
    ] = {
        Mute: _mute,
        Remove: _remove,
        BanPerson: _ban,
        Lock: _lock,
        Permissions: _permissions,
        Invite: _invite,
    }


def _mutes_in_memory(mutes: Mapping[str, float | None]) -> dict[str, float]:
    """The store's mutes (until None: until let again) as this object holds them (inf)."""
    return {who: math.inf if until is None else float(until) for who, until in mutes.items()}


def _settings_or_none(room: Any, data: Any) -> RoomSettings | None:
    try:
        return RoomSettings.from_dict(data)
    except ValueError as exc:
        log.warning("room settings ignored", extra={"room": repr(room), "error": str(exc)})
        return None
