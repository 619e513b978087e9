"""What the SQLite store and the Redis store share beyond the ``StoreBackend`` protocol: the
identity a new account gets, a stored row made back into its record, and how an erased person
is taken out of the kept live documents that hold people."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from server.base.identity import Identity, Role
from server.base.live_state import POLLS
from server.domain.action_plans import LIVE_KIND as TEAM_KIND
from server.domain.action_plans import without_person as without_team_member
from server.domain.board import LIVE_KIND as BOARD_KIND
from server.domain.board import without_person
from server.domain.consulting import SLOTS_KIND as CONSULTING_SLOTS_KIND
from server.domain.consulting import without_bookings_of
from server.domain.polls import without_answers_of

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

R = TypeVar("R", bound="DataclassInstance")


def new_account_identity(display_name: str, role: Role) -> Identity:
    """The identity a new account gets: an id of its own (``a-`` and 32 hex digits), never
    a guest."""
    return Identity(f"a-{uuid.uuid4().hex}", display_name, role, guest=False)


class Row(Protocol):
    """A stored row read by column name (``sqlite3.Row``, a dict)."""

    def __getitem__(self, key: str, /) -> Any: ...


def from_row(record: type[R], row: Row) -> R:
    """The ``record`` (a dataclass) a stored row holds, each field under its own name (the
    row's other columns are left out)."""
    return record(**{field.name: row[field.name] for field in dataclasses.fields(record)})


KeptChange = tuple[dict[str, Any], list[str]]
"""What erasing a person does to the kept documents of one kind: the documents that change
(key -> the document after) and the keys of those that go."""


def _poll_answers_out(documents: dict[str, Any], identity_id: str) -> KeptChange:
    changed = {}
    for key, data in documents.items():
        stripped = without_answers_of(data, identity_id)
        if stripped is not None:
            changed[key] = stripped
    return changed, []


def _team_member_out(documents: dict[str, Any], identity_id: str) -> KeptChange:
    changed, gone = {}, []
    for key, data in documents.items():
        after = without_team_member(data, identity_id)
        if after is None:
            gone.append(key)
        elif after is not data:
            changed[key] = after
    return changed, gone


PERSON_OUT_OF_DOCUMENTS: dict[str, Callable[[dict[str, Any], str], KeptChange]] = {
    POLLS: _poll_answers_out,
    BOARD_KIND: lambda documents, identity_id: (without_person(documents, identity_id), []),
    TEAM_KIND: _team_member_out,
    CONSULTING_SLOTS_KIND: lambda documents, identity_id: (
        without_bookings_of(documents, identity_id),
        [],
    ),
}
"""Each kind of kept live document that holds people, and how a person is taken out of
its documents when they are erased (both stores)."""
