"""Breakout groups by profile (no I/O): the exchange series' "by industry" and "by topic".

The facilitator of a running workshop asks for a proposal (``server/workshop/grouping_http.py``):
the participants in its main room, each with the profile they chose to show (or none), are
grouped by their industry, or by the topic they share with the most others (what they look
for or can help with). Only visible profiles count: someone who shows nothing lands in the
last group, "Weitere / others", with everyone whose industry or topic does not make a group
of its own within the limit. The facilitator starts the groups with the ordinary
``breakout`` message (chosen groups), so the server checks them as any other.

>>> people = [Participant("s1", "Ada", Profile(visible=True, industry="Handwerk")),
...           Participant("s2", "Bo", Profile(visible=True, industry="handwerk ")),
...           Participant("s3", "Cem", None)]
>>> [(g.label, g.sessions) for g in by_industry(people, 4)]
[('Handwerk', ('s1', 's2')), ('Weitere / others', ('s3',))]
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from server.domain.profiles import Profile

BY: Final = ("industry", "topic")
OTHERS: Final = "Weitere / others"


@dataclass(frozen=True)
class Participant:
    """Someone in the workshop's main room: their session, name and visible profile."""

    session: str
    name: str
    profile: Profile | None  # None: shows no profile


@dataclass(frozen=True)
class ProposedGroup:
    label: str
    sessions: tuple[str, ...]


def by_industry(people: Sequence[Participant], most: int) -> list[ProposedGroup]:
    """One group per industry (as people wrote it, letter case and spaces aside), the
    largest first, at most ``most`` groups in all."""
    shown: dict[str, str] = {}

    def key(person: Participant) -> str | None:
        if person.profile is None or not person.profile.industry.strip():
            return None
        text = " ".join(person.profile.industry.split())
        return shown.setdefault(text.casefold(), text).casefold()

    keys = {p.session: key(p) for p in people}
    return _grouped(people, keys, most, lambda k: shown[str(k)])


def by_topic(
    people: Sequence[Participant], most: int, topic_name: Callable[[str], str]
) -> list[ProposedGroup]:
    """One group per topic: each person joins the topic among theirs (looked for or helped
    with) that most others share, so groups form around common ground."""
    topics_of = {
        p.session: set(p.profile.interests) | set(p.profile.helps_with)
        for p in people
        if p.profile is not None
    }
    popularity = Counter(topic for topics in topics_of.values() for topic in topics)
    keys: dict[str, Hashable | None] = {}
    for person in people:
        topics = topics_of.get(person.session, set())
        keys[person.session] = min(topics, key=lambda t: (-popularity[t], t)) if topics else None
    return _grouped(people, keys, most, lambda k: topic_name(str(k)))


def _grouped(
    people: Sequence[Participant],
    keys: Mapping[str, Hashable | None],
    most: int,
    label: Callable[[Hashable], str],
) -> list[ProposedGroup]:
    sizes = Counter(k for k in keys.values() if k is not None)
    ranked = [k for k, _ in sorted(sizes.items(), key=lambda kv: (-kv[1], str(kv[0])))]
    rest_needed = any(k is None for k in keys.values()) or len(ranked) > most
    own = ranked[: max(1, most - 1) if rest_needed else most]
    groups = {k: [p.session for p in people if keys[p.session] == k] for k in own}
    rest = [p.session for p in people if keys[p.session] not in groups]
    proposal = [ProposedGroup(label(k), tuple(members)) for k, members in groups.items()]
    if rest:
        proposal.append(ProposedGroup(OTHERS, tuple(rest)))
    return proposal
