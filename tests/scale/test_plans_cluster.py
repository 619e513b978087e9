"""Teams' plans with two real ``hubtwin serve --redis`` processes and a real redis-server: a
team made through one process is read, joined and changed through the other, and someone
watching the plan over the WebSocket on one process gets a change made through the other
(the watched teams are read again every ``REFRESH_S``); a member whose process has not read
the team yet is answered after its next read; a stranger gets ``team_unknown``."""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
from typing import Any

from hub_processes import HubProcess, Visitor, token


def call(hub: HubProcess, method: str, path: str, who: str, body: Any = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(hub.http_url.rstrip("/") + path, data=data, method=method)
    request.add_header("Authorization", f"Bearer {who}")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


async def test_a_plan_changed_through_one_process_reaches_a_watcher_on_the_other(
    two: list[HubProcess],
) -> None:
    ada, bob, eve = token("Ada"), token("Bob"), token("Eve")
    status, team = call(two[0], "POST", "/api/teams", ada, {"name": "Grüne Backstube"})
    assert status == 201
    tid = team["id"]
    status, joined = call(two[1], "POST", f"/api/teams/{tid}/join", bob, {"link": team["link"]})
    assert status == 200 and [m["name"] for m in joined["members"]] == ["Ada", "Bob"]
    assert call(two[1], "GET", f"/api/teams/{tid}", eve)[0] == 404

    watcher, stranger = Visitor("Bob", token=bob), Visitor("Eve", token=eve)
    try:
        await watcher.enter(two[0].ws_url, room="entrance")
        await stranger.enter(two[0].ws_url, room="entrance")
        await stranger.send("plan_watch", team=tid)
        assert (await stranger.next(("error",)))["code"] == "team_unknown"
        await watcher.send("plan_watch", team=tid)
        state = await watcher.next(("plan_state", "error"))
        assert state["t"] == "plan_state", state
        assert state["plan"]["measures"] == []
        # the change goes through the process the watcher is not connected to
        here = next(i for i, hub in enumerate(two) if watcher.url == hub.ws_url)
        other = two[1 - here]
        status, _ = await asyncio.to_thread(
            call, other, "POST", f"/api/teams/{tid}/measures", ada, {"title": "LED"}
        )
        assert status == 201
        state = await watcher.next(("plan_state",), team=tid, timeout_s=10)
        assert [m["title"] for m in state["plan"]["measures"]] == ["LED"]
        assert not [m for m in stranger.messages if m.get("t") == "plan_state"]
    finally:
        await watcher.close()
        await stranger.close()
