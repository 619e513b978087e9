"""Every room of the built hub, seen from inside by the client's own stage in real Chromium.

A small aiohttp server on a free port serves the test page (tests/e2e/room_views), the
client's modules (web-client/js), the repo's three.js and the built hub.glb. For each room
the page stands at eye height on a spawn point at the room's edge and looks across it; the
screenshot lands in test-artifacts/rooms/ and must look like a lit room: neither black nor
washed out, with contrast and colour, a ceiling overhead indoors and open sky outdoors.
"""

from __future__ import annotations

import asyncio
import io
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from aiohttp import web
from PIL import Image
from playwright.sync_api import Page, sync_playwright

from server.base.settings import load_settings
from world.builder import build_site
from world.site import PROJECT_ROOT

pytestmark = pytest.mark.e2e

PAGE_DIR = Path(__file__).with_name("room_views")
CLIENT_DIR = PROJECT_ROOT / "web-client" / "js"
THREE_DIR = PROJECT_ROOT / "node_modules" / "three"
ARTIFACTS = PROJECT_ROOT / "test-artifacts" / "rooms"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--use-angle=swiftshader",
    "--enable-unsafe-swiftshader",
    "--no-sandbox",
    "--disable-dev-shm-usage",
]
VIEWPORT = {"width": 800, "height": 500}
SKY_LOW, SKY_HIGH = (150, 185, 215), (240, 248, 255)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _app(model: Path) -> web.Application:
    async def index(_: web.Request) -> web.FileResponse:
        return web.FileResponse(PAGE_DIR / "index.html")

    async def script(_: web.Request) -> web.FileResponse:
        return web.FileResponse(PAGE_DIR / "rooms.js")

    async def hub(_: web.Request) -> web.FileResponse:
        return web.FileResponse(model, headers={"Content-Type": "model/gltf-binary"})

    app = web.Application()
    app.router.add_get("/", index)
    app.router.add_get("/rooms.js", script)
    app.router.add_get("/hub.glb", hub)
    app.router.add_static("/js/", CLIENT_DIR)
    app.router.add_static("/vendor/three/", THREE_DIR)
    return app


@pytest.fixture(scope="module")
def page_url() -> Iterator[str]:
    """The room page served by aiohttp in a thread of its own, on a free port."""
    model = load_settings({}).world_dir / "hub.glb"
    build_site(None, model)
    port = _free_port()
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(_app(model))
    started = threading.Event()

    def serve() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(runner.setup())
        loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", port).start())
        started.set()
        loop.run_forever()

    thread = threading.Thread(target=serve, name="room-views", daemon=True)
    thread.start()
    assert started.wait(10), "room page server did not start"
    yield f"http://127.0.0.1:{port}/"
    asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)


@pytest.fixture(scope="module")
def room_page(page_url: str) -> Iterator[tuple[Page, list[str]]]:
    """One loaded page (the model parsed once) and the errors it logged."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport=VIEWPORT)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        page.goto(page_url)
        page.wait_for_function(
            "window.roomViews && (window.roomViews.ready || window.roomViews.error)",
            timeout=120_000,
        )
        assert not page.evaluate("window.roomViews.error"), page.evaluate("window.roomViews.error")
        yield page, errors
        context.close()
        browser.close()


def _rooms(page: Page) -> list[dict[str, Any]]:
    rooms: list[dict[str, Any]] = page.evaluate("window.roomViews.rooms")
    return rooms


def _share(pixels: np.ndarray, low: tuple[int, int, int], high: tuple[int, int, int]) -> float:
    mask = np.all((pixels >= np.array(low)) & (pixels <= np.array(high)), axis=-1)
    return float(mask.mean())


def test_every_room_renders_lit_from_inside(room_page: tuple[Page, list[str]]) -> None:
    page, errors = room_page
    rooms = _rooms(page)
    assert len(rooms) == 7
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    problems = []
    for room in rooms:
        view = page.evaluate("(id) => window.roomViews.show(id)", room["id"])
        png = page.screenshot()
        (ARTIFACTS / f"{room['id']}.png").write_bytes(png)
        pixels = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=np.int32)
        brightness = float(pixels.mean())
        contrast = float(pixels.mean(axis=2).std())
        colours = len({tuple(c) for c in (pixels[::4, ::4] // 32).reshape(-1, 3)})
        sky = _share(pixels, SKY_LOW, SKY_HIGH)
        name = room["id"]
        if not 70 < brightness < 215:
            problems.append(f"{name}: too dark or washed out (mean {brightness:.0f})")
        if contrast < 18:
            problems.append(f"{name}: a flat, empty frame (contrast {contrast:.0f})")
        if colours < 25:
            problems.append(f"{name}: too few colours ({colours})")
        if view["triangles"] < 5_000 or view["drawCalls"] < 5:
            problems.append(f"{name}: hardly anything drawn ({view})")
        if room["outdoor"]:
            if view["ceilingAbove"]:
                problems.append(f"{name}: an outdoor room under a ceiling")
            if sky < 0.05:
                problems.append(f"{name}: outdoors, but no sky in view ({sky:.0%})")
        else:
            if not view["ceilingAbove"]:
                problems.append(f"{name}: no ceiling overhead")
            if sky > 0.25:
                problems.append(f"{name}: indoors, but mostly sky in view ({sky:.0%})")
        if view["ceilingsHitFromAbove"]:
            problems.append(f"{name}: a ray from above meets a ceiling (it must see through)")
    assert not problems, problems
    assert not errors, errors
