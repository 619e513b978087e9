"""Shared fixtures of the world tests: the Dortmund hub built once into a temporary folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from tiny_site import TINY_BUILDING, TINY_SITE

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


@pytest.fixture
def tiny_site(tmp_path: Path) -> Path:
    """A two-room site folder (a hall and a garden) that builds in well under a second."""
    site = tmp_path / "tiny-hub"
    site.mkdir()
    (site / "site.toml").write_text(TINY_SITE, encoding="utf-8")
    (site / "building.toml").write_text(TINY_BUILDING, encoding="utf-8")
    return site
