"""Three hub processes sharing a real redis-server behind a real nginx running the example
configuration (``deploy/nginx/hubtwin.conf``, with this test's ports and a throwaway
certificate put in): visitors who connect through the proxy's shared ``/ws`` or through any
process's own ``/ws/N`` end up in the same room instance, on its owner, following the
``redirect`` the other processes send through the proxy. Behind the proxy, each visitor's
sign-ins are counted by the address nginx forwards, and a forged ``X-Forwarded-For`` from
anyone but the proxy counts for nothing."""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import json
import os
import shutil
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgpack
import pytest
from hub_processes import stop_process
from redis_process import free_port
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidStatus

from server.protocol.table import PROTOCOL_VERSION, SNAPSHOT_TAG, encode_pose
from world.builder import build_world
from world.site import PROJECT_ROOT, load_site

EXAMPLE = PROJECT_ROOT / "deploy" / "nginx" / "hubtwin.conf"
SITE = PROJECT_ROOT / "bench" / "bench-hall"
ROOM = "hall"
PROCESSES = 3
START_TIMEOUT_S = 60.0
MESSAGE_TIMEOUT_S = 10.0
#: A dead owner's lease runs out after 5 s; its room is then taken over.
TAKEOVER_TIMEOUT_S = 20.0
SECRET = "nginx-proxy-test-secret-0123456789abcdefghijklmnopqrstuvwxyz"


def nginx_binary() -> str | None:
    found = shutil.which("nginx")
    if found is None and Path("/usr/sbin/nginx").is_file():
        found = "/usr/sbin/nginx"
    return found


def render_example(ports: dict[str, int], cert: Path, key: Path) -> str:
    """The example configuration with this test's ports and certificate: every value the
    example tells operators to change is replaced, and each must be found exactly where
    the example says (a changed example fails here, not later)."""
    text = EXAMPLE.read_text(encoding="utf-8")
    replacements = {
        "listen 80;": f"listen 127.0.0.1:{ports['plain']};",
        "listen 443 ssl http2;": f"listen 127.0.0.1:{ports['tls']} ssl http2;",
        "/etc/letsencrypt/live/hub.example.org/fullchain.pem": str(cert),
        "/etc/letsencrypt/live/hub.example.org/privkey.pem": str(key),
    }
    for n in range(PROCESSES):
        replacements[f"127.0.0.1:{8080 + n} "] = f"127.0.0.1:{ports[f'http{n + 1}']} "
        replacements[f"127.0.0.1:{8091 + n} "] = f"127.0.0.1:{ports[f'ws{n + 1}']} "
        replacements[f"127.0.0.1:{8091 + n}/ws;"] = f"127.0.0.1:{ports[f'ws{n + 1}']}/ws;"
    for old, new in replacements.items():
        assert text.count(old) == 1, f"the example should contain {old!r} once"
        text = text.replace(old, new)
    # this machine may have no IPv6: the [::] listeners go
    lines = [line for line in text.splitlines() if "listen [::]" not in line]
    return "\n".join(lines) + "\n"


def nginx_main_config(folder: Path, site_config: Path) -> str:
    """A top-level nginx.conf that keeps everything (pid, logs, temporary files) in
    ``folder`` and includes the site configuration, as /etc/nginx/nginx.conf would."""
    temp = {name: folder / name for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi")}
    for path in temp.values():
        path.mkdir(exist_ok=True)
    user = "user root;\n" if os.geteuid() == 0 else ""  # workers must reach folder
    return (
        f"{user}daemon off;\nworker_processes 1;\npid {folder / 'nginx.pid'};\n"
        f"error_log {folder / 'error.log'} warn;\n"
        "events { worker_connections 256; }\n"
        "http {\n"
        f"    client_body_temp_path {temp['body']};\n"
        f"    proxy_temp_path {temp['proxy']};\n"
        f"    fastcgi_temp_path {temp['fastcgi']};\n"
        f"    uwsgi_temp_path {temp['uwsgi']};\n"
        f"    scgi_temp_path {temp['scgi']};\n"
        f"    include {site_config};\n"
        "}\n"
    )


def make_certificate(folder: Path) -> tuple[Path, Path]:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.fail("openssl is needed for the test certificate (Debian: ca-certificates)")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@dataclass
class Stack:
    """The running processes and nginx, and how to reach them through the proxy."""

    base: str
    ws_base: str
    tls: ssl.SSLContext
    logs: list[Path]
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    #: each process's own HTTP port, reached without the proxy
    direct_http: list[int] = field(default_factory=list)

    def process_url(self, n: int) -> str:
        return f"{self.ws_base}/ws/{n}"

    def tail(self) -> str:
        parts = []
        for log in self.logs:
            with contextlib.suppress(OSError):
                parts.append(f"--- {log.name}\n{log.read_text(errors='replace')[-3000:]}")
        return "\n".join(parts)


def _get(url: str, context: ssl.SSLContext | None = None) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=3, context=context) as response:
            return int(response.status), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _wait(check: Any, what: str, stack: Stack) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        for process in stack.processes:
            if process.poll() is not None:
                pytest.fail(f"a process ended while waiting for {what}:\n{stack.tail()}")
        with contextlib.suppress(OSError, ValueError):
            if check():
                return
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}:\n{stack.tail()}")


@pytest.fixture
def stack(redis_url: str, tmp_path: Path) -> Iterator[Stack]:
    nginx = nginx_binary()
    if nginx is None:
        pytest.skip("nginx is not installed (scripts/setup.sh --test installs it)")
    ports = {"plain": free_port(), "tls": free_port()}
    for n in range(1, PROCESSES + 1):
        ports[f"http{n}"] = free_port()
        ports[f"ws{n}"] = free_port()
    data_dir = tmp_path / "hub"
    build_world(load_site(SITE), data_dir / "world" / "hub.glb", quiet=True)
    proxy_dir = tmp_path / "nginx"
    proxy_dir.mkdir()
    cert, key = make_certificate(proxy_dir)
    site_config = proxy_dir / "hubtwin.conf"
    site_config.write_text(render_example(ports, cert, key), encoding="utf-8")
    main_config = proxy_dir / "nginx.conf"
    main_config.write_text(nginx_main_config(proxy_dir, site_config), encoding="utf-8")
    tls = ssl.create_default_context(cafile=str(cert))
    base = f"https://127.0.0.1:{ports['tls']}"
    logs = [tmp_path / f"process-{n}.log" for n in range(1, PROCESSES + 1)]
    logs.append(proxy_dir / "error.log")
    running = Stack(base, f"wss://127.0.0.1:{ports['tls']}", tls, logs)
    running.direct_http = [ports[f"http{n}"] for n in range(1, PROCESSES + 1)]
    env = dict(
        os.environ,
        HUBTWIN_SECRET=SECRET,
        HUBTWIN_LOG_LEVEL="info",
        HUBTWIN_TRUSTED_PROXIES="127.0.0.1",  # nginx, as the example tells
    )
    try:
        for n in range(1, PROCESSES + 1):
            command = [
                str(PROJECT_ROOT / ".venv" / "bin" / "hubtwin"),
                "serve",
                "--site",
                str(SITE),
                "--port",
                str(ports[f"http{n}"]),
                "--ws-port",
                str(ports[f"ws{n}"]),
                "--data-dir",
                str(data_dir),
                "--redis",
                redis_url,
                "--public-url",
                f"{base}/",
                "--public-ws-url",
                running.process_url(n),
            ]
            with logs[n - 1].open("wb") as log:
                running.processes.append(
                    subprocess.Popen(
                        command, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
                    )
                )
        for n in range(1, PROCESSES + 1):
            url = f"http://127.0.0.1:{ports[f'http{n}']}/healthz"
            _wait(lambda url=url: _get(url)[0] == 200, f"process {n} to be healthy", running)
        running.processes.append(
            subprocess.Popen(
                [nginx, "-p", str(proxy_dir), "-c", str(main_config), "-e", str(logs[-1])],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.STDOUT,
            )
        )
        _wait(lambda: _get(f"{base}/healthz", tls)[0] == 200, "the hub through nginx", running)
        yield running
    finally:
        for process in reversed(running.processes):
            stop_process(process)


def sign_in(stack: Stack, name: str) -> str:
    request = urllib.request.Request(
        f"{stack.base}/api/session",
        data=json.dumps({"name": name}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=5, context=stack.tls) as response:
        token: str = json.loads(response.read())["token"]
        return token


@dataclass
class Visitor:
    """One WebSocket visitor: where it ended up and what it was told on the way."""

    connection: ClientConnection
    url: str
    token: str
    joined: dict[str, Any]
    welcome: dict[str, Any]
    redirects: list[dict[str, Any]]


async def next_message(connection: ClientConnection) -> dict[str, Any]:
    """The next control message (snapshots are skipped)."""
    while True:
        frame = await asyncio.wait_for(connection.recv(), MESSAGE_TIMEOUT_S)
        if isinstance(frame, bytes) and frame[:1] == bytes((SNAPSHOT_TAG,)):
            continue
        message = msgpack.unpackb(frame)
        assert isinstance(message, dict), message
        return message


async def settled_position(
    connection: ClientConnection, sent: list[float], wait_s: float
) -> list[float]:
    """The position last sent, or the server's correction of it (``pose_fix``), after
    ``wait_s`` of reading what the server sends."""
    position = sent
    deadline = time.monotonic() + wait_s
    while (left := deadline - time.monotonic()) > 0:
        try:
            frame = await asyncio.wait_for(connection.recv(), left)
        except TimeoutError:
            break
        if isinstance(frame, bytes) and frame[:1] == bytes((SNAPSHOT_TAG,)):
            continue
        message = msgpack.unpackb(frame)
        if isinstance(message, dict) and message.get("t") == "pose_fix":
            position = [float(v) for v in message["pos"]]
    return position


async def visit(stack: Stack, url: str, token: str, resume: str | None = None) -> Visitor:
    """Connect at ``url``, say hello for the room (with ``resume``, if given) and follow
    redirects until joined, asking again while the room is being taken over, and through
    the shared ``/ws`` when an address does not answer (a redirect to a process that has
    just died), as the web client does."""
    redirects: list[dict[str, Any]] = []
    instance: int | None = None
    welcome: dict[str, Any] = {}
    hops = retries = 0  # redirects in a row (more than three is a loop), and retries
    deadline = time.monotonic() + TAKEOVER_TIMEOUT_S
    while hops <= 3 and time.monotonic() < deadline:
        try:
            connection = await connect(url, ssl=stack.tls, max_size=None, close_timeout=1)
        except (InvalidStatus, OSError):
            retries += 1
            hops = 0
            url = f"{stack.ws_base}/ws"
            await asyncio.sleep(0.5)
            continue
        hello: dict[str, Any] = {"t": "hello", "v": PROTOCOL_VERSION, "token": token}
        hello |= {"lang": "de", "appearance": {"color": "#336699", "shape": "capsule"}}
        hello["room"] = ROOM
        if instance is not None:
            hello["instance"] = instance
        if resume is not None:
            hello["resume"] = resume
        await connection.send(msgpack.packb(hello))
        while True:
            message = await next_message(connection)
            kind = message.get("t")
            if kind == "welcome":
                welcome = message
                resume = message.get("resume") or resume
            elif kind == "joined":
                return Visitor(connection, url, token, message, welcome, redirects)
            elif kind == "redirect":
                redirects.append(message)
                hops += 1
                assert message["room"] == ROOM
                instance = int(message["instance"])
                await connection.close()
                url = str(message["url"])
                break
            elif kind == "error" and message.get("code") == "room_unavailable":
                retries += 1
                await connection.close()
                await asyncio.sleep(0.5)
                break
            elif kind == "error":
                pytest.fail(f"the hub answered hello at {url} with {message}:\n{stack.tail()}")
    pytest.fail(f"not joined after {redirects} and {retries} retries:\n{stack.tail()}")


async def test_visitors_through_nginx_meet_in_one_room_on_its_owner(stack: Stack) -> None:
    process_urls = [stack.process_url(n) for n in range(1, PROCESSES + 1)]
    first = await visit(stack, f"{stack.ws_base}/ws", sign_in(stack, "Erste"))
    assert first.joined["room"] == ROOM
    owner_urls = {r["url"] for r in first.redirects}
    assert owner_urls <= set(process_urls)

    # one visitor at each process's own address: the owner welcomes, the others redirect
    # to the owner's address, which the proxy must route to the owner
    others = [
        await visit(stack, url, sign_in(stack, f"Gast {n}")) for n, url in enumerate(process_urls)
    ]
    for other in others:
        assert other.joined["room"] == ROOM
        assert other.joined["instance"] == first.joined["instance"]
        assert other.joined["serial"] == first.joined["serial"]
        present = {p["session"] for p in other.joined["presence"]}
        assert first.welcome["session"] in present
    redirected = [o for o in others if o.redirects]
    stayed = [o for o in others if not o.redirects]
    assert len(stayed) == 1 and len(redirected) == PROCESSES - 1
    owner = stayed[0].url
    assert {r["url"] for o in redirected for r in o.redirects} == {owner}
    assert all(o.url == owner for o in redirected)
    assert owner_urls <= {owner}

    # and the first visitor sees them come in
    entered: set[str] = set()
    deadline = time.monotonic() + MESSAGE_TIMEOUT_S
    while len(entered) < len(others) and time.monotonic() < deadline:
        message = await next_message(first.connection)
        if message.get("t") == "presence_join":
            entered.add(str(message["session"]))
    assert entered == {o.welcome["session"] for o in others}
    for visitor in [first, *others]:
        await visitor.connection.close()


async def test_when_the_owner_dies_visitors_come_back_through_the_shared_address(
    stack: Stack,
) -> None:
    first = await visit(stack, stack.process_url(1), sign_in(stack, "Erste"))
    second = await visit(stack, stack.process_url(2), sign_in(stack, "Zweite"))
    owner = first.url
    assert second.url == owner
    # the first steps aside; the owner saves where people stand about once a second
    x, y, z = first.joined["pose"]["pos"]
    position = [x + 0.5, y, z]
    for step in range(1, 6):  # at a walking pace, so no step is cut short
        await first.connection.send(encode_pose(step, x + 0.1 * step, y, z, 0.0, 0.0))
        await asyncio.sleep(0.1)
    # where the server put them: the step, unless furniture next to the spawn point stopped it
    position = await settled_position(first.connection, position, 2.0)
    dying = stack.processes[int(owner.rsplit("/", 1)[1]) - 1]
    dying.kill()  # SIGKILL: no goodbye
    dying.wait()

    # both reconnect through /ws, which must skip the dead process, with their tokens and
    # resume keys
    started = time.monotonic()
    back = []
    for visitor in (first, second):
        resume = str(visitor.welcome["resume"])
        back.append(await visit(stack, f"{stack.ws_base}/ws", visitor.token, resume))
    took = time.monotonic() - started
    first_again, second_again = back
    assert first_again.url != owner and second_again.url != owner
    assert first_again.joined["room"] == ROOM
    assert first_again.joined["serial"] == second_again.joined["serial"]
    assert first_again.joined["pose"]["pos"] == pytest.approx(position, abs=0.05)
    present = {p["name"] for p in second_again.joined["presence"]}
    assert {"Erste", "Zweite"} <= present
    assert took < TAKEOVER_TIMEOUT_S
    for visitor in (first, second, *back):
        await visitor.connection.close()


def sign_in_from(
    stack: Stack, source: str, *, forwarded: str | None = None, port: int | None = None
) -> int:
    """A guest sign-in from the loopback address ``source``: through nginx, or straight to
    a process's own ``port``. Returns the status."""
    if port is None:
        tls_port = int(stack.base.rsplit(":", 1)[1])
        connection: http.client.HTTPConnection = http.client.HTTPSConnection(
            "127.0.0.1", tls_port, context=stack.tls, timeout=5, source_address=(source, 0)
        )
    else:
        connection = http.client.HTTPConnection(
            "127.0.0.1", port, timeout=5, source_address=(source, 0)
        )
    headers = {"Content-Type": "application/json"}
    if forwarded is not None:
        headers["X-Forwarded-For"] = forwarded
    try:
        connection.request("POST", "/api/session", body=b'{"name": "Gast"}', headers=headers)
        return connection.getresponse().status
    finally:
        connection.close()


def test_visitors_behind_nginx_have_sign_in_limits_of_their_own(stack: Stack) -> None:
    """(And /metrics stays inside: not through the proxy, but on a process's own port.)"""
    # one visitor signs in until refused, forging a new X-Forwarded-For every time; the
    # processes take turns, each with its own buckets (20 at once)
    attempts = PROCESSES * 20 + 10
    statuses = [
        sign_in_from(stack, "127.0.0.2", forwarded=f"203.0.113.{n % 250 + 1}")
        for n in range(attempts)
    ]
    assert 429 in statuses, f"never limited in {attempts} sign-ins:\n{stack.tail()}"
    assert set(statuses) == {200, 429}
    # another visitor behind the same proxy is not affected
    assert [sign_in_from(stack, "127.0.0.3") for _ in range(3)] == [200, 200, 200]

    # straight at a process from an address that is not a trusted proxy, a forged
    # X-Forwarded-For is ignored: the sign-ins count as that address
    port = stack.direct_http[0]
    direct = [
        sign_in_from(stack, "127.0.0.4", forwarded=f"198.51.100.{n + 1}", port=port)
        for n in range(25)
    ]
    assert direct[:20] == [200] * 20
    assert 429 in direct[20:]

    assert _get(f"{stack.base}/metrics", stack.tls)[0] == 404
    assert _get(f"http://127.0.0.1:{stack.direct_http[0]}/metrics")[0] == 200
