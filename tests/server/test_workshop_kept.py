"""A running workshop outlives its process, without sockets: the state ``Facilitation``
hands to its live sink is read back by a fresh core (a restart: everyone comes back with a
new session id), which resumes the workshop with its agenda position, countdown,
spotlight, hands, breakout groups and their timer, and its access rule.
"""

from __future__ import annotations

from typing import Any

from realtime_harness import person
from realtime_world import box_world
from workshop_harness import WorkshopHub, workshop

from server.base.identity import Role
from server.base.live_state import WORKSHOP, LiveStateChange
from server.base.settings import Settings
from server.core.hub import HubCore
from server.domain.workshops import Access
from server.protocol import table as protocol
from server.protocol.table import Appearance, Hello
from server.workshop.facilitation import COUNTS_EVERY_S, KEEP_EVERY_S, Facilitation
from server.workshop.moderation import Moderation


class KeptHub(WorkshopHub):
    """A ``WorkshopHub`` whose workshops go to a live sink and come back from ``kept``."""

    def __init__(self, kept: dict[str, Any] | None = None, now: float = 1000.0) -> None:
        super().__init__(workshop(access=Access.CODE, code="KLIMA-24"))
        self.live: list[LiveStateChange] = []
        self.lead = Facilitation(
            self.book, sink=self.kept.append, seed=3, keep=self.live.append, kept=kept
        )
        self.moderation = Moderation(sink=self.kept.append, lead=self.lead)
        self.core = HubCore(
            box_world(),
            Settings(),
            seed=7,
            features=[self.lead, self.moderation],
            rules=[self.moderation, self.lead],
        )
        self.lead.attach(self.core)
        self.moderation.attach(self.core)
        self.now = now

    def stored(self) -> dict[str, Any]:
        """The workshops' documents as a store would hold them after the changes so far."""
        out: dict[str, Any] = {}
        for change in self.live:
            if change.data is None:
                out.pop(change.key, None)
            else:
                out[change.key] = change.data
        return out

    def back(self, conn: int, name: str, role: Role = Role.VISITOR, **where: Any) -> str:
        """Someone reconnects after the restart (a hello naming their room and instance)."""
        said = Hello(
            protocol.PROTOCOL_VERSION,
            "token",
            "de",
            Appearance("#336699", "capsule"),
            where.get("room"),
            None,
            where.get("instance"),
        )
        self.apply(self.core.hello(conn, person(name, role), said, self.now))
        return self.session(conn)


def a_busy_workshop() -> tuple[KeptHub, dict[str, str]]:
    """Mara leads w1 (code access) with Ina, Olga and Kim: item 1, a countdown, Ina in the
    spotlight, two breakout groups for 10 minutes, Olga's hand up in her group."""
    hub = KeptHub()
    ids = {"Mara": hub.enter(1, "Mara", Role.FACILITATOR)}
    for conn, name in ((2, "Ina"), (3, "Olga"), (4, "Kim")):
        ids[name] = hub.enter(conn, name, room="foyer")
        assert hub.codes(hub.do(conn, "workshop_join", workshop="w1", code="KLIMA-24")) == []
    assert hub.codes(hub.do(1, "workshop_start", workshop="w1")) == []
    hub.do(1, "agenda", item=1)
    hub.do(1, "timer", seconds=600)
    assign = [[ids["Olga"], ids["Kim"]], [ids["Ina"]]]
    answer = hub.do(1, "breakout", groups=2, mode="chosen", minutes=10, assign=assign)
    assert hub.codes(answer) == []
    hub.do(1, "spotlight", on=True, session=ids["Ina"])
    hub.do(3, "hand", up=True)
    hub.tick(KEEP_EVERY_S)
    return hub, ids


def test_a_running_workshop_is_kept_when_it_changes_and_not_on_every_tick() -> None:
    hub, ids = a_busy_workshop()
    written = len(hub.live)
    assert written >= 1 and {c.kind for c in hub.live} == {WORKSHOP}
    for _ in range(40):
        hub.tick(0.05)
    assert len(hub.live) == written  # nothing changed: nothing written
    hub.do(1, "timer", seconds=120)
    hub.tick(KEEP_EVERY_S)
    assert len(hub.live) == written + 1
    data = hub.stored()["w1"]
    assert data["item"] == 1 and data["timer_ends"] == hub.now - KEEP_EVERY_S + 120
    assert data["spotlight"] == [ids["Ina"]]
    assert data["people"][ids["Olga"]] == "id-Olga"
    hub.do(1, "workshop_end")
    hub.tick(KEEP_EVERY_S)
    assert hub.stored() == {}  # an ended workshop is forgotten


def test_after_a_restart_the_workshop_goes_on_with_its_state_and_its_access_rule() -> None:
    before, ids = a_busy_workshop()
    kept = before.stored()
    group_of = {
        g["group"]: g["instance"]
        for g in before.last(1, "workshop_state")["workshop"]["breakout"]["groups"]
    }
    timer_ends, breakout_ends = kept["w1"]["timer_ends"], kept["w1"]["breakout"]["ends_at"]

    after = KeptHub(kept=kept, now=before.now + 5)
    # a stranger without the code is refused at once (the rule holds before any tick)
    after.back(9, "Eve", room="workshop")
    assert "workshop_access" in after.codes(after.take(9))
    assert after.where(9) == ("foyer", 0)
    mara = after.back(1, "Mara", Role.FACILITATOR, room="workshop")
    after.tick()
    state = after.last(1, "workshop_state")["workshop"]
    assert (state["id"], state["item"], state["timer_ends"]) == ("w1", 1, timer_ends)
    assert state["leaders"] == [mara] and state["you_lead"] is True
    assert state["breakout"]["ends_at"] == breakout_ends
    # Olga comes back into her group's room (new session id): her group and hand are hers
    olga = after.back(3, "Olga", room="workshop", instance=group_of[0])
    assert olga != ids["Olga"] and after.where(3) == ("workshop", group_of[0])
    assert after.last(3, "hand_queue")["sessions"] == [olga]
    ina = after.back(2, "Ina", room="workshop")  # she had passed the code before
    assert after.where(2)[0] == "workshop"
    after.tick(KEEP_EVERY_S)
    after.tick(COUNTS_EVERY_S)  # the new ids go out with the next state
    state = after.last(1, "workshop_state")["workshop"]
    groups = {g["group"]: g["members"] for g in state["breakout"]["groups"]}
    assert olga in groups[0] and ina in groups[1]
    assert state["spotlight"] == [ina]
    # a stranger may not walk into a group's room
    after.back(8, "Kim2", room="foyer")
    assert after.codes(after.do(8, "go", room="workshop", instance=group_of[0])) != []
    # the group timer still calls everyone back
    after.now = breakout_ends
    after.tick()
    assert after.where(3) == ("workshop", 0)
    assert after.last(1, "workshop_state")["workshop"]["breakout"] is None


def test_a_kept_workshop_whose_time_is_over_is_not_resumed() -> None:
    before, _ = a_busy_workshop()
    kept = before.stored()
    after = KeptHub(kept=kept, now=workshop().ends_at + 1)
    after.back(9, "Eve", room="workshop")
    assert after.where(9) == ("workshop", 0)
    after.tick()
    assert after.lead.lives == {} and after.lead.kept == {}


def test_a_document_that_is_not_one_is_ignored() -> None:
    after = KeptHub(kept={"w1": {"room": "workshop", "item": "zwei"}})
    after.back(9, "Eve", room="workshop")
    after.tick()
    assert after.where(9) == ("workshop", 0) and after.lead.lives == {}


def test_a_removal_outlives_a_restart_until_its_end() -> None:
    before = KeptHub()
    before.moderation.live = before.live.append
    before.enter(1, "Mara", Role.FACILITATOR)
    olga = before.enter(2, "Olga")
    assert before.codes(before.do(1, "remove", session=olga, minutes=10)) == []
    assert before.where(2) == ("foyer", 0)
    before.tick(KEEP_EVERY_S)
    removals = {c.key: c.data for c in before.live if c.kind == "removals"}
    assert removals == {"workshop": {"id-Olga": before.now - KEEP_EVERY_S + 600}}

    after = KeptHub(now=before.now + 60)
    after.moderation.set_kept_removals(removals, after.now)
    after.enter(2, "Olga", room="workshop")
    assert after.where(2) == ("foyer", 0)
    assert "removed_from_room" in after.codes(after.take(2))
    after.now += 600
    assert after.codes(after.do(2, "go", room="workshop")) == []


def test_a_workshop_just_started_is_kept_at_the_next_tick() -> None:
    """A crash right after the start (before the usual half second) must not lose it."""
    hub = KeptHub()
    hub.enter(1, "Mara", Role.FACILITATOR)
    hub.tick(0.05)
    hub.do(1, "agenda", item=0)  # nothing running yet: nothing to keep
    hub.tick(0.05)
    assert hub.stored() == {}
    assert hub.codes(hub.do(1, "workshop_start", workshop="w1")) == []
    hub.tick(0.05)
    assert set(hub.stored()) == {"w1"}
