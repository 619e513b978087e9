"""Fixtures for the Redis tests: one redis-server for the session (emptied before each
test) and a way to start private ones that a test may stop and restart; a small built site
per test module and two or three real hub processes on it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
from hub_processes import HubProcess, small_site, start_processes
from redis_process import RedisProcess

from server.base.redis_link import RedisLink
from server.base.redis_names import RedisNames


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisProcess]:
    server = RedisProcess(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_server: RedisProcess) -> str:
    """The shared redis-server, empty."""
    if not redis_server.running:
        redis_server.start()
    redis_server.flush()
    return redis_server.url


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[Callable[[], RedisProcess]]:
    """Start redis-servers of the test's own (to stop and restart); all stopped at the end."""
    started: list[RedisProcess] = []

    def start() -> RedisProcess:
        folder = tmp_path / f"redis-{len(started)}"
        folder.mkdir()
        server = RedisProcess(folder)
        server.start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
async def link(redis_url: str) -> AsyncIterator[RedisLink]:
    """A coordination link to the shared (emptied) redis-server."""
    opened = RedisLink(redis_url)
    yield opened
    await opened.close()


@pytest.fixture
def names() -> RedisNames:
    return RedisNames("scale-test")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A small site folder and its built world (``hub_processes.small_site``)."""
    return small_site(tmp_path_factory.mktemp("cluster-site"))


@pytest.fixture
def two(redis_url: str, site: tuple[Path, Path], tmp_path: Path) -> Iterator[list[HubProcess]]:
    """Two ``hubtwin serve --redis`` processes of one hub, stopped after the test."""
    hubs = start_processes(2, *site, tmp_path, redis_url)
    try:
        yield hubs
    finally:
        for hub in hubs:
            hub.stop()


@pytest.fixture
def three(redis_url: str, site: tuple[Path, Path], tmp_path: Path) -> Iterator[list[HubProcess]]:
    """Three processes of one hub, stopped after the test."""
    hubs = start_processes(3, *site, tmp_path, redis_url)
    try:
        yield hubs
    finally:
        for hub in hubs:
            hub.stop()
