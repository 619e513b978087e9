"""The connection edge: hello first, tokens, versions, bad frames, floods and timeouts."""

from __future__ import annotations

import math

import msgpack
import pytest

from server.base.identity import Identity, Role
from server.base.settings import Settings
from server.base.tokens import TokenSigner
from server.net.edge import Arrival, ConnectionEdge, Refusal
from server.protocol import table as protocol

SIGNER = TokenSigner("a-test-secret-of-enough-length")
ADA = Identity("g-ada", "Ada", Role.VISITOR, True)


def hello_frame(version: int = protocol.PROTOCOL_VERSION, token: str | None = None) -> bytes:
    token = token if token is not None else SIGNER.issue(ADA, ttl_s=60, now=0)
    return msgpack.packb(
        {
            "t": "hello",
            "v": version,
            "token": token,
            "lang": "en",
            "appearance": {"color": "#ffaa00", "shape": "cone"},
        }
    )


def edge(**settings: float) -> ConnectionEdge:
    return ConnectionEdge(Settings(**settings), SIGNER.verify, now=0.0)  # type: ignore[arg-type]


def refusal(result: object) -> Refusal:
    assert isinstance(result, Refusal), result
    return result


def test_hello_with_a_good_token_arrives() -> None:
    e = edge()
    arrival = e.receive(hello_frame(), 1.0)
    assert isinstance(arrival, Arrival)
    assert arrival.identity == ADA
    assert arrival.hello.appearance.shape == "average"  # a shape of before bodies (cone)
    assert e.welcomed and e.lang == "en"
    ping = e.receive(msgpack.packb({"t": "ping", "c": 1}), 1.1)
    assert ping == protocol.Ping(1.0)


@pytest.mark.parametrize(
    "frame",
    [
        msgpack.packb({"t": "ping", "c": 1}),
        protocol.encode_pose(1, 0, 0, 0, 0, 0),
        b"\xc1garbage",
        "text",
    ],
)
def test_anything_before_hello_closes(frame: bytes | str) -> None:
    result = refusal(edge().receive(frame, 1.0))
    assert result.code == "hello_required" and result.fatal


def test_unsupported_version_closes_with_a_reason() -> None:
    e = edge()
    result = refusal(e.receive(hello_frame(version=99), 1.0))
    assert result.code == "version_unsupported" and result.fatal
    assert "99" in result.detail and "1" in result.detail
    assert not e.welcomed


def test_bad_and_expired_tokens_close() -> None:
    assert refusal(edge().receive(hello_frame(token="x.y"), 1.0)).code == "token_invalid"
    late = SIGNER.issue(ADA, ttl_s=60, now=0)
    e = ConnectionEdge(Settings(), SIGNER.verify, now=500.0)
    result = refusal(e.receive(hello_frame(token=late), 500.0))
    assert result.code == "token_expired" and result.fatal


def test_second_hello_reaches_the_core_which_refuses_it() -> None:
    e = edge()
    e.receive(hello_frame(), 1.0)
    assert isinstance(e.receive(hello_frame(), 1.1), protocol.Hello)


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        (b"\xc1", "bad_frame"),
        ("text", "bad_frame"),
        (msgpack.packb({"t": "dance"}), "unknown_type"),
        (msgpack.packb({"t": "ping", "c": math.nan}), "bad_field"),
        (msgpack.packb({"t": "chat", "text": 5}), "bad_field"),
    ],
)
def test_bad_frames_after_hello_are_recoverable(frame: bytes | str, code: str) -> None:
    e = edge()
    e.receive(hello_frame(), 1.0)
    result = refusal(e.receive(frame, 1.1))
    assert result.code == code and not result.fatal and result.first
    assert not refusal(e.receive(frame, 1.2)).first
    assert e.receive(msgpack.packb({"t": "ping", "c": 2}), 1.3) == protocol.Ping(2.0)


def test_rate_limit_tells_once_a_second_then_flooding_closes() -> None:
    e = edge(max_messages_per_s=10.0)
    e.receive(hello_frame(), 0.0)
    ping = msgpack.packb({"t": "ping", "c": 0})
    results = [e.receive(ping, 0.0) for _ in range(19)]
    assert all(r == protocol.Ping(0.0) for r in results)
    told = refusal(e.receive(ping, 0.0))
    assert told.code == "rate_limited" and not told.fatal
    silent = [e.receive(ping, 0.0) for _ in range(9)]
    assert silent == [None] * 9
    flood = refusal(e.receive(ping, 0.01))
    assert flood.code == "flooding" and flood.fatal


def test_a_steady_client_at_the_limit_is_never_refused() -> None:
    e = edge(max_messages_per_s=60.0)
    e.receive(hello_frame(), 0.0)
    pose = protocol.encode_pose(1, 0, 0, 0, 0, 0)
    for i in range(1, 3000):
        assert isinstance(e.receive(pose, i / 60), protocol.Pose)


def test_bursts_then_calm_reset_the_flood_count() -> None:
    e = edge(max_messages_per_s=10.0)
    e.receive(hello_frame(), 0.0)
    ping = msgpack.packb({"t": "ping", "c": 0})
    for second in range(5):
        now = second * 10.0
        outcomes = [e.receive(ping, now) for _ in range(25)]
        assert not any(isinstance(o, Refusal) and o.fatal for o in outcomes)


def test_timeouts() -> None:
    e = edge()
    assert e.expired(5.0) is None
    assert e.expired(protocol.HELLO_TIMEOUT_S + 0.1) == "hello_required"
    e.receive(hello_frame(), 1.0)
    assert e.expired(20.0) is None
    assert e.expired(1.0 + protocol.IDLE_TIMEOUT_S + 0.1) == "timeout"
