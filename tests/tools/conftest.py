"""Shared fixtures of the staff-tool tests: a small site with one imported model."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from foreign_assets import cabinet_glb
from tools_site import write_site

from tools.asset_import import ImportOptions, ImportReport, import_asset
from world.site import load_site


@pytest.fixture(scope="session")
def imported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, ImportReport]:
    """A site whose library holds the foreign cabinet, imported once: (site, source, report)."""
    root = tmp_path_factory.mktemp("imported")
    site = write_site(root / "site")
    source = cabinet_glb(root / "cabinet.glb")
    report = import_asset(
        load_site(site), source, ImportOptions(name="cabinet", units="cm", up="z")
    )
    return site, source, report


@pytest.fixture
def site(imported: tuple[Path, Path, ImportReport], tmp_path: Path) -> Path:
    """A fresh copy of that site, library included, for a test to edit."""
    return Path(shutil.copytree(imported[0], tmp_path / "site"))


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"
