"""The signs over the consulting corners follow a world version published while the hub
runs, in a real browser: visitor Ada is in the hub and sees the three corners' signs; staff
move corner 1, take corner 2 out and add corner 4 (a booth anchor in building.toml and a
corner in consulting.toml) and publish; without a restart or a reload of the page, Ada's
client loads the new world and the signs hang at the corners of the new version (corner 1's
a metre and more further, corner 2's gone, corner 4's there with its name), and the hub's
overview lists the new corners."""

from __future__ import annotations

import contextlib
import json
import math
import shutil
import urllib.request
from collections.abc import Iterator
from typing import Any

import conftest
import pytest
from conftest import HubServer, Visitors, copy_built, running_hub

from tools.layout_edits import LayoutEditor
from tools.world_publish import publish
from world.site import DEFAULT_SITE, load_site

pytestmark = pytest.mark.e2e

PUBLISH_MS = 180000
#: the hub on the copy loads the Dortmund model at start: given longer on a loaded machine
START_S = 240.0
ADDED_BOOTH = """
[[anchors]]
id = "consulting-4"
kind = "booth"
room = "consulting"
at = [6.0, 10.0]
facing = "west"
title = { de = "Beratung 4", en = "Consulting 4" }
"""
ADDED_CORNER = """
[[corners]]
anchor = "consulting-4"
names = { de = "Beratungsecke 4 (neu)", en = "Consulting corner 4 (new)" }
"""


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubServer]:
    """A hub of its own on a copy of the site: the test publishes new versions of it."""
    root = tmp_path_factory.mktemp("consulting-signs")
    site = shutil.copytree(DEFAULT_SITE, root / "site")
    data = root / "data"
    copy_built(data, talks=False)
    with contextlib.ExitStack() as running:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(conftest, "SERVER_START_TIMEOUT_S", START_S)
            server = running.enter_context(running_hub(data, "--site", str(site)))
        yield server


def corners(hub: HubServer) -> list[str]:
    with urllib.request.urlopen(hub.url + "api/consulting", timeout=10) as response:
        answer: dict[str, Any] = json.loads(response.read())
    return [corner["id"] for corner in answer["corners"]]


@pytest.mark.timeout(600)
def test_the_signs_follow_corners_moved_added_and_taken_out_by_a_publish(
    visitors: Visitors, hub: HubServer
) -> None:
    site_path = hub.data_dir.parent / "site"
    assert corners(hub) == ["consulting-1", "consulting-2", "consulting-3"]
    ada = visitors.new("Ada")
    ada.wait_for(
        "arg.every((id) => (s.consulting.signs[id] || []).length > 0)",
        ["consulting-1", "consulting-2", "consulting-3"],
    )
    before = ada.state()["consulting"]["signPlaces"]["consulting-1"]

    building = site_path / "building.toml"
    building.write_text(building.read_text(encoding="utf-8") + ADDED_BOOTH, encoding="utf-8")
    consulting = site_path / "consulting.toml"
    consulting.write_text(consulting.read_text(encoding="utf-8") + ADDED_CORNER, encoding="utf-8")
    site = load_site(site_path)
    LayoutEditor(site).move("consulting-1", at=(2.4, 3.6))
    LayoutEditor(site).remove("consulting-2")
    publish(site, hub.data_dir / "world", "Beratungsecken umgebaut")

    ada.wait_for("s.world.reloads >= 1", timeout_ms=PUBLISH_MS)
    ada.wait_for(
        "(s.consulting.signs['consulting-4'] || []).some((line) => line.includes(arg))",
        "Beratungsecke 4 (neu)",
        timeout_ms=30000,
    )
    state = ada.state()["consulting"]
    assert "consulting-2" not in state["signs"]
    assert sorted(state["signPlaces"]) == ["consulting-1", "consulting-3", "consulting-4"]
    after = state["signPlaces"]["consulting-1"]
    assert math.dist(before, after) == pytest.approx(1.4, abs=0.05)
    assert corners(hub) == ["consulting-1", "consulting-3", "consulting-4"]
    assert visitors.problems() == []
