"""The staff's station content editor over REST (an ``HttpFeature`` for ``make_http_app``).

Only staff may use it: visitors and facilitators get 403 ``staff_only``, a request without a
session token 401. What is saved is the site's station file (``stations/<id>.md``, the format
of docs/content-format.md), checked with the checks of ``hubtwin content check`` first and
written whole (``server/features/stations/content.py``); then the running hub reads its stations
again, so the station's API answers and whoever stands at it gets it, without a restart. With
several processes on Redis, the saving one posts ``STATION_CONTENT_EVENT`` on the hub-wide bus and
every other process reads its stations again too (the file is in the site folder they share;
the bus only says when), so visitors served by any of them get the new content.

    GET  /api/station-content                  every placed station, with content or not
    GET  /api/station-content/{anchor}         one station's content as a form, with the
                                               site's languages, topics and calculators
    POST /api/station-content/{anchor}/preview {"markdown"}: the text as visitors will see it
    PUT  /api/station-content/{anchor}         {"content": form}: check and save

Refusals: an anchor where no station is placed 404 ``station_unknown``; content the check
refuses 422 ``content_invalid`` with ``problems`` (each ``{"line", "message", "text"}``);
a malformed request 400 ``content_invalid``.
"""

from __future__ import annotations

import asyncio
import datetime
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import web

from server.base.identity import Identity, Role
from server.features.stations.catalogue import STATIONS_FOLDER, StationPlace
from server.features.stations.content import (
    PlacedStation,
    StationFile,
    calculator_choices,
    check_station_text,
    clear_leftovers,
    empty_form,
    form_of_text,
    placed_stations,
    station_file,
    station_text,
    topic_choices,
    write_station_file,
)
from server.features.stations.markdown import render_body
from server.web.http import ApiError, HttpFeature, bearer_identity, json_response, read_json_object
from world.errors import HubError
from world.site import Site

MAX_CONTENT_BYTES = 256 * 1024
MAX_PREVIEW_CHARS = 60_000

log = logging.getLogger("hubtwin.station_content")
Reload = Callable[[], Awaitable[None]]
#: Tells the other processes of a hub (the bus's ``post``) that a station's content was saved.
TellOthers = Callable[[str, Any], None]
#: The bus event: ``{"station": id, "anchor": anchor}``.
STATION_CONTENT_EVENT = "station_content_saved"


class StationContentEditing:
    """What the editor works on: the site's station files, the published world's folder, and
    how the running hub reads its stations again after a save."""

    def __init__(
        self,
        site: Site,
        world_dir: Path | None,
        reload: Reload | None = None,
        tell_others: TellOthers | None = None,
    ) -> None:
        self.site = site
        self.world_dir = world_dir
        self.reload = reload
        self.tell_others = tell_others
        self.lock = asyncio.Lock()
        self._reloads: set[asyncio.Task[None]] = set()
        clear_leftovers(site)

    def saved_elsewhere(self, sender: str, payload: Any) -> None:
        """The bus handler for ``STATION_CONTENT_EVENT``: another process saved a station's
        content; read the stations again here (in a task: handlers must not wait)."""
        if self.reload is None:
            return
        task = asyncio.get_running_loop().create_task(self._reload_for(sender, payload))
        self._reloads.add(task)
        task.add_done_callback(self._reloads.discard)

    async def _reload_for(self, sender: str, payload: Any) -> None:
        assert self.reload is not None
        async with self.lock:
            await self.reload()
        station = payload.get("station") if isinstance(payload, dict) else None
        log.info(
            "station content saved elsewhere, read again",
            extra={"station": station, "from": sender},
        )


EDITING = web.AppKey("station_content_editing", StationContentEditing)


def station_content_routes(editing: StationContentEditing) -> HttpFeature:
    """The feature to pass to ``make_http_app(context, features=[...])``."""

    def add_routes(app: web.Application) -> None:
        app[EDITING] = editing
        app.router.add_get("/api/station-content", list_placed)
        app.router.add_get("/api/station-content/{anchor}", show_content)
        app.router.add_post("/api/station-content/{anchor}/preview", preview)
        app.router.add_put("/api/station-content/{anchor}", save_content)

    return add_routes


def _staff(request: web.Request) -> Identity:
    identity = bearer_identity(request)
    if identity.role is not Role.STAFF:
        raise ApiError(
            403,
            "staff_only",
            "only the hub's staff may edit station content "
            f"(you are signed in as {identity.role.value})",
        )
    return identity


def _editing(request: web.Request) -> StationContentEditing:
    return request.app[EDITING]


def _invalid(message: str, problems: list[dict[str, Any]] | None = None) -> web.Response:
    body: dict[str, Any] = {"code": "content_invalid", "message": message}
    if problems is not None:
        body["problems"] = problems
    return json_response({"error": body}, status=422 if problems is not None else 400)


def _placed(editing: StationContentEditing, anchor: str) -> tuple[PlacedStation, list[Any]]:
    placed = placed_stations(editing.site, editing.world_dir)
    for station in placed:
        if station.anchor == anchor:
            return station, placed
    raise ApiError(
        404,
        "station_unknown",
        f"no station stands at {anchor!r} (place one in edit mode or with hubtwin world add)",
    )


def _places(placed: list[PlacedStation]) -> dict[str, StationPlace | None]:
    return {station.anchor: station.place for station in placed}


def _relative(editing: StationContentEditing, path: Path) -> str:
    return str(path.relative_to(editing.site.path))


async def list_placed(request: web.Request) -> web.Response:
    _staff(request)
    editing = _editing(request)

    def work() -> list[dict[str, Any]]:
        rows = []
        for station in placed_stations(editing.site, editing.world_dir):
            try:
                target: StationFile | None = station_file(editing.site, station.anchor)
            except HubError:
                target = None
            rows.append(
                {
                    "anchor": station.anchor,
                    "room": station.room,
                    "room_names": station.room_names,
                    "title": station.title,
                    "published": station.published,
                    "drafted": station.drafted,
                    "station": target.station_id if target and target.exists else None,
                }
            )
        return rows

    try:
        stations = await asyncio.to_thread(work)
    except HubError as exc:
        return _invalid(str(exc))
    return json_response({"stations": stations, "languages": list(editing.site.languages)})


async def show_content(request: web.Request) -> web.Response:
    _staff(request)
    editing = _editing(request)
    anchor = request.match_info["anchor"]

    def work() -> dict[str, Any]:
        station, _ = _placed(editing, anchor)
        target = station_file(editing.site, anchor)
        if target.exists:
            text = target.path.read_text(encoding="utf-8")
            form = form_of_text(target.path, text, editing.site.languages)
        else:
            form = empty_form(anchor, station.title, datetime.date.today())
        return {
            "anchor": anchor,
            "station": target.station_id,
            "file": _relative(editing, target.path),
            "exists": target.exists,
            "room": station.room,
            "room_names": station.room_names,
            "published": station.published,
            "form": form,
            "languages": list(editing.site.languages),
            "topics": topic_choices(editing.site),
            "calculators": calculator_choices(editing.site),
        }

    try:
        return json_response(await asyncio.to_thread(work))
    except HubError as exc:
        return _invalid(str(exc))


async def preview(request: web.Request) -> web.Response:
    _staff(request)
    editing = _editing(request)
    body = await read_json_object(request, limit=MAX_CONTENT_BYTES)
    markdown = body.get("markdown")
    if not isinstance(markdown, str) or len(markdown) > MAX_PREVIEW_CHARS:
        return _invalid(f"'markdown' must be a text of at most {MAX_PREVIEW_CHARS} characters")
    folder = editing.site.path / STATIONS_FOLDER
    rendered = await asyncio.to_thread(render_body, markdown, folder, editing.site.path)
    return json_response(
        {
            "html": rendered.html,
            "problems": [{"line": p.line, "message": p.message} for p in rendered.problems],
        }
    )


async def save_content(request: web.Request) -> web.Response:
    identity = _staff(request)
    editing = _editing(request)
    anchor = request.match_info["anchor"]
    body = await read_json_object(request, limit=MAX_CONTENT_BYTES)
    form = body.get("content")
    if not isinstance(form, dict):
        return _invalid("'content' is missing: the station's content as the editor's form")
    languages = editing.site.languages

    def work() -> dict[str, Any]:
        station, placed = _placed(editing, anchor)
        target = station_file(editing.site, anchor)
        text = station_text({**form, "anchor": anchor}, languages)
        checked, problems = check_station_text(editing.site, target, text, _places(placed))
        if checked is None:
            return {"problems": problems}
        write_station_file(target.path, text)
        return {
            "station": target.station_id,
            "file": _relative(editing, target.path),
            "room": station.room,
            "published": station.published,
        }

    async with editing.lock:
        try:
            answer = await asyncio.to_thread(work)
        except HubError as exc:
            return _invalid(str(exc))
        except (TypeError, ValueError) as exc:
            return _invalid(f"the content cannot be written as a station file: {exc}")
        if "problems" in answer:
            problems = answer["problems"]
            count = len(problems)
            return _invalid(
                f"the station content has {count} problem{'s' if count != 1 else ''}: "
                + "; ".join(p.message for p in problems[:3]),
                [{"line": p.line, "message": p.message, "text": str(p)} for p in problems],
            )
        if editing.reload is not None:
            await editing.reload()
        if editing.tell_others is not None:
            editing.tell_others(
                STATION_CONTENT_EVENT, {"station": answer["station"], "anchor": anchor}
            )
    log.info(
        "station content saved",
        extra={"station": answer["station"], "anchor": anchor, "by": identity.id},
    )
    answer["live"] = editing.reload is not None and answer["published"]
    return json_response(answer)
