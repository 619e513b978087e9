"""Station experiments: small calculators that run on the server with documented factors.

Each ``Calculator`` describes its form (inputs with unit, range and default), the factors it
uses with their source, and computes figures from validated inputs. Inputs are checked one
by one; every rejected field gets a message in each site language, so the form can show it
beside the field. Typed text is read the way the visitor's language writes numbers
(``server/number_text.py``): German ``50.000`` is fifty thousand, and a text that could mean two
numbers is refused with both readings offered, never guessed. Nothing a visitor types is stored.

The factors are deliberately few, national averages and dated; each calculator says so in its
notes. Where a firm knows better values (its supplier's electricity factor, its own fuel
figures), those win.

>>> result = CALCULATORS["carbon-footprint"].run({"electricity_kwh": "50.000"}, "de")
>>> result.figure("scope2_location")  # t CO2: 50 000 kWh x 0.363 kg/kWh
18.15
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from server.content_reader import Localised
from server.number_text import NumberProblem, NumberReading, format_number, read_number

Values = Mapping[str, float | None]


@dataclass(frozen=True)
class Factor:
    """A documented constant: what it is, its value and unit, and where it comes from."""

    id: str
    label: Localised
    value: float
    unit: str
    source: str

    def as_dict(self, lang: str) -> dict[str, Any]:
        return {
            "id": self.id,
            "label": self.label[lang],
            "value": self.value,
            "unit": self.unit,
            "source": self.source,
        }


@dataclass(frozen=True)
class InputField:
    """One input of a calculator's form."""

    name: str
    label: Localised
    unit: str
    minimum: float
    maximum: float
    default: float | None
    help: Localised | None = None
    whole: bool = False
    optional: bool = False
    group: str | None = None

    def as_dict(self, lang: str) -> dict[str, Any]:
        return {
            "name": self.name,
            "label": self.label[lang],
            "unit": self.unit,
            "min": self.minimum,
            "max": self.maximum,
            "default": self.default,
            "help": self.help[lang] if self.help else None,
            "whole": self.whole,
            "optional": self.optional,
            "group": self.group,
        }


@dataclass(frozen=True)
class Figure:
    """One computed result with its unit (and, for a total, which items it adds up)."""

    name: str
    label: Localised
    value: float
    unit: str | Localised
    group: str | None = None

    def as_dict(self, lang: str) -> dict[str, Any]:
        unit = self.unit if isinstance(self.unit, str) else self.unit[lang]
        return {
            "name": self.name,
            "label": self.label[lang],
            "value": self.value,
            "unit": unit,
            "text": f"{format_number(self.value, lang)} {unit}".strip(),
            "group": self.group,
        }


@dataclass(frozen=True)
class CalculatorResult:
    calculator: str
    figures: tuple[Figure, ...]
    notes: tuple[Localised, ...] = ()

    def figure(self, name: str) -> float:
        for figure in self.figures:
            if figure.name == name:
                return figure.value
        raise KeyError(name)

    def as_dict(self, lang: str) -> dict[str, Any]:
        return {
            "calculator": self.calculator,
            "language": lang,
            "figures": [f.as_dict(lang) for f in self.figures],
            "notes": [note[lang] for note in self.notes],
        }


class InputRejected(ValueError):
    """Inputs that cannot be used.

    ``fields`` maps each bad input to a message per language, ``codes`` to why (see
    ``INPUT_PROBLEMS``).
    """

    def __init__(self, fields: dict[str, Localised], codes: dict[str, str]) -> None:
        super().__init__("; ".join(f"{name}: {text['en']}" for name, text in fields.items()))
        self.fields = fields
        self.codes = codes

    def for_language(self, lang: str) -> dict[str, str]:
        return {name: text[lang] for name, text in self.fields.items()}


@dataclass(frozen=True)
class Calculator:
    id: str
    title: Localised
    summary: Localised
    inputs: tuple[InputField, ...]
    factors: tuple[Factor, ...]
    compute: Callable[[Values], CalculatorResult]
    groups: dict[str, Localised] = field(default_factory=dict)

    def describe(self, lang: str) -> dict[str, Any]:
        """The form for the client: inputs, groups and the factors with their sources."""
        return {
            "id": self.id,
            "title": self.title[lang],
            "summary": self.summary[lang],
            "groups": {key: text[lang] for key, text in self.groups.items()},
            "inputs": [i.as_dict(lang) for i in self.inputs],
            "factors": [f.as_dict(lang) for f in self.factors],
        }

    def validate(self, raw: object, lang: str) -> dict[str, float | None]:
        """Checked numbers for every input, or ``InputRejected`` listing every bad field.

        Inputs are JSON numbers or text as a visitor writing in ``lang`` typed it.
        """
        if not isinstance(raw, Mapping):
            raise InputRejected(
                {"_": _both("Die Eingaben fehlen.", "The inputs are missing.")},
                {"_": "inputs_missing"},
            )
        problems: dict[str, Localised] = {}
        codes: dict[str, str] = {}
        known = {i.name for i in self.inputs}
        for name in sorted(str(k) for k in raw if k not in known):
            problems[name] = _both(f"Unbekannte Eingabe „{name}“.", f"Unknown input '{name}'.")
            codes[name] = "input_unknown"
        values: dict[str, float | None] = {}
        for spec in self.inputs:
            checked = _checked(spec, raw.get(spec.name), lang)
            if isinstance(checked, _Problem):
                problems[spec.name], codes[spec.name] = checked.message, checked.code
                values[spec.name] = None
            else:
                values[spec.name] = checked
        if problems:
            raise InputRejected(problems, codes)
        return values

    def run(self, raw: object, lang: str) -> CalculatorResult:
        return self.compute(self.validate(raw, lang))


def _both(de: str, en: str) -> Localised:
    return {"de": de, "en": en}


INPUT_PROBLEMS = (
    "inputs_missing",  # no inputs object at all
    "input_unknown",  # a name the calculator does not have
    "input_required",  # empty, and the input has no default
    NumberProblem.INVALID.value,  # not a number
    NumberProblem.AMBIGUOUS.value,  # could mean two numbers (en "50.000")
    NumberProblem.OTHER_LANGUAGE.value,  # written the other language's way (de "1.5")
    "number_not_whole",
    "number_out_of_range",
    "inputs_inconsistent",  # fine alone, impossible together (new lamp uses more than old)
)
"""Why an input was refused: the codes in ``InputRejected.codes``."""


@dataclass(frozen=True)
class _Problem:
    code: str
    message: Localised


NOT_A_NUMBER = _Problem(
    NumberProblem.INVALID.value,
    _both(
        "Bitte eine Zahl eingeben (z. B. 1.200 oder 0,25).", "Enter a number (e.g. 1,200 or 0.25)."
    ),
)
_WRITING_DE = {"de": "englisch", "en": "deutsch"}
_WRITING_EN = {"de": "English", "en": "German"}
_DECIMAL_MARK_DE = {"de": "das Komma", "en": "der Punkt"}
_DECIMAL_MARK_EN = {"de": "comma", "en": "point"}


def _unclear_number(reading: NumberReading, lang: str) -> _Problem:
    """Ask the visitor which number they mean, offering it written their way."""
    text = reading.text.strip()
    if reading.problem is NumberProblem.OTHER_LANGUAGE:
        (choice,) = reading.choices
        return _Problem(
            reading.problem.value,
            _both(
                f"„{text}“ ist {_WRITING_DE[lang]} geschrieben. Meinen Sie {choice}? "
                "Bitte so eingeben.",
                f"'{text}' is written the {_WRITING_EN[lang]} way. Do you mean {choice}? "
                "Please type it like that.",
            ),
        )
    if reading.problem is NumberProblem.AMBIGUOUS:
        thousands, decimal = reading.choices
        return _Problem(
            reading.problem.value,
            _both(
                f"„{text}“ ist nicht eindeutig: Bitte {thousands} eingeben, wenn Tausender gemeint "
                f"sind, oder {decimal}, wenn {_DECIMAL_MARK_DE[lang]} Nachkommastellen abtrennt.",
                f"'{text}' is unclear: type {thousands} if you mean thousands, or {decimal} if "
                f"the {_DECIMAL_MARK_EN[lang]} marks decimals.",
            ),
        )
    return NOT_A_NUMBER


def _number(raw: object, lang: str) -> float | _Problem:
    if isinstance(raw, str):
        reading = read_number(raw, lang)
        return reading.value if reading.value is not None else _unclear_number(reading, lang)
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        return NOT_A_NUMBER
    try:
        number = float(raw)
    except OverflowError:
        return NOT_A_NUMBER
    return number if math.isfinite(number) else NOT_A_NUMBER


def _checked(spec: InputField, raw: object, lang: str) -> float | _Problem | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if spec.default is not None:
            return spec.default
        if spec.optional:
            return None
        return _Problem("input_required", _both("Bitte ausfüllen.", "Please fill this in."))
    number = _number(raw, lang)
    if isinstance(number, _Problem):
        return number
    if spec.whole and number != int(number):
        return _Problem(
            "number_not_whole", _both("Bitte eine ganze Zahl eingeben.", "Enter a whole number.")
        )
    if not spec.minimum <= number <= spec.maximum:
        low_de, high_de = _limit(spec.minimum, "de"), _limit(spec.maximum, "de")
        low_en, high_en = _limit(spec.minimum, "en"), _limit(spec.maximum, "en")
        return _Problem(
            "number_out_of_range",
            _both(
                f"Bitte einen Wert von {low_de} bis {high_de} {spec.unit}".rstrip() + " eingeben.",
                f"Enter a value from {low_en} to {high_en} {spec.unit}".rstrip() + ".",
            ),
        )
    return number


def _limit(value: float, lang: str) -> str:
    return format_number(value, lang, None)


def _inconsistent(name: str, de: str, en: str) -> InputRejected:
    return InputRejected({name: _both(de, en)}, {name: "inputs_inconsistent"})


# --- factors -------------------------------------------------------------------------------

UBA_STROMMIX = (
    "Umweltbundesamt (2025): Entwicklung der spezifischen Treibhausgas-Emissionen des "
    "deutschen Strommix in den Jahren 1990–2024; Schätzung für 2024"
)
BAFA_CO2 = (
    "Bundesamt für Wirtschaft und Ausfuhrkontrolle (BAFA) (2021): Informationsblatt "
    "CO2-Faktoren, Bundesförderung für Energie- und Ressourceneffizienz in der Wirtschaft"
)
UBA_BRENNSTOFFE = (
    "Umweltbundesamt (2016): CO2-Emissionsfaktoren für fossile Brennstoffe (Climate Change "
    "27/2016); Heizwerte: AG Energiebilanzen"
)
HEIZKOSTENV = "Heizkostenverordnung § 9 Abs. 2 (Bund, 2021): leichtes Heizöl 10 kWh/l (Heizwert)"
DIN_18599 = "DIN V 18599-1 (2018): Verhältnis Brennwert/Heizwert Erdgas 1,11"
UBA_VERKEHR = (
    "Umweltbundesamt (2021): Vergleich der durchschnittlichen Emissionen einzelner "
    "Verkehrsmittel im Personenverkehr in Deutschland, Bezugsjahr 2019 (TREMOD)"
)

GRID_ELECTRICITY = Factor(
    "grid_electricity",
    _both("Strommix Deutschland", "German grid mix"),
    0.363,
    "kg CO2/kWh",
    UBA_STROMMIX,
)
NATURAL_GAS = Factor(
    "natural_gas",
    _both("Erdgas (bezogen auf den Heizwert)", "Natural gas (net calorific value)"),
    0.201,
    "kg CO2/kWh",
    BAFA_CO2,
)
GAS_GROSS_TO_NET = Factor(
    "gas_gross_to_net",
    _both("Erdgas: Brennwert ÷ Heizwert", "Natural gas: gross ÷ net calorific value"),
    1.11,
    "",
    DIN_18599,
)
HEATING_OIL = Factor(
    "heating_oil",
    _both("Heizöl EL (10 kWh/l × 0,266 kg/kWh)", "Heating oil (10 kWh/l × 0.266 kg/kWh)"),
    2.66,
    "kg CO2/l",
    f"{BAFA_CO2}; {HEIZKOSTENV}",
)
DIESEL = Factor(
    "diesel",
    _both("Diesel (9,95 kWh/l × 0,266 kg/kWh)", "Diesel (9.95 kWh/l × 0.266 kg/kWh)"),
    2.65,
    "kg CO2/l",
    UBA_BRENNSTOFFE,
)
PETROL = Factor(
    "petrol",
    _both("Benzin (9,0 kWh/l × 0,259 kg/kWh)", "Petrol (9.0 kWh/l × 0.259 kg/kWh)"),
    2.33,
    "kg CO2/l",
    UBA_BRENNSTOFFE,
)
RAIL = Factor(
    "rail_long_distance",
    _both("Bahn, Fernverkehr", "Rail, long distance"),
    0.029,
    "kg CO2e/Pkm",
    UBA_VERKEHR,
)
CAR = Factor("car", _both("Pkw (Durchschnitt)", "Car (average)"), 0.154, "kg CO2e/Pkm", UBA_VERKEHR)
DOMESTIC_FLIGHT = Factor(
    "domestic_flight",
    _both("Flugzeug, Inland", "Aircraft, domestic"),
    0.214,
    "kg CO2e/Pkm",
    UBA_VERKEHR,
)


# --- carbon footprint, scopes 1 and 2 (and business travel as a scope 3 item) ----------------


def _carbon_footprint(v: Values) -> CalculatorResult:
    def tonnes(kg: float) -> float:
        return round(kg / 1000, 2)

    gas = (v["natural_gas_kwh"] or 0) / GAS_GROSS_TO_NET.value * NATURAL_GAS.value
    oil = (v["heating_oil_litres"] or 0) * HEATING_OIL.value
    diesel = (v["diesel_litres"] or 0) * DIESEL.value
    petrol = (v["petrol_litres"] or 0) * PETROL.value
    scope1 = gas + oil + diesel + petrol
    scope2 = (v["electricity_kwh"] or 0) * GRID_ELECTRICITY.value
    rail = (v["rail_km"] or 0) * RAIL.value
    car = (v["car_km"] or 0) * CAR.value
    flight = (v["flight_km"] or 0) * DOMESTIC_FLIGHT.value
    figures = [
        Figure("natural_gas", _both("Erdgas", "Natural gas"), tonnes(gas), "t CO2", "scope1"),
        Figure("heating_oil", _both("Heizöl", "Heating oil"), tonnes(oil), "t CO2", "scope1"),
        Figure("diesel", _both("Diesel", "Diesel"), tonnes(diesel), "t CO2", "scope1"),
        Figure("petrol", _both("Benzin", "Petrol"), tonnes(petrol), "t CO2", "scope1"),
        Figure("scope1", _both("Scope 1 gesamt", "Scope 1 total"), tonnes(scope1), "t CO2"),
        Figure(
            "scope2_location",
            _both("Scope 2, standortbasiert (Strommix)", "Scope 2, location-based (grid mix)"),
            tonnes(scope2),
            "t CO2",
        ),
    ]
    notes = [
        _both(
            "Nur CO2 aus der Verbrennung beim Verbrauch, ohne Vorketten (Förderung, Transport).",
            "CO2 from combustion only, without upstream emissions (extraction, transport).",
        ),
        _both(
            "Scope 3 ist hier nur mit Dienstreisen angedeutet und nicht in der Summe enthalten; "
            "eingekaufte Waren, Logistik und Pendeln fehlen.",
            "Scope 3 is only hinted at with business travel and is not in the total; purchased "
            "goods, logistics and commuting are missing.",
        ),
    ]
    supplier = v["supplier_g_per_kwh"]
    if supplier is not None:
        market = (v["electricity_kwh"] or 0) * supplier / 1000
        figures.append(
            Figure(
                "scope2_market",
                _both("Scope 2, marktbasiert (Ihr Versorger)", "Scope 2, market-based (supplier)"),
                tonnes(market),
                "t CO2",
            )
        )
        notes.append(
            _both(
                "Nach GHG Protocol werden beide Scope-2-Werte berichtet; die Summe unten "
                "verwendet den standortbasierten Wert.",
                "The GHG Protocol asks for both scope 2 figures; the total below uses the "
                "location-based one.",
            )
        )
    figures += [
        Figure(
            "total_scope12",
            _both("Scope 1 + 2 (standortbasiert)", "Scope 1 + 2 (location-based)"),
            tonnes(scope1 + scope2),
            "t CO2",
        ),
        Figure("rail", _both("Bahnreisen", "Rail trips"), tonnes(rail), "t CO2e", "scope3"),
        Figure("car", _both("Pkw-Reisen", "Car trips"), tonnes(car), "t CO2e", "scope3"),
        Figure(
            "flight", _both("Inlandsflüge", "Domestic flights"), tonnes(flight), "t CO2e", "scope3"
        ),
        Figure(
            "scope3_travel",
            _both("Scope 3: Dienstreisen (Kategorie 6)", "Scope 3: business travel (category 6)"),
            tonnes(rail + car + flight),
            "t CO2e",
        ),
    ]
    return CalculatorResult("carbon-footprint", tuple(figures), tuple(notes))


def _amount(
    name: str, de: str, en: str, unit: str, maximum: float, group: str, help_de: str, help_en: str
) -> InputField:
    return InputField(
        name, _both(de, en), unit, 0, maximum, 0, _both(help_de, help_en), group=group
    )


CARBON_FOOTPRINT = Calculator(
    id="carbon-footprint",
    title=_both("CO2-Bilanz schätzen (Scope 1 und 2)", "Estimate a carbon footprint (scopes 1, 2)"),
    summary=_both(
        "Tragen Sie die Jahresverbräuche Ihres Betriebs ein. Der Rechner schätzt die direkten "
        "Emissionen (Scope 1) und die aus eingekauftem Strom (Scope 2) und zeigt Dienstreisen "
        "getrennt als Beispiel für Scope 3.",
        "Enter your business's yearly consumption. The calculator estimates direct emissions "
        "(scope 1) and those from purchased electricity (scope 2) and shows business travel "
        "separately as an example of scope 3.",
    ),
    groups={
        "scope1": _both(
            "Scope 1: Brennstoffe und eigene Fahrzeuge", "Scope 1: fuels and own vehicles"
        ),
        "scope2": _both("Scope 2: eingekaufter Strom", "Scope 2: purchased electricity"),
        "scope3": _both("Scope 3 (Beispiel): Dienstreisen", "Scope 3 (example): business travel"),
    },
    inputs=(
        _amount(
            "natural_gas_kwh",
            "Erdgas",
            "Natural gas",
            "kWh/a",
            100_000_000,
            "scope1",
            "kWh laut Gasrechnung (Brennwert)",
            "kWh as on the gas bill (gross value)",
        ),
        _amount(
            "heating_oil_litres",
            "Heizöl",
            "Heating oil",
            "l/a",
            10_000_000,
            "scope1",
            "Liter leichtes Heizöl pro Jahr",
            "Litres of heating oil per year",
        ),
        _amount(
            "diesel_litres",
            "Diesel (eigene Fahrzeuge)",
            "Diesel (own vehicles)",
            "l/a",
            10_000_000,
            "scope1",
            "Getankte Liter für Firmenfahrzeuge",
            "Litres fuelled for company vehicles",
        ),
        _amount(
            "petrol_litres",
            "Benzin (eigene Fahrzeuge)",
            "Petrol (own vehicles)",
            "l/a",
            10_000_000,
            "scope1",
            "Getankte Liter für Firmenfahrzeuge",
            "Litres fuelled for company vehicles",
        ),
        _amount(
            "electricity_kwh",
            "Strom",
            "Electricity",
            "kWh/a",
            1_000_000_000,
            "scope2",
            "kWh laut Stromrechnung",
            "kWh as on the electricity bill",
        ),
        InputField(
            "supplier_g_per_kwh",
            _both(
                "CO2-Wert Ihres Stromversorgers (optional)", "Your supplier's CO2 figure (optional)"
            ),
            "g/kWh",
            0,
            1500,
            None,
            _both(
                "Steht in der Stromkennzeichnung auf der Rechnung; leer lassen, wenn unbekannt",
                "Printed in the electricity label on the bill; leave empty if unknown",
            ),
            optional=True,
            group="scope2",
        ),
        _amount(
            "rail_km",
            "Bahn (Fernverkehr)",
            "Rail (long distance)",
            "km/a",
            10_000_000,
            "scope3",
            "Personenkilometer pro Jahr",
            "Passenger kilometres per year",
        ),
        _amount(
            "car_km",
            "Pkw (private oder gemietete Autos)",
            "Car (private or rented)",
            "km/a",
            10_000_000,
            "scope3",
            "Nur Fahrten, deren Kraftstoff nicht schon oben als Firmentankung zählt",
            "Only trips whose fuel is not already counted above as company fuel",
        ),
        _amount(
            "flight_km",
            "Flugzeug (Inland)",
            "Aircraft (domestic)",
            "km/a",
            10_000_000,
            "scope3",
            "Personenkilometer pro Jahr",
            "Passenger kilometres per year",
        ),
    ),
    factors=(
        NATURAL_GAS,
        GAS_GROSS_TO_NET,
        HEATING_OIL,
        DIESEL,
        PETROL,
        GRID_ELECTRICITY,
        RAIL,
        CAR,
        DOMESTIC_FLIGHT,
    ),
    compute=_carbon_footprint,
)


# --- lighting retrofit ---------------------------------------------------------------------


YEARS: Localised = {"de": "Jahre", "en": "years"}


def _payback(investment: float, saving_per_year: float) -> float:
    # The input ranges keep every saving above zero (new power < old, price and hours > 0).
    return round(investment / saving_per_year, 1)


def _lighting(v: Values) -> CalculatorResult:
    count, old, new = v["luminaires"] or 0, v["old_watts"] or 0, v["new_watts"] or 0
    if new >= old:
        raise _inconsistent(
            "new_watts",
            "Die neue Leuchte muss weniger Leistung aufnehmen als die alte.",
            "The new luminaire must draw less power than the old one.",
        )
    hours, price = v["hours_per_year"] or 0, v["price_per_kwh"] or 0
    old_kwh = count * old * hours / 1000
    new_kwh = count * new * hours / 1000
    saved_kwh = old_kwh - new_kwh
    saved_eur = saved_kwh * price
    investment = count * (v["cost_per_luminaire"] or 0)
    return CalculatorResult(
        "lighting-retrofit",
        (
            Figure(
                "old_kwh", _both("Verbrauch heute", "Consumption today"), round(old_kwh), "kWh/a"
            ),
            Figure(
                "new_kwh",
                _both("Verbrauch mit LED", "Consumption with LED"),
                round(new_kwh),
                "kWh/a",
            ),
            Figure(
                "saved_kwh", _both("Eingesparte Energie", "Energy saved"), round(saved_kwh), "kWh/a"
            ),
            Figure("saved_eur", _both("Eingesparte Kosten", "Cost saved"), round(saved_eur), "€/a"),
            Figure(
                "saved_co2",
                _both("Vermiedenes CO2", "CO2 avoided"),
                round(saved_kwh * GRID_ELECTRICITY.value),
                "kg/a",
            ),
            Figure("investment", _both("Investition", "Investment"), round(investment), "€"),
            Figure(
                "payback_years",
                _both("Einfache Amortisationszeit", "Simple payback time"),
                _payback(investment, saved_eur),
                YEARS,
            ),
        ),
        (
            _both(
                "Ohne Förderung, Zinsen, Preissteigerung und gesparte Wartung (LED halten "
                "meist deutlich länger).",
                "Without grants, interest, price rises or saved maintenance (LEDs usually "
                "last much longer).",
            ),
            _both(
                "Tragen Sie die Leistung je Leuchte einschließlich Vorschaltgerät ein.",
                "Enter the power per luminaire including its ballast.",
            ),
        ),
    )


PRICE_FIELD = InputField(
    "price_per_kwh",
    _both("Strompreis", "Electricity price"),
    "€/kWh",
    0.01,
    2.0,
    0.25,
    _both("Arbeitspreis laut Ihrer Rechnung (netto)", "Energy price on your bill (net)"),
)

LIGHTING_RETROFIT = Calculator(
    id="lighting-retrofit",
    title=_both("LED-Umrüstung: Lohnt sich das?", "LED retrofit: does it pay?"),
    summary=_both(
        "Vergleichen Sie alte Leuchten mit LED: eingesparte Kilowattstunden, Kosten, CO2 und "
        "die einfache Amortisationszeit.",
        "Compare old luminaires with LED: kilowatt-hours, cost and CO2 saved, and the simple "
        "payback time.",
    ),
    inputs=(
        InputField(
            "luminaires",
            _both("Anzahl Leuchten", "Number of luminaires"),
            "",
            1,
            100_000,
            20,
            whole=True,
        ),
        InputField(
            "old_watts",
            _both("Leistung je alte Leuchte", "Power per old luminaire"),
            "W",
            1,
            2000,
            110,
            _both(
                "z. B. 2 × 58-W-Leuchtstoffröhre mit Vorschaltgerät ≈ 110–140 W",
                "e.g. 2 × 58 W fluorescent tubes with ballast ≈ 110–140 W",
            ),
        ),
        InputField(
            "new_watts",
            _both("Leistung je LED-Leuchte", "Power per LED luminaire"),
            "W",
            1,
            2000,
            50,
        ),
        InputField(
            "hours_per_year",
            _both("Betriebsstunden pro Jahr", "Operating hours per year"),
            "h/a",
            1,
            8760,
            2500,
            whole=True,
        ),
        PRICE_FIELD,
        InputField(
            "cost_per_luminaire",
            _both(
                "Kosten je LED-Leuchte inkl. Montage", "Cost per LED luminaire incl. installation"
            ),
            "€",
            0,
            10_000,
            150,
        ),
    ),
    factors=(GRID_ELECTRICITY,),
    compute=_lighting,
)


# --- motor (or pump) replacement -----------------------------------------------------------


def _motor(v: Values) -> CalculatorResult:
    old_eff, new_eff = v["old_efficiency"] or 0, v["new_efficiency"] or 0
    if new_eff <= old_eff:
        raise _inconsistent(
            "new_efficiency",
            "Der neue Motor muss einen höheren Wirkungsgrad haben als der alte.",
            "The new motor must be more efficient than the old one.",
        )
    shaft_kwh = (v["rated_kw"] or 0) * (v["load_percent"] or 0) / 100 * (v["hours_per_year"] or 0)
    old_kwh = shaft_kwh / (old_eff / 100)
    new_kwh = shaft_kwh / (new_eff / 100)
    saved_kwh = old_kwh - new_kwh
    saved_eur = saved_kwh * (v["price_per_kwh"] or 0)
    investment = v["investment"] or 0
    return CalculatorResult(
        "motor-retrofit",
        (
            Figure(
                "old_kwh",
                _both("Stromverbrauch heute", "Electricity use today"),
                round(old_kwh),
                "kWh/a",
            ),
            Figure(
                "new_kwh",
                _both("Stromverbrauch neu", "Electricity use new"),
                round(new_kwh),
                "kWh/a",
            ),
            Figure(
                "saved_kwh", _both("Eingesparte Energie", "Energy saved"), round(saved_kwh), "kWh/a"
            ),
            Figure("saved_eur", _both("Eingesparte Kosten", "Cost saved"), round(saved_eur), "€/a"),
            Figure(
                "saved_co2",
                _both("Vermiedenes CO2", "CO2 avoided"),
                round(saved_kwh * GRID_ELECTRICITY.value),
                "kg/a",
            ),
            Figure(
                "payback_years",
                _both("Einfache Amortisationszeit", "Simple payback time"),
                _payback(investment, saved_eur),
                YEARS,
            ),
        ),
        (
            _both(
                "Gerechnet wird nur der bessere Motorwirkungsgrad. Bei Pumpen und Ventilatoren "
                "mit wechselndem Bedarf spart eine Drehzahlregelung oft deutlich mehr.",
                "Only the better motor efficiency is counted. For pumps and fans with varying "
                "demand, speed control often saves much more.",
            ),
            _both(
                "Wirkungsgrade stehen auf dem Typenschild oder im Datenblatt.",
                "Efficiencies are on the rating plate or in the data sheet.",
            ),
        ),
    )


MOTOR_RETROFIT = Calculator(
    id="motor-retrofit",
    title=_both(
        "Motor tauschen: Was bringt ein besserer Wirkungsgrad?",
        "Replacing a motor: what does higher efficiency bring?",
    ),
    summary=_both(
        "Ein Elektromotor, der viele Stunden läuft, kostet über seine Lebensdauer vor allem "
        "Strom. Rechnen Sie aus, was ein effizienterer Motor spart.",
        "An electric motor that runs many hours costs mostly electricity over its life. Work "
        "out what a more efficient motor saves.",
    ),
    inputs=(
        InputField("rated_kw", _both("Nennleistung", "Rated power"), "kW", 0.12, 1000, 11),
        InputField("load_percent", _both("Mittlere Auslastung", "Average load"), "%", 10, 100, 75),
        InputField(
            "hours_per_year",
            _both("Betriebsstunden pro Jahr", "Operating hours per year"),
            "h/a",
            1,
            8760,
            4000,
            whole=True,
        ),
        InputField(
            "old_efficiency",
            _both("Wirkungsgrad alter Motor", "Efficiency of the old motor"),
            "%",
            50,
            99,
            89.8,
        ),
        InputField(
            "new_efficiency",
            _both("Wirkungsgrad neuer Motor", "Efficiency of the new motor"),
            "%",
            50,
            99.5,
            93.3,
        ),
        PRICE_FIELD,
        InputField(
            "investment",
            _both("Investition inkl. Einbau", "Investment incl. installation"),
            "€",
            0,
            10_000_000,
            2500,
        ),
    ),
    factors=(GRID_ELECTRICITY,),
    compute=_motor,
)


CALCULATORS: dict[str, Calculator] = {
    c.id: c for c in (CARBON_FOOTPRINT, LIGHTING_RETROFIT, MOTOR_RETROFIT)
}
