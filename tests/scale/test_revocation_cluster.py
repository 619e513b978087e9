"""Revocation across the processes of one hub: two real ``hubtwin serve --redis`` processes,
a real redis-server, real WebSocket visitors. Signing out on one process closes the
connection another process holds at once (the ``revoked`` bus event: the store is read
again only every 10 minutes here), and ``hubtwin accounts --redis disable`` does the same
from the command line. A second hello on the process holding the person's session takes
it over, even when it asks for a room another process owns; one on another process takes it
over too (the ``session_live`` bus event closes the first with ``replaced``), whether it
starts afresh there or resumes the session there."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hub_processes import HubProcess, Visitor, start_processes, token

from server.base.redis_link import RedisLink
from server.base.redis_names import RedisNames
from server.cluster.grace_state import GraceStates
from world.site import PROJECT_ROOT

#: far longer than the test: only the bus can tell the other process in time
REFRESH_S = 600
#: what "at once" means here (bus batches go out every tick)
WITHIN_S = 3.0
PASSWORD = "ein-gutes-passwort"


@pytest.fixture
def hubs(
    redis_url: str,
    site: tuple[Path, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[list[HubProcess]]:
    monkeypatch.setenv("HUBTWIN_REVOCATION_REFRESH_S", str(REFRESH_S))
    started = start_processes(2, *site, tmp_path, redis_url)
    yield started
    for hub in started:
        hub.stop()


def call(url: str, method: str, body: Any = None, bearer: str | None = None) -> tuple[int, Any]:
    headers = {"Content-Type": "application/json"}
    if bearer is not None:
        headers["Authorization"] = f"Bearer {bearer}"
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def holder(hubs: list[HubProcess], visitor: Visitor) -> tuple[HubProcess, HubProcess]:
    """The process holding the visitor's connection, and the other one."""
    here = next(hub for hub in hubs if hub.ws_url == visitor.url)
    return here, next(hub for hub in hubs if hub is not here)


async def closed_within(visitor: Visitor, seconds: float) -> int | None:
    """The close code of a connection the server ends with ``token_revoked``."""
    assert visitor._reader is not None and visitor.connection is not None
    error = await visitor.next(("error",), timeout_s=seconds)
    assert error["code"] == "token_revoked"
    await asyncio.wait_for(asyncio.shield(visitor._reader), seconds)
    return visitor.connection.close_code


async def test_signing_out_on_one_process_closes_the_connection_on_the_other(
    hubs: list[HubProcess],
) -> None:
    ada = Visitor("Ada", token=token("Ada"))
    try:
        await ada.enter(hubs[1].ws_url, room="entrance")
        here, other = holder(hubs, ada)
        assert call(here.http_url + "api/me", "GET", bearer=ada.token)[0] == 200
        status, _ = call(other.http_url + "api/me/sign-out-everywhere", "POST", bearer=ada.token)
        assert status == 200
        assert await closed_within(ada, WITHIN_S) == 4010
        status, answer = call(here.http_url + "api/me", "GET", bearer=ada.token)
        assert (status, answer["error"]["code"]) == (401, "token_revoked")
        again = Visitor("Ada", token=ada.token)
        try:
            with pytest.raises(AssertionError, match="token_revoked"):
                await again.enter(here.ws_url)
        finally:
            await again.close()
    finally:
        await ada.close()


async def test_disabling_an_account_on_the_command_line_closes_its_connection_at_once(
    hubs: list[HubProcess], redis_url: str, site: tuple[Path, Path]
) -> None:
    site_folder = site[0]

    def accounts(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "server.app.cli",
                "accounts",
                "--site",
                str(site_folder),
                "--redis",
                redis_url,
                *args,
            ],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            cwd=PROJECT_ROOT,
        )

    made = accounts(
        "add", "kim", "--name", "Kim", "--role", "staff", "--password-stdin", stdin=PASSWORD + "\n"
    )
    assert made.returncode == 0, made.stderr
    status, session = call(
        hubs[0].http_url + "api/session", "POST", {"username": "kim", "password": PASSWORD}
    )
    assert status == 200, session
    kim = Visitor("Kim", token=session["token"])
    try:
        await kim.enter(hubs[1].ws_url, room="hall")
        disabled = accounts("disable", "kim")
        assert disabled.returncode == 0, disabled.stderr
        assert await closed_within(kim, WITHIN_S) == 4010
        for hub in hubs:
            assert call(hub.http_url + "api/me", "GET", bearer=kim.token)[0] == 401
    finally:
        await kim.close()


async def test_a_second_hello_on_the_process_holding_the_session_takes_it_over(
    hubs: list[HubProcess],
) -> None:
    first = Visitor("Twin", token=token("Twin"))
    second = Visitor("Twin", token=first.token)
    opener = Visitor("Opener")
    try:
        await first.enter(hubs[0].ws_url, room="entrance", instance=0)
        here, other = holder(hubs, first)
        # the hall's main instance is the other process's
        await opener.enter(other.ws_url, room="hall", instance=0)
        assert opener.url == other.ws_url
        # asked for that room: the session here takes the person back, no second one there
        await second.enter(here.ws_url, room="hall", instance=0)
        assert second.redirects == []
        assert second.welcome["session"] == first.session and second.welcome["resumed"] is True
        assert (await first.next(("error",)))["code"] == "replaced"
        assert call(here.http_url + "healthz", "GET")[1]["checks"]["realtime"]["sessions"] == 1
        assert call(other.http_url + "healthz", "GET")[1]["checks"]["realtime"]["sessions"] == 1
    finally:
        for visitor in (first, second, opener):
            await visitor.close()


def sessions_of(hub: HubProcess) -> int:
    return int(call(hub.http_url + "healthz", "GET")[1]["checks"]["realtime"]["sessions"])


async def replaced_within(visitor: Visitor, seconds: float) -> int | None:
    """The close code of a connection the server ends with ``replaced``."""
    assert visitor.connection is not None
    error = await visitor.next(("error",), timeout_s=seconds)
    assert error["code"] == "replaced", error
    await visitor.closed(seconds)
    return visitor.connection.close_code


async def test_a_second_hello_on_another_process_takes_the_session_over(
    hubs: list[HubProcess],
) -> None:
    first = Visitor("Twin", token=token("Twin"))
    second = Visitor("Twin", token=first.token)
    opener = Visitor("Opener")
    try:
        await first.enter(hubs[0].ws_url, room="entrance", instance=0)
        here, other = holder(hubs, first)
        await opener.enter(other.ws_url, room="hall", instance=0)
        assert opener.url == other.ws_url
        # the same token, a fresh hello (no resume key) on the process that owns the hall
        await second.enter(other.ws_url, room="hall", instance=0)
        assert second.url == other.ws_url and second.welcome["resumed"] is False
        assert await replaced_within(first, WITHIN_S) == 4007
        assert sessions_of(here) == 0, "the first session is still held"
        assert sessions_of(other) == 2
        # the one live session goes on: it hears the hall
        await opener.send("chat", text="Hallo Halle")
        assert (await second.next(("chat",), text="Hallo Halle"))["name"] == "Opener"
    finally:
        for visitor in (first, second, opener):
            await visitor.close()


async def state_written(redis_url: str, site: Path, resume: str) -> None:
    """Wait until the process holding a session has written its state to Redis."""
    link = RedisLink(redis_url)
    try:
        graces = GraceStates(link, RedisNames(site.name))
        deadline = time.monotonic() + 10
        while await graces.find(resume) is None:
            assert time.monotonic() < deadline, "the session's state was not written"
            await asyncio.sleep(0.1)
    finally:
        await link.close()


async def test_a_resumed_session_taken_on_another_process_goes_on_there(
    hubs: list[HubProcess], redis_url: str, site: tuple[Path, Path]
) -> None:
    first = Visitor("Wanda", token=token("Wanda"))
    second = Visitor("Wanda", token=first.token)
    opener = Visitor("Opener")
    try:
        await first.enter(hubs[0].ws_url, room="entrance", instance=0)
        here, other = holder(hubs, first)
        await opener.enter(other.ws_url, room="hall", instance=0)
        assert first.resume is not None
        # the process holding it writes its state each round; the other reads it from there
        await state_written(redis_url, site[0], first.resume)
        await second.enter(other.ws_url, room="hall", instance=0, resume=first.resume)
        assert second.url == other.ws_url
        assert second.welcome["resumed"] is True and second.session == first.session
        assert await replaced_within(first, WITHIN_S) == 4007
        assert sessions_of(here) == 0 and sessions_of(other) == 2
        # its state was left to the process that has it: a reconnection there resumes it
        resume = second.resume
        await second.close()
        await second.enter(other.ws_url, room="hall", instance=0, resume=resume)
        assert second.welcome["resumed"] is True and second.session == first.session
    finally:
        for visitor in (first, second, opener):
            await visitor.close()
