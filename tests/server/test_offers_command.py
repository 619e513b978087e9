"""``hubtwin offers`` as a person types it (the real command, its own process): check, list
with filters, put a file of offers (an edit and a new one), remove, restore, and every
mistake as one line with its exit code (a file's mistake with file and line)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from world.site import DEFAULT_SITE, PROJECT_ROOT

HUBTWIN = str(PROJECT_ROOT / ".venv" / "bin" / "hubtwin")
OFFERS = """[[offer]]
id = "foerderlotse"
kind = "funding"
title = { de = "Förderlotse (neu)", en = "Funding pilot (new)" }
summary = "Beratung zu Förderprogrammen"
topics = ["foerderung"]
audience = ["kmu"]
place = "online"
cost = "kostenfrei"
signup = true
seats = 4

[[offer]]
id = "sprechstunde"
kind = "event"
title = { de = "Offene Sprechstunde", en = "Open office hour" }
summary = "Fragen zur Klimabilanz"
topics = ["klimabilanz"]
audience = ["kmu", "beschaeftigte"]
place = "in_person"
starts = 2027-05-05T16:00:00
cost = "kostenfrei"
link = "https://example.org/sprechstunde"
"""


def hubtwin(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [HUBTWIN, "offers", "--site", str(DEFAULT_SITE), "--data-dir", str(data), *args],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        timeout=60,
    )


def ids(listing: str) -> list[str]:
    return [line.split()[0] for line in listing.splitlines()]


def test_put_remove_restore_and_list(tmp_path: Path) -> None:
    data = tmp_path / "data"
    checked = hubtwin(data, "check")
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout == "8 offers OK (7 with a sign-up) in 8 topics for 5 audiences\n"
    online = hubtwin(data, "list", "--place", "online")
    assert "betriebsrat-transformation" not in ids(online.stdout)
    assert ids(hubtwin(data, "list", "--topic", "foerderung").stdout) == [
        "foerderlotse",
        "kompetenzregion-gruene-produktion",
    ]
    given = tmp_path / "neu.toml"
    given.write_text(OFFERS, encoding="utf-8")
    put = hubtwin(data, "put", str(given))
    assert put.returncode == 0, put.stderr
    assert put.stdout.splitlines() == [
        "foerderlotse: gespeichert / saved",
        "sprechstunde: gespeichert / saved",
    ]
    assert "oekohub-dortmund" in put.stderr  # names the site it changed
    shown = json.loads(hubtwin(data, "show", "foerderlotse").stdout)
    assert (shown["title"]["de"], shown["place"], shown["seats"]) == (
        "Förderlotse (neu)",
        "online",
        4,
    )
    listing = hubtwin(data, "list").stdout
    assert "sprechstunde  2027-05-05 16:00  event  in_person  Offene Sprechstunde" in listing
    assert "foerderlotse  laufend  funding  online  0/4  Förderlotse (neu)" in listing
    assert hubtwin(data, "remove", "sprechstunde").returncode == 0
    assert "sprechstunde" not in ids(hubtwin(data, "list").stdout)
    assert hubtwin(data, "restore", "foerderlotse").returncode == 0
    back = json.loads(hubtwin(data, "show", "foerderlotse").stdout)
    assert back["title"]["de"] == "Förderlotse: passende Förderprogramme finden"
    csv = hubtwin(data, "signups", "foerderlotse")
    assert csv.returncode == 0 and csv.stdout.startswith("Nr / No,Angebot / Offer,Status,Name,")


def test_mistakes_are_one_line_with_an_exit_code(tmp_path: Path) -> None:
    data = tmp_path / "data"
    bad = tmp_path / "bad.toml"
    bad.write_text(OFFERS.replace('place = "online"', 'place = "vor Ort"'), encoding="utf-8")
    line = OFFERS[: OFFERS.index('place = "online"')].count("\n") + 1
    refused = hubtwin(data, "put", str(bad))
    assert refused.returncode == 3
    assert refused.stderr == (
        f"hubtwin: {bad}:{line}: place 'vor Ort' must be one of online, in_person, both\n"
    )
    bad.write_text("[topics]\nx = 'X'\n", encoding="utf-8")  # topics come from the site
    refused = hubtwin(data, "put", str(bad))
    assert refused.returncode == 3 and f"{bad}:1: unknown table 'topics'" in refused.stderr
    missing = hubtwin(data, "put", str(tmp_path / "nix.toml"))
    assert missing.returncode == 3 and missing.stderr.endswith("nix.toml: file not found\n")
    unknown = hubtwin(data, "remove", "nix")
    assert unknown.returncode == 4
    assert unknown.stderr == "hubtwin: no offer 'nix' (hubtwin offers list)\n"
    wrong = hubtwin(data, "list", "--topic", "mond")
    assert wrong.returncode == 2 and wrong.stderr.count("\n") == 1
    assert "--topic 'mond' is not one of" in wrong.stderr
