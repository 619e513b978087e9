"""Go to and follow someone from the people list, in real Chromium against a real hub.

Ada and Ben stand in the same room. From the people list Ada follows Ben: wherever Ben
walks in the room, Ada's client walks her to beside him; her own keys end it. "Go to"
walks her to Ben once. When Ben leaves the room while she follows him, following ends
with a note.
"""

from __future__ import annotations

import math

import pytest
from conftest import Visitor, Visitors
from test_visit import open_spot_near

from world.model import World

pytestmark = pytest.mark.e2e

APART = "Math.hypot(s.position.x - arg[0], s.position.z - arg[1]) < 2.6"


def _button(visitor: Visitor, session: str, kind: str) -> str:
    return f'#people-list li[data-person-id="{session}"] .person-{kind}'


def _where(visitor: Visitor) -> tuple[float, float]:
    p = visitor.state()["position"]
    return float(p["x"]), float(p["z"])


def test_follow_go_to_and_losing_someone_who_leaves(visitors: Visitors, world_model: World) -> None:
    ada, ben = visitors.together(("Ada", {}), ("Ben", {}))
    bens_session = ben.state()["session"]
    # (people of earlier tests may still be held in the room for a while: look for these two)
    ben.wait_for("s.others.some((o) => o.id === arg)", ada.state()["session"])
    ada.wait_for(
        "s.others.some((o) => o.id === arg[0]) && s.room === arg[1]",
        [bens_session, ben.state()["room"]],
    )
    ada.page.click("#toggle-people")

    # follow: Ben walks off, Ada's client walks her to beside him
    follow = ada.page.locator(_button(ada, bens_session, "follow"))
    assert follow.text_content() == "Folgen"
    follow.click()
    ada.wait_for("s.following === 'Ben'")
    assert follow.get_attribute("aria-pressed") == "true"
    assert follow.text_content() == "Nicht mehr folgen"
    start = _where(ada)
    x, z = open_spot_near(ben, world_model, 6.0)
    assert ben.walk_to(x, z)["arrived"]
    ada.wait_for(APART, [x, z], timeout_ms=40000)
    assert math.dist(start, _where(ada)) > 1.0, "Ada did not walk"
    assert ada.state()["following"] == "Ben"

    # her own keys end it
    ada.page.locator("#view").focus()
    ada.page.keyboard.down("s")
    ada.wait_for("s.following === null")
    ada.page.keyboard.up("s")
    assert ada.page.locator(_button(ada, bens_session, "follow")).text_content() == "Folgen"
    ada.wait_for("document.body.textContent.includes('Sie folgen Ben nicht mehr')")

    # go to: once, to beside him
    x, z = open_spot_near(ben, world_model, 6.0)
    assert ben.walk_to(x, z)["arrived"]
    ada.page.locator(_button(ada, bens_session, "go")).click()
    ada.wait_for(APART, [x, z], timeout_ms=40000)
    assert ada.state()["following"] is None

    # following someone who leaves the room ends, with a note
    ada.page.locator(_button(ada, bens_session, "follow")).click()
    ada.wait_for("s.following === 'Ben'")
    here = ben.state()["room"]
    elsewhere = next(r for r in ("lounge", "lab", "workshop") if r != here)
    ben.page.evaluate("([room]) => window.hubtwin.go(room, 0)", [elsewhere])
    ben.wait_for("s.room === arg", elsewhere, timeout_ms=30000)
    ada.wait_for("s.following === null", timeout_ms=30000)
    ada.wait_for("document.body.textContent.includes('hat den Raum verlassen')")
    assert ada.state()["room"] == here
    assert visitors.problems() == []
