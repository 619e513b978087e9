"""A version's preview (what rolling back to it would change) and the checks of every draft
edit, as functions and as ``hubtwin world diff --version N`` and ``hubtwin world check``.

The test site's hall spans x 0..10, z 0..8 with a 0.4 m stage at x 2..6, z 0.4..2.4; the
cabinet is 1.2 m wide, 0.5 m deep, 0.8 m high."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from server.app.cli import main
from tools.layout_edits import LayoutEditor
from tools.world_publish import draft_checks, publish, version_changes
from world.errors import UsageError
from world.site import load_site


def test_a_preview_of_version_0_and_the_checks_of_the_draft(
    site: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    loaded = load_site(site)
    world_dir = data_dir / "world"
    editor = LayoutEditor(loaded)
    editor.place("cabinet", "hall", (4.0, 1.4))  # on the stage
    editor.place("cabinet", "hall", (7.5, 5.5))  # on the table: a warning
    publish(loaded, world_dir, "Zwei Schränke", author="ben")

    built, back = version_changes(world_dir, 0)
    assert built.number == 0
    assert sorted((c.change, c.id) for c in back) == [
        ("removed", "cabinet-1"),
        ("removed", "cabinet-2"),
    ]
    current, same = version_changes(world_dir, 1)
    assert current.number == 1 and same == []
    with pytest.raises(UsageError, match=r"no version 7 \(versions: 0, 1\)"):
        version_changes(world_dir, 7)
    where = ["--site", str(site), "--data-dir", str(data_dir), "--json"]
    assert main(["world", "diff", "--version", "0", *where]) == 0
    answer = orjson.loads(capsys.readouterr().out)
    assert answer["version"] == 0 and [c["text"] for c in answer["changes"]] == [
        c.text for c in back
    ]
    assert main(["world", "diff", "--version", "7", *where]) == 2
    capsys.readouterr()

    # building.toml gets a lower stage: the first cabinet would float; the check says so
    # (publish would refuse), and the second's overlap is a warning
    building = site / "building.toml"
    building.write_text(
        building.read_text(encoding="utf-8").replace("height = 0.4", "height = 0.3"),
        encoding="utf-8",
    )
    checks = {c.id: c for c in draft_checks(loaded)}
    assert checks["cabinet-1"].reason == "floor" and "floats 0.10 m" in str(
        checks["cabinet-1"].refused
    )
    assert checks["cabinet-2"].refused is None
    assert any("overlaps table hall-table-1" in w for w in checks["cabinet-2"].warnings)
    assert main(["world", "check", "--site", str(site), "--json"]) == 0
    listed = orjson.loads(capsys.readouterr().out)
    assert listed["refused"] == 1
    assert [c["id"] for c in listed["checks"]] == ["cabinet-1", "cabinet-2"]
