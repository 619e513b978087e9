"""The voice feature (server/features/voice/voice.py) in the hub core, without sockets and without
Janus: what it asks of the media server side when people turn voice on, stand near or far, mute,
are muted by a facilitator, change rooms or leave, and what it refuses."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import msgpack
import numpy as np
from realtime_harness import Harness
from realtime_world import box_world

from server.base.settings import Settings
from server.core.hub import HubCore
from server.core.room import Session
from server.core.workshop_context import InstanceKey
from server.features.voice.voice import HEAR_EVERY_S, VoiceRooms
from server.features.voice.webrtc_signal import janus_signal
from server.protocol.table import Bye, Go, decode_client


@dataclass
class RecordingPort:
    """A media server side that writes down what it is asked."""

    up: bool = True
    calls: list[tuple[Any, ...]] = field(default_factory=list)
    heard: dict[str, frozenset[str]] = field(default_factory=dict)
    #: every set told, in order: (listener, speakers)
    told: list[tuple[str, frozenset[str]]] = field(default_factory=list)

    def available(self) -> bool:
        return self.up

    def join(self, session_id: str, room: InstanceKey, gen: int, mic: bool, held: bool) -> None:
        self.calls.append(("join", session_id, room, gen, mic, held))

    def leave(self, session_id: str) -> None:
        self.calls.append(("leave", session_id))

    def signal(self, session_id: str, gen: int, pc: str, payload: dict[str, Any]) -> None:
        self.calls.append(("signal", session_id, gen, pc, payload.get("type")))

    def hear(self, session_id: str, speakers: frozenset[str], urgent: bool = False) -> None:
        self.heard[session_id] = speakers
        self.told.append((session_id, speakers))

    def hold(self, session_id: str, held: bool) -> None:
        self.calls.append(("hold", session_id, held))

    def ice_servers(self) -> list[dict[str, Any]]:
        return []


def msg(**fields: Any) -> Any:
    return decode_client(msgpack.packb(fields))


class Scene:
    def __init__(self) -> None:
        self.port = RecordingPort()
        self.muted_ids: set[str] = set()
        self.voice = VoiceRooms(
            self.port, held=lambda session, now: session.identity.id in self.muted_ids
        )
        self.h = Harness(HubCore(box_world(), Settings(), seed=7, features=[self.voice]))

    def person(self, conn: int, name: str, x: float, z: float) -> str:
        self.h.hello(conn, name)
        session = self.session(conn)
        fx = self.h.core.tick(self.h.now, ())
        self.h.apply(fx)
        self.h.apply(self._place(session, x, z))
        return session.id

    def _place(self, session: Session, x: float, z: float) -> Any:
        from server.core.hub import Effects

        fx = Effects()
        self.h.core.place(session, np.array([x, 0.0, z]), 0.0, "gather", fx)
        return fx

    def session(self, conn: int) -> Session:
        session = self.h.core.session_of(conn)
        assert session is not None
        return session

    def voice_on(self, conn: int, mic: bool = True) -> dict[str, Any]:
        replies = self.h.send(conn, msg(t="voice", on=True, mic=mic))
        states = [r for r in replies if r["t"] == "voice_state"]
        assert states, "no voice_state"
        member = self.voice.members[self.session(conn).id]
        self.voice.sending(member.session_id, member.gen, mic)
        return states[-1]

    def round(self) -> None:
        self.h.tick(HEAR_EVERY_S + 0.01)


def test_the_feature_asks_for_exactly_the_near_speakers_and_follows_mutes_and_moves() -> None:
    s = Scene()
    ada = s.person(1, "Ada", 2, 2)
    bo = s.person(2, "Bo", 4, 2)
    cy = s.person(3, "Cy", 18, 18)
    state = s.voice_on(1)
    assert state["state"] == "connecting" and state["gen"] == 1
    s.voice_on(2)
    s.voice_on(3)
    assert [c[:3] for c in s.port.calls if c[0] == "join"] == [
        ("join", ada, ("foyer", 0)),
        ("join", bo, ("foyer", 0)),
        ("join", cy, ("foyer", 0)),
    ]
    s.round()
    assert s.port.heard[ada] == {bo} and s.port.heard[bo] == {ada}
    assert s.port.heard.get(cy, frozenset()) == frozenset(), "22 m away: nobody"
    people = s.h.take(3, "voice_people")[-1]
    assert {p["session"]: p["state"] for p in people["people"]} == {
        ada: "live",
        bo: "live",
        cy: "live",
    }

    s.h.send(2, msg(t="voice_mute", on=True))
    s.round()
    s.h.take(2)
    assert s.port.heard[ada] == frozenset(), "a muted speaker is in no set"
    s.h.send(2, msg(t="voice_mute", on=False))
    s.round()
    assert s.port.heard[ada] == {bo}

    s.muted_ids.add(s.session(2).identity.id)  # a facilitator's mute
    s.h.take(2)
    s.round()
    assert ("hold", bo, True) in s.port.calls
    assert s.port.heard[ada] == frozenset()
    assert s.h.take(2, "voice_state")[-1]["held"] is True
    s.muted_ids.clear()
    s.round()
    assert ("hold", bo, False) in s.port.calls and s.port.heard[ada] == {bo}

    s.port.calls.clear()
    s.h.send(1, Go("hall"))
    assert s.port.calls[:2] == [("leave", ada), ("join", ada, ("hall", 0), 2, True, False)]
    s.voice.sending(ada, 2, True)
    s.round()
    assert s.port.heard[bo] == frozenset(), "voice does not cross rooms"

    s.port.calls.clear()
    s.h.send(2, Bye())
    assert ("leave", bo) in s.port.calls


def test_a_near_speaker_follows_a_listeners_voice_set_up_again_after_a_drop() -> None:
    """After a network drop the resumed session's voice is set up again: a new gen, a new
    feed on the media server, the old one ended. The near speaker's set names the same
    session before and after, and the port follows a set only when it changes: so the set
    must lose the old feed when it ends, or, when the new microphone arrives before the
    next hearing round (a loaded machine), the near speaker is never told again and stays
    on the ended feed, never hearing the new microphone."""
    s = Scene()
    lena = s.person(1, "Lena", 2, 2)
    nils = s.person(2, "Nils", 4, 2)
    s.voice_on(1)
    s.voice_on(2)
    s.round()
    assert s.port.heard[nils] == {lena} and s.port.heard[lena] == {nils}
    key = s.h.core.sessions[lena].resume_key
    s.h.drop(1)
    s.round()
    s.port.told.clear()
    s.h.hello(3, "Lena", resume=key)
    assert s.voice.members[lena].gen == 2, "the resumed session's voice is set up again"
    assert s.port.told == [(nils, frozenset())], "the old feed ended: out of Nils's set"
    s.voice.sending(lena, 2, True)  # the new microphone, before any round
    s.round()
    assert (nils, frozenset({lena})) in s.port.told, "Nils is told to hear the new feed"
    assert s.port.heard[lena] == {nils}


def test_voice_turned_on_again_or_off_takes_the_old_feed_out_of_every_set() -> None:
    s = Scene()
    ada = s.person(1, "Ada", 2, 2)
    bo = s.person(2, "Bo", 4, 2)
    s.voice_on(1)
    s.voice_on(2)
    s.round()
    s.port.told.clear()
    s.voice_on(2)  # on again (a new gen), the microphone arriving before the next round
    assert s.port.told == [(ada, frozenset())]
    s.round()
    assert (ada, frozenset({bo})) in s.port.told
    s.h.send(2, msg(t="voice", on=False))
    assert s.port.told[-1] == (ada, frozenset()) and s.voice.sets[ada] == frozenset()


def test_signalling_of_an_old_setup_is_dropped_and_nothing_works_without_voice() -> None:
    s = Scene()
    s.person(1, "Ada", 2, 2)
    replies = s.h.send(1, msg(t="voice_sdp", pc="send", gen=1, type="offer", sdp="v=0"))
    assert [r.get("code") for r in replies if r["t"] == "error"] == ["voice_off"]
    s.voice_on(1)
    s.voice_on(1)  # turned on again: a new set-up, gen 2
    s.port.calls.clear()
    s.h.send(1, msg(t="voice_sdp", pc="send", gen=1, type="offer", sdp="v=0"))
    s.h.send(1, msg(t="voice_sdp", pc="send", gen=2, type="offer", sdp="v=0"))
    assert s.port.calls == [("signal", s.session(1).id, 2, "send", "offer")]
    replies = s.h.send(1, msg(t="voice_quiet", on=True))
    assert [r.get("code") for r in replies if r["t"] == "error"] == ["not_facilitator"]


def test_a_browser_signal_reaches_janus_as_janus_takes_it() -> None:
    """Voice and screen sharing hand on an SDP as a jsep and an ICE candidate as a trickle."""
    offer = msg(t="voice_sdp", pc="send", gen=1, type="offer", sdp="v=0")
    assert janus_signal(offer) == {"type": "offer", "sdp": "v=0"}
    for kind, pc in (("voice_ice", "send"), ("share_ice", "present")):
        line = "candidate:1 1 udp 1 10.0.0.1 5000 typ host"
        ice = msg(t=kind, pc=pc, screen="s", gen=1, candidate=line, mid="0", mline=0)
        assert janus_signal(ice) == {"candidate": line, "sdpMid": "0", "sdpMLineIndex": 0}
    done = msg(t="voice_ice", pc="receive", gen=1, candidate=None)
    assert janus_signal(done) == {"candidate": None, "sdpMid": None, "sdpMLineIndex": None}


def test_without_a_media_server_voice_is_refused_clearly() -> None:
    s = Scene()
    s.port.up = False
    s.person(1, "Ada", 2, 2)
    replies = s.h.send(1, msg(t="voice", on=True, mic=True))
    assert [r.get("code") for r in replies if r["t"] == "error"] == ["voice_unavailable"]
    assert [r["state"] for r in replies if r["t"] == "voice_state"] == ["unavailable"]
    assert not [c for c in s.port.calls if c[0] == "join"]
