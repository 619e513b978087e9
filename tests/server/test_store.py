"""The SQLite store: migrations, accounts, chat (a batch kept whole or not at all), export and
erasure, bad files."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from server.base.identity import Identity, Role
from server.base.records import ChatRecord
from server.store.sqlite import MIGRATIONS, Store, StoreError


def chat(n: int, *, room: str = "foyer", to: str | None = None, sender: str = "g-1") -> ChatRecord:
    return ChatRecord(f"m{n}", room, 0, sender, "Ada", f"Hallo {n}", to, 1000.0 + n)


async def test_new_database_is_migrated_and_in_wal_mode(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "hub.sqlite3")
    try:
        assert await store.schema_version() == len(MIGRATIONS)
        assert await store.ping()
    finally:
        await store.close()
    db = sqlite3.connect(tmp_path / "hub.sqlite3")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


async def test_reopening_keeps_data(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "hub.sqlite3")
    await store.add_chat(chat(1))
    await store.close()
    store = await Store.open(tmp_path / "hub.sqlite3")
    try:
        assert [m.text for m in await store.recent_chat("foyer", 0, 10)] == ["Hallo 1"]
    finally:
        await store.close()


async def test_recent_chat_is_oldest_first_and_leaves_out_direct_messages(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "hub.sqlite3")
    try:
        for n in range(5):
            await store.add_chat(chat(n))
        await store.add_chat(chat(9, to="g-2"))
        await store.add_chat(chat(10, room="lab"))
        recent = await store.recent_chat("foyer", 0, 3)
        assert [m.id for m in recent] == ["m2", "m3", "m4"]
    finally:
        await store.close()


async def test_purge_removes_only_old_messages(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "hub.sqlite3")
    try:
        for n in range(4):
            await store.add_chat(chat(n))
        assert await store.purge_chat(older_than=1002.0) == 2
        assert [m.id for m in await store.recent_chat("foyer", 0, 10)] == ["m2", "m3"]
    finally:
        await store.close()


async def test_accounts_log_in_with_the_right_password_only(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "hub.sqlite3")
    try:
        made = await store.create_account("mara", "richtig-langes-pw", Role.FACILITATOR, "Mara")
        assert await store.login("mara", "richtig-langes-pw") == made
        assert await store.login("MARA", "richtig-langes-pw") == made
        assert await store.login("mara", "falsch") is None
        assert await store.login("nobody", "x") is None
        assert await store.account_role(made.id) is Role.FACILITATOR
        with pytest.raises(StoreError, match="exists already"):
            await store.create_account("mara", "another-password", Role.STAFF, "Mara 2")
        assert [a["username"] for a in await store.list_accounts()] == ["mara"]
    finally:
        await store.close()


async def test_export_and_delete_a_person(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "hub.sqlite3")
    try:
        ada = Identity("g-1", "Ada", Role.VISITOR, guest=True)
        await store.remember_identity(ada, now=5.0)
        await store.add_chat(chat(1))
        await store.add_chat(chat(2, to="g-1", sender="g-2"))
        await store.add_chat(chat(3, sender="g-3"))
        exported = await store.export_identity("g-1")
        assert exported["identity"]["display_name"] == "Ada"
        assert {m["id"] for m in exported["chat_messages"]} == {"m1", "m2"}
        await store.delete_identity("g-1")
        assert not await store.identity_exists("g-1")
        gone = await store.export_identity("g-1")
        assert gone == {
            "identity": None,
            "account": None,
            "chat_messages": [],
            "station_progress": [],
            "workshop_attendance": [],
            "workshop_registrations": [],
            "offer_signups": [],
            "profile": None,
            "consulting": {"bookings": [], "notes": []},
            "poll_answers": [],
            "board_notes": [],
            "teams": [],
        }
        assert [m.id for m in await store.recent_chat("foyer", 0, 10)] == ["m3"]
    finally:
        await store.close()


async def test_a_failed_write_leaves_nothing_behind(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "hub.sqlite3")
    try:
        await store.create_account("mara", "richtig-langes-pw", Role.FACILITATOR, "Mara")
        with pytest.raises(StoreError):
            await store.create_account("mara", "richtig-langes-pw", Role.STAFF, "Other")
        exported = await store.list_accounts()
        assert len(exported) == 1
    finally:
        await store.close()


async def test_not_a_database_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "hub.sqlite3"
    path.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(StoreError, match="cannot open the database"):
        await Store.open(path)
    assert path.read_bytes().startswith(b"this is not sqlite")


async def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "hub.sqlite3"
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    db.close()
    with pytest.raises(StoreError, match="newer than this program"):
        await Store.open(path)


async def test_a_batch_of_chat_is_kept_whole_or_not_at_all(tmp_path: Path) -> None:
    path = tmp_path / "hub.sqlite3"
    store = await Store.open(path)
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute(
            "CREATE TRIGGER refuse_m3 BEFORE INSERT ON chat_messages WHEN NEW.id = 'm3'"
            " BEGIN SELECT RAISE(ABORT, 'refused'); END"
        )
        with pytest.raises(sqlite3.IntegrityError):
            await store.add_chats([chat(1), chat(2), chat(3), chat(4)])
        assert await store.recent_chat("foyer", 0, -1) == []
        await store.add_chats([chat(1), chat(2), chat(4)])
        assert [m.id for m in await store.recent_chat("foyer", 0, -1)] == ["m1", "m2", "m4"]
    finally:
        other.close()
        await store.close()
