"""Editing a series keeps what was changed on single sessions: a session moved (or
retitled) on its own stays as it is, one cancelled on its own stays cancelled, the rest
follow the series; sessions that have begun are never touched. The rule without I/O
(``series_changes``), the planning steps the REST API and the command line share
(``server/workshop/planning.py``), then ``hubtwin workshops series-edit`` on a real store."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest
from test_workshops_command import hubtwin

from server.domain.workshops import SITE_ZONE, Person, Repeat, Series, series_changes
from server.store.sqlite import Store
from server.workshop.planning import InStore, WorkshopClash, end_series, plan_series

MARA = Person("a-mara", "Mara")


def series(**kw: object) -> Series:
    fields: dict[str, object] = {
        "id": "s1",
        "title": "Austausch",
        "description": "",
        "room": "lounge",
        "first": datetime(2031, 3, 11, 17, 0, tzinfo=SITE_ZONE),
        "minutes": 90,
        "repeat": Repeat.WEEKLY,
        "count": 4,
        "facilitators": (MARA,),
    }
    fields.update(kw)
    return Series(**fields)  # type: ignore[arg-type]


NOW = datetime(2031, 3, 1, tzinfo=SITE_ZONE).timestamp()


def test_a_session_moved_or_cancelled_on_its_own_stays_so() -> None:
    before = series()
    stored = before.sessions(now=NOW)
    first, second, _third, fourth = stored
    moved = replace(second, starts_at=second.starts_at + 3600, ends_at=second.ends_at + 3600)
    kept = [first, moved, fourth]  # the third was cancelled on its own
    after = replace(before, title="Austausch am Abend")
    changes = series_changes(before, after, kept, NOW)
    assert [w.id for w in changes.save] == [first.id, fourth.id]
    assert all(w.title == "Austausch am Abend" for w in changes.save)
    assert changes.remove == [] and changes.kept == [moved]
    # one session fewer: the last goes; a new series makes all of them
    shorter = series_changes(before, replace(before, count=3), kept, NOW)
    assert shorter.remove == [fourth.id] and shorter.save == []
    assert [w.id for w in series_changes(None, before, [], NOW).save] == [w.id for w in stored]
    # removing the series removes every session to come, its own changes too
    assert sorted(series_changes(before, None, kept, NOW).remove) == sorted(w.id for w in kept)


def test_sessions_that_have_begun_are_left_alone() -> None:
    before = series()
    stored = before.sessions(now=NOW)
    later = stored[1].starts_at + 60  # the first two have begun
    changes = series_changes(before, replace(before, title="Neu"), stored, later)
    assert [w.id for w in changes.save] == [w.id for w in stored[2:]]
    assert series_changes(before, None, stored, later).remove == [w.id for w in stored[2:]]


async def test_planning_checks_the_sessions_it_saves_for_clashes(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "hub.sqlite3")
    try:
        keeper = InStore(store)
        before = series()
        planned = await plan_series(keeper, before, None, force=False, now=NOW)
        first, _second, third, _fourth = planned.to_come()
        # the third cancelled on its own, and its time taken by another workshop
        await store.delete_workshop(third.id)
        other = replace(third, id="w-other", title="Energie sparen", series_id=None)
        await store.save_workshop(other)
        # the series edited: the cancelled session is not saved, so it does not clash
        after = replace(before, title="Neu")
        edited = await plan_series(keeper, after, before, force=False, now=NOW)
        assert third.id not in {w.id for w in edited.changes.save}
        assert [w.title for w in edited.to_come()] == ["Neu"] * 3
        # a session it saves onto another workshop is refused, naming it, unless forced
        await store.save_workshop(replace(first, id="w-first", title="Klimabilanz", series_id=None))
        moved = replace(after, title="Neuer")
        with pytest.raises(WorkshopClash, match="'Klimabilanz'"):
            await plan_series(keeper, moved, after, force=False, now=NOW)
        assert (await store.workshop(first.id)).title == "Neu"  # type: ignore[union-attr]
        await plan_series(keeper, moved, after, force=True, now=NOW)
        assert (await store.workshop(first.id)).title == "Neuer"  # type: ignore[union-attr]
        ended = await end_series(keeper, moved, now=NOW)
        assert len(ended.changes.remove) == 3 and await store.list_series() == []
        assert {w.id for w in await store.list_workshops()} == {"w-other", "w-first"}
    finally:
        await store.close()


def test_series_edit_on_the_command_line_keeps_a_moved_session(tmp_path: Path) -> None:
    made = hubtwin(tmp_path, "accounts", "add", "mara", "--name", "Mara", "--role",
                   "facilitator", "--password-stdin", stdin="ein-gutes-passwort\n")  # fmt: skip
    assert made.returncode == 0, made.stderr
    added = hubtwin(tmp_path, "workshops", "series-add", "--title", "Austausch", "--room",
                    "lounge", "--first", "2031-03-11T17:00", "--minutes", "90", "--repeat",
                    "weekly", "--count", "3", "--facilitator", "mara")  # fmt: skip
    assert added.returncode == 0, added.stderr
    series_id = added.stdout.split()[3]
    moved_id = f"{series_id}-20310318"
    moved = hubtwin(tmp_path, "workshops", "edit", moved_id, "--starts", "2031-03-19T18:00")
    assert moved.returncode == 0, moved.stderr
    edited = hubtwin(tmp_path, "workshops", "series-edit", series_id, "--title", "Neu")
    assert edited.returncode == 0, edited.stderr
    assert (
        "2 sessions saved" in edited.stdout and "1 sessions changed on their own" in edited.stdout
    )
    unknown = hubtwin(tmp_path, "workshops", "series-edit", "s-gibt-es-nicht", "--title", "X")
    assert unknown.returncode != 0 and "no series" in unknown.stderr

    async def read() -> dict[str, tuple[str, str]]:
        store = await Store.open(tmp_path / "hub.sqlite3")
        try:
            return {
                w.id: (w.title, w.starts_iso()[:16])
                for w in await store.list_workshops()
                if w.series_id == series_id
            }
        finally:
            await store.close()

    sessions = asyncio.run(read())
    assert sessions[moved_id] == ("Austausch", "2031-03-19T18:00")
    assert sessions[f"{series_id}-20310311"][0] == "Neu"
    assert sessions[f"{series_id}-20310325"][0] == "Neu"
