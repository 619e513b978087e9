"""The staff's REST routes for facilitator and staff accounts (the browser's accounts
panel): the same changes as ``hubtwin accounts`` (``server/features/accounts/changes.py``).

    GET    /api/accounts                        staff: every account (no password hashes)
    POST   /api/accounts                        staff: {"username", "name", "role", "password",
                                                "advisor" (optional, false)}
    POST   /api/accounts/{username}/disable     staff: no more sign-ins, tokens revoked
    POST   /api/accounts/{username}/enable      staff: may sign in again
    POST   /api/accounts/{username}/password    staff: {"password"}, tokens revoked
    POST   /api/accounts/{username}/advisor     staff: {"advisor": true|false}, marked as
                                                advisor who sits consulting hours, or not
    DELETE /api/accounts/{username}             staff: account and its person erased

Staff cannot disable or remove their own account here (nobody would be left to undo it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from aiohttp import web

from server.base.identity import Identity, Role
from server.base.ratelimit import KeyedLimiter
from server.features.accounts.changes import AccountChanges, AccountUnknown, check_password_length
from server.store.backend import StoreError
from server.web.http import (
    CONTEXT,
    ApiError,
    bearer_identity,
    changes_limited,
    json_response,
    read_json_object,
    refusals_answered,
)
from server.web.sessions import SessionRefused, clean_display_name
from world.errors import UsageError

CHANGES = web.AppKey("account_changes", AccountChanges)
AdvisorMarked = Callable[[str, bool], None]
ADVISOR_MARKED: web.AppKey[AdvisorMarked] = web.AppKey("advisor_marked")
CHANGE_LIMIT = web.AppKey("account_change_limit", KeyedLimiter)
USERNAME_MAX = 64
_T = TypeVar("_T")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def accounts_routes(
    advisor_marked: AdvisorMarked = lambda identity_id, advisor: None,
) -> Callable[[web.Application], None]:
    """The accounts routes as an ``HttpFeature``; ``advisor_marked(identity id, advisor)``
    is told of an advisor mark given or taken here (this process follows at once)."""

    def add_routes(app: web.Application) -> None:
        context = app[CONTEXT]
        app[ADVISOR_MARKED] = advisor_marked
        app[CHANGES] = AccountChanges(context.store, context.sessions.revoke)
        app[CHANGE_LIMIT] = KeyedLimiter(rate=1.0, burst=20)
        app.router.add_get("/api/accounts", list_accounts)
        app.router.add_post("/api/accounts", _change(create_account))
        app.router.add_post("/api/accounts/{username}/disable", _change(disable_account))
        app.router.add_post("/api/accounts/{username}/enable", _change(enable_account))
        app.router.add_post("/api/accounts/{username}/password", _change(new_password))
        app.router.add_post("/api/accounts/{username}/advisor", _change(mark_advisor))
        app.router.add_delete("/api/accounts/{username}", _change(remove_account))

    return add_routes


def _staff(request: web.Request) -> Identity:
    identity = bearer_identity(request)
    if identity.role is not Role.STAFF:
        raise ApiError(403, "forbidden", "only staff may manage accounts")
    return identity


#: staff only, limited per person; unknown accounts and bad input are 4xx
_change = changes_limited(
    CHANGE_LIMIT,
    refusals_answered(
        {AccountUnknown: (404, "account_unknown"), UsageError: (400, "field_invalid")}
    ),
    who=_staff,
)


def _field(
    body: dict[str, Any], key: str, kind: type[_T], refusal: str, default: object = None
) -> _T:
    """The body's ``key``, of the type ``kind`` (``default`` when left out), or 400
    ``field_invalid`` with ``refusal``."""
    value = body.get(key, default)
    if not isinstance(value, kind):
        raise ApiError(400, "field_invalid", refusal)
    return value


def _username(request: web.Request) -> str:
    return request.match_info["username"]


def _fold(username: str) -> str:
    """Usernames compare as the store compares them: A-Z folded, nothing else."""
    return username.translate(_ASCII_LOWER)


async def _own_account(request: web.Request, username: str) -> bool:
    me = bearer_identity(request).id
    accounts = await request.app[CONTEXT].store.list_accounts()
    return any(a["id"] == me and _fold(a["username"]) == _fold(username) for a in accounts)


async def list_accounts(request: web.Request) -> web.Response:
    _staff(request)
    rows = await request.app[CONTEXT].store.list_accounts()
    return json_response({"accounts": rows}, headers={"Cache-Control": "no-store"})


async def create_account(request: web.Request) -> web.Response:
    body = await read_json_object(request)
    username, role = body.get("username"), body.get("role")
    if (
        not isinstance(username, str)
        or not 1 <= len(username) <= USERNAME_MAX
        or not username.replace(".", "").replace("-", "").replace("_", "").isalnum()
    ):
        raise ApiError(400, "field_invalid", "a username is 1-64 letters, digits, '.', '-', '_'")
    if role not in (Role.FACILITATOR.value, Role.STAFF.value):
        raise ApiError(400, "field_invalid", "role is 'facilitator' or 'staff'")
    password = _field(body, "password", str, "password must be text")
    advisor = _field(body, "advisor", bool, "advisor is true or false", default=False)
    check_password_length(password)
    try:
        name = clean_display_name(body.get("name"))
    except SessionRefused as exc:
        raise ApiError(400, "field_invalid", exc.message) from None
    store = request.app[CONTEXT].store
    try:
        made = await store.create_account(username, password, Role(role), name, advisor)
    except StoreError as exc:
        raise ApiError(409, "account_exists", str(exc)) from None
    if advisor:
        request.app[ADVISOR_MARKED](made.id, True)
    return json_response(
        {"account": {"username": username, **made.as_dict(), "advisor": advisor}}, status=201
    )


async def disable_account(request: web.Request) -> web.Response:
    username = _username(request)
    if await _own_account(request, username):
        raise ApiError(400, "field_invalid", "you cannot disable your own account")
    identity_id = await request.app[CHANGES].disable(username)
    return json_response({"disabled": username, "id": identity_id})


async def enable_account(request: web.Request) -> web.Response:
    username = _username(request)
    identity_id = await request.app[CHANGES].enable(username)
    return json_response({"enabled": username, "id": identity_id})


async def new_password(request: web.Request) -> web.Response:
    body = await read_json_object(request)
    password = _field(body, "password", str, "password must be text")
    username = _username(request)
    identity_id = await request.app[CHANGES].reset_password(username, password)
    return json_response({"password_reset": username, "id": identity_id})


async def mark_advisor(request: web.Request) -> web.Response:
    body = await read_json_object(request)
    advisor = _field(body, "advisor", bool, "advisor is true or false")
    username = _username(request)
    identity_id = await request.app[CHANGES].mark_advisor(username, advisor)
    request.app[ADVISOR_MARKED](identity_id, advisor)
    return json_response({"username": username, "id": identity_id, "advisor": advisor})


async def remove_account(request: web.Request) -> web.Response:
    username = _username(request)
    if await _own_account(request, username):
        raise ApiError(400, "field_invalid", "you cannot remove your own account")
    identity_id = await request.app[CHANGES].remove(username)
    return json_response({"removed": username, "id": identity_id})
