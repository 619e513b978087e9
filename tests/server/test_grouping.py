"""Breakout groups by profile: the proposal's rules (no I/O), and over real sockets the
facilitator of a running workshop gets groups by industry and by topic from the profiles
people chose to show (never a hidden one), nobody else does, and the proposal starts as
chosen groups."""

from __future__ import annotations

from test_board_socket import Hub, running_workshop
from test_board_socket import hub as hub  # the fixture

from server.domain.profiles import Profile
from server.workshop.grouping import OTHERS, Participant, by_industry, by_topic


def shown(
    industry: str = "", interests: tuple[str, ...] = (), helps: tuple[str, ...] = ()
) -> Profile:
    return Profile(visible=True, industry=industry, interests=interests, helps_with=helps)


def test_by_industry_largest_first_and_the_rest_in_others() -> None:
    people = [
        Participant("s1", "Ada", shown("Handwerk")),
        Participant("s2", "Bo", shown(" handwerk")),
        Participant("s3", "Cem", shown("Druck")),
        Participant("s4", "Dani", shown("Logistik")),
        Participant("s5", "Eli", shown("Logistik")),
        Participant("s6", "Fe", None),
    ]
    assert [(g.label, g.sessions) for g in by_industry(people, 4)] == [
        ("Handwerk", ("s1", "s2")),
        ("Logistik", ("s4", "s5")),
        ("Druck", ("s3",)),
        (OTHERS, ("s6",)),
    ]
    # at most three groups: the smallest industry joins the others
    assert [(g.label, g.sessions) for g in by_industry(people, 3)] == [
        ("Handwerk", ("s1", "s2")),
        ("Logistik", ("s4", "s5")),
        (OTHERS, ("s3", "s6")),
    ]
    everyone_known = people[:5]
    assert [g.label for g in by_industry(everyone_known, 3)] == ["Handwerk", "Logistik", "Druck"]


def test_by_topic_people_join_the_topic_most_others_share() -> None:
    people = [
        Participant("s1", "Ada", shown(interests=("klima", "wasser"))),
        Participant("s2", "Bo", shown(helps=("klima",))),
        Participant("s3", "Cem", shown(interests=("wasser",))),
        Participant("s4", "Dani", shown(interests=("wasser", "energie"))),
        Participant("s5", "Eli", shown(industry="Bau")),
    ]
    names = {"klima": "Klimabilanz", "wasser": "Wasser", "energie": "Energie"}
    groups = by_topic(people, 4, names.__getitem__)
    assert [(g.label, g.sessions) for g in groups] == [
        ("Wasser", ("s1", "s3", "s4")),
        ("Klimabilanz", ("s2",)),
        (OTHERS, ("s5",)),
    ]


async def test_the_facilitator_gets_groups_by_profile_and_starts_them(hub: Hub) -> None:
    mara_token, workshop_id, mara = await running_workshop(hub)
    profiles = {
        "Ada": {"visible": True, "industry": "Handwerk", "interests": ["klimabilanz"]},
        "Ben": {"visible": True, "industry": "Handwerk", "helps_with": ["foerderung"]},
        "Cleo": {"visible": True, "industry": "Druckerei", "interests": ["klimabilanz"]},
        "Dan": {"visible": False, "industry": "Geheim GmbH", "interests": ["foerderung"]},
    }
    tokens = {name: await hub.token(name=name) for name in profiles}
    for name, profile in profiles.items():
        status, _ = await hub.call("PUT", "/api/me/profile", tokens[name], profile)
        assert status == 200
    people = {name: await hub.enter(token) for name, token in tokens.items()}
    path = f"/api/workshops/{workshop_id}/grouping"
    status, proposal = await hub.call("GET", f"{path}?by=industry&groups=3", mara_token)
    assert status == 200, proposal
    by_name = {p["name"]: p for p in proposal["participants"]}
    assert sorted(by_name) == ["Ada", "Ben", "Cleo", "Dan"]  # not the facilitator
    assert by_name["Dan"]["profile"] is None  # hidden: nothing of it shown
    assert "Geheim" not in str(proposal)
    assert [(g["label"], g["names"]) for g in proposal["groups"]] == [
        ("Handwerk", ["Ada", "Ben"]),
        ("Druckerei", ["Cleo"]),
        (OTHERS, ["Dan"]),
    ]
    status, topics = await hub.call("GET", f"{path}?by=topic&lang=en", mara_token)
    assert status == 200
    assert [(g["label"], g["names"]) for g in topics["groups"]] == [
        ("Carbon accounting and footprint", ["Ada", "Cleo"]),
        ("Funding and finance", ["Ben"]),
        (OTHERS, ["Dan"]),
    ]
    # nobody but the workshop's facilitators; only a running workshop; only known ways
    assert (await hub.call("GET", f"{path}?by=industry", tokens["Ada"]))[0] == 403
    assert (await hub.call("GET", "/api/workshops/w-nein/grouping", mara_token))[0] == 404
    status, refused = await hub.call("GET", f"{path}?by=alter", mara_token)
    assert status == 400 and "industry or topic" in refused["error"]["message"]
    assert (await hub.call("GET", f"{path}?groups=1", mara_token))[0] == 400

    # the proposal starts as chosen groups
    assign = [g["sessions"] for g in proposal["groups"]]
    await mara.send("breakout", groups=len(assign), mode="chosen", minutes=10, assign=assign)
    state = None
    while state is None or not state["workshop"]["breakout"]:
        state = await mara.next("workshop_state")
    formed = [sorted(g["members"]) for g in state["workshop"]["breakout"]["groups"]]
    assert formed == [sorted(members) for members in assign]
    for person in people.values():
        await person.close()
