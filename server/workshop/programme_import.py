"""Importing the site's programme into the hub's store, once per entry.

``hubtwin serve`` runs it when the hub starts and ``hubtwin workshops programme`` on
demand. An entry is imported when its facilitators' accounts exist and its time is not
over; it then becomes a workshop (or a series and its sessions to come) with an id made
from the site and the entry's key, and the store keeps that it was imported (live
documents of kind ``programme``), so a later start, another process or an edit in the hub
never brings it back or overwrites it. An entry that waits (an account is missing, the
room is taken then) is tried again at the next start.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from server.base.live_state import LiveStateChange
from server.domain.workshops import (
    Workshop,
    clash_of,
    clash_time,
)
from server.store.backend import StoreBackend
from server.workshop.planning import leaders
from server.workshop.programme import IMPORTED_KIND, Programme, ProgrammeEntry


@dataclass
class ImportReport:
    """What an import did with each entry."""

    #: imported now: the entry and the workshops it made
    imported: list[tuple[ProgrammeEntry, list[Workshop]]] = field(default_factory=list)
    #: imported before (the hub's copy stands, edited or not)
    kept: list[ProgrammeEntry] = field(default_factory=list)
    #: waiting for these facilitator accounts
    waiting: list[tuple[ProgrammeEntry, list[str]]] = field(default_factory=list)
    #: waiting because the room is taken then (by the workshop named)
    clashing: list[tuple[ProgrammeEntry, str]] = field(default_factory=list)
    #: its time is over: nothing to import
    over: list[ProgrammeEntry] = field(default_factory=list)

    def lines(self) -> list[str]:
        """One line per entry that did not simply stay as it was."""
        out = []
        for entry, made in self.imported:
            what = "" if entry.kind == "workshop" else f" ({len(made)} sessions to come)"
            out.append(f"{entry.where}: imported the {entry.kind} {entry.key!r}{what}")
        for entry, missing in self.waiting:
            names = ", ".join(repr(name) for name in missing)
            out.append(
                f"{entry.where}: {entry.kind} {entry.key!r} waits for the facilitator "
                f"account {names} (hubtwin accounts add {missing[0]} --role facilitator "
                '--name "…")'
            )
        for entry, clash in self.clashing:
            out.append(
                f"{entry.where}: {entry.kind} {entry.key!r} waits: the room is taken then by "
                f"{clash} (move one of them, or force = true)"
            )
        for entry in self.over:
            out.append(f"{entry.where}: {entry.kind} {entry.key!r} is over: not imported")
        return out

    def summary(self) -> str:
        return (
            f"programme: {len(self.imported)} imported, {len(self.kept)} imported before, "
            f"{len(self.waiting) + len(self.clashing)} waiting, {len(self.over)} over"
        )


async def import_programme(
    store: StoreBackend,
    programme: Programme,
    site_id: str,
    *,
    now: float,
) -> ImportReport:
    """Import every entry not imported before; what happened to each."""
    report = ImportReport()
    if not programme.entries:
        return report
    imported = await store.live_states(IMPORTED_KIND)
    people_leading = await leaders(store)
    planned = await store.list_workshops(now)
    for entry in programme.entries:
        if entry.key in imported:
            report.kept.append(entry)
            continue
        missing = [name for name in entry.usernames if name.casefold() not in people_leading]
        if missing:
            report.waiting.append((entry, missing))
            continue
        people = [people_leading[name.casefold()] for name in entry.usernames]
        series, made = entry.make(programme.refs, people, entry.record_id(site_id), now=now)
        to_come = [w for w in made if w.ends_at > now]
        if not to_come:
            report.over.append(entry)
            continue
        clash = None if entry.force else _first_clash(to_come, planned)
        if clash is not None:
            report.clashing.append((entry, clash))
            continue
        if series is not None:
            await store.save_series(series)
        for workshop in to_come:
            await store.save_workshop(workshop)
        await store.save_live_states(
            [
                LiveStateChange(
                    IMPORTED_KIND,
                    entry.key,
                    {"kind": entry.kind, "id": entry.record_id(site_id), "at": now},
                )
            ]
        )
        planned.extend(to_come)
        report.imported.append((entry, to_come))
    return report


def _first_clash(workshops: list[Workshop], planned: list[Workshop]) -> str | None:
    for workshop in workshops:
        other = clash_of(workshop, [w for w in planned if w.id != workshop.id])
        if other is not None:
            return f"{other.title!r} ({clash_time(other)})"
    return None
