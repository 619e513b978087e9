"""Planning workshops on the command line, as real processes: moving a workshop keeps its
length; two workshops in one room at the same time are refused (the clash named) unless
forced."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

from server.store import Store


def hubtwin(data_dir: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "server.cli", *args[:1], "--data-dir", str(data_dir), *args[1:]],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def plan(data_dir: Path, title: str, starts: str, minutes: str, *extra: str) -> str:
    """The id of a workshop planned in the room "workshop" (fails the test if refused)."""
    ran = hubtwin(
        data_dir,
        "workshops",
        "add",
        "--title",
        title,
        "--room",
        "workshop",
        "--starts",
        starts,
        "--minutes",
        minutes,
        "--facilitator",
        "mara",
        *extra,
    )
    assert ran.returncode == 0, ran.stderr
    return ran.stdout.split()[1].rstrip(":")


def times(data_dir: Path, workshop_id: str) -> tuple[float, float]:
    async def read() -> tuple[float, float]:
        store = await Store.open(data_dir / "hub.sqlite3")
        try:
            found = await store.workshop(workshop_id)
        finally:
            await store.close()
        assert found is not None
        return found.starts_at, found.ends_at

    return asyncio.run(read())


def facilitator(data_dir: Path) -> None:
    made = hubtwin(
        data_dir,
        "accounts",
        "add",
        "mara",
        "--name",
        "Mara",
        "--role",
        "facilitator",
        "--password-stdin",
        stdin="ein-gutes-passwort\n",
    )
    assert made.returncode == 0, made.stderr


def test_moving_a_workshop_by_a_week_keeps_its_length(tmp_path: Path) -> None:
    facilitator(tmp_path)
    workshop_id = plan(tmp_path, "Klimabilanz", "2031-03-05T10:00", "90")
    starts, ends = times(tmp_path, workshop_id)
    moved = hubtwin(tmp_path, "workshops", "edit", workshop_id, "--starts", "2031-03-12T10:00")
    assert moved.returncode == 0, moved.stderr
    assert "2031-03-12T10:00:00+01:00 to 2031-03-12T11:30:00+01:00" in moved.stdout
    assert times(tmp_path, workshop_id) == (starts + 7 * 86400, ends + 7 * 86400)
    # over the change to summer time the wall-clock length stays 90 minutes too
    moved = hubtwin(tmp_path, "workshops", "edit", workshop_id, "--starts", "2031-04-02T10:00")
    assert moved.returncode == 0, moved.stderr
    new_starts, new_ends = times(tmp_path, workshop_id)
    assert new_ends - new_starts == 90 * 60


def test_a_clash_in_one_room_is_refused_by_name_unless_forced(tmp_path: Path) -> None:
    facilitator(tmp_path)
    first = plan(tmp_path, "Klimabilanz", "2031-03-05T10:00", "90")
    refused = hubtwin(
        tmp_path,
        "workshops",
        "add",
        "--title",
        "Energie sparen",
        "--room",
        "workshop",
        "--starts",
        "2031-03-05T11:00",
        "--minutes",
        "60",
        "--facilitator",
        "mara",
    )
    assert refused.returncode == 2
    assert refused.stderr == (
        "hubtwin: room workshop is already planned for 'Klimabilanz'"
        " (2031-03-05 10:00–11:30 (Europe/Berlin)); choose another time or room,"
        " or force it (workshop_clash)\n"
    )
    listed = hubtwin(tmp_path, "workshops", "list", "--all")
    assert "Energie sparen" not in listed.stdout
    # right after it: no clash
    after = plan(tmp_path, "Energie sparen", "2031-03-05T11:30", "60")
    # moving the second one onto the first is refused too, and nothing changes
    before = times(tmp_path, after)
    moved = hubtwin(tmp_path, "workshops", "edit", after, "--starts", "2031-03-05T10:30")
    assert moved.returncode == 2 and "'Klimabilanz'" in moved.stderr
    assert times(tmp_path, after) == before
    forced = hubtwin(
        tmp_path, "workshops", "edit", after, "--starts", "2031-03-05T10:30", "--force"
    )
    assert forced.returncode == 0, forced.stderr
    assert times(tmp_path, after)[0] == times(tmp_path, first)[0] + 30 * 60
