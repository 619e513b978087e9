"""The protocol table and codec: every valid message decodes, every bad frame gets its code."""

from __future__ import annotations

import dataclasses
import json
import math
import struct

import msgpack
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.app.protocol_doc import BEGIN, DOC_PATH, END, render, splice
from server.app.protocol_features import FEATURE_MESSAGES
from server.protocol import table as protocol
from server.protocol.table import ProtocolError, decode_client

HELLO = {
    "t": "hello",
    "v": 1,
    "token": "abc.def",
    "lang": "de",
    "appearance": {"color": "#12abEF", "shape": "capsule"},
}


def pack(message: object) -> bytes:
    return msgpack.packb(message, use_bin_type=True)


def code_of(frame: bytes | str) -> str:
    with pytest.raises(ProtocolError) as info:
        decode_client(frame)
    return info.value.code


def test_describe_is_json_ready_and_complete() -> None:
    table = protocol.describe(features=FEATURE_MESSAGES)
    text = json.dumps(table, allow_nan=False)
    assert json.loads(text) == table
    assert set(table["messages"]["client"]) == {
        "hello",
        "ping",
        "go",
        "wait",
        "cancel_wait",
        "chat",
        "react",
        "look",
        "bye",
        "playback",
        "workshop_join",
        "workshop_start",
        "workshop_end",
        "workshop_extend",
        "gather",
        "follow",
        "spotlight",
        "hand",
        "hands",
        "announce",
        "timer",
        "agenda",
        "breakout",
        "breakout_visit",
        "breakout_recall",
        "admit",
        "decline",
        "mute",
        "remove",
        "ban",
        "lock",
        "permissions",
        "invite",
        "voice",
        "voice_sdp",
        "voice_ice",
        "voice_mute",
        "voice_quiet",
        "share",
        "share_allow",
        "share_view",
        "share_sdp",
        "share_ice",
        "poll_open",
        "poll_answer",
        "poll_close",
        "board_add",
        "board_edit",
        "board_move",
        "board_label",
        "board_delete",
        "board_vote",
        "board_setup",
        "board_merge",
        "plan_watch",
        "plans_show",
        "board_plan_move",
        "board_plan_adopt",
        "consult_desk",
        "consult_queue",
        "consult_leave",
        "consult_call",
        "consult_end",
        "consult_say",
        "consult_notes",
    }
    assert {"welcome", "joined", "room_full", "error", "pong"} <= set(table["messages"]["server"])
    # the running table holds every code described (and a test's own features' codes)
    assert set(table["errors"]) <= set(protocol.ERRORS)
    error_codes = table["messages"]["server"]["error"]["fields"][0]["choices"]
    assert error_codes == list(table["errors"])
    assert table["binary"]["snapshot"]["entry_size"] == 12
    assert table["binary"]["pose"]["size"] == protocol.POSE_SIZE == 23


def test_binary_tags_cannot_start_a_msgpack_map() -> None:
    map_starts = set(range(0x80, 0x90)) | {0xDE, 0xDF}
    assert protocol.POSE_TAG not in map_starts
    assert protocol.SNAPSHOT_TAG not in map_starts
    for size in (0, 1, 20, 70000):
        assert pack({str(i): i for i in range(size)})[0] in map_starts


def test_docs_carry_the_generated_table() -> None:
    document = DOC_PATH.read_text(encoding="utf-8")
    assert BEGIN in document and END in document
    assert splice(document, render()) == document, "run python -m server.app.protocol_doc --write"


def test_describe_follows_settings() -> None:
    from server.base.settings import Settings

    assert protocol.describe(Settings(chat_max_chars=80))["limits"]["chat_max_chars"] == 80


def test_valid_messages_decode_to_typed_messages() -> None:
    hello = decode_client(pack({**HELLO, "room": "foyer", "resume": "k", "extra": [1]}))
    assert isinstance(hello, protocol.Hello)
    # a shape of before bodies is read as the average build
    assert hello.appearance == protocol.Appearance("#12abEF", "average")
    assert (hello.room, hello.resume, hello.version) == ("foyer", "k", 1)
    assert decode_client(pack({"t": "ping", "c": 5})) == protocol.Ping(5.0)
    assert decode_client(pack({"t": "go", "room": "r"})) == protocol.Go("r", None)
    assert decode_client(pack({"t": "go", "room": "r", "instance": 2})) == protocol.Go("r", 2)
    assert decode_client(pack({"t": "wait", "room": "r", "instance": 0})) == protocol.Wait("r", 0)
    assert decode_client(pack({"t": "cancel_wait"})) == protocol.CancelWait()
    assert decode_client(pack({"t": "chat", "text": "hi"})) == protocol.Chat("hi", None)
    assert decode_client(pack({"t": "chat", "text": "hi", "to": "s1"})) == protocol.Chat("hi", "s1")
    assert decode_client(pack({"t": "react", "emoji": "🌱"})) == protocol.React("🌱")
    assert decode_client(pack({"t": "bye"})) == protocol.Bye()
    pose = protocol.encode_pose(7, 1.0, 0.0, -2.0, 0.5, 0.1)
    assert decode_client(pose) == protocol.Pose(pose)
    assert decode_client(bytearray(pose)) == protocol.Pose(pose)


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ("hello", "bad_frame"),
        (b"", "bad_frame"),
        (b"\xc1", "bad_frame"),
        (b"\xff\xfe garbage", "bad_frame"),
        (pack([1, 2, 3]), "bad_frame"),
        (pack({"type": "hello"}), "bad_frame"),
        (pack({"t": 5}), "bad_frame"),
        (pack({"t": "ping", "c": 1}) + b"\x00", "bad_frame"),
        (pack({1: "x"}), "bad_frame"),
        (b"\x81\xa1t\xa4\xff\xfe\xfd\xfc", "bad_frame"),
        (pack({"t": "teleport"}), "unknown_type"),
        (pack({"t": "ping"}), "bad_field"),
        (pack({"t": "ping", "c": "now"}), "bad_field"),
        (pack({"t": "ping", "c": True}), "bad_field"),
        (pack({"t": "ping", "c": math.nan}), "bad_field"),
        (pack({"t": "ping", "c": math.inf}), "bad_field"),
        (pack({"t": "ping", "c": -math.inf}), "bad_field"),
        (pack({"t": "go", "room": 5}), "bad_field"),
        (pack({"t": "go", "room": "r", "instance": True}), "bad_field"),
        (pack({"t": "go", "room": "r", "instance": 1.5}), "bad_field"),
        (pack({"t": "go", "room": "r", "instance": -1}), "bad_field"),
        (pack({"t": "go", "room": "x" * 65}), "bad_field"),
        (pack({"t": "chat", "text": "x" * 2001}), "bad_field"),
        (pack({"t": "chat", "text": None}), "bad_field"),
        (pack({"t": "react", "emoji": "x" * 17}), "bad_field"),
        (pack({**HELLO, "v": "1"}), "bad_field"),
        (pack({**HELLO, "lang": "fr"}), "bad_field"),
        (pack({**HELLO, "appearance": "red"}), "bad_field"),
        (pack({**HELLO, "appearance": {"color": "red", "shape": "cube"}}), "bad_field"),
        (pack({**HELLO, "appearance": {"color": "#123456", "shape": "dragon"}}), "bad_field"),
        (pack({**HELLO, "token": b"bytes"}), "bad_field"),
        (pack({"t": "ping", "c": msgpack.ExtType(5, b"x")}), "bad_frame"),
        (bytes([protocol.POSE_TAG]) + b"\x00" * 10, "bad_frame"),
        (protocol.encode_pose(1, 0, 0, 0, 0, 0) + b"\x00", "bad_frame"),
    ],
)
def test_bad_frames_get_their_code(frame: bytes | str, code: str) -> None:
    assert code_of(frame) == code


def test_deep_nesting_is_a_bad_frame_not_a_crash() -> None:
    deep = b"\x91" * 20000 + b"\x00"
    assert code_of(deep) == "bad_frame"


def test_errors_about_fields_name_the_message_type() -> None:
    with pytest.raises(ProtocolError) as info:
        decode_client(pack({"t": "go", "room": 1}))
    assert info.value.about == "go"
    assert "room" in info.value.detail
    assert not info.value.fatal


def test_error_codes_are_checked() -> None:
    with pytest.raises(ValueError):
        ProtocolError("no_such_code", "x")


def test_error_frame_matches_the_table_in_both_languages() -> None:
    for code in protocol.ERRORS:
        for lang in ("de", "en"):
            message = protocol.decode_server(protocol.error_frame(code, lang, "detail", "go"))
            protocol.validate_server(message)
            assert message["code"] == code
    german = protocol.decode_server(protocol.error_frame("chat_empty", "de"))
    assert german["message"] == protocol.ERRORS["chat_empty"].de


def test_close_reasons_fit_a_close_frame() -> None:
    for code, spec in protocol.ERRORS.items():
        if spec.close is None:
            with pytest.raises(ValueError):
                protocol.close_reason(code)
            continue
        close, reason = protocol.close_reason(code, "ä" * 200)
        assert close == spec.close
        assert len(reason.encode()) <= 123
        assert reason.startswith(code)


def test_validate_server_refuses_fields_outside_the_table() -> None:
    protocol.validate_server({"t": "pong", "c": 1.0, "s": 2.0})
    with pytest.raises(ProtocolError):
        protocol.validate_server({"t": "pong", "c": 1.0, "s": 2.0, "surprise": 1})
    with pytest.raises(ProtocolError):
        protocol.validate_server({"t": "pong", "c": 1.0})
    with pytest.raises(ProtocolError):
        protocol.validate_server({"t": "nope"})


def test_snapshot_round_trip() -> None:
    import numpy as np

    entries = np.zeros(3, protocol.SNAPSHOT_ENTRY)
    entries["net"] = [1, 2, 3]
    entries["x"] = [-32768, 0, 32767]
    entries["pitch"] = [-127, 0, 127]
    header = protocol.SNAPSHOT_HEADER.pack(protocol.SNAPSHOT_TAG, 1, 9, 1234, 1.5e9)
    frame = header + entries.tobytes()
    assert len(frame) == 16 + 3 * 12
    snap = protocol.decode_snapshot(frame)
    assert snap.full and snap.serial == 9 and snap.tick == 1234 and snap.time == 1.5e9
    assert snap.entries["x"].tolist() == [-32768, 0, 32767]
    with pytest.raises(ProtocolError):
        protocol.decode_snapshot(frame + b"\x00")


def test_pose_layout_matches_struct() -> None:
    frame = protocol.encode_pose(65537, 1.5, 2.5, 3.5, 0.25, -0.5)
    tag, seq, x, y, z, yaw, pitch = struct.unpack(protocol.POSE_FORMAT, frame)
    assert (tag, seq, x, y, z, yaw, pitch) == (0x50, 1, 1.5, 2.5, 3.5, 0.25, -0.5)
    body = __import__("numpy").frombuffer(frame[1:], protocol.POSE_BODY)
    assert body["seq"][0] == 1 and body["z"][0] == 3.5


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes_never_escape_as_anything_but_protocol_errors(frame: bytes) -> None:
    try:
        decode_client(frame)
    except ProtocolError as exc:
        assert exc.code in protocol.ERRORS


_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**64 - 1)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
    | st.binary(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(sorted(protocol.CLIENT_MESSAGES)),
    st.dictionaries(
        st.sampled_from(["v", "token", "lang", "appearance", "room", "c", "text", "to", "emoji"]),
        _values,
        max_size=6,
    ),
)
def test_random_fields_decode_or_fail_cleanly(kind: str, fields: dict) -> None:
    try:
        message = decode_client(pack({"t": kind, **fields}))
    except ProtocolError as exc:
        assert exc.code in {"bad_field", "bad_frame"}
    else:
        assert type(message).__name__.lower().replace("_", "") == kind.replace("_", "")


def test_every_client_message_has_an_attribute_for_each_of_its_fields() -> None:
    """The decoder fills a message's attributes from the spec's fields by name (the default
    ``from_fields``), the core's messages as every feature's: a field without its attribute
    would be dropped unseen."""
    assert list(protocol.MESSAGE_TYPES) == list(protocol.CLIENT_MESSAGES)
    for name, kind in protocol.MESSAGE_TYPES.items():
        assert kind.spec.type == name
        if "from_fields" in vars(kind):
            continue  # maps its fields itself (hello, look: the appearance)
        attributes = {a.name for a in dataclasses.fields(kind)}
        named = {f.name for f in kind.spec.fields}
        assert named <= attributes, (kind.__name__, named - attributes)
        assert attributes <= named, (kind.__name__, attributes - named)


def test_hello_and_look_map_their_fields_to_typed_values() -> None:
    look = {"shape": "slim", "color": "#3a7d44"}
    hello = decode_client(
        pack({"t": "hello", "v": 1, "token": "t", "lang": "en", "appearance": look})
    )
    assert isinstance(hello, protocol.Hello)
    assert (hello.version, hello.lang, hello.room, hello.resume) == (1, "en", None, None)
    assert hello.appearance == protocol.Appearance.from_fields(look)
    changed = decode_client(pack({"t": "look", "appearance": look}))
    assert isinstance(changed, protocol.Look) and changed.appearance == hello.appearance


def test_a_feature_message_takes_its_defaults_and_keeps_lists_as_tuples() -> None:
    wire = {"t": "breakout", "groups": 2, "mode": "chosen", "minutes": 10}
    plain = decode_client(msgpack.packb(wire))
    assert plain.assign == ()  # type: ignore[union-attr]
    chosen = decode_client(msgpack.packb(wire | {"assign": [["a", "b"], ["c"]]}))
    assert chosen.assign == (("a", "b"), ("c",))  # type: ignore[union-attr]
    opened = decode_client(msgpack.packb({"t": "poll_open", "question": "Wie?", "kind": "scale"}))
    assert (opened.options, opened.anonymous) == ((), False)  # type: ignore[union-attr]
    voice = decode_client(msgpack.packb({"t": "voice", "on": True}))
    assert voice.mic is True  # type: ignore[union-attr]
    joined = decode_client(msgpack.packb({"t": "workshop_join", "workshop": "w1"}))
    assert joined.code is None  # type: ignore[union-attr]
