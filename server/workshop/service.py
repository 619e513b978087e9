"""Workshops in one hub process, wired: the book of workshops, the leading and moderation
features, their record writer, their REST routes and their background work.

``app.py`` opens it before the hub core (the core takes its features and rules), attaches
it to the core and the transport once they run, adds its routes and starts its tasks:

>>> workshops = await WorkshopService.open(store, world, screens)   # doctest: +SKIP
>>> features, rules = workshops.features, workshops.rules            # doctest: +SKIP
>>> core = HubCore(world, settings, features=features, rules=rules)  # doctest: +SKIP
>>> workshops.attach(core, realtime.apply)                           # doctest: +SKIP

Background work: records are written to the store as they come (attendance in batches),
and so are moderation's mutes and room settings; every ``REFRESH_S`` the bans, mutes, room
settings and workshops are read again from the store (another process of the hub, or the
command line, may have changed them; a running workshop takes the change, its end too);
audit entries older than ``AUDIT_RETENTION_DAYS`` go. The running workshops' state
(``LiveStateChange``) is written as it changes, the changes of a batch together, and at
shutdown what changed last; with several processes the kept workshops are read again every
``LIVE_REFRESH_S`` (a process taking over a room after a crash resumes its workshop).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from typing import Any, Final, Protocol, runtime_checkable

from server.base.identity import Identity
from server.base.live_state import REMOVALS, SCREENS, WORKSHOP, LiveSink, LiveStateChange
from server.core.effects import Effects
from server.core.hooks import HubFeature
from server.core.powers import FeatureCore
from server.core.room_rules import RoomRules
from server.domain.workshop_records import (
    AttendanceEvent,
    AuditEntry,
    Ban,
    WorkshopExtended,
    WorkshopRecord,
)
from server.domain.workshops import Workshop, WorkshopBook
from server.store.backend import StoreBackend
from server.web.http import HttpFeature
from server.workshop.facilitation import (
    Facilitation,
    HubEvents,
    StageAnchor,
    StationSpot,
    stage_areas,
)
from server.workshop.http import WorkshopDesk, workshop_routes
from server.workshop.moderation import (
    Moderation,
    ModerationState,
    MuteChange,
    RoomSettingsChange,
    ScreenControl,
)

log = logging.getLogger("hubtwin.workshops")

REFRESH_S: Final = 30.0
#: With several processes, the running workshops kept in the store are read this often.
LIVE_REFRESH_S: Final = 1.0
AUDIT_RETENTION_DAYS: Final = 365
AUDIT_SWEEP_S: Final = 6 * 3600.0


class WorkshopWorld(Protocol):
    """What the service reads from the world model (``world.model.World`` has it)."""

    @property
    def rooms(self) -> Sequence[Any]: ...

    def anchors_of(self, kind: str) -> Sequence[StageAnchor]: ...


@runtime_checkable
class KeptScreens(Protocol):
    """Screens whose playing state the store keeps across restarts (the talks feature's
    ``TalkScreens``): where changes go, what was kept, and how both are refreshed."""

    keep: LiveSink
    kept: dict[str, Any]

    def set_kept(self, documents: Mapping[str, Any]) -> None: ...

    def keep_changes(self, now: float) -> None: ...


class RecordWriter:
    """Writes what the realtime side hands over to the store, in the background, in the
    order it came (a mute and its lifting, a lock and its unlocking)."""

    def __init__(self, store: StoreBackend) -> None:
        self.store = store
        self._queue: asyncio.Queue[WorkshopRecord | ModerationState | LiveStateChange] = (
            asyncio.Queue()
        )
        #: told the id of a workshop written here (the other processes re-read it)
        self.saved: Callable[[str], None] = lambda workshop_id: None
        #: awaited with the identity of a ban written here (its tokens are revoked)
        self.banned: Callable[[str], Awaitable[object]] | None = None
        #: called at shutdown before the last records are written (the last live state)
        self.last_words: Callable[[], None] = lambda: None

    def also_at_the_end(self, keep_changes: Callable[[float], None]) -> None:
        """At shutdown, after the last words given before, ``keep_changes(now)`` hands over
        one more feature's last live state."""
        before = self.last_words

        def last_words() -> None:
            before()
            keep_changes(time.time())

        self.last_words = last_words

    def put(self, record: WorkshopRecord | ModerationState | LiveStateChange) -> None:
        self._queue.put_nowait(record)

    async def run(self) -> None:
        try:
            while True:
                batch = [await self._queue.get()]
                while not self._queue.empty():
                    batch.append(self._queue.get_nowait())
                await self._write(batch)
        except asyncio.CancelledError:
            try:
                self.last_words()
            except Exception:
                log.exception("could not hand over the last live state")
            await self.flush()
            raise

    async def flush(self) -> None:
        """Write what is still waiting (at shutdown)."""
        batch = []
        while not self._queue.empty():
            batch.append(self._queue.get_nowait())
        if batch:
            await self._write(batch)

    async def _write(self, batch: list[WorkshopRecord | ModerationState | LiveStateChange]) -> None:
        attendance = [r for r in batch if isinstance(r, AttendanceEvent)]
        live = {(r.kind, r.key): r for r in batch if isinstance(r, LiveStateChange)}
        try:
            if attendance:
                await self.store.record_attendance(attendance)
            if live:
                await self.store.save_live_states(list(live.values()))
            for record in batch:
                if isinstance(record, Ban):
                    await self.store.add_ban(record)
                    if self.banned is not None:
                        await self.banned(record.identity_id)
                elif isinstance(record, AuditEntry):
                    await self.store.add_audit(record)
                elif isinstance(record, MuteChange) and record.on:
                    await self.store.set_mute(
                        record.identity_id, record.until, record.by_id, record.at
                    )
                elif isinstance(record, MuteChange):
                    await self.store.lift_mute(record.identity_id)
                elif isinstance(record, RoomSettingsChange):
                    await self.store.save_room_settings(record.room, record.settings)
                elif isinstance(record, WorkshopExtended):
                    await self.store.save_workshop(record.workshop)
                    self.saved(record.workshop.id)
        except Exception:
            log.exception("could not store workshop records", extra={"count": len(batch)})
        finally:
            for _ in batch:
                self._queue.task_done()


class WorkshopService:
    """The workshop side of one hub process."""

    def __init__(
        self,
        store: StoreBackend,
        book: WorkshopBook,
        lead: Facilitation,
        moderation: Moderation,
        writer: RecordWriter,
        rooms: Collection[str],
        station_ids: Callable[[], Collection[str]],
        talk_ids: Callable[[], Collection[str]],
        hub_events: HubEvents | None = None,
    ) -> None:
        self.store = store
        #: hub-wide events for the other processes of the hub (the cluster bus), if any
        self.hub_events: HubEvents = hub_events or _no_events
        self._following: set[asyncio.Task[None]] = set()
        self.book = book
        self.lead = lead
        self.moderation = moderation
        self.writer = writer
        self.rooms = rooms
        self.station_ids = station_ids
        self.talk_ids = talk_ids
        self._apply: Callable[[Effects], object] | None = None

    @classmethod
    async def open(
        cls,
        store: StoreBackend,
        world: WorkshopWorld,
        screens: ScreenControl | None = None,
        station_ids: Callable[[], Collection[str]] = lambda: (),
        talk_ids: Callable[[], Collection[str]] = lambda: (),
        hub_events: HubEvents | None = None,
        station_spot: StationSpot | None = None,
    ) -> WorkshopService:
        """Read the workshops, bans, mutes and room settings from the store and make the
        features. With several processes, ``hub_events`` posts hub-wide events
        (``ClusterBus.post``): ``announce``, ``ban``, ``mute`` and ``room_settings``, which
        the other processes hand to ``lead.announced_elsewhere``, ``moderation.enforce``,
        ``moderation.mute_elsewhere`` and ``moderation.room_settings_elsewhere``, and
        ``board`` (a workshop was saved or removed), which they hand to ``board_changed``."""
        book = WorkshopBook(await store.list_workshops())
        writer = RecordWriter(store)
        lead = Facilitation(
            book,
            sink=writer.put,
            stages=stage_areas(world.anchors_of("stage")),
            hub_events=hub_events,
            keep=writer.put,
            kept=await store.live_states(WORKSHOP),
        )
        if station_spot is not None:
            lead.station_place = station_spot
        if isinstance(screens, KeptScreens):
            screens.keep = writer.put
            screens.kept = await store.live_states(SCREENS)

        now = time.time()
        moderation = Moderation(
            sink=writer.put,
            lead=lead,
            screens=screens,
            bans=await store.bans(now),
            hub_events=hub_events,
            keep=writer.put,
            mutes=await store.active_mutes(now),
            rooms=await store.room_settings(),
            live=writer.put,
            removals=await store.live_states(REMOVALS),
        )

        def last_words() -> None:
            lead.keep_changes(time.time())
            moderation.keep_removals(time.time())
            if isinstance(screens, KeptScreens):
                screens.keep_changes(time.time())

        writer.last_words = last_words
        if hub_events is not None:
            writer.saved = lambda workshop_id: hub_events("board", {"id": workshop_id})
        rooms = [room.id for room in world.rooms]
        return cls(store, book, lead, moderation, writer, rooms, station_ids, talk_ids, hub_events)

    @property
    def features(self) -> list[HubFeature]:
        return [self.lead, self.moderation]

    async def workshop_of(self, workshop_id: str) -> Workshop | None:
        """A workshop by id: from the book of planned workshops, else the store."""
        return self.book.get(workshop_id) or await self.store.workshop(workshop_id)

    @property
    def rules(self) -> list[RoomRules]:
        return [self.moderation, self.lead]

    def attach(self, core: FeatureCore, apply: Callable[[Effects], object]) -> None:
        """The running core, and how its effects reach the connections."""
        self.lead.attach(core)
        self.moderation.attach(core)
        self._apply = apply

    def _act(self, action: Callable[[Effects, float], None]) -> None:
        """Do something to the live rooms from outside a message (a REST call)."""
        fx = Effects()
        action(fx, time.time())
        if self._apply is not None:
            self._apply(fx)

    # --- what the REST routes need ------------------------------------------------------

    def routes(self) -> HttpFeature:
        desk = WorkshopDesk(
            store=self.store,
            book=self.book,
            rooms=self.rooms,
            station_ids=self.station_ids,
            talk_ids=self.talk_ids,
            changed=self._changed,
            ban=self._ban,
            unbanned=self._unbanned,
        )
        return workshop_routes(desk)

    def _changed(self, workshop_id: str) -> None:
        self._act(lambda fx, now: self.lead.refresh(workshop_id, fx, now))
        self.hub_events("board", {"id": workshop_id})

    def board_changed(self, event: Any) -> None:
        """Another process of the hub saved or removed a workshop (the ``board`` event of
        the cluster bus): read it from the store now rather than at the next refresh."""
        workshop_id = event.get("id") if isinstance(event, dict) else None
        if isinstance(workshop_id, str):
            task = asyncio.create_task(self._follow(workshop_id), name="hubtwin-board-follow")
            self._following.add(task)
            task.add_done_callback(self._following.discard)

    async def _follow(self, workshop_id: str) -> None:
        try:
            workshop = await self.store.workshop(workshop_id)
        except Exception:
            log.exception("could not read a workshop another process changed")
            return
        if workshop is None:
            self.book.remove(workshop_id)
        else:
            self.book.put(workshop)
        self._act(lambda fx, now: self.lead.refresh(workshop_id, fx, now))

    def _unbanned(self, ban_id: str, actor: Identity) -> None:
        self.moderation.forget_ban(ban_id, actor, time.time())

    def _ban(
        self, actor: Identity, target: Identity, hours: int | None, reason: str
    ) -> dict[str, Any]:
        made: list[Ban] = []
        self._act(
            lambda fx, now: made.append(self.moderation.ban(actor, target, hours, reason, fx, now))
        )
        return made[0].as_dict()

    # --- background -----------------------------------------------------------------------

    def start(self) -> list[asyncio.Task[None]]:
        """The background tasks (the hub cancels them at shutdown; records are flushed)."""
        tasks = [
            asyncio.create_task(self.writer.run(), name="hubtwin-workshop-records"),
            asyncio.create_task(self._refresh(), name="hubtwin-workshop-refresh"),
            asyncio.create_task(self._sweep_audit(), name="hubtwin-audit-sweep"),
        ]
        if self.clustered:
            tasks.append(asyncio.create_task(self._refresh_live(), name="hubtwin-live-refresh"))
        return tasks

    @property
    def clustered(self) -> bool:
        """Is this one process of several (hub-wide events go to a bus)?"""
        return self.hub_events is not _no_events

    async def _refresh_live(self) -> None:
        while True:
            await asyncio.sleep(LIVE_REFRESH_S)
            try:
                now = time.time()
                kept = await self.store.live_states(WORKSHOP)
                for workshop_id in kept:
                    if self.book.get(workshop_id) is None:  # planned since the last refresh
                        found = await self.store.workshop(workshop_id)
                        if found is not None:
                            self.book.put(found)
                self.lead.set_kept(kept, now)
                self.moderation.set_kept_removals(await self.store.live_states(REMOVALS), now)
                if isinstance(self.moderation.screens, KeptScreens):
                    self.moderation.screens.set_kept(await self.store.live_states(SCREENS))
            except Exception:
                log.exception("could not read the running workshops from the store")

    async def _refresh(self) -> None:
        while True:
            await asyncio.sleep(REFRESH_S)
            try:
                now = time.time()
                self.moderation.set_bans(await self.store.bans(now), now)
                self._kept(await self.store.active_mutes(now), await self.store.room_settings())
                self.book.replace_all(await self.store.list_workshops())
                self._act(self.lead.refresh_changed)
            except Exception:
                log.exception("could not read workshops and moderation from the store")

    def _kept(self, mutes: dict[str, float | None], rooms: dict[str, dict[str, Any]]) -> None:
        self._act(lambda fx, now: self.moderation.set_kept(mutes, rooms, fx, now))

    async def _sweep_audit(self) -> None:
        while True:
            with contextlib.suppress(Exception):
                cutoff = time.time() - AUDIT_RETENTION_DAYS * 86400
                removed = await self.store.purge_audit(cutoff)
                if removed:
                    log.info("audit retention sweep", extra={"removed": removed})
            await asyncio.sleep(AUDIT_SWEEP_S)


def _no_events(kind: str, payload: dict[str, Any]) -> None:
    """A single process: hub-wide events go nowhere."""
