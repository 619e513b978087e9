"""The coordination link: passwords kept out of logs, the reconnection backoff, and the
link's up/down state (logged once per change) against a real redis-server."""

from __future__ import annotations

import logging
import random
from collections.abc import Callable

import pytest
from redis_process import RedisProcess

from server.base.redis_link import Backoff, ClusterUnavailable, RedisLink, safe_url


def test_passwords_never_reach_logs() -> None:
    assert safe_url("redis://:geheim@10.0.0.5:6379/0") == "redis://:***@10.0.0.5:6379/0"
    assert safe_url("rediss://hub:geheim@redis.example.org/2") == (
        "rediss://hub:***@redis.example.org/2"
    )
    assert safe_url("redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/0"


def test_the_backoff_doubles_up_to_its_cap_with_jitter() -> None:
    backoff = Backoff(first_s=0.1, cap_s=1.0, rng=random.Random(7))
    waits = [backoff.next() for _ in range(8)]
    ceilings = [0.1, 0.2, 0.4, 0.8, 1.0, 1.0, 1.0, 1.0]
    assert all(c / 2 <= w <= c for w, c in zip(waits, ceilings, strict=True))
    backoff.reset()
    assert backoff.next() <= 0.1


def test_a_bad_url_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="not a Redis URL"):
        RedisLink("http://:geheim@example.org/")


@pytest.mark.scale
async def test_the_link_notices_redis_going_and_coming_back(
    private_redis: Callable[[], RedisProcess], caplog: pytest.LogCaptureFixture
) -> None:
    server = private_redis()
    link = RedisLink(server.url.replace("redis://", "redis://:@"))
    caplog.set_level(logging.INFO, logger="hubtwin.cluster")
    try:
        async with link.attempt():
            assert await link.client.ping()
        assert link.health()["redis"] == "ok"
        server.stop()
        for _ in range(3):
            with pytest.raises(ClusterUnavailable):
                async with link.attempt():
                    await link.client.ping()
        health = link.health()
        assert health["redis"] == "unreachable" and health["outages"] == 1
        assert health["down_for_s"] >= 0 and health["last_error"]
        assert caplog.text.count("redis unreachable") == 1  # once, not per failure
        server.start()
        async with link.attempt():
            assert await link.client.ping()
        assert link.health()["redis"] == "ok" and link.health()["down_for_s"] is None
        assert "redis reachable again" in caplog.text
    finally:
        await link.close()
