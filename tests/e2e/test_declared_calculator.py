"""A calculator a region declared in a file computes in the browser's station panel: a copy of
the Dortmund site gets the hydrogen electrolyser of docs/content-format.md (read from the
document) on its photovoltaics station, ``hubtwin serve --site COPY`` runs it, and a German
visitor types two thousand kilowatts the German way and reads the server's figures."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import HubServer, Visitors, copy_built, running_hub
from test_stations import experiment_requests, open_passport

from world.site import DEFAULT_SITE, PROJECT_ROOT

pytestmark = pytest.mark.e2e

DOC = PROJECT_ROOT / "docs" / "content-format.md"


def hydrogen_example() -> str:
    text = DOC.read_text(encoding="utf-8")
    section = text[text.index("### A calculator file") :]
    match = re.search(r"```toml\n(.*?)```", section, re.S)
    assert match is not None
    return match.group(1)


def region_site(folder: Path) -> Path:
    """The Dortmund site with the hydrogen calculator on its photovoltaics station."""
    site = folder / "region-site"
    shutil.copytree(DEFAULT_SITE, site)
    (site / "calculators" / "hydrogen-electrolyser.toml").write_text(
        hydrogen_example(), encoding="utf-8"
    )
    station = site / "stations" / "photovoltaics.md"
    front, fence, rest = station.read_text(encoding="utf-8").partition("\n+++\n\n+++ de")
    assert fence, "the station file has its front matter closed before the German body"
    station.write_text(
        front + '\n\n[experiment]\ncalculator = "hydrogen-electrolyser"' + fence + rest,
        encoding="utf-8",
    )
    return site


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubServer]:
    folder = tmp_path_factory.mktemp("region")
    site = region_site(folder)
    data_dir = folder / "data"
    copy_built(data_dir, talks=False)
    with running_hub(data_dir, "--site", str(site)) as server:
        yield server


def test_a_declared_calculator_computes_in_the_station_panel(visitors: Visitors) -> None:
    hana = visitors.new("Hana")
    hana.wait_for("s.stations && s.stations.passport !== null")
    open_passport(hana)
    page = hana.page
    page.locator('.passport-stamps li[data-station="photovoltaics"] button').click()
    hana.wait_for("s.stations.open === 'photovoltaics'")
    sent = experiment_requests(hana)
    assert "Wasserstoff, Brennwert: 39,4 kWh/kg H2" in str(page.locator(".factors").text_content())
    power = page.locator("#exp-photovoltaics-electrolyser_kw")
    power.fill("2.000")
    page.locator("#exp-photovoltaics-grant_percent").fill("40")
    page.get_by_role("button", name="Berechnen").click()
    results = page.locator(".experiment-results dl")
    results.wait_for(state="visible")

    def figure(label: str) -> str:
        term = results.locator("dt", has_text=label).first
        return term.locator("xpath=following-sibling::dd[1]").inner_text()

    # 2 000 kW x 4 000 h = 8 000 MWh; / 55 kWh/kg = 145.5 t; the cost per kg stays 5.43 €
    assert figure("Strombedarf") == "8.000 MWh/a"
    assert figure("Erzeugter Wasserstoff") == "145,5 t H2/a"
    assert figure("Kosten je kg Wasserstoff") == "5,43 €/kg H2"
    assert figure("mit Förderung") == "5,02 €/kg H2"
    assert len(sent) == 1 and sent[0]["inputs"]["electrolyser_kw"] == "2.000"
    hana.wait_for("s.stations.passport.experimentsDone === 1")

    # a check of the file refuses impossible inputs at the input it names
    page.locator("#exp-photovoltaics-specific_energy").fill("35")
    page.get_by_role("button", name="Berechnen").click()
    error = page.locator("#exp-photovoltaics-specific_energy-error")
    error.wait_for(state="visible")
    assert error.inner_text() == (
        "Kein Elektrolyseur braucht weniger Strom, als im Wasserstoff steckt."
    )
    # the browser logs the server's 422 as a failed resource: expected here, nothing else is
    refused = [p for p in hana.problems if "422" in p and "/photovoltaics/experiment" in p]
    assert len(refused) == 1 and len(sent) == 2
    hana.problems.remove(refused[0])
