"""A facilitator's mute and a removal take effect at once, without sockets and without
Janus.

- In the hub core with the real workshop features (leading, moderation) and the voice
  feature wired as the running hub wires it (``VoiceService.make``): the step that handles
  the facilitator's ``mute`` (or ``remove``) holds the speaker and takes them out of every
  listener's hearing set, and the listeners' changes are marked urgent, before any tick,
  not at the next hearing round.
- The two lanes of a Janus link (``server/features/voice/janus_lanes.py``): urgent requests go at
once
  however many routine ones wait.
- A ``JanusLink`` over a stand-in WebSocket, and the ``VoiceBridge`` on it: with the
  routine window full and more routine requests waiting, a facilitator's mute reaches the
  wire at once, ahead of all of them.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest
from realtime_harness import Harness
from realtime_world import box_world
from workshop_harness import WorkshopHub, workshop

from server.base.identity import Role
from server.base.settings import Settings
from server.core.hub import Effects, HubCore
from server.core.workshop_context import InstanceKey
from server.domain.workshop_records import WorkshopRecord
from server.domain.workshops import WorkshopBook
from server.features.voice.bridge import JanusServer, Person, VoiceBridge, VoiceRoomState
from server.features.voice.janus_client import JanusLink
from server.features.voice.janus_lanes import RequestLanes
from server.features.voice.service import VoiceService
from server.features.voice.voice import HEAR_EVERY_S
from server.workshop.facilitation import Facilitation
from server.workshop.moderation import Moderation


@dataclass
class OrderedPort:
    """A media server side that writes down, in order, what it is asked."""

    log: list[tuple[Any, ...]] = field(default_factory=list)

    def available(self) -> bool:
        return True

    def join(self, session_id: str, room: InstanceKey, gen: int, mic: bool, held: bool) -> None:
        self.log.append(("join", session_id))

    def leave(self, session_id: str) -> None:
        self.log.append(("leave", session_id))

    def signal(self, session_id: str, gen: int, pc: str, payload: dict[str, Any]) -> None:
        self.log.append(("signal", session_id))

    def hear(self, session_id: str, speakers: frozenset[str], urgent: bool = False) -> None:
        self.log.append(("hear", session_id, speakers, urgent))

    def hold(self, session_id: str, held: bool) -> None:
        self.log.append(("hold", session_id, held))

    def ice_servers(self) -> list[dict[str, Any]]:
        return []


class VoiceWorkshop(WorkshopHub):
    """The workshop hub with voice, wired by ``VoiceService.make`` (voice "off" makes no
    bridge; the recording port stands in for it)."""

    def __init__(self) -> None:
        self.kept: list[WorkshopRecord] = []
        self.book = WorkshopBook((workshop(),))
        self.lead = Facilitation(self.book, sink=self.kept.append, seed=3)
        self.moderation = Moderation(sink=self.kept.append, lead=self.lead)
        service = VoiceService.make(Settings(voice="off"), self.lead, self.moderation)
        self.port = OrderedPort()
        self.voice = service.feature
        self.voice.port = self.port
        core = HubCore(
            box_world(),
            Settings(),
            seed=7,
            features=[self.lead, self.moderation, self.voice],
            rules=[self.moderation, self.lead],
        )
        self.lead.attach(core)
        self.moderation.attach(core)
        Harness.__init__(self, core)

    def place(self, conn: int, x: float, z: float) -> None:
        session = self.core.session_of(conn)
        assert session is not None
        fx = Effects()
        self.core.place(session, np.array([x, 0.0, z]), 0.0, "gather", fx)
        self.apply(fx)

    def speak(self, conn: int) -> str:
        self.do(conn, "voice", on=True, mic=True)
        session = self.session(conn)
        member = self.voice.members[session]
        self.voice.sending(session, member.gen, True)
        return session

    def round(self) -> None:
        self.tick(HEAR_EVERY_S + 0.01)


def three_speaking() -> tuple[VoiceWorkshop, str, str, str]:
    """Mara (conn 1, facilitator) and Ada, Bo, Cy speaking 2 m apart, each hearing the
    other two."""
    hub = VoiceWorkshop()
    hub.enter(1, "Mara", Role.FACILITATOR)
    ada, bo, cy = (hub.enter(conn, name) for conn, name in ((2, "Ada"), (3, "Bo"), (4, "Cy")))
    for conn, x in ((2, 2.0), (3, 4.0), (4, 6.0)):
        hub.place(conn, x, 2.0)
        hub.speak(conn)
    hub.round()
    assert hub.voice.sets[ada] == {bo, cy} and hub.voice.sets[cy] == {ada, bo}
    hub.port.log.clear()
    for conn in range(1, 5):
        hub.take(conn)
    return hub, ada, bo, cy


def test_a_facilitators_mute_holds_the_speaker_and_empties_the_sets_in_the_same_step() -> None:
    hub, ada, bo, cy = three_speaking()
    ticks = hub.core.tick_count
    hub.do(1, "mute", session=bo, on=True, minutes=5)
    assert hub.core.tick_count == ticks, "no tick, no hearing round in between"
    # in the step that handled the mute: held on the media server, out of both sets,
    # the listeners' changes urgent
    assert hub.port.log[0] == ("hold", bo, True)
    assert (
        set(hub.port.log[1:])
        == {
            ("hear", ada, frozenset({cy}), True),
            ("hear", cy, frozenset({ada}), True),
        }
        and len(hub.port.log) == 3
    )
    assert bo not in hub.voice.sets[ada] | hub.voice.sets[cy]
    assert hub.last(3, "voice_state")["held"] is True
    # the round that follows has nothing left to do for it
    hub.port.log.clear()
    hub.round()
    assert [entry for entry in hub.port.log if entry[0] == "hold"] == []
    assert bo not in hub.voice.sets[ada]
    # let again: released at once; heard again from the next round on
    hub.do(1, "mute", session=bo, on=False)
    assert hub.port.log[-1] == ("hold", bo, False)
    assert hub.last(3, "voice_state")["held"] is False
    hub.round()
    assert hub.voice.sets[ada] == {bo, cy}


def test_a_mute_from_another_process_is_held_at_once_too() -> None:
    hub, ada, bo, cy = three_speaking()
    bo_identity = hub.core.sessions[bo].identity.id
    fx = Effects()
    hub.moderation.mute_elsewhere(
        {"identity_id": bo_identity, "until": None, "on": True, "by": "Sven", "by_id": "x"},
        fx,
        hub.now,
    )
    hub.apply(fx)
    assert hub.port.log[0] == ("hold", bo, True)
    assert ("hear", ada, frozenset({cy}), True) in hub.port.log


def test_a_removed_speaker_is_out_of_every_set_in_the_same_step() -> None:
    hub, ada, bo, cy = three_speaking()
    hub.do(1, "remove", session=bo, minutes=1)
    assert hub.where(3)[0] != "workshop"
    assert hub.port.log[0] == ("leave", bo), "Janus is asked to kick first"
    assert ("hear", ada, frozenset({cy}), True) in hub.port.log
    assert ("hear", cy, frozenset({ada}), True) in hub.port.log
    assert bo not in hub.voice.sets[ada] | hub.voice.sets[cy]


def test_a_visitor_cannot_mute_and_nothing_is_held() -> None:
    hub, ada, bo, cy = three_speaking()
    replies = hub.do(2, "mute", session=bo, on=True)
    assert hub.codes(replies) != []
    assert hub.port.log == []
    assert hub.voice.sets[ada] == {bo, cy}


# --- the lanes -----------------------------------------------------------------------------


def test_urgent_requests_go_at_once_and_routine_ones_in_order_within_the_window() -> None:
    lanes = RequestLanes(window=2)
    routine = [lanes.ask() for _ in range(5)]
    assert [t.go for t in routine] == [True, True, False, False, False]
    urgent = lanes.ask(urgent=True)
    assert urgent.go and lanes.waiting == 3, "urgent goes ahead of the three waiting"
    assert lanes.finished(urgent) == [], "an urgent request takes no routine place"
    assert [t.number for t in lanes.finished(routine[1])] == [routine[2].number]
    assert lanes.finished(routine[4]) == [], "given up while waiting: nothing released"
    assert [t.number for t in lanes.finished(routine[0])] == [routine[3].number]
    assert lanes.finished(routine[0]) == [], "finishing twice changes nothing"
    assert lanes.in_flight == 2 and lanes.waiting == 0
    with pytest.raises(ValueError):
        RequestLanes(window=0)


# --- a Janus link over a stand-in WebSocket ---------------------------------------------------


class StandInJanus:
    """Takes the place of Janus's WebSocket: keeps what is sent, answers when told."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self.incoming: asyncio.Queue[str | None] = asyncio.Queue()

    async def send(self, raw: str) -> None:
        self.sent.append(json.loads(raw))

    def answer(self, request: dict[str, Any]) -> None:
        reply = {"janus": "success", "transaction": request["transaction"]}
        if request.get("janus") == "message":
            reply["plugindata"] = {"data": {"videoroom": "success"}}
        self.incoming.put_nowait(json.dumps(reply))

    async def __aiter__(self) -> AsyncIterator[str]:
        while (raw := await self.incoming.get()) is not None:
            yield raw

    async def close(self) -> None:
        self.incoming.put_nowait(None)

    def bodies(self) -> list[Any]:
        return [m.get("body", {}).get("request", m.get("janus")) for m in self.sent]


async def settle() -> None:
    for _ in range(10):
        await asyncio.sleep(0)


async def test_the_link_sends_an_urgent_request_ahead_of_the_waiting_routine_ones() -> None:
    janus = StandInJanus()
    link = JanusLink(janus, window=2)  # type: ignore[arg-type]
    routine = [
        asyncio.create_task(link.message(1, 2, {"request": "update", "n": n})) for n in range(4)
    ]
    await settle()
    assert [m["body"]["n"] for m in janus.sent] == [0, 1], "two in flight, two waiting"
    urgent = asyncio.create_task(link.message(1, 2, {"request": "moderate"}, urgent=True))
    await settle()
    assert janus.bodies() == ["update", "update", "moderate"], "the mute did not wait"
    janus.answer(janus.sent[2])
    await urgent
    assert len(janus.sent) == 3, "the urgent answer frees no routine place"
    janus.answer(janus.sent[0])
    await settle()
    assert [m["body"].get("n") for m in janus.sent] == [0, 1, None, 2]
    for request in janus.sent[1:]:
        if request["body"]["request"] == "update":
            janus.answer(request)
    await settle()
    janus.answer(janus.sent[-1])
    await asyncio.gather(*routine)
    assert [m["body"].get("n") for m in janus.sent] == [0, 1, None, 2, 3]
    await link.close()


async def test_the_bridge_sends_a_mute_to_janus_while_routine_requests_queue() -> None:
    janus = StandInJanus()
    link = JanusLink(janus, window=2)  # type: ignore[arg-type]
    server = JanusServer(url="ws://stand-in", link=link, control=(1, 2), up=True)
    bridge = VoiceBridge([server], lambda session_id, frame: None)
    key = ("workshop", 0)
    bridge.rooms[key] = VoiceRoomState(server, 7, "room-secret")
    bo = Person("bo", key, 1, True, False, server=server, janus_session=5, publisher=6, feed=3)
    bo.audio_mid = "0"
    bo.sending = True
    bridge.people["bo"] = bo
    # a crowd being set up: routine requests fill the window and queue behind it
    churn = [
        asyncio.create_task(link.message(1, 2, {"request": "update", "n": n})) for n in range(6)
    ]
    await settle()
    assert link.lanes.waiting == 4
    bridge.hold("bo", True)
    await settle()
    assert janus.bodies() == ["update", "update", "moderate"]
    moderate = janus.sent[2]["body"]
    assert moderate == {
        "request": "moderate",
        "id": 3,
        "mid": "0",
        "mute": True,
        "room": 7,
        "secret": "room-secret",
    }
    assert link.lanes.waiting == 4, "the routine requests still wait"
    for request in janus.sent:
        janus.answer(request)
    await settle()
    for task in churn:
        task.cancel()
    await link.close()


async def test_a_listener_follows_a_wanted_speakers_feed_as_soon_as_it_is_sent() -> None:
    """A set names a person, not a feed. Told to hear Lena while her (new) feed is not sent
    yet, Nils subscribes to it once Janus says it is up, without waiting for the hub."""
    janus = StandInJanus()
    link = JanusLink(janus)  # type: ignore[arg-type]
    server = JanusServer(url="ws://stand-in", link=link, control=(1, 2), up=True)
    bridge = VoiceBridge([server], lambda session_id, frame: None)
    key = ("foyer", 0)
    bridge.rooms[key] = VoiceRoomState(server, 7, "room-secret")
    nils = Person("nils", key, 1, True, False, server=server, janus_session=5, publisher=6, feed=2)
    nils.private_id, nils.subscriber = 99, 8
    lena = Person("lena", key, 2, True, False, server=server, janus_session=10, publisher=11)
    lena.feed = 3
    bridge.people.update(nils=nils, lena=lena)
    bridge._handles[11] = lena
    nils.task = asyncio.create_task(bridge._work(nils))
    bridge.hear("nils", frozenset({"lena"}))
    await settle()
    assert janus.sent == [], "Lena's feed is not sent yet: nothing to subscribe to"
    bridge._event(11, {"janus": "webrtcup", "sender": 11})
    await settle()
    assert [m["body"] for m in janus.sent] == [{"request": "update", "subscribe": [{"feed": 3}]}]
    nils.task.cancel()
    await link.close()
