"""Registration for a workshop with a seat limit across two real ``hubtwin serve --redis``
processes and a real redis-server: forty people register at the same moment, half through
each process, for seven seats; exactly seven hold a seat and the rest wait in one order
without gaps or ties, whichever process they asked."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from hub_processes import HubProcess, led_by_sven, processes_after_planning, token

from server.base.identity import Role

WORKSHOP_ID = "w-seats"
SEATS = 7
PEOPLE = 40


@pytest.fixture
def hubs(redis_url: str, site: tuple[Path, Path], tmp_path: Path) -> Iterator[list[HubProcess]]:
    """Two processes, started after the workshop was planned."""
    now = time.time()
    workshop = led_by_sven(
        WORKSHOP_ID,
        "Kleine Runde",
        "entrance",
        starts_at=now + 86400,
        ends_at=now + 86400 + 3600,
        seats=SEATS,
    )
    with processes_after_planning(workshop, redis_url, site, tmp_path) as started:
        yield started


def call(url: str, method: str, bearer: str) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(
        url, method=method, headers={"Authorization": f"Bearer {bearer}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_forty_at_once_through_two_processes_for_seven_seats(hubs: list[HubProcess]) -> None:
    path = f"api/workshops/{WORKSHOP_ID}/registration"
    people = [f"p{n:02d}" for n in range(PEOPLE)]
    with ThreadPoolExecutor(max_workers=PEOPLE) as pool:
        answers = list(
            pool.map(
                lambda n: call(hubs[n % 2].http_url + path, "POST", token(people[n])),
                range(PEOPLE),
            )
        )
    assert [status for status, _ in answers] == [201] * PEOPLE, answers
    seated = [a for _, a in answers if a["status"] == "registered"]
    waiting = sorted(a["position"] for _, a in answers if a["status"] == "waitlist")
    assert len(seated) == SEATS and waiting == list(range(1, PEOPLE - SEATS + 1))
    # both processes tell the same list, in the same order
    lists = [
        call(
            hub.http_url + f"api/workshops/{WORKSHOP_ID}/registrations",
            "GET",
            token("Sven", Role.STAFF),
        )
        for hub in hubs
    ]
    assert [status for status, _ in lists] == [200, 200]
    orders = [[p["identity_id"] for p in listing["people"]] for _, listing in lists]
    assert orders[0] == orders[1] and sorted(orders[0]) == sorted(f"id-{p}" for p in people)
    assert [p["status"] for p in lists[0][1]["people"]].count("registered") == SEATS
