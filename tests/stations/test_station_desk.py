"""The station desk: open, answer, experiment – results plus the progress records to store."""

from __future__ import annotations

import orjson
import pytest
from station_files import GOOD_STATION, PLACES, SiteFolder

from server.base.identity import Identity, Role
from server.domain.station_progress import ProgressEvent
from server.features.stations.catalogue import read_catalogue
from server.features.stations.desk import StationDesk, StationRefused

ADA = Identity("g-ada", "Ada", Role.VISITOR, guest=True)


@pytest.fixture
def desk(site_folder: SiteFolder) -> StationDesk:
    site_folder.write("ghg.md", GOOD_STATION)
    catalogue, problems = read_catalogue(site_folder.site, PLACES)
    assert problems == []
    return StationDesk(catalogue)


def test_view_has_content_placement_quiz_and_form_but_no_answers(desk: StationDesk) -> None:
    view = desk.view("ghg", "en")
    assert view["title"] == "Carbon accounting"
    assert view["topic"] == {"id": "carbon", "title": "Carbon accounting"}
    assert view["room"] == "lab" and view["position"] == [0.0, 0.0, 0.0]
    assert view["reviewed"] == "2026-11-01"
    assert view["body_html"].startswith("<h2>What it is about</h2>")
    assert view["experiment"]["id"] == "carbon-footprint"
    assert "correct" not in orjson.dumps(view).decode()
    assert desk.listing("de")["stations"][0]["title"] == "Klimabilanz"


def test_open_returns_the_view_and_an_opened_record(desk: StationDesk) -> None:
    view, record = desk.open(ADA, "ghg", "de", 100.0)
    assert view["id"] == "ghg"
    assert (record.identity_id, record.station_id, record.event, record.at) == (
        "g-ada",
        "ghg",
        ProgressEvent.OPENED,
        100.0,
    )


def test_answers_record_a_pass_or_a_failed_try(desk: StationDesk) -> None:
    result, record = desk.answer(ADA, "ghg", {"q1": "b", "q2": ["c"]}, "de", 1.0)
    assert not result.passed and record.event is ProgressEvent.QUIZ_FAILED
    result, record = desk.answer(ADA, "ghg", {"q1": "a", "q2": ["a", "b"]}, "de", 2.0)
    assert result.passed and record.event is ProgressEvent.QUIZ_PASSED


def test_experiment_records_a_run(desk: StationDesk) -> None:
    result, record = desk.run_experiment(ADA, "ghg", {"electricity_kwh": 1000}, "de", 3.0)
    assert result.figure("scope2_location") == 0.36
    assert record.event is ProgressEvent.EXPERIMENT_DONE


def test_refusals_carry_status_code_and_message(desk: StationDesk) -> None:
    cases = [
        (lambda: desk.view("nope", "de"), 404, "station_unknown"),
        (lambda: desk.language("fr"), 400, "language_unknown"),
        (lambda: desk.answer(ADA, "ghg", {"q1": "a"}, "de", 0.0), 400, "answers_invalid"),
        (
            lambda: desk.run_experiment(ADA, "ghg", {"electricity_kwh": -1}, "en", 0.0),
            422,
            "inputs_invalid",
        ),
    ]
    for call, status, code in cases:
        with pytest.raises(StationRefused) as caught:
            call()
        assert (caught.value.status, caught.value.code) == (status, code)
    with pytest.raises(StationRefused) as caught:
        desk.run_experiment(ADA, "ghg", {"electricity_kwh": -1}, "en", 0.0)
    assert caught.value.as_dict()["error"]["fields"] == {
        "electricity_kwh": "Enter a value from 0 to 1,000,000,000 kWh/a."
    }
    assert desk.language(None) == "de" and desk.language("en") == "en"


def test_experiment_reads_typed_numbers_in_the_visitors_language(desk: StationDesk) -> None:
    result, _ = desk.run_experiment(ADA, "ghg", {"electricity_kwh": "50.000"}, "de", 4.0)
    assert result.figure("scope2_location") == 18.15
    assert result.as_dict("de")["language"] == "de"
    result, _ = desk.run_experiment(ADA, "ghg", {"electricity_kwh": "50,000"}, "en", 4.0)
    assert result.figure("scope2_location") == 18.15


def test_numbers_that_could_mean_two_things_are_unclear_not_invalid(desk: StationDesk) -> None:
    with pytest.raises(StationRefused) as caught:
        desk.run_experiment(ADA, "ghg", {"electricity_kwh": "50.000", "rail_km": "1,5"}, "en", 0)
    error = caught.value.as_dict()["error"]
    assert (caught.value.status, error["code"]) == (422, "numbers_unclear")
    assert error["message"] == "Please check what the marked numbers are meant to be."
    assert error["reasons"] == {
        "electricity_kwh": "number_ambiguous",
        "rail_km": "number_other_language",
    }
    assert error["language"] == "en"
    assert "50,000" in error["fields"]["electricity_kwh"]
    with pytest.raises(StationRefused) as caught:
        desk.run_experiment(ADA, "ghg", {"electricity_kwh": "1.5", "rail_km": "viel"}, "de", 0)
    error = caught.value.as_dict()["error"]
    assert error["code"] == "inputs_invalid"
    assert error["message"] == "Bitte prüfen Sie die markierten Eingaben."
    assert error["reasons"] == {
        "electricity_kwh": "number_other_language",
        "rail_km": "number_invalid",
    }
    assert error["fields"]["electricity_kwh"] == (
        "„1.5“ ist englisch geschrieben. Meinen Sie 1,5? Bitte so eingeben."
    )
