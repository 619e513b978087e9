"""A second site shows its own brand everywhere: a site made with ``hubtwin site new`` (its own
name, colours and logo) is built and served by a real ``hubtwin serve``; its pages,
configuration, downloads and model name nothing of the default (Dortmund) site and use none
of its colours, and the browser's accent colour is the site's."""

from __future__ import annotations

import json
import struct
import subprocess
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import HUBTWIN, HubServer, Visitors, running_hub
from playwright.sync_api import Browser

from world.materials import hex_to_linear
from world.site import PROJECT_ROOT, load_site

pytestmark = pytest.mark.e2e

NAME = "Klimawerk Emscher"
PRIMARY = "#1d4e89"
ACCENT = "#e4572e"
DEFAULT = load_site()
#: what must not appear anywhere in the second site's hub (case-insensitive)
FORBIDDEN = (
    "Öko.HUB",
    "oekohub",
    "Dortmund",
    DEFAULT.branding.short_name,
    DEFAULT.id,
    DEFAULT.branding.primary_colour.lstrip("#"),
    DEFAULT.branding.accent_colour.lstrip("#"),
)


#: what a workshop's facilitators download
WORKSHOP_FILES = (
    "calendar.ics",
    "attendance.csv",
    "registrations.csv",
    "polls.csv",
    "board.md",
    "board.csv",
)


def leaks(text: str) -> list[str]:
    lowered = text.lower()
    return [word for word in FORBIDDEN if word.lower() in lowered]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("second-site") / "emscher"
    command = [HUBTWIN, "site", "new", str(folder), "--name", NAME]
    subprocess.run(
        [*command, "--colour", PRIMARY, "--accent", ACCENT],
        check=True,
        cwd=PROJECT_ROOT,
        capture_output=True,
    )
    return folder


@pytest.fixture(scope="module")
def hub(site: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubServer]:
    data_dir = tmp_path_factory.mktemp("second-site-data")
    with running_hub(data_dir, "--site", str(site)) as server:
        yield server


def get(hub: HubServer, path: str, token: str | None = None) -> tuple[bytes, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    request = urllib.request.Request(hub.url + path.lstrip("/"), headers=headers)
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.read(), response.headers


def post(hub: HubServer, path: str, body: dict[str, Any], token: str | None = None) -> Any:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(
        hub.url + path.lstrip("/"), data=json.dumps(body).encode(), headers=headers
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def staff_token(hub: HubServer, site: Path) -> str:
    username, password = f"staff-{uuid.uuid4().hex[:6]}", uuid.uuid4().hex
    command = [HUBTWIN, "accounts", "--data-dir", str(hub.data_dir), "add", username]
    done = subprocess.run(
        [*command, "--name", "Staff", "--role", "staff", "--password-stdin", "--site", str(site)],
        input=password.encode(),
        check=True,
        cwd=PROJECT_ROOT,
        capture_output=True,
    )
    # a command that changes data names the site it changed
    assert "emscher" in done.stderr.decode() and not leaks(done.stderr.decode())
    session = post(hub, "/api/session", {"username": username, "password": password})
    return str(session["token"])


def test_pages_config_downloads_and_model_show_only_the_second_site(
    hub: HubServer, site: Path
) -> None:
    page, _ = get(hub, "/")
    html = page.decode()
    assert leaks(html) == []
    assert f"<title>{NAME} – Digitaler Zwilling</title>" in html
    assert f'<meta property="og:site_name" content="{NAME}">' in html
    assert f'<meta property="og:title" content="{NAME} – Digitaler Zwilling">' in html
    assert f'<meta name="theme-color" content="{PRIMARY}">' in html
    assert f"--accent: {ACCENT}" in html and f'class="brand-name">{NAME}</p>' in html

    config_body, _ = get(hub, "/api/config")
    config = json.loads(config_body)
    assert leaks(config_body.decode()) == []
    assert config["site"]["accent_colour"] == ACCENT
    manifest, _ = get(hub, "/manifest.webmanifest")
    assert leaks(manifest.decode()) == []

    guest = post(hub, "/api/session", {"name": "Ada"})
    token = guest["token"]
    stations = json.loads(get(hub, "/api/stations", token)[0])
    station = stations["stations"][0]["id"]
    post(hub, f"/api/stations/{station}/open", {}, token)

    staff = staff_token(hub, site)
    planned = post(
        hub,
        "/api/workshops",
        {"title": "Klimawerkstatt", "room": "lab", "starts": time.time() + 3600, "minutes": 60,
         "seats": 12, "force": True},
        staff,
    )["id"]  # fmt: skip
    for path, token_used in (
        ("/api/me/export", token),
        ("/api/me/stations/summary?lang=de", token),
        ("/api/me/stations/summary?lang=en", token),
        ("/api/station-progress/export.csv", staff),
        *((f"/api/workshops/{planned}/{file}", staff) for file in WORKSHOP_FILES),
    ):
        body, headers = get(hub, path, token_used)
        disposition = headers["Content-Disposition"]
        assert leaks(disposition) == [], path
        assert 'filename="klimawerk-emscher-' in disposition, (path, disposition)
        assert leaks(body.decode()) == [], path
    summary, _ = get(hub, "/api/me/stations/summary?lang=de", token)
    assert summary.decode().startswith(f"{NAME} – Lernpass von Ada")

    glb, _ = get(hub, "/world/hub.glb")
    assert leaks(glb.decode("latin-1")) == [] and leaks(glb.decode("utf-8", "replace")) == []
    length = struct.unpack("<I", glb[12:16])[0]
    model = json.loads(glb[20 : 20 + length])
    colours = {
        m["name"]: m["pbrMetallicRoughness"]["baseColorFactor"][:3] for m in model["materials"]
    }
    assert colours["brand-green"] == pytest.approx(hex_to_linear(PRIMARY))
    assert colours["brand-yellow"] == pytest.approx(hex_to_linear(ACCENT))
    default_colours = [
        hex_to_linear(DEFAULT.branding.primary_colour),
        hex_to_linear(DEFAULT.branding.accent_colour),
    ]
    for name, colour in colours.items():
        assert all(colour != pytest.approx(c) for c in default_colours), name


def test_the_browser_draws_with_the_sites_accent(browser: Browser, hub: HubServer) -> None:
    group = Visitors(browser, hub)
    try:
        visitor = group.open("Ada")
        page = visitor.page
        accent = page.evaluate(
            "getComputedStyle(document.documentElement).getPropertyValue('--accent').trim()"
        )
        assert accent.lower() == ACCENT
        from_module = page.evaluate(
            "import('/app/js/ui/theme.js').then((theme) => theme.siteColour('accent'))"
        )
        assert from_module == ACCENT
        button = page.evaluate(
            "getComputedStyle(document.getElementById('enter-button')).backgroundColor"
        )
        red, green, blue = (int(PRIMARY[i : i + 2], 16) for i in (1, 3, 5))
        assert button == f"rgb({red}, {green}, {blue})"
        assert page.title().startswith(NAME)
        assert group.problems() == []
    finally:
        group.close()
