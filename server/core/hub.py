"""The hub core: every room session of one process, as a plain object (no I/O).

``HubCore`` is what the transport drives. It takes typed messages in and returns
``Effects``: frames to send (and to whom), connections to close, chat records to keep. It
never touches a socket or the store, so tests drive it directly:

>>> core = HubCore(world, settings)                       # doctest: +SKIP
>>> fx = core.hello(conn=1, identity=ada, hello=hello, now=0.0)   # welcome, joined
>>> core.pose(1, frame)                                   # kept for the tick
>>> fx = core.tick(now=0.05)                              # corrections, snapshots

The verbs, as in a room lifecycle: ``hello`` (join), ``handle`` (a control message),
``pose``, ``disconnected`` (leave without consent: the reconnection grace starts),
``tick`` (poses applied, doors crossed, graces expired, snapshots packed), and
``chat_stored`` (the store has the chat records: their lines go out now). What the core
owns on top of the room instances: overflow instances (created on demand, disposed when
idle), the queues, reconnection, and which instance a door or a ``go`` leads to.
"""

from __future__ import annotations

import math
import random
import secrets
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from server.base.identity import Identity
from server.base.records import ChatRecord
from server.base.settings import Settings
from server.base.text_rules import ChatRefused, clean_text
from server.core.chat import (
    ChatHistory,
    ChatLimits,
    ChatLine,
    UnstoredLines,
    check_emoji,
    excerpt,
    new_record,
)
from server.core.effects import Closing, Effects, Handoff, RemoteChat
from server.core.hooks import HubFeature, RoomPositions
from server.core.powers import InstancePlacement, Returning
from server.core.room import RoomInstance, Session
from server.core.room_rules import RoomRules
from server.core.sync import (
    Grid,
    SnapshotPlan,
    apply_poses_together,
    build_snapshots,
    entries_together,
    refill_budgets,
    wrap_yaw,
)
from server.core.worldview import WorldView
from server.protocol import table as protocol
from server.protocol.message_spec import FeatureMessage
from server.protocol.table import (
    CLOSE_NORMAL,
    Bye,
    CancelWait,
    Chat,
    ClientMessage,
    Go,
    Hello,
    Look,
    Ping,
    Pose,
    React,
    Wait,
    encode,
)

#: An empty overflow instance nobody waits for is removed after this long.
OVERFLOW_IDLE_S = 60.0
#: Occupancy updates go out at most this often.
ROOMS_EVERY_S = 1.0
#: Someone pushing against the door of a full room is offered a choice at most this often.
DOOR_OFFER_EVERY_S = 3.0
#: Every client gets a full snapshot at least this often.
FULL_EVERY_S = 10.0
#: Arrivals are spread around a spawn point by up to this much.
SPAWN_SPREAD_M = 0.75
#: The highest room instance number (0 is the main instance; the same bound as the leases').
MAX_INSTANCE = 999


def world_yaw_to_wire(yaw: float) -> float:
    """A world-model yaw (0 faces +Z) as a protocol yaw (three.js camera: 0 looks along -Z)."""
    return float(wrap_yaw(np.array(yaw + math.pi)))


def _chat_line(
    sender: Session,
    inst: RoomInstance,
    text: str,
    to: tuple[str, str] | None,
    now: float,
) -> ChatLine:
    """A checked chat line from ``sender`` in ``inst``; ``to`` is a direct line's recipient
    (session id, identity id), on this process or another."""
    record = new_record(
        room=inst.room_id,
        instance=inst.number,
        sender_id=sender.identity.id,
        sender_name=sender.identity.name,
        text=text,
        to_id=to[1] if to is not None else None,
        now=now,
    )
    return ChatLine(record, sender.id, to[0] if to is not None else None)


def _grid_covering(world: WorldView) -> Grid:
    """The pose grid of a world: its rooms' bounds."""
    lows = np.array([r.bounds_min for r in world.rooms], dtype=np.float64)
    highs = np.array([r.bounds_max for r in world.rooms], dtype=np.float64)
    return Grid.covering(lows.min(axis=0), highs.max(axis=0))


class HubCore:
    """All room sessions of one hub process.

    ``HubCore(world, settings)``: ``world`` is the loaded ``world.model.World`` (anything
    with the ``server.core.worldview.WorldView`` shape); ``settings`` gives the tick rate, speed
    limit, reconnection grace, chat limits and interest sizes. ``seed`` makes spawn
    spreading repeatable in tests. ``features`` plug in what rooms offer beyond presence
    and chat (``server/core/hooks.py``); ``rules`` are asked before anyone gets in, chats
    or reacts (``server/core/room_rules.py``: bans, locks, mutes, a room's chat setting).
    ``placement`` is set when the process is one of several (``server/cluster/realtime.py``):
    moves into instances owned elsewhere then become ``Effects.handoffs``."""

    def __init__(
        self,
        world: WorldView,
        settings: Settings,
        *,
        seed: int | None = None,
        features: Sequence[HubFeature] = (),
        rules: Sequence[RoomRules] = (),
        placement: InstancePlacement | None = None,
    ) -> None:
        if not world.rooms:
            raise ValueError("the world has no rooms")
        self.features = tuple(features)
        self.rules = tuple(rules)
        self._feature_of: dict[str, HubFeature] = {}
        for feature in self.features:
            protocol.register(feature.messages)
            for kind in feature.messages.client:
                self._feature_of[kind.spec.type] = feature
        self.settings = settings
        self._random = random.Random(seed)
        self._use_world(world)
        self.entrance = world.entrance
        self.grid = _grid_covering(world)
        self.tick_count = 0
        self._last_tick: float | None = None
        self._serials: set[int] = set()
        self._next_serial = 1
        self.instances: dict[str, dict[int, RoomInstance]] = {}
        for room in world.rooms:
            self.instances[room.id] = {}
            self._new_instance(room.id, 0, now=0.0)
        self.sessions: dict[str, Session] = {}
        self._by_conn: dict[int, Session] = {}
        self._by_resume: dict[str, Session] = {}
        #: the (latest) session of each identity: a second hello takes it over
        self._by_identity: dict[str, Session] = {}
        self._away: dict[str, Session] = {}
        self._freed: deque[RoomInstance] = deque()
        self._rooms_dirty = False
        self._rooms_sent_at = float("-inf")
        self.placement = placement
        #: sessions whose hand-off the cluster side is resolving (no second one meanwhile)
        self._handing_off: set[str] = set()
        #: chat lines whose records are on their way to the store (``chat_stored``)
        self.unstored_chat = UnstoredLines()
        #: the one dispatch table: each typed client message to what handles it (a feature's
        #: messages go to the feature that declared them, see ``_feature_message``)
        self._handlers: dict[type, Callable[[Session, Any, float, Effects], None]] = {
            Pose: self._offer_pose,
            Ping: self._ping,
            Chat: self._chat,
            React: self._react,
            Look: self._look,
            Go: self._go,
            Wait: self._wait,
            CancelWait: self._cancel_wait,
            Bye: self._bye,
            Hello: self._hello_again,
            **{
                kind: self._feature_message
                for feature in self.features
                for kind in feature.messages.client
            },
        }

    # --- lifecycle verbs ------------------------------------------------------------------

    def hello(self, conn: int, identity: Identity, hello: Hello, now: float) -> Effects:
        """A connection said hello with a verified identity: welcome, then join a room
        (or resume the session named by ``hello.resume``). One identity has one session:
        a hello of someone who has one here takes it over as a reconnection does (the
        older connection is closed with ``replaced``)."""
        fx = Effects()
        if self._refuse_hello(conn, identity, hello, now, fx):
            return fx
        session = self._by_resume.get(hello.resume) if hello.resume else None
        if session is None or session.identity.id != identity.id:
            session = self._by_identity.get(identity.id)
        if session is not None and session.identity.id == identity.id:
            self._resume(session, conn, hello, now, fx)
        else:
            self._start(conn, identity, hello, now, fx)
        self._settle(fx, now)
        return fx

    def _refuse_hello(
        self, conn: int, identity: Identity, hello: Hello, now: float, fx: Effects
    ) -> bool:
        """Whether this hello is refused (a second one, or a rule's objection such as a
        ban): the refusal is in ``fx``."""
        if conn in self._by_conn:
            fx.error(conn, hello.lang, "already_welcomed", about="hello")
            return True
        refusal = next(filter(None, (r.refuse_hello(identity, now) for r in self.rules)), None)
        if refusal is None:
            return False
        fx.error(conn, hello.lang, refusal, about="hello")
        if protocol.ERRORS[refusal].close is None:
            fx.closes.append(Closing(conn, CLOSE_NORMAL, refusal, refusal))
        return True

    def handle(self, conn: int, message: ClientMessage, now: float) -> Effects:
        """A control message from a welcomed connection."""
        fx = Effects()
        session = self._by_conn.get(conn)
        if session is None:
            fx.close(conn, "hello_required")
            return fx
        handler = self._handlers.get(type(message))
        if handler is not None:
            handler(session, message, now, fx)
        elif isinstance(message, FeatureMessage):
            self._feature_message(session, message, now, fx)
        self._settle(fx, now)
        return fx

    def pose(self, conn: int, frame: bytes) -> None:
        """A pose frame: kept (newest wins) until the tick applies it."""
        session = self._by_conn.get(conn)
        if session is not None and session.instance is not None:
            session.instance.poses.offer(session.slot, frame)

    def disconnected(self, conn: int, now: float) -> Effects:
        """The connection is gone without a bye: hold the session for the grace period."""
        fx = Effects()
        session = self._by_conn.pop(conn, None)
        if session is None or session.conn != conn:
            return fx
        session.conn = None
        session.away_since = now
        self._away[session.id] = session
        inst = session.instance
        if inst is not None:
            inst.changed()
            inst.poses.set_away(session.slot, True, self.tick_count)
            fx.send(
                encode("presence_update", net=session.slot, session=session.id, away=True),
                inst.conns(),
            )
        return fx

    def abandon(self, conn: int, now: float) -> Effects:
        """The connection is being closed for abuse (flooding, frames too large): its
        session ends at once instead of being held for the reconnection grace, so its
        place is free for others now."""
        fx = Effects()
        session = self._by_conn.get(conn)
        if session is not None:
            self._end(session, fx, now)
            self._settle(fx, now)
        return fx

    def revoke(self, identity_id: str, now: float) -> Effects:
        """An identity's tokens were revoked: its sessions end at once (no grace) and
        their connections are closed with ``token_revoked``."""
        fx = Effects()
        for session in [s for s in self.sessions.values() if s.identity.id == identity_id]:
            self.end_session(session, "token_revoked", fx, now)
        self._settle(fx, now)
        return fx

    def tick(self, now: float, behind: Iterable[int] = ()) -> Effects:
        """One tick: expire graces, apply poses, cross doors, send occupancy and snapshots.

        ``behind`` are connections whose last snapshot has not gone out yet; they get a
        full snapshot, which replaces the one waiting."""
        fx = Effects()
        self.tick_count += 1
        dt = 1 / self.settings.tick_hz if self._last_tick is None else now - self._last_tick
        dt = min(max(dt, 0.0), 0.5)
        self._last_tick = now
        for conn in behind:
            late = self._by_conn.get(conn)
            if late is not None:
                late.needs_full = True
        self._expire(now, fx)
        self._dispose_idle(now)
        crossings = []
        live = [inst for inst in self._all_instances() if inst.members]
        for inst in live:
            refill_budgets(inst.poses, dt, self.settings.max_speed)
        reports = apply_poses_together(
            [inst.poses for inst in live],
            self.world,
            room_indices=[inst.room_index for inst in live],
            links=self._link_matrix,
            tick=self.tick_count,
        )
        for inst, report in zip(live, reports, strict=True):
            for slot in report.invalid:
                member = inst.members[slot]
                fx.error(member.conn, member.lang, "bad_pose", about="pose")
            for slot, reason in report.fixes:
                self._send_fix(inst.members[slot], reason, fx)
            crossings += [
                (inst.members[slot], room, before) for slot, room, before in report.crossings
            ]
        for session, room_index, before in crossings:
            self._cross(session, room_index, before, now, fx)
        self._settle(fx, now)
        self._tick_features(now, fx)
        self._send_rooms(now, fx)
        self._pack_snapshots(now, fx)
        return fx

    # --- other entry points ---------------------------------------------------------------

    def replace_world(self, world: WorldView, now: float) -> Effects:
        """Use a new version of the world from now on (a published layout change).

        The rooms must stay the same (ids in the same order, same bounds): a new building
        needs a restart, so such a world raises ``ValueError`` and nothing changes. Whoever
        now stands where one may not (a new wall, new furniture) is moved to the nearest free
        spot of their room and told with a ``pose_fix`` (reason ``world``)."""
        if [r.id for r in world.rooms] != [r.id for r in self.world.rooms]:
            raise ValueError("the new world has other rooms: restart the hub to use it")
        if _grid_covering(world) != self.grid:
            raise ValueError("the new world's rooms have other bounds: restart the hub to use it")
        self._use_world(world)
        fx = Effects()
        for inst in self._all_instances():
            if not inst.members:
                continue
            slots = np.fromiter(inst.members, dtype=np.intp, count=len(inst.members))
            positions = np.asarray(inst.poses.pos[slots], dtype=np.float64)
            fits = np.asarray(world.is_walkable(positions), dtype=bool) & (
                np.asarray(world.room_at(positions)) == inst.room_index
            )
            if fits.all():
                continue
            targets = np.asarray(world.nearest_walkable(positions[~fits]), dtype=np.float64)
            inside = np.asarray(world.room_at(targets)) == inst.room_index
            for slot, target, ok in zip(slots[~fits].tolist(), targets, inside, strict=True):
                _, yaw, pitch = inst.poses.pose_of(slot)
                spot = target if ok else self._spawn_pose(inst.room_id)[0]
                inst.poses.place(slot, spot, yaw, pitch, self.tick_count, snap=True)
                self._send_fix(inst.members[slot], "world", fx)
        return fx

    def seed_chat(self, room_id: str, records: Iterable[ChatRecord]) -> None:
        """Fill a room's main instance history from the store, at start."""
        self.instances[room_id][0].chat.seed(records)

    def reload_chat(
        self, room_id: str, number: int, records: Iterable[ChatRecord], now: float
    ) -> None:
        """An instance this process has just taken over (several processes): its history
        from the store, as the process that had it left it. Only while nobody is in it."""
        if room_id not in self._rooms or number > MAX_INSTANCE:
            return
        inst = self.instances[room_id].get(number) or self._new_instance(room_id, number, now)
        if not inst.members:
            inst.chat = ChatHistory(self.settings.chat_history)
            inst.chat.seed(records)

    def forget(self, identity_id: str) -> int:
        """Drop an identity's chat lines from memory (after they erased their data)."""
        return sum(inst.chat.forget(identity_id) for inst in self._all_instances())

    def rooms_summary(self) -> list[dict[str, Any]]:
        out = []
        for room in self.world.rooms:
            names = dict(room.names)
            out.append(
                {
                    "id": room.id,
                    "names": {"de": names.get("de", room.id), "en": names.get("en", room.id)},
                    "kind": room.kind,
                    "capacity": room.capacity,
                    "instances": [
                        inst.summary() for _, inst in sorted(self.instances[room.id].items())
                    ],
                }
            )
        return out

    def gauges(self) -> dict[str, Any]:
        """Numbers for metrics: sessions, connections and occupancy per room instance."""
        return {
            "sessions": len(self.sessions),
            "connected": len(self._by_conn),
            "away": len(self._away),
            "instances": [
                (inst.room_id, inst.number, inst.occupancy, len(inst.queue))
                for inst in self._all_instances()
            ],
        }

    def session_of(self, conn: int) -> Session | None:
        return self._by_conn.get(conn)

    # --- powers for features that lead or moderate (workshops) ----------------------------

    def place(
        self,
        session: Session,
        position: NDArray[np.floating],
        yaw: float,
        reason: str,
        fx: Effects,
        *,
        snap: bool = True,
    ) -> None:
        """Put a session's avatar at a pose in its room instance (a facilitator gathers or
        leads the group) and tell its client with ``pose_fix`` (``reason``)."""
        inst = session.instance
        if inst is None:
            return
        pitch = float(inst.poses.pitch[session.slot])
        inst.poses.place(session.slot, position, yaw, pitch, self.tick_count, snap=snap)
        self._send_fix(session, reason, fx)

    def relocate(
        self,
        session: Session,
        room_id: str,
        number: int | None,
        now: float,
        fx: Effects,
        *,
        position: NDArray[np.floating] | None = None,
        yaw: float | None = None,
    ) -> bool:
        """Move a session into a room instance on a facilitator's or moderator's word (no
        rules are asked): ``number`` None takes the main instance or one with a place. At
        ``position`` (else a spawn point); False when the instance is full."""
        by_number = self.instances.get(room_id, {})
        inst = by_number.get(0 if number is None else number)
        if number is None and (inst is None or not inst.has_room):
            inst = self._overflow(room_id, now)
        if inst is None or not inst.has_room:
            return False
        if inst is session.instance:
            return True
        spawn, spawn_yaw = self._spawn_pose(room_id)
        at = spawn if position is None else np.asarray(position, dtype=np.float64)
        self._move(
            session, inst, at, spawn_yaw if yaw is None else yaw, 0.0, "moved", now, fx, snap=True
        )
        return True

    def open_instance(self, room_id: str, now: float, number: int | None = None) -> RoomInstance:
        """A new, empty overflow instance of a room (a breakout group's room); disposed
        like any overflow instance once it has stayed empty for a while. ``number``: that
        instance (a breakout group's room again after a restart), the one there if open."""
        if number is not None and number > 0:
            found = self.instances[room_id].get(number)
            return found if found is not None else self._new_instance(room_id, number, now)
        return self._new_instance(room_id, self._free_number(room_id), now)

    def end_session(self, session: Session, code: str, fx: Effects, now: float) -> None:
        """End a session at once, without a reconnection grace (a ban): its connection
        gets the error ``code`` and is closed."""
        conn = session.conn
        self._end(session, fx, now)
        if conn is not None:
            fx.error(conn, session.lang, code)
            if protocol.ERRORS[code].close is None:
                fx.closes.append(Closing(conn, CLOSE_NORMAL, code, code))

    # --- several processes (``placement`` set; see server/cluster/realtime.py) ----------

    def has_resume(self, resume_key: str) -> bool:
        """True when a session of this process has ``resume_key``."""
        return resume_key in self._by_resume

    def has_session_of(self, identity_id: str) -> bool:
        """True when this identity has a session in this process (a hello takes it over)."""
        return identity_id in self._by_identity

    def live_elsewhere(
        self, identity_id: str, session_id: str, since: float, now: float
    ) -> Effects:
        """Another process welcomed ``identity_id`` into its session ``session_id`` at
        ``since``. One identity has one live session: this identity's session here ends if
        it went live before (the later hello wins; the same instant, the smaller session id
        gives way), its connection closed with ``replaced`` as for a reconnection here. The
        same session (adopted there) goes on there: it only leaves this process."""
        fx = Effects()
        session = self._by_identity.get(identity_id)
        if session is None or (session.live_since, session.id) >= (since, session_id):
            return fx
        conn = session.conn
        self._end(session, fx, now, over=session.id != session_id)
        if conn is not None:
            fx.error(conn, session.lang, "replaced")
        self._settle(fx, now)
        return fx

    def adopt(
        self, conn: int, identity: Identity, hello: Hello, returning: Returning, now: float
    ) -> Effects:
        """A session another process had comes back here (its process died, or handed it
        over): welcomed as resumed, with the same session id, and put where it stood."""
        fx = Effects()
        if self._refuse_hello(conn, identity, hello, now, fx):
            return fx
        stale = self.sessions.get(returning.session_id)
        if stale is not None:
            self._end(stale, fx, now, over=False)
            if stale.conn is not None:
                fx.close(stale.conn, "replaced")
        session = self._new_session(
            conn,
            identity,
            returning.session_id,
            returning.appearance,
            hello.lang,
            hello.resume or secrets.token_urlsafe(24),
            now,
        )
        fx.send_to(session, self._welcome(session, now, resumed=True))
        room = returning.room if returning.room in self._rooms else self.entrance
        number = returning.instance if room == returning.room else 0
        inst, handed = self._local_instance(session, room, number, "resume", now, fx)
        if not handed:
            if (
                inst is not None
                and returning.position is not None
                and inst.has_room
                and self._entry_refusal(session, inst, now) is None
            ):
                position = np.array(returning.position, dtype=np.float64)
                self._move(
                    session,
                    inst,
                    position,
                    returning.yaw,
                    returning.pitch,
                    "resume",
                    now,
                    fx,
                    snap=True,
                )
            else:
                self._enter(session, room, number, "resume", now, fx)
        self._settle(fx, now)
        return fx

    def continue_handoff(self, handoff: Handoff, now: float) -> Effects:
        """The instance of a hand-off is this process's now: carry on with the move."""
        fx = Effects()
        self._handing_off.discard(handoff.session_id)
        session = self.sessions.get(handoff.session_id)
        if session is None:
            return fx
        if handoff.via == "door":
            self._door_here(session, handoff, now, fx)
        elif handoff.via == "wait":
            self._wait_for(session, handoff.room, handoff.instance, now, fx)
        else:
            self._enter(session, handoff.room, handoff.instance, handoff.via, now, fx)
        self._settle(fx, now)
        return fx

    def handoff_failed(self, handoff: Handoff, code: str, now: float) -> Effects:
        """Nobody can open the instance of a hand-off now: the session stays where it is
        and is told ``code``."""
        fx = Effects()
        self._handing_off.discard(handoff.session_id)
        session = self.sessions.get(handoff.session_id)
        if session is None:
            return fx
        about = "pose" if handoff.via == "door" else handoff.via
        fx.error(session.conn, session.lang, code, f"{handoff.room}#{handoff.instance}", about)
        if handoff.via == "door":
            self._send_fix(session, "full", fx)
        return fx

    def hand_over(
        self, session_id: str, url: str, room: str, instance: int, reason: str, now: float
    ) -> Effects:
        """The session goes on in the process at ``url``: its client is sent ``redirect``
        and its connection closed; here it is gone (nothing ended: no ``Effects.ended``)."""
        fx = Effects()
        session = self.sessions.get(session_id)
        if session is None:
            return fx
        conn = session.conn
        self._end(session, fx, now, over=False)
        if conn is not None:
            frame = encode("redirect", url=url, room=room, instance=instance, reason=reason)
            fx.send(frame, [conn])
            fx.closes.append(Closing(conn, CLOSE_NORMAL, "redirect", None))
        self._settle(fx, now)
        return fx

    def people_in(self, room_id: str, number: int) -> list[Session]:
        """The members of a room instance and those waiting for it."""
        inst = self.instances.get(room_id, {}).get(number)
        if inst is None:
            return []
        return [*inst.members.values(), *inst.queue]

    def rooms_changed(self) -> None:
        """The room list changed elsewhere: send it again (at most once a second)."""
        self._rooms_dirty = True

    def _local_instance(
        self, session: Session, room_id: str, number: int, via: str, now: float, fx: Effects
    ) -> tuple[RoomInstance | None, bool]:
        """The instance ``room#number`` of this process. With several processes: an
        instance owned elsewhere hands the session off instead (``(None, True)``) and one
        this process owns but has not made yet is made."""
        inst = self.instances[room_id].get(number)
        placement = self.placement
        if placement is None or number > MAX_INSTANCE:
            return inst, False
        if not placement.is_here(room_id, number):
            if inst is not None and session.instance is inst:
                return inst, False
            if session.id not in self._handing_off:
                self._handing_off.add(session.id)
                fx.handoffs.append(Handoff(session.id, room_id, number, via))
            return None, True
        if inst is None:
            inst = self._new_instance(room_id, number, now)
        return inst, False

    def _door_elsewhere(
        self,
        session: Session,
        inst: RoomInstance,
        room_id: str,
        before: NDArray[np.float64],
        fx: Effects,
    ) -> None:
        """A door into a room this process does not have: stay on this side until the
        cluster side has found where the room lives."""
        position, yaw, pitch = inst.poses.pose_of(session.slot)
        inst.poses.place(session.slot, before, yaw, pitch, self.tick_count, snap=False)
        if session.id in self._handing_off:
            return
        self._handing_off.add(session.id)
        x, y, z = (float(v) for v in position)
        fx.handoffs.append(Handoff(session.id, room_id, 0, "door", (x, y, z), yaw, pitch))

    def _door_here(self, session: Session, handoff: Handoff, now: float, fx: Effects) -> None:
        inst = session.instance
        if inst is None or handoff.position is None:
            return
        target, handed = self._local_instance(
            session, handoff.room, handoff.instance, "door", now, fx
        )
        if handed or target is None or target is inst:
            return
        refusal = self._entry_refusal(session, target, now)
        if target.has_room and refusal is None:
            position = np.array(handoff.position, dtype=np.float64)
            self._move(
                session, target, position, handoff.yaw, handoff.pitch, "door", now, fx, snap=False
            )
            return
        self._send_fix(session, "full", fx)
        if refusal is not None:
            fx.error(session.conn, session.lang, refusal, handoff.room, "pose")
        else:
            self._offer(session, target, now, fx)

    # --- sessions -------------------------------------------------------------------------

    def _new_session(
        self,
        conn: int,
        identity: Identity,
        session_id: str,
        appearance: protocol.Appearance,
        lang: str,
        resume_key: str,
        now: float,
    ) -> Session:
        """A session on ``conn``, known by its id, connection and resume key."""
        session = Session(
            id=session_id,
            identity=identity,
            appearance=appearance,
            lang=lang,
            resume_key=resume_key,
            limits=ChatLimits(now),
            conn=conn,
        )
        session.moves.updated = now
        session.live_since = now
        self.sessions[session.id] = session
        self._by_conn[conn] = session
        self._by_resume[session.resume_key] = session
        self._by_identity[identity.id] = session
        return session

    def _start(self, conn: int, identity: Identity, hello: Hello, now: float, fx: Effects) -> None:
        session = self._new_session(
            conn,
            identity,
            secrets.token_urlsafe(9),
            hello.appearance,
            hello.lang,
            secrets.token_urlsafe(24),
            now,
        )
        fx.send_to(session, self._welcome(session, now, resumed=False))
        room, number = hello.room, hello.instance
        if room is not None and room not in self._rooms:
            fx.error(conn, session.lang, "room_unknown", room, about="hello")
            room = None
        if room is None or (self.placement is None and number not in self.instances[room]):
            number = None
        self._enter(session, room or self.entrance, number, "hello", now, fx)

    def _resume(self, session: Session, conn: int, hello: Hello, now: float, fx: Effects) -> None:
        if session.conn is not None:
            old = session.conn
            self._by_conn.pop(old, None)
            fx.close(old, "replaced")
        session.conn = conn
        session.lang = hello.lang
        session.live_since = now
        self._by_conn[conn] = session
        was_away = session.away_since is not None
        session.away_since = None
        self._away.pop(session.id, None)
        fx.send_to(session, self._welcome(session, now, resumed=True))
        for frame in session.take_held():
            fx.send_to(session, frame)
        inst = session.instance
        if inst is not None:
            inst.changed()
            if was_away:
                inst.poses.set_away(session.slot, False, self.tick_count)
                fx.send(
                    encode("presence_update", net=session.slot, session=session.id, away=False),
                    inst.conns(but=session),
                )
            fx.send_to(session, self._joined(session, "resume"))
            session.needs_full = True
            for feature in self.features:
                feature.on_join(session, fx, now)
        elif session.waiting is not None:
            waiting = session.waiting
            fx.send_to(session, self._queued(waiting, waiting.position(session)))
        else:
            self._enter(session, self.entrance, None, "hello", now, fx)

    def _end(self, session: Session, fx: Effects, now: float, *, over: bool = True) -> None:
        """The session is over here: leave its instance and queue, forget it. ``over``
        False: it goes on in another process (handed over), nothing ends."""
        self._handing_off.discard(session.id)
        if over and self.placement is not None:
            fx.ended.append((session.id, session.resume_key))
        if session.instance is not None:
            self._leave_instance(session, fx, now)
        if session.waiting is not None:
            self._leave_queue(session, fx)
        self.sessions.pop(session.id, None)
        self._by_resume.pop(session.resume_key, None)
        if self._by_identity.get(session.identity.id) is session:
            del self._by_identity[session.identity.id]
        self._away.pop(session.id, None)
        if session.conn is not None:
            self._by_conn.pop(session.conn, None)

    def _expire(self, now: float, fx: Effects) -> None:
        grace = self.settings.reconnect_grace_s
        for session in list(self._away.values()):
            if session.away_since is not None and now - session.away_since > grace:
                self._end(session, fx, now)

    # --- rooms and instances --------------------------------------------------------------

    def _use_world(self, world: WorldView) -> None:
        """Take the world's rooms and which room each door leads to (by room index)."""
        self.world = world
        self._rooms = {room.id: room for room in world.rooms}
        self._links: dict[str, NDArray[np.intp]] = {
            room.id: np.array(
                [world.room_index(link) for link in room.links if link in self._rooms],
                dtype=np.intp,
            )
            for room in world.rooms
        }
        #: ``[a, b]``: room ``b`` is linked to room ``a`` (by room index)
        self._link_matrix = np.zeros((len(world.rooms), len(world.rooms)), dtype=bool)
        for room in world.rooms:
            self._link_matrix[world.room_index(room.id), self._links[room.id]] = True

    def _all_instances(self) -> list[RoomInstance]:
        return [inst for by_number in self.instances.values() for inst in by_number.values()]

    def _new_instance(self, room_id: str, number: int, now: float) -> RoomInstance:
        serial = self._next_serial
        while serial in self._serials or serial == 0:
            serial = (serial + 1) & 0xFFFF
        self._next_serial = (serial + 1) & 0xFFFF
        self._serials.add(serial)
        room = self._rooms[room_id]
        inst = RoomInstance(
            room_id,
            self.world.room_index(room_id),
            number,
            serial,
            room.capacity,
            self.settings.chat_history,
            now,
        )
        self.instances[room_id][number] = inst
        self._rooms_dirty = True
        return inst

    def _overflow(self, room_id: str, now: float) -> RoomInstance:
        """An instance of the room with a free place: an existing one, or a new one."""
        by_number = self.instances[room_id]
        placement = self.placement
        for number in sorted(by_number):
            if by_number[number].has_room and (
                placement is None or placement.may_offer(room_id, number)
            ):
                return by_number[number]
        return self._new_instance(room_id, self._free_number(room_id), now)

    def _free_number(self, room_id: str) -> int:
        """The number for a new overflow instance of a room."""
        by_number = self.instances[room_id]
        if self.placement is not None:
            return self.placement.overflow_number(room_id, by_number.keys())
        number = 1
        while number in by_number:
            number += 1
        return number

    def _dispose_idle(self, now: float) -> None:
        for room_id, by_number in self.instances.items():
            for number, inst in list(by_number.items()):
                if (
                    number != 0
                    and not inst.members
                    and not inst.queue
                    and inst.empty_since is not None
                    and now - inst.empty_since > OVERFLOW_IDLE_S
                ):
                    del self.instances[room_id][number]
                    self._serials.discard(inst.serial)
                    self._rooms_dirty = True

    def _spawn_pose(self, room_id: str) -> tuple[NDArray[np.float64], float]:
        spawns = self.world.spawns_for(room_id)
        room = self._rooms[room_id]
        if spawns:
            spawn = spawns[self._random.randrange(len(spawns))]
            base = np.asarray(spawn.position, dtype=np.float64)
            yaw = world_yaw_to_wire(float(spawn.yaw))
        else:
            low = np.asarray(room.bounds_min, dtype=np.float64)
            high = np.asarray(room.bounds_max, dtype=np.float64)
            centre = np.array([(low[0] + high[0]) / 2, low[1], (low[2] + high[2]) / 2])
            base = np.asarray(self.world.nearest_walkable(centre[None, :])[0], dtype=np.float64)
            yaw = 0.0
        angles = np.array([self._random.uniform(0, 2 * math.pi) for _ in range(4)])
        radii = np.array([self._random.uniform(0.2, SPAWN_SPREAD_M) for _ in range(4)])
        candidates = np.repeat(base[None, :], 4, axis=0)
        candidates[:, 0] += radii * np.cos(angles)
        candidates[:, 2] += radii * np.sin(angles)
        index = self.world.room_index(room_id)
        fits = np.asarray(self.world.is_walkable(candidates), dtype=bool) & (
            np.asarray(self.world.room_at(candidates)) == index
        )
        if fits.any():
            return candidates[int(np.argmax(fits))], yaw
        return base, yaw

    def _enter(
        self,
        session: Session,
        room_id: str,
        number: int | None,
        via: str,
        now: float,
        fx: Effects,
    ) -> None:
        """Go to a room (its main instance unless ``number``): join, respawn, or offer."""
        inst, handed = self._local_instance(session, room_id, number or 0, via, now, fx)
        if handed:
            return
        if inst is None:
            fx.error(session.conn, session.lang, "instance_unknown", f"{room_id}#{number}", via)
            return
        if session.instance is inst:
            position, yaw = self._spawn_pose(room_id)
            inst.poses.place(session.slot, position, yaw, 0.0, self.tick_count, snap=True)
            self._send_fix(session, "spawn", fx)
            return
        refusal = self._entry_refusal(session, inst, now)
        if refusal is not None:
            fx.error(session.conn, session.lang, refusal, room_id, via)
            if session.instance is None and session.waiting is None:
                self._enter(session, self.entrance, None, via, now, fx)
            return
        if inst.has_room:
            position, yaw = self._spawn_pose(room_id)
            self._move(session, inst, position, yaw, 0.0, via, now, fx, snap=True)
        else:
            self._offer(session, inst, now, fx)

    def _move(
        self,
        session: Session,
        inst: RoomInstance,
        position: NDArray[np.floating],
        yaw: float,
        pitch: float,
        via: str,
        now: float,
        fx: Effects,
        *,
        snap: bool,
    ) -> None:
        """Move a session into ``inst`` (which has a free place) at the given pose."""
        budget = 0.0
        if session.instance is not None:
            budget = float(session.instance.poses.budget[session.slot])
            self._leave_instance(session, fx, now)
        if session.waiting is not None:
            self._leave_queue(session, fx)
        if not inst.admit(session, position, yaw, pitch, self.tick_count, snap=snap):
            raise RuntimeError("_move needs an instance with a free place")
        inst.poses.budget[session.slot] = budget
        fx.send(encode("presence_join", **session.person()), inst.conns(but=session))
        fx.send_to(session, self._joined(session, via))
        session.needs_full = True
        self._rooms_dirty = True
        for feature in self.features:
            feature.on_join(session, fx, now)

    def _leave_instance(self, session: Session, fx: Effects, now: float) -> None:
        inst = session.instance
        assert inst is not None
        for feature in self.features:
            feature.on_leave(session, fx, now)
        slot = inst.remove(session, now)
        fx.send(encode("presence_leave", net=slot, session=session.id), inst.conns())
        self._freed.append(inst)
        self._rooms_dirty = True

    def _offer(self, session: Session, inst: RoomInstance, now: float, fx: Effects) -> None:
        """The instance is full: list the room's instances and suggest one with a place."""
        suggested = self._overflow(inst.room_id, now)
        fx.send_to(
            session,
            encode(
                "room_full",
                room=inst.room_id,
                instance=inst.number,
                capacity=inst.capacity,
                instances=[i.summary() for _, i in sorted(self.instances[inst.room_id].items())],
                suggested=suggested.number,
            ),
        )

    def _entry_refusal(self, session: Session, inst: RoomInstance, now: float) -> str | None:
        """The first rule's objection to ``session`` entering ``inst`` (never the entrance)."""
        if inst.room_id == self.entrance or not self.rules:
            return None
        return next(filter(None, (r.refuse_entry(session, inst, now) for r in self.rules)), None)

    def _settle(self, fx: Effects, now: float) -> None:
        """Give freed places to the people waiting for them, in order."""
        while self._freed:
            inst = self._freed.popleft()
            if inst.number not in self.instances[inst.room_id]:
                continue
            while inst.has_room and inst.queue:
                session = inst.queue[0]
                refusal = self._entry_refusal(session, inst, now)
                if refusal is not None:
                    self._leave_queue(session, fx)
                    fx.error(session.conn, session.lang, refusal, inst.room_id, "wait")
                    continue
                position, yaw = self._spawn_pose(inst.room_id)
                self._move(session, inst, position, yaw, 0.0, "queue", now, fx, snap=True)

    def _cross(
        self,
        session: Session,
        room_index: int,
        before: NDArray[np.float64],
        now: float,
        fx: Effects,
    ) -> None:
        """A pose went through a door into a linked room: move there, or back if full."""
        inst = session.instance
        if inst is None:
            return
        room_id = self.world.rooms[room_index].id
        candidates = [i for _, i in sorted(self.instances[room_id].items()) if i.has_room]
        placement = self.placement
        if placement is not None:
            candidates = [i for i in candidates if placement.is_here(room_id, i.number)]
            if session.id in self._handing_off or (
                not candidates and not placement.is_here(room_id, 0)
            ):
                self._door_elsewhere(session, inst, room_id, before, fx)
                return
        answers = [(i, self._entry_refusal(session, i, now)) for i in candidates]
        target = next((i for i, refusal in answers if refusal is None), None)
        refusal = next((refusal for _, refusal in answers if refusal is not None), None)
        position, yaw, pitch = inst.poses.pose_of(session.slot)
        if target is None:
            inst.poses.place(session.slot, before, yaw, pitch, self.tick_count, snap=False)
            self._send_fix(session, "full", fx)
            if now - session.last_offer >= DOOR_OFFER_EVERY_S:
                session.last_offer = now
                if refusal is not None:
                    fx.error(session.conn, session.lang, refusal, room_id, "pose")
                else:
                    self._offer(session, self.instances[room_id][0], now, fx)
            return
        self._move(session, target, np.array(position), yaw, pitch, "door", now, fx, snap=False)

    # --- queues ---------------------------------------------------------------------------

    def _queued(self, inst: RoomInstance, position: int) -> bytes:
        return encode("queued", room=inst.room_id, instance=inst.number, position=position)

    def _leave_queue(self, session: Session, fx: Effects) -> None:
        inst = session.waiting
        assert inst is not None
        session.waiting = None
        inst.dequeue(session)
        fx.send_to(session, self._queued(inst, 0))
        for place, other in enumerate(inst.queue, start=1):
            fx.send_to(other, self._queued(inst, place))
        self._rooms_dirty = True

    def _wait(self, session: Session, message: Wait, now: float, fx: Effects) -> None:
        if not session.moves.allow(now):
            fx.error(session.conn, session.lang, "rate_limited", "room changes", "wait")
            return
        if message.room not in self._rooms:
            fx.error(session.conn, session.lang, "room_unknown", message.room, "wait")
            return
        self._wait_for(session, message.room, message.instance, now, fx)

    def _wait_for(
        self, session: Session, room_id: str, number: int, now: float, fx: Effects
    ) -> None:
        message = Wait(room_id, number)
        inst, handed = self._local_instance(session, room_id, number, "wait", now, fx)
        if handed:
            return
        if inst is None:
            detail = f"{message.room}#{message.instance}"
            fx.error(session.conn, session.lang, "instance_unknown", detail, "wait")
            return
        if session.instance is inst:
            fx.send_to(session, self._queued(inst, 0))
            return
        refusal = self._entry_refusal(session, inst, now)
        if refusal is not None:
            fx.error(session.conn, session.lang, refusal, message.room, "wait")
            return
        if inst.has_room and not inst.queue:
            position, yaw = self._spawn_pose(inst.room_id)
            self._move(session, inst, position, yaw, 0.0, "queue", now, fx, snap=True)
            return
        if session.waiting is not None and session.waiting is not inst:
            self._leave_queue(session, fx)
        session.waiting = inst
        fx.send_to(session, self._queued(inst, inst.enqueue(session)))
        self._rooms_dirty = True

    def _cancel_wait(self, session: Session, message: CancelWait, now: float, fx: Effects) -> None:
        if session.waiting is None:
            fx.error(session.conn, session.lang, "not_waiting", about="cancel_wait")
            return
        self._leave_queue(session, fx)

    def _go(self, session: Session, message: Go, now: float, fx: Effects) -> None:
        if not session.moves.allow(now):
            fx.error(session.conn, session.lang, "rate_limited", "room changes", "go")
            return
        if message.room not in self._rooms:
            fx.error(session.conn, session.lang, "room_unknown", message.room, "go")
            return
        self._enter(session, message.room, message.instance, "go", now, fx)

    # --- chat -----------------------------------------------------------------------------

    def _chat(self, session: Session, message: Chat, now: float, fx: Effects) -> None:
        inst = session.instance
        if inst is None:
            fx.error(session.conn, session.lang, "not_in_room", about="chat")
            return
        target = None
        if message.to is not None:
            target = self.sessions.get(message.to)
            if target is None and self.placement is None:
                fx.error(session.conn, session.lang, "recipient_unknown", about="chat")
                return
        direct = message.to is not None
        refusal = next(
            filter(None, (r.refuse_chat(session, direct, now) for r in self.rules)), None
        )
        if refusal is not None:
            fx.error(session.conn, session.lang, refusal, about="chat")
            return
        try:
            session.limits.allow_chat(now)
            text = clean_text(message.text, self.settings.chat_max_chars)
        except ChatRefused as exc:
            fx.error(session.conn, session.lang, exc.code, exc.detail or None, "chat")
            return
        if message.to is not None and target is None:
            fx.remote_chats.append(RemoteChat(session.id, message.to, text, now))
            return
        to = (target.id, target.identity.id) if target is not None else None
        line = _chat_line(session, inst, text, to, now)
        fx.records.append(self.unstored_chat.hold(line, encode("chat", **line.as_dict())))

    def remote_chat_line(self, chat: RemoteChat, recipient_id: str | None) -> ChatLine | Effects:
        """A direct message to someone on another process (``Effects.remote_chats``), once
        the cluster layer has looked the recipient up: ``recipient_id`` is their identity's
        id, None when nobody has that session. Gives the line to store and carry over, or
        the sender's refusal. The cluster layer stores the line, then calls
        ``remote_chat_sent``."""
        fx = Effects()
        sender = self.sessions.get(chat.session_id)
        if sender is None:
            return fx
        if recipient_id is None or sender.instance is None:
            code = "recipient_unknown" if recipient_id is None else "not_in_room"
            fx.error(sender.conn, sender.lang, code, about="chat")
            return fx
        return _chat_line(sender, sender.instance, chat.text, (chat.to, recipient_id), chat.now)

    def remote_chat_sent(self, line: ChatLine, stored: bool) -> Effects:
        """The cluster layer stored a direct line to another process and passed it on (the
        sender's copy is the acknowledgement), or could not store it."""
        fx = Effects()
        sender = self.sessions.get(line.from_session or "")
        if sender is None:
            return fx
        if stored:
            fx.send_to(sender, encode("chat", **line.as_dict()))
        else:
            fx.error(sender.conn, sender.lang, "chat_not_stored", excerpt(line.record.text), "chat")
        return fx

    def remote_chat_arrived(self, fields: dict[str, Any]) -> Effects:
        """A direct line from another process for a session here (already stored there)."""
        fx = Effects()
        session = self.sessions.get(fields.get("to") or "")
        if session is not None:
            fx.send_to(session, encode("chat", **fields))
        return fx

    def chat_stored(self, stored: Iterable[str], failed: Iterable[str] = ()) -> Effects:
        """The store has committed the chat records ``stored`` (ids, in the order the core
        handed them out in ``Effects.records``) and could not keep ``failed``. Only now does
        a line go out: a room line into its instance's history and to everyone in the
        instance at this moment, a direct line to its sender and recipient; the sender's
        own copy is the acknowledgement. The sender of a line not kept gets
        ``chat_not_stored``, and nobody else sees it."""
        fx = Effects()
        for held in self.unstored_chat.release(stored):
            line, record = held.line, held.line.record
            if line.to_session is None:
                inst = self.instances.get(record.room, {}).get(record.instance)
                if inst is not None:
                    inst.chat.add(line)
                    fx.send(held.frame, inst.conns())
            else:
                ends = (self.sessions.get(i) for i in (line.from_session, line.to_session) if i)
                fx.send(held.frame, sorted({e.conn for e in ends if e and e.conn is not None}))
        for held in self.unstored_chat.release(failed):
            sender = self.sessions.get(held.line.from_session or "")
            if sender is not None:
                text = excerpt(held.line.record.text)
                fx.error(sender.conn, sender.lang, "chat_not_stored", text, "chat")
        return fx

    def _look(self, session: Session, message: Look, now: float, fx: Effects) -> None:
        """A new look: kept for the session (a reconnection, the next room) and shown to
        the room instance at once."""
        session.appearance = message.appearance
        inst = session.instance
        if inst is not None:
            appearance = message.appearance.as_dict()
            look = encode("look", net=session.slot, session=session.id, appearance=appearance)
            fx.send(look, inst.conns())

    def _react(self, session: Session, message: React, now: float, fx: Effects) -> None:
        inst = session.instance
        if inst is None:
            fx.error(session.conn, session.lang, "not_in_room", about="react")
            return
        refusal = next(filter(None, (r.refuse_reaction(session, now) for r in self.rules)), None)
        if refusal is not None:
            fx.error(session.conn, session.lang, refusal, about="react")
            return
        try:
            emoji = check_emoji(message.emoji)
            session.limits.allow_react(now)
        except ChatRefused as exc:
            fx.error(session.conn, session.lang, exc.code, exc.detail or None, "react")
            return
        fx.send(
            encode("reaction", **{"from": session.id}, net=session.slot, emoji=emoji), inst.conns()
        )
        for rule in self.rules:
            rule.reacted(session, emoji, fx, now)

    # --- features -----------------------------------------------------------------------

    # --- the small control messages (each handler takes the welcomed session) -------------

    def _offer_pose(self, session: Session, message: Pose, now: float, fx: Effects) -> None:
        if session.instance is not None:
            session.instance.poses.offer(session.slot, message.frame)

    def _ping(self, session: Session, message: Ping, now: float, fx: Effects) -> None:
        fx.send_to(session, encode("pong", c=message.c, s=now))

    def _hello_again(self, session: Session, message: Hello, now: float, fx: Effects) -> None:
        fx.error(session.conn, session.lang, "already_welcomed", about="hello")

    def _bye(self, session: Session, message: Bye, now: float, fx: Effects) -> None:
        conn = session.conn
        self._end(session, fx, now)
        if conn is not None:
            fx.closes.append(Closing(conn, CLOSE_NORMAL, "bye", None))

    def _feature_message(
        self, session: Session, message: FeatureMessage, now: float, fx: Effects
    ) -> None:
        kind = message.spec.type
        feature = self._feature_of.get(kind)
        if feature is None or not feature.handle(session, message, fx, now):
            fx.error(
                session.conn, session.lang, "unknown_type", f"{kind} is not offered here", kind
            )

    def _tick_features(self, now: float, fx: Effects) -> None:
        if not self.features:
            return
        rooms = [RoomPositions(inst) for inst in self._all_instances() if inst.members]
        for feature in self.features:
            feature.on_tick(now, rooms, fx)

    # --- outgoing -------------------------------------------------------------------------

    def _welcome(self, session: Session, now: float, *, resumed: bool) -> bytes:
        s = self.settings
        return encode(
            "welcome",
            session=session.id,
            identity=session.identity.as_dict(),
            time=now,
            tick_hz=s.tick_hz,
            grid=self.grid.as_dict(),
            rooms=self._client_rooms(),
            resume=session.resume_key,
            resumed=resumed,
            limits={
                "chat_max_chars": s.chat_max_chars,
                "max_speed": float(s.max_speed),
                "max_pose_hz": s.tick_hz,
                "reconnect_grace_s": float(s.reconnect_grace_s),
                "ping_interval_s": protocol.PING_INTERVAL_S,
                "idle_timeout_s": protocol.IDLE_TIMEOUT_S,
                "interest_near": s.interest_near,
                "interest_far_every": s.interest_far_every,
            },
        )

    def _joined(self, session: Session, via: str) -> bytes:
        inst = session.instance
        assert inst is not None
        position, yaw, pitch = inst.poses.pose_of(session.slot)
        return encode(
            "joined",
            room=inst.room_id,
            instance=inst.number,
            serial=inst.serial,
            capacity=inst.capacity,
            you=session.slot,
            via=via,
            pose={"pos": position, "yaw": yaw, "pitch": pitch},
            presence=inst.presence(),
            chat=inst.chat.recent(),
        )

    def _send_fix(self, session: Session, reason: str, fx: Effects) -> None:
        inst = session.instance
        if inst is None or session.conn is None:
            return
        position, yaw, pitch = inst.poses.pose_of(session.slot)
        fx.send_to(
            session,
            encode(
                "pose_fix",
                pos=position,
                yaw=yaw,
                pitch=pitch,
                seq=int(inst.poses.seq[session.slot]),
                reason=reason,
            ),
        )

    def _client_rooms(self) -> list[dict[str, Any]]:
        """The room list clients get: with several processes, the whole hub's."""
        local = self.rooms_summary()
        return local if self.placement is None else self.placement.rooms_summary(local)

    def _send_rooms(self, now: float, fx: Effects) -> None:
        if not self._rooms_dirty or now - self._rooms_sent_at < ROOMS_EVERY_S:
            return
        self._rooms_dirty = False
        self._rooms_sent_at = now
        fx.send(encode("rooms", rooms=self._client_rooms()), list(self._by_conn))

    def _pack_snapshots(self, now: float, fx: Effects) -> None:
        s = self.settings
        full_every = max(1, round(FULL_EVERY_S * s.tick_hz))
        sending = [inst for inst in self._all_instances() if inst.recipients()[1]]
        all_entries = entries_together([inst.poses for inst in sending], self.grid)
        for inst, entries in zip(sending, all_entries, strict=True):
            slots, conns, sessions = inst.recipients()
            force = np.zeros(len(sessions), dtype=bool)
            flagged = [i for i, member in enumerate(sessions) if member.needs_full]
            if flagged:
                force[flagged] = True
                for i in flagged:
                    sessions[i].needs_full = False
            plan = SnapshotPlan(
                tick=self.tick_count,
                time=now,
                serial=inst.serial,
                near=s.interest_near,
                far_every=max(1, s.interest_far_every),
                full_every=full_every,
            )
            frames = build_snapshots(inst.poses, self.grid, slots, force, plan, entries=entries)
            for frame, who in frames:
                fx.snapshots.append((frame, [conns[i] for i in who.tolist()]))
