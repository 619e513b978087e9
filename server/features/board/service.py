"""The workshops' boards in one hub process, wired: the hub feature with its kept boards,
the exports over HTTP, a person's erasure, and (with several processes) reading the kept
boards again.

``app.py`` opens it after the workshop service (the boards follow its running workshops),
passes ``feature`` to the hub core, attaches it once the core runs and adds its routes:

>>> boards = await BoardService.open(store, workshops)   # doctest: +SKIP
>>> core = HubCore(world, settings, features=[..., boards.feature])   # doctest: +SKIP
>>> boards.attach(core, realtime.apply)                   # doctest: +SKIP

HTTP (the workshop's facilitators and staff):

- ``GET /api/workshops/{id}/board.md``: the boards as Markdown;
- ``GET /api/workshops/{id}/board.csv``: one row per note.

A board of a workshop running in this process is exported as it is in memory; any other
is read from the store (where the process running it keeps it within half a second).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, Final

from aiohttp import web

from server.base.identity import Role
from server.base.live_state import BOARD
from server.core.effects import Effects
from server.core.powers import FeatureCore
from server.domain.board import WorkshopBoards
from server.features.board.export import board_csv, board_markdown
from server.features.board.realtime import SharedBoards
from server.store.backend import StoreBackend
from server.web.downloads import download
from server.web.http import CONTEXT, ApiError, HttpFeature, bearer_identity
from server.workshop.attendance import person_key
from server.workshop.service import WorkshopService

log = logging.getLogger("hubtwin.board")

#: The bus event telling the other processes that a person's data was erased.
FORGET_EVENT: Final = "board_forget"
#: With several processes, the kept boards are read again this often.
KEPT_REFRESH_S: Final = 2.0


class BoardService:
    """The boards' side of one hub process."""

    def __init__(
        self, store: StoreBackend, workshops: WorkshopService, feature: SharedBoards
    ) -> None:
        self.store = store
        self.workshops = workshops
        self.feature = feature
        self._apply: Callable[[Effects], object] | None = None

    @classmethod
    async def open(cls, store: StoreBackend, workshops: WorkshopService) -> BoardService:
        """The feature, with the boards kept in the store, keeping changes through the
        workshops' record writer (written in the background, at shutdown too)."""
        feature = SharedBoards(
            workshops.lead, keep=workshops.writer.put, kept=await store.live_states(BOARD)
        )
        workshops.writer.also_at_the_end(feature.keep_changes)
        return cls(store, workshops, feature)

    def attach(self, core: FeatureCore, apply: Callable[[Effects], object]) -> None:
        self.feature.attach(core)
        self._apply = apply

    def forget(self, identity_id: str) -> None:
        """A person erased their data: their notes and dots go from the boards held here
        and, with several processes, there (the bus event ``board_forget``); the store's
        copies are erased by ``Store.delete_identity``."""
        self.workshops.hub_events(FORGET_EVENT, {"identity": identity_id})
        self._forget_here(identity_id)

    def forget_elsewhere(self, event: Any) -> None:
        """Another process erased a person's data (the ``board_forget`` event)."""
        identity_id = event.get("identity") if isinstance(event, dict) else None
        if isinstance(identity_id, str):
            self._forget_here(identity_id)

    def _forget_here(self, identity_id: str) -> None:
        fx = Effects()
        self.feature.forget(identity_id, fx)
        if self._apply is not None:
            self._apply(fx)

    def start(self) -> list[asyncio.Task[None]]:
        if not self.workshops.clustered:
            return []
        return [asyncio.create_task(self._refresh_kept(), name="hubtwin-board-refresh")]

    async def _refresh_kept(self) -> None:
        while True:
            await asyncio.sleep(KEPT_REFRESH_S)
            try:
                self.feature.set_kept(await self.store.live_states(BOARD))
            except Exception:
                log.exception("could not read the kept boards from the store")

    async def boards_of(self, workshop_id: str) -> WorkshopBoards | None:
        if self.feature.running_here(workshop_id):
            return self.feature.stored(workshop_id)
        data = (await self.store.live_states(BOARD)).get(workshop_id)
        if data is None:
            return None
        try:
            return WorkshopBoards.from_document(data)
        except ValueError:
            log.warning("a kept board that is not one", extra={"workshop": workshop_id})
            return None

    # --- HTTP -------------------------------------------------------------------------------

    def routes(self) -> HttpFeature:
        def add_routes(app: web.Application) -> None:
            app[SERVICE] = self
            app.router.add_get("/api/workshops/{id}/board.md", _board_markdown)
            app.router.add_get("/api/workshops/{id}/board.csv", _board_csv)

        return add_routes


SERVICE = web.AppKey("board_service", BoardService)


async def _export(request: web.Request) -> tuple[WorkshopBoards, dict[str, Any]]:
    me = bearer_identity(request)
    if not me.role.at_least(Role.FACILITATOR):
        raise ApiError(403, "forbidden", "only facilitators and staff may do this")
    service = request.app[SERVICE]
    workshop_id = request.match_info["id"]
    workshop = await service.workshops.workshop_of(workshop_id)
    if workshop is None:
        raise ApiError(404, "not_found", "no such workshop")
    if not workshop.led_by(me):
        raise ApiError(403, "forbidden", "only this workshop's facilitators may export its board")
    boards = await service.boards_of(workshop_id)
    if boards is None:
        boards = WorkshopBoards(workshop.id, workshop.title)
    context = request.app[CONTEXT]
    options = {"key": person_key(context.settings.ensure_secret()), "zone": context.site.zone}
    return boards, options


async def _board_markdown(request: web.Request) -> web.Response:
    boards, options = await _export(request)
    text = board_markdown(boards, **options)
    site = request.app[CONTEXT].site
    return download(site, f"pinnwand-{boards.workshop_id}", "md", text, "text/markdown")


async def _board_csv(request: web.Request) -> web.Response:
    boards, options = await _export(request)
    text = board_csv(boards, **options)
    site = request.app[CONTEXT].site
    return download(site, f"pinnwand-{boards.workshop_id}", "csv", text, "text/csv")
