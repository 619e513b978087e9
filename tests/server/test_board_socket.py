"""The workshop board on real sockets: a started hub (``start_hub``) on a copy of the
Dortmund site, people on the realtime endpoint and the REST API. Who may do what, notes
edited only by their author, the lock and a mute, the limits, a restart that keeps the
board, breakout boards merged into the main room's, the exports field by field, and a
person's data export and erasure."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import shutil
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import msgpack
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from server.app.assembly import RunningHub, start_hub
from server.base.identity import Role
from server.base.settings import Settings
from server.protocol import table as protocol
from server.workshop.attendance import person_key
from world.site import DEFAULT_SITE, PROJECT_ROOT

BUILT_WORLD = PROJECT_ROOT / "var" / "oekohub-dortmund" / "world"
PASSWORD = "ein-langes-passwort"
SECRET = "board-test-secret-long-enough-for-keys"


class Person:
    """Someone on the realtime endpoint who reads every frame as it comes."""

    def __init__(self, ws: ClientConnection, session: str) -> None:
        self.ws = ws
        self.session = session
        self.messages: list[dict[str, Any]] = []
        self.arrived = asyncio.Event()
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for frame in self.ws:
                if isinstance(frame, bytes) and frame[0] != protocol.SNAPSHOT_TAG:
                    message = protocol.decode_server(frame)
                    protocol.validate_server(message)
                    self.messages.append(message)
                    self.arrived.set()

    async def send(self, kind: str, **fields: Any) -> None:
        await self.ws.send(msgpack.packb({"t": kind, **fields}))

    async def next(self, kind: str, timeout: float = 20.0, **match: Any) -> dict[str, Any]:
        """The first message of this kind (whose fields match) not taken yet."""
        deadline = time.monotonic() + timeout
        while True:
            for index, message in enumerate(self.messages):
                if message["t"] == kind and all(message.get(k) == v for k, v in match.items()):
                    return self.messages.pop(index)
            left = deadline - time.monotonic()
            if left <= 0 or self.reader.done():
                kinds = [m["t"] for m in self.messages]
                raise AssertionError(f"no {kind} {match} within {timeout} s; got {kinds}")
            self.arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.arrived.wait(), min(left, 0.5))

    async def refused(self, kind: str, **fields: Any) -> str:
        """Send a message and return the error code it is answered with."""
        await self.send(kind, **fields)
        return str((await self.next("error", about=kind))["code"])

    async def board(self, **match: Any) -> dict[str, Any]:
        """The next board_state with a board (matching ``match``)."""
        while True:
            state = (await self.next("board_state"))["board"]
            if state is not None and all(state.get(k) == v for k, v in match.items()):
                return dict(state)

    async def close(self) -> None:
        await self.ws.close()
        self.reader.cancel()
        with contextlib.suppress(asyncio.CancelledError, ConnectionClosed):
            await self.reader


class Hub:
    def __init__(self, running: RunningHub, http: aiohttp.ClientSession) -> None:
        self.running = running
        self.http = http

    @property
    def base(self) -> str:
        return self.running.url.rstrip("/")

    async def call(
        self, method: str, path: str, token: str | None, body: dict[str, Any] | None = None
    ) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with self.http.request(method, self.base + path, json=body, headers=headers) as r:
            text = await r.text()
            return r.status, (await r.json()) if r.content_type == "application/json" else text

    async def token(self, **body: str) -> str:
        async with self.http.post(self.base + "/api/session", json=body) as response:
            assert response.status == 200, await response.text()
            return str((await response.json())["token"])

    async def enter(self, token: str, room: str = "workshop") -> Person:
        async with self.http.get(self.base + "/api/config") as response:
            ws_url = (await response.json())["ws_url"]
        ws = await connect(ws_url, compression=None, max_size=None, close_timeout=1)
        hello = {
            "t": "hello",
            "v": protocol.PROTOCOL_VERSION,
            "token": token,
            "lang": "de",
            "appearance": {"color": "#336699", "shape": "capsule"},
        }
        await ws.send(msgpack.packb(hello))
        first = protocol.decode_server(await ws.recv())
        assert first["t"] == "welcome", first
        who = Person(ws, str(first["session"]))
        await who.next("joined")
        if room:
            await who.send("go", room=room)
            await who.next("joined")
        return who


async def open_running(settings: Settings, http: aiohttp.ClientSession) -> Hub:
    running = await start_hub(settings)
    return Hub(running, http)


@pytest.fixture
async def hub(tmp_path: Path) -> AsyncIterator[Hub]:
    site = Path(shutil.copytree(DEFAULT_SITE, tmp_path / "site"))
    data = tmp_path / "data"
    if (BUILT_WORLD / "hub.glb").is_file():
        shutil.copytree(BUILT_WORLD, data / "world")
    settings = Settings(
        site=site,
        data_dir=data,
        http_port=0,
        ws_port=0,
        secret=SECRET,
        log_level="warning",
    )
    async with aiohttp.ClientSession() as http:
        made = await open_running(settings, http)
        for username, role in (("mara", Role.FACILITATOR), ("otto", Role.FACILITATOR)):
            await made.running.store.create_account(username, PASSWORD, role, username.title())
        try:
            yield made
        finally:
            await made.running.close()


async def running_workshop(hub: Hub) -> tuple[str, str, Person]:
    """A workshop in the workshop room that began a minute ago, started by Mara; her token,
    the workshop id and Mara on the endpoint (at the board)."""
    mara = await hub.token(username="mara", password=PASSWORD)
    status, made = await hub.call(
        "POST",
        "/api/workshops",
        mara,
        {
            "title": "Klimabilanz im Betrieb",
            "room": "workshop",
            "starts": time.time() - 60,
            "minutes": 120,
            "force": True,
        },
    )
    assert status == 201 or status == 200, made
    workshop_id = made["id"]
    leader = await hub.enter(mara)
    await leader.send("workshop_start", workshop=workshop_id)
    board = await leader.board(workshop=workshop_id)
    assert board["you_lead"] is True and board["columns"] == [
        "Ideen",
        "Maßnahmen",
        "Nächste Schritte",
    ]
    return mara, workshop_id, leader


async def test_notes_go_out_live_and_only_their_author_edits_them(hub: Hub) -> None:
    _, workshop_id, mara = await running_workshop(hub)
    ada = await hub.enter(await hub.token(name="Ada"))
    bo = await hub.enter(await hub.token(name="Bo"))
    for person in (ada, bo):
        assert (await person.board(workshop=workshop_id))["you_lead"] is False
    await ada.send("board_add", column=1, text="<script>alert(1)</script> LED-Umrüstung")
    for person in (ada, bo, mara):
        got = await person.next("board_note")
        assert got["note"]["text"] == "<script>alert(1)</script> LED-Umrüstung"
        assert (got["note"]["by"], got["note"]["mine"]) == ("Ada", person is ada)
    note = got["id"]
    assert await bo.refused("board_edit", note=note, text="von Bo") == "board_not_yours"
    assert await bo.refused("board_delete", note=note) == "board_not_yours"
    assert await bo.refused("board_setup", locked=True) == "not_facilitator"
    assert await bo.refused("board_merge") == "not_facilitator"
    await ada.send("board_edit", note=note, text="LED überall")
    assert (await bo.next("board_note"))["note"]["text"] == "LED überall"
    await bo.send("board_vote", note=note, on=True)
    voted = await bo.next("board_note")
    assert (voted["note"]["dots"], voted["note"]["voted"], voted["dots_left"]) == (1, True, 4)
    seen = await ada.next("board_note", id=note)  # the edit
    seen = await ada.next("board_note", id=note)
    assert (seen["note"]["dots"], seen["note"]["voted"], seen["dots_left"]) == (1, False, 5)
    await bo.send("board_move", note=note, column=2)
    assert (await ada.next("board_note", id=note))["note"]["column"] == 2
    # limits: too long, an unknown column, a field of the wrong kind
    assert await ada.refused("board_add", column=0, text="x" * 281) == "board_text_too_long"
    assert await ada.refused("board_add", column=4, text="wohin") == "board_column_unknown"
    await ada.send("board_add", column="eins", text="kaputt")
    assert (await ada.next("error"))["code"] == "bad_field"
    # the lock and hidden authors
    await mara.send("board_setup", locked=True, authors_shown=False)
    state = await bo.board(locked=True)
    assert state["notes"][0]["by"] is None and state["authors_shown"] is False
    assert (await ada.board(locked=True))["notes"][0]["by"] == "Ada"  # her own
    assert (await mara.board(locked=True))["notes"][0]["by"] == "Ada"
    assert await ada.refused("board_add", column=0, text="gesperrt") == "board_locked"
    assert await bo.refused("board_vote", note=note, on=False) == "board_locked"
    await mara.send("board_setup", locked=False)
    await ada.board(locked=False)
    # a mute
    await mara.send("mute", session=ada.session, on=True)
    await ada.next("moderated")
    assert await ada.refused("board_add", column=0, text="stumm") == "board_muted"
    assert await ada.refused("board_edit", note=note, text="stumm") == "board_muted"
    await bo.send("board_add", column=0, text="Bo darf")
    assert (await ada.next("board_note", index=1))["note"]["text"] == "Bo darf"
    for person in (ada, bo, mara):
        await person.close()


async def test_the_board_survives_a_restart(hub: Hub) -> None:
    _, workshop_id, mara = await running_workshop(hub)
    ada_token = await hub.token(name="Ada")
    ada = await hub.enter(ada_token)
    await ada.board(workshop=workshop_id)
    await ada.send("board_add", column=0, text="Photovoltaik aufs Dach")
    note = (await ada.next("board_note"))["id"]
    await mara.send("board_setup", columns=["Idee", "Umsetzung"], dots=3)
    await ada.board(dots=3)
    await ada.send("board_vote", note=note, on=True)
    await ada.next("board_note")
    await ada.close()
    await mara.close()
    settings = hub.running.settings
    await hub.running.close()
    hub.running = await start_hub(settings)
    ada = await hub.enter(ada_token)
    board = await ada.board(workshop=workshop_id)
    assert (board["columns"], board["dots"], board["dots_left"]) == (["Idee", "Umsetzung"], 3, 2)
    assert [(n["id"], n["text"], n["mine"], n["dots"]) for n in board["notes"]] == [
        (note, "Photovoltaik aufs Dach", True, 1)
    ]
    await ada.send("board_add", column=1, text="nach dem Neustart")
    assert (await ada.next("board_note"))["id"] != note  # ids go on, never reused
    await ada.close()


async def test_breakout_boards_are_merged_and_exported_field_by_field(hub: Hub) -> None:
    mara_token, workshop_id, mara = await running_workshop(hub)
    ada = await hub.enter(await hub.token(name="Ada"))
    bo = await hub.enter(await hub.token(name="=Bo"))
    await ada.board(workshop=workshop_id)
    await bo.board(workshop=workshop_id)
    await mara.send("board_add", column=0, text="Ziel: -20 % CO2")
    await ada.next("board_note")
    await bo.next("board_note")
    await mara.send(
        "breakout", groups=2, mode="chosen", minutes=10, assign=[[ada.session], [bo.session]]
    )
    assert (await ada.board(group=0))["notes"] == []
    assert (await bo.board(group=1))["notes"] == []
    await ada.send("board_add", column=1, text="Heizung tauschen\nnoch 2025")
    ada_note = (await ada.next("board_note"))["id"]
    await ada.send("board_label", note=ada_note, label="Wärme")
    assert (await ada.next("board_note"))["note"]["label"] == "Wärme"
    await bo.send("board_add", column=2, text="*Dienstrad* für alle")
    bo_note = (await bo.next("board_note"))["id"]
    await bo.send("board_vote", note=bo_note, on=True)
    assert (await bo.next("board_note", id=bo_note))["note"]["dots"] == 1
    assert (await mara.board(group=-1, in_groups=2))["notes"][0]["text"] == "Ziel: -20 % CO2"
    await mara.send("breakout_recall")
    await ada.board(group=-1)
    await mara.send("board_merge")
    board = await bo.board(group=-1, in_groups=0)
    assert [(n["text"], n["origin"], n["by"], n["dots"]) for n in board["notes"]] == [
        ("Ziel: -20 % CO2", -1, "Mara", 0),
        ("Heizung tauschen\nnoch 2025", 0, "Ada", 0),
        ("*Dienstrad* für alle", 1, "=Bo", 1),
    ]
    # exports: the workshop's facilitators only
    status, _ = await hub.call("GET", f"/api/workshops/{workshop_id}/board.csv", None)
    assert status == 401
    visitor = await hub.token(name="Neugierig")
    status, _ = await hub.call("GET", f"/api/workshops/{workshop_id}/board.csv", visitor)
    assert status == 403
    otto = await hub.token(username="otto", password=PASSWORD)
    status, _ = await hub.call("GET", f"/api/workshops/{workshop_id}/board.md", otto)
    assert status == 403
    status, _ = await hub.call("GET", "/api/workshops/nope/board.md", mara_token)
    assert status == 404
    status, text = await hub.call("GET", f"/api/workshops/{workshop_id}/board.csv", mara_token)
    assert status == 200
    rows = list(csv.reader(io.StringIO(text)))
    key = person_key(SECRET)
    ids = {p: hub.running.realtime.core.sessions[s.session].identity.id for p, s in
           (("mara", mara), ("ada", ada), ("bo", bo))}  # fmt: skip
    assert rows[0] == [
        "Nr / No",
        "Pinnwand / Board",
        "Spalte / Column",
        "Gruppe von Zetteln / Cluster",
        "Text",
        "Punkte / Dots",
        "Von / By",
        "Kennung / Key",
        "Geschrieben in / Written in",
        "Geschrieben (Europe/Berlin) / Written (Europe/Berlin)",
        "Geändert (Europe/Berlin) / Edited (Europe/Berlin)",
    ]
    main, group1, group2 = "Hauptraum / Main room", "Gruppe 1 / Group 1", "Gruppe 2 / Group 2"
    assert [[*row[:9], row[10]] for row in rows[1:]] == [
        ["1", main, "Ideen", "", "Ziel: -20 % CO2", "0", "Mara", key(ids["mara"]), main, ""],
        ["2", main, "Maßnahmen", "Wärme", "Heizung tauschen\nnoch 2025", "0", "Ada",
         key(ids["ada"]), group1, ""],
        ["3", main, "Nächste Schritte", "", "*Dienstrad* für alle", "1", "'=Bo",
         key(ids["bo"]), group2, ""],
    ]  # fmt: skip
    assert all(len(row[9]) == 19 and row[9][:2] == "20" for row in rows[1:])
    status, markdown = await hub.call("GET", f"/api/workshops/{workshop_id}/board.md", mara_token)
    assert status == 200
    assert markdown.startswith("# Pinnwand / Board: Klimabilanz im Betrieb\n")
    assert "## Hauptraum / Main room" in markdown and "### Nächste Schritte" in markdown
    assert "- \\*Dienstrad\\* für alle  \n  _1 Punkte / dots · \\=Bo" not in markdown
    assert "- \\*Dienstrad\\* für alle  \n  _1 Punkte / dots · =Bo (" in markdown
    assert "aus / from Gruppe 2 / Group 2_" in markdown
    assert "- Heizung tauschen\n  noch 2025  \n  _Gruppe / cluster: Wärme · 0 Punkte" in markdown
    assert "Ziel: \\-20 % CO2" in markdown
    for person in (ada, bo, mara):
        await person.close()


async def test_a_persons_notes_are_in_their_data_export_and_go_with_their_erasure(
    hub: Hub,
) -> None:
    _, workshop_id, mara = await running_workshop(hub)
    ada_token = await hub.token(name="Ada")
    ada = await hub.enter(ada_token)
    bo = await hub.enter(await hub.token(name="Bo"))
    await bo.board(workshop=workshop_id)
    await ada.send("board_add", column=0, text="Ökostrom-Tarif")
    note = (await bo.next("board_note"))["id"]
    await bo.send("board_add", column=0, text="Bo bleibt")
    bo_note = (await bo.next("board_note"))["id"]
    await ada.send("board_vote", note=bo_note, on=True)
    await bo.next("board_note", id=bo_note)
    store = hub.running.store
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # written within half a second
        kept = (await store.live_states("board")).get(workshop_id)
        if kept and any(n["voters"] for n in kept["boards"]["-1"]):
            break
        await asyncio.sleep(0.1)
    status, mine = await hub.call("GET", "/api/me/export", ada_token)
    assert status == 200
    assert mine["board_notes"] == [
        {"workshop": workshop_id, "group": -1, "column": "Ideen", "text": "Ökostrom-Tarif",
         "wrote": True, "dot": False, "created": mine["board_notes"][0]["created"]},
        {"workshop": workshop_id, "group": -1, "column": "Ideen", "text": None,
         "wrote": False, "dot": True, "created": None},
    ]  # fmt: skip
    status, _ = await hub.call("DELETE", "/api/me", ada_token)
    assert status == 200
    board = await bo.board(workshop=workshop_id)
    assert [(n["id"], n["dots"]) for n in board["notes"]] == [(bo_note, 0)]
    kept = (await store.live_states("board"))[workshop_id]
    texts = [n["text"] for n in kept["boards"]["-1"]]
    assert "Ökostrom-Tarif" not in texts and texts == ["Bo bleibt"]
    assert all(n["voters"] == [] for n in kept["boards"]["-1"])
    await bo.send("board_add", column=1, text="später")  # a later write of the board
    later = (await bo.next("board_note", index=1))["id"]
    deadline = time.monotonic() + 10
    while later not in [n["id"] for n in kept["boards"]["-1"]]:
        assert time.monotonic() < deadline, "the board was not written again"
        await asyncio.sleep(0.1)
        kept = (await store.live_states("board"))[workshop_id]
    assert note not in [n["id"] for n in kept["boards"]["-1"]]  # and it did not come back
    for person in (bo, mara):
        await person.close()
