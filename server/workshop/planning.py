"""Planning workshops and series in the store: who may lead them, the clash check, then
saving (a series with its sessions to come), the same steps for the REST API
(``server/workshop/http.py``) and ``hubtwin workshops`` (``server/app/workshops_command.py``).

What keeps a workshop is a ``Keeper``: the routes' ``WorkshopDesk`` (the store, the book the
realtime side reads, and the live side told) or the command line's ``InStore`` (the store
alone; a running hub reads the changes within half a minute). A clash is refused as
``WorkshopClash`` (a ``WorkshopInvalid`` with the code ``workshop_clash``), which each caller
answers in its own way: HTTP 409, or the command line's one line and exit code.

>>> await plan_workshop(InStore(store), workshop, force=False)              # doctest: +SKIP
>>> planned = await plan_series(desk, series, before, force=False, now=now)  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from server.base.identity import Role
from server.domain.workshops import (
    Person,
    Series,
    SessionChanges,
    Workshop,
    WorkshopInvalid,
    refuse_clash,
    series_changes,
)
from server.store.backend import StoreBackend


class WorkshopClash(WorkshopInvalid):
    """A workshop planned in a room at a time another workshop has it (not forced)."""


class Keeper(Protocol):
    """Where planned workshops are kept."""

    @property
    def store(self) -> StoreBackend: ...

    async def save(self, workshop: Workshop) -> None: ...

    async def remove(self, workshop_id: str) -> None: ...


@dataclass(frozen=True)
class InStore:
    """A keeper that is the store alone (the command line)."""

    store: StoreBackend

    async def save(self, workshop: Workshop) -> None:
        await self.store.save_workshop(workshop)

    async def remove(self, workshop_id: str) -> None:
        await self.store.delete_workshop(workshop_id)


@dataclass(frozen=True)
class SeriesPlanned:
    """What planning (or ending) a series did to its sessions."""

    #: the series' sessions in the store before
    stored: list[Workshop]
    changes: SessionChanges
    now: float

    def to_come(self) -> list[Workshop]:
        """The series' sessions to come as they are now, by start."""
        gone = set(self.changes.remove)
        saved = {w.id: w for w in self.changes.save}
        before = {w.id for w in self.stored}
        after = [saved.get(w.id, w) for w in self.stored if w.id not in gone] + [
            w for w in self.changes.save if w.id not in before
        ]
        return sorted((w for w in after if w.starts_at > self.now), key=lambda w: w.starts_at)


async def leaders(store: StoreBackend) -> dict[str, Person]:
    """Who may lead a workshop: the facilitator and staff accounts as people, by username
    (casefolded)."""
    return {
        str(account["username"]).casefold(): Person(
            str(account["id"]), str(account["display_name"])
        )
        for account in await store.list_accounts()
        if account["role"] in (Role.FACILITATOR.value, Role.STAFF.value)
    }


def refuse_clashes(
    planned: Sequence[Workshop], workshops: Sequence[Workshop], series_id: str | None = None
) -> None:
    """``WorkshopClash`` when one of ``planned`` has its room at a time another of
    ``workshops`` (not of the series ``series_id``) has it."""
    others = [w for w in workshops if series_id is None or w.series_id != series_id]
    try:
        for workshop in planned:
            refuse_clash(workshop, others)
    except WorkshopInvalid as exc:
        raise WorkshopClash(exc.code, exc.message) from None


async def plan_workshop(keeper: Keeper, workshop: Workshop, *, force: bool) -> None:
    """Keep a workshop made or changed, unless (and ``force`` not given) its room is taken
    then."""
    if not force:
        refuse_clashes([workshop], await keeper.store.list_workshops())
    await keeper.save(workshop)


async def plan_series(
    keeper: Keeper, series: Series, before: Series | None, *, force: bool, now: float
) -> SeriesPlanned:
    """Keep a series made (``before`` None) or changed, and make its sessions to come match
    it (``series_changes``: new ones saved, changed ones replaced, ones it no longer has
    removed; a session changed or cancelled on its own stays so; sessions that have begun
    are left as they were). Refused, unless ``force``, when a session it saves has its room
    at a time another workshop has it."""
    workshops = await keeper.store.list_workshops()
    stored = [w for w in workshops if w.series_id == series.id]
    changes = series_changes(before, series, stored, now)
    if not force:
        refuse_clashes(changes.save, workshops, series.id)
    await keeper.store.save_series(series)
    await _carry_out(keeper, changes)
    return SeriesPlanned(stored, changes, now)


async def end_series(keeper: Keeper, series: Series, *, now: float) -> SeriesPlanned:
    """Remove a series and its sessions to come (those that have begun stay)."""
    stored = [w for w in await keeper.store.list_workshops() if w.series_id == series.id]
    changes = series_changes(series, None, stored, now)
    await _carry_out(keeper, changes)
    await keeper.store.delete_series(series.id)
    return SeriesPlanned(stored, changes, now)


async def _carry_out(keeper: Keeper, changes: SessionChanges) -> None:
    for workshop_id in changes.remove:
        await keeper.remove(workshop_id)
    for workshop in changes.save:
        await keeper.save(workshop)
