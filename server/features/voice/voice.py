"""The hub feature of voice: who is in voice, whom each of them hears (no I/O).

``VoiceRooms`` is a hub feature (``server/core/hooks.py``). It keeps who turned voice on in
which room instance, with a microphone or listening only, muted by themselves or held by a
facilitator (the moderation's mute covers voice as well as chat), and every few ticks it
works out everyone's hearing set (``server/features/voice/hearing.py``: the nearest speakers of the
same instance, the stage, quiet rooms). What has to happen on the media server it hands to a
``VoicePort`` (``server/features/voice/bridge.py`` in the running hub, a recorder in the tests):
join someone to their instance's voice room, let them leave it (a room change, a removal,
a ban, the end of the session: at once), relay their SDP and ICE, change whom they
receive, hold or release a facilitator-muted speaker. The port tells the feature back
when someone's microphone is being sent (``sending``) or failed.

Moderation does not wait for the next round: a facilitator's mute (``moderated``, called
by the moderation feature in the same step) holds the speaker and takes them out of every
hearing set at once, and someone leaving the room instance (a removal, a ban, a move to a
breakout group, a room change) is taken out of every set as they leave; the listeners who
lose them are told to the port as ``urgent``, so their Janus updates go ahead of routine
ones. Whoever now comes into a set instead follows at the next round.

>>> rooms = VoiceRooms(port, stage_of=lead.on_stage, held=moderation.voice_held)  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Protocol

import numpy as np

from server.base.identity import Role
from server.core.hooks import RoomPositions
from server.core.workshop_context import InstanceKey, key_of
from server.features.voice.hearing import (
    DEFAULT_K,
    DEFAULT_MARGIN_M,
    DEFAULT_RADIUS_M,
    HearingSets,
    Voices,
    hearing_sets,
)
from server.features.voice.messages import (
    VOICE_MESSAGES,
    VoiceIce,
    VoiceMute,
    VoiceOn,
    VoiceQuiet,
    VoiceSdp,
)
from server.features.voice.webrtc_signal import janus_signal
from server.protocol.table import encode

if TYPE_CHECKING:
    from server.core.effects import Effects
    from server.core.room import RoomInstance, Session
    from server.protocol.message_spec import FeatureMessage, FeatureMessages

#: how often the hearing sets are worked out
HEAR_EVERY_S: Final = 0.2


class VoicePort(Protocol):
    """What the voice feature asks of the media server side (all calls return at once)."""

    def available(self) -> bool: ...

    def join(self, session_id: str, room: InstanceKey, gen: int, mic: bool, held: bool) -> None: ...

    def leave(self, session_id: str) -> None: ...

    def signal(self, session_id: str, gen: int, pc: str, payload: dict[str, Any]) -> None: ...

    def hear(self, session_id: str, speakers: frozenset[str], urgent: bool = False) -> None: ...

    def hold(self, session_id: str, held: bool) -> None: ...

    def ice_servers(self) -> list[dict[str, Any]]: ...


@dataclass
class VoiceMember:
    """One person in voice."""

    session_id: str
    room: InstanceKey
    gen: int
    mic: bool
    muted: bool = False
    held: bool = False
    sending: bool = False
    failed: bool = False
    #: still in the media server's room (False once on_leave took them out)
    inside: bool = True

    @property
    def speaking(self) -> bool:
        return self.mic and self.sending and not self.muted and not self.held

    @property
    def state(self) -> str:
        if self.failed:
            return "failed"
        if self.held:
            return "held"
        if not self.mic:
            return "listening"
        if self.muted:
            return "muted"
        return "live" if self.sending else "connecting"


class VoiceRooms:
    """The voice feature (see the module docstring)."""

    def __init__(
        self,
        port: VoicePort | None,
        *,
        stage_of: Callable[[RoomInstance], Collection[str]] = lambda instance: (),
        held: Callable[[Session, float], bool] = lambda session, now: False,
        k: int = DEFAULT_K,
        radius: float = DEFAULT_RADIUS_M,
        margin: float = DEFAULT_MARGIN_M,
    ) -> None:
        self.port = port
        self.stage_of = stage_of
        self.held = held
        self.k, self.radius, self.margin = k, radius, margin
        self.members: dict[str, VoiceMember] = {}
        self.quiet: set[InstanceKey] = set()
        self.sets: HearingSets = {}
        self._gens: dict[str, int] = {}
        self._people: dict[InstanceKey, tuple[Any, ...]] = {}
        self._next_round = float("-inf")
        self._sessions: dict[str, Session] = {}

    @property
    def messages(self) -> FeatureMessages:
        return VOICE_MESSAGES

    # --- what the port tells back -----------------------------------------------------------

    def sending(self, session_id: str, gen: int, on: bool) -> None:
        """The media server receives (or stopped receiving) this person's microphone."""
        member = self.members.get(session_id)
        if member is not None and member.gen == gen:
            member.sending = on
            member.failed = False

    def failed(self, session_id: str, gen: int) -> None:
        member = self.members.get(session_id)
        if member is not None and member.gen == gen:
            member.failed = True
            member.sending = False

    def restart_all(self, fx: Effects) -> None:
        """The media server was lost: everyone in voice is set up again (a new gen)."""
        self.restart(fx, frozenset(self.members))

    def restart(self, fx: Effects, sessions: Collection[str]) -> None:
        """Their media server was lost (or none answered): these people are set up again
        (a new gen) on the one their room goes to."""
        for session_id in [s for s in self.members if s in sessions]:
            session = self._sessions.get(session_id)
            if session is not None and session.instance is not None:
                self._start(session, self.members[session_id].mic, fx, 0.0)

    # --- hooks --------------------------------------------------------------------------------

    def on_join(self, session: Session, fx: Effects, now: float) -> None:
        member = self.members.get(session.id)
        if member is None or session.instance is None:
            return
        self._start(session, member.mic, fx, now)

    def on_leave(self, session: Session, fx: Effects, now: float) -> None:
        member = self.members.get(session.id)
        if member is not None and member.inside and self.port is not None:
            self.port.leave(session.id)
            member.inside = False
            member.sending = False
        self.sets.pop(session.id, None)
        self._out_of_every_set(session.id)

    def moderated(self, identity_id: str, fx: Effects, now: float) -> None:
        """A facilitator muted someone or let them speak again (here or in another process
        of the hub): decided now, in the step that changed it, not at the next round. A
        held speaker is held on the media server at once and is in nobody's set."""
        for session_id, member in list(self.members.items()):
            session = self._sessions.get(session_id)
            if session is None or session.identity.id != identity_id or not member.inside:
                continue
            held = self.held(session, now)
            if held == member.held:
                continue
            member.held = held
            if self.port is not None:
                self.port.hold(session_id, held)
            self._tell_state(session, member, "ready", fx)
            if held:
                self._out_of_every_set(session_id)

    def handle(self, session: Session, message: FeatureMessage, fx: Effects, now: float) -> bool:
        if isinstance(message, VoiceOn):
            self._voice(session, message, fx, now)
        elif isinstance(message, VoiceSdp | VoiceIce):
            member = self.members.get(session.id)
            if member is None:
                fx.error(session.conn, session.lang, "voice_off", about=message.spec.type)
            elif message.gen == member.gen and self.port is not None:
                self.port.signal(session.id, message.gen, message.pc, janus_signal(message))
        elif isinstance(message, VoiceMute):
            member = self.members.get(session.id)
            if member is None:
                fx.error(session.conn, session.lang, "voice_off", about="voice_mute")
            else:
                member.muted = message.on
                self._tell_state(session, member, "ready", fx)
        elif isinstance(message, VoiceQuiet):
            self._quiet(session, message, fx)
        else:
            return False
        return True

    def on_tick(self, now: float, rooms: Sequence[RoomPositions], fx: Effects) -> None:
        if now < self._next_round:
            return
        self._next_round = now + HEAR_EVERY_S
        self._round(now, rooms, fx)

    # --- decisions ----------------------------------------------------------------------------

    def _out_of_every_set(self, speaker: str, *, urgent: bool = True) -> None:
        """Nobody hears ``speaker``'s media any more: the listeners who did are told now.

        Also what keeps the sets true when someone's media is set up again (a resumed
        session, voice turned on again): a listener's set names sessions, and the port
        follows a set only when it changes, so a speaker whose old feed ends must leave
        every set, or a listener whose set is the same before and after (no round fell
        between the new set-up and their new microphone) would stay on the old feed."""
        for listener, speakers in list(self.sets.items()):
            if speaker in speakers:
                self.sets[listener] = speakers - {speaker}
                if self.port is not None:
                    self.port.hear(listener, self.sets[listener], urgent=urgent)

    def _voice(self, session: Session, message: VoiceOn, fx: Effects, now: float) -> None:
        if not message.on:
            if self.members.pop(session.id, None) is not None and self.port is not None:
                self.port.leave(session.id)
            self.sets.pop(session.id, None)
            self._sessions.pop(session.id, None)
            self._out_of_every_set(session.id, urgent=False)
            fx.send_to(session, self._state_frame("off", 0, message.mic, False, False))
            return
        if self.port is None or not self.port.available() or session.instance is None:
            fx.error(session.conn, session.lang, "voice_unavailable", about="voice")
            fx.send_to(session, self._state_frame("unavailable", 0, message.mic, False, False))
            return
        self._start(session, message.mic, fx, now)

    def _start(self, session: Session, mic: bool, fx: Effects, now: float) -> None:
        assert session.instance is not None and self.port is not None
        gen = self._gens.get(session.id, 0) + 1
        self._gens[session.id] = gen
        old = self.members.get(session.id)
        if old is not None and old.inside:
            self.port.leave(session.id)
        if old is not None:  # their old feed ends: whoever heard it follows the new one
            self._out_of_every_set(session.id, urgent=False)
        member = VoiceMember(session.id, key_of(session.instance), gen, mic)
        member.muted = old.muted if old is not None else False
        member.held = self.held(session, now)
        self.members[session.id] = member
        self._sessions[session.id] = session
        self.sets.pop(session.id, None)
        self.port.join(session.id, member.room, gen, mic, member.held)
        self._tell_state(session, member, "connecting", fx)

    def _quiet(self, session: Session, message: VoiceQuiet, fx: Effects) -> None:
        if session.identity.role is Role.VISITOR:
            fx.error(session.conn, session.lang, "not_facilitator", about="voice_quiet")
            return
        if session.instance is None:
            return
        key = key_of(session.instance)
        if message.on:
            self.quiet.add(key)
        else:
            self.quiet.discard(key)
        self._people.pop(key, None)

    def _round(self, now: float, rooms: Sequence[RoomPositions], fx: Effects) -> None:
        ids: list[str] = []
        groups: list[int] = []
        places: list[Any] = []
        speaking: list[bool] = []
        stage: list[bool] = []
        quiet: list[bool] = []
        present: set[str] = set()
        for number, room in enumerate(rooms):
            key = key_of(room.instance)
            members = [(row, s) for row, s in enumerate(room.sessions) if s.id in self.members]
            if not members:
                self._people.pop(key, None)
                continue
            on_stage = set(self.stage_of(room.instance))
            positions = room.positions
            people = []
            for row, session in members:
                member = self.members[session.id]
                present.add(session.id)
                if member.room != key:
                    continue  # moved: on_join sets them up in the new room
                self._sessions[session.id] = session
                held = self.held(session, now)
                if held != member.held:
                    member.held = held
                    if self.port is not None:
                        self.port.hold(session.id, held)
                    self._tell_state(session, member, "ready", fx)
                ids.append(session.id)
                groups.append(number)
                places.append(positions[row])
                speaking.append(member.speaking)
                stage.append(session.id in on_stage)
                quiet.append(key in self.quiet)
                people.append({"session": session.id, "state": member.state})
            summary = (tuple((p["session"], p["state"]) for p in people), key in self.quiet)
            if self._people.get(key) != summary:
                self._people[key] = summary
                frame = encode("voice_people", people=people, quiet=key in self.quiet)
                fx.send(frame, [s.conn for s in room.sessions if s.conn is not None])
        for gone in [sid for sid in self.members if sid not in present]:
            member = self.members.pop(gone)
            self._sessions.pop(gone, None)
            self.sets.pop(gone, None)
            if member.inside and self.port is not None:
                self.port.leave(gone)
        voices = Voices(
            ids=tuple(ids),
            group=np.array(groups, dtype=np.int64),
            pos=np.array(places, dtype=np.float64).reshape(len(ids), 3),
            speaking=np.array(speaking, dtype=bool),
            stage=np.array(stage, dtype=bool),
            quiet=np.array(quiet, dtype=bool),
        )
        new = hearing_sets(voices, self.sets, k=self.k, radius=self.radius, margin=self.margin)
        for listener, speakers in new.items():
            if self.sets.get(listener) != speakers and self.port is not None:
                self.port.hear(listener, speakers)
        self.sets = new

    # --- frames -------------------------------------------------------------------------------

    def _tell_state(self, session: Session, member: VoiceMember, state: str, fx: Effects) -> None:
        fx.send_to(
            session, self._state_frame(state, member.gen, member.mic, member.muted, member.held)
        )

    def _state_frame(self, state: str, gen: int, mic: bool, muted: bool, held: bool) -> bytes:
        ice = self.port.ice_servers() if self.port is not None else []
        return encode("voice_state", state=state, gen=gen, mic=mic, muted=muted, held=held, ice=ice)

    def ready(self, session_id: str, gen: int) -> bytes | None:
        """The frame telling someone their voice room is joined (the port sends it)."""
        member = self.members.get(session_id)
        if member is None or member.gen != gen:
            return None
        return self._state_frame("ready", gen, member.mic, member.muted, member.held)
