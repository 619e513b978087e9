"""WebSocket stacks compared per message: our transport's way against picows.

The realtime server's cost per client is mostly per message: one pose frame in and one
snapshot frame out per tick. This benchmark takes everything else away. A server process
(pinned to one core) accepts ``--clients`` WebSocket connections and, every 50 ms, writes a
``--frame``-byte binary frame to each; a client process (the other core) sends each
connection a 23-byte pose frame every 50 ms. The server only counts. Its CPU time per
message in and out is what the WebSocket stack and the kernel cost, nothing else.

Three servers, the same client:

* ``ours``: an ``asyncio.Protocol`` doing what ``server/net/transport.py`` does: the handshake
  with the ``websockets`` sans-I/O protocol, then final masked binary frames parsed by the
  transport's own fast path (``WsConnection._fast_frames``' loop), frames written with a
  header made once per frame and shared by its recipients.
* ``ours-batched``: the same, but the sockets are read only once per tick, just before it
  (reading paused in between), to see whether fewer wake-ups save CPU.
* ``picows``: picows' ``ws_create_server`` with a ``WSListener`` (Cython frame parser,
  ``transport.send``), if picows is installed.

    .venv/bin/python -m bench.wire --clients 400
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

from bench import machine
from bench.wsclient import WsClient
from server.protocol.table import encode_pose

TICK_S = 0.05
log = logging.getLogger("bench.wire")


def _header(size: int) -> bytes:
    if size < 126:
        return bytes((0x82, size))
    return b"\x82\x7e" + size.to_bytes(2, "big")


async def _ticks() -> AsyncIterator[None]:
    """Every TICK_S, on a fixed schedule (late ticks do not push the later ones back)."""
    loop = asyncio.get_running_loop()
    due = loop.time()
    while True:
        due += TICK_S
        await asyncio.sleep(max(0.0, due - loop.time()))
        yield


# --- the two servers ------------------------------------------------------------------------


class OursConnection(asyncio.Protocol):
    """The transport's receive path, reduced to counting."""

    def __init__(self, counts: list[int], conns: list[OursConnection]) -> None:
        from websockets.server import ServerProtocol

        self.ws = ServerProtocol(max_size=16 * 1024, logger=log)
        self.counts = counts
        self.conns = conns
        self.transport: asyncio.Transport | None = None
        self.open = False
        self.tail = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        if self.open:
            self.frames(data)
            return
        from websockets.http11 import Request

        self.ws.receive_data(data)
        for event in self.ws.events_received():
            if isinstance(event, Request):
                self.ws.send_response(self.ws.accept(event))
                assert self.transport is not None
                for chunk in self.ws.data_to_send():
                    self.transport.write(chunk)
                self.open = True
                self.conns.append(self)

    def frames(self, data: bytes) -> None:
        if self.tail:
            data, self.tail = self.tail + data, b""
        end, pos = len(data), 0
        while pos < end:
            if end - pos < 6:
                self.tail = data[pos:]
                return
            size = data[pos + 1] & 0x7F
            head = 6
            if size == 126:
                size = int.from_bytes(data[pos + 2 : pos + 4], "big")
                head = 8
            stop = pos + head + size
            if stop > end:
                self.tail = data[pos:]
                return
            mask = data[pos + head - 4 : pos + head] * (size // 4 + 1)
            value = int.from_bytes(data[pos + head : stop], "little")
            payload = (value ^ int.from_bytes(mask[:size], "little")).to_bytes(size, "little")
            pos = stop
            self.message(payload)

    def message(self, payload: bytes) -> None:
        self.counts[0] += 1


async def serve_ours(
    port: int, frame_size: int, counts: list[int], *, batched: bool = False
) -> None:
    loop = asyncio.get_running_loop()
    conns: list[OursConnection] = []
    await loop.create_server(lambda: OursConnection(counts, conns), "127.0.0.1", port)
    frame = bytes(frame_size)
    async for _ in _ticks():
        if batched:
            for conn in conns:
                if conn.transport is not None:
                    conn.transport.resume_reading()
            await asyncio.sleep(0)
            await asyncio.sleep(0)
            for conn in conns:
                if conn.transport is not None:
                    conn.transport.pause_reading()
        framed = _header(len(frame)) + frame
        for conn in conns:
            if conn.transport is not None and not conn.transport.is_closing():
                conn.transport.write(framed)
                counts[1] += 1


async def serve_picows(port: int, frame_size: int, counts: list[int]) -> None:
    from picows import WSListener, WSMsgType, ws_create_server

    transports: list[Any] = []

    class Listener(WSListener):
        def on_ws_connected(self, transport: Any) -> None:
            transports.append(transport)

        def on_ws_frame(self, transport: Any, frame: Any) -> None:
            frame.get_payload_as_bytes()
            counts[0] += 1

    await ws_create_server(lambda request: Listener(), "127.0.0.1", port)
    frame = bytes(frame_size)
    async for _ in _ticks():
        for transport in transports:
            transport.send(WSMsgType.BINARY, frame)
            counts[1] += 1


def server_main(kind: str, port: int, frame_size: int) -> None:
    counts = [0, 0]

    async def main() -> None:
        if kind == "picows":
            task = asyncio.create_task(serve_picows(port, frame_size, counts))
        else:
            batched = kind == "ours-batched"
            task = asyncio.create_task(serve_ours(port, frame_size, counts, batched=batched))
        reader = asyncio.StreamReader()
        loop = asyncio.get_running_loop()
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
        while True:
            line = (await reader.readline()).decode().strip()
            if line == "count":
                sys.stdout.write(f"{counts[0]} {counts[1]}\n")
                sys.stdout.flush()
            else:
                task.cancel()
                return

    import uvloop

    uvloop.run(main())


# --- the client -----------------------------------------------------------------------------


def _ignore(payload: bytes, wire: int) -> None:
    pass


def _factory(ws: WsClient) -> Callable[[], WsClient]:
    return lambda: ws


async def client_main(port: int, clients: int, seconds: float) -> None:
    loop = asyncio.get_running_loop()
    conns = []
    for _ in range(clients):
        ws = WsClient("127.0.0.1", port, "/ws", on_message=_ignore)
        await loop.create_connection(_factory(ws), "127.0.0.1", port)
        await ws.opened
        conns.append(ws)
    frame = encode_pose(1, 1.0, 0.0, 2.0, 0.5, 0.0)
    phases = 10
    slot = TICK_S / phases
    due = loop.time()
    end = due + seconds
    phase = 0
    while loop.time() < end:
        await asyncio.sleep(max(0.0, due - loop.time()))
        for ws in conns[phase::phases]:
            ws.send(frame)
        phase = (phase + 1) % phases
        due += slot
    for ws in conns:
        ws.abort()


def measure(kind: str, clients: int, frame_size: int, seconds: float) -> dict[str, float]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    cpus = sorted(os.sched_getaffinity(0))
    pin = (
        (["taskset", "-c", str(cpus[0])], ["taskset", "-c", str(cpus[1])])
        if len(cpus) > 1
        else ([], [])
    )
    server = subprocess.Popen(
        [
            *pin[0],
            sys.executable,
            "-m",
            "bench.wire",
            "--serve",
            kind,
            "--port",
            str(port),
            "--frame",
            str(frame_size),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    assert server.stdin is not None and server.stdout is not None

    def count() -> tuple[int, int]:
        assert server.stdin is not None and server.stdout is not None
        server.stdin.write(b"count\n")
        server.stdin.flush()
        got, sent = server.stdout.readline().split()
        return int(got), int(sent)

    time.sleep(1.0)
    client = subprocess.Popen(
        [
            *pin[1],
            sys.executable,
            "-m",
            "bench.wire",
            "--client",
            "--port",
            str(port),
            "--clients",
            str(clients),
            "--seconds",
            str(seconds + 4),
        ]
    )
    try:
        time.sleep(3.0)  # connected and warm
        meter = machine.Meter({"server": server.pid, "client": client.pid})
        got0, sent0 = count()
        meter.start()
        time.sleep(seconds)
        cpu = meter.stop()
        got1, sent1 = count()
    finally:
        client.wait(timeout=60)
        server.stdin.write(b"quit\n")
        server.stdin.flush()
        server.wait(timeout=10)
    window = cpu["seconds"]
    messages = (got1 - got0) + (sent1 - sent0)
    return {
        "server_cpu_pct": cpu["server"],
        "in_per_s": (got1 - got0) / window,
        "out_per_s": (sent1 - sent0) / window,
        "us_per_message": cpu["server"] / 100 * window / max(1, messages) * 1e6,
        "foreign_pct": cpu["foreign"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.wire", description=__doc__)
    parser.add_argument("--clients", type=int, default=400)
    parser.add_argument("--frame", type=int, default=400, help="bytes per server frame")
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument(
        "--serve", choices=("ours", "ours-batched", "picows"), help=argparse.SUPPRESS
    )
    parser.add_argument("--client", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        server_main(args.serve, args.port, args.frame)
        return 0
    if args.client:
        import uvloop

        uvloop.run(client_main(args.port, args.clients, args.seconds))
        return 0
    kinds = ["ours", "ours-batched"]
    try:
        import picows  # noqa: F401

        kinds.append("picows")
    except ImportError:
        sys.stderr.write("picows is not installed: measuring ours only\n")
    sys.stdout.write(
        "| stack | clients | frames in/s | frames out/s | server CPU % | µs per message "
        "| foreign CPU % |\n|---|---|---|---|---|---|---|\n"
    )
    for _ in range(args.rounds):
        for kind in kinds:
            r = measure(kind, args.clients, args.frame, args.seconds)
            sys.stdout.write(
                f"| {kind} | {args.clients} | {r['in_per_s']:.0f} | {r['out_per_s']:.0f} "
                f"| {r['server_cpu_pct']:.1f} | {r['us_per_message']:.2f} "
                f"| {r['foreign_pct']:.0f} |\n"
            )
            sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
