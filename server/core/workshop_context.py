"""A workshop while it runs in a room: its agenda position, countdown, spotlight, tour,
reaction counts, breakout groups and who is taking part (no I/O).

``LiveWorkshop.state`` is the ``workshop_state`` a participant gets; everything in it is
decided by the server (``server/workshop/facilitation.py`` changes it on facilitators' messages and
on the tick).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from server.core.room import RoomInstance, Session
from server.domain.breakouts import Breakout, Group
from server.domain.workshops import Workshop

InstanceKey = tuple[str, int]


def key_of(instance: RoomInstance) -> InstanceKey:
    return (instance.room_id, instance.number)


@dataclass
class Tour:
    """A facilitator walking ahead and the participants the server walks behind them."""

    leader: str
    followers: list[str]
    heading: float
    last_position: NDArray[np.float64]
    next_step: float = 0.0


@dataclass
class StageArea:
    """A stage (a ``stage`` anchor of the world): who stands on it is shown to everyone.
    An oriented rectangle around the anchor, at least ``min_y`` high (on the platform)."""

    room_id: str
    x: float
    z: float
    yaw: float
    half_width: float
    half_depth: float
    min_y: float

    def holds(self, positions: NDArray[np.float64]) -> NDArray[np.bool_]:
        dx = positions[:, 0] - self.x
        dz = positions[:, 2] - self.z
        cos, sin = math.cos(self.yaw), math.sin(self.yaw)
        across = dx * cos - dz * sin
        along = dx * sin + dz * cos
        inside = (np.abs(across) <= self.half_width) & (np.abs(along) <= self.half_depth)
        return np.asarray(inside & (positions[:, 1] >= self.min_y), dtype=bool)


@dataclass
class Waiting:
    """Someone waiting to be admitted to a workshop with a waiting room. ``removed``: they
    were sent out of its room earlier ("identity"), or someone of their name was ("name")."""

    session_id: str
    identity_id: str
    name: str
    since: float
    removed: str | None = None
    told: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "session": self.session_id,
            "name": self.name,
            "since": self.since,
            "removed": self.removed,
        }


@dataclass
class LiveWorkshop:
    """One running workshop, bound to the main instance of its room (``home``)."""

    workshop: Workshop
    home: RoomInstance
    started_at: float
    item: int = -1
    item_started: float | None = None
    timer_ends: float | None = None
    tour: Tour | None = None
    spotlight: list[str] = field(default_factory=list)
    reactions: Counter[str] = field(default_factory=Counter)
    breakout: Breakout | None = None
    #: sessions taking part now (in its rooms or on its tour), for attendance
    present: dict[str, Session] = field(default_factory=dict)
    #: sessions that left one of its rooms this tick, and when (settled on the tick)
    leaving: dict[str, float] = field(default_factory=dict)
    #: reaction counts changed since the last state went out
    counts_changed: bool = False
    state_sent_at: float = float("-inf")
    #: the facilitators were told that its end is near
    warned: bool = False
    #: resumed after a restart or a takeover: identity id -> the session id it had (the
    #: spotlight, the hands and the groups name it until the person is back)
    returning: dict[str, str] = field(default_factory=dict)
    #: a waiting room: who waits (by session id), who was let in, who was sent out (by
    #: identity id and by display name, casefolded)
    waiting: dict[str, Waiting] = field(default_factory=dict)
    let_in: set[str] = field(default_factory=set)
    removed_ids: set[str] = field(default_factory=set)
    removed_names: set[str] = field(default_factory=set)
    waiting_changed: bool = False

    @property
    def id(self) -> str:
        return self.workshop.id

    def group_numbers(self) -> dict[int, int]:
        """Breakout group number by room instance number."""
        if self.breakout is None:
            return {}
        return {g.instance: g.number for g in self.breakout.groups}

    def instance_keys(self) -> list[InstanceKey]:
        """The room instances the workshop holds: its home and its breakout rooms."""
        room = self.home.room_id
        return [(room, self.home.number)] + [(room, n) for n in self.group_numbers()]

    def state(
        self,
        instance: RoomInstance,
        you_lead: bool,
        leaders: Sequence[str],
        present: Mapping[int, int] | None = None,
    ) -> dict[str, Any]:
        """The ``workshop`` field of ``workshop_state`` for someone in ``instance``;
        ``present``: how many are in each breakout group's room now (by instance number)."""
        ws = self.workshop
        counts = sorted(self.reactions.items(), key=lambda item: (-item[1], item[0]))
        return {
            "id": ws.id,
            "title": ws.title,
            "room": ws.room,
            "ends_at": ws.ends_at,
            "admission": ws.admission,
            "leaders": list(leaders),
            "you_lead": you_lead,
            "agenda": [item.as_dict() for item in ws.agenda],
            "item": self.item,
            "item_started": self.item_started,
            "timer_ends": self.timer_ends,
            "follow": self.tour.leader if self.tour is not None else None,
            "spotlight": list(self.spotlight),
            "reactions": [{"emoji": emoji, "count": count} for emoji, count in counts],
            "breakout": self.breakout.as_dict(present or {}) if self.breakout is not None else None,
            "group": self.group_numbers().get(instance.number, -1),
        }

    def sent_out(self, by_id: Mapping[str, Session]) -> int:
        """How many of a breakout's people are still away from the home room (the places
        kept for them there)."""
        if self.breakout is None:
            return 0
        away = 0
        for group in self.breakout.groups:
            for member in group.members:
                session = by_id.get(member)
                if session is not None and session.instance is not self.home:
                    away += 1
        return away


# --- kept across a restart or a takeover ----------------------------------------------------


def document(
    live: LiveWorkshop,
    hands: Mapping[int, Sequence[str]],
    admitted: Sequence[str],
    identity_of: Mapping[str, str],
) -> dict[str, Any]:
    """What is kept of a running workshop (JSON-ready): its room instance, agenda position,
    countdown, spotlight, reaction counts, breakout groups and their timer, the raised
    hands of its rooms (by room instance number), who passed its access rule, and the
    identity of every session named (a restarted process knows the people by identity).
    A tour is not kept: it needs its people walking."""
    breakout = live.breakout
    named = set(live.spotlight) | {s for queue in hands.values() for s in queue}
    if breakout is not None:
        named |= {m for g in breakout.groups for m in g.members}
    return {
        "room": live.home.room_id,
        "home": live.home.number,
        "started_at": live.started_at,
        "item": live.item,
        "item_started": live.item_started,
        "timer_ends": live.timer_ends,
        "warned": live.warned,
        "spotlight": list(live.spotlight),
        "reactions": dict(sorted(live.reactions.items())),
        "breakout": None
        if breakout is None
        else {
            "ends_at": breakout.ends_at,
            "groups": [
                {
                    "number": g.number,
                    "instance": g.instance,
                    "members": list(g.members),
                    "team": g.team,
                }
                for g in breakout.groups
            ],
        },
        "hands": {str(number): list(queue) for number, queue in sorted(hands.items()) if queue},
        "admitted": sorted(admitted),
        "let_in": sorted(live.let_in),
        "removed_ids": sorted(live.removed_ids),
        "removed_names": sorted(live.removed_names),
        "people": {s: identity_of[s] for s in sorted(named) if s in identity_of},
    }


@dataclass
class Resumed:
    """A kept workshop read back: its state, the raised hands by room instance number and
    who had passed its access rule."""

    live: LiveWorkshop
    hands: dict[int, list[str]]
    admitted: set[str]


def resume(data: Mapping[str, Any], workshop: Workshop, home: RoomInstance) -> Resumed:
    """A running workshop from its kept document (``document``); ValueError when the
    document is not one."""
    try:
        breakout_data = data.get("breakout")
        breakout = None
        if breakout_data is not None:
            breakout = Breakout(
                [
                    Group(
                        int(g["number"]),
                        int(g["instance"]),
                        [str(m) for m in g["members"]],
                        None if g.get("team") is None else str(g["team"]),
                    )
                    for g in breakout_data["groups"]
                ],
                float(breakout_data["ends_at"]),
            )
        live = LiveWorkshop(
            workshop,
            home,
            started_at=float(data["started_at"]),
            item=int(data["item"]),
            item_started=_number_or_none(data.get("item_started")),
            timer_ends=_number_or_none(data.get("timer_ends")),
            spotlight=[str(s) for s in data.get("spotlight", [])],
            reactions=Counter({str(k): int(v) for k, v in data.get("reactions", {}).items()}),
            breakout=breakout,
            warned=bool(data.get("warned", False)),
            let_in={str(i) for i in data.get("let_in", [])},
            removed_ids={str(i) for i in data.get("removed_ids", [])},
            removed_names={str(n) for n in data.get("removed_names", [])},
        )
        hands = {int(n): [str(s) for s in queue] for n, queue in data.get("hands", {}).items()}
        admitted = {str(i) for i in data.get("admitted", [])}
        people = {str(s): str(i) for s, i in data.get("people", {}).items()}
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ValueError(f"not a kept workshop: {exc}") from exc
    live.item = min(live.item, len(workshop.agenda) - 1)
    live.returning = {identity: session for session, identity in people.items()}
    return Resumed(live, hands, admitted)


def _number_or_none(value: Any) -> float | None:
    return None if value is None else float(value)
