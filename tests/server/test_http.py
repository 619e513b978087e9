"""The HTTP app over real sockets: pages, files, sign-in, privacy endpoints, health."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from server.base.identity import Role
from server.base.records import ChatRecord
from server.base.settings import Settings
from server.base.tokens import TokenSigner
from server.store.sqlite import Store
from server.web.http import HttpContext, content_security_policy, make_http_app
from server.web.sessions import SessionIssuer
from world.site import load_site

SECRET = "test-secret-of-enough-length"


class Harness:
    def __init__(self, client: TestClient, store: Store, world: Path) -> None:
        self.client = client
        self.store = store
        self.world = world
        self.ready = True
        self.forgotten: list[str] = []

    async def guest(self, name: str = "Ada", **extra: Any) -> dict[str, Any]:
        response = await self.client.post("/api/session", json={"name": name, **extra})
        assert response.status == 200, await response.text()
        return dict(await response.json())


@pytest.fixture
async def hub(tmp_path: Path) -> AsyncIterator[Harness]:
    settings = Settings(data_dir=tmp_path, secret=SECRET, public_ws_url=None)
    store = await Store.open(tmp_path / "hub.sqlite3")
    world = tmp_path / "hub.glb"
    world.write_bytes(bytes(range(256)) * 40)
    harness: Harness
    forgotten: list[str] = []

    async def health() -> dict[str, Any]:
        return {"ready": harness.ready, "checks": {}}

    context = HttpContext(
        settings=settings,
        site=load_site(),
        store=store,
        sessions=SessionIssuer(settings, TokenSigner(SECRET), store),
        world_file=lambda: world,
        world_digest=lambda: "abc123",
        protocol_version=7,
        protocol_description=lambda: {"version": 7, "messages": {}},
        ws_port=lambda: 9999,
        metrics=lambda: "# TYPE hubtwin_clients gauge\nhubtwin_clients 0\n",
        health=health,
        forget_identity=lambda identity_id: forgotten.append(identity_id),
    )
    client = TestClient(TestServer(make_http_app(context)))
    await client.start_server()
    harness = Harness(client, store, world)
    harness.forgotten = forgotten
    try:
        yield harness
    finally:
        await client.close()
        await store.close()


async def test_index_has_a_strict_csp_allowing_its_inline_importmap(hub: Harness) -> None:
    response = await hub.client.get("/")
    assert response.status == 200
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
    body = await response.read()
    assert csp == content_security_policy(body)


def test_csp_hashes_inline_scripts_only() -> None:
    html = b'<script type="importmap">{"a":1}</script><script src="/x.js"></script>'
    csp = content_security_policy(html)
    assert csp.count("'sha256-") == 1


async def test_three_is_served_from_this_origin(hub: Harness) -> None:
    response = await hub.client.get("/vendor/three/build/three.module.js")
    assert response.status == 200
    assert "javascript" in response.headers["Content-Type"]


async def test_world_file_supports_ranges_and_etags(hub: Harness) -> None:
    full = await hub.client.get("/world/hub.glb")
    assert full.status == 200
    assert full.headers["Content-Type"] == "model/gltf-binary"
    assert int(full.headers["Content-Length"]) == 256 * 40
    etag = full.headers["ETag"]
    part = await hub.client.get("/world/hub.glb", headers={"Range": "bytes=10-19"})
    assert part.status == 206
    assert await part.read() == bytes(range(10, 20))
    cached = await hub.client.get("/world/hub.glb", headers={"If-None-Match": etag})
    assert cached.status == 304


async def test_missing_world_is_503_with_reason(hub: Harness) -> None:
    hub.world.unlink()
    response = await hub.client.get("/world/hub.glb")
    assert response.status == 503
    assert (await response.json())["error"]["code"] == "world_missing"


@pytest.mark.parametrize(
    "path", ["/site/site.toml", "/site/../../etc/passwd.svg", "/site/nope.svg"]
)
async def test_site_files_are_limited_to_public_media_inside_the_folder(
    hub: Harness, path: str
) -> None:
    response = await hub.client.get(path)
    assert response.status == 404


async def test_site_logo_is_served(hub: Harness) -> None:
    response = await hub.client.get("/site/logo.svg")
    assert response.status == 200
    assert response.headers["Content-Type"] == "image/svg+xml"


async def test_config_describes_site_world_and_realtime_endpoint(hub: Harness) -> None:
    response = await hub.client.get("/api/config")
    data = await response.json()
    assert data["site"]["id"] == "oekohub-dortmund"
    assert data["site"]["default_language"] == "de"
    assert data["site"]["name"]["en"].startswith("Öko.HUB")
    assert data["ws_url"] == "/ws"  # the HTTP port itself, resolved by the browser
    assert data["world"] == {"url": "/world/hub.glb", "digest": "abc123", "bytes": 10240}
    assert data["protocol_version"] == 7


async def test_protocol_table_is_served(hub: Harness) -> None:
    assert (await (await hub.client.get("/api/protocol")).json())["version"] == 7


async def test_guest_sign_in_and_return_keeps_identity(hub: Harness) -> None:
    first = await hub.guest("  Ada   Lovelace ")
    assert first["identity"]["name"] == "Ada Lovelace"
    assert first["identity"]["role"] == "visitor"
    assert first["expires_at"] > time.time()
    again = await hub.guest("Ada L.", token=first["token"])
    assert again["identity"]["id"] == first["identity"]["id"]
    assert again["identity"]["name"] == "Ada L."
    stranger = await hub.guest("Ada", token="forged.token")
    assert stranger["identity"]["id"] != first["identity"]["id"]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (b"not json", 400, "json_invalid"),
        (b"[1, 2]", 400, "json_invalid"),
        (b'{"name": ""}', 400, "name_invalid"),
        (b'{"name": "x\\u0000y"}', 400, "name_invalid"),
        (b'{"name": 5}', 400, "name_invalid"),
        ('{"name": "' + "a" * 33 + '"}', 400, "name_invalid"),
        (b'{"username": "mara", "password": 3}', 400, "credentials_invalid"),
        (b'{"username": "mara", "password": "wrong-password"}', 401, "credentials_wrong"),
        (b'{"name": "' + b"a" * 9000 + b'"}', 413, "body_too_large"),
    ],
)
async def test_bad_sign_ins_get_clear_errors(
    hub: Harness, body: bytes | str, status: int, code: str
) -> None:
    response = await hub.client.post(
        "/api/session", data=body, headers={"Content-Type": "application/json"}
    )
    assert response.status == status
    assert (await response.json())["error"]["code"] == code


async def test_staff_log_in_with_password(hub: Harness) -> None:
    await hub.store.create_account("mara", "ein-gutes-passwort", Role.FACILITATOR, "Mara")
    response = await hub.client.post(
        "/api/session", json={"username": "mara", "password": "ein-gutes-passwort"}
    )
    data = await response.json()
    assert data["identity"]["role"] == "facilitator"
    assert data["identity"]["guest"] is False


async def test_sign_ins_are_rate_limited_per_address(hub: Harness) -> None:
    statuses = [
        (await hub.client.post("/api/session", json={"name": "Flood"})).status for _ in range(25)
    ]
    assert statuses[:20] == [200] * 20
    assert 429 in statuses[20:]


async def test_me_export_and_delete(hub: Harness) -> None:
    session = await hub.guest("Ada")
    auth = {"Authorization": f"Bearer {session['token']}"}
    me = await (await hub.client.get("/api/me", headers=auth)).json()
    assert me["id"] == session["identity"]["id"]
    await hub.store.add_chat(ChatRecord("m1", "foyer", 0, me["id"], "Ada", "Moin", None, 1.0))
    export = await hub.client.get("/api/me/export", headers=auth)
    assert "attachment" in export.headers["Content-Disposition"]
    data = await export.json()
    assert data["identity"]["display_name"] == "Ada"
    assert [m["text"] for m in data["chat_messages"]] == ["Moin"]
    deleted = await hub.client.delete("/api/me", headers=auth)
    assert deleted.status == 200
    assert (await hub.store.export_identity(me["id"]))["chat_messages"] == []
    assert hub.forgotten == [me["id"]]


@pytest.mark.parametrize("header", [None, "Basic abc", "Bearer ", "Bearer not.valid"])
async def test_privacy_endpoints_need_a_valid_token(hub: Harness, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    response = await hub.client.get("/api/me/export", headers=headers)
    assert response.status == 401
    assert (await response.json())["error"]["code"] in {"token_missing", "token_invalid"}


async def test_health_reports_not_ready_as_503(hub: Harness) -> None:
    assert (await hub.client.get("/healthz")).status == 200
    hub.ready = False
    response = await hub.client.get("/healthz")
    assert response.status == 503
    assert (await response.json())["ready"] is False


async def test_metrics_are_prometheus_text(hub: Harness) -> None:
    response = await hub.client.get("/metrics")
    assert response.headers["Content-Type"].startswith("text/plain")
    assert "hubtwin_clients 0" in await response.text()


async def test_security_headers_everywhere(hub: Harness) -> None:
    response = await hub.client.get("/api/config")
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
