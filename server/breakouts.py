"""Breakout groups: splitting a workshop's participants into groups, at random or as the
facilitator chose (no I/O).

``split`` returns the groups as lists of session ids: everyone exactly once, groups as even
as they can be (sizes differ by at most one when dealt at random). A chosen split may leave
people out; they are dealt to the smallest groups, so nobody is left behind in the main room.
The realtime feature (``server/facilitation.py``) then moves each group into a fresh
overflow instance of the workshop's room and brings everyone back on recall.

>>> split(["a", "b", "c", "d", "e"], 2, random.Random(1))
[['c', 'e', 'b'], ['d', 'a']]
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
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


@dataclass
class Group:
    """One breakout group: its number (0-based), the instance of the room it meets in,
    and who was sent there."""

    number: int
    instance: int
    members: list[str]


@dataclass
class Breakout:
    """The groups of a running breakout and when they are called back."""

    groups: list[Group]
    ends_at: float
    visiting: dict[str, int] = field(default_factory=dict)  # facilitator session -> group

    def group_of(self, session_id: str) -> Group | None:
        return next((g for g in self.groups if session_id in g.members), None)

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
                }
                for g in self.groups
            ],
        }
