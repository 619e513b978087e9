"""Who hears whom: the hearing sets of everyone in voice, decided by the server (no I/O).

The hub, not the browser, decides whose voice a listener receives; the media server then
forwards exactly that (``server/features/voice/bridge.py``). ``hearing_sets`` takes one moment of
the hub, everyone in voice as a ``Voices`` (their places, their group, who may speak, who
holds the stage, which groups are quiet), and the sets of the previous round, and returns
for every listener the speakers to receive:

- only speakers of the listener's own group (a room instance; a breakout group is an
  instance of its own), never anyone from another;
- the nearest ``k`` speakers within ``radius`` metres;
- hysteresis: a speaker already heard stays heard up to ``radius + margin`` and ranks as if
  ``margin`` nearer, so a set does not flap when someone stands at the border or two
  speakers are about as far;
- everyone holding the stage in the group, heard by the whole group at any distance;
- in a quiet group only the stage is heard;
- a speaker who may not speak (muted by themselves or a facilitator, not sending) is in no
  set, and nobody hears themselves.

So a set has at most ``k`` plus the number of stage holders in the group.

>>> import numpy as np
>>> voices = Voices(
...     ids=("a", "b", "c"),
...     group=np.array([0, 0, 1]),
...     pos=np.array([[0.0, 0, 0], [3.0, 0, 0], [1.0, 0, 0]]),
...     speaking=np.array([True, True, True]),
... )
>>> sorted(hearing_sets(voices)["a"])
['b']
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

import numpy as np
from numpy.typing import NDArray

DEFAULT_K: Final = 8
DEFAULT_RADIUS_M: Final = 12.0
DEFAULT_MARGIN_M: Final = 2.0

HearingSets = dict[str, frozenset[str]]


def _false(n: int) -> NDArray[np.bool_]:
    return np.zeros(n, dtype=bool)


@dataclass(frozen=True)
class Voices:
    """Everyone in voice at one moment, one row each.

    ``group`` numbers the room instance (equal numbers hear each other, others never);
    ``speaking`` says who may be heard (in voice with a microphone, sending, not muted);
    ``stage`` who holds the stage; ``quiet`` whose group hears only the stage."""

    ids: tuple[str, ...]
    group: NDArray[np.int64]
    pos: NDArray[np.float64]
    speaking: NDArray[np.bool_]
    stage: NDArray[np.bool_] = field(default_factory=lambda: np.zeros(0, dtype=bool))
    quiet: NDArray[np.bool_] = field(default_factory=lambda: np.zeros(0, dtype=bool))

    def __post_init__(self) -> None:
        n = len(self.ids)
        if len(self.stage) == 0 and n:
            object.__setattr__(self, "stage", _false(n))
        if len(self.quiet) == 0 and n:
            object.__setattr__(self, "quiet", _false(n))
        for name in ("group", "pos", "speaking", "stage", "quiet"):
            if len(getattr(self, name)) != n:
                raise ValueError(f"Voices.{name} has {len(getattr(self, name))} rows, not {n}")


def hearing_sets(
    voices: Voices,
    previous: Mapping[str, frozenset[str]] | None = None,
    *,
    k: int = DEFAULT_K,
    radius: float = DEFAULT_RADIUS_M,
    margin: float = DEFAULT_MARGIN_M,
) -> HearingSets:
    """Every listener's speakers (see the module docstring); listeners who hear nobody get
    an empty set."""
    previous = previous or {}
    out: HearingSets = {}
    ids = voices.ids
    if not ids:
        return out
    groups = np.asarray(voices.group)
    for group in np.unique(groups):
        rows = np.flatnonzero(groups == group)
        members = [ids[i] for i in rows]
        m = len(rows)
        pos = np.asarray(voices.pos, dtype=np.float64)[rows]
        speaking = np.asarray(voices.speaking, dtype=bool)[rows]
        stage = np.asarray(voices.stage, dtype=bool)[rows] & speaking
        quiet = bool(np.asarray(voices.quiet, dtype=bool)[rows].any())
        index = {sid: i for i, sid in enumerate(members)}
        heard_before = np.zeros((m, m), dtype=bool)
        for i, sid in enumerate(members):
            for other in previous.get(sid, ()):
                j = index.get(other)
                if j is not None:
                    heard_before[i, j] = True
        chosen = np.zeros((m, m), dtype=bool)
        if not quiet and k > 0:
            dist = np.linalg.norm(pos[:, None, :] - pos[None, :, :], axis=-1)
            reach = radius + margin * heard_before
            eligible = (dist <= reach) & (speaking & ~stage)[None, :]
            np.fill_diagonal(eligible, False)
            rank = np.where(eligible, dist - margin * heard_before, np.inf)
            take = min(k, m)
            if take < m:
                nearest = np.argpartition(rank, take - 1, axis=1)[:, :take]
            else:
                nearest = np.broadcast_to(np.arange(m), (m, m))
            rows_idx = np.arange(m)[:, None]
            chosen[rows_idx, nearest] = np.isfinite(rank[rows_idx, nearest])
        chosen |= stage[None, :]
        np.fill_diagonal(chosen, False)
        for i, sid in enumerate(members):
            out[sid] = frozenset(members[j] for j in np.flatnonzero(chosen[i]))
    return out


def changes(
    before: Mapping[str, frozenset[str]], after: Mapping[str, frozenset[str]]
) -> dict[str, tuple[frozenset[str], frozenset[str]]]:
    """Per listener whose set changed: (speakers to add, speakers to drop)."""
    out: dict[str, tuple[frozenset[str], frozenset[str]]] = {}
    for listener in set(before) | set(after):
        old = before.get(listener, frozenset())
        new = after.get(listener, frozenset())
        if old != new:
            out[listener] = (new - old, old - new)
    return out
