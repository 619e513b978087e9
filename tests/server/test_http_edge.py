"""The HTTP edge over real sockets, as ``hubtwin serve`` runs it (``http_runner``): the
client address behind trusted proxies, the cap on connections per address, the idle and
body timeouts, quiet answers to oversized heads, ``Range: bytes=-0`` on every file route,
the CSP on every HTML page, who may read ``/metrics``, no Host header in handed-out URLs.

Test clients bind loopback addresses of their own (127.0.0.2, 127.0.0.3 …) to be told apart.
"""

from __future__ import annotations

import asyncio
import json
import logging
import shutil
import time
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from server.base.client_address import AddressSet, client_address, parse_address
from server.base.settings import Settings, load_settings
from server.base.tokens import TokenSigner
from server.base.toml_text import toml_document
from server.domain.talks import TALK_FILE
from server.features.talks.http import add_talk_routes
from server.net.http_connections import http_runner
from server.store.sqlite import Store
from server.web.http import WEB_CLIENT_DIR, HttpContext, content_security_policy, make_http_app
from server.web.sessions import SessionIssuer
from world.errors import UsageError
from world.site import DEFAULT_SITE, load_site

SECRET = "edge-test-secret-of-enough-length"
METRICS_TOKEN = "metrics-token-for-the-test"
ANSWER_TIMEOUT_S = 10.0
TALK_ID = "randtest"


# --- the client address, without sockets -----------------------------------------------------


def test_a_forwarded_address_counts_only_from_a_trusted_proxy() -> None:
    proxies = AddressSet.parse(["127.0.0.1", "10.0.0.0/8"])
    assert client_address("127.0.0.1", ["198.51.100.7"], proxies) == "198.51.100.7"
    assert client_address("192.0.2.1", ["198.51.100.7"], proxies) == "192.0.2.1"
    assert client_address("127.0.0.1", [], proxies) == "127.0.0.1"


def test_hops_are_read_from_the_right_past_trusted_proxies_only() -> None:
    proxies = AddressSet.parse(["127.0.0.1", "10.0.0.0/8"])
    # the client wrote "1.2.3.4" itself; nginx appended the address it saw
    assert client_address("127.0.0.1", ["1.2.3.4, 198.51.100.7"], proxies) == "198.51.100.7"
    # a chain of trusted proxies: the first untrusted hop from the right
    chain = ["203.0.113.9, 198.51.100.7", "10.1.2.3"]
    assert client_address("127.0.0.1", chain, proxies) == "198.51.100.7"
    # every hop a proxy: the leftmost
    assert client_address("127.0.0.1", ["10.0.0.5, 10.0.0.6"], proxies) == "10.0.0.5"
    # a proxy that wrote garbage: counted as that proxy
    assert client_address("127.0.0.1", ["not-an-address"], proxies) == "127.0.0.1"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("198.51.100.2", "198.51.100.2"),
        ("198.51.100.2:8080", "198.51.100.2"),
        ("[2001:db8::1]:443", "2001:db8::1"),
        ("2001:db8::1", "2001:db8::1"),
        ("::ffff:192.0.2.5", "192.0.2.5"),
        ("nonsense", None),
    ],
)
def test_addresses_are_read_as_proxies_write_them(text: str, expected: str | None) -> None:
    address = parse_address(text)
    assert (None if address is None else str(address)) == expected


def test_address_settings_come_from_the_environment_and_are_checked() -> None:
    settings = load_settings(
        environ={
            "HUBTWIN_TRUSTED_PROXIES": "127.0.0.1, 10.0.0.0/8",
            "HUBTWIN_METRICS_ALLOW": "192.0.2.10",
            "HUBTWIN_METRICS_TOKEN": "t",
        }
    )
    assert settings.trusted_proxies == ("127.0.0.1", "10.0.0.0/8")
    assert settings.metrics_allow == ("192.0.2.10",)
    assert settings.metrics_token == "t"
    assert load_settings(environ={}).metrics_allow == ("127.0.0.0/8", "::1")
    with pytest.raises(UsageError, match=r"trusted_proxies: 'proxy\.example' is not an IP"):
        load_settings(environ={"HUBTWIN_TRUSTED_PROXIES": "proxy.example"})


# --- a served app ---------------------------------------------------------------------------


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def parse_answer(raw: bytes) -> Answer:
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return Answer(int(lines[0].split()[1]), headers, body)


class Edge:
    """The app behind ``http_runner`` on a free port of 127.0.0.1."""

    def __init__(self, port: int, world: Path, site_dir: Path) -> None:
        self.port = port
        self.world = world
        self.site_dir = site_dir

    async def connect(
        self, source: str = "127.0.0.2"
    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        return await asyncio.open_connection("127.0.0.1", self.port, local_addr=(source, 0))

    async def request(
        self,
        path: str,
        *,
        source: str = "127.0.0.2",
        method: str = "GET",
        headers: Iterable[tuple[str, str]] = (),
        body: bytes = b"",
    ) -> Answer:
        reader, writer = await self.connect(source)
        lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
        lines += [f"{name}: {value}" for name, value in headers]
        if body:
            lines.append(f"Content-Length: {len(body)}")
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        try:
            raw = await asyncio.wait_for(reader.read(), ANSWER_TIMEOUT_S)
        finally:
            writer.close()
        return parse_answer(raw)


def write_talk(site_dir: Path) -> Path:
    """A talk whose media file is a few bytes (the routes do not look inside)."""
    folder = site_dir / "talks" / TALK_ID
    folder.mkdir(parents=True)
    (folder / "media.webm").write_bytes(bytes(range(256)) * 8)
    record = {
        "format": 1,
        "title": {"de": "Randtest", "en": "Edge test"},
        "speaker": "Erika Mustermann",
        "date": "2025-03-14",
        "topics": ["klimabilanz"],
        "language": "de",
        "duration_s": 3.0,
        "media": {
            "file": "media.webm",
            "video_codec": "vp9",
            "audio_codec": "opus",
            "width": 320,
            "height": 240,
        },
    }
    (folder / TALK_FILE).write_text(toml_document(record), encoding="utf-8")
    return folder


ServeEdge = Callable[..., Any]


@pytest.fixture
async def serve(tmp_path: Path) -> AsyncIterator[ServeEdge]:
    """``await serve(**settings)`` starts the app with those settings."""
    store = await Store.open(tmp_path / "hub.sqlite3")
    site_dir = tmp_path / "site"
    (site_dir / "talks").mkdir(parents=True)
    for name in ("site.toml", "logo.svg"):
        shutil.copy(DEFAULT_SITE / name, site_dir / name)
    shutil.copy(DEFAULT_SITE / "talks" / "topics.toml", site_dir / "talks" / "topics.toml")
    write_talk(site_dir)
    world = tmp_path / "hub.glb"
    world.write_bytes(bytes(range(256)) * 40)
    runners: list[web.AppRunner] = []

    async def start(**overrides: Any) -> Edge:
        settings = replace(
            Settings(site=site_dir, data_dir=tmp_path / "data", secret=SECRET, ws_port=9999),
            **overrides,
        )

        async def health() -> dict[str, Any]:
            return {"ready": True, "checks": {}}

        context = HttpContext(
            settings=settings,
            site=load_site(site_dir),
            store=store,
            sessions=SessionIssuer(settings, TokenSigner(SECRET), store),
            world_file=lambda: world,
            world_digest=lambda: "abc123",
            protocol_version=7,
            protocol_description=lambda: {"version": 7, "messages": {}},
            ws_port=lambda: 9999,
            metrics=lambda: "# TYPE hubtwin_clients gauge\nhubtwin_clients 3\n",
            health=health,
        )
        runner = http_runner(make_http_app(context, [add_talk_routes]), settings)
        await runner.setup()
        runners.append(runner)
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        return Edge(site.port, world, site_dir)

    try:
        yield start
    finally:
        for runner in runners:
            await runner.cleanup()
        await store.close()


# --- pages and files ------------------------------------------------------------------------


def html_routes() -> list[str]:
    return ["/", *(f"/app/{page.name}" for page in sorted(WEB_CLIENT_DIR.glob("*.html")))]


@pytest.mark.parametrize("path", html_routes())
async def test_every_html_page_has_the_csp_that_forbids_framing(
    serve: ServeEdge, path: str
) -> None:
    edge = await serve()
    answer = await edge.request(path)
    assert answer.status == 200
    assert answer.headers["content-type"].startswith("text/html")
    csp = answer.headers["content-security-policy"]
    assert "frame-ancestors 'self'" in csp
    assert csp == content_security_policy(answer.body)  # its inline scripts by hash
    assert answer.headers["x-frame-options"] == "SAMEORIGIN"
    assert answer.headers["x-content-type-options"] == "nosniff"


def file_routes() -> list[str]:
    return [
        "/world/hub.glb",
        "/site/logo.svg",
        "/app/index.html",
        "/vendor/three/build/three.module.js",
        f"/talks/{TALK_ID}/media",
    ]


@pytest.mark.parametrize("path", file_routes())
async def test_an_empty_suffix_range_is_416_on_every_file_route(
    serve: ServeEdge, path: str
) -> None:
    edge = await serve()
    whole = await edge.request(path)
    assert whole.status == 200
    size = len(whole.body)
    answer = await edge.request(path, headers=[("Range", "bytes=-0")])
    assert answer.status == 416
    assert answer.headers["content-range"] == f"bytes */{size}"
    part = await edge.request(path, headers=[("Range", "bytes=-5")])
    assert part.status == 206
    assert part.body == whole.body[-5:]


async def test_an_oversized_head_is_431_with_one_quiet_log_line(
    serve: ServeEdge, caplog: pytest.LogCaptureFixture
) -> None:
    edge = await serve()
    caplog.set_level(logging.DEBUG)
    answer = await edge.request("/api/config", headers=[("X-Big", "a" * 20_000)])
    assert answer.status == 431
    assert answer.json()["error"]["code"] == "request_head_too_large"
    records = [r for r in caplog.records if r.levelno >= logging.INFO]
    assert len(records) == 1, [r.getMessage() for r in records]
    record = records[0]
    assert record.exc_info is None
    assert "127.0.0" not in record.getMessage()
    assert "127.0.0" not in json.dumps(record.__dict__, default=str)
    # the same connection-level answer for too many headers
    many = [(f"X-H{n}", "1") for n in range(200)]
    assert (await edge.request("/api/config", headers=many)).status == 431


# --- who is counted -------------------------------------------------------------------------


async def sign_in(edge: Edge, source: str, forwarded: str | None = None) -> int:
    headers = [("Content-Type", "application/json")]
    if forwarded is not None:
        headers.append(("X-Forwarded-For", forwarded))
    answer = await edge.request(
        "/api/session", source=source, method="POST", headers=headers, body=b'{"name": "Ada"}'
    )
    return answer.status


async def exhaust_sign_ins(edge: Edge, source: str, forwarded: Callable[[int], str | None]) -> int:
    """Sign in until refused (at most 60 times); the number that got through."""
    for n in range(60):
        status = await sign_in(edge, source, forwarded(n))
        if status == 429:
            return n
        assert status == 200
    pytest.fail("sign-ins were never limited")


async def test_sign_ins_behind_a_trusted_proxy_are_counted_per_forwarded_address(
    serve: ServeEdge,
) -> None:
    edge = await serve(trusted_proxies=("127.0.0.4",))
    allowed = await exhaust_sign_ins(edge, "127.0.0.4", lambda n: "198.51.100.1")
    assert allowed == 20  # the burst
    # another visitor behind the same proxy has a bucket of its own
    assert await sign_in(edge, "127.0.0.4", "198.51.100.2") == 200
    # a forged entry left of the proxy's own changes nothing
    assert await sign_in(edge, "127.0.0.4", "203.0.113.50, 198.51.100.1") == 429


async def test_a_forwarded_address_from_an_untrusted_peer_is_ignored(serve: ServeEdge) -> None:
    edge = await serve(trusted_proxies=("127.0.0.4",))
    # a fresh forged address on every request still counts as 127.0.0.2
    allowed = await exhaust_sign_ins(edge, "127.0.0.2", lambda n: f"198.51.100.{n + 1}")
    assert allowed == 20
    assert await sign_in(edge, "127.0.0.3") == 200


async def config_with_host(edge: Edge, host: str) -> Answer:
    reader, writer = await edge.connect()
    head = f"GET /api/config HTTP/1.1\r\nHost: {host}\r\nX-Forwarded-Host: {host}\r\n"
    writer.write(head.encode() + b"Connection: close\r\n\r\n")
    try:
        return parse_answer(await asyncio.wait_for(reader.read(), ANSWER_TIMEOUT_S))
    finally:
        writer.close()


@pytest.mark.parametrize(
    ("public_url", "expected"),
    [
        (None, "ws://127.0.0.1:9999/ws"),  # the address the connection reached
        ("https://hub.example.org/", "wss://hub.example.org:9999/ws"),
    ],
)
async def test_handed_out_urls_ignore_the_host_header(
    serve: ServeEdge, public_url: str | None, expected: str
) -> None:
    edge = await serve(public_url=public_url)
    forged = await config_with_host(edge, "evil.example")
    assert forged.status == 200
    assert forged.json()["ws_url"] == expected
    assert b"evil" not in forged.body


# --- /metrics -------------------------------------------------------------------------------


async def test_metrics_are_served_to_allowed_addresses_or_with_the_token(serve: ServeEdge) -> None:
    edge = await serve(metrics_allow=("127.0.0.1/32",), metrics_token=METRICS_TOKEN)
    outsider = await edge.request("/metrics", source="127.0.0.2")
    assert outsider.status == 403
    assert outsider.json()["error"]["code"] == "forbidden"
    assert b"hubtwin_clients" not in outsider.body
    wrong = await edge.request(
        "/metrics", source="127.0.0.2", headers=[("Authorization", "Bearer nope")]
    )
    assert wrong.status == 403
    with_token = await edge.request(
        "/metrics", source="127.0.0.2", headers=[("Authorization", f"Bearer {METRICS_TOKEN}")]
    )
    assert with_token.status == 200
    assert b"hubtwin_clients 3" in with_token.body
    allowed = await edge.request("/metrics", source="127.0.0.1")
    assert allowed.status == 200
    # from an allowed address, but forwarded by a proxy nobody said to trust
    proxied = await edge.request(
        "/metrics", source="127.0.0.1", headers=[("X-Forwarded-For", "203.0.113.9")]
    )
    assert proxied.status == 403


async def test_metrics_default_to_loopback_readers_only(serve: ServeEdge) -> None:
    edge = await serve(trusted_proxies=("127.0.0.1",))
    assert (await edge.request("/metrics", source="127.0.0.1")).status == 200
    # a visitor from outside reaching the hub through the (trusted) proxy
    outside = await edge.request(
        "/metrics", source="127.0.0.1", headers=[("X-Forwarded-For", "198.51.100.7")]
    )
    assert outside.status == 403


# --- connections ----------------------------------------------------------------------------


async def wait_closed(reader: asyncio.StreamReader, within_s: float) -> float:
    """Seconds until the server closed the connection (reading only what it sent)."""
    started = time.monotonic()
    deadline = started + within_s
    while time.monotonic() < deadline:
        try:
            data = await asyncio.wait_for(reader.read(65536), deadline - time.monotonic())
        except (TimeoutError, ConnectionResetError):
            break
        if not data:
            return time.monotonic() - started
    pytest.fail(f"the connection was still open after {within_s} s")


async def test_connections_per_address_are_capped_and_proxies_are_not(serve: ServeEdge) -> None:
    edge = await serve(http_max_connections_per_address=3, trusted_proxies=("127.0.0.4",))
    held = [await edge.connect("127.0.0.2") for _ in range(3)]
    # the connections are counted once the server has them: wait until a fourth is refused
    deadline = time.monotonic() + ANSWER_TIMEOUT_S
    refused = None
    while refused is None and time.monotonic() < deadline:
        reader, writer = await edge.connect("127.0.0.2")
        raw = await asyncio.wait_for(reader.read(), ANSWER_TIMEOUT_S)
        writer.close()
        if raw:
            refused = parse_answer(raw)
    assert refused is not None
    assert refused.status == 503
    assert refused.json()["error"]["code"] == "too_many_connections"
    # others are not affected, nor is a proxy that carries many visitors
    assert (await edge.request("/healthz", source="127.0.0.3")).status == 200
    proxy = [await edge.connect("127.0.0.4") for _ in range(5)]
    assert (await edge.request("/healthz", source="127.0.0.4")).status == 200
    # nor the machine itself (a local proxy not yet trusted, monitoring, load tests)
    local = [await edge.connect("127.0.0.1") for _ in range(5)]
    assert (await edge.request("/healthz", source="127.0.0.1")).status == 200
    # a connection given back makes room
    for _, writer in held[:1]:
        writer.close()
        await writer.wait_closed()
    deadline = time.monotonic() + ANSWER_TIMEOUT_S
    while time.monotonic() < deadline:
        answer = await edge.request("/healthz", source="127.0.0.2")
        if answer.status == 200:
            break
        await asyncio.sleep(0.05)
    assert answer.status == 200
    for _, writer in held[1:] + proxy + local:
        writer.close()


async def test_a_slow_or_idle_connection_is_closed_by_the_idle_timeout(serve: ServeEdge) -> None:
    edge = await serve(http_idle_timeout_s=1.0)
    # a head sent a byte at a time never completes: the timeout counts from the start
    reader, writer = await edge.connect()
    writer.write(b"GET /healthz HTTP/1.1\r\n")

    async def dribble() -> None:
        for _ in range(100):
            writer.write(b"X")
            await asyncio.sleep(0.1)

    dribbling = asyncio.create_task(dribble())
    took = await wait_closed(reader, within_s=8.0)
    dribbling.cancel()
    writer.close()
    assert took < 8.0
    # a kept-alive connection idle after its answer is closed too
    reader, writer = await edge.connect()
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    assert (await asyncio.wait_for(reader.readline(), ANSWER_TIMEOUT_S)).startswith(b"HTTP/1.1 200")
    await wait_closed(reader, within_s=8.0)
    writer.close()


async def test_a_slow_body_is_408(serve: ServeEdge) -> None:
    edge = await serve(http_body_timeout_s=0.5)
    reader, writer = await edge.connect()
    writer.write(
        b"POST /api/session HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b'Content-Length: 40\r\n\r\n{"name": '
    )
    answer = parse_answer(await asyncio.wait_for(reader.read(), ANSWER_TIMEOUT_S))
    writer.close()
    assert answer.status == 408
    assert answer.json()["error"]["code"] == "body_too_slow"


async def test_a_body_in_pieces_is_read_whole(serve: ServeEdge) -> None:
    edge = await serve()
    reader, writer = await edge.connect()
    body = '{"name": "Stückweise"}'.encode()
    writer.write(
        b"POST /api/session HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Connection: close\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n"
    )
    for piece in (body[:5], body[5:12], body[12:]):
        await writer.drain()
        await asyncio.sleep(0.05)
        writer.write(piece)
    answer = parse_answer(await asyncio.wait_for(reader.read(), ANSWER_TIMEOUT_S))
    writer.close()
    assert answer.status == 200
    assert answer.json()["identity"]["name"] == "Stückweise"
