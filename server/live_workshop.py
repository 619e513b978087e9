"""A workshop while it runs in a room: its agenda position, countdown, spotlight, tour,
reaction counts, breakout groups and who is taking part (no I/O).

``LiveWorkshop.state`` is the ``workshop_state`` a participant gets; everything in it is
decided by the server (``server/facilitation.py`` changes it on facilitators' messages and
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

from server.breakouts import Breakout
from server.room import RoomInstance, Session
from server.workshops import Workshop

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
        self, instance: RoomInstance, you_lead: bool, leaders: Sequence[str]
    ) -> dict[str, Any]:
        """The ``workshop`` field of ``workshop_state`` for someone in ``instance``."""
        ws = self.workshop
        counts = sorted(self.reactions.items(), key=lambda item: (-item[1], item[0]))
        return {
            "id": ws.id,
            "title": ws.title,
            "room": ws.room,
            "ends_at": ws.ends_at,
            "leaders": list(leaders),
            "you_lead": you_lead,
            "agenda": [item.as_dict() for item in ws.agenda],
            "item": self.item,
            "item_started": self.item_started,
            "timer_ends": self.timer_ends,
            "follow": self.tour.leader if self.tour is not None else None,
            "spotlight": list(self.spotlight),
            "reactions": [{"emoji": emoji, "count": count} for emoji, count in counts],
            "breakout": self.breakout.as_dict() if self.breakout is not None else None,
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
