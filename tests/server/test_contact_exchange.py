"""Contact exchange without sockets: the vCard text (RFC 6350 escaping and folding) and the
consent rules (nobody gets a card before the asked person accepts; a decline ends it)."""

from __future__ import annotations

import pytest

from server.features.people.contact_card import ContactCard, ContactCardError, parse_card, vcard
from server.features.people.contact_exchange import TTL, ContactExchanges, ExchangeError

ADA = ContactCard("Ada", email="ada@example.org")
BOB = ContactCard("Bob", phone="+49 231 1234")


def test_the_vcard_escapes_text_and_ends_lines_in_crlf() -> None:
    text = vcard(
        ContactCard("Muster; Ada, Dr.", "Stadtwerke\\Nord", "a@b.de", "", "Zeile 1\nZeile 2")
    )
    assert text.split("\r\n") == [
        "BEGIN:VCARD",
        "VERSION:4.0",
        "FN:Muster\\; Ada\\, Dr.",
        "N:;;;;",
        "ORG:Stadtwerke\\\\Nord",
        "EMAIL:a@b.de",
        "NOTE:Zeile 1\\nZeile 2",
        "END:VCARD",
        "",
    ]


def test_long_lines_fold_at_75_octets_without_splitting_a_character() -> None:
    text = vcard(ContactCard("Ö" * 100, email="a@b.de"))
    lines = text.split("\r\n")
    assert all(len(line.encode("utf-8")) <= 75 for line in lines)
    unfolded = text.replace("\r\n ", "")
    assert "FN:" + "Ö" * 100 + "\r\n" in unfolded


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"email": "a@b.de"}, "name: required"),
        ({"name": "Ada"}, "an e-mail address or a phone number"),
        ({"name": "Ada", "email": "nope"}, "email: not an e-mail address"),
        ({"name": "Ada", "phone": "call me"}, "phone: not a phone number"),
        ({"name": "Ada", "email": "a@b.de", "street": "x"}, "unknown field 'street'"),
        ("Ada", "contact details are an object"),
    ],
)
def test_bad_contact_details_are_refused(data: object, message: str) -> None:
    with pytest.raises(ContactCardError, match=message):
        parse_card(data)


def test_cards_are_given_only_after_the_asked_person_accepts() -> None:
    ex = ContactExchanges()
    rid = ex.request("g-ada", "g-bob", ADA, now=0.0)
    assert ex.card_for(rid, "g-bob", now=1.0) is None
    assert ex.card_for(rid, "g-ada", now=1.0) is None
    with pytest.raises(ExchangeError, match="only the person asked"):
        ex.answer(rid, "g-ada", True, ADA, now=1.0)
    with pytest.raises(ExchangeError, match="no such request"):
        ex.answer(rid, "g-eve", True, ADA, now=1.0)
    with pytest.raises(ExchangeError, match="needs one's own contact details"):
        ex.answer(rid, "g-bob", True, None, now=1.0)
    ex.answer(rid, "g-bob", True, BOB, now=2.0)
    assert ex.card_for(rid, "g-ada", now=3.0) == BOB
    assert ex.card_for(rid, "g-bob", now=3.0) == ADA
    assert ex.card_for(rid, "g-eve", now=3.0) is None
    assert ex.get(rid, "g-eve", now=3.0) is None
    with pytest.raises(ExchangeError, match="already answered"):
        ex.answer(rid, "g-bob", False, None, now=3.0)


def test_a_declined_request_gives_nobody_anything() -> None:
    ex = ContactExchanges()
    rid = ex.request("g-ada", "g-bob", ADA, now=0.0)
    declined = ex.answer(rid, "g-bob", False, None, now=1.0)
    assert declined.as_dict("g-bob")["card"] is None
    assert ex.card_for(rid, "g-bob", now=2.0) is None
    assert ex.card_for(rid, "g-ada", now=2.0) is None
    assert declined.from_card.email == ""


def test_requests_are_one_at_a_time_per_pair_not_to_oneself_and_lapse() -> None:
    ex = ContactExchanges()
    with pytest.raises(ExchangeError, match="oneself"):
        ex.request("g-ada", "g-ada", ADA, now=0.0)
    rid = ex.request("g-ada", "g-bob", ADA, now=0.0)
    with pytest.raises(ExchangeError, match="already open"):
        ex.request("g-bob", "g-ada", BOB, now=1.0)
    assert [e.id for e in ex.involving("g-bob", now=1.0)] == [rid]
    assert ex.get(rid, "g-ada", now=TTL + 1) is None
    ex.request("g-ada", "g-bob", ADA, now=TTL + 1)
    ex.forget_person("g-bob")
    assert ex.involving("g-ada", now=TTL + 1) == []
