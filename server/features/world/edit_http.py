"""The staff edit API: the room layout's draft, publishing and rolling back, over REST (an
``HttpFeature`` for ``make_http_app``).

Only staff may use it: visitors and facilitators get 403 ``staff_only``, a request without
a session token 401. The work is the command line's (``hubtwin world place | add | move |
remove | list | diff | publish | history | rollback | revert``): the same functions of
``tools/layout_edits.py`` and ``tools/world_publish.py``, run in a worker thread, with the same
checks and the same sentences when they refuse. Edits and publishing are done one at a time;
a publish or rollback runs to the end (and goes live) even when its client is gone before
the answer, so the history shows it done.

    GET  /api/world/items?room=&kind=   everything standing in the draft, and the walls' inner
                                        faces (what dragging snaps to)
    GET  /api/world/library             the asset library, with thumbnails
    POST /api/world/place    {"asset", "room", "at": [x, z], "elevation"?, "facing"?, "id"?}
    POST /api/world/add      {"kind", "room", "at", "elevation"?, "facing"?, "id"?, "size"?,
                              "title"?: {"de", "en"}, "width"?}
                             (station, screen, board, spawn, sign: its title the lettering,
                             "width" its width, "elevation" its lower edge)
    POST /api/world/move     {"id", "kind"?, "room"?, "at"?, "elevation"?, "facing"?,
                              "to_wall"?: true}
    POST /api/world/remove   {"id", "kind"?}
    POST /api/world/undo, /api/world/redo       my last edit (each person has their own)
    POST /api/world/revert   {"id"?}             throw away draft edits (all, or one item's)
    GET  /api/world/diff                         the draft against the published world
    GET  /api/world/check                        every draft edit through the placement checks
    GET  /api/world/version?number=N             a version: what rolling back to it changes
    GET  /api/world/version/model?number=N       its hub.glb (the staff member's 3D preview;
                                                 the digest in the ETag)
    POST /api/world/import?file=NAME&…           a model file (the body) into the library
    POST /api/world/publish  {"message"}         the draft as the next version, live at once
    GET  /api/world/history                      every version, the current one marked
    POST /api/world/rollback {"version", "message"?}

Positions as in building.toml: ``at`` in metres from the room's north-west corner (x east,
z south), ``elevation`` above the room's floor, ``facing`` in degrees (0 south, 90 east).
Refusals: a placement that does not fit 409 ``placement_refused`` with its ``reason``
(outside-room, wall, door, floor, ceiling, not-walkable, invalid), nothing to do 409
``nothing_to_do``, wrong use (unknown id, room, asset, a missing field) 400 ``edit_invalid``,
a broken input file 422 ``input_file``, a model with validator errors 422 ``model_invalid``,
a model over the budgets 422 ``over_budget``, a file larger than ``MAX_IMPORT_BYTES`` 413.

The import takes the model file as the request body (one file: ``.glb``, ``.gltf`` with its
data packed in, ``.obj`` or ``.stl``) and the command line's options as query parameters:
``file`` (its name, required), ``name``, ``units``, ``up``, ``scale``, ``simplify``,
``max_texture``, ``replace=1``, ``walk_over=1``, ``title_de``, ``title_en``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from aiohttp import web

from server.base.identity import Identity, Role
from server.features.world.serving import LiveWorld
from server.features.world.undo import (
    EditHistory,
    EditStep,
    full_title,
    histories_from_record,
    histories_record,
)
from server.web.http import (
    ApiError,
    HttpFeature,
    bearer_identity,
    json_response,
    read_json_object,
    refusals_answered,
)
from tools.layout_edits import ITEM_KINDS, EditResult, LayoutEditor, wall_faces
from tools.refusals import BudgetExceeded, ModelInvalid, NothingToDo, PlacementRefused
from tools.world_publish import (
    draft_changes,
    draft_checks,
    history,
    publish,
    revert_draft,
    rollback,
    version_changes,
)
from world.errors import HubError, InputFileError, UsageError
from world.library import list_assets
from world.site import Site
from world.versions import folder_name, list_versions, read_version, versions_dir

if TYPE_CHECKING:
    from tools.asset_import import ImportOptions

#: The undo histories of the staff's edits, kept in the world folder.
UNDO_FILE = "edit-undo.json"
MAX_MESSAGE_CHARS = 500
MAX_TITLE_CHARS = 90
MAX_IMPORT_BYTES = 64 * 1024 * 1024  # a model file sent to the import

_T = TypeVar("_T")
log = logging.getLogger("hubtwin.world_edit")


class WorldEditing:
    """What the edit endpoints work on: the site's draft, the versions, the served world."""

    def __init__(self, site: Site, world_dir: Path, live: LiveWorld | None = None) -> None:
        self.site = site
        self.world_dir = world_dir
        self.live = live
        self.lock = asyncio.Lock()
        self.histories: dict[str, EditHistory] = self._read_histories()
        self.carried: set[asyncio.Task[dict[str, Any]]] = set()  # publishes under way

    def history_of(self, identity: Identity) -> EditHistory:
        return self.histories.setdefault(identity.id, EditHistory())

    @property
    def histories_file(self) -> Path:
        """Where the undo histories are kept across restarts (beside the world's versions)."""
        return self.world_dir / UNDO_FILE

    def _read_histories(self) -> dict[str, EditHistory]:
        try:
            data = json.loads(self.histories_file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            log.warning("undo histories not read", extra={"error": str(exc)})
            return {}
        return histories_from_record(data)

    async def keep_histories(self) -> None:
        """Write the undo histories (after every edit, undo or redo; atomically)."""
        text = json.dumps(histories_record(self.histories), ensure_ascii=False)
        await asyncio.to_thread(self._write_histories, text)

    def _write_histories(self, text: str) -> None:
        path = self.histories_file
        aside = path.with_name(f".{path.name}.tmp")
        try:
            aside.write_text(text, encoding="utf-8")
            os.replace(aside, path)
        except OSError as exc:
            log.warning("undo histories not kept", extra={"error": str(exc)})


EDITING = web.AppKey("world_editing", WorldEditing)


def world_edit_routes(editing: WorldEditing) -> HttpFeature:
    """The feature to pass to ``make_http_app(context, features=[...])``."""

    def add_routes(app: web.Application) -> None:
        app[EDITING] = editing
        for path, handler in (
            ("/api/world/items", list_items),
            ("/api/world/library", list_library),
            ("/api/world/diff", show_diff),
            ("/api/world/history", show_history),
            ("/api/world/check", show_checks),
            ("/api/world/version", show_version),
            ("/api/world/version/model", version_model),
        ):
            app.router.add_get(path, _refusals(handler))
        for path, handler in (
            ("/api/world/place", place),
            ("/api/world/add", add),
            ("/api/world/move", move),
            ("/api/world/remove", remove),
            ("/api/world/undo", undo),
            ("/api/world/redo", redo),
            ("/api/world/revert", revert),
            ("/api/world/publish", publish_draft),
            ("/api/world/rollback", roll_back),
            ("/api/world/import", import_model),
        ):
            app.router.add_post(path, _refusals(handler))

    return add_routes


# --- refusals ---------------------------------------------------------------------------------


def _refusal(exc: HubError) -> web.Response:
    """The HTTP answer for a refusal of the staff tools (the command line's sentence)."""
    message = str(exc)
    if isinstance(exc, PlacementRefused):
        body = {"code": "placement_refused", "message": message, "reason": exc.reason}
        return json_response({"error": body}, status=409)
    status, code = 500, "edit_failed"
    if isinstance(exc, NothingToDo):
        status, code = 409, "nothing_to_do"
    elif isinstance(exc, UsageError):
        status, code = 400, "edit_invalid"
    elif isinstance(exc, InputFileError):
        status, code = 422, "input_file"
    elif isinstance(exc, ModelInvalid):
        status, code = 422, "model_invalid"
    elif isinstance(exc, BudgetExceeded):
        status, code = 422, "over_budget"
    return json_response({"error": {"code": code, "message": message}}, status=status)


_refusals = refusals_answered({HubError: _refusal})


def _staff(request: web.Request) -> Identity:
    """The signed-in staff member making the request; everyone else is refused."""
    identity = bearer_identity(request)
    if identity.role is not Role.STAFF:
        raise ApiError(
            403,
            "staff_only",
            f"only the hub's staff may edit the world (you are signed in as {identity.role.value})",
        )
    return identity


def _editing(request: web.Request) -> WorldEditing:
    return request.app[EDITING]


async def _locked(request: web.Request, work: Callable[[], _T]) -> _T:
    """Run a staff tool in a worker thread, one at a time."""
    editing = _editing(request)
    async with editing.lock:
        return await asyncio.to_thread(work)


# --- reading the body ---------------------------------------------------------------------


def _text(body: dict[str, Any], key: str, *, required: bool = True, limit: int = 64) -> str | None:
    value = body.get(key)
    if value is None:
        if required:
            raise UsageError(f"{key!r} is missing")
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise UsageError(f"{key!r} must be a text of 1 to {limit} characters")
    return value.strip()


def _number(body: dict[str, Any], key: str) -> float | None:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise UsageError(f"{key!r} must be a number")
    return float(value)


def _pair(body: dict[str, Any], key: str, what: str) -> tuple[float, float] | None:
    value = body.get(key)
    if value is None:
        return None
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not all(
            isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
            for v in value
        )
    ):
        raise UsageError(f"{key!r} must be [{what}] in metres")
    return (float(value[0]), float(value[1]))


def _facing(body: dict[str, Any]) -> float | None:
    value = _number(body, "facing")
    return None if value is None else value % 360.0


def _title(body: dict[str, Any]) -> dict[str, str] | None:
    value = body.get("title")
    if value is None:
        return None
    if (
        not isinstance(value, dict)
        or not value
        or not all(
            isinstance(k, str) and isinstance(v, str) and 0 < len(v.strip()) <= MAX_TITLE_CHARS
            for k, v in value.items()
        )
    ):
        raise UsageError(
            f'\'title\' must be texts per language, e.g. {{"de": …, "en": …}} '
            f"(1 to {MAX_TITLE_CHARS} characters each)"
        )
    return {k: v.strip() for k, v in value.items()}


def _kind(body: dict[str, Any]) -> str | None:
    kind = _text(body, "kind", required=False)
    if kind is not None and kind not in ITEM_KINDS:
        raise UsageError(f"'kind' must be one of {', '.join(ITEM_KINDS)}")
    return kind


def _required_at(body: dict[str, Any]) -> tuple[float, float]:
    at = _pair(body, "at", "x, z")
    if at is None:
        raise UsageError("'at' is missing: [x, z] in metres from the room's north-west corner")
    return at


# --- answers ----------------------------------------------------------------------------------


def _edit_answer(result: EditResult, history: EditHistory) -> web.Response:
    return json_response({**result.to_json(), "history": history.counts()})


async def _edit(
    request: web.Request,
    do: Callable[[LayoutEditor], EditResult],
    *,
    title: dict[str, str] | None = None,
    keep_title_of: str | None = None,
) -> web.Response:
    """Make one edit of the draft for a staff member and keep it for their undo.

    ``title`` is the whole title of what is added; ``keep_title_of`` names an item whose
    title is read before the edit (a removed station is put back with it on undo)."""
    identity = _staff(request)
    editing = _editing(request)

    def work() -> tuple[EditResult, dict[str, str] | None]:
        editor = LayoutEditor(editing.site)
        kept = full_title(editor, keep_title_of) if keep_title_of else title
        return do(editor), kept

    result, kept = await _locked(request, work)
    history = editing.history_of(identity)
    history.record(EditStep.of(result, kept))
    await editing.keep_histories()
    return _edit_answer(result, history)


# --- handlers ---------------------------------------------------------------------------------


async def list_items(request: web.Request) -> web.Response:
    identity = _staff(request)
    editing = _editing(request)
    room = request.query.get("room") or None
    kind = request.query.get("kind") or None

    def work() -> dict[str, Any]:
        editor = LayoutEditor(editing.site)
        items = editor.items(room=room, kind=kind)
        return {
            "items": [i.to_json() for i in items],
            "automatic_spawns": editor.automatic_spawn_rooms(),
            "walls": wall_faces(editor.staff.plan),
        }

    data = await asyncio.to_thread(work)
    data["history"] = editing.history_of(identity).counts()
    data["languages"] = list(editing.site.languages)
    return json_response(data)


async def list_library(request: web.Request) -> web.Response:
    _staff(request)
    editing = _editing(request)

    def work() -> list[dict[str, Any]]:
        return [
            {
                "name": asset.name,
                "title": asset.title,
                "size": list(asset.size),
                "triangles": asset.triangles,
                "bytes": asset.bytes,
                "solid": asset.solid,
                "thumbnail": (
                    f"/site/library/{asset.name}/thumbnail.png"
                    if asset.thumbnail.is_file()
                    else None
                ),
            }
            for asset in list_assets(editing.site)
        ]

    return json_response({"assets": await asyncio.to_thread(work)})


async def place(request: web.Request) -> web.Response:
    _staff(request)
    body = await read_json_object(request)
    asset = _text(body, "asset")
    room = _text(body, "room")
    at = _required_at(body)
    elevation, facing = _number(body, "elevation"), _facing(body)
    item_id = _text(body, "id", required=False)
    assert asset is not None and room is not None
    return await _edit(
        request,
        lambda editor: editor.place(
            asset, room, at, elevation=elevation, facing=facing or 0.0, item_id=item_id
        ),
    )


async def add(request: web.Request) -> web.Response:
    _staff(request)
    body = await read_json_object(request)
    kind = _text(body, "kind")
    room = _text(body, "room")
    at = _required_at(body)
    elevation, facing = _number(body, "elevation"), _facing(body)
    item_id = _text(body, "id", required=False)
    size = _pair(body, "size", "width, height")
    title = _title(body)
    width = _number(body, "width")
    assert kind is not None and room is not None
    return await _edit(
        request,
        lambda editor: editor.add(
            kind,
            room,
            at,
            elevation=elevation,
            facing=facing or 0.0,
            item_id=item_id,
            size=size,
            title=dict(title) if title else None,
            width=width,
        ),
        title=title,
    )


async def move(request: web.Request) -> web.Response:
    _staff(request)
    body = await read_json_object(request)
    item_id = _text(body, "id")
    assert item_id is not None
    kind, room = _kind(body), _text(body, "room", required=False)
    at = _pair(body, "at", "x, z")
    elevation, facing = _number(body, "elevation"), _facing(body)
    to_wall = body.get("to_wall", False)
    if not isinstance(to_wall, bool):
        raise UsageError("'to_wall' must be true or false")
    return await _edit(
        request,
        lambda editor: editor.move(
            item_id,
            at=at,
            elevation=elevation,
            facing=facing,
            room=room,
            kind=kind,
            to_wall=to_wall,
        ),
    )


async def remove(request: web.Request) -> web.Response:
    _staff(request)
    body = await read_json_object(request)
    item_id = _text(body, "id")
    assert item_id is not None
    kind = _kind(body)
    return await _edit(
        request, lambda editor: editor.remove(item_id, kind=kind), keep_title_of=item_id
    )


async def undo(request: web.Request) -> web.Response:
    return await _step(request, redo=False)


async def redo(request: web.Request) -> web.Response:
    return await _step(request, redo=True)


async def _step(request: web.Request, *, redo: bool) -> web.Response:
    identity = _staff(request)
    editing = _editing(request)
    history = editing.history_of(identity)

    def work() -> EditResult:
        editor = LayoutEditor(editing.site)
        return history.redo(editor) if redo else history.undo(editor)

    try:
        result = await _locked(request, work)
    finally:
        await editing.keep_histories()  # a step that no longer applies is gone from it
    return _edit_answer(result, history)


async def revert(request: web.Request) -> web.Response:
    _staff(request)
    body = await read_json_object(request)
    item_id = _text(body, "id", required=False)
    editing = _editing(request)

    def work() -> list[Any]:
        return revert_draft(editing.site, editing.world_dir, item_id)

    undone = await _locked(request, work)
    return json_response({"undone": [c.to_json() for c in undone]})


async def show_diff(request: web.Request) -> web.Response:
    _staff(request)
    editing = _editing(request)
    version, changes = await asyncio.to_thread(draft_changes, editing.site, editing.world_dir)
    return json_response(
        {
            "base": version.number if version else None,
            "changes": [c.to_json() for c in changes],
        }
    )


async def show_history(request: web.Request) -> web.Response:
    _staff(request)
    editing = _editing(request)
    entries = await asyncio.to_thread(history, editing.world_dir)
    served = editing.live.served if editing.live is not None else None
    return json_response(
        {
            "versions": [e.to_json() for e in entries],
            "served": {
                "version": served.version.number if served and served.version else None,
                "digest": served.digest if served else None,
            },
        }
    )


async def _go_live(editing: WorldEditing) -> dict[str, Any] | None:
    if editing.live is None:
        return None
    return (await editing.live.refresh()).to_json()


def _forget(editing: WorldEditing, task: asyncio.Task[dict[str, Any]]) -> None:
    editing.carried.discard(task)
    if not task.cancelled():
        task.exception()  # a refusal nobody waits for any more is not an error to log


async def _carried_through(
    editing: WorldEditing, work: Callable[[], dict[str, Any]]
) -> dict[str, Any]:
    """Publish (or roll back) and go live, to the end even when the client is gone before
    the answer: the version is made whole and served, and the history shows it done."""

    async def whole() -> dict[str, Any]:
        async with editing.lock:
            answer = await asyncio.to_thread(work)
        answer["live"] = await _go_live(editing)
        return answer

    task = asyncio.create_task(whole())
    editing.carried.add(task)
    task.add_done_callback(lambda done: _forget(editing, done))
    return await asyncio.shield(task)


async def publish_draft(request: web.Request) -> web.Response:
    identity = _staff(request)
    body = await read_json_object(request)
    message = _text(body, "message", limit=MAX_MESSAGE_CHARS)
    assert message is not None
    editing = _editing(request)

    def work() -> dict[str, Any]:
        return publish(editing.site, editing.world_dir, message, author=identity.name).to_json()

    return json_response(await _carried_through(editing, work))


async def roll_back(request: web.Request) -> web.Response:
    identity = _staff(request)
    body = await read_json_object(request)
    number = body.get("version")
    if isinstance(number, bool) or not isinstance(number, int) or number < 0:
        raise UsageError("'version' must be a version number (GET /api/world/history)")
    message = _text(body, "message", required=False, limit=MAX_MESSAGE_CHARS)
    editing = _editing(request)

    def work() -> dict[str, Any]:
        result = rollback(editing.site, editing.world_dir, number, message, author=identity.name)
        return result.to_json()

    return json_response(await _carried_through(editing, work))


async def show_checks(request: web.Request) -> web.Response:
    _staff(request)
    editing = _editing(request)
    checks = await asyncio.to_thread(draft_checks, editing.site)
    return json_response(
        {
            "checks": [c.to_json() for c in checks],
            "refused": sum(1 for c in checks if c.refused),
        }
    )


async def show_version(request: web.Request) -> web.Response:
    _staff(request)
    editing = _editing(request)
    text = request.query.get("number", "")
    if not text.isdigit():
        raise UsageError("'number' must be a version number (GET /api/world/history)")
    version, changes = await asyncio.to_thread(version_changes, editing.world_dir, int(text))
    return json_response(
        {
            "version": version.number,
            "meta": {k: v for k, v in version.meta.items() if k != "changes"},
            "published_changes": version.meta.get("changes", []),
            "changes": [c.to_json() for c in changes],
        }
    )


async def version_model(request: web.Request) -> web.StreamResponse:
    """A version's model, for one staff member to look at in 3D (nobody else is shown it)."""
    _staff(request)
    editing = _editing(request)
    text = request.query.get("number", "")
    if not text.isdigit():
        raise UsageError("'number' must be a version number (GET /api/world/history)")
    version = await asyncio.to_thread(
        read_version, versions_dir(editing.world_dir) / folder_name(int(text))
    )
    if version is None or not version.model.is_file():
        known = await asyncio.to_thread(list_versions, editing.world_dir)
        listed = ", ".join(str(v.number) for v in known) or "none"
        raise UsageError(f"no version {text} (versions: {listed})")
    return web.FileResponse(
        version.model,
        headers={
            "Content-Type": "model/gltf-binary",
            "Cache-Control": "private, no-store",
            "ETag": f'"{version.sha256}"',
        },
    )


def _import_options(query: Any, author: str) -> tuple[str, ImportOptions]:
    """The file's name and the import's options from the query (the command line's)."""
    from tools.asset_import import ImportOptions  # the import's tools load only when used

    file_name = Path(query.get("file", "")).name
    if not file_name or file_name.startswith("."):
        raise UsageError("'file' is missing: the model file's name, e.g. sofa.glb")

    def number(key: str) -> float | None:
        value = query.get(key)
        if value in (None, ""):
            return None
        try:
            result = float(value)
        except ValueError:
            raise UsageError(f"{key!r} must be a number") from None
        if not math.isfinite(result):
            raise UsageError(f"{key!r} must be a number")
        return result

    title = {
        lang: query[f"title_{lang}"].strip()[:MAX_TITLE_CHARS]
        for lang in ("de", "en")
        if query.get(f"title_{lang}", "").strip()
    }
    max_texture = number("max_texture")
    options = ImportOptions(
        name=query.get("name") or None,
        title=title or None,
        scale=number("scale") or 1.0,
        units=query.get("units") or "m",
        up=query.get("up") or None,
        simplify=number("simplify"),
        max_texture=int(max_texture) if max_texture else None,
        solid=False if query.get("walk_over") in ("1", "true") else None,
        replace=query.get("replace") in ("1", "true"),
        author=author,
    )
    return file_name, options


async def import_model(request: web.Request) -> web.Response:
    """``hubtwin assets import`` for a file sent as the body: the same import, budgets,
    validator and refusals; the answer is the command line's JSON."""
    identity = _staff(request)
    editing = _editing(request)
    file_name, options = _import_options(request.query, identity.name)
    if (request.content_length or 0) > MAX_IMPORT_BYTES:
        raise ApiError(413, "too_large", f"a model file may have at most {MAX_IMPORT_BYTES} bytes")
    with tempfile.TemporaryDirectory(prefix="hubtwin-import-") as folder:
        source = Path(folder) / file_name
        size = 0
        with open(source, "wb") as handle:
            while chunk := await request.content.read(1 << 16):
                size += len(chunk)
                if size > MAX_IMPORT_BYTES:
                    raise ApiError(
                        413, "too_large", f"a model file may have at most {MAX_IMPORT_BYTES} bytes"
                    )
                handle.write(chunk)

        def work() -> dict[str, Any]:
            from tools.asset_import import import_asset

            return import_asset(editing.site, source, options).to_json()

        try:
            report = await _locked(request, work)
        except HubError as exc:
            # the refusal names the file as it was sent, not the temporary folder
            exc.args = (str(exc).replace(str(source), file_name),)
            raise
    return json_response(report)
