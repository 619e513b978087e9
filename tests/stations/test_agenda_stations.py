"""A workshop series planned from the command line refuses an agenda item naming no station
(it used to be stored as typed), and says which station was probably meant."""

from __future__ import annotations

import subprocess
from pathlib import Path

from world.site import PROJECT_ROOT

HUBTWIN = str(PROJECT_ROOT / ".venv" / "bin" / "hubtwin")


def hubtwin(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [HUBTWIN, *args], input=stdin, capture_output=True, text=True, timeout=60, check=False
    )


def series(data: Path, station: str) -> subprocess.CompletedProcess[str]:
    return hubtwin(
        "workshops",
        "--data-dir",
        str(data),
        "series-add",
        "--title",
        "Austauschreihe",
        "--room",
        "lounge",
        "--first",
        "2030-01-10 17:00",
        "--minutes",
        "60",
        "--repeat",
        "monthly",
        "--count",
        "2",
        "--facilitator",
        "mara",
        "--agenda",
        f"30 Station station={station}",
    )


def test_series_add_refuses_an_agenda_station_typo(tmp_path: Path) -> None:
    made = hubtwin(
        "accounts",
        "--data-dir",
        str(tmp_path),
        "add",
        "mara",
        "--role",
        "facilitator",
        "--name",
        "Mara",
        "--password-stdin",
        stdin="a-long-password-1\n",
    )
    assert made.returncode == 0, made.stderr
    refused = series(tmp_path, "carbon-acounting")
    assert refused.returncode == 2
    assert refused.stderr.strip() == (
        "hubtwin: agenda item 1: there is no station 'carbon-acounting' "
        "(did you mean 'carbon-accounting'?) (agenda_invalid)"
    )
    listed = hubtwin("workshops", "--data-dir", str(tmp_path), "series-list")
    assert "Austauschreihe" not in listed.stdout
    planned = series(tmp_path, "lab-1")  # a station may be named by its anchor too
    assert planned.returncode == 0, planned.stderr
    assert "with 2 sessions to come" in planned.stdout
