"""The hub feature of consulting: open desks, their queues, and the booths (no I/O).

``ConsultingDesks`` is a hub feature (``server/core/hooks.py``) and a room rule
(``server/core/room_rules.py``). The server decides:

- only advisors (accounts marked as advisors: ``advisors``, kept current from the store by
  ``server/features/consulting/advisors.py``) open a desk, at one free consulting corner each, and
  call someone in; a desk whose advisor lost the mark closes; a visitor queues for one open
  desk at a time with a topic;
- calling in opens a new instance of the corner's room, the **booth**, and moves the
  advisor and the visitor there, face to face at the corner. A booth is a room instance of
  its own, so the voice feature puts it in a hearing group of its own (nobody outside hears
  in, nobody inside is heard outside: ``server/features/voice/hearing.py``) and ``refuse_entry``
  turns away anyone else (``booth_private``, whatever the client sends);
- the booth's text chat (``consult_say``) goes to the two only and is never stored; the
  room chat is refused there (``booth_chat``), since chat lines are kept;
- either side ends it (``consult_end``), and it ends when one of them leaves the booth or
  the hub: both are back in the corner's room;
- notes the advisor hands over are held here, in memory, until the visitor saves them
  (``take_notes``, called by POST /api/consulting/notes) or their session ends.

With several processes (``elsewhere`` set, ``server/features/consulting/cluster_side.py`` carries it
over the bus) a desk is still decided by the process that holds the advisor's session: a visitor
on another process queues, is told their place, leaves the queue and is called in through
it. Their queue entry names the process that serves them (``Waiting.process``); calling
them in opens the booth here and has that process hand them over into it (they arrive with
the same session id, the only one let in besides the advisor); one who does not arrive
within ``ARRIVAL_S`` ends the conversation as one who left.

Who sits where and waits for whom is also read by the REST side (``open_desks``,
``corners_taken``) for the panel and the sign at the corner. The corners follow the world:
``ConsultingFollower`` reads the site's file again for each published world version and
``use_corners`` swaps them in (a desk at a corner that is gone closes).

>>> desks = ConsultingDesks(corner_places(world.anchors, file, world.entrance))  # doctest: +SKIP
>>> core = HubCore(world, settings, features=[desks], rules=[desks])  # doctest: +SKIP
>>> desks.attach(core)                                         # doctest: +SKIP
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, Protocol

import numpy as np
from numpy.typing import NDArray

from server.domain.consulting import (
    CONSULTING_FILE,
    ConsultingFile,
    ConsultingInvalid,
    clean_notes,
    clean_topic,
)
from server.features.consulting.messages import (
    CONSULTING_MESSAGES,
    ConsultCall,
    ConsultDesk,
    ConsultEnd,
    ConsultLeave,
    ConsultNotes,
    ConsultQueue,
    ConsultSay,
)
from server.protocol.table import encode, error_frame
from world.errors import InputFileError

if TYPE_CHECKING:
    from server.base.identity import Identity
    from server.core.effects import Effects
    from server.core.hooks import RoomPositions
    from server.core.powers import FeatureCore
    from server.core.room import RoomInstance, Session
    from server.protocol.message_spec import FeatureMessage, FeatureMessages
    from world.places import Anchor

#: how far in front of the corner the visitor sits, facing the advisor
FACE_TO_FACE_M: Final = 1.4
#: a corner's room, the place the advisor sits (world coordinates) and the way they face
CornerPlace = tuple[str, NDArray[np.float64], float]

#: how often sessions that are gone are swept from queues, desks and held notes
SWEEP_EVERY_S: Final = 1.0
#: how long a visitor called in from another process has to arrive in the booth
ARRIVAL_S: Final = 20.0
#: the process of a queued visitor whose session has left this one, until the cluster layer
#: finds where it went on (``Waiting.process``)
SOMEWHERE: Final = ""


class DeskElsewhere(Protocol):
    """What the cluster layer carries for desks and visitors of other processes (no
    answer: it posts on the bus; ``server/features/consulting/cluster_side.py``)."""

    def queue(self, request: dict[str, Any]) -> None:
        """A visitor here queues for a desk not here (``request``: visitor, advisor, name,
        topic, lang); whichever process holds the desk decides, and every other process
        drops the visitor from its queues (one queue at a time)."""

    def leave(self, visitor: str) -> None:
        """The visitor leaves the queue they are in, wherever its desk is."""

    def tell(self, visitor: str, process: str, frame: bytes) -> None:
        """A frame for a visitor the process ``process`` serves."""

    def call(self, visitor: str, process: str, room: str, instance: int, seat: Seat) -> None:
        """Bring the visitor (last served by ``process``) into the booth ``room#instance``
        at ``seat``: the process that serves them hands them over to this one."""


#: where the visitor sits in a booth: position and heading
Seat = tuple[tuple[float, float, float], float]


def corner_places(
    anchors: Iterable[Anchor], file: ConsultingFile, entrance: str
) -> dict[str, CornerPlace]:
    """The site's corners where the world has them (booth anchors named in the file). A
    corner in the entrance room is refused: nobody is ever kept out of the entrance."""
    places: dict[str, CornerPlace] = {}
    for anchor in anchors:
        if anchor.kind != "booth" or anchor.id not in file.corners:
            continue
        if anchor.room_id == entrance:
            raise InputFileError(
                f"{CONSULTING_FILE}: corner {anchor.id} stands in the entrance room"
                f" {entrance}, which nobody can be kept out of: put its booth anchor in"
                " another room"
            )
        places[anchor.id] = (
            anchor.room_id,
            np.asarray(anchor.position, dtype=np.float64),
            float(anchor.yaw),
        )
    return places


@dataclass
class Waiting:
    session_id: str
    name: str
    topic: str
    since: float
    #: the process that serves the visitor (None: this one; ``SOMEWHERE``: being looked up)
    process: str | None = None
    lang: str = "de"
    #: when the visitor's session left this process (a walk to another and back keeps the
    #: place; the cluster layer drops it once it finds the session nowhere)
    left_here_at: float | None = None

    @property
    def settled_since(self) -> float:
        """Since when where the visitor is may be asked of the cluster's grace states."""
        return max(self.since, self.left_here_at or self.since)


@dataclass
class Desk:
    advisor: str
    corner: str
    queue: list[Waiting] = field(default_factory=list)


@dataclass
class Booth:
    corner: str
    room: str
    number: int
    advisor: str
    visitor: str
    topic: str
    #: someone left it (ended on the next tick): their session id
    left_by: str | None = None
    visitor_name: str = ""
    #: a visitor called in from another process: the process, and the time they must be here by
    visitor_process: str | None = None
    arriving_until: float | None = None

    @property
    def parties(self) -> tuple[str, str]:
        return (self.advisor, self.visitor)


@dataclass
class HeldNotes:
    id: str
    identity: str
    advisor: str
    text: str
    checklist: tuple[str, ...]
    at: float
    topic: str


class ConsultingDesks:
    """The consulting feature and room rule (see the module docstring)."""

    def __init__(
        self,
        corners: Mapping[str, CornerPlace],
        file: ConsultingFile | None = None,
        advisors: Iterable[str] = (),
    ) -> None:
        self.corner_places: dict[str, CornerPlace] = dict(corners)
        #: the site's consulting file as the served world has it (its corners placed there)
        self.file = file if file is not None else ConsultingFile()
        #: identity ids of the accounts marked as advisors
        self.advisors: frozenset[str] = frozenset(advisors)
        #: counts marks given or taken here (a refresh read before one is not applied)
        self.advisor_changes = 0
        self.core: FeatureCore | None = None
        self.desks: dict[str, Desk] = {}
        self.queued: dict[str, str] = {}
        self.booths: dict[str, Booth] = {}
        self.held: dict[str, dict[str, HeldNotes]] = {}
        #: the cluster layer (several processes), None in one process
        self.elsewhere: DeskElsewhere | None = None
        self._next_sweep = float("-inf")

    def attach(self, core: FeatureCore) -> None:
        self.core = core

    @property
    def messages(self) -> FeatureMessages:
        return CONSULTING_MESSAGES

    # --- advisors and corners -----------------------------------------------------------

    def is_advisor(self, identity: Identity) -> bool:
        """An account marked as advisor (never a guest)."""
        return not identity.guest and identity.id in self.advisors

    def advisor_marked(self, identity_id: str, advisor: bool) -> None:
        """A mark given or taken in this process: followed at once (the next sweep closes
        the desk of someone who is no advisor any more)."""
        self.advisor_changes += 1
        if advisor:
            self.advisors = self.advisors | {identity_id}
        else:
            self.advisors = self.advisors - {identity_id}

    def use_corners(
        self, file: ConsultingFile, corners: Mapping[str, CornerPlace], fx: Effects
    ) -> None:
        """The corners of a new world version: a desk at a corner that is gone closes (its
        queue is told); a conversation running goes on in its booth until it ends."""
        self.file = file
        self.corner_places = dict(corners)
        for advisor in [a for a, d in self.desks.items() if d.corner not in corners]:
            self._close_desk(advisor, fx)
            self._tell(advisor, fx)

    # --- what the REST side reads -------------------------------------------------------

    def open_desks(self) -> list[dict[str, Any]]:
        """Every open desk: who, where, how many wait, whether a conversation runs."""
        out = []
        for desk in self.desks.values():
            session = self._session(desk.advisor)
            if session is None:
                continue
            out.append(
                {
                    "session": desk.advisor,
                    "name": session.identity.name,
                    "corner": desk.corner,
                    "waiting": len(desk.queue),
                    "busy": self._booth_of(desk.advisor) is not None,
                }
            )
        return out

    def corners_taken(self) -> dict[str, dict[str, Any]]:
        """Corners with a conversation running now (no names: the sign shows "taken")."""
        return {
            corner: {"room": booth.room, "instance": booth.number}
            for corner, booth in self.booths.items()
        }

    def booth_state(self) -> list[dict[str, Any]]:
        """Who is in which booth, by session id (for staff and tests: the server's view)."""
        return [
            {
                "corner": b.corner,
                "room": b.room,
                "instance": b.number,
                "advisor": b.advisor,
                "visitor": b.visitor,
            }
            for b in self.booths.values()
        ]

    def take_notes(self, identity_id: str, notes_id: str) -> HeldNotes | None:
        """The held notes handed to this person (taken out: saved once)."""
        return self.held.get(identity_id, {}).pop(notes_id, None)

    def give_back(self, notes: HeldNotes) -> None:
        """Notes taken to be saved that could not be: held again."""
        self.held.setdefault(notes.identity, {})[notes.id] = notes

    def held_for(self, identity_id: str) -> list[HeldNotes]:
        return list(self.held.get(identity_id, {}).values())

    def forget(self, identity_id: str) -> None:
        """An erased person: their held notes go; queues and booths end as they leave."""
        self.held.pop(identity_id, None)

    # --- room rules ---------------------------------------------------------------------

    def refuse_hello(self, identity: Identity, now: float) -> str | None:
        return None

    def refuse_entry(self, session: Session, instance: RoomInstance, now: float) -> str | None:
        for booth in self.booths.values():
            if (booth.room, booth.number) == (instance.room_id, instance.number):
                return None if session.id in booth.parties else "booth_private"
        return None

    def refuse_chat(self, session: Session, direct: bool, now: float) -> str | None:
        if direct or session.instance is None:
            return None
        return "booth_chat" if self._in_booth_instance(session) is not None else None

    def refuse_reaction(self, session: Session, now: float) -> str | None:
        return None

    def reacted(self, session: Session, emoji: str, fx: Effects, now: float) -> None:
        return None

    # --- hooks --------------------------------------------------------------------------

    def on_join(self, session: Session, fx: Effects, now: float) -> None:
        booth = self._booth_of(session.id)
        if (
            booth is not None
            and booth.visitor == session.id
            and self._in_booth_instance(session) is booth
        ):
            booth.arriving_until = booth.visitor_process = None
        if self._involved(session.id):
            fx.send_to(session, self._state(session.id))

    def on_leave(self, session: Session, fx: Effects, now: float) -> None:
        booth = self._in_booth_instance(session)
        if booth is not None and booth.left_by is None:
            booth.left_by = session.id

    def handle(self, session: Session, message: FeatureMessage, fx: Effects, now: float) -> bool:
        if isinstance(message, ConsultDesk):
            self._desk(session, message, fx, now)
        elif isinstance(message, ConsultQueue):
            self._queue(session, message, fx, now)
        elif isinstance(message, ConsultLeave):
            self._leave_queue(session.id, fx)
            if self.elsewhere is not None:
                self.elsewhere.leave(session.id)
            fx.send_to(session, self._state(session.id))
        elif isinstance(message, ConsultCall):
            self._call(session, message, fx, now)
        elif isinstance(message, ConsultEnd):
            booth = self._booth_of(session.id)
            if booth is None:
                fx.error(session.conn, session.lang, "not_in_booth", about="consult_end")
            else:
                self._end(booth, session.identity.name, "ended", fx, now)
        elif isinstance(message, ConsultSay):
            self._say(session, message, fx, now)
        elif isinstance(message, ConsultNotes):
            self._notes(session, message, fx, now)
        else:
            return False
        return True

    def on_tick(self, now: float, rooms: Sequence[RoomPositions], fx: Effects) -> None:
        for booth in [b for b in self.booths.values() if b.left_by is not None]:
            leaver = self._session(booth.left_by or "")
            self._end(booth, leaver.identity.name if leaver else "", "left", fx, now)
        for booth in [b for b in self.booths.values() if (b.arriving_until or now) < now]:
            self._end(booth, booth.visitor_name, "left", fx, now)
        if now < self._next_sweep:
            return
        self._next_sweep = now + SWEEP_EVERY_S
        for advisor in [a for a in self.desks if self._session(a) is None]:
            self._close_desk(advisor, fx)
        for advisor in list(self.desks):
            session = self._session(advisor)
            if session is not None and not self.is_advisor(session.identity):
                self._close_desk(advisor, fx)
                self._tell(advisor, fx)
        for visitor in [v for v in self.queued if self._session(v) is None]:
            waiting = self._waiting(visitor)
            if waiting is not None and waiting.process is None and self.elsewhere is not None:
                # with other processes the session may have gone on to one of them (and come
                # back): the cluster layer finds where, or that it is over
                waiting.process, waiting.left_here_at = SOMEWHERE, now
            elif waiting is None or waiting.process is None:
                self._leave_queue(visitor, fx)
        present = {s.identity.id for s in self._sessions()}
        for identity_id in [i for i in self.held if i not in present]:
            del self.held[identity_id]

    # --- decisions ----------------------------------------------------------------------

    def _desk(self, session: Session, message: ConsultDesk, fx: Effects, now: float) -> None:
        if not self.is_advisor(session.identity):
            fx.error(session.conn, session.lang, "not_advisor", about="consult_desk")
            return
        if not message.open:
            self._close_desk(session.id, fx)
            fx.send_to(session, self._state(session.id))
            return
        corner = message.corner or ""
        if corner not in self.corner_places:
            fx.error(session.conn, session.lang, "corner_unknown", corner, about="consult_desk")
            return
        if session.id in self.queued:
            fx.error(session.conn, session.lang, "consult_busy", about="consult_desk")
            return
        taken = any(d.corner == corner and d.advisor != session.id for d in self.desks.values())
        if taken or (corner in self.booths and self.booths[corner].advisor != session.id):
            fx.error(session.conn, session.lang, "corner_taken", corner, about="consult_desk")
            return
        desk = self.desks.get(session.id)
        if desk is None:
            self.desks[session.id] = Desk(session.id, corner)
        else:
            desk.corner = corner
        fx.send_to(session, self._state(session.id))

    def _queue(self, session: Session, message: ConsultQueue, fx: Effects, now: float) -> None:
        desk = self.desks.get(message.advisor)
        here = desk is not None and self._session(desk.advisor) is not None
        if not here and (self.elsewhere is None or message.advisor in self.desks):
            fx.error(session.conn, session.lang, "desk_closed", about="consult_queue")
            return
        if message.advisor == session.id or session.id in self.desks:
            fx.error(session.conn, session.lang, "consult_busy", about="consult_queue")
            return
        if self._booth_of(session.id) is not None:
            fx.error(session.conn, session.lang, "consult_busy", about="consult_queue")
            return
        try:
            topic = clean_topic(message.topic)
        except ConsultingInvalid as exc:
            fx.error(session.conn, session.lang, "consult_invalid", str(exc), "consult_queue")
            return
        if not here:
            # a desk of another process: it decides (``queued_elsewhere`` there)
            assert self.elsewhere is not None
            request = {
                "visitor": session.id,
                "advisor": message.advisor,
                "name": session.identity.name,
                "topic": topic,
                "lang": session.lang,
            }
            self.elsewhere.queue(request)
            return
        assert desk is not None
        if self.queued.get(session.id) not in (None, desk.advisor):
            self._leave_queue(session.id, fx)
        if self.elsewhere is not None:
            self.elsewhere.leave(session.id)  # one queue at a time, wherever
        self._enqueue(desk, Waiting(session.id, session.identity.name, topic, now), fx)

    def _enqueue(self, desk: Desk, arrived: Waiting, fx: Effects) -> None:
        """Put someone at the end of a desk's queue, or give their new topic."""
        waiting = next((w for w in desk.queue if w.session_id == arrived.session_id), None)
        if waiting is None:
            desk.queue.append(arrived)
        else:
            waiting.topic = arrived.topic
            waiting.process = arrived.process
        self.queued[arrived.session_id] = desk.advisor
        self._tell_desk(desk, fx)

    # --- visitors of other processes (``elsewhere``) ------------------------------------

    def queued_elsewhere(
        self, sender: str, request: Mapping[str, Any], fx: Effects, now: float
    ) -> None:
        """A visitor queues for a desk not in their process (``DeskElsewhere.queue``; also
        called in their own process, ``sender`` being it): decided here when the desk is
        here, else they leave any queue here (one queue at a time)."""
        visitor, advisor = str(request["visitor"]), str(request["advisor"])
        if self.queued.get(visitor) not in (None, advisor):
            self._leave_queue(visitor, fx)
        desk = self.desks.get(advisor)
        if desk is None:
            return
        lang = str(request["lang"])
        if self._session(desk.advisor) is None:
            self._tell_away(
                visitor, sender, error_frame("desk_closed", lang, None, "consult_queue")
            )
            return
        try:
            topic = clean_topic(request["topic"])
        except ConsultingInvalid as exc:
            frame = error_frame("consult_invalid", lang, str(exc), "consult_queue")
            self._tell_away(visitor, sender, frame)
            return
        name = str(request["name"])
        process = None if self._session(visitor) is not None else sender  # here after all
        self._enqueue(desk, Waiting(visitor, name, topic, now, process, lang), fx)

    def left_elsewhere(self, visitor: str, fx: Effects) -> None:
        """A visitor another process serves left the queue they were in (or queued at a
        desk of their own process: one queue at a time)."""
        if self._remote_waiting(visitor) is not None:
            self._leave_queue(visitor, fx)

    def remote_moved(self, visitor: str, process: str | None, fx: Effects | None = None) -> None:
        """A visitor waiting here from another process is served by ``process`` now (None:
        by this one); with ``fx`` they are told their state there (they may have missed a
        change on the way)."""
        waiting = self._remote_waiting(visitor)
        if waiting is not None:
            waiting.process = process
            if fx is not None:
                self._tell(visitor, fx, process)

    def remote_gone(self, visitor: str, fx: Effects, now: float) -> None:
        """A visitor waiting here from another process, or called in from there, is no
        longer in the hub (or could not be brought): out of the queue, the booth ended."""
        if self._remote_waiting(visitor) is not None:
            self._leave_queue(visitor, fx)
        booth = self._booth_of(visitor)
        if booth is not None and booth.visitor == visitor and booth.arriving_until is not None:
            self._end(booth, booth.visitor_name, "left", fx, now)

    def waiting_elsewhere(self) -> list[Waiting]:
        """Everyone waiting here whom another process serves (the cluster layer checks
        they are still in the hub)."""
        return [w for d in self.desks.values() for w in d.queue if w.process is not None]

    def _waiting(self, visitor: str) -> Waiting | None:
        """A queued visitor's entry."""
        desk = self.desks.get(self.queued.get(visitor, ""))
        return next((w for w in desk.queue if w.session_id == visitor), None) if desk else None

    def _remote_waiting(self, visitor: str) -> Waiting | None:
        """The queue entry of a visitor another process serves (or may)."""
        found = self._waiting(visitor)
        return found if found is not None and found.process is not None else None

    def _tell_away(self, visitor: str, process: str | None, frame: bytes) -> None:
        if self.elsewhere is not None and process:  # not here, nor being looked up
            self.elsewhere.tell(visitor, process, frame)

    def _leave_queue(self, visitor: str, fx: Effects) -> None:
        advisor = self.queued.pop(visitor, None)
        desk = self.desks.get(advisor or "")
        if desk is not None:
            desk.queue = [w for w in desk.queue if w.session_id != visitor]
            self._tell_desk(desk, fx)

    def _close_desk(self, advisor: str, fx: Effects) -> None:
        desk = self.desks.pop(advisor, None)
        if desk is None:
            return
        for waiting in desk.queue:
            self.queued.pop(waiting.session_id, None)
            self._tell(waiting.session_id, fx, waiting.process)

    def _call(self, session: Session, message: ConsultCall, fx: Effects, now: float) -> None:
        if not self.is_advisor(session.identity):
            fx.error(session.conn, session.lang, "not_advisor", about="consult_call")
            return
        desk = self.desks.get(session.id)
        if desk is None:
            fx.error(session.conn, session.lang, "desk_closed", about="consult_call")
            return
        if self._booth_of(session.id) is not None or desk.corner in self.booths:
            fx.error(session.conn, session.lang, "corner_taken", desk.corner, "consult_call")
            return
        candidates = [
            w
            for w in desk.queue
            if (message.visitor is None or w.session_id == message.visitor)
            and (w.process or self._present(w.session_id))  # not while being looked up
        ]
        if not candidates or self.core is None:
            fx.error(session.conn, session.lang, "queue_empty", about="consult_call")
            return
        waiting = candidates[0]
        visitor = self._session(waiting.session_id) if waiting.process is None else None
        room, place, yaw = self.corner_places[desk.corner]
        instance = self.core.open_instance(room, now)
        booth = Booth(
            desk.corner,
            room,
            instance.number,
            session.id,
            waiting.session_id,
            waiting.topic,
            visitor_name=waiting.name,
        )
        self.booths[desk.corner] = booth
        desk.queue.remove(waiting)
        self.queued.pop(waiting.session_id, None)
        facing = np.array([math.sin(yaw), 0.0, math.cos(yaw)])
        seat = place + facing * FACE_TO_FACE_M
        self.core.relocate(session, room, instance.number, now, fx, position=place, yaw=yaw)
        if visitor is not None:
            self.core.relocate(
                visitor, room, instance.number, now, fx, position=seat, yaw=yaw + math.pi
            )
        elif self.elsewhere is not None and waiting.process is not None:
            # brought here by the process that serves them: they arrive with this session id
            booth.visitor_process = waiting.process
            booth.arriving_until = now + ARRIVAL_S
            x, y, z = (float(v) for v in seat)
            seat_pose = ((x, y, z), float(yaw + math.pi))
            self.elsewhere.call(
                waiting.session_id, waiting.process, room, instance.number, seat_pose
            )
        arrived = visitor is None or visitor.instance is instance
        if session.instance is not instance or not arrived:
            self._end(booth, "", "left", fx, now)
            return
        self._tell_desk(desk, fx)
        self._tell(waiting.session_id, fx)

    def _present(self, session_id: str) -> bool:
        session = self._session(session_id)
        return session is not None and session.instance is not None

    def _end(self, booth: Booth, by: str, reason: str, fx: Effects, now: float) -> None:
        self.booths.pop(booth.corner, None)
        frame = encode("consult_ended", by=by, reason=reason)
        if booth.visitor_process is not None and self._session(booth.visitor) is None:
            self._tell_away(booth.visitor, booth.visitor_process, frame)
            self._tell_away(booth.visitor, booth.visitor_process, self._state(booth.visitor))
        for party in booth.parties:
            session = self._session(party)
            if session is None:
                continue
            fx.send_to(session, frame)
            here = session.instance
            if (
                self.core is not None
                and here is not None
                and (here.room_id, here.number) == (booth.room, booth.number)
            ):
                self.core.relocate(session, booth.room, None, now, fx)
            fx.send_to(session, self._state(party))

    def _say(self, session: Session, message: ConsultSay, fx: Effects, now: float) -> None:
        booth = self._booth_of(session.id)
        if booth is None:
            fx.error(session.conn, session.lang, "not_in_booth", about="consult_say")
            return
        text = message.text.strip()
        if not text:
            fx.error(session.conn, session.lang, "consult_invalid", "empty line", "consult_say")
            return
        for party in booth.parties:
            other = self._session(party)
            if other is not None:
                fx.send_to(
                    other,
                    encode(
                        "consult_line",
                        name=session.identity.name,
                        mine=party == session.id,
                        text=text,
                        at=now,
                    ),
                )

    def _notes(self, session: Session, message: ConsultNotes, fx: Effects, now: float) -> None:
        booth = self._booth_of(session.id)
        if booth is None:
            fx.error(session.conn, session.lang, "not_in_booth", about="consult_notes")
            return
        if booth.advisor != session.id or not self.is_advisor(session.identity):
            fx.error(session.conn, session.lang, "not_advisor", about="consult_notes")
            return
        try:
            text, checklist = clean_notes(message.text, message.checklist)
        except ConsultingInvalid as exc:
            fx.error(session.conn, session.lang, "consult_invalid", str(exc), "consult_notes")
            return
        visitor = self._session(booth.visitor)
        if visitor is None:
            fx.error(session.conn, session.lang, "not_in_booth", about="consult_notes")
            return
        notes = HeldNotes(
            secrets.token_urlsafe(9),
            visitor.identity.id,
            session.identity.name,
            text,
            checklist,
            now,
            booth.topic,
        )
        self.held.setdefault(visitor.identity.id, {})[notes.id] = notes
        fx.send_to(
            visitor,
            encode(
                "consult_handed",
                id=notes.id,
                advisor=notes.advisor,
                text=text,
                checklist=list(checklist),
            ),
        )

    # --- frames and lookups -------------------------------------------------------------

    def _sessions(self) -> list[Session]:
        return [] if self.core is None else list(self.core.sessions.values())

    def _session(self, session_id: str) -> Session | None:
        return None if self.core is None else self.core.sessions.get(session_id)

    def _booth_of(self, session_id: str) -> Booth | None:
        return next((b for b in self.booths.values() if session_id in b.parties), None)

    def _in_booth_instance(self, session: Session) -> Booth | None:
        inst = session.instance
        if inst is None:
            return None
        for booth in self.booths.values():
            if (booth.room, booth.number) == (inst.room_id, inst.number):
                return booth
        return None

    def _involved(self, session_id: str) -> bool:
        return (
            session_id in self.desks
            or session_id in self.queued
            or self._booth_of(session_id) is not None
        )

    def _tell(self, session_id: str, fx: Effects, process: str | None = None) -> None:
        """Someone's ``consult_state``: here, or through ``process`` that serves them."""
        session = self._session(session_id)
        if session is not None:
            fx.send_to(session, self._state(session_id))
        else:
            self._tell_away(session_id, process, self._state(session_id))

    def _tell_desk(self, desk: Desk, fx: Effects) -> None:
        self._tell(desk.advisor, fx)
        for waiting in desk.queue:
            self._tell(waiting.session_id, fx, waiting.process)

    def _state(self, session_id: str) -> bytes:
        desk = self.desks.get(session_id)
        desk_view = None
        if desk is not None:
            desk_view = {
                "corner": desk.corner,
                "queue": [
                    {"session": w.session_id, "name": w.name, "topic": w.topic, "since": w.since}
                    for w in desk.queue
                ],
            }
        queued_view = None
        advisor = self.queued.get(session_id)
        if advisor is not None and advisor in self.desks:
            line = self.desks[advisor].queue
            position = next(i for i, w in enumerate(line) if w.session_id == session_id) + 1
            advisor_session = self._session(advisor)
            queued_view = {
                "advisor": advisor,
                "name": advisor_session.identity.name if advisor_session else "",
                "position": position,
                "topic": line[position - 1].topic,
            }
        booth_view = None
        booth = self._booth_of(session_id)
        if booth is not None:
            other = self._session(booth.visitor if booth.advisor == session_id else booth.advisor)
            with_name = booth.visitor_name if booth.advisor == session_id else ""
            booth_view = {
                "corner": booth.corner,
                "room": booth.room,
                "instance": booth.number,
                "with": other.identity.name if other else with_name,
                "role": "advisor" if booth.advisor == session_id else "visitor",
                "topic": booth.topic,
            }
        return encode("consult_state", desk=desk_view, queued=queued_view, booth=booth_view)
