"""The open consulting desks across the hub's processes, so that "who advises now" (the
panel, the signs over the corners, GET /api/consulting) is the same whichever process
answers.

Desks, queues and booths live in the process that holds the advisor's session
(``server/features/consulting/realtime.py``). Each process keeps one key,
``<prefix>cluster:consult-desks:<process id>``: its open desks (advisor session and name,
corner, how many wait, whether a conversation runs) and the corners with a conversation
running, as JSON, expiring with the process's heartbeat (``process_ttl_s``). As
``server/features/people/presence.py`` does for people, it is written once per maintenance round
only if it changed, else its expiry is renewed; reading is on demand: this process's desks as
they are now and the other live processes' as last written (one ``MGET``), at most a round
old. A process that stops leaves the registry and its desks drop out at once; one that dies
drops out when its key expires. While Redis is away a process answers with its own desks.

``DeskRelay`` carries a desk's queue across processes (the feature's ``DeskElsewhere``):
the desk stays decided by its advisor's process; visitors served by other processes reach
it over the bus (``server/cluster/bus.py``):

- ``consult:queue`` (hub): a visitor queues (visitor, advisor, name, topic, lang); the
  desk's process decides and tells them their place, every other process lets them go
  from its queues;
- ``consult:leave`` (hub): a visitor leaves the queue they are in (or queued at a desk of
  their own process);
- ``consult:tell`` (the visitor's process): a frame for them (``consult_state``, an error,
  ``consult_ended``);
- ``consult:call`` (the visitor's process): they are called in; that process hands them
  over to the desk's, into the booth at their seat;
- ``consult:gone`` (the desk's process): the visitor called in is not served there (any
  more): the booth ends.

Before a queue request is posted the desk's process is looked up in the desks every
process publishes (a desk nobody has: ``desk_closed`` at once). Every ``CHECK_EVERY_S`` the
desk's process looks up the visitors waiting from elsewhere by their grace state
(``Cluster.locate``): one served by another process now is told there from then on, one
whose session is over (no state, and queued longer than ``SETTLE_S``) leaves the queue. A
visitor queued here whose session left this process is looked up the same way (they may be
on their way to another process and back, as someone sent back from a booth is).
Pub/sub keeps nothing: a request lost while Redis is away is answered by nobody, and the
visitor asks again; nothing of it is stored.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Final

from server.base.redis_link import ClusterUnavailable
from server.cluster.cluster import Cluster
from server.cluster.leases import InstanceKey
from server.cluster.process_texts import ProcessTexts
from server.core.effects import Effects
from server.features.consulting.realtime import ConsultingDesks, Seat

log = logging.getLogger("hubtwin.consulting")

QUEUE_EVENT: Final = "consult:queue"
LEAVE_EVENT: Final = "consult:leave"
TELL_EVENT: Final = "consult:tell"
CALL_EVENT: Final = "consult:call"
GONE_EVENT: Final = "consult:gone"
#: how often the visitors waiting from other processes are looked up
CHECK_EVERY_S: Final = 2.0
#: a visitor queued this recently may have no grace state written yet (a round is 1 s)
SETTLE_S: Final = 5.0

#: hand a session of this process to the process at ``url``, into ``key`` at a pose
#: (``ClusterRealtime.send_over``)
SendOver = Callable[[str, InstanceKey, str, tuple[tuple[float, float, float], float, float]], None]


@dataclass
class DeskView:
    """Open desks (as ``ConsultingDesks.open_desks`` gives them) and corners taken."""

    desks: list[dict[str, Any]] = field(default_factory=list)
    taken: set[str] = field(default_factory=set)


def local_view(desks: ConsultingDesks) -> DeskView:
    return DeskView(desks.open_desks(), set(desks.corners_taken()))


def pack_view(view: DeskView) -> str:
    rows = sorted(view.desks, key=lambda d: d["session"])
    data = {"desks": rows, "taken": sorted(view.taken)}
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def unpack_view(text: str) -> DeskView:
    """A process's desks; entries not of the form are left out."""
    try:
        data = json.loads(text)
    except ValueError:
        return DeskView()
    if not isinstance(data, dict):
        return DeskView()
    desks = [
        d
        for d in data.get("desks", [])
        if isinstance(d, dict)
        and all(isinstance(d.get(k), str) for k in ("session", "name", "corner"))
        and isinstance(d.get("waiting"), int)
        and isinstance(d.get("busy"), bool)
    ]
    taken = {c for c in data.get("taken", []) if isinstance(c, str)}
    return DeskView(desks, taken)


def merge_views(local: DeskView, remote: Iterable[DeskView]) -> DeskView:
    """Every process's desks, ordered by corner then advisor (the same from every
    process); a session listed twice counts once, this process's entry first.

    >>> a = DeskView([{"session": "s1", "corner": "b", "name": "A", "waiting": 0,
    ...     "busy": False}], {"b"})
    >>> b = DeskView([{"session": "s2", "corner": "a", "name": "B", "waiting": 1,
    ...     "busy": False}])
    >>> [d["session"] for d in merge_views(a, [b]).desks], sorted(merge_views(a, [b]).taken)
    (['s2', 's1'], ['b'])
    """
    seen: dict[str, dict[str, Any]] = {d["session"]: d for d in local.desks}
    taken = set(local.taken)
    for view in remote:
        for desk in view.desks:
            seen.setdefault(desk["session"], desk)
        taken |= view.taken
    ordered = sorted(seen.values(), key=lambda d: (d["corner"], d["name"], d["session"]))
    return DeskView(ordered, taken)


class DeskBoard(ProcessTexts):
    """This process's open desks published into Redis, and every process's read back."""

    def __init__(self, cluster: Cluster, desks: ConsultingDesks) -> None:
        super().__init__(cluster, "consult-desks", lambda: pack_view(local_view(desks)))
        self.desks = desks

    async def everywhere(self) -> DeskView:
        """Every live process's open desks (only this process's while Redis is away)."""
        local = local_view(self.desks)
        return merge_views(local, [unpack_view(t) for t in await self.others()])

    async def where(self, advisor: str) -> str | None:
        """The process whose open desk is ``advisor``'s (this one's included), if any."""
        if any(d["session"] == advisor for d in self.desks.open_desks()):
            return self.cluster.process_id
        for process, text in (await self.by_process()).items():
            if any(d["session"] == advisor for d in unpack_view(text).desks):
                return process
        return None


def _strings(payload: Any, *names: str) -> dict[str, str] | None:
    """The payload's fields ``names``, when it is a mapping that has them all as text."""
    if not isinstance(payload, dict) or not all(isinstance(payload.get(n), str) for n in names):
        return None
    return {n: str(payload[n]) for n in names}


class DeskRelay:
    """The consulting feature's ``DeskElsewhere`` over the bus (see the module docstring)."""

    def __init__(
        self,
        cluster: Cluster,
        desks: ConsultingDesks,
        board: DeskBoard,
        apply: Callable[[Effects], None],
        send_over: SendOver,
    ) -> None:
        self.cluster = cluster
        self.desks = desks
        self.board = board
        self.apply = apply
        self.send_over = send_over
        self._tasks: set[asyncio.Task[None]] = set()
        bus = cluster.bus
        bus.on(QUEUE_EVENT, self._queued)
        bus.on(LEAVE_EVENT, self._left)
        bus.on(TELL_EVENT, self._told)
        bus.on(CALL_EVENT, self._called)
        bus.on(GONE_EVENT, self._gone)

    # --- what the feature asks for (DeskElsewhere) --------------------------------------

    def queue(self, request: dict[str, Any]) -> None:
        self._spawn(self._queue(request))

    def leave(self, visitor: str) -> None:
        self.cluster.bus.post(LEAVE_EVENT, {"visitor": visitor})

    def tell(self, visitor: str, process: str, frame: bytes) -> None:
        self.cluster.bus.post(TELL_EVENT, {"session": visitor, "frame": frame}, to=process)

    def call(self, visitor: str, process: str, room: str, instance: int, seat: Seat) -> None:
        self._spawn(self._call(visitor, process, room, instance, seat))

    async def _queue(self, request: dict[str, Any]) -> None:
        process = await self.board.where(str(request["advisor"]))
        fx = Effects()
        if process is None or process == self.cluster.process_id:
            session = self.desks.core.sessions.get(request["visitor"]) if self.desks.core else None
            if session is not None:
                fx.error(session.conn, session.lang, "desk_closed", about="consult_queue")
        else:
            self.desks.queued_elsewhere(self.cluster.process_id, request, fx, time.time())
            self.cluster.bus.post(QUEUE_EVENT, request)
        self.apply(fx)

    async def _call(self, visitor: str, process: str, room: str, instance: int, seat: Seat) -> None:
        located = await self.cluster.locate(visitor)
        position, yaw = seat
        payload = {
            "session": visitor,
            "room": room,
            "instance": instance,
            "position": list(position),
            "yaw": yaw,
            "url": self.cluster.info.ws_url,
        }
        self.cluster.bus.post(CALL_EVENT, payload, to=located or process)

    # --- what the other processes say ---------------------------------------------------

    def _queued(self, sender: str, payload: Any) -> None:
        request = _strings(payload, "visitor", "advisor", "name", "topic", "lang")
        if request is None:
            log.warning("bus: a consult:queue event refused", extra={"from": sender})
            return
        fx = Effects()
        self.desks.queued_elsewhere(sender, request, fx, time.time())
        self.apply(fx)

    def _left(self, sender: str, payload: Any) -> None:
        fields = _strings(payload, "visitor")
        if fields is not None:
            fx = Effects()
            self.desks.left_elsewhere(fields["visitor"], fx)
            self.apply(fx)

    def _told(self, sender: str, payload: Any) -> None:
        fields = _strings(payload, "session")
        frame = payload.get("frame") if isinstance(payload, dict) else None
        core = self.desks.core
        if fields is None or not isinstance(frame, bytes) or core is None:
            return
        session = core.sessions.get(fields["session"])
        if session is not None:
            fx = Effects()
            fx.send_to(session, frame)
            self.apply(fx)

    def _called(self, sender: str, payload: Any) -> None:
        fields = _strings(payload, "session", "room", "url")
        core = self.desks.core
        if fields is None or core is None:
            return
        position, yaw, instance = (
            payload.get("position"),
            payload.get("yaw"),
            payload.get("instance"),
        )
        if (
            not isinstance(instance, int)
            or not isinstance(yaw, float | int)
            or not isinstance(position, list)
            or len(position) != 3
            or not all(isinstance(v, float | int) for v in position)
        ):
            log.warning("bus: a consult:call event refused", extra={"from": sender})
            return
        session = core.sessions.get(fields["session"])
        if session is None or session.instance is None:
            self.cluster.bus.post(GONE_EVENT, {"visitor": fields["session"]}, to=sender)
            return
        x, y, z = (float(v) for v in position)
        pose = ((x, y, z), float(yaw), 0.0)
        self.send_over(session.id, InstanceKey(fields["room"], instance), fields["url"], pose)

    def _gone(self, sender: str, payload: Any) -> None:
        fields = _strings(payload, "visitor")
        if fields is not None:
            fx = Effects()
            self.desks.remote_gone(fields["visitor"], fx, time.time())
            self.apply(fx)

    # --- the visitors waiting from elsewhere ---------------------------------------------

    async def check(self) -> None:
        """Look up every visitor waiting here from another process (see the module
        docstring)."""
        now = time.time()
        for waiting in self.desks.waiting_elsewhere():
            try:
                process = await self.cluster.locate(waiting.session_id)
            except ClusterUnavailable:
                return
            fx = Effects()
            if process is None and now - waiting.settled_since > SETTLE_S:
                self.desks.remote_gone(waiting.session_id, fx, time.time())
            elif process is not None and process != waiting.process:
                here = process == self.cluster.process_id
                self.desks.remote_moved(waiting.session_id, None if here else process, fx)
            self.apply(fx)

    async def run(self) -> None:
        """``check`` every ``CHECK_EVERY_S`` until cancelled."""
        while True:
            await asyncio.sleep(CHECK_EVERY_S)
            try:
                await self.check()
            except Exception:
                log.exception("consulting: the visitors waiting from elsewhere not checked")

    def _spawn(self, coro: Any) -> None:
        task = asyncio.create_task(coro, name="hubtwin-consulting-relay")
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("consulting relay task failed", exc_info=task.exception())
