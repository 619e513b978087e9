"""The HTTP side of a hub process (aiohttp): the web client, the REST API, the world file,
site files, health and metrics.

It knows nothing of rooms: what it needs from the realtime side comes in as plain
callables on ``HttpContext``, so it is tested on its own with real sockets.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import re
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import orjson
from aiohttp import web

from server.base.client_address import AddressSet, client_address
from server.base.identity import Identity
from server.base.ratelimit import KeyedLimiter
from server.base.settings import Settings
from server.base.tokens import TokenError
from server.store.backend import StoreBackend
from server.web.sessions import SessionIssuer, SessionRefused
from server.web.site_page import branded_page, download_name
from world.site import PROJECT_ROOT, Site

WEB_CLIENT_DIR = PROJECT_ROOT / "web-client"
THREE_DIR = PROJECT_ROOT / "node_modules" / "three"
MAX_JSON_BODY = 8 * 1024
SITE_FILE_TYPES = {
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".webp": "image/webp",
    ".vtt": "text/vtt",
    ".css": "text/css",
}
_INLINE_SCRIPT = re.compile(rb"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.S)
_FORWARDING_HEADERS = ("X-Forwarded-For", "X-Real-IP", "Forwarded")


@dataclass
class HttpContext:
    """What the HTTP layer needs from the rest of the process."""

    settings: Settings
    site: Site
    store: StoreBackend
    sessions: SessionIssuer
    world_file: Callable[[], Path]
    world_digest: Callable[[], str]
    protocol_version: int
    protocol_description: Callable[[], dict[str, Any]]
    ws_port: Callable[[], int]
    metrics: Callable[[], str]
    health: Callable[[], Awaitable[dict[str, Any]]]
    forget_identity: Callable[[str], Awaitable[None] | None] = lambda identity_id: None
    """Drops what the running rooms hold in memory about an erased person (and what the
    hub keeps for a while elsewhere, e.g. contact exchanges in Redis: then awaitable)."""


CONTEXT = web.AppKey("context", HttpContext)
SESSION_LIMIT = web.AppKey("session_limit", KeyedLimiter)
TRUSTED_PROXIES = web.AppKey("trusted_proxies", AddressSet)
METRICS_READERS = web.AppKey("metrics_readers", AddressSet)


def request_address(request: web.Request) -> str:
    """The address a request is counted by: the peer's, or behind a trusted proxy the
    client's as that proxy forwarded it (``server/base/client_address.py``)."""
    return client_address(
        request.remote,
        request.headers.getall("X-Forwarded-For", []),
        request.app[TRUSTED_PROXIES],
    )


def json_response(
    data: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    return web.Response(
        body=orjson.dumps(data), status=status, content_type="application/json", headers=headers
    )


def error_response(status: int, code: str, message: str) -> web.Response:
    return json_response({"error": {"code": code, "message": message}}, status=status)


async def read_json_object(request: web.Request, *, limit: int = MAX_JSON_BODY) -> dict[str, Any]:
    """The request body as a JSON object, or an HTTP 4xx with a clear message."""
    if request.content_length is not None and request.content_length > limit:
        raise ApiError(413, "body_too_large", f"request body over {limit} bytes")
    raw = bytearray()
    try:
        async with asyncio.timeout(request.app[CONTEXT].settings.http_body_timeout_s):
            while len(raw) <= limit and not request.content.at_eof():
                raw += await request.content.read(limit + 1 - len(raw))
    except TimeoutError:
        raise ApiError(408, "body_too_slow", "the request body did not arrive in time") from None
    if len(raw) > limit:
        raise ApiError(413, "body_too_large", f"request body over {limit} bytes")
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise ApiError(400, "json_invalid", "the request body is not valid JSON") from None
    if not isinstance(data, dict):
        raise ApiError(400, "json_invalid", "the request body must be a JSON object")
    return data


class ApiError(Exception):
    """A refused request; the middleware answers it as ``{"error": {"code", "message"}}``."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
RefusalAnswer = tuple[int, str] | Callable[[Any], web.StreamResponse]
"""How a feature's refusal is answered: ``(status, error code)`` with the exception's text as
the message, or a function making the answer from the exception."""


def refusals_answered(
    refusals: Mapping[type[Exception], RefusalAnswer],
) -> Callable[[Handler], Handler]:
    """A wrapper for a feature's route handlers that answers the feature's refusals over
    HTTP: an exception of a listed type (the first that matches, as ``except`` clauses do)
    becomes the answer listed for it; anything else goes on as it came.

    >>> _errors = refusals_answered({OfferUnknown: (404, "offer_unknown")})  # doctest: +SKIP
    >>> app.router.add_get("/api/offers/{id}", _errors(one_offer))  # doctest: +SKIP
    """
    caught = tuple(refusals)

    def wrap(handler: Handler) -> Handler:
        async def wrapped(request: web.Request) -> web.StreamResponse:
            try:
                return await handler(request)
            except caught as exc:
                answer = next(a for kind, a in refusals.items() if isinstance(exc, kind))
                if callable(answer):
                    return answer(exc)
                status, code = answer
                raise ApiError(status, code, str(exc)) from None

        return wrapped

    return wrap


def refuse_too_many(limiter: KeyedLimiter, identity: Identity, what: str = "changes") -> None:
    """HTTP 429 when ``identity`` has done more (of ``what``) just now than ``limiter``
    allows; otherwise it counts as one more."""
    if not limiter.allow(identity.id, time.monotonic()):
        raise ApiError(429, "rate_limited", f"too many {what}; wait a moment")


def bearer_identity(request: web.Request) -> Identity:
    """The identity of the request's ``Authorization: Bearer`` token, or HTTP 401."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise ApiError(401, "token_missing", "send the session token as 'Authorization: Bearer …'")
    try:
        return request.app[CONTEXT].sessions.identity_of(token.strip())
    except TokenError as exc:
        raise ApiError(401, exc.code, exc.message) from None


def changes_limited(
    limit: web.AppKey[KeyedLimiter],
    refusals: Callable[[Handler], Handler],
    who: Callable[[web.Request], Identity] = bearer_identity,
) -> Callable[[Handler], Handler]:
    """A wrapper for a feature's route handlers that change something: who asks (``who``,
    which may refuse them) within their rate limit (the app's ``limit``, per person: HTTP
    429), then the handler with the feature's ``refusals`` answered (``refusals_answered``).

    >>> _edits = changes_limited(EDIT_LIMIT, refusals_answered({...}))  # doctest: +SKIP
    >>> app.router.add_put("/api/workshops/{id}", _edits(update_workshop))  # doctest: +SKIP
    """

    def wrap(handler: Handler) -> Handler:
        answered = refusals(handler)

        async def wrapped(request: web.Request) -> web.StreamResponse:
            refuse_too_many(request.app[limit], who(request))
            return await answered(request)

        return wrapped

    return wrap


def content_security_policy(index_html: bytes) -> str:
    """A strict CSP: only this origin, inline scripts allowed by their hash alone."""
    hashes = " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(body).digest()).decode()}'"
        for body in _INLINE_SCRIPT.findall(index_html)
    )
    return (
        "default-src 'self'; "
        f"script-src 'self' 'wasm-unsafe-eval' {hashes}; "
        "style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
        "media-src 'self' blob:; connect-src 'self' blob: ws: wss:; font-src 'self'; "
        "object-src 'none'; base-uri 'none'; frame-ancestors 'self'"
    )


# --- handlers -------------------------------------------------------------------------------


async def index(request: web.Request) -> web.StreamResponse:
    path = WEB_CLIENT_DIR / "index.html"
    if not path.is_file():
        return error_response(503, "client_missing", "the web client is not installed")
    context = request.app[CONTEXT]
    public = (context.settings.public_url or "").rstrip("/")
    image = f"{public}/icons/icon-512.png" if public else None
    return web.Response(
        body=branded_page(path.read_bytes(), context.site, image),
        content_type="text/html",
        charset="utf-8",
        headers={"Cache-Control": "no-cache"},
    )


async def world_file(request: web.Request) -> web.StreamResponse:
    context = request.app[CONTEXT]
    path = context.world_file()
    if not path.is_file():
        return error_response(503, "world_missing", "the world has not been built yet")
    return web.FileResponse(
        path,
        headers={"Content-Type": "model/gltf-binary", "Cache-Control": "no-cache"},
    )


async def site_file(request: web.Request) -> web.StreamResponse:
    context = request.app[CONTEXT]
    relative = request.match_info["path"]
    suffix = Path(relative).suffix.lower()
    if suffix not in SITE_FILE_TYPES:
        return error_response(404, "not_found", "no such site file")
    try:
        path = context.site.file(relative)
    except Exception:
        return error_response(404, "not_found", "no such site file")
    if not path.is_file():
        return error_response(404, "not_found", "no such site file")
    return web.FileResponse(
        path, headers={"Content-Type": SITE_FILE_TYPES[suffix], "Cache-Control": "max-age=300"}
    )


def ws_url(request: web.Request, context: HttpContext) -> str:
    """The realtime address for the browser: ``public_ws_url`` as configured (a path is
    resolved by the browser against the page's own host), else ``/ws`` on this very port,
    or, with a realtime port of its own (``ws_port``), that port."""
    configured = context.settings.public_ws_url
    if configured:
        return configured
    if context.settings.ws_port is None:
        return "/ws"
    public = urlsplit(context.settings.public_url or "")
    if public.hostname:  # the configured public host, with the realtime port
        scheme = "wss" if public.scheme == "https" else "ws"
        host = f"[{public.hostname}]" if ":" in public.hostname else public.hostname
        return f"{scheme}://{host}:{context.ws_port()}/ws"
    scheme = "wss" if request.secure else "ws"
    return f"{scheme}://{_local_host(request)}:{context.ws_port()}/ws"


def _local_host(request: web.Request) -> str:
    """The address this connection reached, for URLs: never the request's Host header,
    which anyone can set to anything."""
    sockname = request.transport.get_extra_info("sockname") if request.transport else None
    host = str(sockname[0]) if isinstance(sockname, tuple) else "127.0.0.1"
    if host in ("0.0.0.0", "::"):
        host = "127.0.0.1"
    return f"[{host}]" if ":" in host else host


async def config(request: web.Request) -> web.Response:
    context = request.app[CONTEXT]
    site = context.site
    brand = site.branding
    world_path = context.world_file()
    return json_response(
        {
            "site": {
                "id": site.id,
                "name": brand.name,
                "short_name": brand.short_name,
                "tagline": brand.tagline,
                "primary_colour": brand.primary_colour,
                "accent_colour": brand.accent_colour,
                "logo": f"/site/{brand.logo}" if brand.logo else None,
                "languages": list(site.languages),
                "default_language": site.default_language,
            },
            "ws_url": ws_url(request, context),
            "protocol_version": context.protocol_version,
            "world": {
                "url": "/world/hub.glb",
                "digest": context.world_digest(),
                "bytes": world_path.stat().st_size if world_path.is_file() else 0,
            },
        },
        headers={"Cache-Control": "no-cache"},
    )


async def protocol(request: web.Request) -> web.Response:
    return json_response(request.app[CONTEXT].protocol_description())


async def create_session(request: web.Request) -> web.Response:
    context = request.app[CONTEXT]
    if not request.app[SESSION_LIMIT].allow(request_address(request), time.monotonic()):
        return error_response(429, "rate_limited", "too many sign-ins from here; wait a minute")
    body = await read_json_object(request)
    try:
        session = await context.sessions.sign_in(body)
    except SessionRefused as exc:
        return error_response(exc.status, exc.code, exc.message)
    return json_response(session.as_dict(), headers={"Cache-Control": "no-store"})


async def me(request: web.Request) -> web.Response:
    return json_response(bearer_identity(request).as_dict())


async def export_me(request: web.Request) -> web.Response:
    identity = bearer_identity(request)
    context = request.app[CONTEXT]
    data = await context.store.export_identity(identity.id)
    name = download_name(context.site, "meine-daten", "json")
    return json_response(
        data,
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


async def delete_me(request: web.Request) -> web.Response:
    identity = bearer_identity(request)
    context = request.app[CONTEXT]
    # revoked first: no request with one of these tokens can bring the person back
    await context.sessions.revoke(identity.id)
    await context.store.delete_identity(identity.id)
    forgetting = context.forget_identity(identity.id)
    if forgetting is not None:
        await forgetting
    return json_response({"deleted": identity.id})


async def sign_out_everywhere(request: web.Request) -> web.Response:
    """Revoke every token of the caller: other browsers and open connections are out."""
    identity = bearer_identity(request)
    await request.app[CONTEXT].sessions.revoke(identity.id)
    return json_response({"signed_out": identity.id}, headers={"Cache-Control": "no-store"})


async def renew_session(request: web.Request) -> web.Response:
    """A fresh token for the bearer of a valid one (the client renews while in use)."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise ApiError(401, "token_missing", "send the session token as 'Authorization: Bearer …'")
    try:
        session = await request.app[CONTEXT].sessions.renew(token.strip())
    except SessionRefused as exc:
        return error_response(exc.status, exc.code, exc.message)
    return json_response(session.as_dict(), headers={"Cache-Control": "no-store"})


async def realtime_on_kept_connection(request: web.Request) -> web.Response:
    """``GET /ws`` that reached the HTTP side: a WebSocket upgrade on a connection kept
    alive from earlier requests (a new connection's ``/ws`` goes to the realtime endpoint
    before HTTP sees it, ``server/net/shared_port.py``)."""
    response = error_response(
        400, "new_connection_needed", "open the realtime WebSocket on a new connection"
    )
    response.headers["Connection"] = "close"
    return response


async def healthz(request: web.Request) -> web.Response:
    report = await request.app[CONTEXT].health()
    return json_response(report, status=200 if report.get("ready") else 503)


def may_read_metrics(request: web.Request) -> bool:
    """The metrics token as a bearer token, or a reader's address (``metrics_allow``). A
    request forwarded by a proxy that is not trusted has no address to go by."""
    token = request.app[CONTEXT].settings.metrics_token
    if token:
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(
            given.strip().encode(), token.encode()
        ):
            return True
    forwarded = any(name in request.headers for name in _FORWARDING_HEADERS)
    if forwarded and request.remote not in request.app[TRUSTED_PROXIES]:
        return False
    return request_address(request) in request.app[METRICS_READERS]


async def metrics(request: web.Request) -> web.Response:
    if not may_read_metrics(request):
        raise ApiError(
            403,
            "forbidden",
            "metrics are served to the configured addresses or with the metrics token",
        )
    return web.Response(
        text=request.app[CONTEXT].metrics(),
        content_type="text/plain",
        charset="utf-8",
        headers={"X-Content-Type-Options": "nosniff"},
    )


@web.middleware
async def api_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except ApiError as exc:
        response = error_response(exc.status, exc.code, exc.message)
        if exc.status == 408:  # the rest of the body may still come: not on this connection
            response.force_close()
        return response


def client_pages_policy() -> str:
    """The CSP of the web client's pages: their inline scripts by hash."""
    pages = sorted(WEB_CLIENT_DIR.glob("*.html")) if WEB_CLIENT_DIR.is_dir() else []
    return content_security_policy(b"".join(page.read_bytes() for page in pages))


async def security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """Every response's headers, just before they are sent (``on_response_prepare``, so
    static files and aiohttp's own answers get them too): no sniffing, no referrer, no
    camera; an HTML page also its CSP, which forbids framing by other sites."""
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "no-referrer")
    headers.setdefault(
        "Permissions-Policy", "camera=(), microphone=(self), display-capture=(self), geolocation=()"
    )
    if response.content_type != "text/html" or "Content-Security-Policy" in headers:
        return
    body = response.body if isinstance(response, web.Response) else None
    if isinstance(body, bytes):
        headers["Content-Security-Policy"] = content_security_policy(body)
    else:
        headers["Content-Security-Policy"] = client_pages_policy()
    headers.setdefault("X-Frame-Options", "SAMEORIGIN")


HttpFeature = Callable[[web.Application], None]
"""A feature's routes: a function that adds them to the app (stations, talks, workshops …)."""


def make_http_app(context: HttpContext, features: Sequence[HttpFeature] = ()) -> web.Application:
    """The aiohttp application of one hub process, with each feature's routes added."""
    app = web.Application(middlewares=[api_errors], client_max_size=MAX_JSON_BODY * 4)
    app.on_response_prepare.append(security_headers)
    app[CONTEXT] = context
    app[SESSION_LIMIT] = KeyedLimiter(rate=0.5, burst=20)
    app[TRUSTED_PROXIES] = AddressSet.parse(context.settings.trusted_proxies)
    app[METRICS_READERS] = AddressSet.parse(context.settings.metrics_allow)
    app.router.add_get("/", index)
    if WEB_CLIENT_DIR.is_dir():
        app.router.add_static("/app/", WEB_CLIENT_DIR, follow_symlinks=False)
    if THREE_DIR.is_dir():
        app.router.add_static("/vendor/three/", THREE_DIR, follow_symlinks=False)
    app.router.add_get("/world/hub.glb", world_file)
    app.router.add_get("/site/{path:.+}", site_file)
    app.router.add_get("/api/config", config)
    app.router.add_get("/api/protocol", protocol)
    app.router.add_post("/api/session", create_session)
    app.router.add_post("/api/session/renew", renew_session)
    app.router.add_post("/api/me/sign-out-everywhere", sign_out_everywhere)
    app.router.add_get("/api/me", me)
    app.router.add_get("/api/me/export", export_me)
    app.router.add_delete("/api/me", delete_me)
    app.router.add_get("/ws", realtime_on_kept_connection)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    for add_routes in features:
        add_routes(app)
    return app
