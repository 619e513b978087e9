"""The voice bridge: the hub's side of the media server (Janus), doing what ``VoiceRooms``
decides.

The hub holds every Janus session and handle; browsers only ever see SDP and ICE, relayed
over the hub's own realtime connection. Per room instance with people in voice there is a
Janus VideoRoom created by the hub at run time with a secret only the hub knows, an
``allowed`` list of tokens (one per person, added when they join and removed when they
leave) and ``require_pvtid`` (a subscription must name a participant of the room). Per
person there is one Janus session with

- a publisher handle: joined to the room (with their token) as soon as voice is on, so
  they are a participant; with a microphone it also carries their audio (``configure``
  with the browser's offer);
- a subscriber handle, made when they are first given someone to hear: one receiving
  PeerConnection with one audio m-line per voice (multistream), changed with ``update``
  (subscribe/unsubscribe) whenever their hearing set changes; Janus then offers again and
  the browser answers (``start``). Updates wait while a renegotiation is under way.

A facilitator's mute is ``moderate`` on the speaker's audio (Janus drops it) as well as
taking the speaker out of every hearing set. Leaving (a room change, removal, ban, the end
of the session, voice off) is a ``kick`` plus taking their token off the room at once.

Everything for one person runs in order in a task of its own (a queue of operations), so
an answer never overtakes the offer it answers. What moderation needs does not wait in
that queue: the ``moderate`` of a mute and the ``kick`` of someone leaving are sent at once
in a task of their own, and they, like the subscription updates that take a listener off
a speaker they may no longer hear (``hear(..., urgent=True)``), go in the Janus link's
urgent lane, ahead of every routine request waiting there
(``server/features/voice/janus_lanes.py``).

Janus servers: the hub's own (supervised, ``server/features/voice/janus_process.py``) or several
given with ``--janus``: a new room goes to the one that answers with the fewest rooms (the first
named on a tie); when one is lost its rooms move to another: the people and shares that
were on it are set up again there (a new ``gen``, the same path as after a restart of the
hub's own Janus), everyone else stays as they are. A lost server is tried again every
second and takes new rooms once it answers. A server that hangs without closing its
WebSocket counts as lost as soon as it leaves a ``ping`` unanswered (``ping_s``,
``ping_timeout_s``: within a few seconds); the hub's own Janus is then ended so its
supervisor starts it again (``on_hung``).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import logging
import secrets
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, Final, TypeVar
from urllib.parse import parse_qs, urlsplit, urlunsplit

from server.core.workshop_context import InstanceKey
from server.features.voice.janus_client import (
    PING_S,
    PING_TIMEOUT_S,
    JanusError,
    JanusGone,
    JanusLink,
)
from server.protocol.table import encode

log = logging.getLogger("hubtwin.voice")

RECONNECT_S: Final = 1.0
MAX_PUBLISHERS: Final = 300
RETRY_HEAR_S: Final = 0.5


@dataclass
class JanusServer:
    """One Janus the hub uses: where, with which secrets; its link when connected."""

    url: str
    api_secret: str | None = None
    admin_url: str | None = None
    admin_secret: str | None = None
    admin_key: str | None = None
    token: str | None = None
    link: JanusLink | None = None
    control: tuple[int, int] | None = None
    up: bool = False
    lost: int = 0
    #: rooms that were on this server when it was lost and were made again elsewhere
    moved_away: int = 0
    #: times it was lost because it left a ping unanswered (hung, not closed)
    hung: int = 0

    @classmethod
    def from_url(cls, url: str) -> JanusServer:
        """``ws://host:port/?secret=API_SECRET&admin_key=KEY``: a Janus run elsewhere."""
        parts = urlsplit(url)
        query = parse_qs(parts.query)
        plain = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
        return cls(
            url=plain,
            api_secret=_first(query, "secret"),
            admin_key=_first(query, "admin_key"),
            token=_first(query, "token"),
        )

    @property
    def name(self) -> str:
        return urlsplit(self.url).netloc


def _first(query: dict[str, list[str]], key: str) -> str | None:
    values = query.get(key)
    return values[0] if values else None


@dataclass
class VoiceRoomState:
    server: JanusServer
    number: int
    secret: str


@dataclass(kw_only=True)
class JanusHandles:
    """What one peer holds on Janus, for voice (``Person``) and a shared screen (``Peer``,
    server/features/voice/screen_bridge.py): its work queue and task, the server, the Janus
    session and handles, the feed it publishes, and its token; with the steps both take on
    it (joining as a publisher is ``VoiceBridge.join_publisher``)."""

    queue: asyncio.Queue[tuple[str, Any]] = field(default_factory=asyncio.Queue)
    task: asyncio.Task[None] | None = None
    server: JanusServer | None = None
    janus_session: int | None = None
    publisher: int | None = None
    subscriber: int | None = None
    feed: int = 0
    private_id: int | None = None
    token: str = ""

    def link(self) -> JanusLink:
        """The link to the peer's Janus (``JanusGone`` when it has none that answers)."""
        server = self.server
        if server is None or server.link is None or not server.up:
            raise JanusGone("no janus")
        return server.link

    async def trickle(self, handle: int | None, payload: dict[str, Any]) -> None:
        """The browser's ICE candidate (no ``candidate``: it has no more) for one of the
        peer's handles (none: dropped)."""
        if handle is None:
            return
        candidate: dict[str, Any]
        if payload.get("candidate") is None:
            candidate = {"completed": True}
        else:
            candidate = {
                key: payload[key]
                for key in ("candidate", "sdpMid", "sdpMLineIndex")
                if payload.get(key) is not None
            }
        assert self.janus_session is not None
        await self.link().trickle(self.janus_session, handle, candidate)

    def forget_handles(self, handles: dict[int, Any]) -> None:
        """Take the peer's handles out of ``handles`` (whose they are, for Janus's events)."""
        for handle in (self.publisher, self.subscriber):
            if handle is not None:
                handles.pop(handle, None)


H = TypeVar("H", bound=JanusHandles)


@dataclass
class Person(JanusHandles):
    """One person's Janus side."""

    session_id: str
    room: InstanceKey
    gen: int
    mic: bool
    held: bool
    audio_mid: str | None = None
    sending: bool = False
    wanted: frozenset[str] = frozenset()
    receiving: dict[str, int] = field(default_factory=dict)  # sub mid -> feed
    negotiating: bool = False
    sub_gen: int = 0
    left: bool = False
    #: the next subscription update takes someone away who may no longer be heard
    urgent: bool = False
    #: mute and unmute go to Janus one after the other, in the order decided
    moderating: asyncio.Lock = field(default_factory=asyncio.Lock)


class VoiceBridge:
    """Does on Janus what the voice feature decides (the ``VoicePort`` of
    ``server/features/voice/voice.py``); ``send(session_id, frame)`` reaches a person's browser,
    ``tell`` lets the feature know (sending, failed, restart everyone)."""

    def __init__(
        self,
        servers: list[JanusServer],
        send: Callable[[str, bytes], None],
        *,
        turn: tuple[str, ...] = (),
        turn_secret: str | None = None,
        stun: tuple[str, ...] = (),
        ping_s: float = PING_S,
        ping_timeout_s: float = PING_TIMEOUT_S,
    ) -> None:
        self.servers = servers
        self.ping_s = ping_s
        self.ping_timeout_s = ping_timeout_s
        self.send = send
        self.turn = turn
        self.turn_secret = turn_secret
        self.stun = stun
        self.people: dict[str, Person] = {}
        self.rooms: dict[InstanceKey, VoiceRoomState] = {}
        self._next_feed = 1
        self._next_room = 1
        self._connecting: dict[int, asyncio.Task[None]] = {}
        self._handles: dict[int, Person] = {}
        #: removals and mutes on their way to Janus (each in a task of its own)
        self._urgent: set[asyncio.Task[None]] = set()
        self.on_sending: Callable[[str, int, bool], None] = lambda sid, gen, on: None
        self.on_failed: Callable[[str, int], None] = lambda sid, gen: None
        #: the people (sessions) and room instances whose Janus was lost (or who found
        #: none) are to be set up again
        self.on_restart: Callable[[frozenset[str], frozenset[InstanceKey]], None] = (
            lambda sessions, rooms: None
        )
        #: rooms that were on a lost server and have no room elsewhere yet (to count moves)
        self._homeless: dict[InstanceKey, JanusServer] = {}
        self._room_locks: dict[InstanceKey, asyncio.Lock] = {}
        self.on_ready: Callable[[str, int], bytes | None] = lambda sid, gen: None
        #: what Janus says about handles that are not voice's (screen sharing's)
        self.on_other_event: Callable[[int, dict[str, Any]], None] = lambda handle, m: None
        #: a server left a ping unanswered (its link is closed and it counts as lost)
        self.on_hung: Callable[[JanusServer], None] = lambda server: None
        self.requests = 0
        self.renegotiations = 0
        self.closed = False

    # --- servers ------------------------------------------------------------------------------

    def available(self) -> bool:
        return any(server.up for server in self.servers)

    async def connect_all(self) -> None:
        await asyncio.gather(*(self.connect(server) for server in self.servers))

    async def connect(self, server: JanusServer) -> None:
        """(Re)connect to one Janus: a link, the hub's token where the admin API is ours,
        a control handle for room management."""
        if server.link is not None and not server.link.closed:
            with contextlib.suppress(Exception):
                await server.link.close()
        server.up = False
        try:
            if server.admin_url is not None and server.token is not None:
                admin = await JanusLink.open(
                    server.admin_url, admin=True, admin_secret=server.admin_secret
                )
                try:
                    await admin.request(
                        {
                            "janus": "add_token",
                            "token": server.token,
                            "plugins": ["janus.plugin.videoroom"],
                        }
                    )
                finally:
                    await admin.close()
            link = await JanusLink.open(
                server.url,
                api_secret=server.api_secret,
                token=server.token,
                ping_s=self.ping_s,
                ping_timeout_s=self.ping_timeout_s,
            )
            session = await link.create_session()
            handle = await link.attach(session)
        except (OSError, JanusError, JanusGone, TimeoutError) as exc:
            log.warning("janus not reachable", extra={"janus": server.name, "error": str(exc)})
            self._retry(server)
            return
        server.link, server.control, server.up = link, (session, handle), True
        link.on_event = self._event
        link.on_closed = lambda: self._lost(server, hung=link.hung)
        log.info("janus connected", extra={"janus": server.name})
        waiting = [person for person in self.people.values() if person.server is None]
        if waiting:
            self.on_restart(
                frozenset(person.session_id for person in waiting),
                frozenset(person.room for person in waiting),
            )

    def _retry(self, server: JanusServer) -> None:
        if self.closed or server.admin_url is not None:
            return  # the hub's own Janus: the supervisor says when it is back

        async def again() -> None:
            await asyncio.sleep(RECONNECT_S)
            await self.connect(server)

        key = id(server)
        task = self._connecting.get(key)
        if task is None or task.done():
            self._connecting[key] = asyncio.create_task(again())

    def _lost(self, server: JanusServer, *, hung: bool = False) -> None:
        """A Janus went away (or hangs): its rooms are gone; everyone who was on it is set
        up again (the feature gives them a new gen) on a server that answers."""
        if not server.up:
            return
        server.up = False
        server.lost += 1
        if hung:
            server.hung += 1
            self.on_hung(server)
        rooms = frozenset(k for k, room in self.rooms.items() if room.server is server)
        log.warning("janus lost", extra={"janus": server.name, "rooms": len(rooms)})
        for key in rooms:
            del self.rooms[key]
            self._homeless[key] = server
        moved: set[str] = set()
        for person in self.people.values():
            if person.server is server or person.room in rooms:
                moved.add(person.session_id)
                person.server = None
                person.janus_session = person.publisher = person.subscriber = None
        if not self.closed:
            self.on_restart(frozenset(moved), rooms)
            self._retry(server)

    def _pick(self) -> JanusServer | None:
        """The server for a new room: of those that answer, the one with the fewest rooms
        (the first named on a tie)."""
        up = [server for server in self.servers if server.up]
        if not up:
            return None
        load = {id(server): 0 for server in up}
        for room in self.rooms.values():
            if id(room.server) in load:
                load[id(room.server)] += 1
        return min(up, key=lambda server: load[id(server)])

    def rooms_on(self, server: JanusServer) -> int:
        return sum(1 for room in self.rooms.values() if room.server is server)

    def ice_servers(self) -> list[dict[str, Any]]:
        """STUN and TURN for the browser; TURN with the TURN REST API's time-limited
        username and HMAC credential (coturn ``use-auth-secret``)."""
        out: list[dict[str, Any]] = []
        if self.stun:
            out.append({"urls": list(self.stun)})
        if self.turn and self.turn_secret:
            username = f"{int(time.time()) + 12 * 3600}:hubtwin"
            digest = hmac.new(self.turn_secret.encode(), username.encode(), hashlib.sha1)
            credential = base64.b64encode(digest.digest()).decode()
            out.append({"urls": list(self.turn), "username": username, "credential": credential})
        return out

    # --- the VoicePort ------------------------------------------------------------------------

    def join(self, session_id: str, room: InstanceKey, gen: int, mic: bool, held: bool) -> None:
        self._stop(session_id)
        person = Person(session_id, room, gen, mic, held)
        self.people[session_id] = person
        person.task = asyncio.create_task(self._work(person), name=f"voice-{session_id}")
        person.queue.put_nowait(("join", None))

    def leave(self, session_id: str) -> None:
        self._stop(session_id)

    def signal(self, session_id: str, gen: int, pc: str, payload: dict[str, Any]) -> None:
        person = self.people.get(session_id)
        if person is not None and person.gen == gen:
            person.queue.put_nowait(("signal", (pc, payload)))

    def hear(self, session_id: str, speakers: frozenset[str], urgent: bool = False) -> None:
        person = self.people.get(session_id)
        if person is not None:
            person.wanted = speakers
            person.urgent = person.urgent or urgent
            person.queue.put_nowait(("hear", None))

    def hold(self, session_id: str, held: bool) -> None:
        """A facilitator's mute (or its end): to Janus at once, not behind the person's
        queue."""
        person = self.people.get(session_id)
        if person is not None:
            person.held = held
            self._at_once(self._moderate(person))

    def _at_once(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._urgent.add(task)
        task.add_done_callback(self._urgent.discard)

    def _stop(self, session_id: str) -> None:
        person = self.people.pop(session_id, None)
        if person is None:
            return
        person.left = True
        if person.task is not None:
            person.task.cancel()
        self._at_once(self._tear_down(person))

    # --- one person's operations, in order ---------------------------------------------------

    async def _work(self, person: Person) -> None:
        while True:
            op, arg = await person.queue.get()
            try:
                if op == "join":
                    await self._join(person)
                elif person.janus_session is None:
                    continue
                elif op == "signal":
                    await self._signal(person, *arg)
                elif op == "hear":
                    await self._reconcile(person)
                elif op == "event":
                    await self._on_event(person, *arg)
            except asyncio.CancelledError:
                raise
            except (JanusError, JanusGone, TimeoutError) as exc:
                log.warning(
                    "voice operation failed",
                    extra={"op": op, "session": person.session_id, "error": str(exc)},
                )
                if op in ("join", "signal"):
                    self.on_failed(person.session_id, person.gen)
                elif op == "hear":  # refused, or not answered in time: tried again
                    self._later(person, RETRY_HEAR_S)
            except Exception:
                log.exception("voice operation failed", extra={"op": op})

    def _later(self, person: Person, delay: float) -> None:
        """Try the subscription again a little later (a speaker's feed may have gone
        between the decision and the request)."""

        def again() -> None:
            if not person.left:
                person.queue.put_nowait(("hear", None))

        asyncio.get_running_loop().call_later(delay, again)

    async def _room(self, key: InstanceKey) -> VoiceRoomState:
        # one at a time per room instance: whoever comes while the room is being made
        # (several people set up again at once after a lost server) waits for it
        lock = self._room_locks.setdefault(key, asyncio.Lock())
        async with lock:
            return await self._made_room(key)

    async def _made_room(self, key: InstanceKey) -> VoiceRoomState:
        room = self.rooms.get(key)
        if room is not None and room.server.up:
            return room
        server = self._pick()
        if server is None or server.link is None or server.control is None:
            raise JanusGone("no janus answers")
        number = self._next_room
        self._next_room += 1
        room = VoiceRoomState(server, number, secrets.token_urlsafe(18))
        body: dict[str, Any] = {
            "request": "create",
            "room": number,
            "description": f"{key[0]} {key[1]}",
            "secret": room.secret,
            "is_private": True,
            "allowed": [],
            "require_pvtid": True,
            "publishers": MAX_PUBLISHERS,
            "audiocodec": "opus",
            "videocodec": "vp8",
            "audiolevel_ext": True,
            "notify_joining": False,
        }
        if server.admin_key:
            body["admin_key"] = server.admin_key
        self.requests += 1
        await server.link.message(*server.control, body)
        if not server.up:
            raise JanusGone("janus lost while the room was made")
        self.rooms[key] = room
        was = self._homeless.pop(key, None)
        if was is not None and was is not server:
            was.moved_away += 1
            log.info("voice room moved", extra={"from": was.name, "to": server.name})
        return room

    async def join_publisher(
        self,
        peer: H,
        key: InstanceKey,
        display: str,
        handles: dict[int, H],
        *,
        counted: bool = False,
    ) -> VoiceRoomState:
        """Into the Janus room of a room instance (made when first needed) as a publisher,
        for a voice and for a shared screen (``server/features/voice/screen_bridge.py``): a
        new token on the room's ``allowed`` list, a Janus session of the peer's own, a
        publisher handle (in ``handles`` from then on) joined with a new feed id; that makes
        the peer a participant with a private id. ``counted``: the join counts in
        ``requests``."""
        room = await self._room(key)
        peer.server = room.server
        link = peer.link()
        peer.token = secrets.token_urlsafe(18)
        peer.feed = self.new_feed()
        await self._admin(room, {"request": "allowed", "action": "add", "allowed": [peer.token]})
        peer.janus_session = await link.create_session()
        peer.publisher = await link.attach(peer.janus_session)
        handles[peer.publisher] = peer
        if counted:
            self.requests += 1
        data, _ = await link.message(
            peer.janus_session,
            peer.publisher,
            {
                "request": "join",
                "ptype": "publisher",
                "room": room.number,
                "id": peer.feed,
                "display": display,
                "token": peer.token,
            },
        )
        peer.private_id = data.get("private_id")
        return room

    async def admin(self, room: VoiceRoomState, body: dict[str, Any]) -> None:
        """A room management request with the room's secret (failures are ignored)."""
        await self._admin(room, body)

    def new_feed(self) -> int:
        """A feed id no one in any of the hub's Janus rooms has."""
        feed = self._next_feed
        self._next_feed += 1
        return feed

    async def _admin(
        self, room: VoiceRoomState, body: dict[str, Any], *, urgent: bool = False
    ) -> None:
        server = room.server
        if server.link is None or server.control is None or not server.up:
            return
        self.requests += 1
        try:
            await server.link.message(
                *server.control, {**body, "room": room.number, "secret": room.secret}, urgent=urgent
            )
        except (JanusError, JanusGone, TimeoutError) as exc:
            log.warning(
                "janus room request failed",
                extra={"request": body.get("request"), "error": str(exc)},
            )

    async def _join(self, person: Person) -> None:
        await self.join_publisher(
            person, person.room, person.session_id, self._handles, counted=True
        )
        frame = self.on_ready(person.session_id, person.gen)
        if frame is not None:
            self.send(person.session_id, frame)
        if person.wanted:
            await self._reconcile(person)

    async def _signal(self, person: Person, pc: str, payload: dict[str, Any]) -> None:
        link = person.link()
        assert person.janus_session is not None
        if "sdp" in payload:
            if pc == "send" and payload["type"] == "offer" and person.mic:
                assert person.publisher is not None
                self.requests += 1
                data, jsep = await link.message(
                    person.janus_session,
                    person.publisher,
                    {"request": "configure", "audio": True, "video": False},
                    jsep={"type": "offer", "sdp": payload["sdp"]},
                )
                for stream in data.get("streams") or []:
                    if stream.get("type") == "audio":
                        person.audio_mid = str(stream.get("mid"))
                if jsep is not None:
                    self.send(
                        person.session_id,
                        encode(
                            "voice_sdp", pc="send", gen=person.gen, type="answer", sdp=jsep["sdp"]
                        ),
                    )
                if person.held:
                    await self._moderate(person)
                # sending once Janus says the connection is up ("webrtcup"): only then can
                # anyone subscribe to the feed
            elif pc == "receive" and payload["type"] == "answer" and person.subscriber is not None:
                self.requests += 1
                await link.message(
                    person.janus_session,
                    person.subscriber,
                    {"request": "start"},
                    jsep={"type": "answer", "sdp": payload["sdp"]},
                )
                person.negotiating = False
                await self._reconcile(person)
            return
        await person.trickle(person.publisher if pc == "send" else person.subscriber, payload)

    def _feeds(self, person: Person) -> dict[str, int]:
        """The speakers this person is to receive, by session, as feeds: only people who
        send, in the same Janus room."""
        out: dict[str, int] = {}
        for speaker in person.wanted:
            other = self.people.get(speaker)
            if (
                other is not None
                and other.sending
                and other.room == person.room
                and other.server is person.server
                and not other.held
            ):
                out[speaker] = other.feed
        return out

    async def _reconcile(self, person: Person) -> None:
        """Bring the subscription to the wanted feeds (unless a renegotiation is under way:
        then its answer calls this again)."""
        if person.negotiating or person.private_id is None:
            return
        link = person.link()
        assert person.janus_session is not None
        room = self.rooms.get(person.room)
        if room is None:
            return
        wanted = set(self._feeds(person).values())
        have = set(person.receiving.values())
        if wanted == have:
            person.urgent = False
            return
        # taking away a voice that may no longer be heard (a mute, a removal) goes first
        urgent, person.urgent = person.urgent and bool(have - wanted), False
        self.requests += 1
        if person.subscriber is None:
            if not wanted:
                return
            handle = await link.attach(person.janus_session)
            try:
                data, jsep = await link.message(
                    person.janus_session,
                    handle,
                    {
                        "request": "join",
                        "ptype": "subscriber",
                        "room": room.number,
                        "private_id": person.private_id,
                        "streams": [{"feed": feed} for feed in sorted(wanted)],
                    },
                )
            except JanusError:
                await link.detach(person.janus_session, handle)
                raise
            person.subscriber = handle
            self._handles[handle] = person
            person.sub_gen += 1
        else:
            body: dict[str, Any] = {"request": "update"}
            if wanted - have:
                body["subscribe"] = [{"feed": feed} for feed in sorted(wanted - have)]
            if have - wanted:
                body["unsubscribe"] = [{"feed": feed} for feed in sorted(have - wanted)]
            data, jsep = await link.message(
                person.janus_session, person.subscriber, body, urgent=urgent
            )
        self._offer(person, data, jsep)

    def _offer(self, person: Person, data: dict[str, Any], jsep: dict[str, Any] | None) -> None:
        streams = data.get("streams")
        if isinstance(streams, list):
            person.receiving = {
                str(s["mid"]): int(s["feed_id"])
                for s in streams
                if s.get("type") == "audio" and s.get("active", True) and "feed_id" in s
            }
            by_feed = {p.feed: sid for sid, p in self.people.items() if p.room == person.room}
            self.send(
                person.session_id,
                encode(
                    "voice_streams",
                    gen=person.gen,
                    streams=[
                        {"mid": mid, "session": by_feed[feed]}
                        for mid, feed in person.receiving.items()
                        if feed in by_feed
                    ],
                ),
            )
        if jsep is not None and jsep.get("type") == "offer":
            person.negotiating = True
            self.renegotiations += 1
            self.send(
                person.session_id,
                encode("voice_sdp", pc="receive", gen=person.gen, type="offer", sdp=jsep["sdp"]),
            )

    async def _moderate(self, person: Person) -> None:
        """Janus drops (or forwards again) the person's audio: ``moderate`` on their audio
        stream, urgent; one at a time per person, each sending what is decided by then."""
        async with person.moderating:
            room = self.rooms.get(person.room)
            if room is None or person.audio_mid is None or person.left:
                return
            await self._admin(
                room,
                {
                    "request": "moderate",
                    "id": person.feed,
                    "mid": person.audio_mid,
                    "mute": person.held,
                },
                urgent=True,
            )
        if person.held:
            for other in list(self.people.values()):
                if person.feed in other.receiving.values():
                    other.urgent = True
                    other.queue.put_nowait(("hear", None))

    # --- what Janus says unasked --------------------------------------------------------------

    def _event(self, handle: int, message: dict[str, Any]) -> None:
        person = self._handles.get(handle)
        if person is None:
            self.on_other_event(handle, message)
            return
        if person.left:
            return
        kind = message.get("janus")
        if kind == "webrtcup" and handle == person.publisher and person.mic:
            person.sending = True
            self.on_sending(person.session_id, person.gen, True)
            # whoever is to hear this person follows their (new) feed now, whatever the
            # hub's sets say meanwhile: a set names the person, not the feed
            for other in self.people.values():
                if other is not person and person.session_id in other.wanted:
                    other.queue.put_nowait(("hear", None))
            return
        if kind == "hangup" and handle == person.publisher:
            person.sending = False
            self.on_sending(person.session_id, person.gen, False)
            return
        if kind == "event" and handle == person.subscriber:
            data = (message.get("plugindata") or {}).get("data") or {}
            person.queue.put_nowait(("event", (data, message.get("jsep"))))

    async def _on_event(
        self, person: Person, data: dict[str, Any], jsep: dict[str, Any] | None
    ) -> None:
        if data.get("videoroom") in ("updated", "attached") or jsep is not None:
            self._offer(person, data, jsep)

    async def _tear_down(self, person: Person) -> None:
        """Out of Janus at once: kicked from the room, the token dropped, the Janus session
        ended."""
        server = person.server
        person.forget_handles(self._handles)
        if server is None or server.link is None or not server.up:
            return
        link = server.link
        room = self.rooms.get(person.room)
        # the kick cuts their media (Janus stops forwarding their audio and to them) and
        # goes on the wire first, with no answer awaited before it; the token's removal
        # (no joining again) goes with it
        cuts = []
        if room is not None and person.private_id is not None:
            cuts.append(self._admin(room, {"request": "kick", "id": person.feed}, urgent=True))
        if room is not None and person.token:
            cuts.append(
                self._admin(
                    room,
                    {"request": "allowed", "action": "remove", "allowed": [person.token]},
                    urgent=True,
                )
            )
        try:
            await asyncio.gather(*cuts)
            if person.janus_session is not None:  # ends what they receive too
                await link.destroy_session(person.janus_session, urgent=True)
        except (JanusError, JanusGone, TimeoutError):
            pass
        for other in self.people.values():
            if person.feed in other.receiving.values():
                other.urgent = True
                other.queue.put_nowait(("hear", None))

    # --- health ------------------------------------------------------------------------------

    def health(self) -> dict[str, Any]:
        return {
            "servers": [
                {
                    "url": server.name,
                    "up": server.up,
                    "lost": server.lost,
                    "rooms": self.rooms_on(server),
                    "moved_away": server.moved_away,
                    "hung": server.hung,
                }
                for server in self.servers
            ],
            "people": len(self.people),
            "sending": sum(1 for p in self.people.values() if p.sending),
            "rooms": len(self.rooms),
        }

    async def close(self) -> None:
        self.closed = True
        for session_id in list(self.people):
            self._stop(session_id)
        for task in self._connecting.values():
            task.cancel()
        for server in self.servers:
            if server.link is not None:
                with contextlib.suppress(Exception):
                    await server.link.close()
