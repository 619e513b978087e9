"""One hub process's part in a hub of several processes coordinated by Redis.

``Cluster`` is what the realtime side talks to when ``--redis`` is set. It owns no room
logic; it answers four questions and keeps four things up to date:

* **Where does this room instance live?** ``place(key)``: here (this process holds or has
  just taken the lease), elsewhere (the owner's public realtime URL, to redirect the
  client to), or nowhere yet (the owner stopped; its lease runs out in a few seconds).
  ``open_overflow(room)`` takes the lowest free overflow number; ``release(key)`` gives an
  idle instance back.
* **Who else is there?** ``processes()``, ``remote_loads()`` (cached, refreshed each round),
  ``host_for_new_instance()`` (which process should open a free instance).
* **Where was this session?** ``resume(resume_key)`` and ``locate(session_id)`` read the
  grace states other processes wrote.
* **Tell the others**: ``bus`` (``post``/``on``), batched once per tick.

Kept up to date by one maintenance round every ``round_every_s``: renew the leases (a lease
someone else took is reported through ``on_lost``), take this process's ``view()`` (a
``LocalView`` the realtime side makes from its state: loads, counts, session states),
heartbeat into the process registry, publish the loads and read everyone's, write the
grace states that are due. Besides ``view``, the realtime side only makes plain calls that
never wait (``note_session`` for a disconnect, ``session_ended``).

If Redis goes away, the rounds fail, the link says so in the logs and in ``health()``, and
the process keeps serving the rooms it holds: nobody else can take them while Redis is
down for everyone. Rounds retry with backoff; the first round that succeeds re-registers
the process, renews (or restores, after a Redis restart that lost them) its leases and
writes the grace states again; the bus subscribes again by itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from server.base.redis_link import Backoff, ClusterUnavailable, RedisLink
from server.base.redis_names import RedisNames
from server.cluster.bus import ClusterBus
from server.cluster.grace_state import (
    GraceState,
    GraceStateError,
    GraceStates,
    GraceWriter,
    resume_digest,
)
from server.cluster.leases import InstanceKey, LeaseBook, LeaseStore, Owner
from server.cluster.occupancy import InstanceLoad, OccupancyTable
from server.cluster.process_registry import ProcessInfo, ProcessRegistry, make_process_id

log = logging.getLogger("hubtwin.cluster")

#: How long ``close`` waits for the background loops to end.
STOP_TIMEOUT_S = 2.0
#: Grace states written per script run; the event loop gets a turn between runs.
SAVE_CHUNK = 200
#: A less busy process opens new instances only if it has this many sessions fewer (or more).
HOST_SLACK = 10


@dataclass(frozen=True)
class ClusterTimings:
    """How fast things happen. ``lease_ttl_s`` bounds how long a dead process's rooms stay
    unreachable; renewals run every round, so a lease survives ``lease_ttl_s /
    round_every_s - 1`` lost rounds."""

    lease_ttl_s: float = 5.0
    round_every_s: float = 1.0
    process_ttl_s: float = 5.0
    #: an owner silent this long (no heartbeat) is presumed stopped: clients wait for its
    #: lease to run out instead of being sent to it
    stale_after_s: float = 3.0
    grace_write_every_s: float = 1.0
    grace_refresh_s: float = 10.0
    flush_every_s: float = 0.05
    #: how long a session's state is kept past its last write: at least the reconnection
    #: grace period plus ``grace_refresh_s`` (a state standing still is rewritten that often)
    session_ttl_s: float = 45.0

    def __post_init__(self) -> None:
        if self.grace_refresh_s * 2 > self.session_ttl_s:
            raise ValueError("session states must outlive two refreshes")
        if self.round_every_s * 2 >= self.lease_ttl_s:
            raise ValueError("leases must outlive at least two maintenance rounds")
        if not self.round_every_s * 2 < self.stale_after_s < self.process_ttl_s:
            raise ValueError(
                "an owner may be presumed stopped only after two maintenance rounds"
                " and before its heartbeat runs out"
            )

    @property
    def stale_heartbeat_s(self) -> float:
        """An owner whose heartbeat has less than this left has been silent too long."""
        return self.process_ttl_s - self.stale_after_s


@dataclass(frozen=True)
class Here:
    """This process owns the instance: admit locally."""

    key: InstanceKey


@dataclass(frozen=True)
class Elsewhere:
    """Another live process owns the instance: send the client to ``owner.ws_url``."""

    key: InstanceKey
    owner: Owner


@dataclass(frozen=True)
class NotYet:
    """Nobody can take the instance right now: ``reason`` is ``owner_stopped`` (it left
    the registry or missed heartbeats; its lease runs out in ``retry_after_s``) or
    ``redis_unreachable``."""

    key: InstanceKey
    reason: str
    retry_after_s: float


Placement = Here | Elsewhere | NotYet


@dataclass(frozen=True)
class LocalView:
    """What the realtime side tells the cluster once per round: the loads of the instances
    it has (only those this process owns are published), its connection and session
    counts, and the state of every session (``GraceWriter`` decides which are written)."""

    loads: Sequence[InstanceLoad] = ()
    clients: int = 0
    sessions: int = 0
    #: with ``process_id`` set to ``Cluster.process_id`` (else each is copied to set it)
    states: Sequence[GraceState] = ()


def placement_of(key: InstanceKey, owner: Owner | None, stale_heartbeat_s: float) -> Placement:
    """What an acquire's answer means (no I/O): ``owner`` None means we won; an owner
    without a URL or with a heartbeat about to run out is not sent clients."""
    if owner is None:
        return Here(key)
    if owner.ws_url and owner.heartbeat_expires_in_s >= stale_heartbeat_s:
        return Elsewhere(key, owner)
    return NotYet(key, "owner_stopped", owner.expires_in_s)


def choose_host(processes: Sequence[ProcessInfo], me: str) -> ProcessInfo | None:
    """The process that should open a free room instance (no I/O): this one (``me``), unless
    a live process has clearly fewer sessions — by more than a quarter of this one's, and
    at least ``HOST_SLACK`` — so rooms do not bounce between processes of similar load.
    None when ``me`` is not among ``processes`` (not registered yet)."""
    mine = next((p for p in processes if p.id == me), None)
    if mine is None:
        return None
    others = [p for p in processes if p.id != me and p.ws_url]
    if not others:
        return mine
    least = min(others, key=lambda p: (p.sessions, p.id))
    if mine.sessions - least.sessions > max(HOST_SLACK, mine.sessions // 4):
        return least
    return mine


class Cluster:
    """This process's membership in a multi-process hub (see the module docstring)."""

    def __init__(
        self,
        url: str,
        *,
        site: str,
        ws_url: str,
        http_url: str = "",
        timings: ClusterTimings | None = None,
        process_id: str | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.timings = timings or ClusterTimings()
        self.process_id = process_id or make_process_id()
        self.names = RedisNames(site)
        self.link = RedisLink(url, clock=clock)
        self._clock = clock
        self.book = LeaseBook(self.process_id, self.timings.lease_ttl_s)
        self.leases = LeaseStore(self.link, self.names)
        self.registry = ProcessRegistry(self.link, self.names)
        self.occupancy = OccupancyTable(self.link, self.names)
        self.graces = GraceStates(self.link, self.names)
        self.bus = ClusterBus(
            self.link, self.names, self.process_id, flush_every_s=self.timings.flush_every_s
        )
        self.info = ProcessInfo(self.process_id, ws_url, http_url)
        self.on_lost: Callable[[list[InstanceKey]], None] = _log_lost
        self.view: Callable[[], LocalView] = LocalView
        self._writer = GraceWriter(self.timings.grace_write_every_s, self.timings.grace_refresh_s)
        self._ended: dict[str, str] = {}
        self._processes: list[ProcessInfo] = []
        self._remote: list[InstanceLoad] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._last_round: float | None = None
        self.rounds = 0
        self.failed_rounds = 0
        self._stopping = False

    # --- lifecycle ----------------------------------------------------------------------

    async def start(self) -> None:
        """Register (Redis must answer now: a process does not join a hub blind), then run
        the maintenance rounds, the bus subscriber and the bus flusher."""
        try:
            await self._round()
        except ClusterUnavailable:
            await self.link.close()
            raise
        self._tasks = [
            asyncio.create_task(self._rounds(), name="hubtwin-cluster-rounds"),
            asyncio.create_task(self.bus.run_subscriber(), name="hubtwin-cluster-bus"),
            asyncio.create_task(self.bus.run_flusher(), name="hubtwin-cluster-flush"),
        ]
        log.info(
            "joined the hub's processes",
            extra={"process_id": self.process_id, "ws_url": self.info.ws_url},
        )

    async def close(self) -> None:
        """Leave cleanly: flush the bus, write the grace states that are due, give up every
        lease, leave the registry."""
        self._stopping = True
        self.bus.stop()
        for task in self._tasks:
            task.cancel()
        if self._tasks:
            _, stuck = await asyncio.wait(self._tasks, timeout=STOP_TIMEOUT_S)
            if stuck:
                log.warning("cluster loops did not stop", extra={"tasks": len(stuck)})
        self._tasks = []
        with contextlib.suppress(ClusterUnavailable):
            await self.bus.flush()
            # the newest states (noted urgent by the realtime side), while the leases
            # still fence them: whoever takes the rooms puts people back where they stood
            await self._write_graces()
            for lease in self.book.leases():
                await self.leases.release(lease.key, lease.token)
                self.book.dropped(lease.key)
            await self.occupancy.publish(self.process_id, [], self.timings.process_ttl_s)
            await self.registry.remove(self.process_id)
        await self.link.close()

    def set_addresses(self, ws_url: str, http_url: str = "") -> None:
        """This process's public realtime and HTTP URLs, once known (before ``start``: the
        realtime port may be chosen when it starts listening)."""
        self.info = replace(self.info, ws_url=ws_url, http_url=http_url)

    async def wait_subscribed(self, timeout_s: float = 5.0) -> None:
        await asyncio.wait_for(self.bus.subscribed.wait(), timeout_s)

    # --- rooms --------------------------------------------------------------------------

    def owns(self, key: InstanceKey) -> bool:
        """True while this process holds the instance's lease (by its own books: during a
        Redis outage it keeps the rooms it has)."""
        return self.book.held(key) is not None

    def owned(self) -> list[InstanceKey]:
        return self.book.held_keys()

    async def place(self, key: InstanceKey, *, patience_s: float = 0.0) -> Placement:
        """Where ``key`` lives, taking its lease if it is free. With ``patience_s``, wait
        (up to that long) for a stopped owner's lease to run out and take it then."""
        deadline = self._clock() + patience_s
        while True:
            placement = await self._place_once(key)
            if not isinstance(placement, NotYet) or placement.reason != "owner_stopped":
                return placement
            wait = min(placement.retry_after_s + 0.05, deadline - self._clock())
            if wait <= 0:
                return placement
            await asyncio.sleep(wait)

    async def _place_once(self, key: InstanceKey) -> Placement:
        if self.book.held(key) is not None:
            return Here(key)
        token = self.book.next_token()
        sent = self._clock()
        try:
            acquired = await self.leases.acquire(
                key, token, self.timings.lease_ttl_s, self.book.token_prefix
            )
        except ClusterUnavailable:
            return NotYet(key, "redis_unreachable", self.timings.round_every_s)
        if acquired.won:
            self.book.took(key, token, sent)
            log.info("room instance taken", extra={"instance": str(key)})
        return placement_of(key, acquired.owner, self.timings.stale_heartbeat_s)

    async def owner(self, key: InstanceKey) -> Owner | None:
        """Who holds ``key`` now (None: nobody, or Redis unreachable), without taking it."""
        if self.book.held(key) is not None:
            return Owner(self.process_id, self.book.token_prefix, self.info.ws_url, 0.0)
        try:
            return await self.leases.owner(key)
        except ClusterUnavailable:
            return None

    async def open_overflow(self, room: str) -> InstanceKey | None:
        """Take the lowest free overflow instance of ``room`` (None: Redis unreachable or
        all numbers taken)."""
        token = self.book.next_token()
        sent = self._clock()
        try:
            number = await self.leases.acquire_lowest_free(room, token, self.timings.lease_ttl_s)
        except ClusterUnavailable:
            return None
        if number is None:
            return None
        key = InstanceKey(room, number)
        self.book.took(key, token, sent)
        log.info("overflow instance opened", extra={"instance": str(key)})
        return key

    async def release(self, key: InstanceKey) -> None:
        """Give an instance up (empty and idle; or this process is handing it over)."""
        lease = self.book.dropped(key)
        if lease is None:
            return
        with contextlib.suppress(ClusterUnavailable):
            await self.leases.release(key, lease.token)

    # --- what the others see ------------------------------------------------------------

    def processes(self) -> list[ProcessInfo]:
        """The live processes as of the last round (this one included)."""
        return list(self._processes)

    def remote_loads(self) -> list[InstanceLoad]:
        """Every other process's instance loads as of the last round."""
        return list(self._remote)

    def host_for_new_instance(self) -> ProcessInfo:
        """Where a free instance should be opened: this process, or a clearly less busy
        one (by the registry as of the last round) to redirect the visitor to."""
        return choose_host(self._processes, self.process_id) or self.info

    # --- sessions -----------------------------------------------------------------------

    def note_session(self, state: GraceState, *, urgent: bool = False) -> None:
        """A session's newest state between rounds (``view`` gives all of them each
        round); ``urgent`` (a disconnect): written at the next round."""
        self._ended.pop(state.session_id, None)
        if state.process_id != self.process_id:
            state = replace(state, process_id=self.process_id)
        self._writer.note(state, self._clock(), urgent=urgent)

    def session_ended(self, session_id: str, resume_key: str) -> None:
        """The session is over (bye, or its grace ran out): its state goes at the next
        round."""
        self._writer.forget(session_id)
        self._ended[session_id] = resume_digest(resume_key)

    async def hand_over(self, state: GraceState) -> bool:
        """The session goes on in another process: write its state now, unfenced (it names
        the instance it goes to, which this process does not hold), and write nothing more
        for it from here. False when Redis did not take it."""
        self.forget_session(state.session_id)
        if state.process_id != self.process_id:
            state = replace(state, process_id=self.process_id)
        try:
            await self.graces.save([(state, "", "")], self.timings.session_ttl_s)
        except ClusterUnavailable:
            return False
        return True

    def forget_session(self, session_id: str) -> None:
        """The session left this process for another: its state is neither written nor
        deleted from here any more."""
        self._writer.forget(session_id)
        self._ended.pop(session_id, None)

    async def resume(self, resume_key: str) -> GraceState | None:
        """The state of the session ``resume_key`` belongs to, if any process kept it
        (None also when Redis is unreachable: the person starts afresh)."""
        try:
            return await self.graces.find(resume_key)
        except ClusterUnavailable:
            return None
        except GraceStateError as exc:
            log.warning("unreadable grace state", extra={"error": str(exc)})
            return None

    async def locate(self, session_id: str) -> str | None:
        """The id of the process that last wrote the session's state."""
        try:
            state = await self.graces.load(session_id)
        except ClusterUnavailable:
            return None
        except GraceStateError as exc:
            log.warning("unreadable grace state", extra={"error": str(exc)})
            return None
        return None if state is None else state.process_id

    # --- the rounds ---------------------------------------------------------------------

    async def _rounds(self) -> None:
        backoff = Backoff(first_s=0.1, cap_s=max(self.timings.round_every_s, 0.2))
        while not self._stopping:
            if self.link.up:
                await asyncio.sleep(self.timings.round_every_s)
            else:
                await asyncio.sleep(backoff.next())
            try:
                await self._round()
                backoff.reset()
            except ClusterUnavailable:
                self.failed_rounds += 1
            except Exception:
                self.failed_rounds += 1
                log.exception("cluster round failed")

    async def _round(self) -> None:
        t = self.timings
        sent = self._clock()
        results = await self.leases.renew(self.book.leases(), t.lease_ttl_s)
        lost = self.book.renewed(results, sent)
        if lost:
            log.warning(
                "room instances taken over by another process",
                extra={"instances": [str(k) for k in lost]},
            )
            self.on_lost(lost)
        view = self.view()
        now = self._clock()
        me = self.process_id
        for state in view.states:
            self._writer.note(
                state if state.process_id == me else replace(state, process_id=me), now
            )
        loads = [
            replace(load, process_id=self.process_id)
            for load in view.loads
            if self.book.held(load.key) is not None
        ]
        self.info = replace(
            self.info,
            clients=view.clients,
            sessions=view.sessions,
            instances=tuple(str(k) for k in self.book.held_keys()),
        )
        await self.registry.beat(self.info, t.process_ttl_s)
        await self.occupancy.publish(self.process_id, loads, t.process_ttl_s)
        self._processes = await self.registry.live()
        others = [p.id for p in self._processes if p.id != self.process_id]
        self._remote = await self.occupancy.read(others)
        await self._write_graces()
        self.rounds += 1
        self._last_round = self._clock()

    async def _write_graces(self) -> None:
        ended, self._ended = self._ended, {}
        try:
            for session_id, digest in ended.items():
                await self.graces.drop(session_id, digest)
        except ClusterUnavailable:
            self._ended = {**ended, **self._ended}
            raise
        due = self._writer.due(self._clock())
        fenced: list[tuple[GraceState, str, str]] = []
        for state in due:
            lease = None if state.key is None else self.book.held(state.key)
            if state.key is not None and lease is None:
                continue  # the room moved on: its new owner writes this session now
            if lease is None:
                fenced.append((state, "", ""))
            else:
                fenced.append((state, self.leases.key(lease.key), lease.token))
        refused = []
        for start in range(0, len(fenced), SAVE_CHUNK):
            try:
                chunk = fenced[start : start + SAVE_CHUNK]
                refused += await self.graces.save(chunk, self.timings.session_ttl_s)
            except ClusterUnavailable:
                self._writer.retry([state for state, _, _ in fenced[start:]])
                raise
            await asyncio.sleep(0)  # let a tick run between chunks
        if refused:
            log.info("grace states refused: lease gone", extra={"sessions": len(refused)})

    def health(self) -> dict[str, Any]:
        """For /healthz: Redis reachability, leases, bus, processes; ``ok`` is False while
        Redis is unreachable (the process still serves its own rooms)."""
        now = self._clock()
        link = self.link.health()
        bus = self.bus.health()
        return {
            "ok": link["redis"] == "ok" and bool(bus["subscribed"]),
            "process": self.process_id,
            **link,
            "leases": len(self.book.held_keys()),
            "leases_unconfirmed": len(self.book.unconfirmed(now)),
            "processes": len(self._processes),
            "last_round_age_s": (
                None if self._last_round is None else round(now - self._last_round, 2)
            ),
            "failed_rounds": self.failed_rounds,
            "graces_pending": len(self._writer),
            "bus": bus,
        }


def _log_lost(keys: Sequence[InstanceKey]) -> None:
    log.warning("no handler for lost room instances", extra={"instances": [str(k) for k in keys]})
