"""What the rest of the server may ask of a store: the ``StoreBackend`` protocol.

Two classes have this shape: ``server.store.Store`` (SQLite, the single-process default)
and ``server.store_redis.RedisStore`` (several processes sharing one Redis). mypy checks
both against the protocol (``_conforming`` below); tests/scale/test_store_conformance.py
checks at run time that every public coroutine of ``Store`` is here and in ``RedisStore``
with the same parameters, and that both behave alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

from server.identity import Identity, Role
from server.progress import ExportRow, ProgressRecord, StationProgress
from server.records import ChatRecord

if TYPE_CHECKING:
    from server.store import Store
    from server.store_redis import RedisStore


class StoreBackend(Protocol):
    """The persistent state of a hub, whatever keeps it."""

    async def close(self) -> None: ...

    async def ping(self) -> bool: ...

    async def schema_version(self) -> int: ...

    async def remember_identity(self, identity: Identity, now: float | None = None) -> None: ...

    async def identity_exists(self, identity_id: str) -> bool: ...

    async def create_account(
        self, username: str, password: str, role: Role, display_name: str
    ) -> Identity: ...

    async def login(self, username: str, password: str) -> Identity | None: ...

    async def list_accounts(self) -> list[dict[str, Any]]: ...

    async def account_role(self, identity_id: str) -> Role | None: ...

    async def add_chat(self, record: ChatRecord) -> None: ...

    async def recent_chat(self, room: str, instance: int, limit: int) -> list[ChatRecord]: ...

    async def purge_chat(self, older_than: float) -> int: ...

    async def export_identity(self, identity_id: str) -> dict[str, Any]: ...

    async def delete_identity(self, identity_id: str) -> None: ...

    async def record_progress(self, records: Sequence[ProgressRecord]) -> None: ...

    async def progress_of(self, identity_id: str) -> list[StationProgress]: ...

    async def progress_of_many(
        self, identity_ids: Sequence[str]
    ) -> dict[str, tuple[str, list[StationProgress]]]: ...

    async def all_progress(self) -> list[ExportRow]: ...


if TYPE_CHECKING:

    def _conforming(sqlite: Store, redis: RedisStore) -> tuple[StoreBackend, StoreBackend]:
        return sqlite, redis
