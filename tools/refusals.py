"""The ways the staff asset tools refuse, each with its own exit code.

All are ``world.errors.HubError``s: the ``hubtwin`` command prints one line and exits with
the code; a server endpoint turns them into a 4xx answer with the same sentence. Codes 2
(usage) and 3 (input file) come from ``world.errors``; docs/asset-tools.md lists them all.
"""

from __future__ import annotations

from world.errors import HubError


class PlacementRefused(HubError):
    """A place, move or add that would put something where it cannot stand."""

    exit_code = 4

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason  # a short code: outside-room, wall, door, floor, ceiling, ...


class BudgetExceeded(HubError):
    """A model over at least one budget; the message names each, with what to do."""

    exit_code = 5


class ModelInvalid(HubError):
    """A model the Khronos validator (or the hub loader) finds errors in."""

    exit_code = 6


class NothingToDo(HubError):
    """Nothing changed: publishing a draft that equals the published world, and the like."""

    exit_code = 7
