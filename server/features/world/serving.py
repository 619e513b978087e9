"""The world a running hub serves, and switching to a new version while people are inside.

``LiveWorld`` knows which model file the process serves (``/world/hub.glb``, the digest in
``/api/config``) and, when another version becomes current, switches to it without a
restart:

1. in a worker thread: load the new model the way the server does (``world.model.load``) and
   let each ``WorldFollower`` read what it needs (the stations' content, placed anew);
2. in the event loop, in one go between two ticks: ``HubCore.replace_world`` (people now
   standing in a wall are moved and told), the followers update the stations and screens,
   the served file and digest switch, and ``world_changed`` goes to everyone
   (``server/features/world/updates.py``); the transport sends it all.

It notices a new version in two ways: the staff edit endpoint calls ``refresh()`` right
after publishing, and ``watch()`` looks at the ``versions/current`` pointer every two
seconds, for versions published or rolled back on the command line (or by another process).
A version that cannot be used (the model does not load, or its rooms differ from the running
ones: that needs a restart) is logged and the hub keeps serving the one it has.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from server.core.effects import Effects
from server.core.powers import FeatureCore, WorldSwitchingCore
from server.features.world.updates import WorldNotice, WorldUpdates
from world.errors import HubError
from world.model import World, load
from world.versions import CURRENT_FILE, WorldVersion, current_version, versions_dir

log = logging.getLogger("hubtwin.world")

POLL_EVERY_S = 2.0
WORLD_URL = "/world/hub.glb"


class WorldFollower(Protocol):
    """Something of the running hub that depends on the world model."""

    def prepare(self, world: World) -> Any:
        """Read what the new world needs (in a worker thread; may read files)."""
        ...

    def follow(self, prepared: Any, core: FeatureCore, fx: Effects, now: float) -> None:
        """Use it (in the event loop, right after ``core.replace_world``)."""
        ...


@dataclass(frozen=True)
class ServedWorld:
    """A model file the process serves, loaded, and the published version it is (if any)."""

    path: Path
    world: World
    version: WorldVersion | None
    size: int  # bytes

    @classmethod
    def of(cls, path: Path, world: World, version: WorldVersion | None) -> ServedWorld:
        return cls(path, world, version, path.stat().st_size)

    @property
    def digest(self) -> str:
        return self.world.digest

    def notice(self) -> WorldNotice:
        version = self.version
        return WorldNotice(
            version=version.number if version is not None else 0,
            digest=self.digest,
            url=f"{WORLD_URL}?v={self.digest[:16]}",
            size=self.size,
            message=version.message if version is not None else "",
        )


@dataclass(frozen=True)
class Switch:
    """What ``refresh`` did: switched to ``served``, or not, and why."""

    switched: bool
    served: ServedWorld
    reason: str = ""

    def to_json(self) -> dict[str, Any]:
        version = self.served.version
        return {
            "switched": self.switched,
            "version": version.number if version is not None else None,
            "digest": self.served.digest,
            "reason": self.reason,
        }


class LiveWorld:
    """The served world of one hub process; see the module docstring."""

    def __init__(
        self, world_dir: Path, served: ServedWorld, *, poll_every_s: float = POLL_EVERY_S
    ) -> None:
        self.world_dir = world_dir
        self.served = served
        self.poll_every_s = poll_every_s
        self._lock = asyncio.Lock()
        self._pointer = self._pointer_state()
        self._core: WorldSwitchingCore | None = None
        self._apply: Callable[[Effects], None] = lambda fx: None
        self._updates: WorldUpdates | None = None
        self._followers: tuple[WorldFollower, ...] = ()

    def attach(
        self,
        core: WorldSwitchingCore,
        apply: Callable[[Effects], None],
        updates: WorldUpdates,
        followers: Sequence[WorldFollower] = (),
    ) -> None:
        """Switch this hub core (and what follows it) along; ``apply`` sends the effects."""
        self._core = core
        self._apply = apply
        self._updates = updates
        self._followers = tuple(followers)

    # --- for the HTTP side -----------------------------------------------------------------

    def world_file(self) -> Path:
        return self.served.path

    def digest(self) -> str:
        return self.served.digest

    # --- switching -------------------------------------------------------------------------

    async def refresh(self) -> Switch:
        """Switch to the current published version if it is not the one served."""
        async with self._lock:
            self._pointer = self._pointer_state()
            version = await asyncio.to_thread(current_version, self.world_dir)
            if version is None or version.model == self.served.path:
                return Switch(False, self.served, "already served")
            try:
                world, prepared = await asyncio.to_thread(self._load, version)
            except HubError as exc:
                log.error(
                    "world version %s cannot be served: %s",
                    version.number,
                    exc,
                    extra={"version": version.number},
                )
                return Switch(False, self.served, str(exc))
            return self._switch(ServedWorld.of(version.model, world, version), prepared)

    async def follow_again(self, follower: WorldFollower) -> None:
        """Let one follower read its files anew for the served world (station content saved
        in the browser): prepared in a worker thread, applied in the event loop."""
        async with self._lock:
            prepared = await asyncio.to_thread(follower.prepare, self.served.world)
            if self._core is None:
                return
            fx = Effects()
            follower.follow(prepared, self._core, fx, time.time())
            self._apply(fx)

    def _load(self, version: WorldVersion) -> tuple[World, list[Any]]:
        world = load(version.model)
        return world, [follower.prepare(world) for follower in self._followers]

    def _switch(self, served: ServedWorld, prepared: list[Any]) -> Switch:
        now = time.time()
        fx = Effects()
        if self._core is not None:
            try:
                fx = self._core.replace_world(served.world, now)
            except ValueError as exc:
                log.error("world version not switched live: %s", exc)
                return Switch(False, self.served, str(exc))
            for follower, data in zip(self._followers, prepared, strict=True):
                follower.follow(data, self._core, fx, now)
        self.served = served
        if self._updates is not None:
            self._updates.announce(served.notice(), fx)
        self._apply(fx)
        log.info(
            "world version live",
            extra={
                "version": served.version.number if served.version else None,
                "digest": served.digest[:12],
            },
        )
        return Switch(True, served)

    # --- noticing versions published elsewhere ------------------------------------------------

    def _pointer_state(self) -> tuple[int, int, int] | None:
        try:
            info = os.stat(versions_dir(self.world_dir) / CURRENT_FILE)
        except OSError:
            return None
        return (info.st_mtime_ns, info.st_ino, info.st_size)

    async def watch(self) -> None:
        """Poll the ``current`` pointer and switch when it changes (runs until cancelled)."""
        while True:
            await asyncio.sleep(self.poll_every_s)
            if self._pointer_state() == self._pointer:
                continue
            try:
                await self.refresh()
            except Exception:
                log.exception("switching to the new world version failed")
