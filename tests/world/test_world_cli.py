"""``hubtwin world build | info | validate`` as a person uses them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from foreign_model import write_glb

from server.app.cli import main
from world.model import load


def test_build_then_up_to_date_then_quiet(
    tiny_site: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "model" / "hub.glb"
    assert main(["world", "build", "--site", str(tiny_site), "-o", str(out)]) == 0
    first = capsys.readouterr().out
    assert first.startswith(f"built {out} (") and "triangles" in first and "spawn points" in first
    assert main(["world", "build", "--site", str(tiny_site), "-o", str(out)]) == 0
    assert capsys.readouterr().out.strip() == f"up to date: {out}"
    assert (
        main(["world", "build", "--site", str(tiny_site), "-o", str(out), "--quiet", "--force"])
        == 0
    )
    assert capsys.readouterr().out == ""


def test_build_goes_to_the_data_folder_by_default(
    tiny_site: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("HUBTWIN_DATA_DIR", str(tmp_path / "data"))
    assert main(["world", "build", "--site", str(tiny_site), "--quiet"]) == 0
    assert (tmp_path / "data" / "world" / "hub.glb").is_file()
    assert main(["world", "info", "--site", str(tiny_site)]) == 0
    assert "hall" in capsys.readouterr().out


def test_info_before_building_says_what_to_do(
    tiny_site: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("HUBTWIN_DATA_DIR", str(tmp_path / "empty"))
    assert main(["world", "info", "--site", str(tiny_site)]) == 3
    assert "run `hubtwin world build` first" in capsys.readouterr().err


def test_info_lists_rooms_spawns_stations_and_screens(
    hub_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["world", "info", str(hub_path)]) == 0
    out = capsys.readouterr().out
    assert "Lern- und Experimentierlabor" in out and "Learning and experiment lab" in out
    lines = {line.split()[0]: line for line in out.splitlines() if line.strip()}
    assert lines["auditorium"].split()[4] == "80"
    for anchor in (
        "lab-1",
        "terrace-2",
        "auditorium-screen",
        "lounge-screen",
        "auditorium-stage",
        "foyer-board",
        "foyer-offers",
    ):
        assert anchor in lines
    spawns = len(load(hub_path).spawns)
    assert f"7 rooms, {spawns} spawn points, 25 anchors, 8 doors" in out


def test_validate_a_good_and_a_doubtful_model(
    hub_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["world", "validate", str(hub_path)]) == 0
    out = capsys.readouterr().out
    assert "0 problem(s); Khronos validator: 0 errors, 0 warnings" in out
    region = write_glb(tmp_path / "region.glb", visible_floor=True)
    assert main(["world", "validate", str(region)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert any("hide the walkable floor" in line for line in out)
    assert any("only 1 spawn point" in line for line in out)
    assert out[-1].startswith(f"{region}: 3 problem(s)")


def test_a_broken_site_fails_the_build_with_one_line(
    tiny_site: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tiny_site / "building.toml").write_text("[[rooms]]\nid = 'x'\n", encoding="utf-8")
    assert main(["world", "build", "--site", str(tiny_site), "-o", str(tmp_path / "m.glb")]) == 3
    err = capsys.readouterr().err.strip()
    assert err.startswith("hubtwin: ") and "building.toml" in err and "\n" not in err
    assert not os.path.exists(tmp_path / "m.glb")
