"""The hub's own Janus media server: its configuration and a supervised child process.

``hubtwin serve`` (unless voice is off or ``--janus`` names servers elsewhere) writes a
configuration of its own under ``<data>/janus/`` and runs ``janus`` as a child:

- only the VideoRoom plugin and the WebSocket transport are loaded;
- the API and the admin API listen on free ports of the loopback address only (or
  ``voice_janus_host``); every request needs the API secret, the admin API its own secret,
  and token authentication is on (the hub adds its token with the admin API's
  ``add_token``), so nobody but the hub can use this Janus at all;
- a small RTP port range of its own (``voice_rtp_ports`` consecutive free UDP ports), no
  STUN server, ICE only on ``voice_ice_enforce_list`` when set;
- the VideoRoom plugin needs an admin key to create rooms.

``JanusSupervisor`` starts it, waits until its API answers, restarts it when it dies
or hangs (``end_hung``, when the voice bridge's ping goes unanswered; with a growing
pause, up to ``MAX_BACKOFF_S``) and reports state, restarts and pid for
``/healthz`` and ``/metrics``. Each (re)start is announced to ``on_up`` so the voice bridge
connects again and sets up its rooms anew. Janus ends with the hub however the hub ends,
SIGKILL included (its parent-death signal), so no Janus outlives the hub that ran it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import shutil
import signal
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

#: After setpriv has set the parent-death signal, the shell checks that its parent is still
#: the hub (one killed between the fork and setpriv would never send the signal) and then
#: becomes Janus: ``sh -c GUARD guard <hub pid> janus ...``.
_PARENT_GUARD: Final = '[ "$PPID" = "$1" ] || exit 1; shift; exec "$@"'


def ends_with_the_hub(hub_pid: int) -> tuple[str, ...]:
    """The command prefix by which Janus gets SIGTERM when the hub process ends, however it
    ends (even by SIGKILL, which leaves the hub no chance to stop it): util-linux's setpriv
    sets the parent-death signal, a shell checks the hub is still its parent, and then
    becomes Janus (same process id throughout). Without setpriv, nothing."""
    if not shutil.which("setpriv"):
        return ()
    return ("setpriv", "--pdeathsig", "TERM", "sh", "-c", _PARENT_GUARD, "guard", str(hub_pid))


log = logging.getLogger("hubtwin.janus")

JANUS_LIB: Final = Path("/usr/lib/x86_64-linux-gnu/janus")
START_TIMEOUT_S: Final = 20.0
MAX_BACKOFF_S: Final = 10.0
RTP_SEARCH: Final = (20000, 60000)


@dataclass(frozen=True)
class JanusConfig:
    """What one Janus of the hub is configured with."""

    folder: Path
    host: str
    ws_port: int
    admin_port: int
    rtp_first: int
    rtp_last: int
    api_secret: str
    admin_secret: str
    admin_key: str
    ice_enforce_list: str = ""
    lib_folder: Path = JANUS_LIB

    @property
    def url(self) -> str:
        return f"ws://{_url_host(self.host)}:{self.ws_port}"

    @property
    def admin_url(self) -> str:
        return f"ws://{_url_host(self.host)}:{self.admin_port}"


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def free_tcp_port(host: str) -> int:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def free_udp_range(count: int, search: tuple[int, int] = RTP_SEARCH) -> tuple[int, int]:
    """``count`` consecutive UDP ports none of which is bound now, started at a random
    place so processes started together rarely pick the same range."""
    lo, hi = search
    for _ in range(200):
        first = lo + secrets.randbelow(hi - lo - count)
        held: list[socket.socket] = []
        try:
            for port in range(first, first + count):
                sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                held.append(sock)
                sock.bind(("0.0.0.0", port))
            return first, first + count - 1
        except OSError:
            continue
        finally:
            for sock in held:
                sock.close()
    raise RuntimeError(f"no {count} free UDP ports in {lo}-{hi}")


def make_config(
    folder: Path, *, host: str = "127.0.0.1", ice_enforce_list: str = "", rtp_ports: int = 40
) -> JanusConfig:
    """A configuration on free ports with fresh secrets (nothing written yet)."""
    first, last = free_udp_range(rtp_ports)
    return JanusConfig(
        folder=folder,
        host=host,
        ws_port=free_tcp_port(host),
        admin_port=free_tcp_port(host),
        rtp_first=first,
        rtp_last=last,
        api_secret=secrets.token_urlsafe(24),
        admin_secret=secrets.token_urlsafe(24),
        admin_key=secrets.token_urlsafe(24),
        ice_enforce_list=ice_enforce_list,
    )


def _q(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_config(config: JanusConfig) -> Path:
    """Write ``janus.jcfg`` and the plugin's and transport's files into ``config.folder``
    (mode 0700: the secrets are in there); returns the main file."""
    folder = config.folder
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)
    lib = config.lib_folder
    plugins = sorted(p.name for p in (lib / "plugins").glob("*.so"))
    transports = sorted(p.name for p in (lib / "transports").glob("*.so"))
    no_plugins = ",".join(p for p in plugins if p != "libjanus_videoroom.so")
    no_transports = ",".join(t for t in transports if t != "libjanus_websockets.so")
    rtp_range = _q(f"{config.rtp_first}-{config.rtp_last}")
    nat = ['ice_ignore_list = "vmnet"']
    if config.ice_enforce_list:
        nat.append(f"ice_enforce_list = {_q(config.ice_enforce_list)}")
    nat_lines = "\n".join("    " + line for line in nat)
    main = f"""general: {{
    configs_folder = {_q(str(folder))}
    plugins_folder = {_q(str(lib / "plugins"))}
    transports_folder = {_q(str(lib / "transports"))}
    events_folder = {_q(str(lib / "events"))}
    loggers_folder = {_q(str(lib / "loggers"))}
    debug_level = 3
    server_name = "hubtwin"
    api_secret = {_q(config.api_secret)}
    token_auth = true
    admin_secret = {_q(config.admin_secret)}
    session_timeout = 60
    hide_dependencies = true
}}
media: {{
    rtp_port_range = {rtp_range}
}}
nat: {{
{nat_lines}
}}
plugins: {{
    disable = {_q(no_plugins)}
}}
transports: {{
    disable = {_q(no_transports)}
}}
loggers: {{
    disable = "libjanus_jsonlog.so"
}}
events: {{
    broadcast = false
}}
"""
    videoroom = f"""general: {{
    admin_key = {_q(config.admin_key)}
    lock_rtp_forward = true
}}
"""
    websockets = f"""general: {{
    json = "plain"
    ws = true
    ws_port = {config.ws_port}
    ws_ip = {_q(config.host)}
    wss = false
}}
admin: {{
    admin_ws = true
    admin_ws_port = {config.admin_port}
    admin_ws_ip = {_q(config.host)}
    admin_wss = false
}}
"""
    files = {
        "janus.jcfg": main,
        "janus.plugin.videoroom.jcfg": videoroom,
        "janus.transport.websockets.jcfg": websockets,
    }
    for name, text in files.items():
        path = folder / name
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
    return folder / "janus.jcfg"


async def port_open(host: str, port: int) -> bool:
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(host, port), 1.0)
    except (OSError, TimeoutError):
        return False
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
    return True


class JanusSupervisor:
    """Runs one Janus as a child process and keeps it running (see the module docstring).

    >>> supervisor = JanusSupervisor(config, on_up=bridge.janus_up)   # doctest: +SKIP
    >>> await supervisor.start()                                      # doctest: +SKIP
    """

    def __init__(
        self,
        config: JanusConfig,
        *,
        binary: str = "janus",
        on_up: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.config = config
        self.binary = binary
        self.on_up = on_up
        self.state = "stopped"
        self.restarts = 0
        self.started_at: float | None = None
        self.process: asyncio.subprocess.Process | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._up = asyncio.Event()
        self.log_path = config.folder / "janus.log"

    @property
    def pid(self) -> int | None:
        return None if self.process is None else self.process.pid

    def available(self) -> bool:
        return shutil.which(self.binary) is not None

    async def start(self, *, wait: bool = True) -> None:
        """Write the configuration and start Janus; with ``wait``, until its API answers
        (or ``START_TIMEOUT_S`` passed: it keeps trying in the background)."""
        write_config(self.config)
        self._task = asyncio.create_task(self._run(), name="janus-supervisor")
        if wait:
            await self.wait_up(START_TIMEOUT_S)

    async def wait_up(self, timeout: float) -> bool:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._up.wait(), timeout)
        return self._up.is_set()

    async def _run(self) -> None:
        backoff = 0.5
        while not self._stopping:
            started = time.monotonic()
            try:
                await self._once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("janus could not be started")
            if self._stopping:
                break
            self.state = "restarting"
            self._up.clear()
            self.restarts += 1
            if time.monotonic() - started > 30:
                backoff = 0.5
            log.warning(
                "janus stopped; starting it again",
                extra={"restarts": self.restarts, "pause_s": backoff, "log": str(self.log_path)},
            )
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF_S)

    async def _once(self) -> None:
        config = self.config
        self.state = "starting"
        with self.log_path.open("ab") as out:
            self.process = await asyncio.create_subprocess_exec(
                *ends_with_the_hub(os.getpid()),
                self.binary,
                "-C",
                str(config.folder / "janus.jcfg"),
                "-F",
                str(config.folder),
                "-o",
                stdin=asyncio.subprocess.DEVNULL,
                stdout=out,
                stderr=asyncio.subprocess.STDOUT,
                start_new_session=True,
            )
        process = self.process
        deadline = time.monotonic() + START_TIMEOUT_S
        while process.returncode is None and time.monotonic() < deadline:
            if await port_open(config.host, config.ws_port) and await port_open(
                config.host, config.admin_port
            ):
                break
            await asyncio.sleep(0.1)
        if process.returncode is None and time.monotonic() < deadline:
            self.state = "running"
            self.started_at = time.time()
            log.info("janus running", extra={"pid": process.pid, "ws_port": config.ws_port})
            self._up.set()
            if self.on_up is not None:
                try:
                    await self.on_up()
                except Exception:
                    log.exception("voice bridge could not use the new janus")
        elif process.returncode is None:
            log.error("janus did not open its ports in time", extra={"log": str(self.log_path)})
            process.kill()
        await process.wait()

    def end_hung(self) -> None:
        """Janus stopped answering though its process lives: end it (SIGKILL reaches a
        stopped process too), and the supervisor starts it again as after a crash."""
        process = self.process
        if process is not None and process.returncode is None:
            log.warning("janus hangs; ending it", extra={"pid": process.pid})
            with contextlib.suppress(ProcessLookupError):
                process.kill()

    def health(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "pid": self.pid,
            "restarts": self.restarts,
            "url": self.config.url,
            "rtp_ports": f"{self.config.rtp_first}-{self.config.rtp_last}",
        }

    async def stop(self) -> None:
        self._stopping = True
        process = self.process
        if process is not None and process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), 5)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                await process.wait()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self.state = "stopped"
