"""The Dortmund site's declared calculators against values worked out by hand, against the
results of the Python calculators they replaced (a table of 450 cases computed before that code
was removed), and their input checks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from server.features.stations.calculator_file import read_calculators
from server.features.stations.calculators import INPUT_PROBLEMS, InputRejected
from server.features.stations.number_text import format_number
from world.site import DEFAULT_SITE

CALCULATORS, _PROBLEMS = read_calculators(DEFAULT_SITE, ("de", "en"))
CASES: list[dict[str, Any]] = json.loads(
    (Path(__file__).parent / "calculator_cases.json").read_text(encoding="utf-8")
)


def test_the_dortmund_calculators_load_without_problems() -> None:
    assert _PROBLEMS == []
    assert sorted(CALCULATORS) == ["carbon-footprint", "lighting-retrofit", "motor-retrofit"]


@pytest.mark.parametrize("calculator", ["carbon-footprint", "lighting-retrofit", "motor-retrofit"])
def test_declared_calculators_give_exactly_the_results_of_the_python_ones(calculator: str) -> None:
    cases = [case for case in CASES if case["calculator"] == calculator]
    assert len(cases) == 150
    refused = 0
    for case in cases:
        try:
            result = CALCULATORS[calculator].run(case["inputs"], "de")
        except InputRejected as exc:
            refused += 1
            assert {"refused": exc.codes} == case["expected"], case["inputs"]
            continue
        figures = [[figure.name, figure.value] for figure in result.figures]
        assert {"figures": figures, "notes": len(result.notes)} == case["expected"], case["inputs"]
    if calculator != "carbon-footprint":
        assert 0 < refused < len(cases)  # both the cross-field check and the results are covered


def test_carbon_footprint_by_hand() -> None:
    result = CALCULATORS["carbon-footprint"].run(
        {
            "electricity_kwh": 100_000,
            "natural_gas_kwh": 200_000,
            "heating_oil_litres": 1_000,
            "diesel_litres": 5_000,
            "petrol_litres": 1_000,
            "rail_km": 10_000,
            "car_km": 5_000,
            "flight_km": 2_000,
        },
        "de",
    )
    # gas: 200 000 kWh (gross) / 1.11 = 180 180.18 kWh (net) x 0.201 kg = 36 216.2 kg
    assert result.figure("natural_gas") == 36.22
    assert result.figure("heating_oil") == 2.66  # 1 000 l x 10 kWh/l x 0.266 kg/kWh
    assert result.figure("diesel") == 13.25  # 5 000 l x 2.65 kg/l
    assert result.figure("petrol") == 2.33  # 1 000 l x 2.33 kg/l
    assert result.figure("scope1") == 54.46  # 36 216.2 + 2 660 + 13 250 + 2 330 kg
    assert result.figure("scope2_location") == 36.3  # 100 000 kWh x 0.363 kg/kWh
    assert result.figure("total_scope12") == 90.76
    # travel, scope 3 and not in the total: 290 kg + 770 kg + 428 kg
    assert (result.figure("rail"), result.figure("car"), result.figure("flight")) == (
        0.29,
        0.77,
        0.43,
    )
    assert result.figure("scope3_travel") == 1.49
    with pytest.raises(KeyError):
        result.figure("scope2_market")


def test_carbon_footprint_market_based_scope_2_when_the_supplier_figure_is_given() -> None:
    result = CALCULATORS["carbon-footprint"].run(
        {"electricity_kwh": 50_000, "supplier_g_per_kwh": "120"},
        "de",
    )
    assert result.figure("scope2_market") == 6.0  # 50 000 kWh x 120 g
    assert result.figure("scope2_location") == 18.15  # 50 000 kWh x 363 g
    assert result.figure("total_scope12") == 18.15
    assert result.figure("scope1") == 0.0


def test_lighting_retrofit_by_hand() -> None:
    result = CALCULATORS["lighting-retrofit"].run(
        {
            "luminaires": 20,
            "old_watts": 110,
            "new_watts": 50,
            "hours_per_year": 2500,
            "price_per_kwh": 0.25,
            "cost_per_luminaire": 150,
        },
        "de",
    )
    assert result.figure("old_kwh") == 5500  # 20 x 110 W x 2 500 h
    assert result.figure("new_kwh") == 2500
    assert result.figure("saved_kwh") == 3000
    assert result.figure("saved_eur") == 750
    assert result.figure("saved_co2") == 1089  # 3 000 kWh x 0.363
    assert result.figure("investment") == 3000
    assert result.figure("payback_years") == 4.0


def test_motor_retrofit_by_hand() -> None:
    result = CALCULATORS["motor-retrofit"].run(
        {
            "rated_kw": 11,
            "load_percent": 75,
            "hours_per_year": 4000,
            "old_efficiency": 89.8,
            "new_efficiency": 93.3,
            "price_per_kwh": 0.25,
            "investment": 2500,
        },
        "de",
    )
    # shaft energy 11 x 0.75 x 4 000 = 33 000 kWh; / 0.898 = 36 748.3; / 0.933 = 35 369.8
    assert result.figure("old_kwh") == 36748
    assert result.figure("new_kwh") == 35370
    assert result.figure("saved_kwh") == 1379  # 1 378.5
    assert result.figure("saved_eur") == 345  # 344.6
    assert result.figure("saved_co2") == 500  # 1 378.5 x 0.363
    assert result.figure("payback_years") == 7.3  # 2 500 / 344.6


def test_defaults_fill_missing_inputs() -> None:
    assert CALCULATORS["lighting-retrofit"].run({}, "de").figure("payback_years") == 4.0


def test_every_bad_input_is_named_with_a_message_in_both_languages() -> None:
    with pytest.raises(InputRejected) as caught:
        CALCULATORS["lighting-retrofit"].run(
            {"luminaires": 2.5, "old_watts": "viel", "hours_per_year": 9000, "colour": 3}, "de"
        )
    fields = caught.value.fields
    assert set(fields) == {"luminaires", "old_watts", "hours_per_year", "colour"}
    assert fields["luminaires"]["de"] == "Bitte eine ganze Zahl eingeben."
    assert fields["old_watts"]["en"] == "Enter a number (e.g. 1,200 or 0.25)."
    assert fields["hours_per_year"]["de"] == "Bitte einen Wert von 1 bis 8.760 h/a eingeben."
    assert fields["hours_per_year"]["en"] == "Enter a value from 1 to 8,760 h/a."
    assert fields["colour"]["en"] == "Unknown input 'colour'."
    assert caught.value.codes == {
        "luminaires": "number_not_whole",
        "old_watts": "number_invalid",
        "hours_per_year": "number_out_of_range",
        "colour": "input_unknown",
    }
    assert set(caught.value.codes.values()) <= set(INPUT_PROBLEMS)


@pytest.mark.parametrize(
    "value", [float("nan"), float("inf"), True, 10**400, "1e5", "50 kWh", [3], {"v": 1}]
)
def test_non_numbers_are_refused(value: object) -> None:
    with pytest.raises(InputRejected) as caught:
        CALCULATORS["motor-retrofit"].run({"rated_kw": value}, "de")
    assert caught.value.codes == {"rated_kw": "number_invalid"}
    assert caught.value.fields["rated_kw"]["de"] == (
        "Bitte eine Zahl eingeben (z. B. 1.200 oder 0,25)."
    )


def test_empty_takes_the_default_or_is_required() -> None:
    assert CALCULATORS["motor-retrofit"].validate({"rated_kw": " "}, "de")["rated_kw"] == 11
    form = CALCULATORS["carbon-footprint"].validate({"supplier_g_per_kwh": ""}, "en")
    assert form["supplier_g_per_kwh"] is None


@pytest.mark.parametrize(
    ("lang", "typed", "kwh"),
    [
        ("de", "50.000", 50_000),
        ("de", "50.000,5", 50_000.5),
        ("de", "2.000,5", 2_000.5),
        ("de", "0,5", 0.5),
        ("de", "50 000", 50_000),
        ("en", "50,000.5", 50_000.5),
        ("en", "50000", 50_000),
        ("en", "0.5", 0.5),
    ],
)
def test_typed_numbers_are_read_the_visitors_way(lang: str, typed: str, kwh: float) -> None:
    values = CALCULATORS["carbon-footprint"].validate({"electricity_kwh": typed}, lang)
    assert values["electricity_kwh"] == kwh


def test_fifty_thousand_kwh_typed_in_german_give_the_right_footprint() -> None:
    result = CALCULATORS["carbon-footprint"].run({"electricity_kwh": "50.000"}, "de")
    assert result.figure("scope2_location") == 18.15  # 50 000 kWh x 0.363 kg/kWh, in t
    figure = next(f for f in result.as_dict("de")["figures"] if f["name"] == "scope2_location")
    assert figure["text"] == "18,15 t CO2/a"


@pytest.mark.parametrize(
    ("lang", "typed", "code", "message"),
    [
        (
            "en",
            "50.000",
            "number_ambiguous",
            "'50.000' is unclear: type 50,000 if you mean thousands, or 50 if the point marks "
            "decimals.",
        ),
        (
            "de",
            "1,234",
            "number_ambiguous",
            "„1,234“ ist nicht eindeutig: Bitte 1.234 eingeben, wenn Tausender gemeint sind, "
            "oder 1,2340, wenn das Komma Nachkommastellen abtrennt.",
        ),
        (
            "de",
            "1.5",
            "number_other_language",
            "„1.5“ ist englisch geschrieben. Meinen Sie 1,5? Bitte so eingeben.",
        ),
        (
            "en",
            "2.000,5",
            "number_other_language",
            "'2.000,5' is written the German way. Do you mean 2,000.5? Please type it like that.",
        ),
    ],
)
def test_numbers_that_could_mean_something_else_are_refused_with_the_choices(
    lang: str, typed: str, code: str, message: str
) -> None:
    with pytest.raises(InputRejected) as caught:
        CALCULATORS["carbon-footprint"].run({"electricity_kwh": typed}, lang)
    assert caught.value.codes == {"electricity_kwh": code}
    assert caught.value.for_language(lang) == {"electricity_kwh": message}


def test_german_decimal_comma_is_understood() -> None:
    result = CALCULATORS["lighting-retrofit"].run({"price_per_kwh": "0,30"}, "de")
    assert result.figure("saved_eur") == 900  # 3 000 kWh x 0.30


def test_cross_field_checks() -> None:
    with pytest.raises(InputRejected) as caught:
        CALCULATORS["lighting-retrofit"].run({"old_watts": 40, "new_watts": 50}, "de")
    assert set(caught.value.fields) == {"new_watts"}
    with pytest.raises(InputRejected) as caught:
        CALCULATORS["motor-retrofit"].run({"old_efficiency": 95, "new_efficiency": 93}, "de")
    assert set(caught.value.fields) == {"new_efficiency"}


def test_the_form_lists_inputs_and_sourced_factors() -> None:
    form = CALCULATORS["carbon-footprint"].describe("de")
    names = [i["name"] for i in form["inputs"]]
    assert names[:2] == ["natural_gas_kwh", "heating_oil_litres"]
    optional = next(i for i in form["inputs"] if i["name"] == "supplier_g_per_kwh")
    assert optional["optional"] and optional["default"] is None
    factors = {f["id"]: f for f in form["factors"]}
    assert factors["grid_electricity"]["value"] == 0.363
    assert "Umweltbundesamt (2025)" in factors["grid_electricity"]["source"]
    assert all(f["source"] and 1990 <= f["year"] <= 2100 for f in form["factors"])
    assert form["groups"]["scope3"].startswith("Scope 3")


def test_numbers_are_formatted_per_language() -> None:
    assert format_number(12345.678, "de") == "12.345,68"
    assert format_number(12345.678, "en") == "12,345.68"
    assert format_number(4.0, "de") == "4"


def test_range_messages_write_limits_in_full_and_without_an_empty_unit() -> None:
    with pytest.raises(InputRejected) as caught:
        CALCULATORS["lighting-retrofit"].run({"luminaires": "200.000"}, "de")
    assert caught.value.fields["luminaires"] == {
        "de": "Bitte einen Wert von 1 bis 100.000 eingeben.",
        "en": "Enter a value from 1 to 100,000.",
    }
    with pytest.raises(InputRejected) as caught:
        CALCULATORS["motor-retrofit"].run({"rated_kw": "0,1"}, "de")
    assert (
        caught.value.fields["rated_kw"]["de"] == "Bitte einen Wert von 0,12 bis 1.000 kW eingeben."
    )
