"""Several Janus servers for real: ``hubtwin serve --janus A --janus B`` with two Janus
processes the test starts (free ports, configured like the hub's own but run elsewhere),
and hand-written protocol clients over real sockets.

- the rooms are spread: the first room with people in voice goes to A, the next to B;
- A is killed with SIGKILL: its room moves to B (Janus B really holds both rooms then),
  the people who were on A are set up again there (a new ``gen``, ``voice_state ready``),
  the share on the room's screen is renewed there (the presenter is told to publish on a
  new ``gen``, the room sees it go on, never end), the person on B is left alone;
  ``/healthz`` and ``/metrics`` show A down and the room moved;
- A comes back: the hub connects to it again and the next new room goes there;
- A hangs (SIGSTOP: its process and its sockets stay, it answers nothing): the hub's own
  ping goes unanswered and A counts as lost within seconds (not the WebSocket ping's
  40 s), its room moves to B as for a dead one; A continued (SIGCONT) is taken back.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import signal
import subprocess
import time
import urllib.request
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import pytest
from conftest import HubServer, copy_built, running_hub
from test_voice import ProtocolClient

from server.base.identity import Role
from server.features.voice.janus_client import JanusLink
from server.features.voice.janus_process import JanusConfig, make_config, port_open, write_config

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.timeout(300),
    pytest.mark.skipif(shutil.which("janus") is None, reason="Debian package janus"),
]

SCREEN = "auditorium-screen"
T = TypeVar("T")


class Janus:
    """One Janus process run "elsewhere": API secret and admin key, no token list."""

    def __init__(self, folder: Path, ice_enforce_list: str = "") -> None:
        self.config: JanusConfig = make_config(
            folder, rtp_ports=10, ice_enforce_list=ice_enforce_list
        )
        main = write_config(self.config)
        main.write_text(main.read_text().replace("token_auth = true", "token_auth = false"))
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        c = self.config
        return f"{c.url}/?secret={c.api_secret}&admin_key={c.admin_key}"

    @property
    def name(self) -> str:
        return f"127.0.0.1:{self.config.ws_port}"

    def start(self) -> None:
        c = self.config
        with (c.folder / "janus.log").open("ab") as log:
            self.process = subprocess.Popen(
                ["janus", "-C", str(c.folder / "janus.jcfg"), "-F", str(c.folder), "-o"],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        until(lambda: apart(port_open(c.host, c.ws_port)), "janus did not open its port")

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def pause(self) -> None:
        """Janus hangs: stopped, its sockets open (``resume`` continues it)."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)

    def rooms(self) -> int:
        """How many VideoRooms this Janus holds (asked of Janus itself)."""

        async def ask() -> int:
            c = self.config
            link = await JanusLink.open(c.url, api_secret=c.api_secret)
            try:
                session = await link.create_session()
                handle = await link.attach(session)
                data, _ = await link.message(
                    session, handle, {"request": "list", "admin_key": c.admin_key}
                )
                return len(data.get("list") or [])
            finally:
                await link.close()

        return apart(ask())

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def apart(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to its end in a thread of its own (the browser tests' thread has an
    event loop of Playwright's)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def until(condition: Callable[[], Any], what: str, timeout_s: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


@pytest.fixture
def janus_pair(tmp_path: Path) -> Iterator[tuple[Janus, Janus]]:
    pair = (Janus(tmp_path / "janus-a"), Janus(tmp_path / "janus-b"))
    try:
        for janus in pair:
            janus.start()
        yield pair
    finally:
        for janus in pair:
            janus.stop()


@pytest.fixture
def hub(janus_pair: tuple[Janus, Janus], tmp_path: Path) -> Iterator[HubServer]:
    data = tmp_path / "hub-data"
    copy_built(data, talks=False)
    a, b = janus_pair
    with running_hub(data, "--janus", a.url, "--janus", b.url) as server:
        yield server


def voice(hub: HubServer) -> dict[str, Any]:
    with urllib.request.urlopen(hub.url + "healthz", timeout=5) as response:
        checks: dict[str, Any] = json.loads(response.read())["checks"]
    return checks["voice"]


def servers(hub: HubServer) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = voice(hub)["servers"]
    return found


def metrics(hub: HubServer) -> str:
    with urllib.request.urlopen(hub.url + "metrics", timeout=5) as response:
        text: str = response.read().decode()
    return text


def ready(client: ProtocolClient, above: int = 0) -> int:
    """Wait for ``voice_state ready`` with a gen above ``above``; its gen."""

    def found() -> int:
        gens = [
            m["gen"] for m in client.of("voice_state") if m["state"] == "ready" and m["gen"] > above
        ]
        return gens[-1] if gens else 0

    return int(until(found, f"voice not ready above gen {above}: {client.messages[-5:]}"))


def share_states(client: ProtocolClient) -> list[tuple[str | None, int, bool]]:
    return [(m["presenter"], m["gen"], m["live"]) for m in client.of("share_state")]


def test_rooms_move_to_the_other_janus_when_one_is_killed_and_it_takes_new_ones_back(
    hub: HubServer, janus_pair: tuple[Janus, Janus]
) -> None:
    a, b = janus_pair
    assert [s["url"] for s in servers(hub)] == [a.name, b.name]
    until(lambda: all(s["up"] for s in servers(hub)), "the hub did not connect to both")
    with (
        ProtocolClient(hub, "Alma", room="auditorium") as alma,
        ProtocolClient(hub, "Bruno", room="foyer") as bruno,
        ProtocolClient(hub, "Fee", Role.FACILITATOR, room="auditorium") as fee,
    ):
        # spread: the auditorium's room on A, the foyer's on B
        alma.send({"t": "voice", "on": True, "mic": False})
        first = ready(alma)
        until(lambda: [s["rooms"] for s in servers(hub)] == [1, 0], "auditorium not on A")
        bruno.send({"t": "voice", "on": True, "mic": False})
        bruno_gen = ready(bruno)
        until(lambda: [s["rooms"] for s in servers(hub)] == [1, 1], "foyer not on B")
        assert (a.rooms(), b.rooms()) == (1, 1)
        # a share on the auditorium's screen, in the same Janus room (on A)
        fee.send({"t": "share", "screen": SCREEN, "on": True})
        presenter, share_gen, _ = until(lambda: share_states(alma), "no share_state")[-1]
        assert presenter is not None
        bruno_states = len(bruno.of("voice_state"))

        a.kill()

        # Alma is set up again on B (a new gen), the share renewed there, never ended
        moved = ready(alma, above=first)
        renewed = until(
            lambda: [s for s in share_states(fee) if s[1] > share_gen], "share not renewed"
        )
        assert renewed[-1][0] == presenter and not renewed[-1][2]
        until(lambda: [s for s in share_states(alma) if s[1] > share_gen], "room not told")
        assert None not in [s[0] for s in share_states(alma)], "the share ended"
        health = until(
            lambda: (lambda s: s if s[0]["moved_away"] == 1 and s[1]["rooms"] == 2 else None)(
                servers(hub)
            ),
            f"the room did not move: {servers(hub)}",
        )
        assert health[0]["up"] is False and health[0]["lost"] == 1 and health[0]["rooms"] == 0
        assert health[1]["up"] is True and health[1]["lost"] == 0
        assert voice(hub)["state"] == "ok"
        assert b.rooms() == 2, "Janus B does not hold the moved room"
        text = metrics(hub)
        assert f'hubtwin_voice_janus_server_up{{server="{a.name}"}} 0.0' in text
        assert f'hubtwin_voice_janus_rooms{{server="{b.name}"}} 2.0' in text
        assert f'hubtwin_voice_rooms_moved_total{{server="{a.name}"}} 1.0' in text
        assert "hubtwin_voice_janus_up 1.0" in text
        # the person on B was left alone (no new set-up)
        assert len(bruno.of("voice_state")) == bruno_states
        assert ready(bruno) == bruno_gen
        assert moved > first

        # A comes back: the hub connects again and A takes the next new room
        a.start()
        until(lambda: servers(hub)[0]["up"], "the hub did not reconnect to A")
        with ProtocolClient(hub, "Carla", room="lounge") as carla:
            carla.send({"t": "voice", "on": True, "mic": False})
            ready(carla)
            until(lambda: servers(hub)[0]["rooms"] == 1, f"lounge not on A: {servers(hub)}")
            assert a.rooms() == 1


def test_a_janus_that_hangs_is_noticed_within_seconds_and_its_room_moves(
    hub: HubServer, janus_pair: tuple[Janus, Janus]
) -> None:
    a, b = janus_pair
    until(lambda: all(s["up"] for s in servers(hub)), "the hub did not connect to both")
    with ProtocolClient(hub, "Alma", room="auditorium") as alma:
        alma.send({"t": "voice", "on": True, "mic": False})
        first = ready(alma)
        until(lambda: [s["rooms"] for s in servers(hub)] == [1, 0], "auditorium not on A")
        a.pause()
        try:
            stopped = time.monotonic()
            # the hub pings every 2 s and waits 2 s for the answer (the defaults)
            until(lambda: not servers(hub)[0]["up"], "the hung Janus was not noticed", 10.0)
            noticed = time.monotonic() - stopped
            moved = ready(alma, above=first)
            health = until(
                lambda: (lambda s: s if s[1]["rooms"] == 1 else None)(servers(hub)),
                f"the room did not move: {servers(hub)}",
            )
            assert health[0]["hung"] == 1 and health[0]["lost"] == 1, health
            assert health[0]["rooms"] == 0 and health[0]["moved_away"] == 1, health
            assert b.rooms() == 1, "Janus B does not hold the moved room"
            assert moved > first
            assert noticed < 10.0
        finally:
            a.resume()
        # continued, it answers again and the hub takes it back
        until(lambda: servers(hub)[0]["up"], "the hub did not reconnect to A")
