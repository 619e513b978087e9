"""The command line and the staff edit API (the browser's edit mode) do the same work: the
same edits on two copies of the Dortmund site, one by ``hubtwin`` and one over HTTP on a
real hub, leave the same layout file, the same diff and the same checks; a model file sent
to the import endpoint lands in the library as ``hubtwin assets import`` puts it there, and
a file the import refuses is refused over HTTP with the command line's sentence."""

from __future__ import annotations

import io
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest
import trimesh

from server.app.assembly import RunningHub, start_hub
from server.app.cli import main
from server.base.identity import Role
from server.base.settings import Settings
from world.site import DEFAULT_SITE, PROJECT_ROOT

BUILT_WORLD = PROJECT_ROOT / "var" / "oekohub-dortmund" / "world"
PASSWORD = "ein-langes-passwort"

#: (command line, HTTP path, HTTP body): the same edit both ways.
EDITS: list[tuple[list[str], str, dict[str, Any]]] = [
    (
        [
            *("world", "add", "station", "--room", "lab", "--at", "6,3", "--yaw", "north"),
            *("--title", "de=Wasser", "--title", "en=Water"),
        ],
        "add",
        {
            "kind": "station",
            "room": "lab",
            "at": [6, 3],
            "facing": 180,
            "title": {"de": "Wasser", "en": "Water"},
        },
    ),
    (
        ["world", "add", "screen", "--room", "lounge", "--at", "13,0.6", "--size", "2,1.2"],
        "add",
        {"kind": "screen", "room": "lounge", "at": [13, 0.6], "size": [2, 1.2]},
    ),
    (
        ["world", "move", "lab-plant-1", "--room", "lounge", "--at", "2,6"],
        "move",
        {"id": "lab-plant-1", "room": "lounge", "at": [2, 6]},
    ),
    (["world", "move", "lab-7", "--to-wall"], "move", {"id": "lab-7", "to_wall": True}),
    (
        ["world", "place", "crate", "--room", "lab", "--at", "6,10", "--yaw", "east"],
        "place",
        {"asset": "crate", "room": "lab", "at": [6, 10], "facing": 90},
    ),
    (["world", "remove", "lab-plant-2"], "remove", {"id": "lab-plant-2"}),
    (
        [
            *("world", "add", "sign", "--room", "lab", "--at", "3,0.5", "--width", "2"),
            *("--title", "de=Versuchslabor", "--title", "en=Test lab"),
        ],
        "add",
        {
            "kind": "sign",
            "room": "lab",
            "at": [3, 0.5],
            "width": 2,
            "title": {"de": "Versuchslabor", "en": "Test lab"},
        },
    ),
    (
        ["world", "move", "lab-sign-1", "--at", "0.5,7", "--yaw", "east"],
        "move",
        {"id": "lab-sign-1", "at": [0.5, 7], "facing": 90},
    ),
]


def crate_glb(path: Path) -> Path:
    """A 0.8 x 0.6 x 0.5 m box, as a designer's file."""
    box = trimesh.creation.box(extents=(0.8, 0.6, 0.5))
    path.write_bytes(box.export(file_type="glb"))
    return path


class Hub:
    def __init__(self, running: RunningHub, http: aiohttp.ClientSession, token: str) -> None:
        self.running = running
        self.http = http
        self.base = running.url.rstrip("/")
        self.headers = {"Authorization": f"Bearer {token}"}

    async def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        async with self.http.request(
            method, f"{self.base}/api/world/{path}", json=body, headers=self.headers
        ) as response:
            return response.status, await response.json()

    async def send_file(self, data: bytes, **query: str) -> tuple[int, Any]:
        async with self.http.post(
            f"{self.base}/api/world/import", data=data, params=query, headers=self.headers
        ) as response:
            return response.status, await response.json()


@pytest.fixture
async def hub(tmp_path: Path) -> AsyncIterator[Hub]:
    site = Path(shutil.copytree(DEFAULT_SITE, tmp_path / "api-site"))
    data = tmp_path / "api-data"
    if (BUILT_WORLD / "hub.glb").is_file():
        shutil.copytree(BUILT_WORLD, data / "world")
    settings = Settings(
        site=site,
        data_dir=data,
        http_port=0,
        ws_port=0,
        secret="world-edit-parity-secret-long-enough",
        log_level="warning",
    )
    running = await start_hub(settings)
    await running.store.create_account("chefin", PASSWORD, Role.STAFF, "Chefin")
    async with aiohttp.ClientSession() as http:
        async with http.post(
            running.url.rstrip("/") + "/api/session",
            json={"username": "chefin", "password": PASSWORD},
        ) as response:
            token = str((await response.json())["token"])
        try:
            yield Hub(running, http, token)
        finally:
            await running.close()


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    code = main([*args, "--json"])
    return code, orjson.loads(capsys.readouterr().out)


async def test_the_same_edits_both_ways_leave_the_same_draft(
    hub: Hub, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site = Path(shutil.copytree(DEFAULT_SITE, tmp_path / "cli-site"))
    where = ["--site", str(site)]
    data = ["--data-dir", str(tmp_path / "cli-data")]
    model = crate_glb(tmp_path / "Crate.glb")

    code, imported = cli(capsys, "assets", "import", str(model), "--name", "crate", *where)
    assert code == 0, imported
    status, sent = await hub.send_file(model.read_bytes(), file="Crate.glb", name="crate")
    assert status == 200, sent
    for key in ("name", "size_m", "triangles", "materials", "bytes", "khronos_result"):
        assert sent[key] == imported[key], key

    for command, path, body in EDITS:
        code, by_cli = cli(capsys, *command, *where)
        status, by_api = await hub.call("POST", path, body)
        assert code == 0 and status == 200, (command, by_cli, by_api)
        by_api.pop("history")
        by_cli.pop("ok")
        assert by_api == by_cli, command

    api_site = hub.running.settings.site
    assert (Path(api_site) / "layout.toml").read_text(encoding="utf-8") == (
        site / "layout.toml"
    ).read_text(encoding="utf-8")
    code, cli_diff = cli(capsys, "world", "diff", *where, *data)
    status, api_diff = await hub.call("GET", "diff")
    assert code == 0 and status == 200
    assert api_diff["changes"] == cli_diff["changes"] and len(api_diff["changes"]) == 6
    code, cli_checks = cli(capsys, "world", "check", *where)
    status, api_checks = await hub.call("GET", "check")
    assert api_checks["checks"] == cli_checks["checks"]
    assert {c["id"] for c in api_checks["checks"]} >= {
        "lab-7",
        "lounge-screen-1",
        "crate-1",
        "lab-sign-1",
    }
    status, signs = await hub.call("GET", "items?kind=sign")
    assert status == 200 and len(signs["items"]) == 1
    sign = signs["items"][0]
    assert (sign["room"], sign["facing"], sign["size"]) == ("lab", 90.0, [2.0, 0.5])
    assert sign["name"] == "Versuchslabor" and sign["at"][0] < 0.5  # hung on the west wall


async def test_a_refused_import_says_what_the_command_line_says(
    hub: Hub, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site = Path(shutil.copytree(DEFAULT_SITE, tmp_path / "cli-site"))
    huge = trimesh.creation.box(extents=(80.0, 2.0, 2.0))  # 80 m: a unit mistake
    model = tmp_path / "hall.glb"
    model.write_bytes(huge.export(file_type="glb"))
    code, by_cli = cli(capsys, "assets", "import", str(model), "--site", str(site))
    status, by_api = await hub.send_file(model.read_bytes(), file="hall.glb")
    assert code == 5 and status == 422 and by_api["error"]["code"] == "over_budget"
    assert by_api["error"]["message"] == by_cli["error"].replace(str(model), "hall.glb")

    status, empty = await hub.send_file(b"", file="leer.glb")
    assert status == 422 and empty["error"]["code"] == "input_file"
    assert "leer.glb" in empty["error"]["message"] and "/tmp" not in empty["error"]["message"]
    status, nameless = await hub.send_file(io.BytesIO(b"x").getvalue())
    assert status == 400 and "'file' is missing" in nameless["error"]["message"]
