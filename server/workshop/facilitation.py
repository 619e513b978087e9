"""Leading workshops in the realtime rooms: a hub feature (and room rule) for facilitators
(no I/O).

A facilitator starts a workshop they lead in its room; from then on the room's main
instance (and the breakout rooms it opens) belong to the workshop. The server does what the
facilitator asks and nothing a participant's client could fake:

- gather: everyone in the facilitator's room instance is placed around them, on the floor,
  in reach, not stacked, facing them (``server/workshop/formation.py``);
- follow me: the server walks the participants in rows behind the facilitator, through
  doors too, until the tour is stopped (their own poses are overridden meanwhile);
- spotlight and stage: who is in the spotlight or stands on a stage is sent to everyone,
  so clients show them (and the facilitators' chat) highlighted;
- hands: raised hands queue in order per room instance; facilitators give the next one the
  floor, lower one or clear all;
- reactions are counted per agenda item; announcements go to the workshop's rooms or the
  whole hub; a countdown and the agenda position are part of the workshop's state;
- breakout groups: participants split into groups (at random, as chosen, or one per team
  that shares the workshop: ``teams_of``), each moved into a fresh overflow copy of
  the room; facilitators visit any group; recall (or the group timer) brings everyone back.
  While groups are out their places in the main room are kept (``places_reserved``).
- a waiting room (a workshop with ``admission``): while it runs, a visitor who may come in
  by its access rule waits in the foyer (``waiting_room``, then ``admission`` waiting)
  until a facilitator admits them (``admit``: one or all, taken to its room) or declines
  (``decline``, with a message); the facilitators get the ``waiting_list`` (name, since
  when, and whether they were sent out of the room earlier: the same identity, or a fresh
  guest of the same name). Someone sent out is not let in again without a facilitator;
- the end: ``ENDING_WARNING_S`` before its scheduled end the facilitators get
  ``workshop_ending``; at the end the workshop is over (as if ended by hand) and its room
  has its usual rules again (``over_listeners``: moderation puts back the room settings of
  before), unless a facilitator extended it (``workshop_extend``: the end moves, saved as a
  ``WorkshopExtended`` record; refused when another workshop has the room by then).

Attendance: joining and leaving a running workshop (its rooms or its tour) are handed to
the record sink as ``AttendanceEvent``; nothing else about a person is kept.

Restarts and takeovers: what a running workshop is now (``live_workshop.document``: agenda
position, countdown, spotlight, hands, breakout groups and their timer, who passed its
access rule) goes to the live sink when it changed, at most every ``KEEP_EVERY_S`` (a workshop just
started at the next tick, so a crash a moment later does not lose it). Kept
documents of workshops not running here (``kept``: read at start, and again and again
with several processes) are resumed once their room is this process's: at once after a
restart, when the room is taken over after a crash. People come back by identity (a
restarted process gives them new session ids); the tour is not kept.

>>> lead = Facilitation(book, world, sink=writer.put)                 # doctest: +SKIP
>>> core = HubCore(world, settings, features=[lead], rules=[lead])    # doctest: +SKIP
>>> lead.attach(core)                                                 # doctest: +SKIP
"""

from __future__ import annotations

import logging
import math
import random
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import replace
from typing import Any, ClassVar, Final, Protocol

import numpy as np

from server.base.identity import Identity, Role
from server.base.live_state import WORKSHOP, LiveDocuments, LiveSink
from server.base.text_rules import ChatRefused, clean_text
from server.core.effects import Effects
from server.core.hooks import RoomPositions, handled_by_type
from server.core.powers import UsesCore
from server.core.room import RoomInstance, Session
from server.core.workshop_context import (
    InstanceKey,
    LiveWorkshop,
    Resumed,
    StageArea,
    Tour,
    Waiting,
    document,
    key_of,
    resume,
)
from server.domain.breakouts import Breakout, BreakoutInvalid, Group, split, split_by_teams
from server.domain.workshop_records import (
    AttendanceEvent,
    AuditEntry,
    RecordSink,
    WorkshopExtended,
)
from server.domain.workshops import (
    WORKSHOP_MINUTES_MAX,
    Access,
    Workshop,
    WorkshopBook,
    clash_of,
    clash_time,
)
from server.protocol.message_spec import FeatureMessage, FeatureMessages
from server.protocol.table import encode
from server.workshop.facilitation_messages import (
    ANNOUNCEMENT_MAX_CHARS,
    FACILITATION_MESSAGES,
    Admit,
    Agenda,
    Announce,
    BreakoutRecall,
    BreakoutStart,
    BreakoutVisit,
    Decline,
    Follow,
    Gather,
    Hand,
    Hands,
    Spotlight,
    Timer,
    WorkshopEnd,
    WorkshopExtend,
    WorkshopJoin,
    WorkshopStart,
)
from server.workshop.formation import assign, column_spots, ring_spots, yaw_towards

#: A tour moves its followers this often (each move is a pose_fix to them).
TOUR_STEP_S: Final = 0.1
#: The walking direction is taken from moves longer than this.
HEADING_MIN_M: Final = 0.25
#: A follower further than this from their place is put there at once (a door, a start).
TOUR_SNAP_M: Final = 2.5
#: Followers closer than this to their place are left alone.
TOUR_SLACK_M: Final = 0.05
#: Reaction counts go out at most this often.
COUNTS_EVERY_S: Final = 1.0
#: Who stands on a stage is looked at this often.
STAGE_EVERY_S: Final = 0.25
#: Least time between two announcements of one person, to their rooms and to the hub.
ANNOUNCE_ROOM_EVERY_S: Final = 2.0
ANNOUNCE_HUB_EVERY_S: Final = 10.0
#: A stage anchor without a size covers this much (the builder's default stage).
STAGE_SIZE_M: Final = (10.0, 3.2)
#: The facilitators are told this long before a running workshop's scheduled end.
ENDING_WARNING_S: Final = 5 * 60.0
#: A running workshop's changed state goes to the store at most this often.
KEEP_EVERY_S: Final = 0.5
#: A workshop ended here is not resumed from an older copy read this long afterwards.
KEPT_ENDED_S: Final = 600.0

log = logging.getLogger("hubtwin.facilitation")


HubEvents = Callable[[str, dict[str, Any]], None]
"""Posts a hub-wide event (kind, payload) to the hub's other processes (``ClusterBus.post``)."""

TeamsOf = Callable[[str], Sequence[tuple[str, Collection[str]]]]
"""The teams that share a workshop: (team id, member identity ids), for groups by team."""

WorkshopOver = Callable[[str, Effects, float], None]
"""Told the room of a workshop that is over (ended by hand or by its time)."""

StationSpot = Callable[[str], tuple[str, Sequence[float]] | None]
"""A station id -> the room it stands in and its position, or None (no such station)."""


class StageAnchor(Protocol):
    @property
    def room_id(self) -> str: ...
    @property
    def position(self) -> Any: ...
    @property
    def yaw(self) -> float: ...
    @property
    def size(self) -> tuple[float, float] | None: ...


def stage_areas(anchors: Sequence[StageAnchor]) -> list[StageArea]:
    """The stage areas of a world's ``stage`` anchors (``world.anchors_of("stage")``)."""
    out = []
    for anchor in anchors:
        x, y, z = (float(v) for v in anchor.position)
        width, depth = anchor.size or STAGE_SIZE_M
        out.append(
            StageArea(anchor.room_id, x, z, float(anchor.yaw), width / 2, depth / 2, y - 0.2)
        )
    return out


class Facilitation(UsesCore):
    """The ``HubFeature`` and ``RoomRules`` of leading workshops."""

    def __init__(
        self,
        book: WorkshopBook,
        *,
        sink: RecordSink | None = None,
        stages: Sequence[StageArea] = (),
        seed: int | None = None,
        hub_events: HubEvents | None = None,
        keep: LiveSink | None = None,
        kept: Mapping[str, Any] | None = None,
    ) -> None:
        self.book = book
        self.sink: RecordSink = sink if sink is not None else (lambda record: None)
        #: where the running workshops' state goes to be stored
        self.keep: LiveSink = keep if keep is not None else (lambda change: None)
        self._documents = LiveDocuments(WORKSHOP, every_s=KEEP_EVERY_S)
        #: kept state of workshops running but not here (yet), by workshop id
        self.kept: dict[str, Any] = dict(kept or {})
        #: workshops that ended here, and when (a stale copy read from the store is ignored)
        self._ended: dict[str, float] = {}
        #: breakout members back after a restart, to be put into their group's room
        self._regroup: set[str] = set()
        #: hub-wide events for the other processes of the hub (the cluster bus), if any
        self.hub_events: HubEvents = hub_events or (lambda kind, payload: None)
        self._random = random.Random(seed)
        #: the teams that share a workshop, for groups by team: (team id, member identity
        #: ids) in the order their groups get (the plan service sets it)
        self.teams_of: TeamsOf = lambda workshop_id: []
        self.lives: dict[str, LiveWorkshop] = {}
        self._live_at: dict[InstanceKey, LiveWorkshop] = {}
        self.hands: dict[InstanceKey, list[str]] = {}
        #: identities that passed a workshop's access rule (by workshop id)
        self.admitted: dict[str, set[str]] = {}
        self._stages: dict[str, list[StageArea]] = {}
        for area in stages:
            self._stages.setdefault(area.room_id, []).append(area)
        self._on_stage: dict[InstanceKey, tuple[str, ...]] = {}
        self._announced: dict[tuple[str, str], float] = {}
        self._next_stage = float("-inf")
        #: told when a workshop is over (``Moderation.workshop_over``: the room's settings)
        self.over_listeners: list[WorkshopOver] = []
        #: where a station stands (room id and position), for an agenda item's "go there"
        self.station_place: StationSpot = lambda station_id: None

    @property
    def messages(self) -> FeatureMessages:
        return FACILITATION_MESSAGES

    # --- questions other parts ask ------------------------------------------------------

    def live_here(self, session: Session) -> LiveWorkshop | None:
        inst = session.instance
        return self._live_at.get(key_of(inst)) if inst is not None else None

    def live_in(self, instance: RoomInstance) -> LiveWorkshop | None:
        return self._live_at.get(key_of(instance))

    def may_lead(self, session: Session) -> bool:
        """Staff anywhere; facilitators where no workshop runs or where they lead it."""
        role = session.identity.role
        if role is Role.STAFF:
            return True
        if role is not Role.FACILITATOR:
            return False
        live = self.live_here(session)
        return live is None or live.workshop.led_by(session.identity)

    def running_in(self, room_id: str) -> bool:
        """Does a workshop run in (an instance of) this room now?"""
        return any(live.home.room_id == room_id for live in self.lives.values())

    def admits(self, identity: Identity, room_id: str) -> bool:
        """Is this person on the list of a workshop in the room? (What passes a lock: the
        invite code does not, it only answers the workshop's own access rule.)"""
        return any(
            identity.id in workshop.invited
            for workshop in self.book.all()
            if workshop.room == room_id
        )

    def invite(self, identity_id: str, room_id: str) -> None:
        """A moderator invited someone into the room: the workshops there let them in."""
        for workshop in self.book.all():
            if workshop.room == room_id:
                self.admitted.setdefault(workshop.id, set()).add(identity_id)

    def _let_in(self, workshop: Workshop, identity: Identity) -> bool:
        return identity.id in workshop.invited or identity.id in self.admitted.get(workshop.id, ())

    # --- hooks --------------------------------------------------------------------------

    def on_join(self, session: Session, fx: Effects, now: float) -> None:
        inst = session.instance
        if inst is None:
            return
        self._claim_in(inst.room_id, session)
        live = self._live_at.get(key_of(inst))
        if live is not None:
            self._sync_presence(live, session, now)
            if live.breakout is not None:
                live.counts_changed = True  # the groups' occupancy
        taking_part = live or self._present_in(session)
        if taking_part is not None:  # a client forgets the last room's workshop on "joined"
            fx.send_to(session, self._state_frame(session, taking_part))
            if taking_part.workshop.admission and taking_part.workshop.led_by(session.identity):
                fx.send_to(session, self._waiting_frame(taking_part))
        queue = self.hands.get(key_of(inst))
        if queue:
            fx.send_to(session, encode("hand_queue", sessions=list(queue)))
        if inst.room_id in self._stages:
            on_stage = self._on_stage.get(key_of(inst), ())
            fx.send_to(session, encode("stage", sessions=list(on_stage)))

    def on_stage(self, inst: RoomInstance) -> tuple[str, ...]:
        """The sessions standing on the instance's stage, as last looked (every few ticks)."""
        return self._on_stage.get(key_of(inst), ())

    def on_leave(self, session: Session, fx: Effects, now: float) -> None:
        inst = session.instance
        if inst is None:
            return
        key = key_of(inst)
        queue = self.hands.get(key)
        if queue and session.id in queue:
            queue.remove(session.id)
            fx.send(encode("hand_queue", sessions=list(queue)), inst.conns(but=session))
        for running in self.lives.values():
            if session.id in running.present:
                # decided on the tick: a move to another of its rooms is not leaving it
                running.leaving.setdefault(session.id, now)
        live = self._live_at.get(key)
        if live is not None and live.breakout is not None:
            live.counts_changed = True  # the groups' occupancy
        regrouped = session.id in self._regroup  # a hop into their group: still in the light
        if live is not None and session.id in live.spotlight and not regrouped:
            live.spotlight.remove(session.id)
            live.counts_changed = True

    def handle(self, session: Session, message: FeatureMessage, fx: Effects, now: float) -> bool:
        return handled_by_type(self._handlers, self, session, message, fx, now)

    def on_tick(self, now: float, rooms: Sequence[RoomPositions], fx: Effects) -> None:
        if self.kept:
            self.resume_kept(now, fx)
        if self._regroup:
            self._back_to_groups(now, fx)
        for live in list(self.lives.values()):
            if now >= live.workshop.ends_at:
                self.end(live, fx, now, by_time=True)
                continue
            if not live.warned and now >= live.workshop.ends_at - ENDING_WARNING_S:
                live.warned = True
                self._tell_leaders(live, fx, ended=False)
            if live.tour is not None and now >= live.tour.next_step:
                self._walk_tour(live, now, fx)
            if live.breakout is not None and now >= live.breakout.ends_at:
                self._recall(live, now, fx)
            if live.counts_changed and now - live.state_sent_at >= COUNTS_EVERY_S:
                self._broadcast(live, fx, now)
            if live.waiting or live.waiting_changed:
                self._tend_waiting(live, fx)
        for live in self.lives.values():
            if live.leaving:
                self._settle_leaving(live)
        if self._stages and now >= self._next_stage:
            self._next_stage = now + STAGE_EVERY_S
            self._watch_stages(rooms, fx)
        if self._documents.due(now):
            self.keep_changes(now)

    # --- kept across restarts and takeovers -------------------------------------------------

    def keep_changes(self, now: float) -> None:
        """Hand the running workshops' state that changed since last time to the live sink
        (on the tick, and at shutdown)."""
        current = {live.id: self._document(live) for live in self.lives.values()}
        for change in self._documents.changes(current, now):
            self.keep(change)

    def _document(self, live: LiveWorkshop) -> dict[str, Any]:
        room = live.home.room_id
        hands = {n: q for _, n in live.instance_keys() if (q := self.hands.get((room, n)))}
        returned = {old: identity for identity, old in live.returning.items()}
        ids: dict[str, str] = {}
        for queue in [live.spotlight, *hands.values()] + (
            [g.members for g in live.breakout.groups] if live.breakout is not None else []
        ):
            for session_id in queue:
                known = self.core.sessions.get(session_id) or live.present.get(session_id)
                identity = known.identity.id if known is not None else returned.get(session_id)
                if identity is not None:
                    ids[session_id] = identity
        return document(live, hands, sorted(self.admitted.get(live.id, ())), ids)

    def set_kept(self, documents: Mapping[str, Any], now: float) -> None:
        """The store's kept workshops (read now and then when the hub has several
        processes): those not running here may be resumed here when their room is."""
        self._ended = {wid: at for wid, at in self._ended.items() if now - at < KEPT_ENDED_S}
        self.kept = {
            wid: data
            for wid, data in documents.items()
            if wid not in self.lives and wid not in self._ended
        }

    def resume_kept(
        self,
        now: float,
        fx: Effects | None,
        *,
        room: str | None = None,
        entering: RoomInstance | None = None,
    ) -> None:
        """Resume the kept workshops whose room is this process's now (all of them after a
        restart; a room taken over after a crash: at the latest when someone is let into
        its main instance here, ``entering``). Those whose time is over are dropped."""
        for workshop_id, data in list(self.kept.items()):
            workshop = self.book.get(workshop_id)
            if workshop_id in self.lives or (workshop is not None and now >= workshop.ends_at):
                del self.kept[workshop_id]
                continue
            room_id = data.get("room") if isinstance(data, Mapping) else None
            if workshop is None or room_id != workshop.room or (room and room_id != room):
                continue
            number = data.get("home", 0)
            by_number = self.core.instances.get(room_id, {})
            home = by_number.get(number if isinstance(number, int) else 0)
            placement = self.core.placement
            if home is None or key_of(home) in self._live_at:
                continue
            if (
                placement is not None
                and home is not entering
                and not placement.is_here(room_id, home.number)
            ):
                continue
            del self.kept[workshop_id]
            try:
                resumed = resume(data, workshop, home)
            except ValueError as exc:
                log.warning("kept workshop ignored", extra={"id": workshop_id, "error": str(exc)})
                continue
            self._install(resumed, now, fx)

    def _install(self, resumed: Resumed, now: float, fx: Effects | None) -> None:
        live = resumed.live
        room = live.home.room_id
        self.lives[live.id] = live
        self._live_at[key_of(live.home)] = live
        if live.breakout is not None:
            for group in live.breakout.groups:
                inst = self.core.open_instance(room, now, group.instance)
                group.instance = inst.number
                self._live_at[key_of(inst)] = live
        for number, queue in resumed.hands.items():
            if queue and (room, number) in self._live_at:
                self.hands[(room, number)] = list(queue)
        self.admitted.setdefault(live.id, set()).update(resumed.admitted)
        for inst in self._instances_of(live):
            for member in list(inst.members.values()):
                self._claim(live, member)
                self._sync_presence(live, member, now)
        log.info("workshop resumed", extra={"workshop": live.id, "room": room})
        if fx is not None:
            self._broadcast(live, fx, now)

    def _back_to_groups(self, now: float, fx: Effects) -> None:
        """Breakout members who came back after a restart into the workshop's main room go
        on into their group's room."""
        for session_id in list(self._regroup):
            self._regroup.discard(session_id)
            session = self.core.sessions.get(session_id)
            live = self._present_in(session) if session is not None else None
            if session is None or live is None or live.breakout is None:
                continue
            group = live.breakout.group_of(session_id)
            if group is not None and session.instance is live.home:
                self._regroup.add(session_id)
                self.core.relocate(session, live.home.room_id, group.instance, now, fx)
                self._regroup.discard(session_id)

    def _claim_in(self, room_id: str, session: Session) -> None:
        for live in self.lives.values():
            if live.returning and live.home.room_id == room_id:
                self._claim(live, session)

    def _claim(self, live: LiveWorkshop, session: Session) -> None:
        """Someone named in a resumed workshop is back (with a new session id after a
        restart): their hand, spotlight and group are theirs again."""
        old = live.returning.pop(session.identity.id, None)
        if old is None or old == session.id:
            return
        new = session.id

        def swap(ids: list[str]) -> list[str]:
            return [new if s == old else s for s in ids]

        live.spotlight = swap(live.spotlight)
        if live.breakout is not None:
            for group in live.breakout.groups:
                group.members = swap(group.members)
            if live.breakout.group_of(new) is not None:
                self._regroup.add(new)
        live.counts_changed = True  # the others learn the new id with the next state
        room = live.home.room_id
        for _, number in live.instance_keys():
            queue = self.hands.get((room, number))
            if queue and old in queue:
                self.hands[(room, number)] = swap(queue)

    # --- room rules ---------------------------------------------------------------------

    def refuse_hello(self, identity: Identity, now: float) -> str | None:
        return None

    def refuse_entry(self, session: Session, instance: RoomInstance, now: float) -> str | None:
        if self.kept:
            self.resume_kept(now, None, room=instance.room_id, entering=instance)
        self._claim_in(instance.room_id, session)
        live = self._live_at.get(key_of(instance))
        if live is None or live.workshop.led_by(session.identity):
            return None
        workshop = live.workshop
        if (
            workshop.access is not Access.OPEN
            and session.identity.role is Role.VISITOR
            and not self._let_in(workshop, session.identity)
        ):
            return "workshop_access"  # a running workshop with an invite code or a list
        if self._must_wait(live, session.identity):
            self._wait(live, session, now)
            return "waiting_room"
        if live.breakout is None:
            return None
        if instance is live.home:
            kept = live.sent_out(self.core.sessions)
            if live.breakout.group_of(session.id) is not None:
                kept -= 1  # one of the group members themselves, coming back early
            if instance.occupancy + kept >= instance.capacity:
                return "places_reserved"
            return None
        group = live.breakout.by_instance(instance.number)
        if group is not None and session.id not in group.members:
            return "room_locked"
        return None

    def refuse_chat(self, session: Session, direct: bool, now: float) -> str | None:
        return None

    # --- the waiting room -------------------------------------------------------------------

    def waits_in(self, room_id: str) -> bool:
        """Does a workshop with a waiting room run in this room (its facilitators decide
        who comes in, the sent out too)?"""
        return any(
            live.home.room_id == room_id and live.workshop.admission for live in self.lives.values()
        )

    def removed(self, identity: Identity, room_id: str) -> None:
        """A moderator sent someone out of the room: the workshop running there does not
        let them in again without a facilitator (they are marked in its waiting list)."""
        for live in self.lives.values():
            if live.home.room_id == room_id:
                live.removed_ids.add(identity.id)
                live.removed_names.add(identity.name.casefold())
                live.let_in.discard(identity.id)

    @staticmethod
    def _must_wait(live: LiveWorkshop, identity: Identity) -> bool:
        return (
            live.workshop.admission
            and identity.role is Role.VISITOR
            and identity.id not in live.let_in
        )

    def _wait(self, live: LiveWorkshop, session: Session, now: float) -> None:
        if session.id in live.waiting:
            return
        identity = session.identity
        removed = (
            "identity"
            if identity.id in live.removed_ids
            else "name"
            if identity.name.casefold() in live.removed_names
            else None
        )
        live.waiting[session.id] = Waiting(session.id, identity.id, identity.name, now, removed)
        live.waiting_changed = True

    def _tend_waiting(self, live: LiveWorkshop, fx: Effects) -> None:
        """Who left the hub stops waiting; the new waiting hear so; the leaders get the
        list."""
        for session_id in [s for s in live.waiting if s not in self.core.sessions]:
            del live.waiting[session_id]
            live.waiting_changed = True
        for waiting in live.waiting.values():
            if not waiting.told:
                waiting.told = True
                self._tell_admission(live, waiting.session_id, "waiting", None, fx)
        if live.waiting_changed:
            live.waiting_changed = False
            self._send_waiting_list(live, fx)

    def _send_waiting_list(self, live: LiveWorkshop, fx: Effects) -> None:
        frame = self._waiting_frame(live)
        fx.send(frame, [s.conn for s in self._leading_sessions(live) if s.conn is not None])

    def _waiting_frame(self, live: LiveWorkshop) -> bytes:
        people = sorted(live.waiting.values(), key=lambda w: w.since)
        return encode("waiting_list", workshop=live.id, people=[w.as_dict() for w in people])

    def _leading_sessions(self, live: LiveWorkshop) -> list[Session]:
        return [
            s
            for s in live.present.values()
            if live.workshop.led_by(s.identity) and s.id in self.core.sessions
        ]

    def _tell_admission(
        self, live: LiveWorkshop, session_id: str, state: str, message: str | None, fx: Effects
    ) -> None:
        session = self.core.sessions.get(session_id)
        if session is not None:
            frame = encode(
                "admission",
                workshop=live.id,
                title=live.workshop.title,
                state=state,
                message=message,
            )
            fx.send_to(session, frame)

    def _admit(self, session: Session, message: Admit, fx: Effects, now: float) -> None:
        live = self._leading(session, fx, "admit")
        if live is None:
            return
        if message.all:
            chosen = list(live.waiting)
        elif message.session is not None and message.session in live.waiting:
            chosen = [message.session]
        else:
            fx.error(session.conn, session.lang, "nobody_waiting", about="admit")
            return
        for session_id in chosen:
            waiting = live.waiting.pop(session_id)
            live.let_in.add(waiting.identity_id)
            self._tell_admission(live, session_id, "admitted", None, fx)
            person = self.core.sessions.get(session_id)
            if person is not None:
                self.core.relocate(person, live.home.room_id, live.home.number, now, fx)
        self._audit_admission(session, "admit", chosen, live, now)
        self._send_waiting_list(live, fx)

    def _decline(self, session: Session, message: Decline, fx: Effects, now: float) -> None:
        live = self._leading(session, fx, "decline")
        if live is None:
            return
        waiting = live.waiting.pop(message.session, None)
        if waiting is None:
            fx.error(session.conn, session.lang, "nobody_waiting", about="decline")
            return
        text = None
        if message.message:
            try:
                text = clean_text(message.message, ANNOUNCEMENT_MAX_CHARS)
            except ChatRefused:
                text = None
        self._tell_admission(live, waiting.session_id, "declined", text, fx)
        self._audit_admission(session, "decline", [waiting.session_id], live, now, [waiting])
        self._send_waiting_list(live, fx)

    def _audit_admission(
        self,
        session: Session,
        action: str,
        chosen: Sequence[str],
        live: LiveWorkshop,
        now: float,
        gone: Sequence[Waiting] = (),
    ) -> None:
        names = [
            s.identity.name for sid in chosen if (s := self.core.sessions.get(sid)) is not None
        ] or [w.name for w in gone]
        self.sink(
            AuditEntry.of(
                session.identity,
                action,
                now,
                room=live.home.room_id,
                detail=", ".join(names)[:200],
            )
        )

    def refuse_reaction(self, session: Session, now: float) -> str | None:
        return None

    def reacted(self, session: Session, emoji: str, fx: Effects, now: float) -> None:
        live = self.live_here(session)
        if live is not None:
            live.reactions[emoji] += 1
            live.counts_changed = True

    # --- permission -----------------------------------------------------------------------

    def _may_lead_here(self, session: Session, fx: Effects, about: str) -> bool:
        if session.instance is None:
            fx.error(session.conn, session.lang, "not_in_room", about=about)
            return False
        if not self.may_lead(session):
            fx.error(session.conn, session.lang, "not_facilitator", about=about)
            return False
        return True

    def _leading(self, session: Session, fx: Effects, about: str) -> LiveWorkshop | None:
        """The running workshop the session may lead here, or None after the refusal."""
        if session.identity.role is Role.VISITOR:
            fx.error(session.conn, session.lang, "not_facilitator", about=about)
            return None
        live = self.live_here(session)
        if live is None:
            fx.error(session.conn, session.lang, "workshop_not_live", about=about)
            return None
        if not live.workshop.led_by(session.identity):
            fx.error(session.conn, session.lang, "not_facilitator", about=about)
            return None
        return live

    # --- joining, starting, ending ----------------------------------------------------------

    def _join(self, session: Session, message: WorkshopJoin, fx: Effects, now: float) -> None:
        workshop = self.book.get(message.workshop)
        if workshop is None:
            fx.error(session.conn, session.lang, "workshop_unknown", about="workshop_join")
            return
        if not workshop.admits(session.identity, message.code):
            fx.error(session.conn, session.lang, "workshop_access", about="workshop_join")
            return
        self.admitted.setdefault(workshop.id, set()).add(session.identity.id)
        inst = session.instance
        if inst is not None and inst.room_id == workshop.room:
            fx.send_to(session, self._state_frame(session, self.live_here(session)))
            return
        if not session.moves.allow(now):
            fx.error(session.conn, session.lang, "rate_limited", "room changes", "workshop_join")
            return
        home = self.core.instances[workshop.room][0]
        placement = self.core.placement
        local = placement is None or placement.is_here(workshop.room, 0)
        refusal = (
            next(  # a room another process has: its rules are asked there
                filter(None, (rule.refuse_entry(session, home, now) for rule in self.core.rules)),
                None,
            )
            if local
            else None
        )
        if refusal is not None:
            fx.error(session.conn, session.lang, refusal, workshop.room, "workshop_join")
            return
        if not self.core.relocate(session, workshop.room, None, now, fx):
            fx.error(session.conn, session.lang, "instance_unknown", workshop.room, "workshop_join")

    def _start(self, session: Session, message: WorkshopStart, fx: Effects, now: float) -> None:
        if session.identity.role is Role.VISITOR:
            fx.error(session.conn, session.lang, "not_facilitator", about="workshop_start")
            return
        workshop = self.book.get(message.workshop)
        if workshop is None:
            fx.error(session.conn, session.lang, "workshop_unknown", about="workshop_start")
            return
        if not workshop.led_by(session.identity):
            fx.error(session.conn, session.lang, "not_facilitator", about="workshop_start")
            return
        inst = session.instance
        if inst is None or inst.room_id != workshop.room or inst.number != 0:
            fx.error(
                session.conn, session.lang, "workshop_elsewhere", workshop.room, "workshop_start"
            )
            return
        if now >= workshop.ends_at:
            fx.error(session.conn, session.lang, "workshop_over", about="workshop_start")
            return
        running = self._live_at.get(key_of(inst))
        if running is not None:
            if running.id != workshop.id:
                fx.error(session.conn, session.lang, "workshop_live", about="workshop_start")
            else:
                fx.send_to(session, self._state_frame(session, running))
            return
        live = LiveWorkshop(workshop, inst, started_at=now)
        self.lives[workshop.id] = live
        self._live_at[key_of(inst)] = live
        self._documents.soon()
        for member in list(inst.members.values()):
            self._sync_presence(live, member, now)
        self._broadcast(live, fx, now)

    def _end(self, session: Session, message: WorkshopEnd, fx: Effects, now: float) -> None:
        live = self._leading(session, fx, "workshop_end")
        if live is not None:
            self.end(live, fx, now)

    def end(self, live: LiveWorkshop, fx: Effects, now: float, *, by_time: bool = False) -> None:
        """End a running workshop: groups come back, the tour stops, attendance closes, the
        room has its usual rules again; ``by_time``: its scheduled end has come (the
        facilitators are told)."""
        if by_time:
            self._tell_leaders(live, fx, ended=True)
        if live.breakout is not None:
            self._recall(live, now, fx)
        live.tour = None
        conns = set(live.home.conns())
        for session in list(live.present.values()):
            self._attendance(live, session.identity, False, live.leaving.get(session.id, now))
            if session.conn is not None and session.id in self.core.sessions:
                conns.add(session.conn)
        live.present.clear()
        live.leaving.clear()
        self.lives.pop(live.id, None)
        self._ended[live.id] = now
        for key in live.instance_keys():
            if self._live_at.get(key) is live:
                del self._live_at[key]
        fx.send(encode("workshop_state", workshop=None), sorted(conns))
        for listener in self.over_listeners:
            listener(live.home.room_id, fx, now)

    def _tell_leaders(self, live: LiveWorkshop, fx: Effects, *, ended: bool) -> None:
        ws = live.workshop
        frame = encode(
            "workshop_ending", workshop=ws.id, title=ws.title, ends_at=ws.ends_at, ended=ended
        )
        leaders = {s.id: s for s in live.present.values() if ws.led_by(s.identity)}
        for inst in self._instances_of(live):
            leaders.update({m.id: m for m in inst.members.values() if ws.led_by(m.identity)})
        fx.send(frame, sorted(s.conn for s in leaders.values() if s.conn is not None))

    def _extend(self, session: Session, message: WorkshopExtend, fx: Effects, now: float) -> None:
        live = self._leading(session, fx, "workshop_extend")
        if live is None:
            return
        ws = live.workshop
        longer = replace(ws, ends_at=ws.ends_at + message.minutes * 60, updated_at=now)
        if longer.ends_at - longer.starts_at > WORKSHOP_MINUTES_MAX * 60:
            detail = f"{WORKSHOP_MINUTES_MAX} min"
            fx.error(session.conn, session.lang, "bad_field", detail, "workshop_extend")
            return
        other = clash_of(longer, self.book.all())
        if other is not None:
            detail = f"{other.title} ({clash_time(other)})"
            fx.error(session.conn, session.lang, "workshop_clash", detail, "workshop_extend")
            return
        live.workshop = longer
        live.warned = now >= longer.ends_at - ENDING_WARNING_S
        self.book.put(longer)
        self.sink(WorkshopExtended(longer))
        self.sink(
            AuditEntry.of(
                session.identity, "extend", now, room=ws.room, detail=f"{message.minutes} min"
            )
        )
        self._broadcast(live, fx, now)

    def refresh_changed(self, fx: Effects, now: float) -> None:
        """The book was read again from the store: running workshops changed there since
        (on the command line, say) take the change; an older copy (the store not yet having
        an extension made here) does not undo a newer one."""
        for workshop_id, live in list(self.lives.items()):
            stored = self.book.get(workshop_id)
            if stored is None or (
                stored != live.workshop and stored.updated_at >= live.workshop.updated_at
            ):
                self.refresh(workshop_id, fx, now)

    def refresh(self, workshop_id: str, fx: Effects, now: float) -> None:
        """The workshop was edited (or deleted): running, its state goes out again."""
        live = self.lives.get(workshop_id)
        if live is None:
            return
        workshop = self.book.get(workshop_id)
        if workshop is None:
            self.end(live, fx, now)
            return
        if workshop.ends_at != live.workshop.ends_at:
            live.warned = now >= workshop.ends_at - ENDING_WARNING_S
        live.workshop = workshop
        if live.item >= len(workshop.agenda):
            live.item = len(workshop.agenda) - 1
        self._broadcast(live, fx, now)

    # --- gathering and touring ------------------------------------------------------------

    def _gather(self, session: Session, message: Gather, fx: Effects, now: float) -> None:
        if message.item is not None:
            self._go_to_item(session, message.item, fx)
            return
        if not self._may_lead_here(session, fx, "gather"):
            return
        inst = session.instance
        assert inst is not None
        others = [m for m in inst.members.values() if m is not session]
        if not others:
            fx.error(session.conn, session.lang, "no_participants", about="gather")
            return
        centre = inst.poses.pos[session.slot].astype(np.float64)
        spots = ring_spots(self.core.world, centre, len(others), inst.room_index)
        movable = others[: len(spots)]
        current = np.array([inst.poses.pos[m.slot] for m in movable], dtype=np.float64)
        for member, index in zip(movable, assign(current, spots), strict=True):
            spot = spots[index]
            self.core.place(member, spot, yaw_towards(spot, centre), "gather", fx)

    def _follow(self, session: Session, message: Follow, fx: Effects, now: float) -> None:
        live = self._leading(session, fx, "follow")
        if live is None:
            return
        if not message.on:
            if live.tour is not None:
                self._stop_tour(live, fx, now)
            return
        inst = session.instance
        assert inst is not None
        followers = [
            m.id
            for m in inst.members.values()
            if m is not session and not live.workshop.led_by(m.identity)
        ]
        if not followers:
            fx.error(session.conn, session.lang, "no_participants", about="follow")
            return
        position = inst.poses.pos[session.slot].astype(np.float64)
        heading = float(inst.poses.yaw[session.slot])
        live.tour = Tour(session.id, followers, heading, position.copy(), next_step=now)
        self._walk_tour(live, now, fx)
        self._broadcast(live, fx, now)

    def _walk_tour(self, live: LiveWorkshop, now: float, fx: Effects) -> None:
        """One step of a tour: followers into the leader's room instance, then into rows
        behind the leader, facing where they walk."""
        tour = live.tour
        assert tour is not None
        tour.next_step = now + TOUR_STEP_S
        sessions = self.core.sessions
        leader = sessions.get(tour.leader)
        inst = leader.instance if leader is not None else None
        if leader is None or inst is None:
            self._stop_tour(live, fx, now)
            return
        position = inst.poses.pos[leader.slot].astype(np.float64)
        moved = position - tour.last_position
        if math.hypot(float(moved[0]), float(moved[2])) >= HEADING_MIN_M:
            tour.heading = yaw_towards(tour.last_position, position)
            tour.last_position = position.copy()
        dropped = False
        followers: list[Session] = []
        for follower_id in tour.followers:
            follower = sessions.get(follower_id)
            if follower is None or follower.instance is None:
                dropped = True
                continue
            if follower.instance is not inst:
                moved_in = self.core.relocate(
                    follower, inst.room_id, inst.number, now, fx, position=position
                )
                if not moved_in:
                    dropped = True
                    continue
            followers.append(follower)
        if dropped:
            tour.followers = [f.id for f in followers]
        spots = column_spots(
            self.core.world, position, tour.heading, len(followers), inst.room_index
        )
        for follower, spot in zip(followers, spots, strict=True):
            current = inst.poses.pos[follower.slot]
            gap = math.hypot(float(spot[0] - current[0]), float(spot[2] - current[2]))
            if gap <= TOUR_SLACK_M:
                continue
            self.core.place(follower, spot, tour.heading, "follow", fx, snap=gap > TOUR_SNAP_M)
        if dropped:
            self._broadcast(live, fx, now)

    def _stop_tour(self, live: LiveWorkshop, fx: Effects, now: float) -> None:
        """The tour is over: who walked along but is now outside the workshop's rooms
        leaves it (attendance) and is told."""
        live.tour = None
        self._broadcast(live, fx, now)
        for session in list(live.present.values()):
            if session.id not in self.core.sessions:
                continue  # ended: the tick writes their leaving
            if not self._inside(live, session):
                del live.present[session.id]
                live.leaving.pop(session.id, None)
                self._attendance(live, session.identity, False, now)
                fx.send_to(session, encode("workshop_state", workshop=None))

    # --- spotlight, hands, reactions, announcements, timer, agenda ----------------------------

    def _spotlight(self, session: Session, message: Spotlight, fx: Effects, now: float) -> None:
        live = self._leading(session, fx, "spotlight")
        if live is None:
            return
        if not message.on and message.session is None:
            live.spotlight.clear()
        else:
            target = message.session or session.id
            if target not in live.present:
                fx.error(session.conn, session.lang, "recipient_unknown", about="spotlight")
                return
            if message.on and target not in live.spotlight:
                live.spotlight.append(target)
            elif not message.on and target in live.spotlight:
                live.spotlight.remove(target)
        self._broadcast(live, fx, now)

    def _hand(self, session: Session, message: Hand, fx: Effects, now: float) -> None:
        inst = session.instance
        if inst is None:
            fx.error(session.conn, session.lang, "not_in_room", about="hand")
            return
        queue = self.hands.setdefault(key_of(inst), [])
        if message.up == (session.id in queue):
            fx.send_to(session, encode("hand_queue", sessions=list(queue)))
            return
        if message.up:
            queue.append(session.id)
        else:
            queue.remove(session.id)
        fx.send(encode("hand_queue", sessions=list(queue)), inst.conns())

    def _hands(self, session: Session, message: Hands, fx: Effects, now: float) -> None:
        if not self._may_lead_here(session, fx, "hands"):
            return
        inst = session.instance
        assert inst is not None
        queue = self.hands.setdefault(key_of(inst), [])
        if message.action == "clear":
            queue.clear()
        elif message.action == "lower":
            target = message.session
            if target is None or target not in queue:
                fx.error(session.conn, session.lang, "recipient_unknown", about="hands")
                return
            queue.remove(target)
        else:
            if not queue:
                fx.error(session.conn, session.lang, "hands_empty", about="hands")
                return
            speaker = queue.pop(0)
            live = self.live_here(session)
            if live is not None and speaker in live.present:
                live.spotlight = [speaker]
                self._broadcast(live, fx, now)
        fx.send(encode("hand_queue", sessions=list(queue)), inst.conns())

    def _announce(self, session: Session, message: Announce, fx: Effects, now: float) -> None:
        if not self._may_lead_here(session, fx, "announce"):
            return
        try:
            text = clean_text(message.text, ANNOUNCEMENT_MAX_CHARS)
        except ChatRefused:
            fx.error(session.conn, session.lang, "announcement_invalid", about="announce")
            return
        every = ANNOUNCE_HUB_EVERY_S if message.scope == "hub" else ANNOUNCE_ROOM_EVERY_S
        last = self._announced.get((session.id, message.scope), float("-inf"))
        if now - last < every:
            fx.error(session.conn, session.lang, "rate_limited", f"{every:g} s", "announce")
            return
        self._announced[(session.id, message.scope)] = now
        frame = encode(
            "announcement",
            text=text,
            scope=message.scope,
            name=session.identity.name,
            ts=now,
            **{"from": session.id},
        )
        if message.scope == "hub":
            conns = [s.conn for s in self.core.sessions.values() if s.conn is not None]
            self.hub_events("announce", {"text": text, "name": session.identity.name, "ts": now})
        else:
            live = self.live_here(session)
            instances = self._instances_of(live) if live is not None else [session.instance]
            conns = [c for inst in instances if inst is not None for c in inst.conns()]
        fx.send(frame, conns)

    def announced_elsewhere(self, event: Mapping[str, Any], fx: Effects) -> None:
        """A hub-wide announcement made in another process of the hub (the ``announce``
        event of the cluster bus): everyone connected here gets it too."""
        frame = encode(
            "announcement",
            text=str(event["text"])[:ANNOUNCEMENT_MAX_CHARS],
            scope="hub",
            name=str(event["name"])[:80],
            ts=float(event["ts"]),
            **{"from": ""},
        )
        fx.send(frame, [s.conn for s in self.core.sessions.values() if s.conn is not None])

    def _go_to_item(self, session: Session, item: int, fx: Effects) -> None:
        """An agenda item's "go there": everyone in the instance, the facilitator too, in
        rings around the station the item names (in this room), facing it."""
        live = self._leading(session, fx, "gather")
        if live is None:
            return
        inst = session.instance
        assert inst is not None
        if item >= len(live.workshop.agenda):
            fx.error(session.conn, session.lang, "agenda_item_unknown", about="gather")
            return
        station = live.workshop.agenda[item].station
        place = self.station_place(station) if station else None
        if place is None or place[0] != inst.room_id:
            fx.error(session.conn, session.lang, "station_elsewhere", about="gather")
            return
        centre = np.asarray(place[1], dtype=np.float64)
        members = list(inst.members.values())
        spots = ring_spots(self.core.world, centre, len(members), inst.room_index)
        movable = members[: len(spots)]
        current = np.array([inst.poses.pos[m.slot] for m in movable], dtype=np.float64)
        for member, index in zip(movable, assign(current, spots), strict=True):
            spot = spots[index]
            self.core.place(member, spot, yaw_towards(spot, centre), "gather", fx)

    def _timer(self, session: Session, message: Timer, fx: Effects, now: float) -> None:
        live = self._leading(session, fx, "timer")
        if live is not None:
            live.timer_ends = now + message.seconds if message.seconds > 0 else None
            self._broadcast(live, fx, now)

    def _agenda(self, session: Session, message: Agenda, fx: Effects, now: float) -> None:
        live = self._leading(session, fx, "agenda")
        if live is None:
            return
        if message.item >= len(live.workshop.agenda):
            fx.error(session.conn, session.lang, "agenda_item_unknown", about="agenda")
            return
        live.item = message.item
        live.item_started = now if message.item >= 0 else None
        live.reactions.clear()
        self._broadcast(live, fx, now)

    # --- breakout groups ------------------------------------------------------------------

    def _breakout(self, session: Session, message: BreakoutStart, fx: Effects, now: float) -> None:
        live = self._leading(session, fx, "breakout")
        if live is None:
            return
        if session.instance is not live.home:
            fx.error(session.conn, session.lang, "workshop_elsewhere", about="breakout")
            return
        if live.breakout is not None:
            fx.error(session.conn, session.lang, "breakout_running", about="breakout")
            return
        participants = [
            m.id for m in live.home.members.values() if not live.workshop.led_by(m.identity)
        ]
        chosen = message.assign if message.mode == "chosen" else None
        teams: list[str | None] = []
        try:
            if message.mode == "teams":
                identity_of = {
                    p: m.identity.id for p in participants if (m := self.core.sessions.get(p))
                }
                groups, teams = split_by_teams(
                    participants, identity_of, self.teams_of(live.workshop.id)
                )
            else:
                if message.mode == "chosen" and not any(chosen or ()):
                    raise BreakoutInvalid("breakout_invalid", "chosen groups need members")
                groups = split(participants, message.groups, self._random, chosen)
        except BreakoutInvalid as exc:
            fx.error(session.conn, session.lang, exc.code, exc.detail, "breakout")
            return
        self.open_breakout(live, groups, now + message.minutes * 60, fx, now, teams=teams)

    def open_breakout(
        self,
        live: LiveWorkshop,
        groups: list[list[str]],
        ends_at: float,
        fx: Effects,
        now: float,
        *,
        teams: Sequence[str | None] = (),
    ) -> None:
        """Move each group into a fresh copy of the workshop's room (``teams``: the team
        each group was formed for, if any)."""
        room = live.home.room_id
        made: list[Group] = []
        for number, members in enumerate(groups):
            inst = self.core.open_instance(room, now)
            team = teams[number] if number < len(teams) else None
            made.append(Group(number, inst.number, list(members), team))
            self._live_at[key_of(inst)] = live
        live.breakout = Breakout(made, ends_at)
        sessions = self.core.sessions
        for group in made:
            for member_id in group.members:
                member = sessions.get(member_id)
                if member is not None:
                    self.core.relocate(member, room, group.instance, now, fx)
        self._broadcast(live, fx, now)

    def _visit(self, session: Session, message: BreakoutVisit, fx: Effects, now: float) -> None:
        live = self._leading(session, fx, "breakout_visit")
        if live is None:
            return
        if live.breakout is None:
            fx.error(session.conn, session.lang, "no_breakout", about="breakout_visit")
            return
        if message.group < 0:
            number = live.home.number
        else:
            group = next((g for g in live.breakout.groups if g.number == message.group), None)
            if group is None:
                fx.error(session.conn, session.lang, "group_unknown", about="breakout_visit")
                return
            number = group.instance
        if not self.core.relocate(session, live.home.room_id, number, now, fx):
            fx.error(session.conn, session.lang, "instance_unknown", about="breakout_visit")

    def _recall_message(
        self, session: Session, message: BreakoutRecall, fx: Effects, now: float
    ) -> None:
        live = self._leading(session, fx, "breakout_recall")
        if live is None:
            return
        if live.breakout is None:
            fx.error(session.conn, session.lang, "no_breakout", about="breakout_recall")
            return
        self._recall(live, now, fx)

    def _recall(self, live: LiveWorkshop, now: float, fx: Effects) -> None:
        """Everyone in the breakout rooms back to the home room (its places were kept)."""
        breakout = live.breakout
        assert breakout is not None
        room = live.home.room_id
        live.breakout = None  # the home room's places are no longer held back
        for group in breakout.groups:
            inst = self.core.instances[room].get(group.instance)
            self._live_at.pop((room, group.instance), None)
            if inst is None:
                continue
            for member in list(inst.members.values()):
                if not self.core.relocate(member, room, live.home.number, now, fx):
                    self.core.relocate(member, room, None, now, fx)
        self._broadcast(live, fx, now)

    # --- stages -------------------------------------------------------------------------

    def use_stages(self, stages: Sequence[StageArea], fx: Effects) -> None:
        """The stage areas of a new world version. A room that has no stage any more tells
        its people that nobody stands on one; the others are looked at again at the next
        tick."""
        self._stages = {}
        for area in stages:
            self._stages.setdefault(area.room_id, []).append(area)
        for key in [k for k in self._on_stage if k[0] not in self._stages]:
            del self._on_stage[key]
            inst = self.core.instances.get(key[0], {}).get(key[1])
            if inst is not None:
                fx.send(encode("stage", sessions=[]), inst.conns())
        self._next_stage = float("-inf")

    def _watch_stages(self, rooms: Sequence[RoomPositions], fx: Effects) -> None:
        seen: set[InstanceKey] = set()
        for room in rooms:
            areas = self._stages.get(room.room_id)
            if not areas:
                continue
            key = key_of(room.instance)
            seen.add(key)
            positions = room.positions
            held = np.zeros(len(positions), dtype=bool)
            for area in areas:
                held |= area.holds(positions)
            on_stage = tuple(s.id for s, up in zip(room.sessions, held.tolist(), strict=True) if up)
            if on_stage != self._on_stage.get(key, ()):
                self._on_stage[key] = on_stage
                fx.send(encode("stage", sessions=list(on_stage)), room.instance.conns())
        for key in [k for k in self._on_stage if k not in seen]:
            del self._on_stage[key]

    # --- state and attendance ---------------------------------------------------------------

    def _instances_of(self, live: LiveWorkshop) -> list[RoomInstance]:
        by_number = self.core.instances.get(live.home.room_id, {})
        return [
            inst
            for _, number in live.instance_keys()
            if (inst := by_number.get(number)) is not None
        ]

    def _present_in(self, session: Session) -> LiveWorkshop | None:
        """The running workshop this session takes part in (on its tour, say), if any."""
        return next((live for live in self.lives.values() if session.id in live.present), None)

    def _leaders(self, live: LiveWorkshop) -> list[str]:
        return [s.id for s in live.present.values() if live.workshop.led_by(s.identity)]

    def _state_frame(self, session: Session, live: LiveWorkshop | None) -> bytes:
        inst = session.instance
        if live is None or inst is None:
            return encode("workshop_state", workshop=None)
        you_lead = live.workshop.led_by(session.identity)
        state = live.state(inst, you_lead, self._leaders(live), self._group_occupancy(live))
        return encode("workshop_state", workshop=state)

    def _broadcast(self, live: LiveWorkshop, fx: Effects, now: float) -> None:
        """The workshop's state to everyone in its rooms (two frames per room at most)."""
        live.counts_changed = False
        live.state_sent_at = now
        leaders = self._leaders(live)
        audience: dict[tuple[RoomInstance, bool], list[int]] = {}
        people = [m for inst in self._instances_of(live) for m in inst.members.values()]
        here = {m.id for m in people}
        people += [
            s for s in live.present.values() if s.id not in here and s.id in self.core.sessions
        ]
        for person in people:
            if person.conn is not None and person.instance is not None:
                you_lead = live.workshop.led_by(person.identity)
                audience.setdefault((person.instance, you_lead), []).append(person.conn)
        occupancy = self._group_occupancy(live)
        for (inst, you_lead), conns in audience.items():
            state = live.state(inst, you_lead, leaders, occupancy)
            fx.send(encode("workshop_state", workshop=state), conns)

    def _group_occupancy(self, live: LiveWorkshop) -> dict[int, int]:
        """How many are in each breakout group's room now, by instance number."""
        if live.breakout is None:
            return {}
        by_number = self.core.instances.get(live.home.room_id, {})
        return {
            g.instance: inst.occupancy
            for g in live.breakout.groups
            if (inst := by_number.get(g.instance)) is not None
        }

    def _inside(self, live: LiveWorkshop, session: Session) -> bool:
        """Does the session take part now: in one of the workshop's rooms, or on its tour?"""
        if session.id not in self.core.sessions:
            return False
        inst = session.instance
        if inst is not None and self._live_at.get(key_of(inst)) is live:
            return True
        tour = live.tour
        return tour is not None and (session.id == tour.leader or session.id in tour.followers)

    def _sync_presence(self, live: LiveWorkshop, session: Session, now: float) -> None:
        """The session is in one of the workshop's rooms: it takes part (from now, or
        still: a move between the workshop's rooms is not leaving)."""
        live.leaving.pop(session.id, None)
        if live.workshop.admission:
            live.let_in.add(session.identity.id)  # in once: back without waiting again
        if session.id not in live.present:
            live.present[session.id] = session
            self._attendance(live, session.identity, True, now)

    def _settle_leaving(self, live: LiveWorkshop) -> None:
        """Who left a room of the workshop since the last tick and is not in another one
        (nor on its tour) has left the workshop, at the time they left the room."""
        for session_id, at in list(live.leaving.items()):
            del live.leaving[session_id]
            session = live.present.get(session_id)
            if session is not None and not self._inside(live, session):
                del live.present[session_id]
                self._attendance(live, session.identity, False, at)

    def _attendance(self, live: LiveWorkshop, identity: Identity, joined: bool, now: float) -> None:
        self.sink(AttendanceEvent(live.id, identity.id, identity.name, identity.guest, joined, now))

    _handlers: ClassVar[
        Mapping[type, Callable[[Facilitation, Session, Any, Effects, float], None]]
    ] = {
        WorkshopJoin: _join,
        WorkshopStart: _start,
        WorkshopEnd: _end,
        WorkshopExtend: _extend,
        Gather: _gather,
        Follow: _follow,
        Spotlight: _spotlight,
        Hand: _hand,
        Hands: _hands,
        Announce: _announce,
        Timer: _timer,
        Agenda: _agenda,
        BreakoutStart: _breakout,
        BreakoutVisit: _visit,
        BreakoutRecall: _recall_message,
        Admit: _admit,
        Decline: _decline,
    }
