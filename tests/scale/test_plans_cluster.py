"""Teams' plans with two real ``hubtwin serve --redis`` processes and a real redis-server: a
team made through one process is read, joined and changed through the other, and someone
watching the plan over the WebSocket on one process gets a change made through the other
(the watched teams are read again every ``REFRESH_S``); a member whose process has not read
the team yet is answered after its next read; a stranger gets ``team_unknown``. Members
changing one team at the same time through both processes lose none of their changes (each
change is one atomic read-modify-write of the team in the store)."""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
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


def test_measures_added_at_once_through_both_processes_are_all_kept(
    two: list[HubProcess],
) -> None:
    lead, members = token("Ada"), [token("Bob"), token("Cem"), token("Dana")]
    status, team = call(two[0], "POST", "/api/teams", lead, {"name": "Grüne Backstube"})
    assert status == 201
    tid = team["id"]
    for n, member in enumerate(members):
        status, _ = call(
            two[n % 2], "POST", f"/api/teams/{tid}/join", member, {"link": team["link"]}
        )
        assert status == 200
    # 3 members x 25 measures (within the per-person burst), every other one through the
    # other process, all at once; the lead renames the team meanwhile, through both
    adds = [
        (two[(n + m) % 2], member, f"Maßnahme {m}-{n}")
        for n in range(25)
        for m, member in enumerate(members)
    ]
    renames = [(two[n % 2], f"Grüne Backstube {n}") for n in range(10)]

    def add(hub: HubProcess, who: str, title: str) -> tuple[int, Any]:
        return call(hub, "POST", f"/api/teams/{tid}/measures", who, {"title": title})

    def rename(hub: HubProcess, name: str) -> tuple[int, Any]:
        return call(hub, "PATCH", f"/api/teams/{tid}", lead, {"name": name})

    with ThreadPoolExecutor(max_workers=16) as pool:
        added = [pool.submit(add, *job) for job in adds]
        renamed = [pool.submit(rename, *job) for job in renames]
        answers = [f.result() for f in added]
        names = [f.result() for f in renamed]
    assert [status for status, _ in answers] == [201] * len(adds), answers
    assert [status for status, _ in names] == [200] * len(renames), names

    for hub in two:
        status, plan = call(hub, "GET", f"/api/teams/{tid}", lead)
        assert status == 200
        kept = sorted(m["title"] for m in plan["measures"])
        assert kept == sorted(title for _, _, title in adds)
        assert len({m["id"] for m in plan["measures"]}) == len(adds)
        assert [m["name"] for m in plan["members"]] == ["Ada", "Bob", "Cem", "Dana"]
        # the name one of the renames gave (the last one the store took)
        assert plan["name"] in {name for _, name in renames}
