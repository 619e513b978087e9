"""Publishing the draft as numbered world versions, rolling back, and surviving a crash."""

from __future__ import annotations

import hashlib
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from server.app.cli import main
from tools.layout_edits import LayoutEditor
from tools.refusals import NothingToDo, PlacementRefused
from tools.world_publish import PAUSE_ENV, draft_changes, history, publish, rollback
from world.model import load
from world.site import PROJECT_ROOT, load_site
from world.versions import current_version, current_world_file, list_versions


def _world_dir(data_dir: Path) -> Path:
    return data_dir / "world"


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_publish_then_rollback_round_trip(site: Path, data_dir: Path) -> None:
    loaded = load_site(site)
    world_dir = _world_dir(data_dir)
    assert current_world_file(world_dir) is None  # nothing published: the server builds

    first = publish(loaded, world_dir, "Erste Fassung", author="anna")
    v1 = first.version
    assert v1.number == 1 and current_world_file(world_dir) == v1.model
    assert set(_files(v1.folder)) == {"hub.glb", "meta.json", "snapshot.json", "building.toml"}
    meta = v1.meta
    assert meta["message"] == "Erste Fassung" and meta["author"] == "anna"
    assert meta["kind"] == "publish" and meta["parent"] == 0  # version 0: the world as built
    assert meta["khronos"]["errors"] == 0
    world = load(v1.model)
    assert world.digest == meta["sha256"] == hashlib.sha256(v1.model.read_bytes()).hexdigest()
    v1_files = _files(v1.folder)

    LayoutEditor(loaded).place("cabinet", "hall", (8.0, 3.0))
    base, changes = draft_changes(loaded, world_dir)
    assert base is not None and base.number == 1
    assert [c.text for c in changes] == [
        "+ asset cabinet-1 (cabinet) in hall at 8.00, 3.00, facing 0°"
    ]
    second = publish(loaded, world_dir, "Schrank aufgestellt", author="ben")
    v2 = second.version
    assert v2.number == 2 and v2.meta["parent"] == 1
    assert (v2.folder / "layout.toml").is_file()
    assert not load(v2.model).is_walkable([[8.0, 0.0, 3.0]])[0]

    back = rollback(loaded, world_dir, 1, author="anna")
    v3 = back.version
    assert v3.number == 3 and v3.meta["kind"] == "rollback" and v3.meta["restores"] == 1
    assert v3.meta["parent"] == 2 and v3.sha256 == v1.sha256
    assert current_world_file(world_dir) == v3.model
    assert [c.change for c in back.changes] == ["removed"]  # the cabinet is gone again
    assert _files(v1.folder) == v1_files  # nothing was overwritten in place
    assert [(e.version.number, e.current) for e in history(world_dir)] == [
        (3, True),
        (2, False),
        (1, False),
        (0, False),
    ]
    # the draft still has the cabinet: it is what the next publish would bring back
    assert [c.change for c in draft_changes(loaded, world_dir)[1]] == ["added"]


def test_the_first_publish_keeps_the_world_as_built_to_go_back_to(
    site: Path, data_dir: Path
) -> None:
    loaded = load_site(site)
    world_dir = _world_dir(data_dir)
    LayoutEditor(loaded).place("cabinet", "hall", (8.0, 3.0))
    first = publish(loaded, world_dir, "Schrank aufgestellt", author="ben")
    built = next(e.version for e in history(world_dir) if e.version.number == 0)
    assert built.meta["kind"] == "built" and built.meta["parent"] is None
    assert set(_files(built.folder)) == {"hub.glb", "meta.json", "snapshot.json", "building.toml"}
    assert load(built.model).is_walkable([[8.0, 0.0, 3.0]])[0]  # no cabinet in it
    assert not load(first.version.model).is_walkable([[8.0, 0.0, 3.0]])[0]
    assert first.version.meta["parent"] == 0
    assert current_version(world_dir).number == 1  # type: ignore[union-attr]

    back = rollback(loaded, world_dir, 0, author="anna")
    assert back.version.number == 2 and back.version.meta["restores"] == 0
    assert back.version.sha256 == built.sha256
    assert current_world_file(world_dir) == back.version.model
    assert [c.change for c in back.changes] == ["removed"]


def test_the_first_publish_makes_only_its_own_version_current(
    site: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Version 0 is kept, but the pointer hubs watch goes straight to the new version: a
    hub polling it never switches to (and announces) version 0 on the way."""
    import tools.world_publish

    made_current: list[int] = []
    switch = tools.world_publish._switch_current

    def recorded(folder: Path, number: int) -> None:
        made_current.append(number)
        switch(folder, number)

    monkeypatch.setattr(tools.world_publish, "_switch_current", recorded)
    loaded = load_site(site)
    LayoutEditor(loaded).place("cabinet", "hall", (8.0, 3.0))
    publish(loaded, _world_dir(data_dir), "Schrank aufgestellt", author="ben")
    assert made_current == [1]
    assert [v.number for v in list_versions(_world_dir(data_dir))] == [0, 1]


def test_nothing_to_publish_and_bad_rollbacks(site: Path, data_dir: Path) -> None:
    loaded = load_site(site)
    world_dir = _world_dir(data_dir)
    publish(loaded, world_dir, "v1")
    with pytest.raises(NothingToDo, match="the draft builds exactly version 1") as refused:
        publish(loaded, world_dir, "again")
    assert refused.value.exit_code == 7
    assert publish(loaded, world_dir, "forced", allow_unchanged=True).version.number == 2
    with pytest.raises(NothingToDo, match="is what is live already"):
        rollback(loaded, world_dir, 1)
    with pytest.raises(Exception, match=r"no version 9 \(versions: 0, 1, 2\)"):
        rollback(loaded, world_dir, 9)


def test_publish_refuses_a_draft_that_no_longer_fits(site: Path, data_dir: Path) -> None:
    loaded = load_site(site)
    world_dir = _world_dir(data_dir)
    placed = LayoutEditor(loaded).place("cabinet", "hall", (4.0, 1.4))  # on the stage
    assert placed.item is not None and placed.item.elevation == pytest.approx(0.4)
    publish(loaded, world_dir, "v1")
    building = site / "building.toml"
    # building.toml gets a lower stage: the cabinet would hang in the air
    building.write_text(
        building.read_text(encoding="utf-8").replace("height = 0.4", "height = 0.3"),
        encoding="utf-8",
    )
    with pytest.raises(PlacementRefused) as refused:
        publish(loaded, world_dir, "v2")
    assert str(refused.value) == (
        "cannot publish: cabinet cabinet-1 (1.20 x 0.50 m) in hall: floats 0.10 m above the "
        "floor; leave y out to stand it on the floor (here 0.30 m) (move or remove it first)"
    )
    version = current_version(world_dir)
    assert version is not None and version.number == 1


@pytest.mark.parametrize(("stage", "next_number"), [("written", 2), ("renamed", 3)])
def test_publish_killed_half_way_leaves_the_previous_version_live(
    site: Path, data_dir: Path, stage: str, next_number: int
) -> None:
    loaded = load_site(site)
    world_dir = _world_dir(data_dir)
    v1 = publish(loaded, world_dir, "v1").version
    v1_files = _files(v1.folder)
    LayoutEditor(loaded).place("cabinet", "hall", (8.0, 3.0))

    env = {**os.environ, PAUSE_ENV: stage}
    command = [sys.executable, "-m", "server.app.cli", "world", "publish", "-m", "v2"]
    command += ["--site", str(site), "--data-dir", str(data_dir), "--quiet"]
    process = subprocess.Popen(
        command, cwd=PROJECT_ROOT, env=env, stderr=subprocess.PIPE, stdout=subprocess.PIPE
    )
    try:
        assert process.stderr is not None
        line = process.stderr.readline().decode()
        assert line == f"publish paused at {stage}\n"
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL

    version = current_version(world_dir)
    assert version is not None and version.number == 1
    assert current_world_file(world_dir) == v1.model
    assert _files(v1.folder) == v1_files
    assert len(load(v1.model).spawns) > 0  # the server can load what is current
    left = {p.name for p in (world_dir / "versions").iterdir()}
    assert ("0002" in left) == (stage == "renamed")
    assert any(name.startswith(".publishing-") for name in left) == (stage == "written")

    again = publish(loaded, world_dir, "v2 again")
    assert again.version.number == next_number and again.version.meta["parent"] == 1
    left = {p.name for p in (world_dir / "versions").iterdir()}
    assert not any(name.startswith(".publishing-") for name in left)
    assert [v.number for v in list_versions(world_dir)] == [0, 1, next_number]


def test_leftovers_of_a_publish_killed_while_checking_are_cleared(
    site: Path, data_dir: Path
) -> None:
    loaded = load_site(site)
    world_dir = _world_dir(data_dir)
    publish(loaded, world_dir, "v1")
    LayoutEditor(loaded).place("cabinet", "hall", (8.0, 3.0))
    env = {**os.environ, PAUSE_ENV: "checking"}
    command = [sys.executable, "-m", "server.app.cli", "world", "publish", "-m", "v2"]
    command += ["--site", str(site), "--data-dir", str(data_dir), "--quiet"]
    process = subprocess.Popen(
        command, cwd=PROJECT_ROOT, env=env, stderr=subprocess.PIPE, stdout=subprocess.PIPE
    )
    try:
        assert process.stderr is not None
        assert process.stderr.readline().decode() == "publish paused at checking\n"
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait(timeout=30)
    versions = world_dir / "versions"
    assert (versions / f".publishing-check-{process.pid}.glb").is_file()  # the model under check
    (versions / ".current.99999.tmp").write_bytes(b"0002\n")  # a pointer killed before its rename
    version = current_version(world_dir)
    assert version is not None and version.number == 1

    assert publish(loaded, world_dir, "v2 again").version.number == 2
    left = sorted(p.name for p in versions.iterdir())
    assert left == [".lock", "0000", "0001", "0002", "current"], left


def test_cli_diff_publish_history_rollback_in_json(
    site: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["--site", str(site), "--data-dir", str(data_dir), "--json"]
    assert main(["world", "diff", *args]) == 0
    assert orjson.loads(capsys.readouterr().out) == {"ok": True, "base": None, "changes": []}
    assert main(["world", "publish", "-m", "first", "--author", "anna", *args]) == 0
    answer = orjson.loads(capsys.readouterr().out)
    assert answer["version"] == 1 and answer["meta"]["author"] == "anna"

    assert main(["world", "move", "hall-1", "--yaw", "south", "--site", str(site)]) == 0
    capsys.readouterr()
    assert main(["world", "diff", *args]) == 0
    diff = orjson.loads(capsys.readouterr().out)
    assert diff["base"] == 1
    assert [(c["change"], c["kind"], c["id"]) for c in diff["changes"]] == [
        ("moved", "station", "hall-1")
    ]
    assert diff["changes"][0]["before"]["facing"] == 90.0
    assert diff["changes"][0]["after"]["facing"] == 0.0

    assert main(["world", "publish", "-m", "turned", *args]) == 0
    capsys.readouterr()
    assert main(["world", "publish", "-m", "again", *args]) == 7
    captured = capsys.readouterr()
    assert orjson.loads(captured.out)["exit_code"] == 7
    assert re.fullmatch(  # a publish repeated after a lost answer learns that it is done
        r"hubtwin: nothing to publish: the draft builds exactly version 2 "
        r'\(published \d{4}-\d\d-\d\d \d\d:\d\d UTC by \S+: "turned"\)\n',
        captured.err,
    ), captured.err
    assert main(["world", "rollback", "1", *args]) == 0
    assert orjson.loads(capsys.readouterr().out)["meta"]["restores"] == 1
    assert main(["world", "history", *args]) == 0
    versions = orjson.loads(capsys.readouterr().out)["versions"]
    assert [(v["version"], v["current"], v["kind"]) for v in versions] == [
        (3, True, "rollback"),
        (2, False, "publish"),
        (1, False, "publish"),
        (0, False, "built"),
    ]
    assert main(["world", "revert", *args]) == 0
    assert len(orjson.loads(capsys.readouterr().out)["undone"]) == 1
    assert main(["world", "diff", "--site", str(site), "--data-dir", str(data_dir)]) == 0
    assert capsys.readouterr().out.startswith("no changes: the draft matches version 3")


def test_cli_errors_are_one_line_without_traceback(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "server.app.cli", "assets", "import", str(tmp_path / "x.glb")]
    result = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 3
    assert result.stderr == f"hubtwin: {tmp_path / 'x.glb'}: file not found\n"
    command = [sys.executable, "-m", "server.app.cli", "world", "rollback", "5"]
    command += ["--data-dir", str(tmp_path / "data")]
    result = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr == "hubtwin: no version 5 (versions: none)\n"


def test_the_server_serves_the_current_published_version(site: Path, data_dir: Path) -> None:
    from server.app.assembly import world_path
    from server.base.settings import load_settings

    settings = load_settings({"site": site, "data_dir": data_dir})
    loaded = load_site(site)
    assert world_path(settings, loaded) == data_dir / "world" / "hub.glb"  # built from the site
    v1 = publish(loaded, settings.world_dir, "v1").version
    assert world_path(settings, loaded) == v1.model
    LayoutEditor(loaded).place("cabinet", "hall", (8.0, 3.0))  # a draft edit changes nothing
    assert world_path(settings, loaded) == v1.model
    v2 = publish(loaded, settings.world_dir, "v2").version
    assert world_path(settings, loaded) == v2.model
    assert load(world_path(settings, loaded)).digest == v2.sha256
