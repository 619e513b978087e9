"""The consulting corners follow a world version published while the hub runs (a
``WorldFollower``, ``server/features/world/serving.py``).

For each new version the site's ``consulting.toml`` is read again against the new world's
booth anchors: a corner moved is where its booth now stands (the desk there stays open, the
next conversation is held at the new spot), a corner added is one an advisor can open a desk
at, and a corner whose booth the new world no longer has is left out with its hours (a
warning in the log), its open desk closed. The REST overview and so the signs over the
corners show the new corners at once (``ConsultingDesks.file``). A file that cannot be used
with the new world at all (a corner in the entrance room) leaves the corners as they were,
with one error line in the log.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from server.core.effects import Effects
from server.core.powers import FeatureCore
from server.domain.consulting import ConsultingFile, read_consulting
from server.features.consulting.realtime import ConsultingDesks, CornerPlace, corner_places
from world.errors import InputFileError
from world.model import World

log = logging.getLogger("hubtwin.consulting")

Prepared = tuple[ConsultingFile, dict[str, CornerPlace]] | None


class ConsultingFollower:
    """Reads the site's consulting file for a new world; swaps its corners into ``desks``."""

    def __init__(self, path: Path, languages: Sequence[str], desks: ConsultingDesks) -> None:
        self.path = path
        self.languages = tuple(languages)
        self.desks = desks

    def prepare(self, world: World) -> Prepared:
        problems: list[str] = []
        try:
            file = read_consulting(
                self.path, {a.id for a in world.anchors_of("booth")}, self.languages, problems
            )
            places = corner_places(world.anchors, file, world.entrance)
        except InputFileError as exc:
            log.error("consulting corners kept as they were for the new world: %s", exc)
            return None
        for problem in problems:
            log.warning("consulting corners in the new world: %s", problem)
        return file, places

    def follow(self, prepared: Prepared, core: FeatureCore, fx: Effects, now: float) -> None:
        if prepared is not None:
            self.desks.use_corners(*prepared, fx)
