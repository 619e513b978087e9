"""The action plan panel in the browser: Anna opens it (key G), makes a team for her firm
and adds a measure with the keyboard-reachable form; Ben comes by the team's link, joins,
sees Anna's measure as the server keeps it and sets it to done, which Anna's open panel
shows at once (plan_watch), and adds one of his own, which Anna sees when she opens the
panel again; Ben's first try without a title is refused by the form; axe-core finds
nothing in the panel. Cem runs the lighting station's calculator and
puts its result into a measure of his plan, then recomputes it."""

from __future__ import annotations

import re

import pytest
from conftest import Visitor, Visitors
from test_accessibility import assert_clean
from test_stations import open_passport

pytestmark = pytest.mark.e2e


def open_plans(visitor: Visitor) -> None:
    page = visitor.page
    page.locator("#view").focus()
    page.keyboard.press("g")
    page.wait_for_selector("#panel-plans:not([hidden])")
    page.wait_for_function(  # the teams are read when the panel opens
        "() => document.querySelector('#plans-status').textContent"
        " !== 'Ihre Teams werden geladen …'"
    )


def measures(visitor: Visitor) -> list[str]:
    return list(visitor.page.locator("#plans-body .plans-measure h5").all_text_contents())


def add_measure(visitor: Visitor, title: str, area: str, kwh: str) -> None:
    page = visitor.page
    panel = page.locator("#panel-plans")  # (a station's panel may be open beside it)
    panel.get_by_label("Maßnahme", exact=True).fill(title)
    panel.get_by_label("Bereich", exact=True).select_option(area)
    panel.get_by_label("Energie (kWh pro Jahr)").fill(kwh)
    panel.get_by_role("button", name="Hinzufügen").click()
    page.wait_for_function(
        "t => [...document.querySelectorAll('#plans-body .plans-measure h5')]"
        ".some(h => h.textContent === t)",
        arg=title,
    )


def test_team_members_make_a_plan_together_in_the_panel(visitors: Visitors) -> None:
    anna = visitors.new("Anna")
    open_plans(anna)
    page = anna.page
    plans = page.locator("#panel-plans")  # (a station's panel may be open beside it)
    plans.get_by_label("Name des Teams").fill("Grüne Backstube")
    plans.get_by_label("Unternehmen", exact=True).fill("Bäckerei Korn GmbH")
    page.get_by_role("button", name="Team anlegen").click()
    page.wait_for_selector("#plans-body .plans-link input")
    assert page.locator("#plans-status").text_content() == "Team „Grüne Backstube“ angelegt."
    add_measure(anna, "LED in der Backstube", "energy", "7200")
    item = page.locator("#plans-body .plans-measure").first
    assert "Energie · Anna" in item.text_content()
    assert "7.200 kWh" in item.text_content()
    consent = plans.get_by_label("Fortschritt in der Austauschreihe neben anderen Teams zeigen")
    consent.check()
    page.wait_for_function(
        "() => document.querySelector('#plans-status').textContent === 'Gespeichert.'"
    )
    assert plans.get_by_label(
        "Fortschritt in der Austauschreihe neben anderen Teams zeigen"
    ).is_checked()
    assert_clean(page, "#panel-plans")
    link = page.locator("#plans-body .plans-link input").input_value()
    assert "?team=" in link and "&join=" in link

    ben = visitors.open("Ben")
    ben.page.goto(link)
    ben.page.wait_for_function("window.hubtwin !== undefined")
    visitors.enter(ben)
    open_plans(ben)
    ben_plans = ben.page.locator("#panel-plans")
    ben.page.get_by_role("button", name="Dem Team beitreten").click()
    ben.page.wait_for_selector("#plans-body .plans-measure")
    assert measures(ben) == ["LED in der Backstube"]
    page.locator("#plans-body h3").focus()  # Anna reads her plan, the panel open
    ben_plans.get_by_label("Stand von „LED in der Backstube“").select_option("done")
    ben.page.wait_for_function(
        "() => document.querySelector('#plans-status').textContent === 'Gespeichert.'"
    )
    page.wait_for_function(  # Ben's change arrives by itself (plan_state)
        "() => document.querySelector('.plans-totals')?.textContent.startsWith('1 von 1')"
    )
    ben_plans.get_by_role("button", name="Hinzufügen").click()  # no title: the form refuses
    assert measures(ben) == ["LED in der Backstube"]
    add_measure(ben, "Jobrad für alle", "mobility", "")
    assert measures(ben) == ["LED in der Backstube", "Jobrad für alle"]

    page.get_by_role("button", name="Zurück zu den Teams").click()
    page.keyboard.press("Escape")
    page.wait_for_selector("#panel-plans", state="hidden")
    open_plans(anna)
    page.get_by_role("button", name="Grüne Backstube öffnen").click()
    page.wait_for_function(
        "() => document.querySelectorAll('#plans-body .plans-measure').length === 2"
    )
    assert measures(anna) == ["LED in der Backstube", "Jobrad für alle"]
    assert plans.get_by_label("Stand von „LED in der Backstube“").input_value() == "done"
    assert "1 von 2 Maßnahmen erledigt" in page.locator(".plans-totals").text_content()


def test_a_station_calculators_result_goes_into_a_measure_and_is_recomputed(
    visitors: Visitors,
) -> None:
    cem = visitors.new("Cem")
    cem.wait_for("s.stations && s.stations.passport !== null")
    open_passport(cem)
    page = cem.page
    page.locator('.passport-stamps li[data-station="energy-lighting"] button').click()
    cem.wait_for("s.stations.open === 'energy-lighting'")
    page.locator("#exp-energy-lighting-luminaires").fill("40")
    page.get_by_role("button", name="Berechnen").click()
    page.locator(".experiment-results dl").wait_for(state="visible")

    page.locator("#toggle-plans").click()
    page.wait_for_selector("#panel-plans:not([hidden])")
    page.wait_for_function(
        "() => document.querySelector('#plans-status').textContent"
        " !== 'Ihre Teams werden geladen …'"
    )
    page.get_by_label("Name des Teams").fill("Licht-Team")
    page.get_by_role("button", name="Team anlegen").click()
    page.wait_for_selector("#plans-body .plans-link input")
    add_measure(cem, "LED in der Halle", "energy", "")
    page.get_by_role(
        "button", name=re.compile(r"^Letztes Rechnerergebnis .* „LED in der Halle“")
    ).click()
    item = page.locator("#plans-body .plans-measure").first
    # 40 luminaires x 60 W less x 2,500 h = 6,000 kWh; x 0.25 €/kWh; x 0.363 kg CO2/kWh
    page.wait_for_function(
        "() => document.querySelector('#plans-body .plans-measure')"
        "?.textContent.includes('6.000 kWh')"
    )
    text = item.text_content() or ""
    assert "2.178 kg CO2e · 6.000 kWh · 1.500 € pro Jahr" in text
    assert "Aus dem Rechner der Station energy-lighting" in text
    page.get_by_role("button", name="„LED in der Halle“ neu berechnen").click()
    page.wait_for_function(
        "() => document.querySelector('#plans-status').textContent === 'Neu berechnet.'"
    )
    assert "6.000 kWh" in (item.text_content() or "")
