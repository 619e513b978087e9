"""Shared fixtures of the world tests: the Dortmund hub built once into a temporary folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from world.builder import BuildReport, build_site
from world.model import World, load


@pytest.fixture(scope="session")
def hub_build(tmp_path_factory: pytest.TempPathFactory) -> BuildReport:
    """A fresh build of the default site (not the one in var/, so the builder really runs)."""
    return build_site(None, tmp_path_factory.mktemp("world") / "hub.glb", force=True)


@pytest.fixture(scope="session")
def hub_path(hub_build: BuildReport) -> Path:
    return hub_build.path


@pytest.fixture(scope="session")
def hub(hub_path: Path) -> World:
    return load(hub_path)


TINY_SITE = """
[site]
id = "tiny-hub"
languages = ["de", "en"]

[branding]
name = { de = "Kleiner Hub", en = "Tiny hub" }
short_name = "Tiny"
"""

TINY_BUILDING = """
[building]
name = { de = "Kleiner Hub", en = "Tiny hub" }
ground_margin = 4

[[rooms]]
id = "hall"
names = { de = "Halle", en = "Hall" }
kind = "foyer"
x = [0, 8]
z = [0, 6]
capacity = 10
spawns = 4

[[rooms]]
id = "garden"
names = { de = "Garten", en = "Garden" }
kind = "terrace"
x = [0, 8]
z = [6, 10]
capacity = 5
outdoor = true
spawns = 3

[[doors]]
rooms = ["hall", "garden"]
at = 4
width = 1.6
style = "glass"

[[windows]]
room = "hall"
side = "north"
count = 2

[[anchors]]
id = "hall-1"
kind = "station"
room = "hall"
at = [1.5, 1.5]
facing = "south"
title = { de = "Erste Station", en = "First station" }

[[anchors]]
id = "hall-screen"
kind = "screen"
room = "hall"
at = [4, 0.2]
elevation = 1.8
size = [2.4, 1.35]

[[furniture]]
type = "table"
room = "hall"
at = [5.5, 3.5]
chairs = 4
"""


@pytest.fixture
def tiny_site(tmp_path: Path) -> Path:
    """A two-room site folder (a hall and a garden) that builds in well under a second."""
    site = tmp_path / "tiny-hub"
    site.mkdir()
    (site / "site.toml").write_text(TINY_SITE, encoding="utf-8")
    (site / "building.toml").write_text(TINY_BUILDING, encoding="utf-8")
    return site
