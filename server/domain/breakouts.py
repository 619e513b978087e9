"""Breakout groups: splitting a workshop's participants into groups, at random or as the
facilitator chose (no I/O).

``split`` returns the groups as lists of session ids: everyone exactly once, groups as even
as they can be (sizes differ by at most one when dealt at random). A chosen split may leave
people out; they are dealt to the smallest groups, so nobody is left behind in the main room.
``split_by_teams`` forms one group per team instead (the teams that share the workshop and
have members here), people of no team together in a last group of their own, so nobody
sees a plan on a group's board that is not theirs. The realtime feature
(``server/workshop/facilitation.py``) then moves each group into a fresh overflow instance of the
workshop's room and brings everyone back on recall.

>>> split(["a", "b", "c", "d", "e"], 2, random.Random(1))
[['c', 'e', 'b'], ['d', 'a']]
"""

from __future__ import annotations

import random
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

MAX_GROUPS: Final = 20
MAX_MINUTES: Final = 120


class BreakoutInvalid(Exception):
    """A split that cannot be made; ``code`` is a protocol error code."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


def split(
    participants: Sequence[str],
    groups: int,
    rng: random.Random,
    chosen: Sequence[Sequence[str]] | None = None,
) -> list[list[str]]:
    """``participants`` in ``groups`` groups; ``chosen`` names some or all members of each
    group (at most ``groups`` lists, everyone in at most one, only participants)."""
    people = list(dict.fromkeys(participants))
    if not people:
        raise BreakoutInvalid("no_participants", "nobody to split into groups")
    if not 2 <= groups <= min(MAX_GROUPS, len(people)):
        raise BreakoutInvalid("breakout_invalid", f"{groups} groups for {len(people)} participants")
    out: list[list[str]] = [[] for _ in range(groups)]
    placed: set[str] = set()
    if chosen:
        if len(chosen) > groups:
            raise BreakoutInvalid("breakout_invalid", "more chosen groups than groups")
        known = set(people)
        for number, members in enumerate(chosen):
            for member in members:
                if member not in known:
                    raise BreakoutInvalid("breakout_invalid", f"{member} is not a participant here")
                if member in placed:
                    raise BreakoutInvalid("breakout_invalid", f"{member} is in two groups")
                placed.add(member)
                out[number].append(member)
    rest = [p for p in people if p not in placed]
    rng.shuffle(rest)
    for person in rest:
        smallest = min(range(groups), key=lambda g: (len(out[g]), g))
        out[smallest].append(person)
    return out


def split_by_teams(
    participants: Sequence[str],
    identity_of: Mapping[str, str],
    teams: Sequence[tuple[str, Collection[str]]],
) -> tuple[list[list[str]], list[str | None]]:
    """One group per team with members among ``participants`` (session ids;
    ``identity_of``: session id -> identity id; ``teams``: (team id, member identity ids)
    in the order the groups get), and a last group of everyone in no team, if anyone.
    Someone in several teams goes with the first of them. Returns the groups and, for
    each, the team it was formed for (None for the last group)."""
    people = list(dict.fromkeys(participants))
    if not people:
        raise BreakoutInvalid("no_participants", "nobody to split into groups")
    groups: list[list[str]] = []
    formed_for: list[str | None] = []
    placed: set[str] = set()
    for team_id, members in teams:
        group = [p for p in people if p not in placed and identity_of.get(p) in members]
        if group:
            groups.append(group)
            formed_for.append(team_id)
            placed.update(group)
    if not groups:
        raise BreakoutInvalid("breakout_no_teams", "no team that shares the workshop is here")
    rest = [p for p in people if p not in placed]
    if rest:
        groups.append(rest)
        formed_for.append(None)
    if len(groups) > MAX_GROUPS:
        raise BreakoutInvalid("breakout_invalid", f"{len(groups)} groups, at most {MAX_GROUPS}")
    return groups, formed_for


@dataclass
class Group:
    """One breakout group: its number (0-based), the instance of the room it meets in,
    who was sent there, and the team it was formed for (its plan is on the group's board)."""

    number: int
    instance: int
    members: list[str]
    team: str | None = None


@dataclass
class Breakout:
    """The groups of a running breakout and when they are called back."""

    groups: list[Group]
    ends_at: float
    visiting: dict[str, int] = field(default_factory=dict)  # facilitator session -> group

    def group_of(self, session_id: str) -> Group | None:
        return next((g for g in self.groups if session_id in g.members), None)

    def team_at(self, number: int) -> str | None:
        """The team whose group meets in this instance, if any."""
        group = self.by_instance(number)
        return None if group is None else group.team

    def by_instance(self, number: int) -> Group | None:
        return next((g for g in self.groups if g.instance == number), None)

    def sent(self) -> int:
        return sum(len(g.members) for g in self.groups)

    def as_dict(self, present: Mapping[int, int] | None = None) -> dict[str, object]:
        """The groups as sent; ``present``: how many are in each group's room now (by
        instance number)."""
        present = present or {}
        return {
            "ends_at": self.ends_at,
            "groups": [
                {
                    "group": g.number,
                    "instance": g.instance,
                    "members": list(g.members),
                    "present": present.get(g.instance, 0),
                    "team": g.team,
                }
                for g in self.groups
            ],
        }
