"""Persistence: everything the hub keeps across restarts, in SQLite by default.

``Store`` is the one interface the rest of the server uses. Its methods are coroutines; the
SQLite implementation runs every statement on one dedicated thread, so the event loop never
blocks on disk and writes are serialised. The database is in WAL mode, every write is one
transaction, and the schema is versioned with ``PRAGMA user_version`` and applied by
``MIGRATIONS`` in order.

>>> store = await Store.open(Path("var/hub.sqlite3"))   # doctest: +SKIP
>>> await store.add_chat(record)                        # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol, TypeVar

from server.base.identity import Identity, Role
from server.base.live_state import POLLS, LiveStateChange
from server.base.passwords import check_password, hash_password
from server.base.records import ChatRecord
from server.domain.action_plans import LIVE_KIND as TEAM_KIND
from server.domain.action_plans import teams_of
from server.domain.board import LIVE_KIND as BOARD_KIND
from server.domain.board import notes_by
from server.domain.consulting import PERSON_KIND as CONSULTING_KIND
from server.domain.consulting import SLOTS_KIND as CONSULTING_SLOTS_KIND
from server.domain.consulting import consulting_export
from server.domain.offers import OfferSignup
from server.domain.polls import answers_of
from server.domain.registrations import Registration
from server.domain.station_progress import ExportRow, ProgressEvent, ProgressRecord, StationProgress
from server.domain.workshop_records import AttendanceEvent, AuditEntry, Ban
from server.domain.workshops import Series, Workshop
from server.store.backend import AccountDisabled, StoreError
from server.store.common import PERSON_OUT_OF_DOCUMENTS, from_row, new_account_identity

T = TypeVar("T")

MIGRATIONS: tuple[str, ...] = (
    # 1: identities, accounts, chat
    """
    CREATE TABLE identities (
        id TEXT PRIMARY KEY,
        display_name TEXT NOT NULL,
        guest INTEGER NOT NULL,
        created_at REAL NOT NULL,
        last_seen_at REAL NOT NULL
    );
    CREATE TABLE accounts (
        username TEXT PRIMARY KEY COLLATE NOCASE,
        identity_id TEXT NOT NULL UNIQUE REFERENCES identities(id) ON DELETE CASCADE,
        password_hash TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('visitor', 'facilitator', 'staff')),
        created_at REAL NOT NULL
    );
    CREATE TABLE chat_messages (
        id TEXT PRIMARY KEY,
        room TEXT NOT NULL,
        instance INTEGER NOT NULL,
        sender_id TEXT NOT NULL,
        sender_name TEXT NOT NULL,
        text TEXT NOT NULL,
        to_id TEXT,
        ts REAL NOT NULL
    );
    CREATE INDEX chat_by_room ON chat_messages (room, instance, ts);
    CREATE INDEX chat_by_sender ON chat_messages (sender_id);
    CREATE INDEX chat_by_recipient ON chat_messages (to_id);
    """,
    # 2: learning-station progress (erased with the identity)
    """
    CREATE TABLE station_progress (
        identity_id TEXT NOT NULL REFERENCES identities(id) ON DELETE CASCADE,
        station_id TEXT NOT NULL,
        opened_at REAL NOT NULL,
        quiz_attempts INTEGER NOT NULL DEFAULT 0,
        quiz_passed_at REAL,
        experiment_runs INTEGER NOT NULL DEFAULT 0,
        experiment_done_at REAL,
        updated_at REAL NOT NULL,
        PRIMARY KEY (identity_id, station_id)
    );
    CREATE INDEX station_progress_by_station ON station_progress (station_id);
    """,
    # 3: workshops and series, attendance (erased with the identity), bans, the audit log
    """
    CREATE TABLE workshops (
        id TEXT PRIMARY KEY,
        starts_at REAL NOT NULL,
        ends_at REAL NOT NULL,
        series_id TEXT,
        data TEXT NOT NULL
    );
    CREATE INDEX workshops_by_end ON workshops (ends_at);
    CREATE TABLE workshop_series (
        id TEXT PRIMARY KEY,
        data TEXT NOT NULL
    );
    CREATE TABLE workshop_attendance (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        workshop_id TEXT NOT NULL,
        identity_id TEXT NOT NULL REFERENCES identities(id) ON DELETE CASCADE,
        display_name TEXT NOT NULL,
        joined INTEGER NOT NULL,
        at REAL NOT NULL
    );
    CREATE INDEX attendance_by_workshop ON workshop_attendance (workshop_id, at);
    CREATE INDEX attendance_by_identity ON workshop_attendance (identity_id);
    CREATE TABLE bans (
        id TEXT PRIMARY KEY,
        identity_id TEXT NOT NULL,
        display_name TEXT NOT NULL,
        by_id TEXT NOT NULL,
        by_name TEXT NOT NULL,
        reason TEXT NOT NULL,
        created_at REAL NOT NULL,
        expires_at REAL
    );
    CREATE INDEX bans_by_identity ON bans (identity_id);
    CREATE TABLE audit_log (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        at REAL NOT NULL,
        actor_id TEXT NOT NULL,
        actor_name TEXT NOT NULL,
        action TEXT NOT NULL,
        target_id TEXT,
        target_name TEXT,
        room TEXT,
        detail TEXT NOT NULL
    );
    CREATE INDEX audit_by_time ON audit_log (at);
    """,
    # 4: chat mutes (one per identity; ended ones go) and what each room allows (one row
    # per room whose settings are not the usual ones)
    """
    CREATE TABLE mutes (
        identity_id TEXT PRIMARY KEY,
        until REAL,
        by_id TEXT NOT NULL,
        at REAL NOT NULL
    );
    CREATE INDEX mutes_by_end ON mutes (until);
    CREATE TABLE room_settings (
        room TEXT PRIMARY KEY,
        data TEXT NOT NULL
    );
    """,
    # 5: each identity's token generation (a token of an older one is revoked; the row
    # outlives an erasure so the erased person's tokens stay revoked) and disabled accounts
    """
    CREATE TABLE token_generations (
        identity_id TEXT PRIMARY KEY,
        generation INTEGER NOT NULL,
        changed_at REAL NOT NULL
    );
    ALTER TABLE accounts ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0;
    """,
    # 6: what runs now and must outlive a restart or a takeover (a running workshop, a
    # room's screens, removals, the world's undo history): one JSON document per kind and key
    """
    CREATE TABLE live_state (
        kind TEXT NOT NULL,
        key TEXT NOT NULL,
        data TEXT NOT NULL,
        PRIMARY KEY (kind, key)
    );
    """,
    # 7: registrations for workshops with a seat limit, in the order they came (the order
    # says who holds a seat: server/domain/registrations.py)
    """
    CREATE TABLE workshop_registrations (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        workshop_id TEXT NOT NULL,
        identity_id TEXT NOT NULL REFERENCES identities(id) ON DELETE CASCADE,
        display_name TEXT NOT NULL,
        at REAL NOT NULL,
        UNIQUE (workshop_id, identity_id)
    );
    CREATE INDEX registrations_by_identity ON workshop_registrations (identity_id);
    """,
    # 8: sign-ups for the hub's offers (server/domain/offers.py): what the person entered, kept
    # only with their consent, in the order they came
    """
    CREATE TABLE offer_signups (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        offer_id TEXT NOT NULL,
        identity_id TEXT NOT NULL REFERENCES identities(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        contact TEXT NOT NULL,
        at REAL NOT NULL,
        UNIQUE (offer_id, identity_id)
    );
    CREATE INDEX offer_signups_by_identity ON offer_signups (identity_id);
    """,
    # 9: the opt-in profiles of people to meet (server/domain/profiles.py), one JSON per person
    """
    CREATE TABLE profiles (
        identity_id TEXT PRIMARY KEY REFERENCES identities(id) ON DELETE CASCADE,
        data TEXT NOT NULL,
        updated_at REAL NOT NULL
    );
    """,
    # 10: advisors (docs/consulting.md): an account marked as one sits consulting hours; the
    # facilitators and staff of before all could, and stay marked
    """
    ALTER TABLE accounts ADD COLUMN advisor INTEGER NOT NULL DEFAULT 0;
    UPDATE accounts SET advisor = 1 WHERE role IN ('facilitator', 'staff');
    """,
)


class Store:
    """The hub's persistent state in one SQLite file."""

    def __init__(self, connection: sqlite3.Connection, executor: ThreadPoolExecutor) -> None:
        self._db = connection
        self._executor = executor

    # --- lifecycle -----------------------------------------------------------------------

    @classmethod
    async def open(cls, path: Path) -> Store:
        """Open (creating and migrating as needed) the database at ``path``."""
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="store")
        loop = asyncio.get_running_loop()
        connection = await loop.run_in_executor(executor, cls._connect, path)
        return cls(connection, executor)

    @staticmethod
    def _connect(path: Path) -> sqlite3.Connection:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("PRAGMA foreign_keys=ON")
            db.execute("PRAGMA busy_timeout=5000")
            migrate(db)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{path}: cannot open the database: {exc}") from None
        db.row_factory = sqlite3.Row
        return db

    async def close(self) -> None:
        await self._run(self._db.close)
        self._executor.shutdown(wait=True)

    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, fn, *args)

    def _write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``fn`` inside one transaction (on the store thread)."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            result = fn(self._db)
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")
        return result

    async def ping(self) -> bool:
        """True when the database answers."""
        row = await self._run(lambda: self._db.execute("SELECT 1").fetchone())
        return bool(row and row[0] == 1)

    async def schema_version(self) -> int:
        return int(await self._run(lambda: self._db.execute("PRAGMA user_version").fetchone()[0]))

    # --- identities and accounts ---------------------------------------------------------

    async def remember_identity(self, identity: Identity, now: float | None = None) -> None:
        """Record that an identity was seen (insert, or update name and last-seen time)."""
        at = time.time() if now is None else now

        def write(db: sqlite3.Connection) -> None:
            db.execute(
                "INSERT INTO identities (id, display_name, guest, created_at, last_seen_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET"
                " display_name = excluded.display_name, last_seen_at = excluded.last_seen_at",
                (identity.id, identity.name, int(identity.guest), at, at),
            )

        await self._run(self._write, write)

    async def identity_exists(self, identity_id: str) -> bool:
        row = await self._run(
            lambda: self._db.execute(
                "SELECT 1 FROM identities WHERE id = ?", (identity_id,)
            ).fetchone()
        )
        return row is not None

    async def create_account(
        self, username: str, password: str, role: Role, display_name: str, advisor: bool = False
    ) -> Identity:
        """A new facilitator/staff (or visitor) account that logs in with a password;
        ``advisor``: marked as one who sits consulting hours."""
        hashed = await self._run(hash_password, password)
        identity = new_account_identity(display_name, role)
        now = time.time()

        def write(db: sqlite3.Connection) -> None:
            if db.execute("SELECT 1 FROM accounts WHERE username = ?", (username,)).fetchone():
                raise StoreError(f"an account named {username!r} exists already")
            db.execute(
                "INSERT INTO identities VALUES (?, ?, 0, ?, ?)",
                (identity.id, display_name, now, now),
            )
            db.execute(
                "INSERT INTO accounts"
                " (username, identity_id, password_hash, role, created_at, advisor)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (username, identity.id, hashed, role.value, now, int(advisor)),
            )

        await self._run(self._write, write)
        return identity

    async def login(self, username: str, password: str) -> Identity | None:
        """The account's identity when the password is right, else None."""
        row = await self._run(
            lambda: self._db.execute(
                "SELECT a.password_hash, a.role, a.disabled, i.id, i.display_name FROM accounts a"
                " JOIN identities i ON i.id = a.identity_id WHERE a.username = ?",
                (username,),
            ).fetchone()
        )
        if row is None:
            await self._run(check_password, password, hash_password("timing-equaliser"))
            return None
        if not await self._run(check_password, password, row["password_hash"]):
            return None
        if row["disabled"]:
            raise AccountDisabled(f"the account {username!r} is disabled")
        return Identity(row["id"], row["display_name"], Role(row["role"]), guest=False)

    async def list_accounts(self) -> list[dict[str, Any]]:
        rows = await self._run(
            lambda: self._db.execute(
                "SELECT a.username, a.role, i.display_name, i.id, a.created_at, a.disabled,"
                " a.advisor FROM accounts a JOIN identities i ON i.id = a.identity_id"
                " ORDER BY a.username"
            ).fetchall()
        )
        return [
            {**dict(row), "disabled": bool(row["disabled"]), "advisor": bool(row["advisor"])}
            for row in rows
        ]

    async def account_identity(self, identity_id: str) -> Identity | None:
        """The identity of an account as it is now (role, display name); None when there
        is no such account or it is disabled."""
        row = await self._run(
            lambda: self._db.execute(
                "SELECT a.role, a.disabled, i.display_name FROM accounts a"
                " JOIN identities i ON i.id = a.identity_id WHERE a.identity_id = ?",
                (identity_id,),
            ).fetchone()
        )
        if row is None or row["disabled"]:
            return None
        return Identity(identity_id, row["display_name"], Role(row["role"]), guest=False)

    async def set_account_disabled(self, username: str, disabled: bool) -> str | None:
        """Disable (or enable again) an account; its identity id, or None if there is none."""
        return await self._set_account_column(username, "disabled", int(disabled))

    async def set_account_advisor(self, username: str, advisor: bool) -> str | None:
        """Mark an account as advisor (or not); its identity id, or None if there is none."""
        return await self._set_account_column(username, "advisor", int(advisor))

    async def set_password(self, username: str, password: str) -> str | None:
        """Give an account a new password; its identity id, or None if there is none."""
        hashed = await self._run(hash_password, password)
        return await self._set_account_column(username, "password_hash", hashed)

    async def _set_account_column(
        self,
        username: str,
        column: Literal["disabled", "advisor", "password_hash"],
        value: int | str,
    ) -> str | None:
        """Set one column of an account; its identity id, or None if there is none."""

        def write(db: sqlite3.Connection) -> str | None:
            identity_id = _account_identity_id(db, username)
            if identity_id is not None:
                db.execute(
                    f"UPDATE accounts SET {column} = ? WHERE username = ?", (value, username)
                )
            return identity_id

        return await self._run(self._write, write)

    async def remove_account(self, username: str) -> str | None:
        """Remove an account and erase its person as ``delete_identity`` does; the identity
        id it had, or None if there is no such account."""

        def write(db: sqlite3.Connection) -> str | None:
            identity_id = _account_identity_id(db, username)
            if identity_id is not None:
                _erase(db, identity_id)
            return identity_id

        return await self._run(self._write, write)

    # --- token generations (revocation) --------------------------------------------------

    async def revoke_tokens(self, identity_id: str, at: float) -> int:
        """Revoke every token of an identity issued so far; the new generation."""

        def write(db: sqlite3.Connection) -> int:
            db.execute(
                "INSERT INTO token_generations VALUES (?, 1, ?) ON CONFLICT(identity_id)"
                " DO UPDATE SET generation = generation + 1, changed_at = excluded.changed_at",
                (identity_id, at),
            )
            row = db.execute(
                "SELECT generation FROM token_generations WHERE identity_id = ?", (identity_id,)
            ).fetchone()
            return int(row[0])

        return await self._run(self._write, write)

    async def token_generations(self) -> dict[str, int]:
        """Identity id -> token generation, for every identity whose tokens were revoked
        (the others are at generation 0)."""
        rows = await self._run(
            lambda: self._db.execute(
                "SELECT identity_id, generation FROM token_generations"
            ).fetchall()
        )
        return {row["identity_id"]: int(row["generation"]) for row in rows}

    async def account_role(self, identity_id: str) -> Role | None:
        row = await self._run(
            lambda: self._db.execute(
                "SELECT role FROM accounts WHERE identity_id = ?", (identity_id,)
            ).fetchone()
        )
        return Role(row["role"]) if row else None

    # --- chat ----------------------------------------------------------------------------

    async def add_chat(self, record: ChatRecord) -> None:
        await self.add_chats([record])

    async def add_chats(self, records: Sequence[ChatRecord]) -> None:
        """Keep chat messages, all in one transaction: when this returns they are
        committed (and survive a crash of the process); when it raises, none is kept. A
        message whose id is already stored is left as it is."""
        rows = [
            (r.id, r.room, r.instance, r.sender_id, r.sender_name, r.text, r.to_id, r.ts)
            for r in records
        ]

        def write(db: sqlite3.Connection) -> None:
            db.executemany(
                "INSERT OR IGNORE INTO chat_messages VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows
            )

        if rows:
            await self._run(self._write, write)

    async def recent_chat(self, room: str, instance: int, limit: int) -> list[ChatRecord]:
        """The last ``limit`` room messages (not direct ones), oldest first."""
        rows = await self._run(
            lambda: self._db.execute(
                "SELECT * FROM chat_messages WHERE room = ? AND instance = ? AND to_id IS NULL"
                " ORDER BY ts DESC, rowid DESC LIMIT ?",
                (room, instance, limit),
            ).fetchall()
        )
        return [from_row(ChatRecord, row) for row in reversed(rows)]

    async def purge_chat(self, older_than: float) -> int:
        """Delete messages older than the retention limit; returns how many."""

        def write(db: sqlite3.Connection) -> int:
            return db.execute("DELETE FROM chat_messages WHERE ts < ?", (older_than,)).rowcount

        return await self._run(self._write, write)

    # --- a person's own data (GDPR: access and erasure) ----------------------------------

    async def export_identity(self, identity_id: str) -> dict[str, Any]:
        """Everything stored about one person, JSON-ready."""

        def read() -> dict[str, Any]:
            person = self._db.execute(
                "SELECT id, display_name, guest, created_at, last_seen_at FROM identities"
                " WHERE id = ?",
                (identity_id,),
            ).fetchone()
            account = self._db.execute(
                "SELECT username, role, created_at, advisor FROM accounts WHERE identity_id = ?",
                (identity_id,),
            ).fetchone()
            chat = self._db.execute(
                "SELECT * FROM chat_messages WHERE sender_id = ? OR to_id = ? ORDER BY ts, rowid",
                (identity_id, identity_id),
            ).fetchall()
            progress = self._db.execute(
                "SELECT * FROM station_progress WHERE identity_id = ? ORDER BY opened_at",
                (identity_id,),
            ).fetchall()
            attendance = self._db.execute(
                "SELECT workshop_id, identity_id, display_name, joined, at"
                " FROM workshop_attendance WHERE identity_id = ? ORDER BY at, seq",
                (identity_id,),
            ).fetchall()
            return {
                "identity": dict(person) if person else None,
                "account": (
                    {**dict(account), "advisor": bool(account["advisor"])} if account else None
                ),
                "chat_messages": [dict(row) for row in chat],
                "board_notes": notes_by(_documents(self._db, BOARD_KIND), identity_id),
                "teams": teams_of(_documents(self._db, TEAM_KIND), identity_id),
                "station_progress": [dict(row) for row in progress],
                "workshop_attendance": [
                    {**dict(row), "joined": bool(row["joined"])} for row in attendance
                ],
                "poll_answers": [
                    answer
                    for row in self._db.execute(
                        "SELECT key, data FROM live_state WHERE kind = ? ORDER BY key", (POLLS,)
                    ).fetchall()
                    for answer in answers_of(row["key"], json.loads(row["data"]), identity_id)
                ],
                "workshop_registrations": _REGISTRATIONS.rows_of(
                    self._db, identity_id, ("workshop_id", "display_name", "at")
                ),
                "offer_signups": _OFFER_SIGNUPS.rows_of(
                    self._db, identity_id, ("offer_id", "name", "contact", "at")
                ),
                "profile": _profile_row(self._db, identity_id),
                "consulting": consulting_export(
                    _documents(self._db, CONSULTING_KIND).get(identity_id),
                    _documents(self._db, CONSULTING_SLOTS_KIND),
                    identity_id,
                ),
            }

        return await self._run(read)

    async def delete_identity(self, identity_id: str) -> None:
        """Erase a person: their identity, account and every chat message they sent or got."""

        def write(db: sqlite3.Connection) -> None:
            _erase(db, identity_id)

        await self._run(self._write, write)

    # --- learning-station progress -------------------------------------------------------

    async def record_progress(self, records: Sequence[ProgressRecord]) -> None:
        """Persist station events in one transaction (first open, quiz tries and passes,
        experiment runs); the first pass and first run keep their time. Events of an
        erased person (arriving late) are dropped: they never bring the person back."""
        if not records:
            return

        def write(db: sqlite3.Connection) -> None:
            for record in _of_people_kept(db, records):
                tried = record.event in (ProgressEvent.QUIZ_FAILED, ProgressEvent.QUIZ_PASSED)
                passed = record.at if record.event is ProgressEvent.QUIZ_PASSED else None
                ran = record.event is ProgressEvent.EXPERIMENT_DONE
                db.execute(
                    "INSERT INTO station_progress (identity_id, station_id, opened_at,"
                    " quiz_attempts, quiz_passed_at, experiment_runs, experiment_done_at,"
                    " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT(identity_id, station_id) DO UPDATE SET"
                    " quiz_attempts = quiz_attempts + excluded.quiz_attempts,"
                    " quiz_passed_at = COALESCE(quiz_passed_at, excluded.quiz_passed_at),"
                    " experiment_runs = experiment_runs + excluded.experiment_runs,"
                    " experiment_done_at = COALESCE(experiment_done_at,"
                    " excluded.experiment_done_at),"
                    " updated_at = excluded.updated_at",
                    (
                        record.identity_id,
                        record.station_id,
                        record.at,
                        int(tried),
                        passed,
                        int(ran),
                        record.at if ran else None,
                        record.at,
                    ),
                )

        await self._run(self._write, write)

    async def progress_of(self, identity_id: str) -> list[StationProgress]:
        """One person's progress at every station they opened."""
        rows = await self._run(
            lambda: self._db.execute(
                "SELECT * FROM station_progress WHERE identity_id = ? ORDER BY opened_at",
                (identity_id,),
            ).fetchall()
        )
        return [from_row(StationProgress, row) for row in rows]

    async def progress_of_many(
        self, identity_ids: Sequence[str]
    ) -> dict[str, tuple[str, list[StationProgress]]]:
        """Display name and progress of each known identity among ``identity_ids``."""
        ids = list(dict.fromkeys(identity_ids))

        def read() -> dict[str, tuple[str, list[StationProgress]]]:
            result: dict[str, tuple[str, list[StationProgress]]] = {}
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                marks = ", ".join("?" * len(chunk))
                for person in self._db.execute(
                    f"SELECT id, display_name FROM identities WHERE id IN ({marks})", chunk
                ):
                    result[person["id"]] = (person["display_name"], [])
                for row in self._db.execute(
                    f"SELECT * FROM station_progress WHERE identity_id IN ({marks})"
                    " ORDER BY opened_at",
                    chunk,
                ):
                    result[row["identity_id"]][1].append(from_row(StationProgress, row))
            return result

        return await self._run(read)

    async def all_progress(self) -> list[ExportRow]:
        """Every stored station row with its person's display name, for the staff export."""
        rows = await self._run(
            lambda: self._db.execute(
                "SELECT p.*, i.display_name FROM station_progress p"
                " JOIN identities i ON i.id = p.identity_id"
                " ORDER BY i.display_name, p.identity_id, p.opened_at"
            ).fetchall()
        )
        return [
            ExportRow(row["identity_id"], row["display_name"], from_row(StationProgress, row))
            for row in rows
        ]

    # --- workshops and series ------------------------------------------------------------

    async def save_workshop(self, workshop: Workshop) -> None:
        """Insert or replace a workshop."""

        def write(db: sqlite3.Connection) -> None:
            db.execute(
                "INSERT INTO workshops VALUES (?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET"
                " starts_at = excluded.starts_at, ends_at = excluded.ends_at,"
                " series_id = excluded.series_id, data = excluded.data",
                (
                    workshop.id,
                    workshop.starts_at,
                    workshop.ends_at,
                    workshop.series_id,
                    json.dumps(workshop.record(), ensure_ascii=False),
                ),
            )

        await self._run(self._write, write)

    async def workshop(self, workshop_id: str) -> Workshop | None:
        row = await self._run(
            lambda: self._db.execute(
                "SELECT data FROM workshops WHERE id = ?", (workshop_id,)
            ).fetchone()
        )
        return Workshop.from_record(json.loads(row["data"])) if row else None

    async def list_workshops(self, ending_after: float | None = None) -> list[Workshop]:
        """Every workshop (or those ending after a time), soonest first."""
        rows = await self._run(
            lambda: self._db.execute(
                "SELECT data FROM workshops WHERE ends_at > ? ORDER BY starts_at, id",
                (float("-inf") if ending_after is None else ending_after,),
            ).fetchall()
        )
        return [Workshop.from_record(json.loads(row["data"])) for row in rows]

    async def delete_workshop(self, workshop_id: str) -> bool:
        """Remove a workshop, its registrations and its polls."""

        def write(db: sqlite3.Connection) -> bool:
            db.execute("DELETE FROM workshop_registrations WHERE workshop_id = ?", (workshop_id,))
            db.execute("DELETE FROM live_state WHERE kind = ? AND key = ?", (POLLS, workshop_id))
            return db.execute("DELETE FROM workshops WHERE id = ?", (workshop_id,)).rowcount > 0

        return await self._run(self._write, write)

    async def save_series(self, series: Series) -> None:
        """Insert or replace a series definition (its sessions are saved as workshops)."""

        def write(db: sqlite3.Connection) -> None:
            db.execute(
                "INSERT INTO workshop_series VALUES (?, ?)"
                " ON CONFLICT(id) DO UPDATE SET data = excluded.data",
                (series.id, json.dumps(series.record(), ensure_ascii=False)),
            )

        await self._run(self._write, write)

    async def list_series(self) -> list[Series]:
        rows = await self._run(
            lambda: self._db.execute("SELECT data FROM workshop_series ORDER BY id").fetchall()
        )
        return [Series.from_record(json.loads(row["data"])) for row in rows]

    async def delete_series(self, series_id: str) -> bool:
        def write(db: sqlite3.Connection) -> bool:
            found = db.execute("DELETE FROM workshop_series WHERE id = ?", (series_id,))
            return found.rowcount > 0

        return await self._run(self._write, write)

    # --- attendance ------------------------------------------------------------------------

    async def record_attendance(self, events: Sequence[AttendanceEvent]) -> None:
        """Keep join and leave times of workshop participants (erased with the person;
        events of an erased person arriving late are dropped)."""
        if not events:
            return

        def write(db: sqlite3.Connection) -> None:
            for item in _of_people_kept(db, events):
                db.execute(
                    "INSERT INTO workshop_attendance"
                    " (workshop_id, identity_id, display_name, joined, at) VALUES (?, ?, ?, ?, ?)",
                    (
                        item.workshop_id,
                        item.identity_id,
                        item.display_name,
                        int(item.joined),
                        item.at,
                    ),
                )

        await self._run(self._write, write)

    async def attendance_of(self, workshop_id: str) -> list[AttendanceEvent]:
        """A workshop's attendance events in the order they happened."""
        rows = await self._run(
            lambda: self._db.execute(
                "SELECT a.*, i.guest FROM workshop_attendance a"
                " JOIN identities i ON i.id = a.identity_id"
                " WHERE a.workshop_id = ? ORDER BY a.at, a.seq",
                (workshop_id,),
            ).fetchall()
        )
        return [
            AttendanceEvent(
                row["workshop_id"],
                row["identity_id"],
                row["display_name"],
                bool(row["guest"]),
                bool(row["joined"]),
                row["at"],
            )
            for row in rows
        ]

    # --- registrations ----------------------------------------------------------------------

    async def register(self, registration: Registration) -> bool:
        """Put a person at the end of a workshop's registrations (one transaction: two at
        once are ordered, never tied); False if they were registered already. An erased
        person is not brought back."""
        r = registration
        row = {
            "workshop_id": r.workshop_id,
            "identity_id": r.identity_id,
            "display_name": r.display_name,
            "at": r.at,
        }
        added = await self._run(
            self._write,
            lambda db: _REGISTRATIONS.add(db, row, r.display_name, r.guest, limit=None),
        )
        return added == "added"

    async def unregister(self, workshop_id: str, identity_id: str) -> bool:
        """Take a registration back; False if there was none."""
        return await self._run(
            self._write, lambda db: _REGISTRATIONS.remove(db, workshop_id, identity_id)
        )

    async def registrations_of(self, workshop_id: str) -> list[Registration]:
        """A workshop's registrations in the order they came."""
        rows = await self._run(_REGISTRATIONS.rows, self._db, workshop_id)
        return [
            Registration(
                row["workshop_id"],
                row["identity_id"],
                row["display_name"],
                bool(row["guest"]),
                row["at"],
            )
            for row in rows
        ]

    # --- sign-ups for offers ----------------------------------------------------------------

    async def sign_up_for_offer(self, signup: OfferSignup, limit: int | None) -> str:
        """Add a sign-up unless the offer has ``limit`` sign-ups (its seats and waiting list)
        already (one transaction: two at once for the last place never both get it).
        ``"added"``, ``"already"`` (signed up before), ``"full"``, or ``"erased"`` (a person
        erased is not brought back)."""
        s = signup
        row = {
            "offer_id": s.offer_id,
            "identity_id": s.identity_id,
            "name": s.name,
            "contact": s.contact,
            "at": s.at,
        }
        return await self._run(
            self._write, lambda db: _OFFER_SIGNUPS.add(db, row, s.name, True, limit)
        )

    async def cancel_offer_signup(self, offer_id: str, identity_id: str) -> bool:
        """Take a sign-up back; False if there was none."""
        return await self._run(
            self._write, lambda db: _OFFER_SIGNUPS.remove(db, offer_id, identity_id)
        )

    async def offer_signups(self, offer_id: str) -> list[OfferSignup]:
        """An offer's sign-ups in the order they came."""
        rows = await self._run(_OFFER_SIGNUPS.rows, self._db, offer_id)
        return [
            OfferSignup(row["offer_id"], row["identity_id"], row["name"], row["contact"], row["at"])
            for row in rows
        ]

    # --- profiles of people to meet -------------------------------------------------------

    async def save_profile(self, identity_id: str, data: dict[str, Any], at: float) -> bool:
        """Keep a person's profile (replacing the one before); False for an erased person."""

        def write(db: sqlite3.Connection) -> bool:
            if _erased(db, identity_id):
                return False
            _first_seen(db, identity_id, "", True, at)
            db.execute(
                "INSERT OR REPLACE INTO profiles VALUES (?, ?, ?)",
                (identity_id, json.dumps(data, ensure_ascii=False), at),
            )
            return True

        return await self._run(self._write, write)

    async def profiles_of(self, identity_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """The kept profiles of these people (those without one are left out)."""
        wanted = list(dict.fromkeys(identity_ids))

        def read() -> dict[str, dict[str, Any]]:
            found: dict[str, dict[str, Any]] = {}
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                marks = ",".join("?" * len(chunk))
                for row in self._db.execute(
                    f"SELECT identity_id, data FROM profiles WHERE identity_id IN ({marks})",
                    chunk,
                ).fetchall():
                    found[row["identity_id"]] = json.loads(row["data"])
            return found

        return await self._run(read)

    # --- bans and the audit log ------------------------------------------------------------

    async def add_ban(self, ban: Ban) -> None:
        def write(db: sqlite3.Connection) -> None:
            db.execute(
                "INSERT OR REPLACE INTO bans VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    ban.id,
                    ban.identity_id,
                    ban.display_name,
                    ban.by_id,
                    ban.by_name,
                    ban.reason,
                    ban.created_at,
                    ban.expires_at,
                ),
            )

        await self._run(self._write, write)

    async def bans(self, active_at: float | None = None) -> list[Ban]:
        """Every ban (or those in force at a time), oldest first."""
        rows = await self._run(
            lambda: self._db.execute(
                "SELECT * FROM bans WHERE ? IS NULL OR expires_at IS NULL OR expires_at > ?"
                " ORDER BY created_at, id",
                (active_at, active_at),
            ).fetchall()
        )
        return [Ban.from_dict(dict(row)) for row in rows]

    async def lift_ban(self, ban_id: str) -> Ban | None:
        """Remove a ban; the ban as it was, or None if there was none."""

        def write(db: sqlite3.Connection) -> Ban | None:
            row = db.execute("SELECT * FROM bans WHERE id = ?", (ban_id,)).fetchone()
            if row is None:
                return None
            db.execute("DELETE FROM bans WHERE id = ?", (ban_id,))
            return Ban.from_dict(dict(row))

        return await self._run(self._write, write)

    async def add_audit(self, entry: AuditEntry) -> None:
        def write(db: sqlite3.Connection) -> None:
            db.execute(
                "INSERT OR IGNORE INTO audit_log (id, at, actor_id, actor_name, action,"
                " target_id, target_name, room, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    entry.id,
                    entry.at,
                    entry.actor_id,
                    entry.actor_name,
                    entry.action,
                    entry.target_id,
                    entry.target_name,
                    entry.room,
                    entry.detail,
                ),
            )

        await self._run(self._write, write)

    async def audit_log(self, limit: int = 200) -> list[AuditEntry]:
        """The newest ``limit`` moderation actions, newest first."""
        rows = await self._run(
            lambda: self._db.execute(
                "SELECT * FROM audit_log ORDER BY at DESC, seq DESC LIMIT ?", (max(0, limit),)
            ).fetchall()
        )
        return [AuditEntry.from_dict(dict(row)) for row in rows]

    async def purge_audit(self, older_than: float) -> int:
        """Delete audit entries older than the retention limit; returns how many."""

        def write(db: sqlite3.Connection) -> int:
            return db.execute("DELETE FROM audit_log WHERE at < ?", (older_than,)).rowcount

        return await self._run(self._write, write)

    # --- mutes and room settings -----------------------------------------------------------

    async def set_mute(self, identity_id: str, until: float | None, by_id: str, at: float) -> None:
        """Mute someone's chat until ``until`` (None: until lifted), replacing a mute they
        had; mutes that ended by ``at`` are dropped on the way."""

        def write(db: sqlite3.Connection) -> None:
            db.execute("DELETE FROM mutes WHERE until <= ?", (at,))
            db.execute(
                "INSERT OR REPLACE INTO mutes VALUES (?, ?, ?, ?)", (identity_id, until, by_id, at)
            )

        await self._run(self._write, write)

    async def lift_mute(self, identity_id: str) -> bool:
        """End someone's mute; whether there was one."""

        def write(db: sqlite3.Connection) -> bool:
            found = db.execute("DELETE FROM mutes WHERE identity_id = ?", (identity_id,))
            return found.rowcount > 0

        return await self._run(self._write, write)

    async def active_mutes(self, now: float) -> dict[str, float | None]:
        """Identity id -> muted until (None: until lifted), for the mutes in force at ``now``."""
        rows = await self._run(
            lambda: self._db.execute(
                "SELECT identity_id, until FROM mutes WHERE until IS NULL OR until > ?"
                " ORDER BY identity_id",
                (now,),
            ).fetchall()
        )
        return {row["identity_id"]: row["until"] for row in rows}

    async def save_room_settings(self, room: str, settings: dict[str, Any] | None) -> None:
        """Keep what a room allows (a JSON-ready mapping); None forgets it (the usual)."""

        def write(db: sqlite3.Connection) -> None:
            if settings is None:
                db.execute("DELETE FROM room_settings WHERE room = ?", (room,))
            else:
                db.execute(
                    "INSERT OR REPLACE INTO room_settings VALUES (?, ?)",
                    (room, json.dumps(settings, ensure_ascii=False, sort_keys=True)),
                )

        await self._run(self._write, write)

    async def room_settings(self) -> dict[str, dict[str, Any]]:
        """Room id -> its kept settings, for every room that has some."""
        rows = await self._run(
            lambda: self._db.execute(
                "SELECT room, data FROM room_settings ORDER BY room"
            ).fetchall()
        )
        return {row["room"]: json.loads(row["data"]) for row in rows}

    async def save_live_states(self, changes: Sequence[LiveStateChange]) -> None:
        """Keep (or, data None, forget) live documents in one transaction."""

        def write(db: sqlite3.Connection) -> None:
            for change in changes:
                if change.data is None:
                    db.execute(
                        "DELETE FROM live_state WHERE kind = ? AND key = ?",
                        (change.kind, change.key),
                    )
                else:
                    db.execute(
                        "INSERT OR REPLACE INTO live_state VALUES (?, ?, ?)",
                        (change.kind, change.key, json.dumps(change.data, ensure_ascii=False)),
                    )

        await self._run(self._write, write)

    async def change_live_state(
        self,
        kind: str,
        key: str,
        change: Callable[[dict[str, Any] | None], dict[str, Any] | None],
    ) -> dict[str, Any] | None:
        """Change one live document atomically: ``change`` gets the kept document (None
        when there is none) and returns the one to keep (None forgets it), or raises
        (nothing is written, the exception comes through). It must have no other effects
        (the Redis store may run it more than once). Returns the document kept now."""

        def write(db: sqlite3.Connection) -> dict[str, Any] | None:
            row = db.execute(
                "SELECT data FROM live_state WHERE kind = ? AND key = ?", (kind, key)
            ).fetchone()
            after = change(None if row is None else json.loads(row["data"]))
            if after is None:
                db.execute("DELETE FROM live_state WHERE kind = ? AND key = ?", (kind, key))
            else:
                db.execute(
                    "INSERT OR REPLACE INTO live_state VALUES (?, ?, ?)",
                    (kind, key, json.dumps(after, ensure_ascii=False)),
                )
            return after

        return await self._run(self._write, write)

    async def live_states(self, kind: str) -> dict[str, dict[str, Any]]:
        """Key -> the kept live document, for every one of ``kind``."""
        rows = await self._run(
            lambda: self._db.execute(
                "SELECT key, data FROM live_state WHERE kind = ? ORDER BY key", (kind,)
            ).fetchall()
        )
        return {row["key"]: json.loads(row["data"]) for row in rows}


@dataclass(frozen=True)
class _SignupList:
    """A table of lists people put themselves on, one row a person and list, in the order
    they came (``seq``): a workshop's registrations and an offer's sign-ups. Its rows name
    the list in ``list_column`` and the person in ``identity_id``; each method runs inside
    the caller's transaction (or read) on the store thread."""

    table: str
    list_column: str

    def add(
        self,
        db: sqlite3.Connection,
        row: dict[str, Any],
        display_name: str,
        guest: bool,
        limit: int | None,
    ) -> Literal["added", "already", "full", "erased"]:
        """Put ``row`` at the end of its list unless the person is erased (not brought back),
        on it already, or the list has ``limit`` rows; the person gets an identity row if
        they have none."""
        list_id, identity_id, at = row[self.list_column], row["identity_id"], row["at"]
        if _erased(db, identity_id):
            return "erased"
        if db.execute(
            f"SELECT 1 FROM {self.table} WHERE {self.list_column} = ? AND identity_id = ?",
            (list_id, identity_id),
        ).fetchone():
            return "already"
        if limit is not None:
            count = db.execute(
                f"SELECT COUNT(*) FROM {self.table} WHERE {self.list_column} = ?", (list_id,)
            ).fetchone()[0]
            if count >= limit:
                return "full"
        _first_seen(db, identity_id, display_name, guest, at)
        db.execute(
            f"INSERT INTO {self.table} ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
            tuple(row.values()),
        )
        return "added"

    def remove(self, db: sqlite3.Connection, list_id: str, identity_id: str) -> bool:
        """Take a person off a list; False if they were not on it."""
        found = db.execute(
            f"DELETE FROM {self.table} WHERE {self.list_column} = ? AND identity_id = ?",
            (list_id, identity_id),
        )
        return found.rowcount > 0

    def rows(self, db: sqlite3.Connection, list_id: str) -> list[sqlite3.Row]:
        """A list's rows in the order they came, each with the person's ``guest`` flag."""
        return db.execute(
            f"SELECT s.*, i.guest FROM {self.table} s JOIN identities i ON i.id = s.identity_id"
            f" WHERE s.{self.list_column} = ? ORDER BY s.seq",
            (list_id,),
        ).fetchall()

    def rows_of(
        self, db: sqlite3.Connection, identity_id: str, columns: Sequence[str]
    ) -> list[dict[str, Any]]:
        """One person's rows on every list, these columns of them, in the order they came
        (for the export of their data)."""
        return [
            dict(row)
            for row in db.execute(
                f"SELECT {', '.join(columns)} FROM {self.table} WHERE identity_id = ? ORDER BY seq",
                (identity_id,),
            ).fetchall()
        ]


_REGISTRATIONS = _SignupList("workshop_registrations", "workshop_id")
_OFFER_SIGNUPS = _SignupList("offer_signups", "offer_id")


def _account_identity_id(db: sqlite3.Connection, username: str) -> str | None:
    """The identity id of the account named ``username``, or None if there is none."""
    row = db.execute("SELECT identity_id FROM accounts WHERE username = ?", (username,)).fetchone()
    return None if row is None else str(row[0])


def _erased(db: sqlite3.Connection, identity_id: str) -> bool:
    """True for a person erased (revoked, and no identity row any more)."""
    return (
        db.execute(
            "SELECT 1 FROM token_generations WHERE identity_id = ? AND NOT EXISTS"
            " (SELECT 1 FROM identities WHERE id = ?)",
            (identity_id, identity_id),
        ).fetchone()
        is not None
    )


def _first_seen(
    db: sqlite3.Connection, identity_id: str, display_name: str, guest: bool, at: float
) -> None:
    """Give a person the identity row their records hang on, first and last seen ``at``,
    unless they have one (callers check ``_erased`` first: an erased person is not brought
    back)."""
    db.execute(
        "INSERT INTO identities (id, display_name, guest, created_at, last_seen_at)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT(id) DO NOTHING",
        (identity_id, display_name, int(guest), at, at),
    )


class _PersonEvent(Protocol):
    """Something that happened to a person, to be kept (``ProgressRecord``,
    ``AttendanceEvent``)."""

    @property
    def identity_id(self) -> str: ...
    @property
    def display_name(self) -> str: ...
    @property
    def guest(self) -> bool: ...
    @property
    def at(self) -> float: ...


E = TypeVar("E", bound=_PersonEvent)


def _of_people_kept(db: sqlite3.Connection, events: Iterable[E]) -> Iterator[E]:
    """The events that are kept, one at a time: those of an erased person (arriving late)
    are dropped, never bringing the person back; before each other event its person gets an
    identity row if they have none (``_first_seen``)."""
    for event in events:
        if not _erased(db, event.identity_id):
            _first_seen(db, event.identity_id, event.display_name, event.guest, event.at)
            yield event


def _erase(db: sqlite3.Connection, identity_id: str) -> None:
    """Delete a person's chat, account, identity (progress, attendance, registrations,
    sign-ups and profile cascade) and saved consulting notes, and take them out of the kept
    documents that hold people (PERSON_OUT_OF_DOCUMENTS)."""
    db.execute(
        "DELETE FROM chat_messages WHERE sender_id = ? OR to_id = ?", (identity_id, identity_id)
    )
    db.execute("DELETE FROM accounts WHERE identity_id = ?", (identity_id,))
    db.execute("DELETE FROM identities WHERE id = ?", (identity_id,))
    db.execute("DELETE FROM live_state WHERE kind = ? AND key = ?", (CONSULTING_KIND, identity_id))
    for kind, take_out in PERSON_OUT_OF_DOCUMENTS.items():
        changed, gone = take_out(_documents(db, kind), identity_id)
        for key, data in changed.items():
            db.execute(
                "UPDATE live_state SET data = ? WHERE kind = ? AND key = ?",
                (json.dumps(data, ensure_ascii=False), kind, key),
            )
        for key in gone:
            db.execute("DELETE FROM live_state WHERE kind = ? AND key = ?", (kind, key))


def _profile_row(db: sqlite3.Connection, identity_id: str) -> dict[str, Any] | None:
    row = db.execute(
        "SELECT data, updated_at FROM profiles WHERE identity_id = ?", (identity_id,)
    ).fetchone()
    return {**json.loads(row["data"]), "updated_at": row["updated_at"]} if row else None


def _documents(db: sqlite3.Connection, kind: str) -> dict[str, Any]:
    rows = db.execute("SELECT key, data FROM live_state WHERE kind = ?", (kind,)).fetchall()
    return {row["key"]: json.loads(row["data"]) for row in rows}


def migrate(db: sqlite3.Connection) -> int:
    """Bring the schema up to date, one transaction per migration; returns the version."""
    version = int(db.execute("PRAGMA user_version").fetchone()[0])
    if version > len(MIGRATIONS):
        raise StoreError(
            f"the database has schema version {version}, newer than this program "
            f"({len(MIGRATIONS)}); refusing to touch it"
        )
    for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
        db.execute("BEGIN IMMEDIATE")
        try:
            for statement in script.split(";"):
                if statement.strip():
                    db.execute(statement)
            db.execute(f"PRAGMA user_version = {number}")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
    return len(MIGRATIONS)
