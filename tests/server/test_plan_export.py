"""The plan's PDF carries the site's branding: its logo when it has one, its primary colour
in the header, and it is made in either language (server/features/board/plan_export.py). Its text,
read back from the PDF, has each measure's fields as the CSV has them, with € and kg CO₂e,
„German quotes“ and ß as they are; without the font the PDF is refused in one line."""

from __future__ import annotations

import csv
import io
import re
import zlib
from zoneinfo import ZoneInfo

import pypdf
import pytest

import world.fonts
from server.domain.action_plans import Team
from server.features.board.plan_export import CSV_COLUMNS, plan_csv, plan_pdf
from world.fonts import FontMissing, font_file
from world.site import DEFAULT_SITE, PROJECT_ROOT, load_site


def plan() -> Team:
    team = Team.new("t1", "Grüne Backstube", firm="Korn GmbH", by=("ada", "Ada"), now=0.0)
    team.add_measure({"title": "LED", "co2e_kg": 5.0, "status": "done"}, by="ada", now=1.0)
    return team


def drawn(body: bytes) -> str:
    streams = re.findall(rb"stream\r?\n(.*?)\r?\nendstream", body, re.S)
    out = []
    for stream in streams:
        try:
            out.append(zlib.decompress(stream).decode("latin-1"))
        except zlib.error:
            continue
    return "\n".join(out)


def pdf_text(body: bytes) -> str:
    """The text of every page of a PDF, as a reader of it gets it (the wider gaps between
    the words of a justified line read as one space)."""
    text = "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(body)).pages)
    return re.sub(r" {2,}", " ", text)


def test_the_pdf_has_the_sites_logo_and_colour() -> None:
    site = load_site(DEFAULT_SITE)
    body = plan_pdf(plan(), "de", site, now=0.0)
    assert body.startswith(b"%PDF-") and b"/Subtype /Image" in body
    red, green, blue = (int(site.branding.primary_colour[i : i + 2], 16) for i in (1, 3, 5))
    colour = f"{red / 255:.4f} {green / 255:.4f} {blue / 255:.4f} rg"
    assert colour in drawn(body)


def test_a_site_without_a_logo_gets_a_pdf_without_one() -> None:
    site = load_site(PROJECT_ROOT / "bench" / "bench-hall")
    assert site.branding.logo is None
    body = plan_pdf(plan(), "en", site, now=0.0)
    assert b"/Subtype /Image" not in body
    assert "Action plan: Grüne Backstube" in pdf_text(body)


def full_plan() -> Team:
    team = Team.new("t1", "Bäckerei „Korn“", firm="Korn & Söhne GmbH", by=("ada", "Ada"), now=0.0)
    team.add_measure(
        {
            "title": "LED „hell“ in der Backstube – Halle",
            "area": "energy",
            "status": "in_progress",
            "owner": "ada",
            "due": "2027-03-31",
            "co2e_kg": 2613.6,
            "energy_kwh": 7200.0,
            "money_eur": 2160.25,
            "note": "Angebot über 3.000 € liegt vor",
            "source_text": "Schätzung: Zählerstand ÷ 12",
        },
        by="ada",
        now=1.0,
    )
    team.add_measure(
        {"title": "Jobrad für die Straße", "area": "mobility", "co2e_kg": 0.5, "money_eur": 99},
        by="ada",
        now=2.0,
    )
    team.add_measure({"title": "Müll trennen", "status": "done", "co2e_kg": 12}, by="ada", now=3.0)
    return team


@pytest.mark.parametrize("lang", ["de", "en"])
def test_the_pdf_has_every_measures_fields_as_the_csv_with_euro_and_co2e(lang: str) -> None:
    team = full_plan()
    site = load_site(DEFAULT_SITE)
    text = pdf_text(plan_pdf(team, lang, site, now=0.0))
    rows = list(csv.reader(io.StringIO(plan_csv(team, lang, ZoneInfo("Europe/Berlin")))))
    assert rows[0] == list(CSV_COLUMNS)
    titles = [f"{n}. {row[1]}" for n, row in enumerate(rows[1:], start=1)]
    assert "Bäckerei „Korn“" in text and "Korn & Söhne GmbH" in text
    # each measure's part of the PDF: from its title to the next one's
    starts = [text.index(title) for title in titles]
    blocks = [text[a:b] for a, b in zip(starts, [*starts[1:], len(text)], strict=True)]
    for n, (row, block) in enumerate(zip(rows[1:], blocks, strict=True)):
        field = dict(zip(CSV_COLUMNS, row, strict=True))
        assert f"{field['Bereich / Area']} | {field['Stand / Status']}" in block
        co2e = field["CO2e kg/Jahr / CO2e kg/year"]
        money = field["Euro/Jahr / Euro/year"]
        energy = field["Energie kWh/Jahr / Energy kWh/year"]
        assert (f"{co2e} kg CO₂e" in block) == bool(co2e), (n, block)
        assert (f"{money} €" in block) == bool(money), (n, block)
        assert (f"{energy} kWh" in block) == bool(energy), (n, block)
        for name in ("Fällig / Due", "Notiz / Note", "Herkunft der Zahlen / Source of the figures"):
            assert field[name] in block, (n, name, block)
    assert "EUR" not in text and "CO2e" not in text
    planned = "geplant (alle Maßnahmen)" if lang == "de" else "planned (all measures)"
    money_total = "2259,25" if lang == "de" else "2259.25"
    assert planned in text and f"kWh, {money_total} €" in text


def test_without_the_font_the_pdf_is_refused_in_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    font_file.cache_clear()
    monkeypatch.setattr(world.fonts, "FONT_DIRS", ())
    try:
        with pytest.raises(FontMissing) as missing:
            plan_pdf(plan(), "de", load_site(DEFAULT_SITE), now=0.0)
    finally:
        font_file.cache_clear()
    assert str(missing.value) == (
        "font DejaVuSans.ttf not found (Debian: apt-get install fonts-dejavu-core)"
    )
