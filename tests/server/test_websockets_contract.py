"""What the transport's fast frame path reads of ``websockets`` beyond its documented API.

``server/net/transport.py`` parses clients' data frames itself once the handshake is done, and
only from a frame boundary: it looks at ``ServerProtocol.reader.buffer`` to know that
nothing is left in the library's buffer, and at ``ServerProtocol.parser_exc`` to tell an
oversized frame. Neither is documented; ``pyproject.toml`` pins the versions where both
hold, and these tests fail loudly if a new version moves them (the fast path would
otherwise switch itself off without a word, or an oversized frame would go unanswered).
"""

from __future__ import annotations

import base64
import os

from websockets.exceptions import PayloadTooBig
from websockets.http11 import Request
from websockets.server import ServerProtocol


def _opened(max_size: int = 64) -> ServerProtocol:
    key = base64.b64encode(os.urandom(16))
    ws = ServerProtocol(max_size=max_size)
    ws.receive_data(
        b"GET /ws HTTP/1.1\r\nHost: hub\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Key: " + key + b"\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    [request] = ws.events_received()
    assert isinstance(request, Request)
    response = ws.accept(request)
    ws.send_response(response)
    assert response.status_code == 101
    return ws


def _masked_binary(payload: bytes) -> bytes:
    mask = b"\x01\x02\x03\x04"
    body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    assert len(payload) < 126
    return bytes((0x82, 0x80 | len(payload))) + mask + body


def test_the_reader_buffer_is_there_and_empty_after_the_handshake() -> None:
    ws = _opened()
    reader = getattr(ws, "reader", None)
    assert reader is not None, "websockets.ServerProtocol has no .reader any more"
    assert hasattr(reader, "buffer"), "the protocol's reader has no .buffer any more"
    assert not reader.buffer


def test_an_oversized_frame_sets_parser_exc() -> None:
    ws = _opened(max_size=16)
    ws.receive_data(_masked_binary(b"x" * 40))
    ws.events_received()
    assert isinstance(getattr(ws, "parser_exc", None), PayloadTooBig)


def test_a_frame_parsed_by_the_library_matches_the_fast_paths_reading() -> None:
    ws = _opened()
    ws.receive_data(_masked_binary(b"\x50hello"))
    [frame] = ws.events_received()
    assert frame.data == b"\x50hello"
