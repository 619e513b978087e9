"""Offers across two real ``hubtwin serve --redis`` processes and a real redis-server: thirty
people sign up at the same moment for six seats, half through each process, and exactly six
get one; a staff edit made through one process is what the other answers at once; a sign-up
made through one is in the person's export through the other and gone after the erasure."""

from __future__ import annotations

import json
import shutil
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from hub_processes import HubProcess, small_site, start_processes, token

from server.base.identity import Role
from world.site import DEFAULT_SITE

pytestmark = pytest.mark.scale

OFFER = "handlungsplan-coaching"  # six seats
PEOPLE = 30


@pytest.fixture(scope="module")
def offer_site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder, world = small_site(tmp_path_factory.mktemp("offers-cluster-site"))
    shutil.copy(DEFAULT_SITE / "offers.toml", folder / "offers.toml")
    return folder, world


@pytest.fixture
def hubs(
    redis_url: str, offer_site: tuple[Path, Path], tmp_path: Path
) -> Iterator[list[HubProcess]]:
    started = start_processes(2, *offer_site, tmp_path, redis_url)
    yield started
    for hub in started:
        hub.stop()


def call(hub: HubProcess, method: str, path: str, who: str, body: Any = None) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(hub.http_url.rstrip("/") + path, data=data, method=method)
    request.add_header("Authorization", f"Bearer {who}")
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def signup(name: str) -> dict[str, Any]:
    return {"name": name, "contact": f"{name}@example.org", "consent": True}


def test_six_seats_and_six_waiting_for_thirty_through_two_processes(
    hubs: list[HubProcess],
) -> None:
    path = f"/api/offers/{OFFER}/signup"
    with ThreadPoolExecutor(PEOPLE) as pool:
        answers = list(
            pool.map(
                lambda n: call(hubs[n % 2], "POST", path, token(f"p{n}"), signup(f"p{n}")),
                range(PEOPLE),
            )
        )
    statuses = [status for status, _ in answers]
    # six seats and, as long as the seats, a waiting list of six
    assert statuses.count(201) == 12 and statuses.count(409) == PEOPLE - 12, statuses
    for hub in hubs:
        _, offer = call(hub, "GET", f"/api/offers/{OFFER}", token("anyone"))
        assert (offer["seats"], offer["taken"], offer["waiting"]) == (6, 6, 6)


def test_an_edit_and_a_person_s_data_on_both_processes(hubs: list[HubProcess]) -> None:
    staff = token("sven", Role.STAFF)
    _, offer = call(hubs[0], "GET", "/api/offers/foerderlotse", staff)
    offer.pop("taken")
    offer.pop("signed_up")
    status, _ = call(hubs[0], "PUT", "/api/offers/foerderlotse", staff, {**offer, "seats": 3})
    assert status == 200
    _, seen = call(hubs[1], "GET", "/api/offers/foerderlotse", staff)
    assert seen["seats"] == 3

    ina = token("ina")
    assert call(hubs[0], "POST", "/api/offers/foerderlotse/signup", ina, signup("ina"))[0] == 201
    _, exported = call(hubs[1], "GET", "/api/me/export", ina)
    assert [s["offer_id"] for s in exported["offer_signups"]] == ["foerderlotse"]
    assert call(hubs[1], "DELETE", "/api/me", ina)[0] == 200
    _, after = call(hubs[0], "GET", "/api/offers/foerderlotse", staff)
    assert after["taken"] == 0
