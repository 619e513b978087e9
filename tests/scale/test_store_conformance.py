"""One store suite, two backends: SQLite (``Store``) and Redis (``RedisStore``, against a
real redis-server) must answer every method alike. The Redis half is marked ``scale``.

Also: ``RedisStore`` and the ``StoreBackend`` protocol have every public coroutine of
``Store`` with the same parameters, so a method added to ``Store`` cannot be forgotten; a
random sequence of operations gives identical answers from both; Redis-only matters
(layout version, an unreachable Redis, the backend factory)."""

from __future__ import annotations

import asyncio
import inspect
import random
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio
from redis_process import free_port

from server.base.identity import Identity, Role
from server.base.live_state import POLLS, REMOVALS, SCREENS, WORKSHOP, LiveStateChange
from server.base.records import ChatRecord
from server.base.settings import Settings
from server.domain.action_plans import Team
from server.domain.board import MAIN, Author, WorkshopBoards
from server.domain.polls import WorkshopPolls
from server.domain.station_progress import ExportRow, ProgressEvent, ProgressRecord, StationProgress
from server.domain.workshop_records import AttendanceEvent
from server.store.backend import StoreBackend
from server.store.factory import open_store
from server.store.redis import LIVE_CHANGE_TRIES, SCHEMA_VERSION, RedisStore, StoreUnavailable
from server.store.sqlite import MIGRATIONS, AccountDisabled, Store, StoreError

SITE = "conformance"
ADA = Identity("g-ada", "Ada", Role.VISITOR, guest=True)
BOB = Identity("g-bob", "Bob", Role.VISITOR, guest=True)
PASSWORD = "richtig-langes-pw"

BACKENDS = ["sqlite", pytest.param("redis", marks=pytest.mark.scale)]


async def open_backend(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    if kind == "sqlite":
        return await Store.open(tmp_path / "hub.sqlite3")
    return await RedisStore.connect(request.getfixturevalue("redis_url"), site=SITE)


@pytest.fixture(params=BACKENDS)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[StoreBackend]:
    opened = await open_backend(request.param, request, tmp_path)
    try:
        yield opened
    finally:
        await opened.close()


def chat(
    n: int,
    *,
    room: str = "foyer",
    instance: int = 0,
    to: str | None = None,
    sender: str = ADA.id,
    ts: float | None = None,
) -> ChatRecord:
    return ChatRecord(
        f"m{n}", room, instance, sender, "Ada", f"Hallo {n} ✓", to, 1000.0 + n if ts is None else ts
    )


def event(who: Identity, station: str, kind: ProgressEvent, at: float) -> ProgressRecord:
    return ProgressRecord(who.id, who.name, who.guest, station, kind, at)


# --- the interface ----------------------------------------------------------------------


def public_coroutines(cls: type) -> dict[str, inspect.Signature]:
    return {
        name: inspect.signature(member)
        for name, member in inspect.getmembers(cls)
        if not name.startswith("_") and inspect.iscoroutinefunction(member)
    }


def test_redis_store_and_protocol_have_every_public_coroutine_of_store() -> None:
    sqlite = public_coroutines(Store)
    redis = public_coroutines(RedisStore)
    protocol = public_coroutines(StoreBackend)
    # the constructors differ by nature: a file path here, a Redis URL there
    assert "open" in sqlite and "connect" in redis
    del sqlite["open"], redis["connect"]
    assert sorted(redis) == sorted(sqlite), "RedisStore must have exactly Store's coroutines"
    assert sorted(protocol) == sorted(sqlite), "StoreBackend must list every Store coroutine"
    for name, signature in sqlite.items():
        expected = [(p.name, p.kind, p.default) for p in signature.parameters.values()]
        for other in (redis[name], protocol[name]):
            assert [(p.name, p.kind, p.default) for p in other.parameters.values()] == expected


# --- lifecycle --------------------------------------------------------------------------


async def test_ping_and_schema_version(store: StoreBackend) -> None:
    assert await store.ping() is True
    expected = len(MIGRATIONS) if isinstance(store, Store) else SCHEMA_VERSION
    assert await store.schema_version() == expected


# --- identities and accounts ------------------------------------------------------------


async def test_remember_identity_inserts_then_updates_name_and_last_seen(
    store: StoreBackend,
) -> None:
    assert not await store.identity_exists(ADA.id)
    await store.remember_identity(ADA, now=5.0)
    assert await store.identity_exists(ADA.id)
    await store.remember_identity(Identity(ADA.id, "Ada L.", Role.STAFF, guest=False), now=9.5)
    exported = await store.export_identity(ADA.id)
    assert exported["identity"] == {
        "id": ADA.id,
        "display_name": "Ada L.",
        "guest": 1,  # kept from the first time
        "created_at": 5.0,
        "last_seen_at": 9.5,
    }
    assert not await store.identity_exists("g-nobody")


async def test_accounts_log_in_case_insensitively_for_ascii_only(store: StoreBackend) -> None:
    mara = await store.create_account("Mara", PASSWORD, Role.FACILITATOR, "Mara M.")
    assert mara.id.startswith("a-") and not mara.guest and mara.name == "Mara M."
    assert await store.login("mara", PASSWORD) == mara
    assert await store.login("MARA", PASSWORD) == mara
    assert await store.login("mara", "falsches-passwort") is None
    assert await store.login("nobody", PASSWORD) is None
    umlaut = await store.create_account("Ärger", PASSWORD, Role.STAFF, "Ä")
    assert await store.login("Ärger", PASSWORD) == umlaut
    assert await store.login("ärger", PASSWORD) is None  # NOCASE folds A-Z only
    assert await store.account_role(mara.id) is Role.FACILITATOR
    assert await store.account_role(umlaut.id) is Role.STAFF
    assert await store.account_role("g-nobody") is None
    await store.remember_identity(ADA, now=1.0)
    assert await store.account_role(ADA.id) is None


async def test_a_taken_username_is_refused_whatever_its_case(store: StoreBackend) -> None:
    await store.create_account("mara", PASSWORD, Role.FACILITATOR, "Mara")
    with pytest.raises(StoreError, match="exists already"):
        await store.create_account("MaRa", PASSWORD, Role.STAFF, "Other")
    assert [a["display_name"] for a in await store.list_accounts()] == ["Mara"]


async def test_concurrent_account_creation_lets_exactly_one_in(store: StoreBackend) -> None:
    results = await asyncio.gather(
        *(store.create_account("kim", PASSWORD, Role.STAFF, f"Kim {n}") for n in range(5)),
        return_exceptions=True,
    )
    made = [r for r in results if isinstance(r, Identity)]
    refused = [r for r in results if isinstance(r, StoreError)]
    assert len(made) == 1 and len(refused) == 4
    assert await store.login("kim", PASSWORD) == made[0]


async def test_list_accounts_fields_and_order(store: StoreBackend) -> None:
    made = {
        name: await store.create_account(name, PASSWORD, role, name.title())
        for name, role in (
            ("bob", Role.VISITOR),
            ("Alice", Role.STAFF),
            ("carl", Role.FACILITATOR),
            ("Zoë", Role.VISITOR),
        )
    }
    rows = await store.list_accounts()
    assert [r["username"] for r in rows] == ["Alice", "bob", "carl", "Zoë"]
    alice = rows[0]
    assert set(alice) == {
        "username",
        "role",
        "display_name",
        "id",
        "created_at",
        "disabled",
        "advisor",
    }
    assert alice["disabled"] is False and alice["advisor"] is False
    assert (alice["role"], alice["display_name"], alice["id"]) == (
        "staff",
        "Alice",
        made["Alice"].id,
    )
    assert isinstance(alice["created_at"], float)


async def test_a_disabled_account_cannot_log_in_until_enabled(store: StoreBackend) -> None:
    mara = await store.create_account("Mara", PASSWORD, Role.STAFF, "Mara M.")
    assert await store.account_identity(mara.id) == mara
    assert await store.set_account_disabled("MARA", True) == mara.id
    with pytest.raises(AccountDisabled):
        await store.login("mara", PASSWORD)
    assert await store.login("mara", "falsches-passwort") is None
    assert await store.account_identity(mara.id) is None
    assert [r["disabled"] for r in await store.list_accounts()] == [True]
    assert await store.set_account_disabled("mara", False) == mara.id
    assert await store.login("mara", PASSWORD) == mara
    assert await store.account_identity(mara.id) == mara
    assert await store.set_account_disabled("nobody", True) is None
    assert await store.account_identity(ADA.id) is None


async def test_an_account_is_marked_as_advisor_and_unmarked(store: StoreBackend) -> None:
    mara = await store.create_account("Mara", PASSWORD, Role.FACILITATOR, "Mara", advisor=True)
    kim = await store.create_account("kim", PASSWORD, Role.STAFF, "Kim")
    assert [(r["username"], r["advisor"]) for r in await store.list_accounts()] == [
        ("kim", False),
        ("Mara", True),
    ]
    assert await store.set_account_advisor("KIM", True) == kim.id
    assert await store.set_account_advisor("mara", False) == mara.id
    assert [(r["username"], r["advisor"]) for r in await store.list_accounts()] == [
        ("kim", True),
        ("Mara", False),
    ]
    assert (await store.export_identity(kim.id))["account"]["advisor"] is True
    assert (await store.export_identity(mara.id))["account"]["advisor"] is False
    assert await store.set_account_advisor("nobody", True) is None


async def test_a_new_password_replaces_the_old(store: StoreBackend) -> None:
    mara = await store.create_account("mara", PASSWORD, Role.FACILITATOR, "Mara")
    assert await store.set_password("Mara", "ein-ganz-neues-pw") == mara.id
    assert await store.login("mara", PASSWORD) is None
    assert await store.login("mara", "ein-ganz-neues-pw") == mara
    assert await store.set_password("nobody", "ein-ganz-neues-pw") is None


async def test_removing_an_account_erases_its_person(store: StoreBackend) -> None:
    mara = await store.create_account("mara", PASSWORD, Role.STAFF, "Mara")
    await store.add_chat(chat(1, sender=mara.id))
    await store.record_progress([event(mara, "ghg", ProgressEvent.OPENED, 2.0)])
    assert await store.remove_account("MARA") == mara.id
    assert not await store.identity_exists(mara.id)
    assert await store.list_accounts() == []
    assert await store.login("mara", PASSWORD) is None
    assert await store.export_identity(mara.id) == {
        "identity": None,
        "account": None,
        "chat_messages": [],
        "station_progress": [],
        "workshop_attendance": [],
        "workshop_registrations": [],
        "offer_signups": [],
        "profile": None,
        "poll_answers": [],
        "board_notes": [],
        "teams": [],
        "consulting": {"bookings": [], "notes": []},
    }
    assert await store.remove_account("mara") is None


async def test_token_generations_count_up_and_outlive_an_erasure(store: StoreBackend) -> None:
    assert await store.token_generations() == {}
    await store.remember_identity(ADA, now=1.0)
    assert await store.revoke_tokens(ADA.id, at=2.0) == 1
    assert await store.revoke_tokens(ADA.id, at=3.0) == 2
    assert await store.revoke_tokens(BOB.id, at=3.0) == 1
    await store.delete_identity(ADA.id)
    assert await store.token_generations() == {ADA.id: 2, BOB.id: 1}


async def test_late_events_of_an_erased_person_do_not_bring_them_back(
    store: StoreBackend,
) -> None:
    await store.remember_identity(ADA, now=1.0)
    await store.remember_identity(BOB, now=1.0)
    await store.revoke_tokens(ADA.id, at=2.0)
    await store.revoke_tokens(BOB.id, at=2.0)  # Bob only signed out everywhere
    await store.delete_identity(ADA.id)
    late = [AttendanceEvent("w-1", who.id, who.name, True, False, 3.0) for who in (ADA, BOB)]
    await store.record_attendance(late)
    await store.record_progress(
        [event(who, "ghg", ProgressEvent.OPENED, 3.0) for who in (ADA, BOB)]
    )
    assert not await store.identity_exists(ADA.id)
    assert await store.progress_of(ADA.id) == []
    assert [e.identity_id for e in await store.attendance_of("w-1")] == [BOB.id]
    assert [p.station_id for p in await store.progress_of(BOB.id)] == ["ghg"]


# --- chat -------------------------------------------------------------------------------


async def test_recent_chat_is_oldest_first_without_direct_or_other_rooms(
    store: StoreBackend,
) -> None:
    for n in range(5):
        await store.add_chat(chat(n))
    await store.add_chat(chat(9, to=BOB.id))
    await store.add_chat(chat(10, room="lab"))
    await store.add_chat(chat(11, instance=1))
    recent = await store.recent_chat("foyer", 0, 3)
    assert [m.id for m in recent] == ["m2", "m3", "m4"]
    assert recent[-1] == chat(4)
    assert [m.id for m in await store.recent_chat("foyer", 1, 10)] == ["m11"]
    assert [m.id for m in await store.recent_chat("lab", 0, 10)] == ["m10"]
    assert await store.recent_chat("foyer", 0, 0) == []
    assert [m.id for m in await store.recent_chat("foyer", 0, -1)] == [f"m{n}" for n in range(5)]
    assert await store.recent_chat("attic", 0, 10) == []


async def test_equal_times_keep_the_order_messages_came_in(store: StoreBackend) -> None:
    for n in (3, 1, 2, 0):
        await store.add_chat(chat(n, ts=500.0))
    assert [m.id for m in await store.recent_chat("foyer", 0, 10)] == ["m3", "m1", "m2", "m0"]
    assert [m.id for m in await store.recent_chat("foyer", 0, 2)] == ["m2", "m0"]
    exported = (await store.export_identity(ADA.id))["chat_messages"]
    assert [m["id"] for m in exported] == ["m3", "m1", "m2", "m0"]


async def test_a_repeated_message_id_is_ignored(store: StoreBackend) -> None:
    await store.add_chat(chat(1))
    await store.add_chat(ChatRecord("m1", "lab", 2, BOB.id, "Bob", "anders", None, 7.0))
    assert await store.recent_chat("foyer", 0, 10) == [chat(1)]
    assert await store.recent_chat("lab", 2, 10) == []


async def test_a_batch_of_messages_is_kept_in_its_order(store: StoreBackend) -> None:
    await store.add_chat(chat(2))
    await store.add_chats([])
    await store.add_chats(
        [chat(1, ts=500.0), chat(2), chat(3, ts=500.0), chat(4, to=BOB.id), chat(5, room="lab")]
    )
    assert [m.id for m in await store.recent_chat("foyer", 0, 10)] == ["m1", "m3", "m2"]
    assert await store.recent_chat("lab", 0, 10) == [chat(5, room="lab")]
    exported = (await store.export_identity(BOB.id))["chat_messages"]
    assert [m["id"] for m in exported] == ["m4"]


async def test_purge_removes_only_messages_older_than_the_limit(store: StoreBackend) -> None:
    for n in range(4):
        await store.add_chat(chat(n))
    await store.add_chat(chat(7, to=BOB.id, ts=1000.5))
    assert await store.purge_chat(older_than=1002.0) == 3  # m0, m1 and the direct one
    assert await store.purge_chat(older_than=1002.0) == 0
    assert [m.id for m in await store.recent_chat("foyer", 0, 10)] == ["m2", "m3"]
    assert (await store.export_identity(BOB.id))["chat_messages"] == []


async def test_purge_works_through_more_than_one_batch(store: StoreBackend) -> None:
    for n in range(1203):
        await store.add_chat(chat(n, ts=float(n)))
    assert await store.purge_chat(older_than=1200.0) == 1200
    assert [m.id for m in await store.recent_chat("foyer", 0, 10)] == ["m1200", "m1201", "m1202"]


# --- export and erasure -----------------------------------------------------------------


async def test_export_has_everything_about_a_person_and_nothing_else(store: StoreBackend) -> None:
    await store.remember_identity(ADA, now=5.0)
    await store.remember_identity(BOB, now=6.0)
    await store.add_chat(chat(1))
    await store.add_chat(chat(2, to=ADA.id, sender=BOB.id))
    await store.add_chat(chat(3, sender=BOB.id))
    await store.record_progress([event(ADA, "ghg", ProgressEvent.QUIZ_PASSED, 7.0)])
    assert await store.export_identity(ADA.id) == {
        "identity": {
            "id": ADA.id,
            "display_name": "Ada",
            "guest": 1,
            "created_at": 5.0,
            "last_seen_at": 5.0,
        },
        "account": None,
        "chat_messages": [
            {
                "id": "m1",
                "room": "foyer",
                "instance": 0,
                "sender_id": ADA.id,
                "sender_name": "Ada",
                "text": "Hallo 1 ✓",
                "to_id": None,
                "ts": 1001.0,
            },
            {
                "id": "m2",
                "room": "foyer",
                "instance": 0,
                "sender_id": BOB.id,
                "sender_name": "Ada",
                "text": "Hallo 2 ✓",
                "to_id": ADA.id,
                "ts": 1002.0,
            },
        ],
        "station_progress": [
            {
                "identity_id": ADA.id,
                "station_id": "ghg",
                "opened_at": 7.0,
                "quiz_attempts": 1,
                "quiz_passed_at": 7.0,
                "experiment_runs": 0,
                "experiment_done_at": None,
                "updated_at": 7.0,
            }
        ],
        "workshop_attendance": [],
        "workshop_registrations": [],
        "offer_signups": [],
        "profile": None,
        "poll_answers": [],
        "board_notes": [],
        "teams": [],
        "consulting": {"bookings": [], "notes": []},
    }


async def test_export_of_an_account(store: StoreBackend) -> None:
    mara = await store.create_account("Mara", PASSWORD, Role.STAFF, "Mara")
    exported = await store.export_identity(mara.id)
    assert exported["identity"]["guest"] == 0
    assert exported["account"]["username"] == "Mara"
    assert exported["account"]["role"] == "staff"
    assert exported["account"]["created_at"] == exported["identity"]["created_at"]
    assert "password_hash" not in exported["account"]


async def test_erasure_takes_identity_account_chat_and_progress(store: StoreBackend) -> None:
    mara = await store.create_account("mara", PASSWORD, Role.FACILITATOR, "Mara")
    await store.remember_identity(BOB, now=1.0)
    await store.add_chat(chat(1, sender=mara.id))
    await store.add_chat(chat(2, to=mara.id, sender=BOB.id))
    await store.add_chat(chat(3, sender=BOB.id))
    await store.add_chat(chat(4, sender=BOB.id, to=BOB.id))
    await store.record_progress(
        [
            event(mara, "ghg", ProgressEvent.OPENED, 2.0),
            event(BOB, "ghg", ProgressEvent.OPENED, 2.0),
        ]
    )
    await store.delete_identity(mara.id)
    assert not await store.identity_exists(mara.id)
    assert await store.export_identity(mara.id) == {
        "identity": None,
        "account": None,
        "chat_messages": [],
        "station_progress": [],
        "workshop_attendance": [],
        "workshop_registrations": [],
        "offer_signups": [],
        "profile": None,
        "poll_answers": [],
        "board_notes": [],
        "teams": [],
        "consulting": {"bookings": [], "notes": []},
    }
    assert await store.login("mara", PASSWORD) is None
    assert await store.list_accounts() == []
    assert await store.account_role(mara.id) is None
    assert [m.id for m in await store.recent_chat("foyer", 0, 10)] == ["m3"]
    assert [m["id"] for m in (await store.export_identity(BOB.id))["chat_messages"]] == [
        "m3",
        "m4",
    ]
    assert await store.progress_of(mara.id) == []
    assert [r.identity_id for r in await store.all_progress()] == [BOB.id]
    assert await store.purge_chat(older_than=10_000.0) == 2
    again = await store.create_account("mara", PASSWORD, Role.STAFF, "Mara 2")
    assert await store.login("MARA", PASSWORD) == again
    await store.delete_identity("g-never-seen")


async def test_redis_erasure_runs_when_the_server_has_forgotten_its_scripts(
    redis_url: str,
) -> None:
    """Erasure runs its two scripts in one transaction; after a Redis restart (or SCRIPT
    FLUSH) the scripts are loaded again first, so nothing is half-erased."""
    store = await RedisStore.connect(redis_url, site=SITE)
    other = redis.asyncio.from_url(redis_url)
    try:
        await store.remember_identity(BOB, now=1.0)
        await store.add_chat(chat(1, sender=BOB.id))
        await store.record_progress([event(BOB, "ghg", ProgressEvent.OPENED, 2.0)])
        await other.script_flush()
        await store.delete_identity(BOB.id)
        exported = await store.export_identity(BOB.id)
        assert exported["identity"] is None and exported["chat_messages"] == []
        assert exported["station_progress"] == []
    finally:
        await other.aclose()
        await store.close()


# --- learning-station progress ----------------------------------------------------------


async def test_events_build_up_one_row_per_station(store: StoreBackend) -> None:
    await store.remember_identity(ADA, now=1.0)
    await store.record_progress(
        [
            event(ADA, "ghg", ProgressEvent.OPENED, 10.0),
            event(ADA, "ghg", ProgressEvent.QUIZ_FAILED, 11.0),
            event(ADA, "ghg", ProgressEvent.QUIZ_PASSED, 12.0),
            event(ADA, "ghg", ProgressEvent.QUIZ_PASSED, 13.0),
            event(ADA, "ghg", ProgressEvent.OPENED, 14.0),
            event(ADA, "led", ProgressEvent.EXPERIMENT_DONE, 15.0),
            event(ADA, "led", ProgressEvent.EXPERIMENT_DONE, 16.0),
        ]
    )
    await store.record_progress([])
    assert await store.progress_of(ADA.id) == [
        StationProgress("ghg", 10.0, 3, 12.0, 0, None),
        StationProgress("led", 15.0, 0, None, 2, 15.0),
    ]
    [_, led] = (await store.export_identity(ADA.id))["station_progress"]
    assert led["updated_at"] == 16.0


async def test_progress_of_someone_unknown_remembers_them(store: StoreBackend) -> None:
    await store.record_progress([event(BOB, "ghg", ProgressEvent.OPENED, 3.0)])
    assert await store.identity_exists(BOB.id)
    person = (await store.export_identity(BOB.id))["identity"]
    assert (person["display_name"], person["guest"], person["created_at"]) == ("Bob", 1, 3.0)


async def test_progress_of_many_and_the_export_rows(store: StoreBackend) -> None:
    await store.remember_identity(ADA, now=1.0)
    await store.remember_identity(BOB, now=1.0)
    await store.remember_identity(Identity("g-cleo", "Cleo", Role.VISITOR, True), now=1.0)
    await store.record_progress(
        [
            event(BOB, "ghg", ProgressEvent.OPENED, 2.0),
            event(ADA, "led", ProgressEvent.OPENED, 3.0),
            event(ADA, "ghg", ProgressEvent.QUIZ_PASSED, 4.0),
            event(ADA, "heat", ProgressEvent.OPENED, 4.0),
        ]
    )
    many = await store.progress_of_many([BOB.id, "g-nobody", ADA.id, BOB.id, "g-cleo"])
    assert set(many) == {ADA.id, BOB.id, "g-cleo"}
    assert many["g-cleo"] == ("Cleo", [])
    assert many[ADA.id][0] == "Ada"
    assert [p.station_id for p in many[ADA.id][1]] == ["led", "ghg", "heat"]
    assert await store.progress_of_many([]) == {}
    rows = await store.all_progress()
    assert [(r.display_name, r.progress.station_id) for r in rows] == [
        ("Ada", "led"),
        ("Ada", "ghg"),
        ("Ada", "heat"),
        ("Bob", "ghg"),
    ]
    assert rows[0] == ExportRow(ADA.id, "Ada", StationProgress("led", 3.0))


async def test_the_export_orders_by_name_then_identity(store: StoreBackend) -> None:
    twins = [Identity(f"g-{n}", "Sam", Role.VISITOR, True) for n in ("b", "a")]
    people = [*twins, Identity("g-z", "Anna", Role.VISITOR, True)]
    await store.record_progress([event(p, "ghg", ProgressEvent.OPENED, 1.0) for p in people])
    rows = await store.all_progress()
    assert [r.identity_id for r in rows] == ["g-z", "g-a", "g-b"]


# --- mutes and room settings ------------------------------------------------------------


async def test_mutes_in_force_are_kept_and_ended_ones_do_not_come_back(
    store: StoreBackend,
) -> None:
    await store.set_mute(ADA.id, 1100.0, "a-mara", at=1000.0)
    await store.set_mute(BOB.id, None, "a-mara", at=1000.0)
    assert await store.active_mutes(1000.0) == {ADA.id: 1100.0, BOB.id: None}
    assert await store.active_mutes(1100.0) == {BOB.id: None}
    # a new mute replaces the old one; one that has ended is dropped when the next is set
    await store.set_mute(BOB.id, 1050.5, "a-sven", at=1001.0)
    assert await store.active_mutes(1001.0) == {ADA.id: 1100.0, BOB.id: 1050.5}
    await store.set_mute("g-cem", None, "a-sven", at=1200.0)
    assert await store.active_mutes(0.0) == {"g-cem": None}
    assert await store.lift_mute("g-cem") is True
    assert await store.lift_mute("g-cem") is False
    assert await store.active_mutes(0.0) == {}


async def test_room_settings_are_kept_per_room_and_forgotten_when_usual(
    store: StoreBackend,
) -> None:
    assert await store.room_settings() == {}
    locked = {"locked": True, "chat": "everyone", "reactions": "facilitators", "screens": None}
    await store.save_room_settings("werkstatt", {**locked, "invited": ["g-ada"]})
    await store.save_room_settings("labor", {**locked, "locked": False, "chat": "facilitators"})
    await store.save_room_settings("werkstatt", {**locked, "invited": ["g-ada", "g-bob"]})
    assert await store.room_settings() == {
        "labor": {**locked, "locked": False, "chat": "facilitators"},
        "werkstatt": {**locked, "invited": ["g-ada", "g-bob"]},
    }
    await store.save_room_settings("labor", None)
    await store.save_room_settings("gibt-es-nicht", None)
    assert list(await store.room_settings()) == ["werkstatt"]


async def test_live_documents_are_kept_by_kind_and_key_and_forgotten(
    store: StoreBackend,
) -> None:
    assert await store.live_states(WORKSHOP) == {}
    running = {"room": "werkstatt", "item": 2, "hands": {"0": ["s-1", "s-2"]}, "name": "Jörg"}
    await store.save_live_states(
        [
            LiveStateChange(WORKSHOP, "w-1", running),
            LiveStateChange(SCREENS, "werkstatt", {"screens": []}),
            LiveStateChange(WORKSHOP, "w-2", {"room": "labor"}),
        ]
    )
    await store.save_live_states(
        [
            LiveStateChange(WORKSHOP, "w-1", {**running, "item": 3}),
            LiveStateChange(WORKSHOP, "w-2", None),
            LiveStateChange(WORKSHOP, "gibt-es-nicht", None),
        ]
    )
    await store.save_live_states([])
    assert await store.live_states(WORKSHOP) == {"w-1": {**running, "item": 3}}
    assert await store.live_states(SCREENS) == {"werkstatt": {"screens": []}}
    assert await store.live_states(REMOVALS) == {}


async def test_one_live_document_is_changed_atomically_and_a_refused_change_writes_nothing(
    store: StoreBackend,
) -> None:
    seen: list[dict[str, Any] | None] = []

    def count(data: dict[str, Any] | None) -> dict[str, Any] | None:
        seen.append(data)
        return {"n": 1, "name": "Jörg"} if data is None else {**data, "n": data["n"] + 1}

    assert await store.change_live_state(WORKSHOP, "w-1", count) == {"n": 1, "name": "Jörg"}
    assert await store.change_live_state(WORKSHOP, "w-1", count) == {"n": 2, "name": "Jörg"}
    assert seen == [None, {"n": 1, "name": "Jörg"}]
    await store.save_live_states([LiveStateChange(WORKSHOP, "w-2", {"n": 40})])

    def refuse(data: dict[str, Any] | None) -> dict[str, Any] | None:
        raise ValueError("nein")

    with pytest.raises(ValueError, match="nein"):
        await store.change_live_state(WORKSHOP, "w-1", refuse)
    assert await store.change_live_state(WORKSHOP, "w-2", lambda data: data) == {"n": 40}
    assert await store.live_states(WORKSHOP) == {"w-1": {"n": 2, "name": "Jörg"}, "w-2": {"n": 40}}
    assert await store.change_live_state(WORKSHOP, "w-2", lambda data: None) is None
    assert await store.change_live_state(WORKSHOP, "gibt-es-nicht", lambda data: None) is None
    assert await store.live_states(WORKSHOP) == {"w-1": {"n": 2, "name": "Jörg"}}
    assert await store.live_states(SCREENS) == {}


async def test_concurrent_changes_to_one_live_document_are_all_kept(
    store: StoreBackend, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """Two stores on one database (two processes' views: a second connection to the SQLite
    file, a second client of Redis) add to one document at once, and writes of other keys of
    the same kind come between: no change is lost."""
    other = await open_backend("sqlite" if isinstance(store, Store) else "redis", request, tmp_path)
    try:

        def add(n: int) -> Any:
            def change(data: dict[str, Any] | None) -> dict[str, Any]:
                return {"added": [*(data or {"added": []})["added"], n]}

            return change

        async def adds(through: StoreBackend, numbers: range) -> None:
            for n in numbers:
                await through.change_live_state(POLLS, "w-1", add(n))
                if n % 5 == 0:
                    await through.save_live_states([LiveStateChange(POLLS, f"w-{n}-x", {})])

        await asyncio.gather(
            *(adds(store if k % 2 else other, range(k * 20, k * 20 + 20)) for k in range(6))
        )
        kept = (await store.live_states(POLLS))["w-1"]["added"]
        assert sorted(kept) == list(range(120))
    finally:
        await other.close()


@pytest.mark.scale
async def test_a_change_that_loses_every_try_is_refused_and_writes_nothing(
    redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Redis only: the document changes between every read and write (another process
    keeps changing it); after ``LIVE_CHANGE_TRIES`` tries the change is refused."""
    store = await RedisStore.connect(redis_url, site=SITE)
    other = await RedisStore.connect(redis_url, site=SITE)
    tries = 0
    try:
        await store.save_live_states([LiveStateChange(POLLS, "w-1", {"n": 0})])
        meddling: list[asyncio.Task[None]] = []

        def change(data: dict[str, Any] | None) -> dict[str, Any]:
            nonlocal tries
            tries += 1
            assert data is not None
            # someone else's write lands before this one: the next await runs it
            meddling.append(
                asyncio.ensure_future(
                    other.save_live_states([LiveStateChange(POLLS, "w-1", {"n": -tries})])
                )
            )
            return {"n": data["n"] + 100}

        real_script = store._change_live_state

        async def after_the_others(*args: Any, **kwargs: Any) -> Any:
            await meddling[-1]
            return await real_script(*args, **kwargs)

        monkeypatch.setattr(store, "_change_live_state", after_the_others)
        with pytest.raises(StoreError, match="kept changing"):
            await store.change_live_state(POLLS, "w-1", change)
        assert tries == LIVE_CHANGE_TRIES
        assert (await other.live_states(POLLS))["w-1"] == {"n": -LIVE_CHANGE_TRIES}
    finally:
        await store.close()
        await other.close()


# --- both backends, one random history ----------------------------------------------------


async def run_history(store: StoreBackend, seed: int) -> list[Any]:
    """Random operations from a fixed seed; everything the store answers, with account
    ids (random by design) replaced by their order of creation."""
    rng = random.Random(seed)
    people = [Identity(f"g-{n}", f"Person {n}", Role.VISITOR, True) for n in range(6)]
    stations = ["ghg", "led", "heat", "water"]
    rooms = [("foyer", 0), ("foyer", 1), ("lab", 0)]
    answers: list[Any] = []
    accounts: dict[str, str] = {}
    clock = 100.0
    for step in range(300):
        clock += rng.choice([0.0, 0.5, 1.0])
        who = rng.choice(people)
        op = rng.randrange(13)
        if op == 0:
            await store.remember_identity(who, now=clock)
        elif op in (1, 2):
            room, instance = rng.choice(rooms)
            to = rng.choice([None, None, rng.choice(people).id])
            await store.add_chat(
                ChatRecord(f"c{step}", room, instance, who.id, who.name, f"t{step}", to, clock)
            )
        elif op == 3:
            room, instance = rng.choice(rooms)
            answers.append(await store.recent_chat(room, instance, rng.choice([1, 3, 50])))
        elif op == 4:
            batch = [
                event(
                    rng.choice(people), rng.choice(stations), rng.choice(list(ProgressEvent)), clock
                )
                for _ in range(rng.randrange(1, 4))
            ]
            await store.record_progress(batch)
        elif op == 5:
            exported = await store.export_identity(who.id)
            # SQLite orders a person's messages of the same instant by its query plan
            # (sent before received), not by arrival; compare them as a set
            exported["chat_messages"].sort(key=lambda m: (m["ts"], m["id"]))
            answers.append(exported)
        elif op == 6:
            answers.append(await store.progress_of_many([p.id for p in rng.sample(people, 3)]))
        elif op == 7 and rng.random() < 0.3:
            await store.delete_identity(who.id)
            answers.append(await store.identity_exists(who.id))
        elif op == 8:
            answers.append(await store.purge_chat(clock - 40.0))
        elif op == 9 and len(accounts) < 2 and rng.random() < 0.2:
            name = rng.choice(["Mara", "mara", "Kim"])
            try:
                made = await store.create_account(name, PASSWORD, Role.FACILITATOR, name)
            except StoreError:
                answers.append(("refused", name))
            else:
                accounts[made.id] = f"account-{len(accounts)}"
                answers.append(("made", name))
        elif op == 10:
            if rng.random() < 0.3:
                answers.append(await store.lift_mute(who.id))
            else:
                until = rng.choice([None, clock + 1.0, clock + 7.5])
                await store.set_mute(who.id, until, "a-mod", clock)
            answers.append(await store.active_mutes(clock))
        elif op == 11:
            room = rng.choice(["foyer", "lab"])
            settings = rng.choice(
                [None, {"locked": True, "chat": "facilitators", "invited": [who.id]}]
            )
            await store.save_room_settings(room, settings)
            answers.append(await store.room_settings())
        elif op == 12:
            answers.append(await store.revoke_tokens(who.id, clock))
            answers.append(await store.token_generations())
        answers.append(await store.progress_of(who.id))
    answers.append(await store.all_progress())
    answers.append(
        [{**a, "id": accounts[a["id"]], "created_at": 0} for a in await store.list_accounts()]
    )
    return answers


@pytest.mark.scale
@pytest.mark.parametrize("seed", [1, 2])
async def test_a_random_history_gets_identical_answers(
    request: pytest.FixtureRequest, tmp_path: Path, seed: int
) -> None:
    sqlite = await open_backend("sqlite", request, tmp_path)
    redis = await open_backend("redis", request, tmp_path)
    try:
        expected = await run_history(sqlite, seed)
        got = await run_history(redis, seed)
    finally:
        await sqlite.close()
        await redis.close()
    assert len(got) == len(expected)
    for index, (a, b) in enumerate(zip(got, expected, strict=True)):
        assert a == b, f"answer {index} differs"


# --- Redis only ---------------------------------------------------------------------------


@pytest.mark.scale
async def test_a_newer_layout_is_refused(redis_url: str) -> None:
    store = await RedisStore.connect(redis_url, site=SITE)
    key = "hubtwin:conformance:store:schema"
    await store._redis.set(key, SCHEMA_VERSION + 1)
    await store.close()
    with pytest.raises(StoreError, match="newer than this program"):
        await RedisStore.connect(redis_url, site=SITE)
    store = await RedisStore.connect(redis_url, site="another-site")
    assert await store.schema_version() == SCHEMA_VERSION
    await store._redis.set(key, "banana")
    await store.close()
    with pytest.raises(StoreError, match="not a version"):
        await RedisStore.connect(redis_url, site=SITE)


@pytest.mark.scale
async def test_sites_sharing_a_redis_do_not_see_each_other(redis_url: str) -> None:
    one = await RedisStore.connect(redis_url, site="one")
    two = await RedisStore.connect(redis_url, site="two")
    try:
        await one.remember_identity(ADA, now=1.0)
        await one.create_account("mara", PASSWORD, Role.STAFF, "Mara")
        assert not await two.identity_exists(ADA.id)
        assert await two.list_accounts() == []
        await two.create_account("mara", PASSWORD, Role.STAFF, "Mara Zwei")
    finally:
        await one.close()
        await two.close()


async def test_an_unreachable_redis_is_one_clear_error() -> None:
    url = f"redis://:geheim@127.0.0.1:{free_port()}/0"
    with pytest.raises(StoreUnavailable, match="Redis is not answering") as refused:
        await RedisStore.connect(url, site=SITE)
    assert "geheim" not in str(refused.value) and ":***@" in str(refused.value)
    with pytest.raises(StoreError, match="not a Redis URL"):
        await RedisStore.connect("http://example.org/", site=SITE)


@pytest.mark.scale
async def test_a_store_whose_redis_stops_says_so(private_redis: Any) -> None:
    server = private_redis()
    store = await RedisStore.connect(server.url, site=SITE)
    try:
        await store.remember_identity(ADA, now=1.0)
        server.stop()
        assert await store.ping() is False
        with pytest.raises(StoreUnavailable):
            await store.identity_exists(ADA.id)
        server.start()
        assert await store.ping() is True
        assert not await store.identity_exists(ADA.id)  # this test server keeps nothing
    finally:
        await store.close()


@pytest.mark.scale
async def test_the_factory_picks_the_backend_from_the_settings(
    redis_url: str, tmp_path: Path
) -> None:
    sqlite = await open_store(Settings(data_dir=tmp_path))
    redis = await open_store(Settings(data_dir=tmp_path, redis_url=redis_url))
    try:
        assert type(sqlite) is Store and (tmp_path / "hub.sqlite3").exists()
        assert type(redis) is RedisStore
        await redis.remember_identity(ADA, now=1.0)
        again = await open_store(Settings(data_dir=tmp_path, redis_url=redis_url))
        assert await again.identity_exists(ADA.id)
        assert not await sqlite.identity_exists(ADA.id)
        await again.close()
    finally:
        await sqlite.close()
        await redis.close()


async def test_poll_answers_are_exported_and_erased_with_the_person(store: StoreBackend) -> None:
    polls = WorkshopPolls("w1")
    open_one = polls.open("Womit anfangen?", "single", ["LED", "PV"], False, "Mara", 1.0)
    open_one.answer(BOB.id, "Bob", [1], 2.0)
    open_one.answer("id-ann", "Ann", [0], 3.0)
    await store.remember_identity(BOB, now=1.0)
    await store.save_live_states([LiveStateChange(POLLS, "w1", polls.document())])
    assert (await store.export_identity(BOB.id))["poll_answers"] == [
        {
            "workshop_id": "w1",
            "poll_id": open_one.id,
            "question": "Womit anfangen?",
            "answer": ["PV"],
            "at": 2.0,
        }
    ]
    await store.delete_identity(BOB.id)
    kept = (await store.live_states(POLLS))["w1"]
    assert list(kept["polls"][0]["answers"]) == ["id-ann"]
    assert (await store.export_identity(BOB.id))["poll_answers"] == []
    assert (await store.export_identity("id-ann"))["poll_answers"][0]["answer"] == ["LED"]
    # the polls go with their workshop
    await store.delete_workshop("w1")
    assert "w1" not in await store.live_states(POLLS)


async def test_board_notes_are_exported_and_erased_with_the_person(store: StoreBackend) -> None:
    boards = WorkshopBoards("w1", "Klimabilanz")
    bobs = boards.add(MAIN, Author(BOB.id, "Bob"), 1, "Jobticket", now=2.0)
    anns = boards.add(0, Author("id-ann", "Ann"), 0, "Ökostrom", now=3.0)
    boards.vote(0, Author(BOB.id, "Bob"), anns.id, True, now=4.0)
    await store.remember_identity(BOB, now=1.0)
    await store.save_live_states([LiveStateChange("board", "w1", boards.document())])
    assert (await store.export_identity(BOB.id))["board_notes"] == [
        {"workshop": "w1", "group": MAIN, "column": "Maßnahmen", "text": "Jobticket",
         "wrote": True, "dot": False, "created": 2.0},
        {"workshop": "w1", "group": 0, "column": "Ideen", "text": None,
         "wrote": False, "dot": True, "created": None},
    ]  # fmt: skip
    await store.delete_identity(BOB.id)
    kept = WorkshopBoards.from_document((await store.live_states("board"))["w1"])
    assert kept.notes(MAIN) == [] and [n.id for n in kept.notes(0)] == [anns.id]
    assert kept.find(0, anns.id).voters == [] and bobs.id != anns.id
    assert (await store.export_identity(BOB.id))["board_notes"] == []
    assert (await store.export_identity("id-ann"))["board_notes"][0]["text"] == "Ökostrom"


async def test_removing_an_account_takes_its_person_out_of_boards_and_teams(
    store: StoreBackend,
) -> None:
    mara = await store.create_account("mara", PASSWORD, Role.STAFF, "Mara")
    boards = WorkshopBoards("w1", "Klimabilanz")
    boards.add(MAIN, Author(mara.id, "Mara"), 1, "Jobticket", now=2.0)
    alone = Team.new("t1", "Nur Mara", firm="", by=(mara.id, "Mara"), now=3.0)
    await store.save_live_states(
        [
            LiveStateChange("board", "w1", boards.document()),
            LiveStateChange("team", "t1", alone.as_document()),
        ]
    )
    assert await store.remove_account("mara") == mara.id
    kept = WorkshopBoards.from_document((await store.live_states("board"))["w1"])
    assert kept.notes(MAIN) == []
    assert await store.live_states("team") == {}


async def test_teams_are_exported_and_a_person_erased_leaves_them(store: StoreBackend) -> None:
    shared = Team.new("t1", "Grünes Team", firm="Müller GmbH", by=(BOB.id, "Bob"), now=1.0)
    shared.add_member("id-ann", "Ann", now=2.0)
    owned = shared.add_measure({"title": "LED", "owner": BOB.id}, by=BOB.id, now=3.0)
    other = shared.add_measure({"title": "Jobrad", "owner": "id-ann"}, by="id-ann", now=4.0)
    alone = Team.new("t2", "Nur Bob", firm="", by=(BOB.id, "Bob"), now=5.0)
    await store.remember_identity(BOB, now=1.0)
    await store.save_live_states(
        [
            LiveStateChange("team", "t1", shared.as_document()),
            LiveStateChange("team", "t2", alone.as_document()),
        ]
    )
    exported = (await store.export_identity(BOB.id))["teams"]
    assert [(t["team"], t["name"], t["firm"], t["role"]) for t in exported] == [
        ("t1", "Grünes Team", "Müller GmbH", "lead"),
        ("t2", "Nur Bob", "", "lead"),
    ]
    assert [m["title"] for m in exported[0]["measures_owned"]] == ["LED"]
    assert exported[0]["measures_last_changed"] == [owned.id]
    await store.delete_identity(BOB.id)
    kept = await store.live_states("team")
    assert list(kept) == ["t1"]  # the team Bob was alone in went with him
    left = Team.from_document(kept["t1"])
    assert list(left.members) == ["id-ann"] and left.members["id-ann"].role == "lead"
    assert left.measure(owned.id).owner is None and left.measure(other.id).owner == "id-ann"
    assert (await store.export_identity(BOB.id))["teams"] == []
    assert [t["team"] for t in (await store.export_identity("id-ann"))["teams"]] == ["t1"]
