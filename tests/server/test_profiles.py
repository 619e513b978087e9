"""The rules of people to meet without sockets: what a profile may hold, that a hidden one
shows nothing, the filters of "who is here" and how suggestions are ranked."""

from __future__ import annotations

import pytest

from server.domain.profiles import Filter, Profile, ProfileError, parse_profile, suggestions

TOPICS = {"klimabilanz", "foerderung", "ressourcen", "vernetzung"}


def test_a_profile_is_off_until_the_person_turns_it_on() -> None:
    p = parse_profile({"industry": "Handwerk"}, TOPICS)
    assert p.visible is False
    assert p.public_view() is None
    assert Profile().public_view() is None
    shown = parse_profile({"visible": True, "industry": " Hand  werk "}, TOPICS)
    assert shown.public_view() == {
        "organisation": "",
        "industry": "Hand werk",
        "role": "",
        "region": "",
        "interests": [],
        "helps_with": [],
        "languages": [],
    }


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "a profile is an object"),
        ({"email": "a@b"}, "unknown field 'email'"),
        ({"visible": "yes"}, "visible: expected true or false"),
        ({"role": "king"}, "role: one of"),
        ({"industry": 5}, "industry: expected text"),
        ({"region": "x" * 81}, "region: at most 80"),
        ({"interests": ["klima"]}, "interests: unknown topic 'klima'"),
        ({"helps_with": "foerderung"}, "helps_with: expected a list"),
        ({"languages": ["deutsch"]}, "languages: 'deutsch' is not a language code"),
        ({"interests": ["klimabilanz"] * 13}, "interests: at most 12"),
    ],
)
def test_a_bad_profile_is_refused_with_the_field_named(data: object, message: str) -> None:
    with pytest.raises(ProfileError, match=message):
        parse_profile(data, TOPICS)


def test_repeated_topics_and_languages_are_kept_once() -> None:
    p = parse_profile(
        {"interests": ["foerderung", "foerderung"], "languages": ["DE", "de", "en"]}, TOPICS
    )
    assert p.interests == ("foerderung",)
    assert p.languages == ("de", "en")


def test_the_filters_of_who_is_here_never_admit_a_hidden_profile() -> None:
    ada = Profile(True, industry="Energiewirtschaft", role="owner", interests=("klimabilanz",))
    assert Filter().admits(ada)
    assert Filter(industry="energie").admits(ada)
    assert not Filter(industry="Handel").admits(ada)
    assert Filter(topic="klimabilanz").admits(ada)
    assert not Filter(topic="foerderung").admits(ada)
    assert Filter(role="owner").admits(ada)
    assert not Filter(role="union").admits(ada)
    hidden = Profile(False, industry="Energiewirtschaft", role="owner")
    assert not Filter().admits(hidden)


def test_suggestions_put_who_can_help_me_first() -> None:
    me = Profile(True, interests=("klimabilanz", "foerderung"), helps_with=("ressourcen",))
    others = [
        ("g-shares", Profile(True, interests=("klimabilanz",))),
        ("g-needs-me", Profile(True, interests=("ressourcen",))),
        ("g-helps", Profile(True, helps_with=("foerderung",))),
        ("g-hidden", Profile(False, helps_with=("klimabilanz", "foerderung"))),
        ("g-nothing", Profile(True, interests=("vernetzung",))),
        ("g-me", me),
    ]
    found = suggestions("g-me", me, others)
    assert [s.identity_id for s in found] == ["g-helps", "g-needs-me", "g-shares"]
    assert found[0].helps_me == ("foerderung",)
    assert found[1].i_help == ("ressourcen",)
    assert found[2].shared == ("klimabilanz",)
    assert suggestions("g-me", me, others, limit=1)[0].identity_id == "g-helps"


def test_equal_matches_keep_a_stable_order_and_my_hidden_profile_still_gets_suggestions() -> None:
    me = Profile(False, interests=("foerderung",))
    others = [
        ("g-b", Profile(True, helps_with=("foerderung",))),
        ("g-a", me.__class__(True, helps_with=("foerderung",))),
    ]
    assert [s.identity_id for s in suggestions("g-me", me, others)] == ["g-a", "g-b"]
