"""The site's consulting.toml (server/domain/consulting.py, no I/O beyond the file): Dortmund's
file is valid, every mistake is one line naming the entry, hours give their times and
slots in the site's time zone (also across the change to summer time), and the pure
functions of bookings: export and erasure."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from server.domain.consulting import (
    CONSULTING_FILE,
    ConsultingInvalid,
    Hours,
    booking_record,
    bookings_of,
    clean_notes,
    clean_topic,
    consulting_export,
    parse_hours,
    read_consulting,
    without_bookings_of,
)
from world.errors import InputFileError
from world.site import DEFAULT_SITE

BOOTHS = {"consulting-1", "consulting-2", "consulting-3"}
BERLIN = ZoneInfo("Europe/Berlin")
GOOD = {
    "id": "h",
    "title": "Team Beratung",
    "weekday": "sun",
    "from": "01:00",
    "to": "04:00",
    "topics": ["t"],
    "languages": ["de"],
    "corner": "c",
    "mode": "online",
    "slot_minutes": 60,
}


def test_dortmunds_file_has_its_corners_topics_and_hours() -> None:
    found = read_consulting(DEFAULT_SITE / CONSULTING_FILE, BOOTHS, ("de", "en"))
    assert set(found.corners) == BOOTHS
    assert {"bericht", "klimabilanz", "foerderung"} <= set(found.topics)
    assert len(found.hours) >= 3
    assert all(h.corner in found.corners for h in found.hours)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (
            '[[corners]]\nanchor = "lab-1"\nnames = "X"\n',
            "corners[1]: anchor 'lab-1' is not a booth",
        ),
        ("[consulting]\ndays_ahead = 0\n", "days_ahead"),
        ('[[topics]]\nid = "Bad Id"\nnames = "X"\n', "topics[1]: id"),
        (
            '[[topics]]\nid = "t"\nnames = { de = "T" }\n',
            "topics[1] (t): names: write a text, or one per language",
        ),
        (
            '[[corners]]\nanchor = "consulting-1"\nnames = "A"\n[[hours]]\nid = "x"\n'
            'title = "T"\nweekday = "mo"\n',
            "hours[1] (x): weekday",
        ),
        ("not toml [", "not valid TOML"),
    ],
)
def test_every_mistake_is_one_line_naming_the_entry(tmp_path: Path, text: str, says: str) -> None:
    path = tmp_path / CONSULTING_FILE
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputFileError) as error:
        read_consulting(path, BOOTHS, ("de", "en"))
    assert str(error.value).startswith(CONSULTING_FILE) and says in str(error.value)
    assert "\n" not in str(error.value)


def test_no_file_means_no_corners_and_no_hours(tmp_path: Path) -> None:
    found = read_consulting(tmp_path / CONSULTING_FILE, BOOTHS, ("de",))
    assert found.corners == {} and found.hours == ()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"from": "4:00"}, "from"),
        ({"to": "00:30"}, "to"),
        ({"slot_minutes": 200}, "slot_minutes"),
        ({"mode": "vor Ort"}, "mode"),
        ({"corner": "d"}, "corner"),
        ({"topics": []}, "topics"),
        ({"languages": ["fr"]}, "languages"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_hours_name_the_field(change: dict[str, object], field: str) -> None:
    with pytest.raises(ConsultingInvalid, match=f"^{field}"):
        parse_hours({**GOOD, **change}, {"t"}, {"c"}, ("de", "en"))


def test_times_and_slots_follow_the_site_clock_across_summer_time() -> None:
    hours = parse_hours(GOOD, {"t"}, {"c"}, ("de", "en"))
    # Saturday 28 March 2026, noon in Berlin: the clocks go forward on Sunday at 02:00
    now = datetime(2026, 3, 28, 12, 0, tzinfo=BERLIN).timestamp()
    (start, end), *_ = hours.times(now, BERLIN, 7)
    assert datetime.fromtimestamp(start, BERLIN).hour == 1
    assert datetime.fromtimestamp(end, BERLIN).hour == 4
    assert end - start == 2 * 3600, "three hours on the clock, two in fact"
    slots = hours.slots(now, BERLIN, 8)  # this Sunday and the next
    assert [datetime.fromtimestamp(s, BERLIN).hour for s in slots] == [1, 3, 1, 2, 3]


def test_a_slot_that_began_cannot_be_booked() -> None:
    hours = parse_hours(GOOD, {"t"}, {"c"}, ("de",))
    during = datetime(2026, 4, 5, 2, 30, tzinfo=BERLIN).timestamp()
    assert [datetime.fromtimestamp(s, BERLIN).hour for s in hours.slots(during, BERLIN, 0)] == [3]


def test_bookings_in_the_kept_documents_export_and_erase() -> None:
    hours = Hours("h", "Team", 6, (60, 240), ("t",), ("de",), "c", "online", 60)
    ada = booking_record("b1", hours, 100.0, "ada", "Ada", "Förderung")
    bob = booking_record("b2", hours, 3700.0, "bob", "Bob", "Bericht")
    documents = {"h": {"slots": {"100": ada, "3700": bob}}, "other": {"slots": {}}}
    assert bookings_of(documents, "ada") == [ada]
    notes = {"notes": [{"id": "n"}]}
    assert consulting_export(notes, documents, "ada") == {"bookings": [ada], "notes": [{"id": "n"}]}
    assert without_bookings_of(documents, "ada") == {"h": {"slots": {"3700": bob}}}
    assert without_bookings_of(documents, "nobody") == {}


def test_topics_and_notes_are_trimmed_and_limited() -> None:
    assert clean_topic("  CO2   Bilanz ") == "CO2 Bilanz"
    for bad in ("", "   ", "x" * 201, 5):
        with pytest.raises(ConsultingInvalid):
            clean_topic(bad)
    assert clean_notes(" Text ", [" a ", "", "b"]) == ("Text", ("a", "b"))
    with pytest.raises(ConsultingInvalid):
        clean_notes("  ", ["  "])
