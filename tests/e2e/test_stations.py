"""A visitor at a learning station in the browser: walking up opens its panel (the server
noticed), the content the client got holds no answers, a wrong try shows the explanations and
may be retried, a right one passes, and the passport and the toolbar count follow at once;
the summary downloads."""

from __future__ import annotations

import contextlib
import math
from typing import Any

import numpy as np
import pytest
from conftest import Visitor, Visitors
from playwright.sync_api import Response

from server.features.stations.catalogue import Station, load_catalogue
from world.model import World
from world.site import DEFAULT_SITE, load_site

pytestmark = pytest.mark.e2e


def foyer_station_with_quiz(world: World) -> Station:
    catalogue = load_catalogue(load_site(DEFAULT_SITE), world)
    for station in catalogue.stations:
        if station.place and station.place.room_id == "foyer" and station.quiz is not None:
            return station
    raise AssertionError("the foyer has no station with a quiz")


def in_front_of(world: World, station: Station, distance: float = 1.3) -> tuple[float, float]:
    place = station.place
    assert place is not None
    x, y, z = place.position
    spot = np.array([[x + math.sin(place.yaw) * distance, y, z + math.cos(place.yaw) * distance]])
    walkable = world.nearest_walkable(spot)[0]
    return float(walkable[0]), float(walkable[2])


def keys_anywhere(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in keys_anywhere(v)}
    if isinstance(value, list):
        return {k for v in value for k in keys_anywhere(v)}
    return set()


def walk(visitor: Visitor, x: float, z: float) -> None:
    """Walk there; a walk the server cut short (a correction on a slow machine) goes on."""
    for _ in range(3):
        walked = visitor.walk_to(x, z)
        if walked["arrived"]:
            return
    raise AssertionError((walked, (x, z), visitor.state()["corrections"]))


def open_passport(visitor: Visitor) -> None:
    """Open the station panel on the passport (a station one stands at may open first)."""
    page = visitor.page
    for _ in range(3):
        if page.locator("#panel-station").is_hidden():
            page.locator("#toggle-station").click()
        visitor.wait_for("s.stations.open !== null || s.stations.showingPassport")
        if not visitor.state()["stations"]["showingPassport"]:
            page.locator("#station-show-passport").click()
        with contextlib.suppress(AssertionError):
            visitor.wait_for("s.stations.showingPassport", timeout_ms=2000)
            return
    raise AssertionError(visitor.state()["stations"])


def tick(visitor: Visitor, question: str, option: str) -> None:
    visitor.page.locator(
        f'#station-view input[data-question="{question}"][value="{option}"]'
    ).check()


def test_a_visitor_walks_to_a_station_answers_its_quiz_and_the_passport_follows(
    visitors: Visitors, world_model: World
) -> None:
    station = foyer_station_with_quiz(world_model)
    quiz = station.quiz
    assert quiz is not None
    ada = visitors.open("Ada")
    station_responses: list[Response] = []

    def keep(response: Response) -> None:
        if "/api/stations" in response.url:
            station_responses.append(response)

    ada.page.on("response", keep)
    visitors.enter(ada)
    ada.wait_for("s.stations && s.stations.passport !== null")
    assert ada.state()["stations"]["passport"]["quizzesPassed"] == 0

    x, z = in_front_of(world_model, station)
    walk(ada, x, z)
    ada.wait_for("s.stations.open === arg && s.stations.near === arg", station.id)
    assert ada.page.locator("#panel-station").is_visible()
    assert ada.page.locator("#station-heading").inner_text() == station.title["de"]
    ada.wait_for("s.stations.passport.stamps.includes(arg)", station.id)

    # What the client received before answering: content, but no answers, no explanations.
    assert station_responses, "the client read no station content"
    sent = set().union(*(keys_anywhere(r.json()) for r in station_responses))
    assert "correct" not in sent and "explanation" not in sent
    assert "questions" in sent

    # A wrong try: marked on the server, explanations shown, try again.
    for question in quiz.questions:
        wrong = next(o.id for o in question.options if not o.correct)
        tick(ada, question.id, wrong)
    ada.page.get_by_role("button", name="Antworten prüfen").click()
    ada.wait_for("s.stations.quiz !== null && s.stations.quiz.passed === false")
    explanation = quiz.questions[0].explanation["de"]
    assert ada.page.get_by_text(explanation).is_visible()
    ada.page.get_by_role("button", name="Noch einmal versuchen").click()

    for question in quiz.questions:
        for option in question.options:
            if option.correct:
                tick(ada, question.id, option.id)
    ada.page.get_by_role("button", name="Antworten prüfen").click()
    ada.wait_for("s.stations.quiz !== null && s.stations.quiz.passed === true")
    ada.wait_for("s.stations.passport.quizzesPassed === 1")
    opened = ada.state()["stations"]["passport"]["opened"]
    assert ada.page.locator("#station-badge").inner_text().startswith(f"{opened}/")
    assert "Quiz bestanden" in ada.page.locator("#station-progress").inner_text()
    ada.screenshot("station-quiz-passed.png")

    # The passport lists the station as passed, and its summary downloads.
    ada.page.locator("#station-show-passport").click()
    stamp = ada.page.locator(f'.passport-stamps li[data-station="{station.id}"]')
    assert "Quiz bestanden" in stamp.inner_text()
    with ada.page.expect_download() as download:
        ada.page.get_by_role("button", name="Zusammenfassung herunterladen").click()
    summary = download.value.path().read_text(encoding="utf-8")
    assert station.title["de"] in summary


def test_walking_away_closes_a_station_one_only_looked_at_and_a_click_on_its_stand_opens_it(
    visitors: Visitors, world_model: World
) -> None:
    station = foyer_station_with_quiz(world_model)
    bo = visitors.new("Bo")
    x, z = in_front_of(world_model, station)
    walk(bo, x, z)
    bo.wait_for("s.stations.open === arg", station.id)
    spawn = next(s for s in bo.venue()["spawns"] if s["room"] == "foyer")
    walk(bo, spawn["x"], spawn["z"])
    bo.wait_for("s.stations.near === null && s.stations.open === null")
    assert bo.page.locator("#panel-station").is_hidden()

    # From further away (outside the 2.5 m), a click on the stand opens it too.
    x, z = in_front_of(world_model, station, distance=3.4)
    walk(bo, x, z)
    assert bo.state()["stations"]["open"] is None
    assert station.place is not None
    sx, _, sz = station.place.position
    bo.page.evaluate("([x, z]) => window.hubtwin.lookAt(x, z)", [sx, sz])
    bo.frames(2)  # the camera turns in the next frames; then the click aims where we look
    box = bo.page.locator("#view").bounding_box()
    assert box is not None
    bo.page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    bo.wait_for("s.stations.open === arg", station.id)


def test_a_panel_opened_while_the_station_walked_up_to_loads_stays_open(
    visitors: Visitors, world_model: World
) -> None:
    """Walking up to a stand opens its panel once its content has come; someone who opened
    another panel meanwhile keeps that one, and the stations button shows the station."""
    station = foyer_station_with_quiz(world_model)
    assert station.place is not None
    sx, _, sz = station.place.position
    cy = visitors.new("Cy")
    spawns = [s for s in cy.venue()["spawns"] if s["room"] == "foyer"]
    away = max(spawns, key=lambda s: math.hypot(s["x"] - sx, s["z"] - sz))
    walk(cy, away["x"], away["z"])
    cy.wait_for("s.stations.near === null")
    cy.clear_view()

    held = cy.hold_requests(f"**/api/stations/{station.id}/open")
    x, z = in_front_of(world_model, station)
    walk(cy, x, z)
    cy.wait_for("s.stations.near === arg", station.id)
    cy.until_held(held, 1)
    cy.page.locator("#toggle-rooms").click()
    cy.page.locator("#panel-rooms").wait_for(state="visible")
    held[0].continue_()
    cy.page.wait_for_function(
        "t => document.getElementById('station-heading').textContent === t", arg=station.title["de"]
    )
    cy.wait_for("s.stations.passport.stamps.includes(arg)", station.id)
    assert cy.page.locator("#panel-rooms").is_visible()
    assert cy.page.locator("#panel-station").is_hidden()

    cy.page.locator("#toggle-station").click()
    cy.wait_for("s.stations.open === arg", station.id)
    assert cy.page.locator("#panel-rooms").is_hidden()
    assert cy.page.locator("#station-heading").inner_text() == station.title["de"]


def open_carbon_calculator(visitor: Visitor) -> None:
    open_passport(visitor)
    visitor.page.locator('.passport-stamps li[data-station="carbon-accounting"] button').click()
    visitor.wait_for("s.stations.open === 'carbon-accounting'")


def experiment_requests(visitor: Visitor) -> list[dict[str, Any]]:
    """The bodies of the experiment requests this visitor's page sends from now on."""
    sent: list[dict[str, Any]] = []
    visitor.page.on(
        "request",
        lambda request: (
            sent.append(request.post_data_json) if request.url.endswith("/experiment") else None
        ),
    )
    return sent


def test_an_experiment_from_the_passport_checks_its_inputs_and_counts(visitors: Visitors) -> None:
    cem = visitors.new("Cem")
    cem.wait_for("s.stations && s.stations.passport !== null")
    open_carbon_calculator(cem)
    sent = experiment_requests(cem)
    field = cem.page.locator("#exp-carbon-accounting-electricity_kwh")
    field.fill("sehr viel")
    calculate = cem.page.get_by_role("button", name="Berechnen")
    calculate.click()
    message = cem.page.locator("#exp-carbon-accounting-electricity_kwh-error")
    message.wait_for(state="visible")
    assert "Zahl" in message.inner_text() and field.get_attribute("aria-invalid") == "true"
    assert cem.state()["stations"]["passport"]["experimentsDone"] == 0
    # Refused in the browser by the server's own rules: nothing was sent.
    assert sent == []
    field.fill("120000")
    calculate.click()
    cem.page.locator(".experiment-results dl").wait_for(state="visible")
    assert field.get_attribute("aria-invalid") is None
    cem.wait_for("s.stations.passport.experimentsDone === 1")
    assert "carbon-accounting" in cem.state()["stations"]["passport"]["stamps"]
    assert len(sent) == 1


def test_a_german_visitor_types_fifty_thousand_kwh_with_a_point_and_gets_the_right_result(
    visitors: Visitors,
) -> None:
    dora = visitors.new("Dora")
    dora.wait_for("s.stations && s.stations.passport !== null")
    open_carbon_calculator(dora)
    sent = experiment_requests(dora)
    page = dora.page
    assert "Strommix Deutschland: 0,363 kg CO2/kWh" in str(page.locator(".factors").text_content())
    field = page.locator("#exp-carbon-accounting-electricity_kwh")
    calculate = page.get_by_role("button", name="Berechnen")
    error = page.locator("#exp-carbon-accounting-electricity_kwh-error")

    # Fifty thousand written the English way could be fifty: asked, not guessed.
    field.fill("50,000")
    calculate.click()
    error.wait_for(state="visible")
    assert error.inner_text() == (
        "„50,000“ ist nicht eindeutig: Bitte 50.000 eingeben, wenn Tausender gemeint sind, "
        "oder 50, wenn das Komma Nachkommastellen abtrennt."
    )
    assert sent == []

    field.fill("50.000")
    calculate.click()
    results = page.locator(".experiment-results dl")
    results.wait_for(state="visible")
    scope2 = results.locator("dt", has_text="Scope 2, standortbasiert")
    assert scope2.locator("xpath=following-sibling::dd[1]").inner_text() == "18,15 t CO2/a"
    assert error.inner_text() == "" and field.get_attribute("aria-invalid") is None
    assert len(sent) == 1 and sent[0]["lang"] == "de"
    assert sent[0]["inputs"]["electricity_kwh"] == "50.000"  # as typed: the server reads it too
    dora.wait_for("s.stations.passport.experimentsDone === 1")
    dora.screenshot("station-experiment-german-thousands.png")


def test_an_english_visitor_typing_fifty_thousand_with_a_point_is_asked_what_they_mean(
    visitors: Visitors,
) -> None:
    eve = visitors.new("Eve")
    page = eve.page
    page.click("#toggle-settings")
    page.locator('#language-switch-hub [data-language="en"]').click()
    page.keyboard.press("Escape")
    eve.wait_for("s.stations && s.stations.passport !== null")
    open_carbon_calculator(eve)
    sent = experiment_requests(eve)
    field = page.locator("#exp-carbon-accounting-electricity_kwh")
    calculate = page.get_by_role("button", name="Calculate")
    error = page.locator("#exp-carbon-accounting-electricity_kwh-error")
    field.fill("50.000")
    calculate.click()
    error.wait_for(state="visible")
    assert error.inner_text() == (
        "'50.000' is unclear: type 50,000 if you mean thousands, or 50 if the point marks decimals."
    )
    assert sent == []
    field.fill("50,000")
    calculate.click()
    results = page.locator(".experiment-results dl")
    results.wait_for(state="visible")
    scope2 = results.locator("dt", has_text="Scope 2, location-based")
    assert scope2.locator("xpath=following-sibling::dd[1]").inner_text() == "18.15 t CO2/a"
    assert len(sent) == 1 and sent[0]["lang"] == "en"
