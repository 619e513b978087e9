"""Who someone is in the hub: an identity id, a display name and a role."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    """What a person may do. Visitors walk, chat and learn; facilitators lead workshops;
    staff also edit the world and see audit logs."""

    VISITOR = "visitor"
    FACILITATOR = "facilitator"
    STAFF = "staff"

    @property
    def rank(self) -> int:
        return _RANKS[self]

    def at_least(self, other: Role) -> bool:
        return self.rank >= other.rank


_RANKS = {Role.VISITOR: 0, Role.FACILITATOR: 1, Role.STAFF: 2}


@dataclass(frozen=True)
class Identity:
    """A person as the server knows them. Guests keep their id across visits (the browser
    keeps their token); accounts are facilitators and staff who log in."""

    id: str
    name: str
    role: Role
    guest: bool

    def as_dict(self) -> dict[str, str | bool]:
        return {"id": self.id, "name": self.name, "role": self.role.value, "guest": self.guest}
