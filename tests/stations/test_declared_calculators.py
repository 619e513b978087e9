"""A region adds a calculator with a file: the hydrogen electrolyser of docs/content-format.md
(read from the document itself), its results by hand, every mistake in such a file as one line
with file and line, and the calculator over HTTP (real sockets) with numbers typed in German.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from station_files import GOOD_STATION, PLACES, SiteFolder
from test_stations_http import Api, start, stop

from server.app.cli import main
from server.features.stations.calculator_file import read_calculators
from server.features.stations.calculators import Calculator, InputRejected
from server.features.stations.catalogue import read_catalogue
from world.site import PROJECT_ROOT

DOC = PROJECT_ROOT / "docs" / "content-format.md"
FILE = "hydrogen-electrolyser.toml"


def hydrogen_example() -> str:
    """The full example of docs/content-format.md, "A calculator file"."""
    text = DOC.read_text(encoding="utf-8")
    section = text[text.index("### A calculator file") :]
    match = re.search(r"```toml\n(.*?)```", section, re.S)
    assert match is not None
    return match.group(1)


HYDROGEN = hydrogen_example()
HYDROGEN_STATION = GOOD_STATION.replace(
    'calculator = "carbon-footprint"', 'calculator = "hydrogen-electrolyser"'
)


def load(site_folder: SiteFolder, text: str) -> tuple[dict[str, Calculator], list[str]]:
    site_folder.write_calculator(FILE, text)
    calculators, problems = read_calculators(site_folder.root, ("de", "en"))
    return calculators, [str(p).replace(str(site_folder.root) + "/", "") for p in problems]


def line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


def test_the_documented_example_computes_what_was_worked_out_by_hand(
    site_folder: SiteFolder,
) -> None:
    calculators, problems = load(site_folder, HYDROGEN)
    assert problems == []
    result = calculators["hydrogen-electrolyser"].run({}, "de")
    figures = {f.name: f.value for f in result.figures}
    assert figures == {
        "electricity": 4000,  # 1 000 kW x 4 000 h = 4 000 MWh
        "hydrogen": 72.7,  # 4 000 000 kWh / 55 kWh/kg = 72 727 kg
        "efficiency": 71.6,  # 39.4 / 55
        "cost_per_kg": 5.43,  # (320 000 € + 1 500 000 € / 20) / 72 727 kg
        "grid_co2": 20.0,  # 55 kWh x 0.363 kg/kWh = 19.965 kg
    }
    assert len(result.notes) == 1
    shown = {f["name"]: f["text"] for f in result.as_dict("de")["figures"]}
    assert shown["electricity"] == "4.000 MWh/a"
    assert shown["cost_per_kg"] == "5,43 €/kg H2"
    assert result.as_dict("en")["figures"][1]["text"] == "72.7 t H2/a"


def test_the_optional_grant_adds_a_result_only_when_given(site_folder: SiteFolder) -> None:
    calculators, _ = load(site_folder, HYDROGEN)
    result = calculators["hydrogen-electrolyser"].run({"grant_percent": "40"}, "de")
    # 75 000 €/a investment, 40 % of it granted: (320 000 + 75 000 - 30 000) / 72 727.27
    assert result.figure("cost_per_kg_with_grant") == 5.02
    assert result.figure("cost_per_kg") == 5.43


def test_the_check_refuses_impossible_inputs_at_the_named_input(site_folder: SiteFolder) -> None:
    calculators, _ = load(site_folder, HYDROGEN)
    with pytest.raises(InputRejected) as caught:
        calculators["hydrogen-electrolyser"].run({"specific_energy": "35"}, "en")
    assert caught.value.codes == {"specific_energy": "inputs_inconsistent"}
    assert caught.value.for_language("en") == {
        "specific_energy": "No electrolyser uses less electricity than the hydrogen holds."
    }


def _mistake(old: str, new: str) -> str:
    assert old in HYDROGEN
    return HYDROGEN.replace(old, new, 1)


MISTAKES = [
    (
        (
            'formula = "electricity_kwh / specific_energy"',
            'formula = "electricity_kwh / specific_enrgy"',
        ),
        "specific_enrgy",
        "results[3].formula 'electricity_kwh / specific_enrgy': unknown name 'specific_enrgy' "
        "(did you mean 'specific_energy'?) (inputs, factors and earlier results: capex_per_kw, "
        "electricity, electricity_kwh, electricity_price, electrolyser_kw, full_load_hours, "
        "grant_percent, grid_electricity, hydrogen_hhv, lifetime, specific_energy)",
    ),
    (
        ('unit = "t H2/a"', 'unit = "t CO2/a"'),
        't CO2/a"',
        "results[3] (hydrogen): the formula gives kg H2/a but unit says t CO2/a: change unit or "
        "the formula",
    ),
    (
        (
            'formula = "hydrogen_hhv / specific_energy"',
            'formula = "hydrogen_hhv / (specific_energy - 30)"',
        ),
        "specific_energy - 30",
        "results[4].formula 'hydrogen_hhv / (specific_energy - 30)': division by "
        "(specific_energy - 30), which can be zero (its range is 0 to 50): narrow the inputs' "
        "ranges, or add a check that keeps it above zero",
    ),
    (
        ('unit = "€/kW"', 'unit = "€/kw"'),
        '"€/kw"',
        "inputs[5].unit: unknown unit 'kw' (known: %, CH4, CO2, CO2e, EUR, GJ, GWh, H2, H2O, J, "
        "Jahr, Jahre, MJ, MW, MWh, Nm3, O2, Pkm, W, Wh, a, ct, d, g, h, kJ, kW, kWh, kg, km, l, "
        "m, m3, min, m³, s, t, year, years, €)",
    ),
    (
        (
            'decimals = 1\n\n[[results]]\nname = "efficiency"',
            'decimal = 1\n\n[[results]]\nname = "efficiency"',
        ),
        "decimal = 1",
        "unknown key 'results[3].decimal' (did you mean 'decimals'? allowed here: decimals, "
        "formula, group, label, name, needs, show, unit)",
    ),
    (
        (
            'needs = ["grant_percent"]\n\n[[results]]\nname = "cost_per_kg"',
            '\n[[results]]\nname = "cost_per_kg"',
        ),
        'formula = "capex_per_year * grant_percent"',
        'results[6] (grant_per_year) uses the optional "grant_percent": add needs = '
        '["grant_percent"]',
    ),
    (
        ("default = 20\n", "default = 45\n"),
        "default = 45",
        "inputs[6]: default 45 lies outside 5 to 30",
    ),
    (
        ("year = 2016\n", ""),
        "[[factors]]",
        "missing factors[1].year",
    ),
]


@pytest.mark.parametrize(("edit", "needle", "message"), MISTAKES)
def test_each_mistake_is_one_line_with_file_line_and_what_to_do(
    site_folder: SiteFolder, edit: tuple[str, str], needle: str, message: str
) -> None:
    text = _mistake(*edit)
    _, problems = load(site_folder, text)
    assert problems == [f"calculators/{FILE}:{line_of(text, needle)}: {message}"]


def test_content_check_reports_calculator_mistakes(
    site_folder: SiteFolder, capsys: pytest.CaptureFixture[str]
) -> None:
    site_folder.write_calculator(FILE, _mistake('unit = "t H2/a"', 'unit = "t CO2/a"'))
    site_folder.write("h2.md", HYDROGEN_STATION)
    assert main(["content", "check", "--site", str(site_folder.root)]) == 3
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 2
    assert lines[0].endswith(
        f"calculators/{FILE}:{line_of(HYDROGEN, 't H2/a')}: results[3] (hydrogen): the formula "
        "gives kg H2/a but unit says t CO2/a: change unit or the formula"
    )
    assert lines[1] == "hubtwin: 1 content problem found"


def test_content_check_notes_a_calculator_no_station_uses(
    site_folder: SiteFolder, capsys: pytest.CaptureFixture[str]
) -> None:
    site_folder.write_calculator(FILE, HYDROGEN)
    site_folder.write("ghg.md", GOOD_STATION)
    assert main(["content", "check", "--site", str(site_folder.root)]) == 0
    captured = capsys.readouterr()
    notes = [line for line in captured.err.splitlines() if "calculator" in line]
    assert notes == [
        "note: calculator 'hydrogen-electrolyser' is used by no station yet",
        "note: calculator 'lighting-retrofit' is used by no station yet",
        "note: calculator 'motor-retrofit' is used by no station yet",
    ]
    assert captured.out.strip().endswith("4 calculators")


def test_a_station_naming_a_missing_calculator_is_refused(site_folder: SiteFolder) -> None:
    site_folder.write("h2.md", HYDROGEN_STATION)
    _, problems = read_catalogue(site_folder.site, PLACES)
    assert [p.message for p in problems] == [
        "unknown calculator 'hydrogen-electrolyser': add calculators/hydrogen-electrolyser.toml "
        "or name one of the site's calculators (carbon-footprint, lighting-retrofit, "
        "motor-retrofit)"
    ]


@pytest.fixture
async def hydrogen_api(tmp_path: Path, site_folder: SiteFolder) -> AsyncIterator[Api]:
    site_folder.write_calculator(FILE, HYDROGEN)
    site_folder.write("h2.md", HYDROGEN_STATION.replace("lab-1", "foyer-1"))
    running = await start(tmp_path, site_folder, {"lab": set()})
    try:
        yield running
    finally:
        await stop(running)


async def test_the_hydrogen_calculator_over_http(hydrogen_api: Api) -> None:
    api = hydrogen_api
    listing = await api.json("GET", "/api/stations?lang=en")
    station = next(s for s in listing["stations"] if s["id"] == "h2")
    form = station["experiment"]
    assert form["id"] == "hydrogen-electrolyser"
    assert [i["name"] for i in form["inputs"]][:2] == ["electrolyser_kw", "full_load_hours"]
    assert {f["id"]: f["year"] for f in form["factors"]} == {
        "hydrogen_hhv": 2016,
        "grid_electricity": 2025,
    }
    _, auth = await api.guest("Ada")
    ran = await api.json(
        "POST",
        "/api/stations/h2/experiment",
        headers=auth,
        json={"inputs": {"electrolyser_kw": "2.000", "grant_percent": "40"}, "lang": "de"},
    )
    texts = {f["name"]: f["text"] for f in ran["figures"]}
    # 2 000 kW: twice the electricity and hydrogen, the same cost per kg
    assert texts["electricity"] == "8.000 MWh/a"
    assert texts["hydrogen"] == "145,5 t H2/a"
    assert texts["cost_per_kg"] == "5,43 €/kg H2"
    assert texts["cost_per_kg_with_grant"] == "5,02 €/kg H2"
    refused = await api.json(
        "POST",
        "/api/stations/h2/experiment",
        status=422,
        headers=auth,
        json={"inputs": {"specific_energy": "35"}, "lang": "de"},
    )
    assert refused["error"]["fields"] == {
        "specific_energy": "Kein Elektrolyseur braucht weniger Strom, als im Wasserstoff steckt."
    }
    assert refused["error"]["reasons"] == {"specific_energy": "inputs_inconsistent"}
