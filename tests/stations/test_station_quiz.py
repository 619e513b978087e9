"""Quizzes: what the client sees before answering, and marking on the server."""

from __future__ import annotations

import orjson
import pytest
from station_files import GOOD_STATION, PLACES, SiteFolder

from server.features.stations.catalogue import places_from_building, read_catalogue
from server.features.stations.quiz import AnswerRejected, Quiz
from world.site import load_site


@pytest.fixture
def quiz(site_folder: SiteFolder) -> Quiz:
    site_folder.write("ghg.md", GOOD_STATION)
    catalogue, problems = read_catalogue(site_folder.site, PLACES)
    assert problems == []
    station = catalogue.stations[0]
    assert station.quiz is not None
    return station.quiz


def test_public_view_has_questions_but_no_answers(quiz: Quiz) -> None:
    view = quiz.public("de")
    assert view["pass_mark"] == 1
    assert [q["id"] for q in view["questions"]] == ["q1", "q2"]
    assert view["questions"][0]["kind"] == "single"
    assert view["questions"][1]["options"] == [
        {"id": "a", "text": "Pendeln"},
        {"id": "b", "text": "Dienstreisen"},
        {"id": "c", "text": "Eigener Kessel"},
    ]
    wire = orjson.dumps(view).decode()
    assert "correct" not in wire
    assert "explanation" not in wire
    assert "Scope 1 sind" not in wire and "Direkte Emissionen" not in wire


def test_no_station_of_the_hub_leaks_answers() -> None:
    site = load_site()
    catalogue, _ = read_catalogue(site, places_from_building(site))
    for station in catalogue.stations:
        if station.quiz is None:
            continue
        for lang in ("de", "en"):
            wire = orjson.dumps(station.quiz.public(lang)).decode()
            assert "correct" not in wire
            for question in station.quiz.questions:
                assert question.explanation[lang] not in wire


def test_right_answers_pass_and_explanations_come_after(quiz: Quiz) -> None:
    result = quiz.check({"q1": "a", "q2": ["b", "a"]}, "en")
    assert result.passed and result.score == 2 and result.total == 2
    data = result.as_dict()
    assert data["questions"][0] == {
        "id": "q1",
        "correct": True,
        "chosen": ["a"],
        "explanation": "Direct emissions are scope 1.",
    }
    assert data["questions"][1]["chosen"] == ["a", "b"]


def test_a_multiple_choice_answer_must_be_complete_and_exact(quiz: Quiz) -> None:
    partly = quiz.check({"q1": "a", "q2": ["a"]}, "de")
    assert [q.correct for q in partly.questions] == [True, False]
    assert partly.score == 1 and partly.passed  # pass_mark is 1
    too_many = quiz.check({"q1": "b", "q2": ["a", "b", "c"]}, "de")
    assert too_many.score == 0 and not too_many.passed


def test_retries_are_allowed_and_marked_afresh(quiz: Quiz) -> None:
    first = quiz.check({"q1": "b", "q2": ["c"]}, "de")
    second = quiz.check({"q1": "a", "q2": ["a", "b"]}, "de")
    assert not first.passed and second.passed


def test_wrong_answers_do_not_reveal_the_right_option(quiz: Quiz) -> None:
    wire = orjson.dumps(quiz.check({"q1": "b", "q2": ["c"]}, "de").as_dict()).decode()
    assert '"chosen":["b"]' in wire and '"a"' not in wire


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ("a", "answers must be an object"),
        ({"q1": "a"}, "question q2 has no answer"),
        ({"q1": "a", "q2": ["a"], "q7": "a"}, "unknown question q7"),
        ({"q1": "z", "q2": ["a"]}, "question q1: unknown option z"),
        ({"q1": ["a", "b"], "q2": ["a"]}, "question q1: choose exactly one option"),
        ({"q1": "a", "q2": []}, "question q2: choose at least one option"),
        ({"q1": "a", "q2": ["a", "a"]}, "question q2: an option is chosen twice"),
        ({"q1": 1, "q2": ["a"]}, "question q1: give an option id"),
    ],
)
def test_malformed_answers_are_refused(quiz: Quiz, answers: object, message: str) -> None:
    with pytest.raises(AnswerRejected, match=message):
        quiz.check(answers, "de")
