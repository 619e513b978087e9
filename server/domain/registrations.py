"""Registration for a planned workshop with a seat limit (no I/O): who registered, in which
order, and what that order means.

A workshop with ``seats`` takes registrations. The store keeps them in the order they came
(one atomic step each, so two people registering at the same moment are put one after the
other, never both on the last seat). Nobody's status is stored: the first ``seats``
registrations hold a seat, the rest wait in that order. So when someone cancels, the first
one waiting moves up without anything being rewritten, and a workshop given more seats
lets the waiting in.

>>> people = [Registration("w1", f"p{i}", f"P{i}", False, float(i)) for i in range(3)]
>>> [(s.registration.identity_id, s.status, s.position) for s in seat_states(people, 2)]
[('p0', 'registered', 0), ('p1', 'registered', 0), ('p2', 'waitlist', 1)]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Final
from zoneinfo import ZoneInfo

from server.base.csv_export import csv_text, formula_safe, local_time

REGISTERED: Final = "registered"
WAITLIST: Final = "waitlist"


@dataclass(frozen=True)
class Registration:
    """One person's registration for one workshop (``at``: when, Unix seconds)."""

    workshop_id: str
    identity_id: str
    display_name: str
    guest: bool
    at: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class SeatState:
    """A registration and what it holds: a seat, or a place on the waiting list
    (``position`` 1 is next; 0 for a seat)."""

    registration: Registration
    status: str
    position: int

    def as_dict(self) -> dict[str, Any]:
        return {**self.registration.as_dict(), "status": self.status, "position": self.position}


def seat_states(registrations: Sequence[Registration], seats: int) -> list[SeatState]:
    """Every registration, in order, with its seat or waiting place."""
    return [
        SeatState(r, REGISTERED, 0) if index < seats else SeatState(r, WAITLIST, index - seats + 1)
        for index, r in enumerate(registrations)
    ]


def state_of(
    registrations: Sequence[Registration], seats: int, identity_id: str
) -> SeatState | None:
    """One person's registration and what it holds, if they registered."""
    return next(
        (s for s in seat_states(registrations, seats) if s.registration.identity_id == identity_id),
        None,
    )


def taken(registrations: Sequence[Registration], seats: int) -> dict[str, int]:
    """The figures anyone may see: seats, how many are taken, how many wait."""
    held = min(len(registrations), seats)
    return {"seats": seats, "taken": held, "waiting": len(registrations) - held}


REGISTRATION_COLUMNS: Final = (
    "Nr / No",
    "Kennung / Key",
    "Name",
    "Gast / Guest",
    "Stand / Status",
    "Warteplatz / Waiting place",
)


def registrations_csv(
    registrations: Sequence[Registration],
    seats: int,
    *,
    key: Callable[[str], str],
    zone: ZoneInfo,
) -> str:
    """The list a facilitator exports: one line per person in order (``key``: the person
    key of the attendance export), the time zone named in the header."""
    return csv_text(
        (*REGISTRATION_COLUMNS, f"Angemeldet ({zone.key}) / Registered ({zone.key})"),
        (
            (
                number,
                key(state.registration.identity_id),
                formula_safe(state.registration.display_name),
                "ja / yes" if state.registration.guest else "nein / no",
                "Platz / seat" if state.status == REGISTERED else "Warteliste / waiting list",
                state.position or "",
                local_time(state.registration.at, zone),
            )
            for number, state in enumerate(seat_states(registrations, seats), start=1)
        ),
    )
