"""The hub's own Janus, for real: the configuration it is started with (secrets, token
authentication, loopback only, a small RTP range), and the supervision: a Janus killed
with SIGKILL is started again, the voice bridge connects to it again and /healthz and
/metrics say so; a Janus that hangs (SIGSTOP) is noticed by the hub's ping within seconds,
ended and started again; a hub process killed with SIGKILL takes its Janus with it."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from server.app.assembly import RunningHub, start_hub
from server.base.settings import Settings
from server.features.voice.janus_client import JanusError, JanusLink
from server.features.voice.janus_process import (
    JanusSupervisor,
    ends_with_the_hub,
    make_config,
    write_config,
)
from world.site import DEFAULT_SITE, PROJECT_ROOT

pytestmark = pytest.mark.skipif(shutil.which("janus") is None, reason="Debian package janus")
BUILT_WORLD = PROJECT_ROOT / "var" / "oekohub-dortmund" / "world"


async def until(condition: Callable[[], Awaitable[bool]], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not await condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


def test_the_configuration_keeps_janus_to_the_hub(tmp_path: Path) -> None:
    config = make_config(tmp_path / "janus", ice_enforce_list="veth-hub", rtp_ports=12)
    main = write_config(config).read_text()
    assert f'api_secret = "{config.api_secret}"' in main
    assert f'admin_secret = "{config.admin_secret}"' in main
    assert "token_auth = true" in main
    assert 'ice_enforce_list = "veth-hub"' in main
    assert f'rtp_port_range = "{config.rtp_first}-{config.rtp_last}"' in main
    assert config.rtp_last - config.rtp_first == 11
    assert "stun_server" not in main
    transport = (tmp_path / "janus" / "janus.transport.websockets.jcfg").read_text()
    assert 'ws_ip = "127.0.0.1"' in transport and 'admin_ws_ip = "127.0.0.1"' in transport
    plugin = (tmp_path / "janus" / "janus.plugin.videoroom.jcfg").read_text()
    assert config.admin_key in plugin
    assert (tmp_path / "janus").stat().st_mode & 0o077 == 0, "secrets readable by others"


async def test_a_killed_janus_comes_back(tmp_path: Path) -> None:
    config = make_config(tmp_path / "janus", rtp_ports=10)
    ups: list[float] = []

    async def up() -> None:
        ups.append(time.monotonic())

    supervisor = JanusSupervisor(config, on_up=up)
    await supervisor.start()
    try:
        assert supervisor.health()["state"] == "running"
        first = supervisor.pid
        assert first is not None
        stranger = await JanusLink.open(config.url)
        with pytest.raises(JanusError):
            await stranger.create_session()  # no secret, no token: refused
        await stranger.close()
        os.kill(first, signal.SIGKILL)

        async def back() -> bool:
            return supervisor.state == "running" and supervisor.pid not in (None, first)

        await until(back)
        assert supervisor.restarts == 1
        assert len(ups) == 2
        link = await JanusLink.open(config.url, api_secret=config.api_secret)
        assert await link.create_session() > 0
        await link.close()
    finally:
        await supervisor.stop()
    assert supervisor.process is not None and supervisor.process.returncode is not None


@pytest.fixture
async def hub(tmp_path: Path) -> AsyncIterator[RunningHub]:
    data = tmp_path / "data"
    if (BUILT_WORLD / "hub.glb").is_file():
        shutil.copytree(BUILT_WORLD, data / "world")
    settings = Settings(
        site=DEFAULT_SITE, data_dir=data, http_port=0, voice="janus", voice_rtp_ports=10
    )
    running = await start_hub(settings)
    try:
        yield running
    finally:
        if running.runner.server is not None:
            await running.close()


async def test_the_hub_supervises_its_janus_and_reports_it(hub: RunningHub) -> None:
    async with aiohttp.ClientSession() as http:

        async def voice() -> dict[str, Any]:
            async with http.get(hub.url + "healthz") as response:
                checks: dict[str, Any] = (await response.json())["checks"]
                return checks["voice"]

        async def voice_ok() -> bool:
            return (await voice())["state"] == "ok"

        await until(voice_ok)
        before = await voice()
        assert before["janus"]["state"] == "running" and before["janus"]["restarts"] == 0
        os.kill(before["janus"]["pid"], signal.SIGKILL)

        async def restarted() -> bool:
            state = await voice()
            return state["state"] == "ok" and state["janus"]["restarts"] == 1

        await until(restarted)
        after = await voice()
        assert after["janus"]["pid"] != before["janus"]["pid"]
        assert after["servers"][0]["lost"] == 1
        async with http.get(hub.url + "metrics") as response:
            text = await response.text()
        assert "hubtwin_voice_janus_up 1.0" in text
        assert "hubtwin_voice_janus_restarts_total 1.0" in text
    janus = hub.voice.supervisor if hub.voice is not None else None
    assert janus is not None
    process = janus.process
    await hub.close()
    assert process is not None and process.returncode is not None, "janus outlived the hub"


async def test_a_hung_janus_is_noticed_ended_and_started_again(hub: RunningHub) -> None:
    async with aiohttp.ClientSession() as http:

        async def voice() -> dict[str, Any]:
            async with http.get(hub.url + "healthz") as response:
                checks: dict[str, Any] = (await response.json())["checks"]
                return checks["voice"]

        async def voice_ok() -> bool:
            return (await voice())["state"] == "ok"

        await until(voice_ok)
        before = await voice()
        pid = before["janus"]["pid"]
        os.kill(pid, signal.SIGSTOP)
        try:
            stopped = time.monotonic()

            async def noticed() -> bool:
                return (await voice())["servers"][0]["hung"] == 1

            # the hub pings every 2 s and waits 2 s (the defaults); the WebSocket's own
            # ping would take about 40 s
            await until(noticed, timeout=10.0)
            took = time.monotonic() - stopped

            async def restarted() -> bool:
                state = await voice()
                return state["state"] == "ok" and state["janus"]["restarts"] == 1

            await until(restarted)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)
        after = await voice()
        assert after["janus"]["pid"] != pid
        assert after["servers"][0]["lost"] == 1
        assert took < 10.0
        assert gone(pid), "the hung Janus was not ended"


def gone(pid: int) -> bool:
    """The process has ended (an ended child nobody reaps counts: a zombie)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return True
    return "\nState:\tZ" in status


def test_a_killed_hub_process_takes_its_janus_with_it(tmp_path: Path) -> None:
    data = tmp_path / "data"
    if (BUILT_WORLD / "hub.glb").is_file():
        shutil.copytree(BUILT_WORLD, data / "world")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    hubtwin = PROJECT_ROOT / ".venv" / "bin" / "hubtwin"
    command = [str(hubtwin), "serve", "--port", str(port), "--data-dir", str(data)]
    with (tmp_path / "hub.log").open("wb") as log:
        hub = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        pid = None
        while pid is None:
            assert hub.poll() is None, (tmp_path / "hub.log").read_text()
            assert time.monotonic() < deadline, "the hub's Janus did not come up"
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz") as response:
                    janus = json.loads(response.read())["checks"]["voice"]["janus"]
                pid = janus["pid"] if janus["state"] == "running" else None
            except OSError:
                pass
            time.sleep(0.1)
        assert not gone(pid)
        hub.kill()  # SIGKILL: the hub cannot stop its Janus itself
        hub.wait()
        deadline = time.monotonic() + 10
        while not gone(pid):
            assert time.monotonic() < deadline, "janus outlived the hub process"
            time.sleep(0.05)
    finally:
        if hub.poll() is None:
            hub.kill()
            hub.wait()


@pytest.mark.skipif(shutil.which("setpriv") is None, reason="util-linux's setpriv")
def test_the_parent_death_guard_runs_janus_only_under_a_living_hub() -> None:
    """The command prefix runs the command when its parent is the hub it names; one whose
    hub is already gone (here: a parent that is not the one named) ends at once, since the
    parent-death signal, set too late, would never come."""
    under_the_hub = subprocess.run(
        [*ends_with_the_hub(os.getpid()), "echo", "running"],
        capture_output=True,
        text=True,
        timeout=10,
    )
    assert under_the_hub.returncode == 0, under_the_hub.stderr
    assert under_the_hub.stdout.startswith("running")
    orphaned = subprocess.run(
        [*ends_with_the_hub(os.getpid() + 1), "sleep", "30"],
        capture_output=True,
        text=True,
        timeout=10,
    )
    assert orphaned.returncode == 1


@pytest.mark.skipif(shutil.which("setpriv") is None, reason="util-linux's setpriv")
def test_janus_started_under_the_guard_has_the_parent_death_signal() -> None:
    """What Janus becomes keeps setpriv's parent-death signal through the shell's exec."""
    script = (  # prctl(PR_GET_PDEATHSIG, &signal)
        "import ctypes; v = ctypes.c_int(); ctypes.CDLL(None).prctl(2, ctypes.byref(v));"
        " print(v.value)"
    )
    shown = subprocess.run(
        [*ends_with_the_hub(os.getpid()), sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=10,
    )
    assert shown.returncode == 0, shown.stderr
    assert int(shown.stdout) == signal.SIGTERM
