"""A throwaway redis-server for the tests: its own port and folder, started and stopped by
its process id (never by name), restartable on the same port."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

READY_TIMEOUT_S = 10.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


class RedisProcess:
    """``redis-server --port P --save '' --appendonly no --dir TMP``, owned by a test."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = 0
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> None:
        """Start on a free port (or, after ``stop``, on the same port again)."""
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("redis-server is not installed: run scripts/setup.sh --test")
        for _ in range(5):
            port = self.port or free_port()
            log = (self.folder / "redis.log").open("ab")
            self._process = subprocess.Popen(
                [
                    binary,
                    "--port",
                    str(port),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--dir",
                    str(self.folder),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            log.close()
            deadline = time.monotonic() + READY_TIMEOUT_S
            while time.monotonic() < deadline and self._process.poll() is None:
                if _answers(port):
                    self.port = port
                    return
                time.sleep(0.02)
            self.stop()
            if self.port:  # a restart on a fixed port: wait for the port and try again
                time.sleep(0.2)
        raise RuntimeError(f"redis-server did not start; see {self.folder / 'redis.log'}")

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)

    def flush(self) -> None:
        with socket.create_connection(("127.0.0.1", self.port), timeout=2) as conn:
            conn.sendall(b"FLUSHALL\r\nSCRIPT FLUSH\r\n")
            answer = b""
            while answer.count(b"\r\n") < 2:
                answer += conn.recv(64)
        if answer != b"+OK\r\n+OK\r\n":
            raise RuntimeError(f"FLUSHALL answered {answer!r}")
