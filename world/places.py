"""The things a hub is made of, as plain data: rooms, spawn points, anchors, doors.

Positions are numpy (3,) arrays in metres (glTF axes: Y up); yaw is the rotation about +Y
in radians, yaw 0 looking along +Z and yaw pi/2 along +X.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from world.conventions import ANCHOR_KINDS
from world.errors import HubError

Vector = npt.NDArray[np.float64]


class UnknownRoomError(HubError, LookupError):
    """Asked for a room (or anchor) the world does not have."""


def _vec(value: Iterable[float]) -> Vector:
    arr = np.asarray(list(value), dtype=np.float64)
    if arr.shape != (3,):
        raise ValueError(f"expected three coordinates, got {arr.shape}")
    return arr


@dataclass(eq=False)
class Room:
    """A room: an axis-aligned volume with names, a kind, a capacity and links through doors."""

    id: str
    names: dict[str, str]
    kind: str
    capacity: int
    bounds_min: Vector
    bounds_max: Vector
    links: tuple[str, ...] = ()
    moderated: bool = False
    outdoor: bool = False
    floor: str | None = None

    def __post_init__(self) -> None:
        self.bounds_min = _vec(self.bounds_min)
        self.bounds_max = _vec(self.bounds_max)
        self.links = tuple(self.links)

    @property
    def centre(self) -> Vector:
        return (self.bounds_min + self.bounds_max) / 2

    @property
    def floor_level(self) -> float:
        return float(self.bounds_min[1])

    def name(self, language: str = "de") -> str:
        return self.names.get(language) or next(iter(self.names.values()), self.id)


@dataclass(eq=False)
class SpawnPoint:
    """Where someone joining a room appears, and which way they look."""

    id: str
    room_id: str
    position: Vector
    yaw: float = 0.0

    def __post_init__(self) -> None:
        self.position = _vec(self.position)


@dataclass(eq=False)
class Anchor:
    """A named place features attach to: a learning station, a screen, a stage, ..."""

    id: str
    kind: str
    room_id: str
    position: Vector
    yaw: float = 0.0
    size: tuple[float, float] | None = None
    extras: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.position = _vec(self.position)
        if self.kind not in ANCHOR_KINDS:
            raise ValueError(f"anchor {self.id}: kind {self.kind!r} not in {ANCHOR_KINDS}")

    @property
    def facing(self) -> Vector:
        """Unit vector the anchor faces (a screen's front, a station's display)."""
        return np.array([math.sin(self.yaw), 0.0, math.cos(self.yaw)])


@dataclass(eq=False)
class Door:
    """An opening between two rooms, ``width`` metres wide, centred at ``position``."""

    id: str
    room_a: str
    room_b: str
    position: Vector
    width: float

    def __post_init__(self) -> None:
        self.position = _vec(self.position)
