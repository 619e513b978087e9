"""The plan service's changes against a real SQLite store: each is one atomic
read-modify-write of the team in the store, and who asks is checked against the team
actually changed, not against the one read before (a member who left meanwhile is
refused; a facilitator whose workshop the team shares since is let in); a refused change
writes nothing."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scale"))
from hub_processes import led_by_sven
from realtime_world import box_world

from server.base.identity import Identity, Role
from server.domain.action_plans import LIVE_KIND, PlanRefused, Team
from server.features.board.plans_http import PlanService
from server.store.sqlite import Store
from server.workshop.service import WorkshopService

ADA = Identity("a-ada", "Ada", Role.VISITOR, guest=False)
BOB = Identity("a-bob", "Bob", Role.VISITOR, guest=False)
SVEN = Identity("id-Sven", "Sven", Role.FACILITATOR, guest=False)


class StageWorld:
    """The box world with the one method the workshop service reads besides rooms."""

    def __init__(self) -> None:
        self.world = box_world()
        self.rooms = self.world.rooms

    def anchors_of(self, kind: str) -> list[Any]:
        return []


@pytest.fixture
async def service(tmp_path: Path) -> AsyncIterator[PlanService]:
    store = await Store.open(tmp_path / "hub.sqlite3")
    await store.save_workshop(led_by_sven("w-1", "Energie sparen", "werkstatt"))
    workshops = await WorkshopService.open(store, StageWorld())
    try:
        yield await PlanService.open(store, workshops)
    finally:
        await store.close()


async def team_of_ada_and_bob(service: PlanService) -> Team:
    team = Team.new("t-1", "Grüne Backstube", firm="", by=(ADA.id, ADA.name), now=time.time())
    team.join(BOB.id, BOB.name, team.link, time.time())
    await service.keep(team, team.id)
    return await service.team(team.id)


def leaving(who: Identity) -> Any:
    def change(data: dict[str, Any] | None) -> dict[str, Any]:
        assert data is not None
        team = Team.from_document(data)
        team.leave(who.id)
        return team.as_document()

    return change


def add(title: str) -> Any:
    return lambda team: team.add_measure({"title": title}, by=BOB.id, now=time.time()).title


async def test_a_member_who_left_after_the_check_is_refused_and_nothing_is_written(
    service: PlanService,
) -> None:
    seen = await team_of_ada_and_bob(service)
    await service.change_as(BOB, seen.id, add("LED"), seen=seen)
    before = await service.team(seen.id)
    # Bob leaves through another process: this one still has the team as read before
    await service.store.change_live_state(LIVE_KIND, seen.id, leaving(BOB))
    with pytest.raises(PlanRefused) as refused:
        await service.change_as(BOB, seen.id, add("Dämmung"), seen=before)
    assert refused.value.code == "team_unknown"
    after = await service.team(seen.id)
    assert [m.title for m in after.measures] == ["LED"]
    assert list(after.members) == [ADA.id]
    assert service.known[seen.id] == after.as_document()


async def test_a_facilitator_whose_workshop_the_team_shares_since_the_check_may_change_it(
    service: PlanService,
) -> None:
    seen = await team_of_ada_and_bob(service)
    with pytest.raises(PlanRefused):
        await service.change_as(SVEN, seen.id, add("Heizung"), seen=seen)

    def share(data: dict[str, Any] | None) -> dict[str, Any]:
        assert data is not None
        team = Team.from_document(data)
        team.share("w-1", True)
        return team.as_document()

    await service.store.change_live_state(LIVE_KIND, seen.id, share)
    # the team as read before shares no workshop Sven leads: read again, then let in
    assert await service.change_as(SVEN, seen.id, add("Heizung"), seen=seen) == "Heizung"
    assert [m.title for m in (await service.team(seen.id)).measures] == ["Heizung"]
    # a lead's change is the leads' and facilitators': Bob is neither
    with pytest.raises(PlanRefused) as refused:
        await service.change_as(BOB, seen.id, add("x"), lead=True)
    assert refused.value.code == "team_not_lead"


async def test_changes_at_once_are_all_kept_and_the_last_is_known(service: PlanService) -> None:
    seen = await team_of_ada_and_bob(service)
    titles = [f"Maßnahme {n}" for n in range(30)]
    await asyncio.gather(*(service.change_as(BOB, seen.id, add(t)) for t in titles))
    kept = await service.store.live_states(LIVE_KIND)
    assert sorted(m["title"] for m in kept[seen.id]["measures"]) == sorted(titles)
    assert service.known[seen.id] == kept[seen.id]
