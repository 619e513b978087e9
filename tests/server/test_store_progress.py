"""Learning-station progress in the SQLite store: recording, reading, surviving a reopen,
erasure with the person, the staff export rows."""

from __future__ import annotations

from pathlib import Path

from server.base.identity import Identity, Role
from server.domain.station_progress import ProgressEvent, ProgressRecord
from server.store.sqlite import MIGRATIONS, Store

ADA = Identity("g-ada", "Ada", Role.VISITOR, guest=True)
BOB = Identity("g-bob", "Bob", Role.VISITOR, guest=True)


def record(who: Identity, station: str, event: ProgressEvent, at: float) -> ProgressRecord:
    return ProgressRecord(who.id, who.name, who.guest, station, event, at)


async def test_events_build_up_one_row_per_station(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "hub.sqlite3")
    try:
        await store.remember_identity(ADA, now=1.0)
        await store.record_progress(
            [
                record(ADA, "ghg", ProgressEvent.OPENED, 10.0),
                record(ADA, "ghg", ProgressEvent.QUIZ_FAILED, 11.0),
                record(ADA, "ghg", ProgressEvent.QUIZ_PASSED, 12.0),
                record(ADA, "ghg", ProgressEvent.QUIZ_PASSED, 13.0),
                record(ADA, "ghg", ProgressEvent.OPENED, 14.0),
                record(ADA, "led", ProgressEvent.EXPERIMENT_DONE, 15.0),
                record(ADA, "led", ProgressEvent.EXPERIMENT_DONE, 16.0),
            ]
        )
        rows = {p.station_id: p for p in await store.progress_of(ADA.id)}
        assert rows["ghg"].opened_at == 10.0
        assert rows["ghg"].quiz_attempts == 3
        assert rows["ghg"].quiz_passed_at == 12.0  # the first pass keeps its time
        assert rows["ghg"].experiment_runs == 0 and rows["ghg"].experiment_done_at is None
        assert rows["led"].opened_at == 15.0  # an experiment implies a visit
        assert rows["led"].experiment_runs == 2 and rows["led"].experiment_done_at == 15.0
    finally:
        await store.close()


async def test_progress_survives_closing_and_reopening(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "hub.sqlite3")
    await store.remember_identity(ADA, now=1.0)
    await store.record_progress([record(ADA, "ghg", ProgressEvent.QUIZ_PASSED, 5.0)])
    await store.close()
    store = await Store.open(tmp_path / "hub.sqlite3")
    try:
        assert await store.schema_version() == len(MIGRATIONS)
        [row] = await store.progress_of(ADA.id)
        assert (row.station_id, row.quiz_passed_at, row.quiz_attempts) == ("ghg", 5.0, 1)
    finally:
        await store.close()


async def test_an_identity_unknown_to_the_store_is_remembered(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "hub.sqlite3")
    try:
        await store.record_progress([record(BOB, "ghg", ProgressEvent.OPENED, 3.0)])
        assert await store.identity_exists(BOB.id)
        assert len(await store.progress_of(BOB.id)) == 1
    finally:
        await store.close()


async def test_erasing_a_person_erases_their_progress(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "hub.sqlite3")
    try:
        await store.remember_identity(ADA, now=1.0)
        await store.remember_identity(BOB, now=1.0)
        await store.record_progress(
            [
                record(ADA, "ghg", ProgressEvent.OPENED, 2.0),
                record(BOB, "ghg", ProgressEvent.OPENED, 2.0),
            ]
        )
        await store.delete_identity(ADA.id)
        assert await store.progress_of(ADA.id) == []
        assert len(await store.progress_of(BOB.id)) == 1
    finally:
        await store.close()


async def test_several_people_and_the_export_rows(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "hub.sqlite3")
    try:
        await store.remember_identity(ADA, now=1.0)
        await store.remember_identity(BOB, now=1.0)
        await store.record_progress(
            [
                record(BOB, "ghg", ProgressEvent.OPENED, 2.0),
                record(ADA, "led", ProgressEvent.OPENED, 3.0),
                record(ADA, "ghg", ProgressEvent.QUIZ_PASSED, 4.0),
            ]
        )
        many = await store.progress_of_many([BOB.id, "g-nobody", ADA.id, BOB.id])
        assert set(many) == {ADA.id, BOB.id}
        assert many[ADA.id][0] == "Ada"
        assert [p.station_id for p in many[ADA.id][1]] == ["led", "ghg"]
        assert await store.progress_of_many([]) == {}
        rows = await store.all_progress()
        assert [(r.display_name, r.progress.station_id) for r in rows] == [
            ("Ada", "led"),
            ("Ada", "ghg"),
            ("Bob", "ghg"),
        ]
    finally:
        await store.close()
