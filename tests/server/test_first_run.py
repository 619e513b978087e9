"""The first run as a newcomer meets it: ``hubtwin serve`` as a real process.

Its smoke mode, one port for HTTP and the realtime endpoint, and every refusal to start
(a port in use, a broken site folder, a data folder that cannot be written): one line that
names the setting and how to fix it, a non-zero exit code, never a traceback.
"""

from __future__ import annotations

import asyncio
import io
import os
import re
import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import msgpack
import psutil
import pytest
from PIL import Image
from websockets.asyncio.client import connect

from server.base.settings import Settings
from server.domain.talks import load_library
from server.protocol import table as protocol
from world.site import DEFAULT_SITE, PROJECT_ROOT, load_site

HUBTWIN = str(PROJECT_ROOT / ".venv" / "bin" / "hubtwin")
BUILT_WORLD = PROJECT_ROOT / "var" / "oekohub-dortmund" / "world"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A data folder with the built default world copied in (so no build is needed)."""
    folder = tmp_path / "data"
    if (BUILT_WORLD / "hub.glb").is_file():
        shutil.copytree(BUILT_WORLD, folder / "world")
    return folder


def serve(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [HUBTWIN, "serve", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=PROJECT_ROOT,
        env={**os.environ, "HUBTWIN_LOG_LEVEL": "warning"},
    )


def refusal(result: subprocess.CompletedProcess[str]) -> str:
    """The one line a refused start prints; asserts there is nothing else of note."""
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr + result.stdout, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("hubtwin: ")]
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_smoke_mode_uses_the_hub_once_through_one_port(data_dir: Path) -> None:
    result = serve("--smoke", "--data-dir", str(data_dir))
    assert result.returncode == 0, result.stdout + result.stderr
    url = re.search(r"http://127\.0\.0\.1:(\d+)/", result.stdout)
    assert url is not None, result.stdout
    ok = [line for line in result.stdout.splitlines() if line.startswith("smoke: ok")]
    assert [line.split()[2] for line in ok] == ["/healthz", "/", "/world/hub.glb", "WebSocket"]
    assert f"ws://127.0.0.1:{url.group(1)}/ws" in ok[-1]
    assert "4 checks passed" in result.stdout


def test_smoke_mode_fails_loudly_when_the_hub_cannot_serve(tmp_path: Path) -> None:
    # A site whose building cannot be built: the smoke run never reaches its checks.
    site = tmp_path / "site"
    site.mkdir()
    (site / "site.toml").write_text('[site]\nid = "broken"\n')
    (site / "building.toml").write_text("[building]\nname = 'x'\n[[rooms]]\nid = 3\n")
    result = serve("--smoke", "--site", str(site), "--data-dir", str(tmp_path / "data"))
    line = refusal(result)
    assert "building.toml" in line
    assert "smoke: ok" not in result.stdout


@pytest.fixture
def running_hub(data_dir: Path) -> Iterator[tuple[psutil.Popen, int]]:
    port = free_port()
    process = psutil.Popen(
        [HUBTWIN, "serve", "--port", str(port), "--data-dir", str(data_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        cwd=PROJECT_ROOT,
        env={**os.environ, "HUBTWIN_LOG_LEVEL": "warning"},
    )
    try:
        assert process.stdout is not None
        for raw in process.stdout:
            if f"http://127.0.0.1:{port}/" in raw.decode():
                break
        else:
            raise AssertionError("the hub never printed its URL")
        yield process, port
    finally:
        process.terminate()
        process.wait(timeout=15)


async def _hello(port: int) -> dict[str, object]:
    import aiohttp

    async with aiohttp.ClientSession() as http:
        answer = await http.post(f"http://127.0.0.1:{port}/api/session", json={"name": "Eins"})
        token = (await answer.json())["token"]
    async with connect(f"ws://127.0.0.1:{port}/ws") as ws:
        await ws.send(
            msgpack.packb(
                {
                    "t": "hello",
                    "v": protocol.PROTOCOL_VERSION,
                    "token": token,
                    "lang": "en",
                    "appearance": {"color": "#2f7d4f", "shape": "capsule"},
                }
            )
        )
        while True:
            frame = await asyncio.wait_for(ws.recv(), 10)
            assert isinstance(frame, bytes)
            if frame[:1] != bytes([protocol.SNAPSHOT_TAG]):
                message = protocol.decode_server(frame)
                if message["t"] == "joined":
                    return message


def test_one_listening_port_serves_pages_and_the_realtime_endpoint(
    running_hub: tuple[psutil.Popen, int],
) -> None:
    process, port = running_hub
    listening = {
        conn.laddr.port
        for conn in process.net_connections(kind="tcp")
        if conn.status == psutil.CONN_LISTEN
    }
    assert listening == {port}
    joined = asyncio.run(_hello(port))
    assert joined["room"] == "foyer"


def test_an_upgrade_on_a_kept_alive_connection_gets_a_clear_answer(
    running_hub: tuple[psutil.Popen, int],
) -> None:
    _, port = running_hub
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        first = sock.recv(65536)
        assert first.startswith(b"HTTP/1.1 200"), first[:80]
        sock.sendall(
            b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        second = b""
        while b"new_connection_needed" not in second:
            chunk = sock.recv(65536)
            if not chunk:
                break
            second += chunk
    assert second.startswith(b"HTTP/1.1 400"), second[:200]
    assert b"new_connection_needed" in second


def test_a_connection_that_never_sends_a_request_line_is_closed() -> None:
    from server.net.shared_port import PortRouter

    closed: list[bool] = []

    class Transport(asyncio.Transport):
        def abort(self) -> None:
            closed.append(True)

    async def scenario() -> None:
        router = PortRouter(lambda: asyncio.Protocol(), lambda: asyncio.Protocol(), 0.05)
        router.connection_made(Transport())
        router.data_received(b"GET /ws HT")  # no end of line yet: not decided
        for _ in range(100):
            if closed:
                return
            await asyncio.sleep(0.01)

    asyncio.run(scenario())
    assert closed == [True]


def test_a_port_in_use_is_named_with_the_flag_that_changes_it(data_dir: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        line = refusal(serve("--port", str(port), "--data-dir", str(data_dir)))
        assert f"port {port} is already in use" in line
        assert "--port" in line and "HUBTWIN_HTTP_PORT" in line
        line = refusal(serve("--port", "0", "--ws-port", str(port), "--data-dir", str(data_dir)))
        assert f"port {port} is already in use" in line
        assert "--ws-port" in line and "HUBTWIN_WS_PORT" in line
    result = serve("--port", "0", "--data-dir", str(data_dir), "--host", "192.0.2.77")
    assert "--host" in refusal(result)


def _site(tmp_path: Path, site_toml: str, *, logo: bool = True) -> Path:
    site = tmp_path / "site"
    shutil.copytree(DEFAULT_SITE, site)
    (site / "site.toml").write_text(site_toml, encoding="utf-8")
    if not logo:
        (site / "logo.svg").unlink()
    return site


GOOD_SITE = """[site]
id = "test-hub"
languages = ["de", "en"]

[branding]
name = { de = "Test-Hub", en = "Test hub" }
short_name = "Test"
primary_colour = "#1f4e79"
accent_colour = "#f2b705"
logo = "logo.svg"
"""


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (('"#1f4e79"', '"#1f4e7"'), "primary_colour: '#1f4e7' is not a colour"),
        (('logo = "logo.svg"', 'logo = "logo-missing.svg"'), "'logo-missing.svg' not found"),
        (("primary_colour =", "primary_color ="), "did you mean 'primary_colour'?"),
        (('id = "test-hub"\n', ""), "missing required key id"),
        (('languages = ["de", "en"]', 'languages = "de"'), "languages 'de' must be a list"),
    ],
)
def test_a_broken_site_toml_is_one_line_naming_file_and_key(
    tmp_path: Path, change: tuple[str, str], expected: str
) -> None:
    site = _site(tmp_path, GOOD_SITE.replace(*change))
    line = refusal(serve("--site", str(site), "--data-dir", str(tmp_path / "data")))
    assert str(site / "site.toml") in line
    assert expected in line


def test_a_data_folder_that_cannot_be_written_is_named(tmp_path: Path) -> None:
    in_the_way = tmp_path / "a-file"
    in_the_way.write_text("not a folder")
    line = refusal(serve("--port", "0", "--data-dir", str(in_the_way)))
    assert f"data folder {in_the_way}" in line and "--data-dir" in line

    below_a_file = in_the_way / "data"
    line = refusal(serve("--port", "0", "--data-dir", str(below_a_file)))
    assert f"data folder {below_a_file} cannot be written" in line


def test_a_data_folder_without_write_permission_is_named(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    # root ignores permission bits; the immutable attribute holds even for root
    as_root = os.geteuid() == 0
    if as_root:
        subprocess.run(["chattr", "+i", str(locked)], check=True)
    else:
        locked.chmod(0o555)
    try:
        line = refusal(serve("--port", "0", "--data-dir", str(locked)))
    finally:
        if as_root:
            subprocess.run(["chattr", "-i", str(locked)], check=True)
        else:
            locked.chmod(0o755)
    assert f"data folder {locked} cannot be written (" in line
    assert "--data-dir or HUBTWIN_DATA_DIR" in line


def test_start_up_hints_name_the_hubs_own_site_and_data_folder(tmp_path: Path) -> None:
    site = _site(tmp_path, GOOD_SITE)
    data = tmp_path / "data"
    settings = Settings(site=site, data_dir=data)
    hint = settings.command("hubtwin talks build-samples")
    assert hint == f"hubtwin talks build-samples --site {site} --data-dir {data}"
    assert Settings().command("hubtwin talks build-samples") == "hubtwin talks build-samples"
    library = load_library(load_site(site), data / "talks", hint)
    assert library.problems, "the sample talks are scripts not produced into this data folder"
    assert all(hint in problem for problem in library.problems if "not produced" in problem)


def test_favicon_icons_and_manifest_come_from_the_site(
    running_hub: tuple[psutil.Popen, int],
) -> None:
    import urllib.request

    _, port = running_hub
    base = f"http://127.0.0.1:{port}"

    def get(path: str) -> tuple[bytes, str]:
        with urllib.request.urlopen(base + path, timeout=10) as answer:
            return answer.read(), answer.headers["Content-Type"]

    page, _ = get("/")
    for link in (
        b'<link rel="manifest" href="/manifest.webmanifest">',
        b'<link rel="icon" href="/favicon.svg" type="image/svg+xml">',
        b'<meta name="theme-color" content="#2f7d4f">',
    ):
        assert link in page
    import json

    body, kind = get("/manifest.webmanifest")
    manifest = json.loads(body)
    assert kind.startswith("application/manifest+json")
    assert manifest["short_name"] == "Öko.HUB" and manifest["theme_color"] == "#2f7d4f"
    assert manifest["lang"] == "de" and manifest["start_url"] == "/"
    for icon in manifest["icons"]:
        data, kind = get(icon["src"])
        assert kind == icon["type"]
        if icon["type"] == "image/png":
            image = Image.open(io.BytesIO(data))
            assert f"{image.width}x{image.height}" == icon["sizes"]
            # the logo's green square, not a blank icon
            assert image.convert("RGB").getpixel((image.width // 8, image.height // 2)) == (
                0x2F,
                0x7D,
                0x4F,
            )
    ico, kind = get("/favicon.ico")
    assert Image.open(io.BytesIO(ico)).format == "ICO"
    svg, kind = get("/favicon.svg")
    assert svg == (DEFAULT_SITE / "logo.svg").read_bytes() and kind == "image/svg+xml"


def test_a_site_without_a_logo_gets_a_monogram_in_its_colour(tmp_path: Path) -> None:
    from server.web.site_icons import SiteIcons

    site = load_site(_site(tmp_path, GOOD_SITE.replace('logo = "logo.svg"\n', ""), logo=False))
    icons = SiteIcons(site)
    png = icons.file("icon-192.png")
    assert png is not None
    image = Image.open(io.BytesIO(png)).convert("RGB")
    assert image.getpixel((20, 96)) == (0x1F, 0x4E, 0x79)
    assert b"#1f4e79" in (icons.file("favicon.svg") or b"")
    assert icons.manifest()["theme_color"] == "#1f4e79"
