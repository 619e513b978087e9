"""Station content saved through one of two real ``hubtwin serve --redis`` processes (a real
redis-server between them) is live for visitors of the other within seconds, both ways: the
saving process posts it on the hub-wide bus and the other reads its stations again from the
site folder they share. Without the bus event the other process would answer 404 (or the old
text) until it is restarted."""

from __future__ import annotations

import json
import shutil
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hub_processes import HubProcess, token

from server.base.identity import Role
from world.builder import build_world
from world.site import PROJECT_ROOT, load_site

pytestmark = pytest.mark.scale

ANCHOR = "hall-1"
LIVE_WITHIN_S = 20.0
STARTED_WITHIN_S = 150.0
STATION = f"""
[[anchors]]
id = "{ANCHOR}"
kind = "station"
room = "hall"
at = [5, 5]
facing = "south"
"""


def form(title_de: str, title_en: str) -> dict[str, Any]:
    return {
        "topic": "general",
        "reviewed": "2026-12-01",
        "title": {"de": title_de, "en": title_en},
        "intro": {"de": "Kurz erklärt.", "en": "In short."},
        "body": {"de": "## Worum es geht\n\nUm Wärme.\n", "en": "## What it is about\n\nHeat.\n"},
        "sources": [{"publisher": "Stadt Dortmund", "title": "Wärmeplan", "year": 2025}],
    }


@pytest.fixture(scope="module")
def station_site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The bench hall with one placed learning station that has no content yet."""
    folder = tmp_path_factory.mktemp("content-cluster-site")
    site = folder / "site"
    shutil.copytree(PROJECT_ROOT / "bench" / "bench-hall", site)
    with (site / "building.toml").open("a", encoding="utf-8") as building:
        building.write(STATION)
    world = folder / "world"
    build_world(load_site(site), world / "hub.glb", quiet=True)
    return site, world


@pytest.fixture
def hubs(
    redis_url: str, station_site: tuple[Path, Path], tmp_path: Path
) -> Iterator[list[HubProcess]]:
    site = Path(shutil.copytree(station_site[0], tmp_path / "site"))  # the test writes it
    started = []
    for n in range(2):
        place = tmp_path / f"process-{n}"
        place.mkdir()
        started.append(HubProcess(site, station_site[1], place, redis_url))
    for hub in started:
        hub.start()
    for hub in started:
        hub.wait_ready(timeout_s=STARTED_WITHIN_S)  # a loaded machine starts them slowly
    yield started
    for hub in started:
        hub.stop()


def call(hub: HubProcess, method: str, path: str, who: str | None, body: Any = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(hub.http_url.rstrip("/") + path, data=data, method=method)
    if who is not None:
        request.add_header("Authorization", f"Bearer {who}")
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def title_seen(hub: HubProcess) -> str | None:
    """The station's English title as a visitor of ``hub`` gets it (None: not served)."""
    status, station = call(hub, "GET", f"/api/stations/{ANCHOR}?lang=en", None)
    if status == 404:
        return None
    assert status == 200, station
    return str(station["title"])


def until_seen(hub: HubProcess, title: str) -> float:
    """Seconds until a visitor of ``hub`` gets ``title`` (fails after LIVE_WITHIN_S)."""
    started = time.monotonic()
    seen = None
    while time.monotonic() - started < LIVE_WITHIN_S:
        seen = title_seen(hub)
        if seen == title:
            return time.monotonic() - started
        time.sleep(0.1)
    raise AssertionError(
        f"{hub.http_url} still shows {seen!r}, not {title!r}:\n{hub.log()[-3000:]}"
    )


@pytest.mark.timeout(420)
def test_content_saved_in_one_process_is_live_in_the_other(hubs: list[HubProcess]) -> None:
    first, second = hubs
    staff = token("chefin", Role.STAFF)
    assert title_seen(first) is None and title_seen(second) is None

    status, saved = call(
        first, "PUT", f"/api/station-content/{ANCHOR}", staff, {"content": form("Wärme", "Heat")}
    )
    assert status == 200 and saved["live"] is True, saved
    assert title_seen(first) == "Heat"  # the saving process at once
    until_seen(second, "Heat")

    # and the other way round: an edit through the second reaches the first
    status, saved = call(
        second,
        "PUT",
        f"/api/station-content/{ANCHOR}",
        staff,
        {"content": form("Wärmeplanung", "Heat planning")},
    )
    assert status == 200, saved
    assert title_seen(second) == "Heat planning"
    until_seen(first, "Heat planning")
