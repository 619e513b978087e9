"""The passport, the downloadable summary and the staff CSV, from stored rows."""

from __future__ import annotations

import csv
import io
from zoneinfo import ZoneInfo

import pytest
from station_files import GOOD_STATION, PLACES, SiteFolder

from server.domain.station_progress import (
    ExportRow,
    StationProgress,
    export_csv,
    make_passport,
    summary_text,
)
from server.features.stations.catalogue import StationCatalogue, read_catalogue

_FRONT, _BODIES = GOOD_STATION.split("+++\n\n+++ de", 1)
NO_EXTRAS = (  # the same station without quiz and experiment, at another anchor
    _FRONT.split("[quiz]")[0].replace('anchor = "lab-1"', 'anchor = "lab-2"')
    + "+++\n\n+++ de"
    + _BODIES
)


@pytest.fixture
def catalogue(site_folder: SiteFolder) -> StationCatalogue:
    site_folder.write("ghg.md", GOOD_STATION)
    site_folder.write("intro.md", NO_EXTRAS.replace("order = 5", "order = 1"))
    result, problems = read_catalogue(site_folder.site, PLACES)
    assert problems == [], [str(p) for p in problems]
    return result


def test_passport_counts_what_was_done(catalogue: StationCatalogue) -> None:
    rows = [StationProgress("ghg", 10.0, quiz_attempts=2, quiz_passed_at=12.0)]
    passport = make_passport(catalogue, "Ada", rows, "de")
    data = passport.as_dict()
    assert data["stations"] == {"opened": 1, "total": 2}
    assert data["quizzes"] == {"passed": 1, "total": 1}
    assert data["experiments"] == {"done": 0, "total": 1}
    intro, ghg = data["stamps"]
    assert intro["station"] == "intro" and not intro["opened"]
    assert intro["quiz_passed"] is None and intro["experiment_done"] is None
    assert ghg["quiz_passed"] is True and ghg["experiment_done"] is False
    assert ghg["quiz_attempts"] == 2 and not ghg["complete"]
    assert data["complete"] == 0


def test_rows_of_removed_stations_drop_out(catalogue: StationCatalogue) -> None:
    passport = make_passport(catalogue, "Ada", [StationProgress("gone", 1.0)], "en")
    assert passport.opened == 0


def test_summary_text_in_each_language(catalogue: StationCatalogue) -> None:
    rows = [
        StationProgress("intro", 1.0),
        StationProgress("ghg", 2.0, quiz_passed_at=3.0, experiment_done_at=4.0),
    ]
    german = summary_text(make_passport(catalogue, "Ada", rows, "de"), 1_767_225_600.0, "Hub")
    assert german.splitlines()[0] == "Hub – Lernpass von Ada"
    assert "Stand: 2026-01-01 00:00 (UTC)" in german
    assert "Besuchte Lernstationen: 2 von 2" in german
    assert "[x] Klimabilanz: besucht, Quiz bestanden, Experiment durchgeführt" in german
    english = summary_text(make_passport(catalogue, "Ada", rows[:1], "en"), 0.0, "Klimawerk")
    assert english.splitlines()[0] == "Klimawerk – learning passport of Ada"
    assert "[ ] Carbon accounting: not visited yet, quiz open, experiment open" in english
    assert "nothing you typed into the calculators" in english


def test_staff_csv_numbers_people_and_shows_only_display_names(
    catalogue: StationCatalogue,
) -> None:
    rows = [
        ExportRow("g-secret-1", "=HYPERLINK(1)", StationProgress("ghg", 0.0, 1, 60.0)),
        ExportRow("g-secret-1", "=HYPERLINK(1)", StationProgress("intro", 0.0)),
        ExportRow("g-secret-2", "Bob", StationProgress("ghg", 86400.0, 0, None, 2, 86401.0)),
    ]
    text = export_csv(catalogue, rows, ZoneInfo("Europe/Berlin"))
    assert "g-secret" not in text
    table = list(csv.reader(io.StringIO(text)))
    assert table[0] == [
        "person",
        "display_name",
        "station",
        "station_title",
        "opened_at (Europe/Berlin)",
        "quiz_attempts",
        "quiz_passed_at (Europe/Berlin)",
        "experiment_runs",
        "experiment_done_at (Europe/Berlin)",
    ]
    assert table[1] == [
        "1",
        "'=HYPERLINK(1)",
        "ghg",
        "Klimabilanz",
        "1970-01-01 01:00:00",  # Berlin time (UTC+1 in winter)
        "1",
        "1970-01-01 01:01:00",
        "0",
        "",
    ]
    assert table[2][0] == "1" and table[2][2] == "intro"
    assert table[3][:2] == ["2", "Bob"]
    assert table[3][7:] == ["2", "1970-01-02 01:00:01"]
