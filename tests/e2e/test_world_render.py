"""The built hub model rendered by three.js in Debian's chromium (SwiftShader WebGL).

A small aiohttp server on a free port serves the test page (tests/e2e/world_viewer), the
repo's three.js and the built hub.glb. The page renders the overview and a view from the
foyer's first spawn point; the screenshots land in test-artifacts/world/ and are checked
for what a building looks like from above: several distinct materials (brick, wood,
grass, plaster), no empty sky-only frame, the venue metadata read back in the browser.
"""

from __future__ import annotations

import asyncio
import io
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from aiohttp import web
from PIL import Image
from playwright.sync_api import Browser, Page, sync_playwright

from server.base.settings import load_settings
from world.builder import build_site
from world.site import PROJECT_ROOT

pytestmark = pytest.mark.e2e

PAGE_DIR = Path(__file__).with_name("world_viewer")
THREE_DIR = PROJECT_ROOT / "node_modules" / "three"
ARTIFACTS = PROJECT_ROOT / "test-artifacts" / "world"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--use-angle=swiftshader",
    "--enable-unsafe-swiftshader",
    "--no-sandbox",
    "--disable-dev-shm-usage",
]
VIEWPORT = {"width": 960, "height": 600}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _viewer_app(model: Path) -> web.Application:
    async def index(_: web.Request) -> web.FileResponse:
        return web.FileResponse(PAGE_DIR / "index.html")

    async def script(_: web.Request) -> web.FileResponse:
        return web.FileResponse(PAGE_DIR / "viewer.js")

    async def hub(_: web.Request) -> web.FileResponse:
        return web.FileResponse(model, headers={"Content-Type": "model/gltf-binary"})

    app = web.Application()
    app.router.add_get("/", index)
    app.router.add_get("/viewer.js", script)
    app.router.add_get("/hub.glb", hub)
    app.router.add_static("/three/", THREE_DIR)
    return app


@pytest.fixture(scope="module")
def built_model() -> Path:
    """The hub model at its usual place, (re)built if the inputs changed."""
    out = load_settings({}).world_dir / "hub.glb"
    build_site(None, out)
    return out


@pytest.fixture(scope="module")
def viewer_url(built_model: Path) -> Iterator[str]:
    """The viewer page served by aiohttp in a thread of its own, on a free port."""
    port = _free_port()
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(_viewer_app(built_model))
    started = threading.Event()

    def serve() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(runner.setup())
        loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", port).start())
        started.set()
        loop.run_forever()

    thread = threading.Thread(target=serve, name="world-viewer", daemon=True)
    thread.start()
    assert started.wait(10), "viewer server did not start"
    yield f"http://127.0.0.1:{port}/"
    asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)


@pytest.fixture(scope="module")
def viewer_browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _render(browser: Browser, url: str, name: str) -> tuple[dict, np.ndarray]:
    context = browser.new_context(viewport=VIEWPORT)
    page: Page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    try:
        page.goto(url)
        page.wait_for_function(
            "window.viewer && (window.viewer.ready || window.viewer.error)", timeout=90_000
        )
        state = page.evaluate("window.viewer")
        assert not state.get("error"), state["error"]
        assert not errors, errors
        png = page.screenshot()
    finally:
        context.close()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"{name}.png").write_bytes(png)
    return state, np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=np.int32)


def _share(pixels: np.ndarray, low: tuple[int, int, int], high: tuple[int, int, int]) -> float:
    mask = np.all((pixels >= np.array(low)) & (pixels <= np.array(high)), axis=-1)
    return float(mask.mean())


def test_overview_looks_like_a_building(viewer_browser: Browser, viewer_url: str) -> None:
    state, pixels = _render(viewer_browser, viewer_url + "?view=overview", "hub-overview")
    assert "SwiftShader" in state["renderer"]
    assert len(state["venue"]["rooms"]) == 7
    assert state["venue"]["spawns"] >= 42
    assert state["venue"]["walkable"] == 1
    assert "auditorium-screen" in state["venue"]["anchors"]
    assert state["triangles"] > 20_000
    sky = _share(pixels, (210, 220, 230), (235, 245, 255))
    assert sky < 0.35, f"mostly sky ({sky:.0%}): the building is not in view"
    # the colours of a real place: green lawn, red-brown brick, warm wood, light plaster
    assert _share(pixels, (60, 90, 30), (140, 190, 110)) > 0.03, "no lawn in view"
    reds = pixels[..., 0] - pixels[..., 2]
    assert float((reds > 50).mean()) > 0.02, "no brick or wood tones in view"
    assert _share(pixels, (200, 195, 185), (255, 255, 255)) > 0.02, "no light plaster in view"
    quantised = {tuple(c) for c in (pixels[::4, ::4] // 32).reshape(-1, 3)}
    assert len(quantised) > 60, "too few distinct colours: a grey box maze?"


def test_foyer_seen_from_a_spawn_point(viewer_browser: Browser, viewer_url: str) -> None:
    state, pixels = _render(viewer_browser, viewer_url + "?view=inside&room=foyer", "hub-foyer")
    assert state["drawCalls"] > 5
    assert _share(pixels, (210, 220, 230), (235, 245, 255)) < 0.6
    brightness = pixels.mean()
    assert 60 < brightness < 235, f"the view is too dark or washed out ({brightness:.0f})"
    quantised = {tuple(c) for c in (pixels[::4, ::4] // 32).reshape(-1, 3)}
    assert len(quantised) > 30
