"""A visitor in a real browser walks up the stairs of a two-storey hub by click-to-walk.

``hubtwin serve --site`` runs the two-storey test site (tests/fixtures/two-storey-hub: a
hall with stairs rising north through the floor of the studio above it). The visitor starts
in the hall; click-to-walk to a spot of the studio finds the way across the stairs, the
camera climbs with the steps, the server takes the visitor into the studio, a second
person's connection sees the visitor up there, and the site plan shows the upper floor.
"""

from __future__ import annotations

import json
import math
import shutil
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgpack
import pytest
from conftest import HubServer, Visitors, running_hub
from websockets.sync.client import connect

from server.app.smoke_check import websocket_address
from server.base.identity import Identity, Role
from server.base.tokens import TokenSigner
from server.protocol.table import decode_snapshot

pytestmark = pytest.mark.e2e

TWO_STOREYS = Path(__file__).parents[1] / "fixtures" / "two-storey-hub"
UPSTAIRS = (10.0, 3.2, 3.0)  # x, y, z of a spot in the studio, away from its spawn points


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubServer]:
    site = tmp_path_factory.mktemp("site") / "two-storey-hub"
    shutil.copytree(TWO_STOREYS, site)
    data_dir = tmp_path_factory.mktemp("hub-data")
    with running_hub(data_dir, "--site", str(site)) as server:
        yield server


def _seen_upstairs(hub: HubServer, name: str) -> list[tuple[float, float, float]]:
    """Positions the server sends a guest who joins the studio: everyone there but itself."""
    with urllib.request.urlopen(hub.url + "api/config") as response:
        config = json.loads(response.read())
    secret = (hub.data_dir / "secret.key").read_text(encoding="ascii").strip()
    token = TokenSigner(secret).issue(
        Identity(f"g-{name}", name, Role.VISITOR, guest=True), ttl_s=600, now=time.time()
    )
    hello = {
        "t": "hello",
        "v": config["protocol_version"],
        "token": token,
        "lang": "de",
        "appearance": {"color": "#1f5fae", "shape": "cube"},
        "room": "studio",
    }
    grid: dict[str, Any] | None = None
    own: int | None = None
    with connect(websocket_address(hub.url, config["ws_url"]), open_timeout=10) as ws:
        ws.send(msgpack.packb(hello))
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            frame = ws.recv(timeout=10)
            assert isinstance(frame, bytes)
            if frame[:1] != b"S":
                message = msgpack.unpackb(frame)
                if message.get("t") == "welcome":
                    grid = message["grid"]
                elif message.get("t") == "joined":
                    assert message["room"] == "studio"
                    own = message["you"]
                continue
            if grid is None:
                continue
            snapshot = decode_snapshot(frame)
            if not snapshot.full:
                continue
            (ox, oy, oz), step = grid["origin"], grid["step"]
            return [
                (ox + int(e["x"]) * step, oy + int(e["y"]) * step, oz + int(e["z"]) * step)
                for e in snapshot.entries
                if own is None or int(e["net"]) != own
            ]
    raise AssertionError("no full snapshot of the studio arrived")


def test_click_to_walk_climbs_the_stairs_to_the_upper_floor(
    visitors: Visitors, hub: HubServer
) -> None:
    ada = visitors.new("Ada")
    start = ada.state()
    assert start["room"] == "hall" and start["position"]["y"] == pytest.approx(0.0)
    ada.page.evaluate("() => window.hubtwin.lookAt(14, 5)")
    ada.frames(3)
    ada.screenshot("two-storeys-stairs.png")
    ada.page.click("#toggle-rooms")
    ada.wait_for("s.map && s.map.floor === 'eg'")
    assert "studio" not in ada.state()["map"]["rooms"]

    x, y, z = UPSTAIRS
    walk: dict[str, Any] = ada.page.evaluate(
        "([x, z, y]) => window.hubtwin.walkTo(x, z, y)", [x, z, y]
    )
    assert walk["arrived"], (walk, ada.state()["corrections"])
    here = walk["position"]
    assert here["y"] == pytest.approx(3.2, abs=0.01)
    assert math.hypot(here["x"] - x, here["z"] - z) < 0.6

    # the server decided: the visitor is in the studio, standing on its floor
    ada.wait_for("s.room === 'studio'", timeout_ms=10000)
    assert ada.state()["corrections"] == []
    ada.wait_for("s.map.floor === 'og'")
    assert ada.state()["map"]["rooms"] == ["studio"]
    seen = _seen_upstairs(hub, "Ben")
    near = [p for p in seen if math.hypot(p[0] - here["x"], p[2] - here["z"]) < 0.3]
    assert near and near[0][1] == pytest.approx(3.2, abs=0.02), seen
    ada.screenshot("two-storeys-upstairs.png")

    # and back down: a click on the hall's floor below leads down the same stairs
    walk = ada.page.evaluate("([x, z, y]) => window.hubtwin.walkTo(x, z, y)", [7.0, 7.0, 0.0])
    assert walk["arrived"], walk
    assert walk["position"]["y"] == pytest.approx(0.0, abs=0.01)
    ada.wait_for("s.room === 'hall'", timeout_ms=10000)
