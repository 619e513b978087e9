"""Tokens and accounts against a real ``hubtwin serve`` (one process, SQLite) over real
sockets: revocation on HTTP and WebSocket (erasure, signing out everywhere, a ban, account
changes from the command line), staff tokens that live shorter and are renewed, one
session per identity, and a flooding connection's place freed at once."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgpack
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from server.base.identity import Identity, Role
from server.base.tokens import TokenSigner
from server.protocol.table import PROTOCOL_VERSION, SNAPSHOT_TAG
from world.builder import build_world
from world.site import PROJECT_ROOT, load_site

SECRET = "token-revocation-test-secret-0123456789"
ROOM_CAPACITY = 80
REFRESH_S = 0.5
PASSWORD = "ein-gutes-passwort"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Hub:
    http: str
    ws: str
    data: Path
    site: Path
    process: subprocess.Popen[bytes]

    def hubtwin(self, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "server.app.cli",
                "accounts",
                "--site",
                str(self.site),
                "--data-dir",
                str(self.data),
                *args,
            ],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            cwd=PROJECT_ROOT,
        )

    def add_account(self, username: str, role: str) -> None:
        made = self.hubtwin(
            "add",
            username,
            "--name",
            username.title(),
            "--role",
            role,
            "--password-stdin",
            stdin=PASSWORD + "\n",
        )
        assert made.returncode == 0, made.stderr


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    folder = tmp_path_factory.mktemp("revocation")
    site = folder / "site"
    shutil.copytree(PROJECT_ROOT / "bench" / "bench-hall", site)
    building = site / "building.toml"
    text = building.read_text(encoding="utf-8")
    building.write_text(
        text.replace("capacity = 40", f"capacity = {ROOM_CAPACITY}"), encoding="utf-8"
    )
    data = folder / "data"
    build_world(load_site(site), data / "world" / "hub.glb", quiet=True)
    http_port, ws_port = free_port(), free_port()
    env = dict(
        os.environ,
        HUBTWIN_SECRET=SECRET,
        HUBTWIN_LOG_LEVEL="warning",
        HUBTWIN_RECONNECT_GRACE_S="60",
        HUBTWIN_REVOCATION_REFRESH_S=str(REFRESH_S),
    )
    log = (folder / "server.log").open("wb")
    process = subprocess.Popen(
        [
            str(PROJECT_ROOT / ".venv" / "bin" / "hubtwin"),
            "serve",
            "--site",
            str(site),
            "--port",
            str(http_port),
            "--ws-port",
            str(ws_port),
            "--data-dir",
            str(data),
        ],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    running = Hub(
        f"http://127.0.0.1:{http_port}/", f"ws://127.0.0.1:{ws_port}/ws", data, site, process
    )
    deadline = time.monotonic() + 60
    while True:
        assert process.poll() is None, (folder / "server.log").read_text()[-3000:]
        assert time.monotonic() < deadline, "hubtwin serve did not become healthy"
        try:
            if call(running, "GET", "healthz")[0] == 200:
                break
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    yield running
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    log.close()


def call(
    hub: Hub, method: str, path: str, body: Any = None, token: str | None = None
) -> tuple[int, dict[str, Any]]:
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(hub.http + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def sign_in(hub: Hub, **body: Any) -> dict[str, Any]:
    status, session = call(hub, "POST", "api/session", body)
    assert status == 200, session
    return session


def guest_token(name: str) -> str:
    """A guest token as a load generator makes them (the sign-in route is rate-limited)."""
    identity = Identity(f"g-{name}-{time.monotonic_ns()}", name, Role.VISITOR, guest=True)
    return TokenSigner(SECRET).issue(identity, ttl_s=3600, now=time.time())


def wait_for(condition: Any, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


class Person:
    """One WebSocket connection that reads everything in the background."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.messages: list[dict[str, Any]] = []
        self.arrived = asyncio.Event()
        self.reader = asyncio.create_task(self._read())

    @classmethod
    async def hello(cls, hub: Hub, token: str, **fields: Any) -> Person:
        person = cls(await connect(hub.ws, max_size=None, open_timeout=10))
        await person.send(
            "hello",
            v=PROTOCOL_VERSION,
            token=token,
            lang="en",
            appearance={"color": "#336699", "shape": "capsule"},
            **fields,
        )
        return person

    async def _read(self) -> None:
        try:
            async for frame in self.ws:
                if isinstance(frame, bytes) and frame[:1] != bytes((SNAPSHOT_TAG,)):
                    self.messages.append(msgpack.unpackb(frame))
                    self.arrived.set()
        except ConnectionClosed:
            pass
        finally:
            self.arrived.set()

    async def send(self, kind: str, **fields: Any) -> None:
        await self.ws.send(msgpack.packb({"t": kind, **fields}))

    async def expect(self, *kinds: str, timeout_s: float = 10.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout_s
        while True:
            for message in self.messages:
                if message["t"] in kinds:
                    self.messages.remove(message)
                    return message
            left = deadline - time.monotonic()
            if left <= 0 or self.reader.done():
                raise AssertionError(f"no {kinds}: {[m['t'] for m in self.messages]}")
            self.arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.arrived.wait(), left)

    async def closed_with(self, timeout_s: float = 10.0) -> int | None:
        await asyncio.wait_for(asyncio.shield(self.reader), timeout_s)
        return self.ws.close_code

    async def close(self) -> None:
        """Leave with a bye (no place held), then close."""
        with contextlib.suppress(ConnectionClosed):
            await self.send("bye")
        await self.ws.close()
        await self.reader


@pytest.fixture
async def people() -> AsyncIterator[list[Person]]:
    made: list[Person] = []
    yield made
    for person in made:
        await person.close()


async def joined(hub: Hub, token: str, people: list[Person], **fields: Any) -> Person:
    person = await Person.hello(hub, token, **fields)
    people.append(person)
    await person.expect("welcome")
    await person.expect("joined")
    return person


async def refused(hub: Hub, token: str, people: list[Person]) -> tuple[str, int | None]:
    """A hello with ``token`` on a new connection: the error code and the close code."""
    person = await Person.hello(hub, token)
    people.append(person)
    error = await person.expect("error")
    return error["code"], await person.closed_with()


# --- revocation -----------------------------------------------------------------------------


async def test_an_erased_staff_token_is_refused_on_http_and_websocket(
    hub: Hub, people: list[Person]
) -> None:
    hub.add_account("erna", "staff")
    session = sign_in(hub, username="erna", password=PASSWORD)
    token = session["token"]
    # staff tokens live 12 hours, not a guest's 7 days
    assert abs(session["expires_at"] - (time.time() + 12 * 3600)) < 60
    live = await joined(hub, token, people)
    assert call(hub, "DELETE", "api/me", token=token)[0] == 200
    assert await live.closed_with() == 4010
    status, answer = call(hub, "GET", "api/me", token=token)
    assert (status, answer["error"]["code"]) == (401, "token_revoked")
    guest = sign_in(hub, name="Gast")
    ban = {"identity": guest["identity"]["id"], "name": "Gast", "hours": 1, "reason": "test"}
    assert call(hub, "POST", "api/moderation/bans", ban, token=token)[0] == 401
    assert call(hub, "GET", "api/moderation/bans", token=token)[0] == 401
    assert await refused(hub, token, people) == ("token_revoked", 4010)


async def test_an_erased_guest_token_does_not_bring_the_identity_back(
    hub: Hub, people: list[Person]
) -> None:
    first = sign_in(hub, name="Ada")
    token, identity = first["token"], first["identity"]["id"]
    assert call(hub, "DELETE", "api/me", token=token)[0] == 200
    again = sign_in(hub, name="Ada", token=token)
    assert again["identity"]["id"] != identity
    assert call(hub, "GET", "api/me/export", token=token)[0] == 401
    assert await refused(hub, token, people) == ("token_revoked", 4010)
    # nothing of the erased identity came back in the store
    fresh = call(hub, "GET", "api/me/export", token=again["token"])[1]
    assert fresh["identity"]["id"] == again["identity"]["id"]


async def test_a_banned_guest_token_cannot_read_its_export_nor_sign_in_again(
    hub: Hub, people: list[Person]
) -> None:
    hub.add_account("bert", "staff")
    staff = sign_in(hub, username="bert", password=PASSWORD)["token"]
    guest = sign_in(hub, name="Troll")
    token = guest["token"]
    assert call(hub, "GET", "api/me/export", token=token)[0] == 200
    live = await joined(hub, token, people)
    ban = {"identity": guest["identity"]["id"], "name": "Troll", "hours": 1, "reason": "spam"}
    assert call(hub, "POST", "api/moderation/bans", ban, token=staff)[0] == 201
    assert await live.closed_with() in (4009, 4010)
    wait_for(lambda: call(hub, "GET", "api/me/export", token=token)[0] == 401)
    status, answer = call(hub, "POST", "api/session", {"name": "Troll", "token": token})
    assert (status, answer["error"]["code"]) == (403, "banned")


async def test_signing_out_everywhere_closes_the_connection_and_stops_the_token(
    hub: Hub, people: list[Person]
) -> None:
    session = sign_in(hub, name="Bo")
    token = session["token"]
    live = await joined(hub, token, people)
    status, answer = call(hub, "POST", "api/me/sign-out-everywhere", token=token)
    assert (status, answer) == (200, {"signed_out": session["identity"]["id"]})
    assert await live.closed_with() == 4010
    assert call(hub, "GET", "api/me", token=token)[0] == 401
    # the same browser signs in again: a new identity, whose token works
    again = sign_in(hub, name="Bo", token=token)
    assert call(hub, "GET", "api/me", token=again["token"])[0] == 200


async def test_staff_renew_their_token_until_the_account_is_disabled(hub: Hub) -> None:
    hub.add_account("rena", "facilitator")
    token = sign_in(hub, username="rena", password=PASSWORD)["token"]
    status, renewed = call(hub, "POST", "api/session/renew", token=token)
    assert status == 200 and renewed["identity"]["role"] == "facilitator"
    assert abs(renewed["expires_at"] - (time.time() + 12 * 3600)) < 60
    assert call(hub, "GET", "api/me", token=renewed["token"])[0] == 200
    assert hub.hubtwin("disable", "rena").returncode == 0
    wait_for(lambda: call(hub, "POST", "api/session/renew", token=renewed["token"])[0] == 401)


async def test_account_commands_revoke_live_connections(hub: Hub, people: list[Person]) -> None:
    hub.add_account("kim", "facilitator")
    token = sign_in(hub, username="kim", password=PASSWORD)["token"]
    live = await joined(hub, token, people)

    disabled = hub.hubtwin("disable", "kim")
    assert disabled.returncode == 0, disabled.stderr
    assert "disabled" in disabled.stdout
    assert await live.closed_with() == 4010
    assert call(hub, "GET", "api/me", token=token)[0] == 401
    status, answer = call(hub, "POST", "api/session", {"username": "kim", "password": PASSWORD})
    assert (status, answer["error"]["code"]) == (403, "account_disabled")

    assert hub.hubtwin("enable", "kim").returncode == 0
    token = sign_in(hub, username="kim", password=PASSWORD)["token"]
    live = await joined(hub, token, people)
    reset = hub.hubtwin("reset-password", "kim", "--password-stdin", stdin="ganz-neues-pw\n")
    assert reset.returncode == 0, reset.stderr
    assert await live.closed_with() == 4010
    assert call(hub, "POST", "api/session", {"username": "kim", "password": PASSWORD})[0] == 401
    token = sign_in(hub, username="kim", password="ganz-neues-pw")["token"]

    live = await joined(hub, token, people)
    assert hub.hubtwin("remove", "kim").returncode == 0
    assert await live.closed_with() == 4010
    assert call(hub, "GET", "api/me/export", token=token)[0] == 401

    for args, code, words in (
        (("remove", "kim"), 4, "no account named 'kim'"),
        (("disable", "nobody"), 4, "no account named 'nobody'"),
        (("reset-password", "bert", "--password-stdin"), 2, "at least"),
    ):
        result = hub.hubtwin(*args, stdin="kurz\n")
        assert result.returncode == code, result.stderr
        assert words in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


# --- one identity, one session ----------------------------------------------------------------


def sessions_held(hub: Hub) -> int:
    return int(call(hub, "GET", "healthz")[1]["checks"]["realtime"]["sessions"])


async def test_a_second_hello_with_the_same_token_takes_the_session_over(
    hub: Hub, people: list[Person]
) -> None:
    wait_for(lambda: sessions_held(hub) == 0, timeout_s=15)
    token = guest_token("Twin")
    first = await Person.hello(hub, token, room="entrance")
    people.append(first)
    welcome = await first.expect("welcome")
    await first.expect("joined")
    second = await Person.hello(hub, token, room="entrance")
    people.append(second)
    taken = await second.expect("welcome")
    assert taken["session"] == welcome["session"] and taken["resumed"] is True
    assert (await second.expect("joined"))["via"] == "resume"
    assert (await first.expect("error"))["code"] == "replaced"
    assert await first.closed_with() == 4007
    assert sessions_held(hub) == 1
    # a third connection: still one session, held by the newest connection
    third = await Person.hello(hub, token)
    people.append(third)
    assert (await third.expect("welcome"))["session"] == welcome["session"]
    assert await second.closed_with() == 4007
    assert sessions_held(hub) == 1


async def test_a_flooding_connection_gives_its_place_up_at_once(
    hub: Hub, people: list[Person]
) -> None:
    wait_for(lambda: sessions_held(hub) == 0, timeout_s=15)
    crowd = await asyncio.gather(
        *(
            joined(hub, guest_token(f"P{n}"), people, room="entrance")
            for n in range(ROOM_CAPACITY - 1)
        )
    )
    assert len(crowd) == ROOM_CAPACITY - 1
    flooder = await Person.hello(hub, guest_token("Flood"), room="entrance")
    people.append(flooder)
    await flooder.expect("welcome")
    place = await flooder.expect("joined")
    assert (place["room"], place["instance"]) == ("entrance", 0)
    with contextlib.suppress(ConnectionClosed):
        for n in range(1000):
            await flooder.send("ping", c=float(n))
    assert await flooder.closed_with() == 4005
    # right after: the room has a place again (not held for the 60 s grace)
    late = await Person.hello(hub, guest_token("Late"), room="entrance")
    people.append(late)
    await late.expect("welcome")
    arrived = await late.expect("joined", "room_full", "queued")
    assert (arrived["t"], arrived.get("room"), arrived.get("instance")) == (
        "joined",
        "entrance",
        0,
    )


# --- the staff's accounts routes ----------------------------------------------------------------


async def test_the_accounts_routes_are_for_staff_and_refuse_clearly(hub: Hub) -> None:
    hub.add_account("sina", "staff")
    hub.add_account("finn", "facilitator")
    staff = sign_in(hub, username="sina", password=PASSWORD)["token"]
    facilitator = sign_in(hub, username="finn", password=PASSWORD)["token"]
    assert call(hub, "GET", "api/accounts", token=facilitator)[0] == 403
    assert call(hub, "POST", "api/accounts/finn/disable", token=facilitator)[0] == 403
    assert call(hub, "GET", "api/accounts")[0] == 401
    status, listed = call(hub, "GET", "api/accounts", token=staff)
    assert status == 200
    assert {"sina", "finn"} <= {a["username"] for a in listed["accounts"]}
    assert all("password_hash" not in a for a in listed["accounts"])
    for method, path, body, expected, code in (
        ("POST", "api/accounts/nobody/disable", None, 404, "account_unknown"),
        ("DELETE", "api/accounts/nobody", None, 404, "account_unknown"),
        ("POST", "api/accounts/sina/disable", None, 400, "field_invalid"),
        ("DELETE", "api/accounts/SINA", None, 400, "field_invalid"),
        ("POST", "api/accounts/finn/password", {"password": "kurz"}, 400, "field_invalid"),
        ("POST", "api/accounts/finn/password", {"password": 12345678}, 400, "field_invalid"),
        ("POST", "api/accounts/finn/advisor", {"advisor": "ja"}, 400, "field_invalid"),
        (
            "POST",
            "api/accounts",
            {"username": "neu", "name": "N", "role": "staff", "password": PASSWORD, "advisor": 1},
            400,
            "field_invalid",
        ),
        (
            "POST",
            "api/accounts",
            {"username": "finn", "name": "F", "role": "staff", "password": PASSWORD},
            409,
            "account_exists",
        ),
        (
            "POST",
            "api/accounts",
            {"username": "neu", "name": "N", "role": "visitor", "password": PASSWORD},
            400,
            "field_invalid",
        ),
    ):
        status, answer = call(hub, method, path, body, token=staff)
        assert (status, answer["error"]["code"]) == (expected, code), (path, answer)
    status, made = call(
        hub,
        "POST",
        "api/accounts",
        {"username": "neu", "name": "Neu", "role": "facilitator", "password": PASSWORD},
        token=staff,
    )
    assert status == 201 and made["account"]["role"] == "facilitator"
    assert sign_in(hub, username="neu", password=PASSWORD)["identity"]["name"] == "Neu"
