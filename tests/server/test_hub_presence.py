"""Who is in the hub across processes, without sockets: a process's list packed and read
back (rows of another form left out), merged with this process's people first; and an
exchange kept elsewhere reads back the same, an answer leaving the one asked untouched."""

from __future__ import annotations

import json

from server.features.people.contact_card import ContactCard
from server.features.people.contact_exchange import Exchange, ExchangeState, answered
from server.features.people.http import Present
from server.features.people.presence import merge_present, pack_present, unpack_present


def test_a_process_s_people_read_back_as_written() -> None:
    here = {
        "id-ada": Present("s1", "Ada Müller", "hall", 0),
        "id:bob": Present("s2", "Bob", "entrance", 2),
    }
    assert unpack_present(pack_present(here)) == here
    assert unpack_present(pack_present({})) == {}


def test_rows_of_another_form_are_left_out() -> None:
    good = ["id-ada", "s1", "Ada", "hall", 0]
    rows = [good, ["id-x", "s", "X", "hall"], ["id-y", "s", "Y", "hall", "0"], "nonsense", 7]
    assert list(unpack_present(json.dumps(rows))) == ["id-ada"]
    assert unpack_present("not json") == {}
    assert unpack_present(json.dumps({"id-ada": good})) == {}


def test_this_process_s_entry_wins_then_the_first_process_s() -> None:
    here = Present("s1", "Ada", "hall")
    there = Present("s9", "Ada", "entrance")
    bob_a, bob_b = Present("s2", "Bob", "entrance"), Present("s3", "Bob", "hall", 1)
    merged = merge_present(
        {"id-ada": here}, [{"id-ada": there, "id-bob": bob_a}, {"id-bob": bob_b}]
    )
    assert merged == {"id-ada": here, "id-bob": bob_a}


def test_an_exchange_reads_back_the_same_and_an_answer_is_a_new_value() -> None:
    asked = Exchange("x1", "id-ada", "id-bob", ContactCard("Ada", email="a@b.de"), 12.5)
    assert Exchange.from_record(json.loads(json.dumps(asked.record()))) == asked
    accepted = answered(asked, "id-bob", True, ContactCard("Bob", phone="+49 1"))
    assert asked.state is ExchangeState.ASKED and asked.to_card is None
    assert Exchange.from_record(json.loads(json.dumps(accepted.record()))) == accepted
    declined = answered(asked, "id-bob", False, None)
    assert declined.from_card.email == "" and asked.from_card.email == "a@b.de"
