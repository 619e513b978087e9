"""The screen bridge: shared screens on the media server (Janus), as ``ScreenSharing``
decides (the ``SharePort`` of ``server/features/voice/screen_realtime.py``).

Shared screens go into the same Janus VideoRoom as the room instance's voices (made by
the voice bridge, ``server/features/voice/bridge.py``, with its secret, token list and
``require_pvtid``). Each connection here is a ``Peer`` with a Janus session of its own
and a token of its own on the room's ``allowed`` list:

- the presenter's: a publisher handle joined with a feed id the hub chose, configured
  with the browser's ``present`` offer (video only); when Janus says the connection is up
  ("webrtcup") the share is live and the room may watch it;
- a viewer's: a publisher handle joined without media (that makes them a participant,
  whose private id the subscription must name) and a subscriber handle joined to exactly
  the share's feed; Janus's offer goes to the browser, its answer back (``start``).

The browser never learns a feed id and has no message to name one: what it receives is
what the hub subscribed it to. Ending a share (or a viewer stopping) is ``kick`` plus
taking the token off the room plus ending the Janus session, at once. Every peer's
operations run in order in a task of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from server.features.voice.bridge import JanusHandles, VoiceBridge
from server.features.voice.janus_client import JanusError, JanusGone
from server.features.voice.screen_share import Share
from server.protocol.table import encode

log = logging.getLogger("hubtwin.share")


@dataclass
class Peer(JanusHandles):
    """One share connection: a presenter's or a viewer's."""

    session_id: str
    share: Share
    pc: str
    left: bool = False


class ScreenBridge:
    """Does on Janus what the sharing feature decides (see the module docstring);
    ``send(session_id, frame)`` reaches a person's browser."""

    def __init__(self, voice: VoiceBridge, send: Callable[[str, bytes], None]) -> None:
        self.voice = voice
        self.send = send
        self.peers: dict[tuple[str, int], Peer] = {}
        #: the presenter's feed of each live share (by gen)
        self.feeds: dict[int, int] = {}
        self._handles: dict[int, Peer] = {}
        self._tearing: set[asyncio.Task[None]] = set()
        self.on_live: Callable[[Share], None] = lambda share: None
        self.on_broken: Callable[[Share], None] = lambda share: None
        voice.on_other_event = self._event

    # --- the SharePort ------------------------------------------------------------------------

    def available(self) -> bool:
        return self.voice.available()

    def present(self, share: Share) -> None:
        self._open(Peer(share.presenter, share, "present"))

    def view(self, session_id: str, share: Share) -> None:
        self._open(Peer(session_id, share, "view"))

    def unview(self, session_id: str, share: Share) -> None:
        self._stop((session_id, share.gen))

    def signal(self, session_id: str, share: Share, pc: str, payload: dict[str, Any]) -> None:
        peer = self.peers.get((session_id, share.gen))
        if peer is not None and peer.pc == pc:
            peer.queue.put_nowait(("signal", payload))

    def end(self, share: Share) -> None:
        self.feeds.pop(share.gen, None)
        for key in [key for key in self.peers if key[1] == share.gen]:
            self._stop(key)

    # --- peers --------------------------------------------------------------------------------

    def _open(self, peer: Peer) -> None:
        key = (peer.session_id, peer.share.gen)
        self._stop(key)
        self.peers[key] = peer
        peer.task = asyncio.create_task(self._work(peer), name=f"share-{peer.session_id}")
        peer.queue.put_nowait(("join", None))

    def _stop(self, key: tuple[str, int]) -> None:
        peer = self.peers.pop(key, None)
        if peer is None:
            return
        peer.left = True
        if peer.task is not None:
            peer.task.cancel()
        task = asyncio.create_task(self._tear_down(peer))
        self._tearing.add(task)
        task.add_done_callback(self._tearing.discard)

    async def _work(self, peer: Peer) -> None:
        while True:
            op, arg = await peer.queue.get()
            try:
                if op == "join":
                    await self._join(peer)
                elif op == "signal" and peer.janus_session is not None:
                    await self._signal(peer, arg)
            except asyncio.CancelledError:
                raise
            except (JanusError, JanusGone, TimeoutError) as exc:
                log.warning(
                    "share operation failed",
                    extra={"op": op, "session": peer.session_id, "error": str(exc)},
                )
                if peer.pc == "present":
                    self.on_broken(peer.share)
            except Exception:
                log.exception("share operation failed", extra={"op": op})

    async def _join(self, peer: Peer) -> None:
        room = await self.voice.join_publisher(
            peer, peer.share.room, f"{peer.pc}:{peer.share.screen}", self._handles
        )
        if peer.pc != "view":
            return
        feed = self.feeds.get(peer.share.gen)
        if feed is None:
            raise JanusError(428, "the share is not live")
        assert peer.janus_session is not None
        link = peer.link()
        handle = await link.attach(peer.janus_session)
        peer.subscriber = handle
        self._handles[handle] = peer
        _, jsep = await link.message(
            peer.janus_session,
            handle,
            {
                "request": "join",
                "ptype": "subscriber",
                "room": room.number,
                "private_id": peer.private_id,
                "streams": [{"feed": feed}],
            },
        )
        if jsep is not None and jsep.get("type") == "offer":
            self._sdp(peer, "offer", jsep["sdp"])

    async def _signal(self, peer: Peer, payload: dict[str, Any]) -> None:
        link = peer.link()
        assert peer.janus_session is not None
        if "sdp" in payload:
            if peer.pc == "present" and payload["type"] == "offer" and peer.publisher:
                _, jsep = await link.message(
                    peer.janus_session,
                    peer.publisher,
                    {"request": "configure", "audio": False, "video": True},
                    jsep={"type": "offer", "sdp": payload["sdp"]},
                )
                if jsep is not None:
                    self._sdp(peer, "answer", jsep["sdp"])
            elif peer.pc == "view" and payload["type"] == "answer" and peer.subscriber:
                await link.message(
                    peer.janus_session,
                    peer.subscriber,
                    {"request": "start"},
                    jsep={"type": "answer", "sdp": payload["sdp"]},
                )
            return
        await peer.trickle(peer.publisher if peer.pc == "present" else peer.subscriber, payload)

    def _sdp(self, peer: Peer, kind: str, sdp: str) -> None:
        share = peer.share
        frame = encode(
            "share_sdp", pc=peer.pc, screen=share.screen, gen=share.gen, type=kind, sdp=sdp
        )
        self.send(peer.session_id, frame)

    # --- what Janus says unasked --------------------------------------------------------------

    def _event(self, handle: int, message: dict[str, Any]) -> None:
        peer = self._handles.get(handle)
        if peer is None or peer.left or peer.pc != "present" or handle != peer.publisher:
            return
        kind = message.get("janus")
        if kind == "webrtcup":
            self.feeds[peer.share.gen] = peer.feed
            self.on_live(peer.share)
        elif kind == "hangup":
            self.on_broken(peer.share)

    async def _tear_down(self, peer: Peer) -> None:
        peer.forget_handles(self._handles)
        server = peer.server
        if server is None or server.link is None or not server.up:
            return
        room = self.voice.rooms.get(peer.share.room)
        with contextlib.suppress(JanusError, JanusGone, TimeoutError):
            if room is not None and peer.token:
                await self.voice.admin(
                    room, {"request": "allowed", "action": "remove", "allowed": [peer.token]}
                )
            if room is not None and peer.private_id is not None:
                await self.voice.admin(room, {"request": "kick", "id": peer.feed})
            if peer.janus_session is not None:
                await server.link.destroy_session(peer.janus_session)

    def health(self) -> dict[str, Any]:
        return {
            "shares": len(self.feeds),
            "viewers": sum(1 for peer in self.peers.values() if peer.pc == "view"),
        }

    async def close(self) -> None:
        for key in list(self.peers):
            self._stop(key)
