"""Moderation's kept state, without sockets: mutes and room settings go to the state sink
(and so to the store) and to the other processes as bus events; kept ones are in force from
the start and after a restart; another process's events take effect here; the periodic
read of the store neither undoes a fresh change nor keeps one the store has dropped."""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import msgpack
from realtime_harness import Harness, hello, person
from realtime_world import box_world
from workshop_harness import WorkshopHub

from server.base.identity import Role
from server.base.settings import Settings
from server.core.hub import Effects, HubCore
from server.domain.playback import ControlMode, ControlPolicy
from server.protocol.table import decode_client
from server.store.sqlite import Store
from server.workshop.moderation import (
    RECENT_CHANGE_S,
    Moderation,
    ModerationState,
    MuteChange,
    RoomSettings,
    RoomSettingsChange,
)
from server.workshop.service import WorkshopService

LOCKED = {"locked": True, "chat": "everyone", "reactions": "everyone", "screens": None}


def kept_hub(*names: str) -> tuple[WorkshopHub, list[ModerationState], list[tuple[str, Any]]]:
    """Sven (conn 1, staff) and visitors on conns 2, 3, ... in the workshop room; what
    moderation keeps and what it posts to the bus."""
    hub = WorkshopHub()
    kept: list[ModerationState] = []
    posted: list[tuple[str, Any]] = []
    hub.moderation.keep = kept.append
    hub.moderation.hub_events = lambda kind, payload: posted.append((kind, payload))
    hub.enter(1, "Sven", Role.STAFF)
    for conn, name in enumerate(names, start=2):
        hub.enter(conn, name)
    for conn in range(1, 2 + len(names)):
        hub.take(conn)
    return hub, kept, posted


def test_mutes_and_room_settings_are_kept_and_posted_as_they_change() -> None:
    hub, kept, posted = kept_hub("Vera", "Otto")
    vera, otto = hub.session(2), hub.session(3)
    hub.do(1, "mute", session=vera, on=True, minutes=5)
    hub.do(1, "mute", session=vera, on=False)
    hub.do(1, "mute", session=otto, on=True)
    hub.do(1, "lock", on=True)
    hub.do(1, "invite", session=otto)
    hub.do(1, "permissions", chat="facilitators", screens="anyone")
    hub.do(1, "lock", on=False)
    hub.do(1, "permissions", chat="everyone", screens="anyone")
    now = hub.now
    locked = {**LOCKED, "invited": []}
    assert kept == [
        MuteChange("id-Vera", now + 300, "id-Sven", now, on=True),
        MuteChange("id-Vera", None, "id-Sven", now, on=False),
        MuteChange("id-Otto", None, "id-Sven", now, on=True),
        RoomSettingsChange("workshop", locked),
        RoomSettingsChange("workshop", {**locked, "invited": ["id-Otto"]}),
        RoomSettingsChange(
            "workshop",
            {**locked, "chat": "facilitators", "screens": "anyone", "invited": ["id-Otto"]},
        ),
        # unlocking forgets the invitations
        RoomSettingsChange(
            "workshop", {**locked, "locked": False, "chat": "facilitators", "screens": "anyone"}
        ),
        RoomSettingsChange("workshop", {**locked, "locked": False, "screens": "anyone"}),
    ]
    assert [kind for kind, _ in posted] == ["mute"] * 3 + ["room_settings"] * 5
    assert posted[0][1] == {
        "identity_id": "id-Vera",
        "until": now + 300,
        "on": True,
        "by_id": "id-Sven",
        "by": "Sven",
        "room": "workshop",
    }
    assert posted[-1][1] == {"room": "workshop", **locked, "locked": False, "screens": "anyone"}


def test_a_room_back_to_the_usual_is_forgotten() -> None:
    hub, kept, _ = kept_hub()
    hub.do(1, "lock", on=True)
    hub.do(1, "lock", on=False)
    assert kept[-1] == RoomSettingsChange("workshop", None)


def test_kept_mutes_and_settings_are_in_force_from_the_start() -> None:
    screens = Screens()
    moderation = Moderation(
        screens=screens,
        mutes={"id-Vera": None, "id-Otto": 1060.0},
        rooms={
            "workshop": {**LOCKED, "screens": "anyone", "invited": ["id-Ina"]},
            "lab": {"chat": "niemand"},  # not settings: left out, with a warning
        },
    )
    assert moderation.mutes == {"id-Vera": math.inf, "id-Otto": 1060.0}
    assert moderation.rooms == {
        "workshop": RoomSettings(locked=True, screens="anyone", invited={"id-Ina"})
    }
    assert screens.policies["workshop"].mode is ControlMode.ANYONE


class Screens:
    """The screens feature's control rules, as TalkScreens has them."""

    def __init__(self) -> None:
        self.policies: Mapping[str, ControlPolicy] = {}

    def screens_of(self, instance: object) -> None:
        return None


def test_another_process_s_mute_and_lock_take_effect_here() -> None:
    """Two processes of one hub, their bus a list: Vera is muted on one and chats on the
    other; the room is locked on one and a visitor of the other cannot come in."""
    here, _, posted = kept_hub("Vera")
    there = WorkshopHub()
    there.enter(5, "Vera", room="foyer")
    there.enter(6, "Kim", room="foyer")
    there.enter(7, "Ina", room="foyer")
    there.take(5)

    def deliver() -> None:
        for kind, payload in posted:
            fx = Effects()
            if kind == "mute":
                there.moderation.mute_elsewhere(payload, fx, there.now)
            elif kind == "room_settings":
                there.moderation.room_settings_elsewhere(payload, fx, there.now)
            there.apply(fx)
        posted.clear()

    here.do(1, "mute", session=here.session(2), on=True, minutes=10)
    deliver()
    assert there.last(5, "moderated") == {
        "t": "moderated",
        "action": "muted",
        "by": "Sven",
        "room": "workshop",
        "until": here.now + 600,
    }
    assert there.last(5, "room_rules")["muted"] is True
    assert there.codes(there.do(5, "chat", text="hier drüben?")) == ["chat_muted"]
    here.do(1, "lock", on=True)
    here.enter(8, "Ina", room="foyer")
    here.do(1, "invite", session=here.session(8))
    deliver()
    assert there.codes(there.do(6, "go", room="workshop")) == ["room_locked"]
    assert there.codes(there.do(7, "go", room="workshop")) == []  # invited on the other one
    assert there.last(7, "room_rules")["locked"] is True
    here.do(1, "mute", session=here.session(2), on=False)
    deliver()
    assert there.last(5, "moderated")["action"] == "unmuted"
    assert there.codes(there.do(5, "chat", text="danke")) == []


def test_malformed_events_change_nothing() -> None:
    hub = WorkshopHub()
    fx = Effects()
    mutes: list[object] = ["mute", {"identity_id": 5}, {"identity_id": "id-Vera", "until": "x"}]
    settings: list[object] = [{"chat": "everyone"}, {"room": "workshop", "chat": "x"}, ["lab"]]
    for event in mutes:
        hub.moderation.mute_elsewhere(event, fx, hub.now)
    for event in settings:
        hub.moderation.room_settings_elsewhere(event, fx, hub.now)
    assert hub.moderation.mutes == {} and hub.moderation.rooms == {}
    assert fx.sends == []


def test_reading_the_store_again_keeps_fresh_changes_and_follows_older_ones() -> None:
    hub, _, _ = kept_hub("Vera", "Otto")
    vera = hub.session(2)
    hub.do(1, "mute", session=vera, on=True)
    hub.take(2)
    # the store does not have the mute yet: a fresh change stays
    fx = Effects()
    hub.moderation.set_kept({}, {}, fx, hub.now + 1)
    hub.apply(fx)
    assert hub.codes(hub.do(2, "chat", text="hallo")) == ["chat_muted"]
    # later, the store's word counts: the mute was lifted elsewhere and the event was lost;
    # Otto was muted and the room locked elsewhere
    later = hub.now + RECENT_CHANGE_S + 1
    fx = Effects()
    hub.moderation.set_kept({"id-Otto": None}, {"workshop": LOCKED}, fx, later)
    hub.apply(fx)
    hub.now = later
    assert hub.last(2, "room_rules")["muted"] is False
    assert hub.last(3, "room_rules")["muted"] is True
    assert hub.codes(hub.do(2, "chat", text="wieder da")) == []
    assert hub.codes(hub.do(3, "chat", text="hm")) == ["chat_muted"]
    hub.enter(9, "Kim", room="foyer")
    assert hub.codes(hub.do(9, "go", room="workshop")) == ["room_locked"]
    # and when the store no longer has the lock, the room opens again
    fx = Effects()
    hub.moderation.set_kept({}, {}, fx, later + 1)
    hub.apply(fx)
    assert hub.last(2, "room_rules")["locked"] is False
    assert hub.codes(hub.do(9, "go", room="workshop")) == []


def test_an_ended_mute_from_the_store_does_not_count() -> None:
    hub, _, _ = kept_hub("Vera")
    fx = Effects()
    hub.moderation.set_kept({"id-Vera": hub.now - 1}, {}, fx, hub.now)
    hub.apply(fx)
    assert hub.codes(hub.do(2, "chat", text="hallo")) == []


class StageWorld:
    """The box world with the one method the workshop service reads besides rooms."""

    def __init__(self) -> None:
        self.world = box_world()
        self.rooms = self.world.rooms

    def anchors_of(self, kind: str) -> list[Any]:
        return []


async def open_hub(path: Path) -> tuple[Store, WorkshopService, Harness]:
    store = await Store.open(path)
    world = StageWorld()
    service = await WorkshopService.open(store, world)
    core = HubCore(world.world, Settings(), seed=7, features=service.features, rules=service.rules)
    realtime = Harness(core)
    realtime.now = time.time()
    service.attach(core, realtime.apply)
    return store, service, realtime


def say(hub: Harness, conn: int, kind: str, **fields: Any) -> list[str]:
    message = decode_client(msgpack.packb({"t": kind, **fields}))
    hub.apply(hub.core.handle(conn, message, hub.now))
    return [m["code"] for m in hub.take(conn) if m["t"] == "error"]


async def test_a_restart_keeps_mutes_and_locked_rooms(tmp_path: Path) -> None:
    store, service, hub = await open_hub(tmp_path / "hub.sqlite3")
    hub.apply(hub.core.hello(1, person("Sven", Role.STAFF), hello(room="workshop"), hub.now))
    hub.apply(hub.core.hello(2, person("Vera"), hello(room="workshop"), hub.now))
    assert say(hub, 1, "mute", session=hub.session(2), on=True, minutes=30) == []
    assert say(hub, 1, "lock", on=True) == []
    assert say(hub, 1, "permissions", reactions="facilitators") == []
    await service.writer.flush()
    await store.close()

    store, service, hub = await open_hub(tmp_path / "hub.sqlite3")
    try:
        hub.apply(hub.core.hello(3, person("Vera"), hello(room="workshop"), hub.now))
        assert "room_locked" in [m.get("code") for m in hub.take(3)]
        assert hub.core.session_of(3) is not None
        assert say(hub, 3, "chat", text="Hallo") == ["chat_muted"]
        hub.apply(hub.core.hello(4, person("Sven", Role.STAFF), hello(room="workshop"), hub.now))
        rules = [m for m in hub.take(4) if m["t"] == "room_rules"][-1]
        assert (rules["locked"], rules["reactions"]) == (True, "facilitators")
    finally:
        await store.close()
