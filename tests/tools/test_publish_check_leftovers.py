"""The model a publish writes for the Khronos validator (``versions/.publishing-check-PID.glb``)
is gone after a publish the validator refuses or cannot run, and nothing else is left: the
previous version stays current and the next publish goes through."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import tools.world_publish as world_publish
from tools.layout_edits import LayoutEditor
from tools.refusals import ModelInvalid
from tools.world_publish import publish
from world.errors import HubError
from world.khronos import KhronosMessage, KhronosReport, ValidatorUnavailable
from world.site import load_site
from world.versions import current_version


def _checked_models(versions: Path) -> list[Path]:
    return sorted(versions.glob(".publishing-check-*"))


def _refusing(path: Path | str, timeout: float = 60.0) -> KhronosReport:
    assert Path(path).is_file() and Path(path).name.startswith(".publishing-check-")
    message = KhronosMessage(code="TEST_ERROR", message="refused", severity="error", pointer="")
    return KhronosReport(errors=1, warnings=0, infos=0, hints=0, messages=[message])


def _unavailable(path: Path | str, timeout: float = 60.0) -> Any:
    assert Path(path).is_file()
    raise ValidatorUnavailable("node (Node.js) not found; run scripts/setup.sh")


@pytest.mark.parametrize("validator", [_refusing, _unavailable], ids=["refused", "unavailable"])
def test_a_failed_check_leaves_no_model_behind(
    site: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch, validator: Any
) -> None:
    loaded = load_site(site)
    world_dir = data_dir / "world"
    publish(loaded, world_dir, "v1")
    LayoutEditor(loaded).place("cabinet", "hall", (8.0, 3.0))
    versions = world_dir / "versions"

    with monkeypatch.context() as patched:
        patched.setattr(world_publish, "validate_file", validator)
        with pytest.raises(HubError) as refused:
            publish(loaded, world_dir, "v2")
    if validator is _refusing:
        assert isinstance(refused.value, ModelInvalid)
        assert "Khronos validator error" in str(refused.value)
    assert _checked_models(versions) == []
    version = current_version(world_dir)
    assert version is not None and version.number == 1

    assert publish(loaded, world_dir, "v2").version.number == 2
    assert _checked_models(versions) == []
