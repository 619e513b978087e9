"""A team's action plan as CSV and as PDF (no I/O but the PDF library's).

Both name each measure's title, area, owner, due date, status, the expected yearly
savings (kg CO2e, kWh, euros) and where the figures come from (an estimate's text, or the
station calculator with its inputs and factors). Headers are German and English side by
side; area and status are written in the asked language. The PDF is made with fpdf2 in
the site's name, colours and logo (``world/site.py`` branding) and sums up the plan: measures
done, savings planned against done. Its text is set in DejaVu Sans (``world/fonts.py``), so
€, kg CO₂e, „quotes“ and ß print as they are (without the font, ``FontMissing`` says what
to install). Which VSME data points the plan can feed is in
docs/workshops.md ("Maßnahmenpläne").
"""

from __future__ import annotations

from datetime import datetime
from typing import Final
from zoneinfo import ZoneInfo

from fpdf import FPDF

from server.base.csv_export import csv_text, formula_safe
from server.domain.action_plans import AREA_NAMES, STATUS_NAMES, Measure, Team
from world.errors import InputFileError
from world.fonts import font_file
from world.site import Site
from world.site_logo import logo_image

CSV_COLUMNS: Final = (
    "Nr / No",
    "Maßnahme / Measure",
    "Bereich / Area",
    "Verantwortlich / Owner",
    "Fällig / Due",
    "Stand / Status",
    "CO2e kg/Jahr / CO2e kg/year",
    "Energie kWh/Jahr / Energy kWh/year",
    "Euro/Jahr / Euro/year",
    "Herkunft der Zahlen / Source of the figures",
    "Rechner / Calculator",
    "Eingaben / Inputs",
    "Faktoren / Factors",
    "Notiz / Note",
    "Geändert / Changed",
)


def _pick(names: tuple[str, str], lang: str) -> str:
    return names[0] if lang == "de" else names[1]


def _number(value: float | None, lang: str) -> str:
    if value is None:
        return ""
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return text.replace(".", ",") if lang == "de" else text


def source_text(measure: Measure, lang: str) -> str:
    source = measure.source
    if source is None:
        return ""
    if source.get("kind") == "estimate":
        return str(source.get("text", ""))
    label = "Stationsrechner" if lang == "de" else "Station calculator"
    text = f"{label} {source.get('station')} ({source.get('calculator')})"
    if source.get("overridden"):
        text += " – von Hand geändert" if lang == "de" else " - changed by hand"
    return text


def inputs_text(measure: Measure, lang: str) -> str:
    source = measure.source or {}
    inputs = source.get("inputs") or {}
    return "; ".join(f"{k}={_number(v, lang)}" for k, v in inputs.items() if v is not None)


def factors_text(measure: Measure, lang: str) -> str:
    source = measure.source or {}
    return "; ".join(
        f"{f['id']}={_number(f['value'], lang)} {f['unit']} ({f['source']}"
        + (f", {f['year']})" if f.get("year") else ")")
        for f in source.get("factors") or ()
    )


def measure_row(team: Team, index: int, measure: Measure, lang: str, zone: ZoneInfo) -> list[str]:
    owner = team.members.get(measure.owner) if measure.owner else None
    return [
        str(index),
        measure.title,
        _pick(AREA_NAMES[measure.area], lang),
        owner.name if owner is not None else "",
        measure.due or "",
        _pick(STATUS_NAMES[measure.status], lang),
        _number(measure.co2e_kg, lang),
        _number(measure.energy_kwh, lang),
        _number(measure.money_eur, lang),
        source_text(measure, lang),
        str((measure.source or {}).get("calculator", "")),
        inputs_text(measure, lang),
        factors_text(measure, lang),
        measure.note,
        datetime.fromtimestamp(measure.updated_at, zone).strftime("%Y-%m-%d %H:%M"),
    ]


def plan_csv(team: Team, lang: str, zone: ZoneInfo) -> str:
    return csv_text(
        CSV_COLUMNS,
        (
            [formula_safe(v) for v in measure_row(team, index, measure, lang, zone)]
            for index, measure in enumerate(team.measures, start=1)
        ),
    )


# --- PDF ------------------------------------------------------------------------------------

_PDF_TEXT: Final = {
    "title": ("Maßnahmenplan", "Action plan"),
    "firm": ("Unternehmen", "Company"),
    "members": ("Team", "Team"),
    "as_of": ("Stand", "As of"),
    "summary": ("Überblick", "Summary"),
    "measures": ("Maßnahmen", "Measures"),
    "done": ("erledigt", "done"),
    "planned": ("geplant (alle Maßnahmen)", "planned (all measures)"),
    "achieved": ("umgesetzt (erledigte Maßnahmen)", "achieved (measures done)"),
    "per_year": ("pro Jahr", "per year"),
    "owner": ("Verantwortlich", "Owner"),
    "due": ("fällig", "due"),
    "source": ("Herkunft", "Source"),
    "inputs": ("Eingaben", "Inputs"),
    "factors": ("Faktoren", "Factors"),
    "none": ("Noch keine Maßnahmen.", "No measures yet."),
}


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


#: the PDF's font family (DejaVu Sans, regular and bold)
FONT: Final = "DejaVu"
#: the units of the savings as the PDF writes them
UNITS: Final = {"co2e_kg": "kg CO₂e", "energy_kwh": "kWh", "money_eur": "€"}


def _document() -> FPDF:
    """An A4 document with the Unicode font (``FontMissing`` when it is not installed)."""
    pdf = FPDF(format="A4")
    pdf.add_font(FONT, "", font_file("regular"))
    pdf.add_font(FONT, "B", font_file("bold"))
    return pdf


def plan_pdf(team: Team, lang: str, site: Site, now: float) -> bytes:
    """The plan as a PDF: the site's name, colours and logo, the team, a summary, the measures."""

    def t(key: str) -> str:
        return _pick(_PDF_TEXT[key], lang)

    branding = site.branding
    primary, accent = _rgb(branding.primary_colour), _rgb(branding.accent_colour)
    pdf = _document()
    pdf.set_title(f"{t('title')} {team.name}")
    pdf.set_author(branding.name.get(lang) or branding.short_name)
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()
    width = pdf.epw
    pdf.set_fill_color(*primary)
    pdf.rect(0, 0, pdf.w, 18, style="F")
    try:
        logo = logo_image(site, 256)
    except InputFileError:
        logo = None  # a broken logo file costs the PDF its logo, not the download
    if logo is not None:
        pdf.image(logo, x=pdf.w - pdf.r_margin - 14, y=2, h=14, keep_aspect_ratio=True, w=14)
    pdf.set_text_color(255, 255, 255)
    pdf.set_font(FONT, "B", 12)
    pdf.set_xy(pdf.l_margin, 5)
    pdf.cell(width, 8, branding.name.get(lang) or branding.short_name)
    pdf.set_text_color(0, 0, 0)
    pdf.set_xy(pdf.l_margin, 24)
    pdf.set_font(FONT, "B", 18)
    pdf.multi_cell(width, 9, f"{t('title')}: {team.name}")
    pdf.set_font(FONT, "", 10)
    when = datetime.fromtimestamp(now, site.zone).strftime("%Y-%m-%d")
    lines = []
    if team.firm:
        lines.append(f"{t('firm')}: {team.firm}")
    lines.append(f"{t('members')}: " + ", ".join(m.name for m in team.members.values()))
    lines.append(f"{t('as_of')}: {when}")
    for line in lines:
        pdf.multi_cell(width, 5, line)
    pdf.ln(3)
    pdf.set_draw_color(*accent)
    pdf.set_line_width(0.8)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.l_margin + width, pdf.get_y())
    pdf.ln(3)
    totals = team.totals()
    pdf.set_font(FONT, "B", 13)
    pdf.cell(width, 8, t("summary"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 10)
    pdf.multi_cell(
        width, 5, f"{t('measures')}: {totals['measures']}, {t('done')}: {totals['done']}"
    )
    for key in ("planned", "done"):
        label = t("planned") if key == "planned" else t("achieved")
        figures = ", ".join(
            f"{_number(totals[f'{name}_{key}'], lang)} {unit}" for name, unit in UNITS.items()
        )
        pdf.multi_cell(width, 5, f"{label}, {t('per_year')}: {figures}")
    pdf.ln(4)
    pdf.set_font(FONT, "B", 13)
    pdf.cell(width, 8, t("measures"), new_x="LMARGIN", new_y="NEXT")
    if not team.measures:
        pdf.set_font(FONT, "", 10)
        pdf.multi_cell(width, 5, t("none"))
    for index, measure in enumerate(team.measures, start=1):
        row = measure_row(team, index, measure, lang, site.zone)
        pdf.set_fill_color(*primary)
        pdf.set_text_color(255, 255, 255)
        pdf.set_font(FONT, "B", 11)
        pdf.multi_cell(width, 6, f"{index}. {measure.title}", fill=True)
        pdf.set_text_color(0, 0, 0)
        pdf.set_font(FONT, "", 9.5)
        facts = f"{row[2]} | {row[5]}"
        if row[3]:
            facts += f" | {t('owner')}: {row[3]}"
        if row[4]:
            facts += f" | {t('due')}: {row[4]}"
        pdf.multi_cell(width, 5, facts)
        savings = [
            f"{row[6]} {UNITS['co2e_kg']}" if row[6] else "",
            f"{row[7]} {UNITS['energy_kwh']}" if row[7] else "",
            f"{row[8]} {UNITS['money_eur']}" if row[8] else "",
        ]
        shown = ", ".join(s for s in savings if s)
        if shown:
            pdf.multi_cell(width, 5, f"{shown} {t('per_year')}")
        for key, value in (("source", row[9]), ("inputs", row[11]), ("factors", row[12])):
            if value:
                pdf.multi_cell(width, 4.5, f"{t(key)}: {value}")
        if measure.note:
            pdf.multi_cell(width, 4.5, measure.note)
        pdf.ln(2)
    return bytes(pdf.output())
