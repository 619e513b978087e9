"""Readers that stop reading: how long until the server closes them, and what they hold.

A reader completes the handshake and hello on a real socket, then reads nothing more
(it still sends a ``ping`` every ``ping_interval_s``, as clients do, so it is not idle),
while the server sends it snapshot frames at a steady rate (what a room gives a client:
about 8 KB/s with 50 people in it, 25 KB/s with 400, see docs/performance.md). For each
rate and number of readers this prints how long the server took to close them (from the
moment they stopped reading) and the most bytes it held unsent for them meanwhile (the
kernel's send queues, ``SIOCOUTQ``, plus the transports' own buffers). The realtime
endpoint runs in this process on the benchmark hall; the snapshot frames are made here.

    .venv/bin/python -m bench.slow_readers
    .venv/bin/python -m bench.slow_readers --rates 23 --readers 20 --max-wait 60

It never asserts a time: it reports.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import fcntl
import os
import socket
import struct
import sys
import tempfile
import termios
import time
from pathlib import Path

import msgpack

from bench import machine
from bench.tick import hall_world
from bench.wsclient import client_frame
from server.base.identity import Identity, Role
from server.base.settings import Settings
from server.base.tokens import TokenSigner
from server.core.hub import Effects, HubCore
from server.net.metrics import Metrics
from server.net.transport import WsConnection, start_realtime
from server.protocol import table as protocol
from world.model import World

TICK_S = 0.05
PING = msgpack.packb({"t": "ping", "c": 1})


async def stop_reading_after_hello(port: int, token: str) -> socket.socket:
    """A socket through handshake and hello (read until ``joined``), then left unread."""
    loop = asyncio.get_running_loop()
    sock = socket.socket()
    sock.setblocking(False)
    await loop.sock_connect(sock, ("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16))
    await loop.sock_sendall(
        sock,
        b"GET /ws HTTP/1.1\r\nHost: bench\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Key: " + key + b"\r\nSec-WebSocket-Version: 13\r\n\r\n",
    )
    hello = {
        "t": "hello",
        "v": protocol.PROTOCOL_VERSION,
        "token": token,
        "lang": "en",
        "appearance": {"color": "#aa0055", "shape": "cube"},
    }
    await loop.sock_sendall(sock, client_frame(msgpack.packb(hello)))
    seen = b""
    while b"joined" not in seen:  # good enough to know the hello went through
        data = await asyncio.wait_for(loop.sock_recv(sock, 65536), 10)
        if not data:
            raise ConnectionError("the server closed a reader before it joined")
        seen = seen[-64:] + data
    return sock


def unsent(conn: WsConnection) -> int:
    transport = conn.transport
    if transport is None or transport.is_closing():
        return 0
    sock = transport.get_extra_info("socket")
    queued = struct.unpack("i", fcntl.ioctl(sock.fileno(), termios.TIOCOUTQ, b"\0" * 4))[0]
    return int(queued) + transport.get_write_buffer_size()


async def measure(world: World, rate_kbps: float, readers: int, max_wait: float) -> dict:
    settings = Settings(host="127.0.0.1", ws_port=0)
    signer = TokenSigner("slow-readers-bench-secret-long-enough")
    core = HubCore(world, settings, seed=1)
    server = await start_realtime(
        core, settings=settings, signer=signer, store=None, metrics=Metrics()
    )
    socks: list[socket.socket] = []
    try:
        conns: list[WsConnection] = []
        for number in range(readers):
            identity = Identity(f"id-slow-{number}", f"Slow {number}", Role.VISITOR, True)
            token = signer.issue(identity, ttl_s=600, now=time.time())
            socks.append(await stop_reading_after_hello(server.port, token))
            conns.append(server.connections[max(server.connections)])
        size = max(1, int(rate_kbps * 1024 * TICK_S) - protocol.SNAPSHOT_HEADER.size)
        header = protocol.SNAPSHOT_HEADER.pack(
            protocol.SNAPSHOT_TAG, protocol.SNAPSHOT_FULL | protocol.SNAPSHOT_FAR, 1, 1, 0.0
        )
        frame = header + bytes(size)
        started = time.monotonic()
        pinged = started
        closed_after: dict[int, float] = {}
        most_unsent = 0
        loop = asyncio.get_running_loop()
        while len(closed_after) < readers and time.monotonic() - started < max_wait:
            open_ids = [c.id for c in conns if c.id in server.connections]
            if time.monotonic() - pinged >= protocol.PING_INTERVAL_S:
                pinged = time.monotonic()
                for conn, sock in zip(conns, socks, strict=True):
                    if conn.id in open_ids:
                        with contextlib.suppress(OSError):  # closed meanwhile
                            await loop.sock_sendall(sock, client_frame(PING))
            server.apply(Effects(snapshots=[(frame, open_ids)]))
            most_unsent = max(most_unsent, sum(unsent(c) for c in conns))
            for conn in conns:
                if conn.id not in server.connections and conn.id not in closed_after:
                    closed_after[conn.id] = time.monotonic() - started
            await asyncio.sleep(TICK_S)
        times = sorted(closed_after.values())
        return {
            "closed": len(times),
            "first_s": times[0] if times else None,
            "last_s": times[-1] if len(times) == readers else None,
            "most_unsent_kb": most_unsent / 1024,
        }
    finally:
        for sock in socks:
            sock.close()
        await server.close()


def seconds(value: float | None, max_wait: float) -> str:
    return f"{value:.1f}" if value is not None else f"not within {max_wait:g}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.slow_readers", description=__doc__)
    parser.add_argument("--rates", default="8,23", help="KB/s the server sends each reader")
    parser.add_argument("--readers", default="1,20", help="readers at once, e.g. 1,20")
    parser.add_argument("--max-wait", type=float, default=180.0, help="seconds per run")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        world = hall_world(Path(tmp))
    sys.stdout.write(
        "| KB/s per reader | readers | closed | first closed after s | all closed after s "
        "| most held unsent, KB (all readers) |\n|---|---|---|---|---|---|\n"
    )
    for rate in (float(v) for v in args.rates.split(",") if v.strip()):
        for readers in (int(v) for v in args.readers.split(",") if v.strip()):
            r = asyncio.run(measure(world, rate, readers, args.max_wait))
            sys.stdout.write(
                f"| {rate:g} | {readers} | {r['closed']} | {seconds(r['first_s'], args.max_wait)} "
                f"| {seconds(r['last_s'], args.max_wait)} | {r['most_unsent_kb']:.0f} |\n"
            )
            sys.stdout.flush()
    info = machine.describe()
    sys.stdout.write(
        f"\nMachine: {info['cpu']}, {info['cores']} cores, Linux {info['kernel']}, "
        f"Python {info['python']}\nLibraries: {info['libraries']}\n"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
