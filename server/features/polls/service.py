"""Workshop polls in one hub process, wired: the feature with its kept documents, the
reading of documents with several processes, the CSV export and the erasure of a person's
answers in the running workshops.

``app.py`` opens it after the workshop service (polls need its leading feature and its
record writer), gives the feature to the hub core, adds its routes and starts its task:

>>> polls = await PollService.open(store, workshops)     # doctest: +SKIP
>>> core = HubCore(..., features=[..., polls.feature])    # doctest: +SKIP
>>> polls.attach(core)                                    # doctest: +SKIP

REST::

    GET /api/workshops/{id}/polls.csv   its facilitators (and staff): every poll of the
                                        workshop, one row per answer (``csv_header``; times
                                        in the site's zone, person keys as in the
                                        attendance export); an anonymous poll's rows carry
                                        no key, name or time
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Final

from aiohttp import web

from server.base.csv_export import csv_text, formula_safe
from server.base.identity import Role
from server.base.live_state import POLLS
from server.core.powers import FeatureCore
from server.domain.polls import WorkshopPolls, csv_header, poll_rows
from server.features.polls.realtime import WorkshopPollsFeature
from server.store.backend import StoreBackend
from server.web.downloads import download
from server.web.http import CONTEXT, ApiError, HttpFeature, bearer_identity
from server.workshop.attendance import person_key
from server.workshop.service import WorkshopService

log = logging.getLogger("hubtwin.polls")

#: With several processes, documents of workshops that came to run here are read this often.
READ_WANTED_S: Final = 0.25
#: The bus event that tells the other processes someone's data was erased.
FORGET_EVENT: Final = "poll_forget"


class PollService:
    """The polls side of one hub process."""

    def __init__(
        self, store: StoreBackend, workshops: WorkshopService, feature: WorkshopPollsFeature
    ) -> None:
        self.store = store
        self.workshops = workshops
        self.feature = feature

    @classmethod
    async def open(cls, store: StoreBackend, workshops: WorkshopService) -> PollService:
        """One process: every kept poll document is read now. Several: each when its
        workshop comes to run here (another process may have run it before)."""
        clustered = workshops.clustered
        kept = {} if clustered else await store.live_states(POLLS)
        feature = WorkshopPollsFeature(
            workshops.lead, keep=workshops.writer.put, kept=kept, complete=not clustered
        )
        workshops.writer.also_at_the_end(feature.keep_changes)
        return cls(store, workshops, feature)

    def attach(self, core: FeatureCore) -> None:
        self.feature.attach(core)

    def forget(self, identity_id: str) -> None:
        """Someone erased their data: their answers go from the running workshops here and,
        with several processes, everywhere (the ``poll_forget`` bus event)."""
        self.feature.forget(identity_id)
        self.workshops.hub_events(FORGET_EVENT, {"identity": identity_id})

    def forget_elsewhere(self, event: Any) -> None:
        """The ``poll_forget`` event of another process."""
        identity_id = event.get("identity") if isinstance(event, dict) else None
        if isinstance(identity_id, str):
            self.feature.forget(identity_id)

    def start(self) -> list[asyncio.Task[None]]:
        if not self.workshops.clustered:
            return []
        return [asyncio.create_task(self._read_wanted(), name="hubtwin-polls-read")]

    async def _read_wanted(self) -> None:
        while True:
            await asyncio.sleep(READ_WANTED_S)
            wanted = self.feature.wanted()
            if not wanted:
                continue
            try:
                documents = await self.store.live_states(POLLS)
            except Exception:
                log.exception("could not read the polls of a workshop")
                continue
            self.feature.provide({wid: documents.get(wid) for wid in wanted})

    async def polls_of(self, workshop_id: str) -> WorkshopPolls:
        """A workshop's polls: as they are now when it runs here, else as kept."""
        running = self.feature.polls_of(workshop_id)
        if running is not None:
            return running
        documents = await self.store.live_states(POLLS)
        return WorkshopPolls.from_document(workshop_id, documents.get(workshop_id))

    # --- REST -----------------------------------------------------------------------------

    def routes(self) -> HttpFeature:
        def add_routes(app: web.Application) -> None:
            app[_SERVICE] = self
            app.router.add_get("/api/workshops/{id}/polls.csv", polls_csv)

        return add_routes


_SERVICE: web.AppKey[PollService] = web.AppKey("polls", PollService)


async def polls_csv(request: web.Request) -> web.Response:
    me = bearer_identity(request)
    service = request.app[_SERVICE]
    if not me.role.at_least(Role.FACILITATOR):
        raise ApiError(403, "forbidden", "only this workshop's facilitators may export its polls")
    workshop_id = request.match_info["id"]
    workshop = await service.workshops.workshop_of(workshop_id)
    if workshop is None:
        raise ApiError(404, "workshop_unknown", "there is no such workshop")
    if not workshop.led_by(me):
        raise ApiError(403, "forbidden", "only this workshop's facilitators may export its polls")
    try:
        polls = await service.polls_of(workshop.id)
    except ValueError:
        raise ApiError(500, "polls_unreadable", "the workshop's polls could not be read") from None
    context = request.app[CONTEXT]
    key, zone = person_key(context.settings.ensure_secret()), context.site.zone
    rows = poll_rows(polls, key=key, zone=zone)
    text = csv_text(csv_header(zone), [[formula_safe(value) for value in row] for row in rows])
    return download(context.site, f"umfragen-{workshop.id}", "csv", text, "text/csv")
