"""A placed library asset in the built hub model, loaded and drawn by three.js in chromium.

The import stores positions quantised (KHR_mesh_quantization) and textures as WebP
(EXT_texture_webp); the builder copies them into hub.glb. This checks that three.js's
GLTFLoader reads the copy: the placement node is found by its ``hubtwin_placed`` extras,
its texture decodes at the size the import chose, its bounding box has the cabinet's real
size where it was placed, and a close-up shows the oak texture's brown.
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
from playwright.sync_api import sync_playwright

from tools.layout_edits import LayoutEditor
from world.builder import build_site
from world.site import PROJECT_ROOT, load_site

pytestmark = pytest.mark.e2e

CHROMIUM_ARGS = [
    "--use-angle=swiftshader",
    "--enable-unsafe-swiftshader",
    "--no-sandbox",
    "--disable-dev-shm-usage",
]
ARTIFACTS = PROJECT_ROOT / "test-artifacts" / "tools"
PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><link rel="icon" href="data:,">
<style>html, body { margin: 0; } canvas { display: block; }</style>
<script type="importmap">
{ "imports": { "three": "/three/build/three.module.js", "three/addons/": "/three/examples/jsm/" } }
</script></head>
<body><canvas id="view" width="480" height="360"></canvas>
<script type="module">
import * as THREE from "three";
import { GLTFLoader } from "three/addons/loaders/GLTFLoader.js";
window.result = null;
try {
  const gltf = await new GLTFLoader().loadAsync("/hub.glb");
  const scene = new THREE.Scene();
  scene.background = new THREE.Color(0xffffff);
  scene.add(new THREE.HemisphereLight(0xffffff, 0x888888, 2.0));
  scene.add(gltf.scene);
  gltf.scene.updateMatrixWorld(true);
  let placed = null;
  gltf.scene.traverse((o) => { if (o.userData.hubtwin_placed?.id === "cabinet-1") placed = o; });
  const meshes = [];
  placed.traverse((o) => { if (o.isMesh) meshes.push(o); });
  const box = new THREE.Box3().setFromObject(placed);
  const size = box.getSize(new THREE.Vector3());
  const centre = box.getCenter(new THREE.Vector3());
  const camera = new THREE.PerspectiveCamera(50, 480 / 360, 0.05, 50);
  camera.position.set(centre.x + 0.8, centre.y + 0.9, centre.z + 1.6);
  camera.lookAt(centre);
  const renderer = new THREE.WebGLRenderer({ canvas: document.getElementById("view") });
  renderer.outputColorSpace = THREE.SRGBColorSpace;
  renderer.render(scene, camera);
  const map = meshes[0].material.map;
  window.result = {
    placed: placed.userData.hubtwin_placed, meshes: meshes.length,
    texture: map ? [map.image.width, map.image.height] : null,
    size: [size.x, size.y, size.z], centre: [centre.x, centre.y, centre.z],
  };
} catch (error) {
  window.result = { error: String(error && error.stack || error) };
}
</script></body></html>
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def served_model(site: Path, tmp_path: Path) -> Iterator[str]:
    LayoutEditor(load_site(site)).place("cabinet", "hall", (5.0, 4.0), facing=30.0)
    model = build_site(site, tmp_path / "hub.glb").path

    async def page(_: web.Request) -> web.Response:
        return web.Response(text=PAGE, content_type="text/html")

    async def hub(_: web.Request) -> web.FileResponse:
        return web.FileResponse(model, headers={"Content-Type": "model/gltf-binary"})

    app = web.Application()
    app.router.add_get("/", page)
    app.router.add_get("/hub.glb", hub)
    app.router.add_static("/three/", PROJECT_ROOT / "node_modules" / "three")
    port = _free_port()
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(app)
    started = threading.Event()

    def serve() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(runner.setup())
        loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", port).start())
        started.set()
        loop.run_forever()

    thread = threading.Thread(target=serve, name="asset-viewer", daemon=True)
    thread.start()
    assert started.wait(10)
    yield f"http://127.0.0.1:{port}/"
    asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)


def test_three_js_draws_the_placed_cabinet(served_model: str) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page(viewport={"width": 480, "height": 360})
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(served_model)
            page.wait_for_function("window.result !== null", timeout=90_000)
            result = page.evaluate("window.result")
            png = page.screenshot()
        finally:
            browser.close()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "placed-cabinet.png").write_bytes(png)
    assert "error" not in result, result.get("error")
    assert not errors, errors
    assert result["placed"] == {"id": "cabinet-1", "asset": "cabinet", "room": "hall"}
    assert result["meshes"] == 1 and result["texture"] == [256, 128]
    # 1.2 m wide, 0.5 m deep, turned by 30 degrees: its box on the floor grows accordingly
    c, s = np.cos(np.radians(30)), np.sin(np.radians(30))
    expected = [1.2 * c + 0.5 * s, 0.8, 1.2 * s + 0.5 * c]
    assert result["size"] == pytest.approx(expected, abs=0.01)
    assert result["centre"] == pytest.approx([5.0, 0.4, 4.0], abs=0.01)
    pixels = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=int)
    middle = pixels[120:240, 160:320]
    brown = (middle[..., 0] > middle[..., 2] + 30) & (middle[..., 0] < 230)
    assert brown.mean() > 0.5, f"the cabinet's oak is not in view ({brown.mean():.0%} brown)"
