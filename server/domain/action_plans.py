"""Teams and their green action plans: the rules, without I/O.

A **team** is a firm's group of people. A facilitator makes one and invites people by
their account name, or a visitor makes one for their firm and hands colleagues its link
(a secret that lets whoever has it join). A team has one **plan**: a list of measures,
each with a title, an area, an owner (a member), a due date, a status and the expected
yearly savings of CO2e, energy and money, and where those figures come from (an
estimate, or a station calculator's result with its inputs and factors kept so the
figure can be traced and recomputed: ``server/features/board/plans_http.py`` runs the calculator).

Who may do what:

- members see and change the plan, invite by link, and leave (the last one out ends the
  team); the team's leads (whoever made it, and whom they made lead) also rename it,
  share it with a workshop and make a new link;
- facilitators of a workshop the team shares see and change the plan too;
- everyone else sees nothing of it (``team_unknown``, as if there were none).

A team is kept as one JSON document (``Team.as_document``/``Team.from_document``), the
store's live documents of kind ``team`` keyed by its id.

>>> team = Team.new("t1", "Bäckerei Müller", firm="Müller GmbH", by=("p1", "Ada"), now=0.0)
>>> m = team.add_measure({"title": "LED in der Backstube", "area": "energy"}, by="p1", now=1.0)
>>> m.status, team.may_see("p2", ())
('idea', False)
"""

from __future__ import annotations

import datetime as dt
import math
import secrets
from dataclasses import dataclass, field, replace
from typing import Any, Final

#: the store's live document kind of teams
LIVE_KIND: Final = "team"

AREAS: Final = (
    "reporting",
    "energy",
    "mobility",
    "materials",
    "water",
    "waste",
    "people",
    "procurement",
    "other",
)
AREA_NAMES: Final = {
    "reporting": ("Berichterstattung", "Reporting"),
    "energy": ("Energie", "Energy"),
    "mobility": ("Mobilität", "Mobility"),
    "materials": ("Material & Ressourcen", "Materials & resources"),
    "water": ("Wasser", "Water"),
    "waste": ("Abfall & Kreislauf", "Waste & circularity"),
    "people": ("Menschen & Arbeit", "People & work"),
    "procurement": ("Einkauf & Lieferkette", "Procurement & supply chain"),
    "other": ("Sonstiges", "Other"),
}
STATUSES: Final = ("idea", "planned", "in_progress", "done")
STATUS_NAMES: Final = {
    "idea": ("Idee", "Idea"),
    "planned": ("Geplant", "Planned"),
    "in_progress": ("In Umsetzung", "In progress"),
    "done": ("Erledigt", "Done"),
}
#: the yearly savings a measure names (field, unit)
SAVINGS: Final = (("co2e_kg", "kg CO2e/a"), ("energy_kwh", "kWh/a"), ("money_eur", "€/a"))

NAME_MAX_CHARS: Final = 80
TITLE_MAX_CHARS: Final = 120
NOTE_MAX_CHARS: Final = 1000
SOURCE_TEXT_MAX_CHARS: Final = 300
MEASURES_MAX: Final = 200
MEMBERS_MAX: Final = 50
WORKSHOPS_MAX: Final = 20
SAVING_MAX: Final = 1e12
LEAD: Final = "lead"
MEMBER: Final = "member"


class PlanRefused(Exception):
    """A refused change: a code (the HTTP error code and the WebSocket error), the HTTP
    status, and a message in German and English."""

    def __init__(self, status: int, code: str, de: str, en: str) -> None:
        super().__init__(en)
        self.status = status
        self.code = code
        self.de = de
        self.en = en

    def message(self, lang: str) -> str:
        return self.de if lang == "de" else self.en


def _unknown() -> PlanRefused:
    return PlanRefused(404, "team_unknown", "Dieses Team gibt es nicht.", "There is no such team.")


def _invalid(field_name: str, de: str, en: str) -> PlanRefused:
    return PlanRefused(400, "measure_invalid", f"{field_name}: {de}", f"{field_name}: {en}")


def _full(code: str, de: str, en: str) -> PlanRefused:
    """A limit is reached (409); ``de`` and ``en`` name it."""
    return PlanRefused(409, code, de, en)


def plain_text(value: object, field_name: str, max_chars: int, *, required: bool) -> str:
    """One line of plain text, trimmed; ``measure_invalid`` when missing or too long."""
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise _invalid(field_name, "Text erwartet.", "expected a text.")
    text = " ".join(value.replace("\x00", "").split()) if max_chars <= 300 else value.strip()
    if required and not text:
        raise _invalid(field_name, "darf nicht leer sein.", "must not be empty.")
    if len(text) > max_chars:
        raise _invalid(
            field_name, f"höchstens {max_chars} Zeichen.", f"at most {max_chars} characters."
        )
    return text


def _saving(value: object, field_name: str) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _invalid(field_name, "Zahl erwartet.", "expected a number.")
    number = float(value)
    if not math.isfinite(number) or abs(number) > SAVING_MAX:
        raise _invalid(field_name, "Zahl außerhalb des Bereichs.", "number out of range.")
    return number


def _due(value: object) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise _invalid("due", "Datum JJJJ-MM-TT erwartet.", "expected a date YYYY-MM-DD.")
    try:
        return dt.date.fromisoformat(value.strip()).isoformat()
    except ValueError:
        raise _invalid("due", "Datum JJJJ-MM-TT erwartet.", "expected a date YYYY-MM-DD.") from None


@dataclass
class Member:
    id: str
    name: str
    role: str
    joined_at: float

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "role": self.role, "joined_at": self.joined_at}


@dataclass
class Measure:
    """One measure of a plan (``source``: None, ``{"kind": "estimate", "text"}`` or
    ``{"kind": "calculator", ...}`` as ``calculator_source`` makes it)."""

    id: str
    title: str
    area: str = "other"
    owner: str | None = None
    due: str | None = None
    status: str = "idea"
    co2e_kg: float | None = None
    energy_kwh: float | None = None
    money_eur: float | None = None
    note: str = ""
    source: dict[str, Any] | None = None
    created_at: float = 0.0
    updated_at: float = 0.0
    updated_by: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "area": self.area,
            "owner": self.owner,
            "due": self.due,
            "status": self.status,
            "co2e_kg": self.co2e_kg,
            "energy_kwh": self.energy_kwh,
            "money_eur": self.money_eur,
            "note": self.note,
            "source": self.source,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "updated_by": self.updated_by,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Measure:
        fields: dict[str, Any] = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        return cls(**fields)


MEASURE_FIELDS: Final = (
    "title",
    "area",
    "owner",
    "due",
    "status",
    "co2e_kg",
    "energy_kwh",
    "money_eur",
    "note",
    "source_text",
)


@dataclass
class Team:
    id: str
    name: str
    firm: str
    created_at: float
    members: dict[str, Member] = field(default_factory=dict)
    #: invited by name and not yet joined: identity id -> {"name", "by", "at"}
    invited: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: the secret of the team's link
    link: str = ""
    #: workshops the team shares (their facilitators see the plan)
    workshops: list[str] = field(default_factory=list)
    measures: list[Measure] = field(default_factory=list)
    next_measure: int = 1
    #: the team agrees that its progress is shown beside other teams' in shared workshops
    show_progress: bool = False

    @classmethod
    def new(
        cls, team_id: str, name: object, *, firm: object, by: tuple[str, str], now: float
    ) -> Team:
        """A team made by ``by`` (id, name): a member and lead at once unless they are a
        facilitator making it for others (``Team.members`` then stays empty: call
        ``add_member`` or invite)."""
        title = plain_text(name, "name", NAME_MAX_CHARS, required=True)
        firm_name = plain_text(firm, "firm", NAME_MAX_CHARS, required=False)
        team = cls(team_id, title, firm_name, now, link=secrets.token_urlsafe(18))
        team.members[by[0]] = Member(by[0], by[1], LEAD, now)
        return team

    # --- who may ------------------------------------------------------------------------

    def is_member(self, identity_id: str) -> bool:
        return identity_id in self.members

    def is_lead(self, identity_id: str) -> bool:
        member = self.members.get(identity_id)
        return member is not None and member.role == LEAD

    def may_see(
        self, identity_id: str, facilitated: tuple[str, ...] | list[str] | set[str]
    ) -> bool:
        """A member, or a facilitator of a workshop the team shares (``facilitated``: the
        ids of the workshops this person leads, among the team's)."""
        return self.is_member(identity_id) or any(w in self.workshops for w in facilitated)

    def check_sees(
        self, identity_id: str, facilitated: tuple[str, ...] | list[str] | set[str]
    ) -> None:
        if not self.may_see(identity_id, facilitated):
            raise _unknown()

    def check_lead(
        self, identity_id: str, facilitated: tuple[str, ...] | list[str] | set[str]
    ) -> None:
        self.check_sees(identity_id, facilitated)
        if not (self.is_lead(identity_id) or any(w in self.workshops for w in facilitated)):
            raise PlanRefused(
                403,
                "team_not_lead",
                "Das dürfen nur die Leitung des Teams und die Moderation.",
                "Only the team's leads and facilitators may do that.",
            )

    # --- members ------------------------------------------------------------------------

    def add_member(self, identity_id: str, name: str, now: float, role: str = MEMBER) -> bool:
        """Add someone (False when they are a member already)."""
        self.invited.pop(identity_id, None)
        if identity_id in self.members:
            return False
        if len(self.members) >= MEMBERS_MAX:
            raise _full(
                "team_full",
                f"Ein Team hat höchstens {MEMBERS_MAX} Mitglieder.",
                f"A team has at most {MEMBERS_MAX} members.",
            )
        self.members[identity_id] = Member(identity_id, name[:NAME_MAX_CHARS], role, now)
        return True

    def invite(self, identity_id: str, name: str, by: str, now: float) -> None:
        if identity_id in self.members:
            return
        self.invited[identity_id] = {"name": name[:NAME_MAX_CHARS], "by": by, "at": now}

    def join(self, identity_id: str, name: str, link: str | None, now: float) -> None:
        """Join with the team's link, or on an invitation by name."""
        if identity_id in self.members:
            return
        if identity_id in self.invited or (
            link is not None and self.link and secrets.compare_digest(link, self.link)
        ):
            self.add_member(identity_id, name, now)
            return
        raise PlanRefused(
            403,
            "team_link_invalid",
            "Dieser Einladungslink gilt nicht (mehr).",
            "This invitation link is not valid (any more).",
        )

    def new_link(self) -> str:
        self.link = secrets.token_urlsafe(18)
        return self.link

    def leave(self, identity_id: str) -> bool:
        """Someone leaves: their measures keep no owner; the first member left becomes lead
        when no lead is left. True when the team is now empty (and should go)."""
        if self.members.pop(identity_id, None) is None:
            self.invited.pop(identity_id, None)
            return not self.members
        for measure in self.measures:
            if measure.owner == identity_id:
                measure.owner = None
            if measure.updated_by == identity_id:
                measure.updated_by = None
        if self.members and not any(m.role == LEAD for m in self.members.values()):
            first = min(self.members.values(), key=lambda m: m.joined_at)
            first.role = LEAD
        return not self.members

    def share(self, workshop_id: str, shared: bool) -> None:
        if shared and workshop_id not in self.workshops:
            if len(self.workshops) >= WORKSHOPS_MAX:
                raise _full(
                    "team_workshops_full",
                    f"Ein Team teilt höchstens {WORKSHOPS_MAX} Workshops.",
                    f"A team shares at most {WORKSHOPS_MAX} workshops.",
                )
            self.workshops.append(workshop_id)
        elif not shared and workshop_id in self.workshops:
            self.workshops.remove(workshop_id)

    # --- the plan -----------------------------------------------------------------------

    def measure(self, measure_id: str) -> Measure:
        for measure in self.measures:
            if measure.id == measure_id:
                return measure
        raise PlanRefused(
            404, "measure_unknown", "Diese Maßnahme gibt es nicht.", "There is no such measure."
        )

    def add_measure(self, fields: dict[str, Any], *, by: str, now: float) -> Measure:
        if len(self.measures) >= MEASURES_MAX:
            raise _full(
                "plan_full",
                f"Ein Plan hat höchstens {MEASURES_MAX} Maßnahmen.",
                f"A plan has at most {MEASURES_MAX} measures.",
            )
        if "title" not in fields:
            raise _invalid("title", "darf nicht leer sein.", "must not be empty.")
        measure = self._changed(Measure(f"m{self.next_measure}", "", created_at=now), fields)
        measure.updated_at, measure.updated_by = now, by
        self.next_measure += 1
        self.measures.append(measure)
        return measure

    def update_measure(
        self, measure_id: str, fields: dict[str, Any], *, by: str, now: float
    ) -> Measure:
        old = self.measure(measure_id)
        new = self._changed(replace(old), fields)
        new.updated_at, new.updated_by = now, by
        self.measures[self.measures.index(old)] = new
        return new

    def remove_measure(self, measure_id: str) -> None:
        self.measures.remove(self.measure(measure_id))

    def _changed(self, measure: Measure, fields: dict[str, Any]) -> Measure:
        unknown = sorted(str(k) for k in fields if k not in MEASURE_FIELDS)
        if unknown:
            raise _invalid(unknown[0], "unbekanntes Feld.", "unknown field.")
        if "title" in fields:
            measure.title = plain_text(fields["title"], "title", TITLE_MAX_CHARS, required=True)
        if "area" in fields:
            if fields["area"] not in AREAS:
                raise _invalid("area", "unbekannter Bereich.", "unknown area.")
            measure.area = fields["area"]
        if "status" in fields:
            if fields["status"] not in STATUSES:
                raise _invalid("status", "unbekannter Stand.", "unknown status.")
            measure.status = fields["status"]
        if "owner" in fields:
            owner = fields["owner"]
            if owner not in (None, "") and owner not in self.members:
                raise _invalid(
                    "owner", "muss ein Mitglied des Teams sein.", "must be a member of the team."
                )
            measure.owner = owner or None
        if "due" in fields:
            measure.due = _due(fields["due"])
        if "note" in fields:
            measure.note = plain_text(fields["note"], "note", NOTE_MAX_CHARS, required=False)
        for name, _unit in SAVINGS:
            if name in fields:
                setattr(measure, name, _saving(fields[name], name))
                if measure.source is not None and measure.source.get("kind") == "calculator":
                    measure.source = {**measure.source, "overridden": True}
        if "source_text" in fields:
            text = plain_text(
                fields["source_text"], "source_text", SOURCE_TEXT_MAX_CHARS, required=False
            )
            measure.source = {"kind": "estimate", "text": text} if text else None
        return measure

    def put_calculation(
        self,
        measure_id: str,
        source: dict[str, Any],
        savings: dict[str, float],
        *,
        by: str,
        now: float,
    ) -> Measure:
        """A calculator's result goes into a measure: its savings and where they come
        from (``calculator_source``)."""
        measure = self.measure(measure_id)
        measure.source = source
        for name, _unit in SAVINGS:
            setattr(measure, name, savings.get(name))
        measure.updated_at, measure.updated_by = now, by
        return measure

    # --- views --------------------------------------------------------------------------

    def progress(self) -> dict[str, Any]:
        """What the exchange series shows side by side (only with ``show_progress``)."""
        return {"team": self.id, "name": self.name, "firm": self.firm, **self.totals()}

    def totals(self) -> dict[str, Any]:
        """Measures done and savings planned against done (the series' progress view)."""
        out: dict[str, Any] = {
            "measures": len(self.measures),
            "done": sum(1 for m in self.measures if m.status == "done"),
        }
        for name, _unit in SAVINGS:
            out[f"{name}_planned"] = sum(getattr(m, name) or 0.0 for m in self.measures)
            out[f"{name}_done"] = sum(
                getattr(m, name) or 0.0 for m in self.measures if m.status == "done"
            )
        return out

    def as_view(self, viewer: str) -> dict[str, Any]:
        """What a member (or facilitator) gets: the link only for members."""
        return {
            "id": self.id,
            "name": self.name,
            "firm": self.firm,
            "created_at": self.created_at,
            "members": [m.as_dict() for m in self.members.values()],
            "invited": [{"id": key, "name": v["name"]} for key, v in self.invited.items()],
            "link": self.link if self.is_member(viewer) else None,
            "workshops": list(self.workshops),
            "measures": [m.as_dict() for m in self.measures],
            "totals": self.totals(),
            "show_progress": self.show_progress,
            "me": {"member": self.is_member(viewer), "lead": self.is_lead(viewer)},
        }

    def as_document(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "firm": self.firm,
            "created_at": self.created_at,
            "members": [m.as_dict() for m in self.members.values()],
            "invited": dict(self.invited),
            "link": self.link,
            "workshops": list(self.workshops),
            "measures": [m.as_dict() for m in self.measures],
            "next_measure": self.next_measure,
            "show_progress": self.show_progress,
        }

    @classmethod
    def from_document(cls, data: dict[str, Any]) -> Team:
        team = cls(
            str(data["id"]),
            str(data.get("name", "")),
            str(data.get("firm", "")),
            float(data.get("created_at", 0.0)),
            link=str(data.get("link", "")),
            workshops=[str(w) for w in data.get("workshops", [])],
            next_measure=int(data.get("next_measure", 1)),
            show_progress=bool(data.get("show_progress", False)),
        )
        for raw in data.get("members", []):
            member = Member(
                str(raw["id"]), str(raw["name"]), str(raw["role"]), float(raw["joined_at"])
            )
            team.members[member.id] = member
        team.invited = {str(k): dict(v) for k, v in dict(data.get("invited", {})).items()}
        team.measures = [Measure.from_dict(raw) for raw in data.get("measures", [])]
        return team


def calculator_source(
    *,
    station: str,
    calculator: str,
    inputs: dict[str, float | None],
    factors: list[dict[str, Any]],
    figures: list[dict[str, Any]],
    use: dict[str, str],
    now: float,
) -> dict[str, Any]:
    """Where a measure's figures come from when a calculator made them: enough to show
    the working and to run it again."""
    return {
        "kind": "calculator",
        "station": station,
        "calculator": calculator,
        "inputs": dict(inputs),
        "factors": factors,
        "figures": figures,
        "use": dict(use),
        "computed_at": now,
    }


#: unit texts of a calculator's figures and the saving (and multiplier) they give
_UNIT_SAVINGS: Final = (
    ("t co2", "co2e_kg", 1000.0),
    ("kg co2", "co2e_kg", 1.0),
    ("mwh", "energy_kwh", 1000.0),
    ("kwh", "energy_kwh", 1.0),
    ("€", "money_eur", 1.0),
    ("eur", "money_eur", 1.0),
)


def saving_of_unit(unit: str) -> tuple[str, float] | None:
    """The saving a yearly figure's unit gives (``kg CO2/a`` -> co2e_kg), or None for a
    figure that is not a yearly saving (an investment, a payback time)."""
    text = unit.lower().replace("\u00a0", " ").strip()
    if not text.endswith("/a"):
        return None
    for marker, saving, factor in _UNIT_SAVINGS:
        if marker in text:
            return saving, factor
    return None


def savings_from_figures(
    figures: list[dict[str, Any]], use: dict[str, str] | None
) -> tuple[dict[str, float], dict[str, str]]:
    """Which figure gives which saving: ``use`` names them (saving -> figure name), else
    the first yearly figure of each unit whose name says it is saved (``saved_…``), else
    the first of that unit. Returns the savings and the ``use`` that made them."""
    by_name = {f["name"]: f for f in figures}
    chosen: dict[str, str] = {}
    if use:
        for saving, figure in use.items():
            if saving not in dict(SAVINGS):
                raise _invalid(
                    "use", f"unbekannte Einsparung „{saving}“.", f"unknown saving '{saving}'."
                )
            if figure not in by_name:
                raise _invalid("use", f"kein Ergebnis „{figure}“.", f"no result '{figure}'.")
            if saving_of_unit(str(by_name[figure]["unit"])) is None:
                raise _invalid(
                    "use",
                    f"„{figure}“ ist keine jährliche Einsparung.",
                    f"'{figure}' is not a yearly saving.",
                )
            chosen[saving] = figure
    else:
        ranked = sorted(figures, key=lambda f: not str(f["name"]).startswith("saved"))
        for item in ranked:
            found = saving_of_unit(str(item["unit"]))
            if found is not None and found[0] not in chosen:
                chosen[found[0]] = str(item["name"])
    savings: dict[str, float] = {}
    for saving, name in chosen.items():
        found = saving_of_unit(str(by_name[name]["unit"]))
        assert found is not None
        savings[saving] = float(by_name[name]["value"]) * found[1]
    return savings, chosen


def without_person(data: dict[str, Any], identity_id: str) -> dict[str, Any] | None:
    """A kept team document with someone erased from it; None when the document becomes
    empty (no member left: the team goes); the same document when they were not in it."""
    team = Team.from_document(data)
    if identity_id not in team.members and identity_id not in team.invited:
        return data
    if team.leave(identity_id):
        return None
    return team.as_document()


def teams_of(documents: dict[str, dict[str, Any]], identity_id: str) -> list[dict[str, Any]]:
    """For a person's data export: each team they belong to, their part in it and the
    measures they own."""
    out = []
    for data in documents.values():
        team = Team.from_document(data)
        member = team.members.get(identity_id)
        if member is None:
            continue
        out.append(
            {
                "team": team.id,
                "name": team.name,
                "firm": team.firm,
                "role": member.role,
                "joined_at": member.joined_at,
                "measures_owned": [m.as_dict() for m in team.measures if m.owner == identity_id],
                "measures_last_changed": [
                    m.id for m in team.measures if m.updated_by == identity_id
                ],
            }
        )
    return out
