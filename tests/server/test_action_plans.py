"""The rules of teams and action plans without I/O (server/domain/action_plans.py): who sees and
changes a plan, joining and leaving, measures checked field by field, a calculator's figures
turned into savings, the document round trip, and erasure."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from server.domain.action_plans import (
    AREAS,
    MEASURES_MAX,
    STATUSES,
    PlanRefused,
    Team,
    plain_text,
    saving_of_unit,
    savings_from_figures,
    teams_of,
    without_person,
)


def team() -> Team:
    made = Team.new("t1", " Grüne   Backstube ", firm="Korn GmbH", by=("ada", "Ada"), now=1.0)
    made.add_member("bob", "Bob", now=2.0)
    return made


class _Code:
    """``with _Code("team_unknown"):`` the block is refused with that code."""

    def __init__(self, code: str) -> None:
        self.code = code

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: object, exc: object, tb: object) -> bool:
        assert exc is not None, f"expected {self.code}, nothing was refused"
        assert isinstance(exc, PlanRefused), f"expected {self.code}, got {exc!r}"
        assert exc.code == self.code, exc.code
        return True


def test_the_maker_leads_names_are_plain_text_and_the_link_is_secret() -> None:
    made = team()
    assert (made.name, made.firm) == ("Grüne Backstube", "Korn GmbH")
    assert made.is_lead("ada") and not made.is_lead("bob") and made.is_member("bob")
    assert len(made.link) >= 20 and made.as_view("bob")["link"] == made.link
    assert made.as_view("fritz")["link"] is None
    with _Code("measure_invalid"):
        Team.new("t2", "   ", firm="", by=("ada", "Ada"), now=0.0)
    with _Code("measure_invalid"):
        Team.new("t2", "x" * 81, firm="", by=("ada", "Ada"), now=0.0)


def test_members_and_facilitators_of_a_shared_workshop_see_the_plan_nobody_else() -> None:
    made = team()
    assert made.may_see("ada", ()) and made.may_see("bob", [])
    assert not made.may_see("eve", ["w1"])  # leads a workshop the team does not share
    with _Code("team_unknown"):
        made.check_sees("eve", [])
    made.share("w1", True)
    assert made.may_see("fritz", ["w1"])
    made.check_lead("fritz", ["w1"])
    with _Code("team_not_lead"):
        made.check_lead("bob", [])
    with _Code("team_unknown"):
        made.check_lead("eve", [])
    made.share("w1", False)
    assert not made.may_see("fritz", ["w1"])


def test_joining_with_the_link_or_an_invitation_and_a_new_link_stops_the_old() -> None:
    made = team()
    old = made.link
    made.join("cem", "Cem", old, now=3.0)
    assert made.is_member("cem")
    made.new_link()
    with _Code("team_link_invalid"):
        made.join("dora", "Dora", old, now=4.0)
    with _Code("team_link_invalid"):
        made.join("dora", "Dora", None, now=4.0)
    made.invite("dora", "Dora", "ada", now=5.0)
    made.join("dora", "Dora", None, now=6.0)
    assert made.is_member("dora") and "dora" not in made.invited


def test_leaving_clears_owners_passes_the_lead_on_and_the_last_one_ends_the_team() -> None:
    made = team()
    measure = made.add_measure({"title": "LED", "owner": "ada"}, by="ada", now=3.0)
    assert made.leave("ada") is False
    assert made.measure(measure.id).owner is None and made.measure(measure.id).updated_by is None
    assert made.is_lead("bob")
    assert made.leave("bob") is True


def test_a_measure_is_checked_field_by_field() -> None:
    made = team()
    fields = {"title": "LED", "area": "energy", "owner": "bob", "due": "2027-03-31",
              "status": "planned", "co2e_kg": 2613.6, "energy_kwh": 7200, "money_eur": 2160.0,
              "note": "Angebot", "source_text": "Schätzung"}  # fmt: skip
    measure = made.add_measure(fields, by="ada", now=3.0)
    assert measure.as_dict() | {"id": "m1"} == {
        "id": "m1", "title": "LED", "area": "energy", "owner": "bob", "due": "2027-03-31",
        "status": "planned", "co2e_kg": 2613.6, "energy_kwh": 7200.0, "money_eur": 2160.0,
        "note": "Angebot", "source": {"kind": "estimate", "text": "Schätzung"},
        "created_at": 3.0, "updated_at": 3.0, "updated_by": "ada",
    }  # fmt: skip
    for bad in (
        {"title": ""},
        {"title": "x" * 121},
        {"area": "space"},
        {"status": "fertig"},
        {"owner": "eve"},
        {"due": "31.03.2027"},
        {"co2e_kg": "viel"},
        {"co2e_kg": float("nan")},
        {"energy_kwh": True},
        {"money_eur": 1e13},
        {"colour": "green"},
    ):
        with _Code("measure_invalid"):
            made.update_measure(measure.id, bad, by="bob", now=4.0)
    assert made.measure(measure.id) == measure  # nothing half-applied
    with _Code("measure_invalid"):
        made.add_measure({"area": "energy"}, by="ada", now=4.0)
    with _Code("measure_unknown"):
        made.update_measure("m99", {"status": "done"}, by="ada", now=4.0)
    changed = made.update_measure(measure.id, {"status": "done", "due": None}, by="bob", now=5.0)
    assert (changed.status, changed.due, changed.updated_by) == ("done", None, "bob")
    made.remove_measure(measure.id)
    assert made.measures == []


def test_a_plan_has_a_limit() -> None:
    made = team()
    for i in range(MEASURES_MAX):
        made.add_measure({"title": f"M{i}"}, by="ada", now=float(i))
    with _Code("plan_full"):
        made.add_measure({"title": "one more"}, by="ada", now=1e4)


def test_totals_count_done_and_planned_savings() -> None:
    made = team()
    made.add_measure({"title": "A", "co2e_kg": 100, "status": "done"}, by="ada", now=1.0)
    made.add_measure({"title": "B", "co2e_kg": 50, "energy_kwh": 10}, by="ada", now=1.0)
    totals = made.totals()
    assert (totals["measures"], totals["done"]) == (2, 1)
    assert (totals["co2e_kg_planned"], totals["co2e_kg_done"]) == (150, 100)
    assert (totals["energy_kwh_planned"], totals["energy_kwh_done"]) == (10, 0)


FIGURES = [
    {"name": "old_kwh", "label": "vorher", "value": 13200.0, "unit": "kWh/a"},
    {"name": "saved_kwh", "label": "gespart", "value": 7200.0, "unit": "kWh/a"},
    {"name": "saved_eur", "label": "gespart", "value": 2160.0, "unit": "€/a"},
    {"name": "saved_co2", "label": "CO2", "value": 2.6, "unit": "t CO2/a"},
    {"name": "investment", "label": "Invest", "value": 6000.0, "unit": "€"},
]


def test_a_calculators_yearly_figures_become_savings() -> None:
    savings, use = savings_from_figures(FIGURES, None)
    assert savings == {"energy_kwh": 7200.0, "money_eur": 2160.0, "co2e_kg": 2600.0}
    assert use == {"energy_kwh": "saved_kwh", "money_eur": "saved_eur", "co2e_kg": "saved_co2"}
    chosen, _ = savings_from_figures(FIGURES, {"energy_kwh": "old_kwh"})
    assert chosen == {"energy_kwh": 13200.0}
    for bad in ({"energy_kwh": "nope"}, {"money_eur": "investment"}, {"water": "saved_kwh"}):
        with _Code("measure_invalid"):
            savings_from_figures(FIGURES, bad)
    assert saving_of_unit("kg CO2e/a") == ("co2e_kg", 1.0)
    assert saving_of_unit("MWh/a") == ("energy_kwh", 1000.0)
    assert saving_of_unit("Jahre") is None


def test_a_calculation_in_a_measure_and_a_hand_change_is_marked() -> None:
    made = team()
    measure = made.add_measure({"title": "LED"}, by="ada", now=1.0)
    source = {"kind": "calculator", "station": "licht", "inputs": {"a": 1.0}}
    made.put_calculation(measure.id, source, {"co2e_kg": 5.0}, by="bob", now=2.0)
    assert made.measure(measure.id).co2e_kg == 5.0 and made.measure(measure.id).energy_kwh is None
    changed = made.update_measure(measure.id, {"co2e_kg": 7}, by="ada", now=3.0)
    assert changed.source is not None and changed.source["overridden"] is True


@given(
    st.lists(
        st.fixed_dictionaries(
            {
                "title": st.text(min_size=1, max_size=40).filter(
                    lambda s: plain_text(s, "title", 200, required=False)
                ),
                "area": st.sampled_from(AREAS),
                "status": st.sampled_from(STATUSES),
                "co2e_kg": st.none() | st.floats(0, 1e9),
            }
        ),
        max_size=8,
    )
)
def test_a_team_survives_its_document(measures: list[dict[str, object]]) -> None:
    made = team()
    made.invite("cem", "Cem", "ada", now=2.0)
    made.share("w1", True)
    for fields in measures:
        made.add_measure(fields, by="bob", now=3.0)
    again = Team.from_document(made.as_document())
    assert again.as_document() == made.as_document()


def test_erasure_takes_a_person_out_and_an_empty_team_goes() -> None:
    made = team()
    made.add_measure({"title": "LED", "owner": "bob"}, by="bob", now=3.0)
    document = made.as_document()
    assert without_person(document, "eve") is document
    after = without_person(document, "bob")
    assert after is not None and [m["id"] for m in after["members"]] == ["ada"]
    assert after["measures"][0]["owner"] is None
    alone = Team.new("t2", "Solo", firm="", by=("bob", "Bob"), now=1.0).as_document()
    assert without_person(alone, "bob") is None
    exported = teams_of({"t1": document, "t2": alone}, "bob")
    assert [(t["team"], t["role"]) for t in exported] == [("t1", "member"), ("t2", "lead")]
    assert [m["title"] for m in exported[0]["measures_owned"]] == ["LED"]
