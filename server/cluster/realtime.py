"""The realtime side of a hub of several processes: where the hub core meets the cluster.

With ``--redis`` a process owns some room instances (leases, ``server/cluster/cluster.py``) and
redirects visitors to the owner of the others (docs/scale-out.md). The hub core stays
sans-I/O and answers at once: ``ClusterPlacement`` tells it which instances are its own,
and a move into one that is not comes back as a ``Handoff`` effect. ``ClusterRealtime``
does the waiting:

* **hello**: a local resume key goes straight to the core; an unknown one is looked up
  in Redis (``Cluster.resume``) and the session is adopted here at its saved pose once
  its room instance is ours (after a crash: when the dead owner's lease has run out);
  otherwise the hello's room instance is placed (``Cluster.place``): here → the core
  welcomes; elsewhere → ``redirect`` (reason ``owner``); a fresh visitor whose room
  nobody holds may be sent to a clearly less busy process (``balance``).
* **hand-offs** (``go``, ``wait``, a door): placed the same way; elsewhere → the session's
  state is written for the owner and the client redirected.
* **lost instances** (another process took the lease): their people are redirected to
  the new owner (``moved``), where they resume from the states written before.
* **every round**: the ``LocalView`` (loads, counts, every session's grace state);
  instances with people but no lease are claimed, idle overflow instances given back.
* **bus**: direct messages to sessions on other processes (stored first), hub-wide
  events handed to the features (``on``).
* **one identity, one live session**: every welcome is posted (``LIVE_EVENT``); a process
  that has a session of that identity which went live earlier ends it and closes its
  connection with ``replaced``, as a second hello on one process does.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Callable, Collection
from typing import TYPE_CHECKING, Any

from server.base.settings import Settings
from server.cluster.cluster import Cluster, Elsewhere, Here, LocalView, Placement
from server.cluster.grace_state import GraceState, resume_digest
from server.cluster.leases import InstanceKey
from server.cluster.occupancy import InstanceLoad, merge_rooms_summary
from server.core.effects import Effects, Handoff, RemoteChat
from server.core.powers import ClusterCore, Returning
from server.core.room import Session
from server.net.edge import Arrival, Refusal
from server.protocol import table as protocol
from server.protocol.table import CLOSE_NORMAL, encode
from server.store.backend import StoreBackend

if TYPE_CHECKING:
    from server.net.transport import RealtimeServer, WsConnection

log = logging.getLogger("hubtwin.cluster")

#: Extra seconds a hello waits beyond a stopped owner's lease before it is told to retry.
PATIENCE_MARGIN_S = 1.0
#: The bus event a process posts when it welcomed someone: their session elsewhere ends.
LIVE_EVENT = "session_live"


class ClusterPlacement:
    """The hub core's ``InstancePlacement`` from the cluster's books (no I/O)."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster

    def is_here(self, room: str, instance: int) -> bool:
        return self.cluster.owns(InstanceKey(room, instance))

    def may_offer(self, room: str, instance: int) -> bool:
        return self.is_here(room, instance) or instance not in self._elsewhere(room)

    def _elsewhere(self, room: str) -> set[int]:
        """The instance numbers of ``room`` other processes hold (as last heard)."""
        return {load.key.instance for load in self.cluster.remote_loads() if load.key.room == room}

    def overflow_number(self, room: str, taken: Collection[int]) -> int:
        elsewhere = self._elsewhere(room)
        number = 1
        while number in taken or number in elsewhere:
            number += 1
        return number

    def rooms_summary(self, local: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return merge_rooms_summary(local, self.cluster.remote_loads(), set(self.cluster.owned()))


def public_ws_url(settings: Settings, port: int) -> str:
    """The realtime URL other processes send this one's visitors to: ``--public-ws-url``
    (a path is joined to ``--public-url``'s host), else ``ws://host:port/ws``."""
    configured = settings.public_ws_url
    if configured and configured.startswith(("ws://", "wss://")):
        return configured
    if configured and settings.public_url:
        base = settings.public_url.rstrip("/")
        scheme, _, rest = base.partition("://")
        host = rest.split("/", 1)[0]
        return f"{'wss' if scheme == 'https' else 'ws'}://{host}{configured}"
    if configured:
        return configured
    host = settings.host if settings.host not in ("0.0.0.0", "::") else "127.0.0.1"
    return f"ws://{host}:{port}/ws"


BusAction = Callable[[Any, Effects, float], None]


class ClusterRealtime:
    """The glue between one process's realtime endpoint and its ``Cluster``."""

    def __init__(
        self, cluster: Cluster, core: ClusterCore, settings: Settings, store: StoreBackend | None
    ) -> None:
        self.cluster = cluster
        self.core = core
        self.settings = settings
        self.store = store
        self.realtime: RealtimeServer | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._claiming: set[InstanceKey] = set()
        self._remote_seen: list[InstanceLoad] = []
        self.redirects = 0
        self.adopted = 0
        self._outages_seen = 0
        self._rounds_at_outage = -1
        #: how long a hello waits for the lease of an owner that stopped to run out
        self._patience = cluster.timings.lease_ttl_s + PATIENCE_MARGIN_S
        cluster.view = self.view
        cluster.on_lost = self.lost
        cluster.bus.on("direct_chat", self._direct_chat_arrived)
        cluster.bus.on(LIVE_EVENT, self._live_elsewhere)
        cluster.bus.on("rooms", lambda sender, payload: core.rooms_changed())

    def attach(self, realtime: RealtimeServer) -> None:
        self.realtime = realtime

    def on(self, kind: str, action: BusAction) -> None:
        """Hand the bus events of ``kind`` to ``action(payload, fx, now)`` (a feature's
        reaction to another process's event); what it does to the rooms is sent."""

        def handler(sender: str, payload: Any) -> None:
            fx = Effects()
            action(payload, fx, time.time())
            self._apply(fx)

        self.cluster.bus.on(kind, handler)

    def _apply(self, fx: Effects) -> None:
        if self.realtime is not None:
            self.realtime.apply(fx)

    def _spawn(self, coro: Any, name: str) -> None:
        task = asyncio.create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("cluster task failed", exc_info=task.exception())

    async def close(self) -> None:
        """Stop what is under way and note every session's state as urgent (the cluster
        writes them as it closes, so people come back elsewhere where they stood)."""
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=2.0)
        now = time.time()
        for session in list(self.core.sessions.values()):
            self.cluster.note_session(self._state(session, now), urgent=True)

    # --- hello --------------------------------------------------------------------------

    def arrive(self, conn: WsConnection, arrival: Arrival) -> None:
        """A verified hello (the connection holds what follows until it is placed)."""
        self._spawn(self._arrive(conn, arrival), "hubtwin-cluster-hello")

    async def _arrive(self, conn: WsConnection, arrival: Arrival) -> None:
        try:
            await self._place_hello(conn, arrival)
        except Exception:
            log.exception("placing a hello failed", extra={"conn": conn.id})
            conn.refuse(Refusal("internal", "", None, True))

    async def _place_hello(self, conn: WsConnection, arrival: Arrival) -> None:
        hello, identity = arrival.hello, arrival.identity
        core = self.core
        if (hello.resume and core.has_resume(hello.resume)) or core.has_session_of(identity.id):
            # a reconnection, or the same person again: their session here takes them back
            self._admit(conn, lambda now: core.hello(conn.id, identity, hello, now))
            return
        rooms = {room.id for room in core.world.rooms}
        asked = None
        if hello.room in rooms:
            asked = InstanceKey(hello.room, hello.instance or 0)
        state = await self._returning_state(hello.resume, identity.id)
        if state is not None:
            key = asked or state.key or InstanceKey(core.entrance, 0)
            placement = await self._place(key, self._patience)
            if isinstance(placement, Here):
                returning = returning_of(state, key, hello.appearance)
                self.adopted += 1
                self._admit(conn, lambda now: core.adopt(conn.id, identity, hello, returning, now))
                return
            self._elsewhere(conn, key, placement, hello.lang)
            return
        key = asked or InstanceKey(core.entrance, 0)
        if hello.instance is None and not self.cluster.owns(key):
            host = self.cluster.host_for_new_instance()
            free = host.id != self.cluster.process_id and host.ws_url
            if free and await self.cluster.owner(key) is None:
                self._redirect(conn, host.ws_url, key, "balance")
                return
        placement = await self._place(key, self._patience)
        if isinstance(placement, Here):
            self._admit(conn, lambda now: core.hello(conn.id, identity, hello, now))
        else:
            self._elsewhere(conn, key, placement, hello.lang)

    async def _place(self, key: InstanceKey, patience_s: float) -> Placement:
        """``Cluster.place``; an instance taken just now gets its chat history from the
        store (the process that had it may have died with it)."""
        had = self.cluster.owns(key)
        placement = await self.cluster.place(key, patience_s=patience_s)
        if isinstance(placement, Here) and not had and self.store is not None:
            try:
                records = await self.store.recent_chat(
                    key.room, key.instance, self.settings.chat_history
                )
            except Exception:
                log.exception("could not read a taken room's chat", extra={"instance": str(key)})
            else:
                self.core.reload_chat(key.room, key.instance, records, time.time())
        return placement

    async def _returning_state(self, resume: str | None, identity_id: str) -> GraceState | None:
        """The grace state another process kept for ``resume``, if it is this identity's
        and still within the reconnection grace."""
        if not resume:
            return None
        state = await self.cluster.resume(resume)
        if state is None or state.identity.id != identity_id:
            return None
        limit = self.settings.reconnect_grace_s + self.cluster.timings.grace_refresh_s
        if time.time() - state.saved_at > limit:
            return None
        return state

    def _admit(self, conn: WsConnection, welcome: Callable[[float], Effects]) -> None:
        if not conn.open:
            return
        conn.admitted(welcome(time.time()))
        session = self.core.session_of(conn.id)
        if session is not None:
            # one identity, one live session: the other processes end theirs
            live = {"identity": session.identity.id, "session": session.id}
            self.cluster.bus.post(LIVE_EVENT, {**live, "since": session.live_since})

    def _live_elsewhere(self, sender: str, payload: Any) -> None:
        """Another process welcomed someone (``LIVE_EVENT``): a session of theirs here that
        went live before ends, its connection closed with ``replaced``."""
        if not (
            isinstance(payload, dict)
            and isinstance(payload.get("identity"), str)
            and isinstance(payload.get("session"), str)
            and isinstance(payload.get("since"), float | int)
        ):
            log.warning("bus: a session_live event refused", extra={"from": sender})
            return
        session_id = payload["session"]
        here = session_id in self.core.sessions
        fx = self.core.live_elsewhere(
            payload["identity"], session_id, float(payload["since"]), time.time()
        )
        if here and session_id not in self.core.sessions:
            self.cluster.forget_session(session_id)  # it goes on there: its state is theirs
        self._apply(fx)

    def _elsewhere(
        self, conn: WsConnection, key: InstanceKey, placement: Placement, lang: str
    ) -> None:
        if isinstance(placement, Elsewhere) and placement.owner.ws_url:
            self._redirect(conn, placement.owner.ws_url, key, "owner")
            return
        # nobody can open the room yet (Redis away, or an owner that stopped but still
        # holds it): the client reconnects after a moment and asks again
        conn.send_control(protocol.error_frame("room_unavailable", lang, str(key), "hello"))
        conn.close(1013, "room_unavailable")

    def _redirect(self, conn: WsConnection, url: str, key: InstanceKey, reason: str) -> None:
        self.redirects += 1
        frame = encode("redirect", url=url, room=key.room, instance=key.instance, reason=reason)
        conn.send_control(frame)
        conn.close(CLOSE_NORMAL, "redirect")

    # --- effects the core hands over ----------------------------------------------------

    def take(self, fx: Effects) -> None:
        """The cluster's part of what the core asked for."""
        for session_id, resume_key in fx.ended:
            self.cluster.session_ended(session_id, resume_key)
        for handoff in fx.handoffs:
            self._spawn(self._hand_off(handoff), "hubtwin-cluster-handoff")
        for chat in fx.remote_chats:
            self._spawn(self._direct_chat(chat), "hubtwin-cluster-chat")

    def send_over(
        self,
        session_id: str,
        key: InstanceKey,
        url: str,
        pose: tuple[tuple[float, float, float], float, float],
    ) -> None:
        """Hand a session of this process to the process at ``url``, into ``key`` at
        ``pose``: a feature there brings them in (a visitor called into a consulting booth,
        ``server/features/consulting/cluster_side.py``)."""
        self._spawn(self._hand_over(session_id, key, url, "owner", pose), "hubtwin-cluster-send")

    def disconnected(self, session: Session) -> None:
        """A connection dropped (the grace starts): its state goes to Redis at once."""
        self.cluster.note_session(self._state(session, time.time()), urgent=True)

    async def _hand_off(self, handoff: Handoff) -> None:
        try:
            await self._place_handoff(handoff)
        except Exception:
            log.exception("a hand-off failed", extra={"session": handoff.session_id})
            self._apply(self.core.handoff_failed(handoff, "internal", time.time()))

    async def _place_handoff(self, handoff: Handoff) -> None:
        key = InstanceKey(handoff.room, handoff.instance)
        placement = await self._place(key, 0.0)
        now = time.time()
        if isinstance(placement, Here):
            self._apply(self.core.continue_handoff(handoff, now))
        elif isinstance(placement, Elsewhere) and placement.owner.ws_url:
            pose = None
            if handoff.position is not None:
                pose = (handoff.position, handoff.yaw, handoff.pitch)
            await self._hand_over(handoff.session_id, key, placement.owner.ws_url, "owner", pose)
        else:
            self._apply(self.core.handoff_failed(handoff, "room_unavailable", now))

    async def _hand_over(
        self,
        session_id: str,
        key: InstanceKey,
        url: str,
        reason: str,
        pose: tuple[tuple[float, float, float], float, float] | None,
    ) -> None:
        """Send a session to the process at ``url``: for a move (``pose`` or not), its
        state naming ``key`` is written first, so the owner has it when the client comes."""
        session = self.core.sessions.get(session_id)
        if session is None:
            return
        conn = None
        if session.conn is not None and self.realtime is not None:
            conn = self.realtime.connections.get(session.conn)
        if conn is not None:
            conn.held = []  # the session is gone here: nothing more goes to the core
        now = time.time()
        state = self._state(session, now)
        fx = self.core.hand_over(session_id, url, key.room, key.instance, reason, now)
        self.redirects += 1
        if reason == "moved":
            self.cluster.forget_session(session_id)
        else:
            position, yaw, pitch = pose if pose is not None else (None, 0.0, 0.0)
            await self.cluster.hand_over(
                dataclasses.replace(state, key=key, position=position, yaw=yaw, pitch=pitch)
            )
        self._apply(fx)

    # --- rooms: lost, claimed, given back -----------------------------------------------

    def lost(self, keys: list[InstanceKey]) -> None:
        """Another process holds these instances now (called in the round)."""
        for key in keys:
            self._claim(key)

    def _claim(self, key: InstanceKey) -> None:
        if key not in self._claiming:
            self._claiming.add(key)
            self._spawn(self._claim_or_move(key), "hubtwin-cluster-claim")

    async def _claim_or_move(self, key: InstanceKey) -> None:
        """An instance with people here but no lease: take it, or send them to its owner."""
        try:
            placement = await self.cluster.place(key)
            if not isinstance(placement, Elsewhere) or not placement.owner.ws_url:
                return
            url = placement.owner.ws_url
            people = self.core.people_in(key.room, key.instance)
            log.warning(
                "room instance moved: sending its people to the new owner",
                extra={"instance": str(key), "people": len(people), "owner": url},
            )
            for session in people:
                await self._hand_over(session.id, key, url, "moved", None)
        finally:
            self._claiming.discard(key)

    def _reconcile(self) -> None:
        """Claim instances that have people but no lease (a breakout opened by a
        facilitator, a lease lost); give back overflow instances the core disposed of."""
        core, cluster = self.core, self.cluster
        for room_id, by_number in core.instances.items():
            for number, inst in by_number.items():
                if (inst.members or inst.queue) and not cluster.owns(InstanceKey(room_id, number)):
                    self._claim(InstanceKey(room_id, number))
        for key in cluster.owned():
            if key.instance != 0 and key.instance not in core.instances.get(key.room, {}):
                self._spawn(cluster.release(key), "hubtwin-cluster-release")

    # --- the round ----------------------------------------------------------------------

    def view(self) -> LocalView:
        """What the cluster publishes this round (called by its maintenance round)."""
        core = self.core
        now = time.time()
        self._reconcile()
        remote = self.cluster.remote_loads()
        if remote != self._remote_seen:
            self._remote_seen = remote
            core.rooms_changed()
        loads = [
            InstanceLoad(
                InstanceKey(inst.room_id, inst.number),
                inst.occupancy,
                len(inst.queue),
                inst.capacity,
            )
            for by_number in core.instances.values()
            for inst in by_number.values()
        ]
        clients = 0 if self.realtime is None else len(self.realtime.connections)
        states = [self._state(session, now) for session in core.sessions.values()]
        return LocalView(loads, clients, len(core.sessions), states)

    def _state(self, session: Session, now: float) -> GraceState:
        inst = session.instance
        key = None
        position: tuple[float, float, float] | None = None
        yaw = pitch = 0.0
        if inst is not None:
            key = InstanceKey(inst.room_id, inst.number)
            pos, yaw, pitch = inst.poses.pose_of(session.slot)
            x, y, z = (float(v) for v in pos)
            position = (x, y, z)
        elif session.waiting is not None:
            key = InstanceKey(session.waiting.room_id, session.waiting.number)
        return GraceState(
            session_id=session.id,
            resume_digest=resume_digest(session.resume_key),
            identity=session.identity,
            appearance=session.appearance.as_dict(),
            lang=session.lang,
            key=key,
            position=position,
            yaw=float(yaw),
            pitch=float(pitch),
            process_id=self.cluster.process_id,
            saved_at=now,
        )

    # --- direct messages across processes -----------------------------------------------

    async def _direct_chat(self, chat: RemoteChat) -> None:
        """A direct message to a session not here: found by its grace state, the core makes
        the line (or refuses), it is stored, then sent to the process that has it."""
        try:
            target = await self.cluster.graces.load(chat.to)
        except Exception:
            target = None
        made = self.core.remote_chat_line(chat, target.identity.id if target else None)
        if isinstance(made, Effects):
            self._apply(made)
            return
        if self.store is not None:
            try:
                await self.store.add_chat(made.record)
            except Exception:
                log.exception("could not store a direct message", extra={"id": made.record.id})
                self._apply(self.core.remote_chat_sent(made, stored=False))
                return
        assert target is not None  # (a line is made only for a recipient found)
        self.cluster.bus.post("direct_chat", made.as_dict(), to=target.process_id)
        self._apply(self.core.remote_chat_sent(made, stored=True))

    def _direct_chat_arrived(self, sender: str, payload: Any) -> None:
        if not isinstance(payload, dict) or not isinstance(payload.get("to"), str):
            return
        fields = {name: payload.get(name) for name in _CHAT_FIELDS}
        try:
            protocol.validate_server({"t": "chat", **fields})
        except protocol.ProtocolError as exc:
            log.warning("bus: a direct message refused", extra={"from": sender, "error": str(exc)})
            return
        self._apply(self.core.remote_chat_arrived(fields))

    def health(self) -> dict[str, Any]:
        """``Cluster.health()``, with ``ok`` also requiring a recent maintenance round (after
        Redis comes back, the leases and registry are rewritten by the next round: until
        then another process could take this one's rooms), and what this side counted."""
        report = self.cluster.health()
        if report["outages"] != self._outages_seen:
            self._outages_seen = report["outages"]
            self._rounds_at_outage = self.cluster.rounds
        age = report["last_round_age_s"]
        recent = age is not None and age < self.cluster.timings.lease_ttl_s / 2
        rewritten = self.cluster.rounds > self._rounds_at_outage
        report["ok"] = bool(report["ok"]) and recent and rewritten
        return {**report, "redirects": self.redirects, "adopted": self.adopted}


_CHAT_FIELDS = ("id", "room", "instance", "from", "name", "text", "to", "ts")


def returning_of(state: GraceState, key: InstanceKey, fallback: protocol.Appearance) -> Returning:
    """Where a session from another process comes back: at its saved pose when it returns
    to the instance the state names, else at a spawn point of ``key``'s room."""
    try:
        appearance = protocol.Appearance.from_fields(state.appearance)
    except KeyError:
        appearance = fallback
    here = state.key == key and state.position is not None
    return Returning(
        session_id=state.session_id,
        appearance=appearance,
        room=key.room,
        instance=key.instance,
        position=state.position if here else None,
        yaw=state.yaw if here else 0.0,
        pitch=state.pitch if here else 0.0,
    )
