"""Slow, unfinished requests against a real ``hubtwin serve`` started under a real low
open-file limit: the hub keeps answering ``/healthz`` and sign-ins while one address holds
more unfinished requests than the process may open files, and it closes the held ones by
its idle timeout. Also: ``hubtwin serve`` raises its soft open-file limit to the hard one.

Everything stays on loopback; the attacker binds 127.0.0.2, the visitor 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import resource
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from world.builder import build_world
from world.site import PROJECT_ROOT, load_site

SITE = PROJECT_ROOT / "bench" / "bench-hall"
HUBTWIN = PROJECT_ROOT / ".venv" / "bin" / "hubtwin"
SECRET = "slowloris-test-secret-0123456789abcdefghijklmnop"
OPEN_FILES = 1024
HELD = 1100  # more unfinished requests than the hub may open files
IDLE_TIMEOUT_S = 3.0
START_TIMEOUT_S = 60.0
ANSWER_TIMEOUT_S = 10.0
ATTACKER = "127.0.0.2"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def low_file_limit() -> None:
    """In the child before exec: soft and hard limit both low, so the hub cannot raise it."""
    resource.setrlimit(resource.RLIMIT_NOFILE, (OPEN_FILES, OPEN_FILES))


@dataclass
class Hub:
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]

    def open_files(self) -> int:
        return len(os.listdir(f"/proc/{self.process.pid}/fd"))


def get(url: str, data: bytes | None = None) -> tuple[int, bytes]:
    headers = {"Content-Type": "application/json"} if data is not None else {}
    request = urllib.request.Request(url, data=data, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=ANSWER_TIMEOUT_S) as response:
            return int(response.status), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[Hub]:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < HELD + 200:
        pytest.skip(f"this test opens {HELD} connections; the hard open-file limit is {hard}")
    if soft < HELD + 200:
        resource.setrlimit(resource.RLIMIT_NOFILE, (HELD + 200, hard))
    data = tmp_path / "data"
    build_world(load_site(SITE), data / "world" / "hub.glb", quiet=True)
    port = free_port()
    log = tmp_path / "hub.log"
    env = dict(
        os.environ,
        HUBTWIN_SECRET=SECRET,
        HUBTWIN_LOG_LEVEL="info",
        HUBTWIN_HTTP_IDLE_TIMEOUT_S=str(IDLE_TIMEOUT_S),
    )
    command = [str(HUBTWIN), "serve", "--site", str(SITE), "--port", str(port)]
    command += ["--data-dir", str(data)]
    with log.open("wb") as out:
        process = subprocess.Popen(
            command,
            cwd=PROJECT_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            preexec_fn=low_file_limit,
        )
    running = Hub(process, port, log)
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if process.poll() is not None:
                pytest.fail(f"hubtwin serve ended:\n{running.tail()}")
            with contextlib.suppress(OSError):
                if get(f"{running.base}/healthz")[0] == 200:
                    break
            if time.monotonic() > deadline:
                pytest.fail(f"hubtwin serve did not become healthy:\n{running.tail()}")
            time.sleep(0.2)
        yield running
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


Held = tuple[asyncio.StreamReader, asyncio.StreamWriter]


#: what the held connections send: part of a head (aiohttp's request handler has them),
#: or part of the request line (the shared port's router has them, before it knows
#: whether HTTP or the realtime endpoint is asked for)
UNFINISHED = {
    "head": b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ",
    "request_line": b"GET /heal",
}


async def hold_unfinished_request(port: int, unfinished: bytes) -> Held | None:
    """A request, never finished (None: not even connected). The writer is kept: a writer
    that is let go closes its connection."""
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(ATTACKER, 0))
    except OSError:
        return None
    writer.write(unfinished)
    return reader, writer


async def closed_after(reader: asyncio.StreamReader, started: float, within_s: float) -> float:
    """Seconds from ``started`` until the hub closed this connection."""
    deadline = started + within_s
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return float("inf")
        try:
            data = await asyncio.wait_for(reader.read(65536), remaining)
        except TimeoutError:
            return float("inf")
        except ConnectionError:
            return time.monotonic() - started
        if not data:
            return time.monotonic() - started


async def visitor_is_served(hub: Hub) -> None:
    status, body = await asyncio.to_thread(get, f"{hub.base}/healthz")
    assert status == 200, body
    status, body = await asyncio.to_thread(
        get, f"{hub.base}/api/session", json.dumps({"name": "Besucherin"}).encode()
    )
    assert status == 200, body
    assert json.loads(body)["token"]


@pytest.mark.parametrize("unfinished", list(UNFINISHED))
async def test_held_unfinished_requests_neither_exhaust_files_nor_lock_out_visitors(
    hub: Hub, unfinished: str
) -> None:
    started = time.monotonic()
    held = [await hold_unfinished_request(hub.port, UNFINISHED[unfinished]) for _ in range(HELD)]
    connected = [pair for pair in held if pair is not None]
    assert len(connected) > OPEN_FILES, f"only {len(connected)} connected"

    # while all of them are held: the hub stays under its limit and serves a visitor
    await visitor_is_served(hub)
    assert hub.open_files() < OPEN_FILES - 100
    await visitor_is_served(hub)

    # every held connection is closed: at once when over the cap per address, the others
    # by the idle timeout
    within = IDLE_TIMEOUT_S + 20.0
    times = await asyncio.gather(*(closed_after(r, started, within) for r, _ in connected))
    still_open = sum(1 for t in times if t == float("inf"))
    assert still_open == 0, f"{still_open} of {HELD} held connections were never closed"
    timed_out = [t for t in times if t >= IDLE_TIMEOUT_S * 0.9]
    assert timed_out, "no connection was closed by the idle timeout"
    assert max(times) < within
    await visitor_is_served(hub)
    for _, writer in connected:
        writer.close()
    assert await oversized_head(hub) == 431
    log = hub.log.read_text(errors="replace")
    assert "Traceback" not in log
    assert ATTACKER not in log  # the hub keeps no addresses, in its log neither
    refused = [line for line in log.splitlines() if "bad request refused" in line]
    assert len(refused) == 1
    assert json.loads(refused[0])["status"] == 431


async def oversized_head(hub: Hub) -> int:
    """The status of a request with a 20 kB header, from the attacker's address."""
    reader, writer = await asyncio.open_connection("127.0.0.1", hub.port, local_addr=(ATTACKER, 0))
    writer.write(
        b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"a" * 20_000 + b"\r\n\r\n"
    )
    status_line = await asyncio.wait_for(reader.readline(), ANSWER_TIMEOUT_S)
    writer.close()
    return int(status_line.split()[1])


def test_serve_raises_the_soft_open_file_limit_to_the_hard_limit() -> None:
    """``raise_open_file_limit`` in a real child process started with soft 256, hard 2048."""

    def limits() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (256, 2048))

    code = (
        "import resource\n"
        "from server.net.http_connections import raise_open_file_limit\n"
        "print(raise_open_file_limit(), resource.getrlimit(resource.RLIMIT_NOFILE))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=limits,
        check=True,
    )
    assert result.stdout.strip() == "(256, 2048) (2048, 2048)"
