"""Reading station files: the real content loads, and every kind of mistake is reported with
its file and line."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import pytest
from station_files import GOOD_STATION, PLACES, SiteFolder, line_of

from server.features.stations.catalogue import (
    ContentError,
    load_catalogue,
    places_from_building,
    read_catalogue,
)
from server.features.stations.content_reader import ContentProblem
from world.site import load_site

# --- the hub's own content -----------------------------------------------------------------


def test_the_dortmund_stations_load_without_problems() -> None:
    site = load_site()
    catalogue, problems = read_catalogue(site, places_from_building(site))
    assert problems == []
    assert len(catalogue.stations) >= 12
    assert catalogue.unused_anchors == ()
    for station in catalogue.stations:
        assert station.sources, station.id
        assert all(s.publisher and s.year for s in station.sources)
        assert set(station.title) == set(station.html) == {"de", "en"}
        assert station.place is not None


def test_every_theme_of_the_hub_has_a_station() -> None:
    site = load_site()
    catalogue, _ = read_catalogue(site, places_from_building(site))
    topics = {s.topic for s in catalogue.stations}
    for topic in (
        "reporting",
        "carbon",
        "resources",
        "energy",
        "action-plan",
        "workforce",
        "business-value",
        "skills",
        "funding",
    ):
        assert topic in topics
    calculators = {s.experiment.calculator for s in catalogue.stations if s.experiment}
    assert calculators == {"carbon-footprint", "lighting-retrofit", "motor-retrofit"}


# --- a valid file --------------------------------------------------------------------------


def test_a_valid_station_is_read_completely(site_folder: SiteFolder) -> None:
    site_folder.write("ghg.md", GOOD_STATION)
    catalogue, problems = read_catalogue(site_folder.site, PLACES)
    assert problems == []
    station = catalogue.get("ghg")
    assert station is not None
    assert station.anchor == "lab-1" and station.topic == "carbon" and station.order == 5
    assert station.reviewed == datetime.date(2026, 11, 1)
    assert station.title == {"de": "Klimabilanz", "en": "Carbon accounting"}
    assert station.place == PLACES[0]
    assert station.quiz is not None and len(station.quiz.questions) == 2
    assert station.quiz.pass_mark == 1
    assert station.experiment is not None and station.experiment.calculator == "carbon-footprint"
    assert station.sources[0].url == "https://ghgprotocol.org/corporate-standard"
    assert catalogue.unused_anchors == ("foyer-1", "lab-2")


def test_the_body_is_rendered_safely(site_folder: SiteFolder) -> None:
    text = GOOD_STATION.replace("## Worum es geht", "## Worum es geht\n\n<script>alert(1)</script>")
    site_folder.write("ghg.md", text)
    catalogue, problems = read_catalogue(site_folder.site, PLACES)
    assert problems == []
    html = catalogue.stations[0].html["de"]
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert '<img src="/site/stations/images/scopes.svg" alt="Die drei Scopes" loading="lazy">' in (
        html
    )
    assert 'target="_blank" rel="noopener noreferrer"' in html
    assert "<h2>Worum es geht</h2>" in html


def test_load_catalogue_places_stations_at_world_anchors(site_folder: SiteFolder) -> None:
    @dataclass
    class Anchor:
        id: str
        kind: str
        room_id: str
        position: tuple[float, float, float]
        yaw: float

    class World:
        def anchors_of(self, kind: str) -> list[Anchor]:
            assert kind == "station"
            return [Anchor("lab-1", "station", "lab", (1.0, 0.5, 2.0), 1.5)]

    site_folder.write("ghg.md", GOOD_STATION)
    catalogue = load_catalogue(site_folder.site, World())
    place = catalogue.stations[0].place
    assert place is not None and place.position == (1.0, 0.5, 2.0) and place.room_id == "lab"


# --- every content error, with file and line -----------------------------------------------


def problems_for(site_folder: SiteFolder, text: str, name: str = "ghg.md") -> list[ContentProblem]:
    path = site_folder.write(name, text)
    _, problems = read_catalogue(site_folder.site, PLACES)
    for problem in problems:
        assert problem.path == path
    return problems


def one_problem(site_folder: SiteFolder, text: str) -> ContentProblem:
    problems = problems_for(site_folder, text)
    assert len(problems) == 1, [str(p) for p in problems]
    return problems[0]


def test_unknown_anchor(site_folder: SiteFolder) -> None:
    text = GOOD_STATION.replace('anchor = "lab-1"', 'anchor = "lab-9"')
    problem = one_problem(site_folder, text)
    assert problem.line == line_of(text, 'anchor = "lab-9"')
    assert "unknown anchor 'lab-9'" in problem.message
    assert "foyer-1, lab-1, lab-2" in problem.message


def test_broken_front_matter_reports_the_toml_line(site_folder: SiteFolder) -> None:
    text = GOOD_STATION.replace('topic = "carbon"', 'topic = "carbon')
    problem = one_problem(site_folder, text)
    assert problem.line == line_of(text, 'topic = "carbon')
    assert problem.message.startswith("broken front matter:")


def test_front_matter_must_open_and_close(site_folder: SiteFolder) -> None:
    problem = one_problem(site_folder, GOOD_STATION.replace("+++\n", "", 1))
    assert problem.line == 1 and "must start with a +++ line" in problem.message
    unclosed = "+++\n" + 'anchor = "lab-1"\n'
    problem = one_problem(site_folder, unclosed)
    assert "not closed" in problem.message


def test_quiz_without_a_correct_answer(site_folder: SiteFolder) -> None:
    text = GOOD_STATION.replace(
        '{ de = "Scope 1", en = "Scope 1", correct = true }', '{ de = "Scope 1", en = "Scope 1" }'
    )
    problem = one_problem(site_folder, text)
    assert "question 1 has no correct answer" in problem.message
    assert problem.line == line_of(text, "options = [")


def test_single_choice_with_two_correct_answers(site_folder: SiteFolder) -> None:
    text = GOOD_STATION.replace(
        '{ de = "Scope 2", en = "Scope 2" }', '{ de = "Scope 2", en = "Scope 2", correct = true }'
    )
    problem = one_problem(site_folder, text)
    assert "single choice but has 2 correct options" in problem.message


def test_missing_translation_of_a_field(site_folder: SiteFolder) -> None:
    text = GOOD_STATION.replace('title.en = "Carbon accounting"\n', "")
    problem = one_problem(site_folder, text)
    assert problem.message == "missing translation: title.en"
    assert problem.line == line_of(text, "title.de")


def test_missing_translation_of_an_option(site_folder: SiteFolder) -> None:
    text = GOOD_STATION.replace(
        '{ de = "Eigener Kessel", en = "Own boiler" }', '{ de = "Eigener Kessel" }'
    )
    problem = one_problem(site_folder, text)
    assert "missing translation: option text in 'en'" in problem.message
    assert problem.line == line_of(text, '{ de = "Eigener Kessel" }')


def test_missing_translation_of_the_body(site_folder: SiteFolder) -> None:
    text = GOOD_STATION.split("+++ en")[0]
    problem = one_problem(site_folder, text)
    assert "missing translation: no body for 'en'" in problem.message


def test_a_plain_text_where_languages_are_needed(site_folder: SiteFolder) -> None:
    text = GOOD_STATION.replace(
        'intro.de = "Die drei Scopes."\nintro.en = "The three scopes."',
        'intro = "Die drei Scopes."',
    )
    problem = one_problem(site_folder, text)
    assert 'intro needs one text per language: intro.de = "…" and intro.en = "…"' in (
        problem.message
    )


def test_unknown_key_is_a_typo_caught(site_folder: SiteFolder) -> None:
    text = GOOD_STATION.replace("order = 5", "ordre = 5")
    problem = one_problem(site_folder, text)
    assert problem.line == line_of(text, "ordre = 5")
    assert "unknown key 'ordre'" in problem.message


def test_unknown_topic_and_calculator(site_folder: SiteFolder) -> None:
    text = GOOD_STATION.replace('topic = "carbon"', 'topic = "weather"').replace(
        'calculator = "carbon-footprint"', 'calculator = "co2-magic"'
    )
    messages = {p.line: p.message for p in problems_for(site_folder, text)}
    assert "unknown topic 'weather'" in messages[line_of(text, 'topic = "weather"')]
    assert "unknown calculator 'co2-magic'" in messages[line_of(text, "co2-magic")]


def test_sources_are_required_with_publisher_and_year(site_folder: SiteFolder) -> None:
    text = GOOD_STATION.replace("year = 2004\n", "")
    problem = one_problem(site_folder, text)
    assert problem.message == "missing sources[1].year"
    start = GOOD_STATION.index("[[sources]]")
    end = GOOD_STATION.index("[quiz]")
    problem = one_problem(site_folder, GOOD_STATION[:start] + GOOD_STATION[end:])
    assert "sources needs at least 1 entry" in problem.message


def test_reviewed_must_be_a_date(site_folder: SiteFolder) -> None:
    text = GOOD_STATION.replace("reviewed = 2026-11-01", 'reviewed = "last week"')
    problem = one_problem(site_folder, text)
    assert "reviewed must be a date like 2026-11-01" in problem.message


def test_image_problems_name_the_body_line(site_folder: SiteFolder) -> None:
    text = GOOD_STATION.replace(
        "![The three scopes](images/scopes.svg)", "![](https://example.org/chart.png)"
    )
    problems = problems_for(site_folder, text)
    line = line_of(text, "https://example.org/chart.png")
    assert {p.line for p in problems} == {line}
    assert any("needs a description" in p.message for p in problems)
    assert any("ask no other server" in p.message for p in problems)

    missing = GOOD_STATION.replace("images/scopes.svg)\n\n+++ en", "images/gone.svg)\n\n+++ en")
    problem = one_problem(site_folder, missing)
    assert "image 'images/gone.svg' not found" in problem.message
    assert problem.line == line_of(missing, "images/gone.svg")


def test_top_level_heading_and_link_scheme(site_folder: SiteFolder) -> None:
    text = GOOD_STATION.replace("## What it is about", "# What it is about").replace(
        "[link](https://ghgprotocol.org/)", "[link](ftp://example.org/)"
    )
    messages = {p.line: p.message for p in problems_for(site_folder, text)}
    assert "use ## (or ###) for headings" in messages[line_of(text, "# What it is about")]
    assert "must start with https://" in messages[line_of(text, "ftp://example.org/")]


def test_body_markers(site_folder: SiteFolder) -> None:
    text = GOOD_STATION.replace("+++ en", "+++ fr")
    messages = [str(p) for p in problems_for(site_folder, text)]
    assert any(f":{line_of(text, '+++ fr')}: body marker '+++ fr'" in m for m in messages)
    assert any("missing translation: no body for 'en'" in m for m in messages)
    stray = GOOD_STATION.replace("+++\n\n+++ de", "+++\nstray text\n+++ de")
    problem = one_problem(site_folder, stray)
    assert problem.line == line_of(stray, "stray text")


def test_two_stations_on_one_anchor(site_folder: SiteFolder) -> None:
    site_folder.write("first.md", GOOD_STATION)
    site_folder.write("second.md", GOOD_STATION)
    _, problems = read_catalogue(site_folder.site, PLACES)
    assert len(problems) == 1
    assert problems[0].path.name == "second.md"
    assert "already holds station 'first'" in problems[0].message
    assert problems[0].line == line_of(GOOD_STATION, "anchor =")


def test_file_name_must_be_an_id(site_folder: SiteFolder) -> None:
    site_folder.write("Mein Thema.md", GOOD_STATION)
    _, problems = read_catalogue(site_folder.site, PLACES)
    assert len(problems) == 1 and "file name must be the station id" in problems[0].message


def test_topics_file_problems(site_folder: SiteFolder) -> None:
    (site_folder.stations / "topics.toml").write_text(
        '[carbon]\ntitle.de = "Klimabilanz"\n', encoding="utf-8"
    )
    site_folder.write("ghg.md", GOOD_STATION)
    _, problems = read_catalogue(site_folder.site, PLACES)
    assert [str(p).split(": ", 1)[1] for p in problems] == [
        "missing translation: carbon.title.en",
        "unknown topic 'carbon' (topics: none)",
    ]
    assert problems[0].line == 2


def test_all_problems_are_reported_at_once(site_folder: SiteFolder) -> None:
    text = (
        GOOD_STATION.replace('anchor = "lab-1"', 'anchor = "nowhere"')
        .replace('title.en = "Carbon accounting"\n', "")
        .replace(
            '{ de = "Scope 1", en = "Scope 1", correct = true }',
            '{ de = "Scope 1", en = "Scope 1" }',
        )
    )
    site_folder.write("ghg.md", text)
    with pytest.raises(ContentError) as caught:
        load_catalogue(site_folder.site, _EmptyWorld())
    assert len(caught.value.problems) == 3
    message = str(caught.value)
    assert message.startswith("station content has 3 problems:")
    assert f"ghg.md:{line_of(text, 'anchor =')}: unknown anchor 'nowhere'" in message
    assert "missing translation: title.en" in message
    assert "question 1 has no correct answer" in message
    assert caught.value.exit_code == 3


class _EmptyWorld:
    def anchors_of(self, kind: str) -> list[object]:
        return []
