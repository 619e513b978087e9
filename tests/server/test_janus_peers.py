"""A voice and a shared screen go onto Janus by the same steps, without Janus.

The ``VoiceBridge`` and the ``ScreenBridge`` on a stand-in link that writes down every
request: each peer puts a token of its own on the room's ``allowed`` list, opens a Janus
session of its own and joins the room as a publisher with a new feed id (a voice named
by its session, a screen by ``pc:screen``); the browser's ICE candidates go to the handle
of the connection they are for (none left: ``completed``); a peer that stops is out of
the handles Janus's events are matched against. Only a voice's join counts in the
bridge's requests.
"""

from __future__ import annotations

import asyncio
from typing import Any

from server.features.voice.bridge import JanusServer, VoiceBridge
from server.features.voice.screen_bridge import ScreenBridge
from server.features.voice.screen_share import Share

ROOM = ("hall", 0)


class RecordingLink:
    """Answers like Janus, numbering sessions and handles from 101; writes down every
    request."""

    closed = False
    hung = False

    def __init__(self) -> None:
        self.log: list[tuple[Any, ...]] = []
        self.last = 100

    async def create_session(self) -> int:
        self.last += 1
        self.log.append(("create", self.last))
        return self.last

    async def attach(self, session: int, plugin: str = "janus.plugin.videoroom") -> int:
        self.last += 1
        self.log.append(("attach", session, self.last))
        return self.last

    async def detach(self, session: int, handle: int) -> None:
        self.log.append(("detach", session, handle))

    async def destroy_session(self, session: int, *, urgent: bool = False) -> None:
        self.log.append(("destroy", session))

    async def message(
        self,
        session: int,
        handle: int,
        body: dict[str, Any],
        jsep: dict[str, Any] | None = None,
        *,
        urgent: bool = False,
    ) -> tuple[dict[str, Any], dict[str, Any] | None]:
        self.log.append(("message", session, handle, body))
        if body.get("ptype") == "publisher":
            return {"private_id": 1000 + handle}, None
        if body.get("ptype") == "subscriber":
            return {"videoroom": "attached", "streams": []}, {"type": "offer", "sdp": "o"}
        return {}, None

    async def trickle(self, session: int, handle: int, candidate: dict[str, Any]) -> None:
        self.log.append(("trickle", session, handle, candidate))

    async def close(self) -> None:
        pass

    def joins(self) -> list[tuple[int, int, dict[str, Any]]]:
        return [
            (entry[1], entry[2], entry[3])
            for entry in self.log
            if entry[0] == "message" and entry[3].get("request") == "join"
        ]


def bridges() -> tuple[VoiceBridge, ScreenBridge, RecordingLink]:
    server = JanusServer("ws://janus.test:8188")
    link = RecordingLink()
    server.link, server.control, server.up = link, (1, 2), True  # type: ignore[assignment]
    voice = VoiceBridge([server], lambda session_id, frame: None)
    return voice, ScreenBridge(voice, lambda session_id, frame: None), link


async def settle() -> None:
    for _ in range(50):
        await asyncio.sleep(0)


async def test_a_voice_and_a_screen_join_the_room_as_publishers_alike() -> None:
    voice, screen, link = bridges()
    voice.join("ada", ROOM, 1, True, False)
    await settle()
    share = Share(ROOM, "screen-1", "ada", 5)
    screen.present(share)
    await settle()
    person, peer = voice.people["ada"], screen.peers[("ada", 5)]
    assert person.token and peer.token and person.token != peer.token
    allowed = [
        entry[3]["allowed"]
        for entry in link.log
        if entry[0] == "message" and entry[3].get("request") == "allowed"
    ]
    assert allowed == [[person.token], [peer.token]]
    room = voice.rooms[ROOM].number
    assert link.joins() == [
        (
            person.janus_session,
            person.publisher,
            {
                "request": "join",
                "ptype": "publisher",
                "room": room,
                "id": person.feed,
                "display": "ada",
                "token": person.token,
            },
        ),
        (
            peer.janus_session,
            peer.publisher,
            {
                "request": "join",
                "ptype": "publisher",
                "room": room,
                "id": peer.feed,
                "display": "present:screen-1",
                "token": peer.token,
            },
        ),
    ]
    assert person.janus_session != peer.janus_session and person.feed != peer.feed
    assert person.private_id == 1000 + (person.publisher or 0)
    assert peer.private_id == 1000 + (peer.publisher or 0)
    # the room's creation, the two tokens and the voice's join; not the screen's join
    assert voice.requests == 4


async def test_ice_candidates_go_to_the_handle_of_their_connection() -> None:
    voice, screen, link = bridges()
    voice.join("ada", ROOM, 1, True, False)
    await settle()
    voice.signal("ada", 1, "send", {"candidate": "c1", "sdpMid": "0", "sdpMLineIndex": 0})
    voice.signal("ada", 1, "receive", {"candidate": "c2", "sdpMid": "0"})  # nothing received
    share = Share(ROOM, "screen-1", "ada", 5)
    screen.present(share)
    await settle()
    screen.signal("ada", share, "present", {"candidate": None})
    await settle()
    person, peer = voice.people["ada"], screen.peers[("ada", 5)]
    assert [entry for entry in link.log if entry[0] == "trickle"] == [
        (
            "trickle",
            person.janus_session,
            person.publisher,
            {"candidate": "c1", "sdpMid": "0", "sdpMLineIndex": 0},
        ),
        ("trickle", peer.janus_session, peer.publisher, {"completed": True}),
    ]


async def test_a_stopped_peer_is_out_of_the_handles_and_its_session_ended() -> None:
    voice, screen, link = bridges()
    voice.join("ada", ROOM, 1, True, False)
    share = Share(ROOM, "screen-1", "ada", 5)
    screen.present(share)
    await settle()
    person, peer = voice.people["ada"], screen.peers[("ada", 5)]
    assert set(voice._handles) == {person.publisher}
    assert set(screen._handles) == {peer.publisher}
    screen.end(share)
    voice.leave("ada")
    await settle()
    assert voice._handles == {} and screen._handles == {}
    ended = {entry[1] for entry in link.log if entry[0] == "destroy"}
    assert ended == {person.janus_session, peer.janus_session}
