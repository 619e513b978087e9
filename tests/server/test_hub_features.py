"""Hub features: the core calls their hooks at join, leave, resume and tick, hands them their
messages, and their messages are part of the one protocol table."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import msgpack
import pytest
from realtime_harness import Harness, hello, person
from realtime_world import box_world

from server.app.protocol_features import FEATURE_MESSAGES
from server.base.settings import Settings
from server.core.hooks import RoomPositions
from server.core.hub import Effects, HubCore
from server.core.room import Session
from server.features.talks.messages import PLAYBACK_MESSAGES, Playback
from server.protocol import table as protocol
from server.protocol.message_spec import (
    ErrorSpec,
    FeatureMessage,
    FeatureMessages,
    MessageSpec,
    str_field,
)
from server.protocol.table import Go, decode_client, encode


@dataclass
class Recorder:
    """A feature that writes down every hook call (it borrows the playback messages)."""

    messages: FeatureMessages = PLAYBACK_MESSAGES
    takes: bool = True
    calls: list[tuple[str, str, str | None]] = field(default_factory=list)
    ticks: list[dict[str, int]] = field(default_factory=list)

    def on_join(self, session: Session, fx: Effects, now: float) -> None:
        room = session.instance.room_id if session.instance else None
        self.calls.append(("join", session.identity.name, room))

    def on_leave(self, session: Session, fx: Effects, now: float) -> None:
        room = session.instance.room_id if session.instance else None
        self.calls.append(("leave", session.identity.name, room))

    def handle(self, session: Session, message: FeatureMessage, fx: Effects, now: float) -> bool:
        self.calls.append(("handle", session.identity.name, type(message).__name__))
        if self.takes:
            fx.send_to(session, encode("station_far", station="seen"))
        return self.takes

    def on_tick(self, now: float, rooms: Sequence[RoomPositions], fx: Effects) -> None:
        self.ticks.append({room.room_id: len(room.sessions) for room in rooms})
        for room in rooms:
            assert room.positions.shape == (len(room.sessions), 3)


def harness(*features: object) -> Harness:
    return Harness(HubCore(box_world(), Settings(), seed=7, features=features))  # type: ignore[arg-type]


def command(screen: str = "s") -> Playback:
    message = decode_client(msgpack.packb({"t": "playback", "screen": screen, "action": "play"}))
    assert isinstance(message, Playback)
    return message


def test_hooks_follow_a_session_through_rooms_ticks_and_a_resume() -> None:
    recorder = Recorder()
    h = harness(recorder)
    welcome, _ = h.hello(1, "Ada")
    h.hello(2, "Bo", room="hall")
    h.send(1, Go("hall"))
    h.tick()
    assert recorder.ticks[-1] == {"hall": 2}
    h.drop(1)
    h.tick()
    assert recorder.ticks[-1] == {"hall": 2}, "someone reconnecting is still in the room"
    h.apply(h.core.hello(3, person("Ada"), hello(resume=welcome["resume"]), h.now))
    h.send(3, protocol.Bye())
    assert recorder.calls == [
        ("join", "Ada", "foyer"),
        ("join", "Bo", "hall"),
        ("leave", "Ada", "foyer"),
        ("join", "Ada", "hall"),
        ("join", "Ada", "hall"),  # the resumed connection is told the room's state again
        ("leave", "Ada", "hall"),
    ]


def test_a_feature_message_goes_to_its_feature() -> None:
    recorder = Recorder()
    h = harness(recorder)
    h.hello(1, "Ada")
    (answer,) = h.send(1, command())
    assert answer == {"t": "station_far", "station": "seen"}
    assert recorder.calls[-1] == ("handle", "Ada", "Playback")


def test_a_message_no_feature_takes_is_an_unknown_type() -> None:
    declining = Recorder(takes=False)
    for h in (harness(), harness(declining)):
        h.hello(1, "Ada")
        (error,) = h.send(1, command())
        assert error["t"] == "error" and error["code"] == "unknown_type"
        assert error["about"] == "playback" and 1 not in h.closed


@dataclass(frozen=True, slots=True)
class Wave(FeatureMessage):
    spec = MessageSpec("wave", "client", "Wave at the room.", (str_field("to", "whom"),))
    to: str


def test_the_hub_registers_the_messages_of_its_features() -> None:
    waving = FeatureMessages(
        "waving", client=(Wave,), errors={"too_many_waves": ErrorSpec("Zu viel.", "Too many.")}
    )
    frame = msgpack.packb({"t": "wave", "to": "all"})
    with pytest.raises(protocol.ProtocolError) as refused:
        decode_client(frame)
    assert refused.value.code == "unknown_type"
    recorder = Recorder(messages=waving)
    h = harness(recorder)
    assert decode_client(frame) == Wave(to="all")
    assert protocol.ERRORS["too_many_waves"].en == "Too many."
    assert "too_many_waves" in protocol.SERVER_MESSAGES["error"].fields[0].choices  # type: ignore[operator]
    assert waving in protocol.registered()
    h.hello(1, "Ada")
    h.send(1, Wave(to="all"))
    assert recorder.calls[-1] == ("handle", "Ada", "Wave")


def test_a_feature_whose_names_are_taken_is_refused() -> None:
    copies = [
        FeatureMessages("copy_type", server=(MessageSpec("welcome", "server", "x"),)),
        FeatureMessages("copy_code", errors={"chat_empty": ErrorSpec("x", "x")}),
        FeatureMessages(PLAYBACK_MESSAGES.feature, server=(MessageSpec("new", "server", "x"),)),
    ]
    for copy in copies:
        before = dict(protocol.SERVER_MESSAGES), dict(protocol.ERRORS)
        with pytest.raises(ValueError, match=r"defined twice|registered with other messages"):
            harness(Recorder(messages=copy))
        assert (dict(protocol.SERVER_MESSAGES), dict(protocol.ERRORS)) == before
        assert copy not in protocol.registered()


def test_feature_messages_are_part_of_the_one_table() -> None:
    table = protocol.describe(features=FEATURE_MESSAGES)
    for feature in FEATURE_MESSAGES:
        assert feature in protocol.registered()
        for spec in feature.client_specs():
            assert table["messages"]["client"][spec.type] == spec.describe()
            assert protocol.TYPE_NAMES[protocol.MESSAGE_TYPES[spec.type]] == spec.type
        for spec in feature.server:
            assert table["messages"]["server"][spec.type] == spec.describe()
        for code in feature.errors:
            assert code in table["errors"] and protocol.ERRORS[code].close is None
    error_codes = table["messages"]["server"]["error"]["fields"][0]["choices"]
    assert set(error_codes) == set(table["errors"])


def test_the_protocol_package_imports_no_feature() -> None:
    """The table knows features only by registration (the import contracts say the same)."""
    import ast
    from pathlib import Path

    import server.protocol

    for module in Path(server.protocol.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert not node.module.startswith(("server.features", "server.workshop")), module


def test_a_name_used_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="defined twice"):
        protocol._with_features({"chat": 1}, [("chat", 2)])
