"""What relaying snapshots through Redis pub/sub would cost: the figures behind the choice
of redirecting clients to the owning process (docs/scale-out.md).

One room's owner sends, every tick (20 Hz), one snapshot frame to each of ``remote``
clients that are connected to another process. Two ways of carrying them over Redis:

* ``per-frame``: one PUBLISH per frame (pipelined per tick): what a naive relay does.
* ``batched``: the frames of a tick as one event of ``server.cluster.bus.ClusterBus`` (the real
  bus: one message per channel per tick).

A publisher and a subscriber run as separate processes next to a private redis-server; the
table gives each process's CPU (% of one core), the messages and megabytes per second
through Redis, and the publish-to-receive latency the relay would add.

    python -m bench.redis_relay                 # about 20 s
    python -m bench.redis_relay --remote 200 --seconds 3
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import redis.asyncio as aioredis

from bench.machine import Meter, describe, wait_until_quiet
from server.base.redis_link import RedisLink
from server.base.redis_names import RedisNames
from server.cluster.bus import ClusterBus, unpack_batch

TICK_HZ = 20
CHANNEL_PER_FRAME = "bench:relay:frames"
NAMES = RedisNames("bench-relay")
_STAMP = struct.Struct("<d")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _run_loop(main: Any) -> Any:
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    return uvloop.run(main)


# --- the two roles (each its own process) ---------------------------------------------------


async def publish(url: str, mode: str, remote: int, frame_bytes: int, seconds: float) -> float:
    """Send for ``seconds``; returns the CPU seconds this process used doing so."""
    cpu0 = time.process_time()
    frame = os.urandom(frame_bytes)
    interval = 1 / TICK_HZ
    loop = asyncio.get_running_loop()
    if mode == "per-frame":
        client = aioredis.Redis.from_url(url)
        due = loop.time()
        end = due + seconds
        while loop.time() < end:
            stamp = _STAMP.pack(time.time())
            async with client.pipeline(transaction=False) as pipe:
                for _ in range(remote):
                    pipe.publish(CHANNEL_PER_FRAME, stamp + frame)
                await pipe.execute()
            due += interval
            await asyncio.sleep(max(0.0, due - loop.time()))
        await client.publish(CHANNEL_PER_FRAME, b"stop")
        await client.aclose()
        return time.process_time() - cpu0
    link = RedisLink(url)
    bus = ClusterBus(link, NAMES, "owner", flush_every_s=interval)
    due = loop.time()
    end = due + seconds
    while loop.time() < end:
        bus.post("snapshots", {"t": time.time(), "frames": [frame] * remote}, to="edge")
        await bus.flush()
        due += interval
        await asyncio.sleep(max(0.0, due - loop.time()))
    bus.post("stop", None, to="edge")
    await bus.flush()
    await link.close()
    return time.process_time() - cpu0


async def subscribe(url: str, mode: str) -> dict[str, Any]:
    latencies: list[float] = []
    frames = 0
    messages = 0
    payload_bytes = 0
    client = aioredis.Redis.from_url(url)
    pubsub = client.pubsub()
    channel = CHANNEL_PER_FRAME if mode == "per-frame" else NAMES.cluster("bus", "to", "edge")
    await pubsub.subscribe(channel)
    print("ready", flush=True)
    cpu0: float | None = None
    while True:
        message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
        if message is None or message["type"] != "message":
            continue
        data: bytes = message["data"]
        now = time.time()
        if cpu0 is None:
            cpu0 = time.process_time()
        messages += 1
        payload_bytes += len(data)
        if mode == "per-frame":
            if data == b"stop":
                break
            latencies.append(now - _STAMP.unpack_from(data)[0])
            frames += 1
            continue
        _, events = unpack_batch(data)
        for kind, payload in events:
            if kind == "stop":
                break
            latencies.append(now - payload["t"])
            frames += len(payload["frames"])
        else:
            continue
        break
    await pubsub.aclose()
    await client.aclose()
    latencies.sort()
    return {
        "cpu_s": time.process_time() - (cpu0 or 0.0),
        "messages": messages,
        "frames": frames,
        "bytes": payload_bytes,
        "p50_ms": 1000 * latencies[len(latencies) // 2] if latencies else 0.0,
        "p99_ms": 1000 * latencies[int(len(latencies) * 0.99)] if latencies else 0.0,
    }


# --- the conductor ---------------------------------------------------------------------------


def start_redis(folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server is not installed: scripts/setup.sh --test installs it")
    port = _free_port()
    server = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(folder),
            "--client-output-buffer-limit",
            "pubsub 0 0 0",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5) as s:
            s.sendall(b"PING\r\n")
            if s.recv(16).startswith(b"+PONG"):
                return server, f"redis://127.0.0.1:{port}/0"
        time.sleep(0.05)
    server.kill()
    raise SystemExit("redis-server did not start")


def _role(role: str, url: str, mode: str, **extra: Any) -> subprocess.Popen[str]:
    args = [sys.executable, "-m", "bench.redis_relay", "--role", role, "--url", url, "--mode", mode]
    for name, value in extra.items():
        args += [f"--{name.replace('_', '-')}", str(value)]
    return subprocess.Popen(args, stdout=subprocess.PIPE, text=True)


def measure(
    url: str, redis_pid: int, mode: str, remote: int, frame: int, seconds: float
) -> dict[str, Any]:
    sub = _role("sub", url, mode)
    assert sub.stdout is not None
    if sub.stdout.readline().strip() != "ready":
        raise SystemExit("the subscriber did not start")
    meter = Meter({"redis": redis_pid})
    meter.start()
    pub = _role("pub", url, mode, remote=remote, frame_bytes=frame, seconds=seconds)
    sent, _ = pub.communicate(timeout=seconds + 30)
    got = json.loads(_last_line(sub))
    cpu = meter.stop()
    span = cpu["seconds"]
    return {
        "mode": mode,
        "remote": remote,
        "msg_s": got["messages"] / seconds,
        "frames_s": got["frames"] / seconds,
        "mb_s": got["bytes"] / seconds / 1e6,
        "publisher": 100 * float(sent.strip().splitlines()[-1]) / seconds,
        "subscriber": 100 * got["cpu_s"] / seconds,
        "redis": cpu["redis"] * span / seconds,
        "foreign": cpu["foreign"] * span / seconds,
        "p50_ms": got["p50_ms"],
        "p99_ms": got["p99_ms"],
    }


def _last_line(process: subprocess.Popen[str]) -> str:
    out, _ = process.communicate(timeout=30)
    return out.strip().splitlines()[-1]


def conduct(remotes: list[int], frame: int, seconds: float) -> int:
    machine = describe()
    print(f"machine: {machine['cpu']}, {machine['cores']} cores, Python {machine['python']}")
    print(f"one room's snapshots to clients on another process: {TICK_HZ} Hz, {frame} B frames\n")
    with tempfile.TemporaryDirectory(prefix="relay-bench-") as folder:
        server, url = start_redis(Path(folder))
        rows = []
        try:
            for remote in remotes:
                for mode in ("per-frame", "batched"):
                    wait_until_quiet(max_wait_s=20)
                    rows.append(measure(url, server.pid, mode, remote, frame, seconds))
        finally:
            server.terminate()
            server.wait(timeout=10)
    header = (
        f"{'mode':<10} {'remote':>6} {'msg/s':>7} {'frames/s':>8} {'MB/s':>6} "
        f"{'pub %':>6} {'sub %':>6} {'redis %':>7} {'other %':>7} {'p50 ms':>7} {'p99 ms':>7}"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        print(
            f"{r['mode']:<10} {r['remote']:>6} {r['msg_s']:>7.0f} {r['frames_s']:>8.0f} "
            f"{r['mb_s']:>6.1f} {r['publisher']:>6.0f} {r['subscriber']:>6.0f} "
            f"{r['redis']:>7.0f} {r['foreign']:>7.0f} {r['p50_ms']:>7.2f} {r['p99_ms']:>7.2f}"
        )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--remote", default="200,400", help="clients on the other process")
    parser.add_argument("--frame-bytes", type=int, default=1100, help="bytes per snapshot")
    parser.add_argument("--seconds", type=float, default=4.0, help="length of each run")
    parser.add_argument("--role", choices=("pub", "sub"), help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--mode", choices=("per-frame", "batched"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.role == "pub":
        cpu_s = _run_loop(
            publish(args.url, args.mode, int(args.remote), args.frame_bytes, args.seconds)
        )
        print(cpu_s, flush=True)
        return 0
    if args.role == "sub":
        print(json.dumps(_run_loop(subscribe(args.url, args.mode))), flush=True)
        return 0
    remotes = [int(n) for n in args.remote.split(",") if n.strip()]
    return conduct(remotes, args.frame_bytes, args.seconds)


if __name__ == "__main__":
    sys.exit(main())
