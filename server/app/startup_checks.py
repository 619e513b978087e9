"""What a hub process makes sure of before it starts anything: its data folder can be
written and its ports can be bound.

Each failure is a ``HubError`` whose one line names the folder or port and the flag or
environment variable that changes it, so ``hubtwin serve`` ends with that line and a
non-zero exit code instead of a traceback halfway through starting.
"""

from __future__ import annotations

import errno
import os
import socket
from pathlib import Path

from world.errors import HubError, UsageError

BACKLOG = 2048


class StartupError(HubError):
    """The hub cannot start as configured; the message says what to change."""

    exit_code = 4


def check_data_dir(path: Path) -> None:
    """Make the data folder if needed and prove it can be written."""
    fix = "choose another with --data-dir or HUBTWIN_DATA_DIR"
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / f".write-check-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except FileExistsError:
        raise StartupError(f"data folder {path}: a file is in the way; {fix}") from None
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise StartupError(f"data folder {path} cannot be written ({reason}); {fix}") from None


def _address(host: str, port: int) -> tuple[socket.AddressFamily, tuple[str, int]]:
    if host in ("", "::"):
        return socket.AF_INET6, ("::", port)
    try:
        found = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE | socket.AI_ADDRCONFIG
        )
    except socket.gaierror:
        raise UsageError(
            f"cannot listen on {host!r}: no such address on this machine"
            " (change it with --host or HUBTWIN_HOST)"
        ) from None
    found.sort(key=lambda entry: entry[0] != socket.AF_INET)  # IPv4 first, as browsers try
    family, _, _, _, sockaddr = found[0]
    return family, (str(sockaddr[0]), int(sockaddr[1]))


def bind_port(host: str, port: int, *, flag: str, env: str) -> socket.socket:
    """A listening TCP socket on ``host:port`` (0 picks a free port), or a clear error."""
    if not 0 <= port <= 65535:
        raise UsageError(f"port {port} is not a port number (0-65535); change it with {flag}")
    family, address = _address(host, port)
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6 and address[0] == "::":
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        sock.bind(address)
        sock.listen(BACKLOG)
        sock.setblocking(False)
    except OSError as exc:
        sock.close()
        where = f"{host}:{port}"
        if exc.errno == errno.EADDRINUSE:
            raise StartupError(
                f"port {port} is already in use (on {where}): stop what uses it, or choose"
                f" another port with {flag} or {env}"
            ) from None
        if exc.errno == errno.EACCES:
            raise StartupError(
                f"no permission to listen on port {port}: choose a port above 1023 with {flag}"
                f" or {env}"
            ) from None
        if exc.errno == errno.EADDRNOTAVAIL:
            raise UsageError(
                f"cannot listen on {host!r}: not an address of this machine"
                " (change it with --host or HUBTWIN_HOST)"
            ) from None
        raise StartupError(f"cannot listen on {where}: {exc.strerror or exc}") from None
    return sock
