"""The benchmark's parts work: the WebSocket client, the walker, and the runner end to end at
a tiny size (no timing is asserted: the machine is shared and small)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import websockets

from bench.walker import plan_paths
from bench.wsclient import WsClient, WsClosed
from world.builder import build_world
from world.model import World, load
from world.site import PROJECT_ROOT, load_site

HALL = PROJECT_ROOT / "bench" / "bench-hall"


@pytest.fixture(scope="module")
def bench_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder with the benchmark hall already built (the runner reuses it)."""
    data = tmp_path_factory.mktemp("bench")
    build_world(load_site(HALL), data / "bench-hall" / "world" / "hub.glb", quiet=True)
    return data


@pytest.fixture(scope="module")
def hall(bench_data: Path) -> World:
    return load(bench_data / "bench-hall" / "world" / "hub.glb")


async def test_client_talks_to_a_websockets_server() -> None:
    async def echo(ws: websockets.ServerConnection) -> None:
        async for message in ws:
            await ws.send(message)

    async with websockets.serve(echo, "127.0.0.1", 0, max_size=None) as server:
        port = server.sockets[0].getsockname()[1]
        got: list[tuple[bytes, int]] = []
        client = WsClient("127.0.0.1", port, "/", on_message=lambda p, w: got.append((p, w)))
        await asyncio.get_running_loop().create_connection(lambda: client, "127.0.0.1", port)
        await asyncio.wait_for(client.opened, 5)
        sizes = [0, 5, 125, 126, 65535, 65536, 200_000]
        payloads = [bytes((i * 7 + n) & 0xFF for i in range(n)) for n in sizes]
        for payload in payloads:
            assert client.send(payload)
        for _ in range(100):
            if len(got) == len(sizes):
                break
            await asyncio.sleep(0.05)
        assert [p for p, _ in got] == payloads
        headers = [2, 2, 2, 4, 4, 10, 10]
        assert [w - len(p) for p, w in got] == headers
        client.close()
        assert "connection" in await asyncio.wait_for(client.closed, 5)


async def test_client_refuses_a_server_that_is_not_websocket() -> None:
    async def not_ws(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(not_ws, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    client = WsClient("127.0.0.1", port, "/ws", on_message=lambda p, w: None)
    await asyncio.get_running_loop().create_connection(lambda: client, "127.0.0.1", port)
    with pytest.raises(WsClosed, match="404"):
        await asyncio.wait_for(client.opened, 5)
    server.close()
    await server.wait_closed()


def test_paths_stay_on_walkable_floor_in_their_room(hall: World) -> None:
    room = hall.room_index("hall")
    starts = np.array([s.position for s in hall.spawns_for("hall")], dtype=np.float64)
    starts[:, 1] = hall.floor_height(starts)
    paths = plan_paths(hall, starts, np.full(len(starts), room), np.random.default_rng(3))
    assert all(p.length > 0 for p in paths)
    for path in paths:
        times = np.arange(0.0, 2 * path.length / path.speed, 0.05)
        points = np.array([path.at(t)[:3] for t in times])
        assert hall.is_walkable(points).all()
        assert (hall.room_at(points) == room).all()
        steps = np.linalg.norm(np.diff(points[:, [0, 2]], axis=0), axis=1)
        assert steps.max() <= path.speed * 0.05 + 1e-6
        clamped = hall.clamp_step(points[:-1], points[1:])
        assert np.abs(clamped - points[1:]).max() < 0.01


def test_runner_measures_a_tiny_crowd(bench_data: Path, tmp_path: Path) -> None:
    out = tmp_path / "result.json"
    command = [
        sys.executable,
        "-m",
        "bench.realtime",
        "--sizes",
        "4",
        "--spread",
        "6",
        "--spread-site",
        str(HALL),
        "--warmup",
        "0.5",
        "--window",
        "2",
        "--observers",
        "2",
        "--quiet-wait",
        "0",
        "--data-dir",
        str(bench_data),
        "--json",
        str(out),
    ]
    done = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=100)
    assert done.returncode == 0, done.stderr
    assert "| one room | 4 | 1 |" in done.stdout
    assert "| all rooms | 6 |" in done.stdout
    assert "Machine:" in done.stdout
    rows = json.loads(out.read_text())["rows"]
    assert [r["clients"] for r in rows] == [4, 6]
    for row in rows:
        load = row["load"]
        assert load["connected"] == row["clients"]
        assert load["fixes"] == 0 and load["errors"] == {}
        assert load["latency_ms"]["samples"] > 0
        assert load["snapshots_per_s_mean"] > 0
        assert row["cpu"]["server"] > 0
    assert rows[1]["ready"]["instances"] == 2  # the hall and its entrance


def test_wire_comparison_runs_at_a_tiny_size() -> None:
    command = [sys.executable, "-m", "bench.wire", "--clients", "4", "--seconds", "1"]
    command += ["--rounds", "1"]
    done = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=100)
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stdout.splitlines() if line.startswith("|")]
    rows = {line.split("|")[1].strip(): line for line in lines}
    assert {"ours", "ours-batched"} <= rows.keys()
    for name in ("ours", "ours-batched"):
        frames_in = float(rows[name].split("|")[3])
        assert frames_in > 0


def test_cluster_runner_compares_two_processes_with_one(bench_data: Path, tmp_path: Path) -> None:
    out = tmp_path / "cluster.json"
    command = [sys.executable, "-m", "bench.cluster_realtime", "--sizes", "4", "--spread", "0"]
    command += ["--processes", "2", "--warmup", "0.5", "--window", "2", "--observers", "2"]
    command += ["--quiet-wait", "0", "--tries", "1", "--data-dir", str(bench_data)]
    command += ["--json", str(out)]
    done = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=110)
    assert done.returncode == 0, done.stderr
    assert "| one room | 1, SQLite | 4 | 1 | 1 |" in done.stdout
    assert "| one room | 2 + Redis | 4 | 1 | 1 |" in done.stdout
    assert "Machine:" in done.stdout
    single, pair = json.loads(out.read_text())["rows"]
    assert (single["processes"], single["redis"]) == (1, False)
    assert (pair["processes"], pair["redis"]) == (2, True)
    for row in (single, pair):
        load = row["load"]
        assert load["connected"] == 4
        assert load["errors"] == {}
        assert load["latency_ms"]["samples"] > 0
        assert row["hub_cpu"] > 0
    # the clients were spread over both processes; those on the one that does not own the
    # hall followed its redirect, so all ended up in one instance on one process
    assert pair["ready"]["redirects"] >= 1
    assert pair["ready"]["processes_used"] == 1
    assert {"server-1", "server-2", "redis"} <= pair["cpu"].keys()
