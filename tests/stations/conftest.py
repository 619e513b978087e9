"""Fixtures for the learning-station tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from station_files import SiteFolder


@pytest.fixture
def site_folder(tmp_path: Path) -> SiteFolder:
    return SiteFolder(tmp_path / "site")
