"""Reading and checking a site's ``offers.toml`` (no server): the Dortmund hub's and a new
site's offers load; every mistake is one line with the file and the line of the value;
staff edits lay over the file; the filters; a sign-up needs consent, a name and a contact;
the CSV keeps spreadsheet programs from reading a name as a formula."""

from __future__ import annotations

import csv
import datetime
import io
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from server.app.site_command import offers_toml
from server.domain.offers import (
    OfferFilter,
    OfferInvalid,
    OfferSignup,
    catalogue,
    filtered,
    load_offer_file,
    signup_from,
    signups_csv,
)
from world.errors import InputFileError
from world.site import DEFAULT_SITE

ZONE = ZoneInfo("Europe/Berlin")
LANGS = ("de", "en")
HEAD = """[topics]
klima = { de = "Klima", en = "Climate" }

[audiences]
kmu = { de = "KMU", en = "SMEs" }

"""
GOOD = """[[offer]]
id = "kurs"
kind = "course"
title = { de = "Kurs", en = "Course" }
summary = "Worum es geht"
topics = ["klima"]
audience = ["kmu"]
place = "both"
starts = 2027-02-09T09:00:00
ends = 2027-02-09T12:00:00
cost = { de = "kostenfrei", en = "free" }
signup = true
seats = 10
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "offers.toml"
    path.write_text(text, encoding="utf-8")
    return path


def line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def test_the_dortmund_offers_load() -> None:
    loaded = load_offer_file(DEFAULT_SITE / "offers.toml", LANGS, ZONE)
    assert len(loaded.offers) == 8
    assert {o.kind for o in loaded.offers} == {"course", "coaching", "funding", "event"}
    assert {o.place for o in loaded.offers} == {"online", "in_person", "both"}
    assert all(o.link or o.signup for o in loaded.offers)
    first = loaded.offers[0]
    assert first.as_dict(ZONE)["starts"] == "2027-02-09T09:00"
    assert datetime.datetime.fromtimestamp(first.starts or 0, ZONE).hour == 9


def test_a_new_sites_example_offer_loads(tmp_path: Path) -> None:
    loaded = load_offer_file(write(tmp_path, offers_toml(datetime.date(2030, 1, 1))), LANGS, ZONE)
    (offer,) = loaded.offers
    assert (
        offer.signup and offer.seats == 12 and offer.as_dict(ZONE)["starts"] == "2030-01-31T09:00"
    )


def test_a_missing_file_is_a_site_without_offers(tmp_path: Path) -> None:
    assert load_offer_file(tmp_path / "offers.toml", LANGS, ZONE).offers == ()


@pytest.mark.parametrize(
    ("change", "needle", "message"),
    [
        (('kind = "course"', 'kind = "kurs"'), 'kind = "kurs"', "kind 'kurs' must be one of"),
        (('place = "both"', 'place = "mond"'), 'place = "mond"', "place 'mond' must be one of"),
        (('topics = ["klima"]', 'topics = ["klimma"]'), "topics =", "topics 'klimma' is not in"),
        (('audience = ["kmu"]', "audience = []"), "audience =", "audience must be a list of ids"),
        (("seats = 10", "seats = 0"), "seats = 0", "seats must be a whole number"),
        (("signup = true", "signup = false"), 'id = "kurs"', "needs a link or signup = true"),
        (("ends = 2027-02-09T12:00:00", "ends = 2027-02-08T12:00:00"), "ends =", "before starts"),
        (('summary = "Worum es geht"', "summary = 3"), "summary = 3", "summary must be a text"),
        (('title = { de = "Kurs", en = "Course" }', 'title = { de = "Kurs" }'), "title =", "in en"),
        (("seats = 10", "sitze = 10"), "sitze", "unknown key 'sitze'"),
        (("seats = 10", "seats = 10\nwaiting_list = -1"), "waiting_list", "waiting_list must be"),
        (("seats = 10", "waiting_list = 5"), "waiting_list", "waiting_list needs seats"),
        (('cost = { de = "kostenfrei", en = "free" }\n', ""), 'id = "kurs"', "lacks cost"),
        (('id = "kurs"', 'id = "Kurs!"'), 'id = "Kurs!"', "id must be small letters"),
    ],
)
def test_each_mistake_is_one_line_with_file_and_line(
    tmp_path: Path, change: tuple[str, str], needle: str, message: str
) -> None:
    text = HEAD + GOOD.replace(*change)
    path = write(tmp_path, text)
    with pytest.raises(InputFileError) as raised:
        load_offer_file(path, LANGS, ZONE)
    said = str(raised.value)
    assert said.startswith(f"{path}:{line_of(text, needle)}: "), said
    assert message in said and "\n" not in said


def test_file_level_mistakes(tmp_path: Path) -> None:
    path = write(tmp_path, HEAD + GOOD + GOOD)
    with pytest.raises(
        InputFileError, match=r"offers.toml:\d+: id 'kurs' is used twice \(first at line 8\)"
    ):
        load_offer_file(path, LANGS, ZONE)
    write(tmp_path, GOOD)
    with pytest.raises(InputFileError, match="missing \\[topics\\] table"):
        load_offer_file(path, LANGS, ZONE)
    write(tmp_path, HEAD + "[angebote]\n")
    with pytest.raises(InputFileError, match=r"offers.toml:7: unknown table 'angebote'"):
        load_offer_file(path, LANGS, ZONE)
    write(tmp_path, HEAD + "[[offer]\n")
    with pytest.raises(InputFileError, match=r"offers.toml:7: not valid TOML"):
        load_offer_file(path, LANGS, ZONE)


def test_edits_lay_over_the_file(tmp_path: Path) -> None:
    base = load_offer_file(write(tmp_path, HEAD + GOOD), LANGS, ZONE)
    kurs = base.offers[0].as_dict(ZONE)
    edits = {
        "kurs": {**kurs, "seats": 3},
        "neu": {**kurs, "id": "neu", "starts": "2027-01-05T10:00", "ends": None},
        "kaputt": {**kurs, "id": "kaputt", "topics": ["weg"]},  # the vocabulary lost it
    }
    offers = catalogue(base, edits, LANGS, ZONE)
    assert [(o.id, o.seats) for o in offers] == [("neu", 10), ("kurs", 3)]
    assert catalogue(base, {"kurs": {"removed": True}}, LANGS, ZONE) == []


def test_filters(tmp_path: Path) -> None:
    offers = load_offer_file(DEFAULT_SITE / "offers.toml", LANGS, ZONE).offers

    def ids(wanted: OfferFilter) -> list[str]:
        return [o.id for o in filtered(offers, wanted)]

    day = lambda d: datetime.datetime(2027, 2, d, tzinfo=ZONE).timestamp()  # noqa: E731
    assert ids(OfferFilter(after=day(18), before=day(19))) == [
        "klimabilanz-grundlagen",
        "foerderlotse",
        "kompetenzregion-gruene-produktion",
    ]
    assert "berichterstattung-einstieg" not in ids(OfferFilter(place="in_person"))
    assert "betriebsrat-transformation" not in ids(OfferFilter(place="online"))
    assert ids(OfferFilter(topic="foerderung", audience="betriebsraete")) == []


def test_a_sign_up_needs_consent_a_name_and_a_contact() -> None:
    offers = load_offer_file(DEFAULT_SITE / "offers.toml", LANGS, ZONE).offers
    kurs = next(o for o in offers if o.id == "klimabilanz-grundlagen")
    link_only = next(o for o in offers if not o.signup)
    good = {"name": " Ada ", "contact": "ada@example.org", "consent": True}
    assert signup_from(kurs, "g-ada", good, 5.0) == OfferSignup(
        kurs.id, "g-ada", "Ada", "ada@example.org", 5.0
    )
    for body, field in (
        ({**good, "consent": "yes"}, "consent"),
        ({**good, "name": ""}, "name"),
        ({**good, "contact": "x" * 201}, "contact"),
    ):
        with pytest.raises(OfferInvalid) as raised:
            signup_from(kurs, "g-ada", body, 5.0)
        assert raised.value.field == field
    with pytest.raises(OfferInvalid, match="no sign-up"):
        signup_from(link_only, "g-ada", good, 5.0)


def test_the_csv_field_by_field() -> None:
    at = datetime.datetime(2027, 1, 2, 3, 4, 5, tzinfo=ZONE).timestamp()
    text = signups_csv([OfferSignup("kurs", "g-1", "=SUMME(A1)", "@ada", at)], ZONE)
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][-1] == (
        "Angemeldet und eingewilligt (Europe/Berlin) / Signed up and consented (Europe/Berlin)"
    )
    assert rows[1] == ["1", "kurs", "Platz / seat", "'=SUMME(A1)", "'@ada", "2027-01-02 03:04:05"]


def test_a_waiting_list_as_long_as_the_seats_unless_the_file_says_otherwise(
    tmp_path: Path,
) -> None:
    offers = {
        o.id: o
        for o in load_offer_file(
            write(tmp_path, HEAD + GOOD + "\n" + GOOD.replace('id = "kurs"', 'id = "klein"')
                  .replace("seats = 10", "seats = 1\nwaiting_list = 0")),
            LANGS,
            ZONE,
        ).offers
    }  # fmt: skip
    assert (offers["kurs"].waiting_list, offers["kurs"].limit) == (10, 20)
    assert (offers["klein"].waiting_list, offers["klein"].limit) == (0, 1)


def test_who_has_a_seat_and_who_waits_where_in_the_order_they_came(tmp_path: Path) -> None:
    path = write(tmp_path, HEAD + GOOD.replace("seats = 10", "seats = 2\nwaiting_list = 3"))
    (offer,) = load_offer_file(path, LANGS, ZONE).offers
    at = datetime.datetime(2027, 1, 2, 3, 4, 5, tzinfo=ZONE).timestamp()
    people = [OfferSignup("kurs", f"g-{n}", f"P{n}", f"p{n}@example.org", at + n) for n in range(4)]
    assert [offer.standing(people, f"g-{n}") for n in range(4)] == [
        {"status": "seat"},
        {"status": "seat"},
        {"status": "waiting", "place": 1},
        {"status": "waiting", "place": 2},
    ]
    assert offer.standing(people, "g-9") == {"status": None}
    # the second takes it back: the first waiting gets the seat
    rest = [p for p in people if p.identity_id != "g-1"]
    assert offer.standing(rest, "g-2") == {"status": "seat"}
    assert offer.standing(rest, "g-3") == {"status": "waiting", "place": 1}
    rows = list(csv.reader(io.StringIO(signups_csv(people, ZONE, {"kurs": offer}))))
    assert [row[2] for row in rows[1:]] == [
        "Platz / seat",
        "Platz / seat",
        "Warteliste 1 / waiting list 1",
        "Warteliste 2 / waiting list 2",
    ]
